//! The scheduled jobs of account health: refresh every account from Meta, check every token;
//! how often each runs, and one run over every live account.

use chrono::Duration;
use omni_domain::{AccountStatus, WhatsappAccount};
use omni_ports::RepoError;

use super::service::{Health, JOB_CHECK_TOKENS, JOB_REFRESH_ACCOUNTS};

impl Health {
    /// How often a job runs; `None` for an unknown job.
    #[must_use]
    pub fn job_interval(&self, name: &str) -> Option<Duration> {
        match name {
            JOB_REFRESH_ACCOUNTS => Some(self.config.refresh_every),
            JOB_CHECK_TOKENS => Some(self.config.token_check_every),
            _ => None,
        }
    }

    /// Every job, by name.
    #[must_use]
    pub fn jobs() -> [&'static str; 2] {
        [JOB_REFRESH_ACCOUNTS, JOB_CHECK_TOKENS]
    }

    /// Runs one job over every live account of every store; a summary for the job's record.
    /// One account failing does not stop the others.
    pub async fn run_job(&self, name: &str) -> String {
        let accounts = match self.all_accounts().await {
            Ok(a) => a,
            Err(e) => return format!("error: cannot list accounts: {e}"),
        };
        let (mut ok, mut failed, mut skipped) = (0, 0, 0);
        for account in accounts {
            if account.status == AccountStatus::ReauthRequired
                || account.status == AccountStatus::Failed
            {
                skipped += 1;
                continue;
            }
            let result = match name {
                JOB_REFRESH_ACCOUNTS => self.refresh_account(account.clone()).await.map(|_| ()),
                JOB_CHECK_TOKENS => self.check_token(&account).await.map(|_| ()),
                other => return format!("error: unknown job {other}"),
            };
            match result {
                Ok(()) => ok += 1,
                Err(e) => {
                    tracing::warn!(job = name, account = %account.id, error = %e, "job step failed");
                    failed += 1;
                }
            }
        }
        format!("ok={ok} failed={failed} skipped={skipped}")
    }

    pub(super) async fn all_accounts(&self) -> Result<Vec<WhatsappAccount>, RepoError> {
        let mut out = Vec::new();
        for store in self.p.central.list_stores().await? {
            out.extend(self.p.central.list_accounts(store.id).await?);
        }
        Ok(out)
    }
}
