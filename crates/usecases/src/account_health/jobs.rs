//! The scheduled jobs of account health: refresh every account from Meta, check every token;
//! how often each runs, and one run over every live account.

use chrono::Duration;
use omni_domain::{AccountStatus, WhatsappAccount};
use omni_ports::RepoError;

use super::service::{Health, Job};

impl Health {
    /// How often a job runs; `None` for an unknown job.
    #[must_use]
    pub fn job_interval(&self, name: &str) -> Option<Duration> {
        Some(match name.parse::<Job>().ok()? {
            Job::RefreshAccounts => self.config.refresh_every,
            Job::CheckTokens => self.config.token_check_every,
        })
    }

    /// Every job, by name.
    #[must_use]
    pub fn jobs() -> [&'static str; 2] {
        Job::ALL.map(Job::as_str)
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
            if account.status() == AccountStatus::ReauthRequired
                || account.status() == AccountStatus::Failed
            {
                skipped += 1;
                continue;
            }
            let result = match name.parse::<Job>() {
                Ok(Job::RefreshAccounts) => self.refresh_account(account.clone()).await.map(|_| ()),
                Ok(Job::CheckTokens) => self.check_token(&account).await.map(|_| ()),
                Err(e) => return format!("error: {e}"),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_names_keep_their_stored_form() {
        for job in Job::ALL {
            assert_eq!(job.as_str().parse::<Job>(), Ok(job));
        }
        assert_eq!(Job::RefreshAccounts.as_str(), "refresh_accounts");
        assert_eq!(Job::CheckTokens.as_str(), "check_tokens");
        assert!("cleanup".parse::<Job>().is_err());
    }
}
