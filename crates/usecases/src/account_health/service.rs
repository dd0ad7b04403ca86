//! The account health service: its settings, its ports, the [`Health`] value the other parts
//! of [`super`] add their methods to, the job names, and the small helpers they share.

use std::sync::Arc;

use chrono::Duration;
use omni_domain::{AccountId, StoreId, WhatsappAccount};
use omni_ports::{
    AccountEventRepo, CentralRepo, Clock, HealthRepo, MetaGraphPort, OutboxRepo,
    TenantAnalyticsPort, TokenCipher,
};

use crate::accounts::AccountError;

/// A scheduled job of account health (stored in the job table by its string form).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Job {
    /// Re-read every account from Meta (`refresh_accounts`).
    RefreshAccounts,
    /// Check every token with `debug_token` (`check_tokens`).
    CheckTokens,
}

impl Job {
    /// Every job.
    pub const ALL: [Self; 2] = [Self::RefreshAccounts, Self::CheckTokens];

    /// The stored name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::RefreshAccounts => "refresh_accounts",
            Self::CheckTokens => "check_tokens",
        }
    }
}

impl std::fmt::Display for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is no [`Job`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown job {0}")]
pub struct UnknownJob(pub String);

impl std::str::FromStr for Job {
    type Err = UnknownJob;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|j| j.as_str() == s)
            .ok_or_else(|| UnknownJob(s.to_owned()))
    }
}

/// The job that re-reads every account from Meta (the name of [`Job::RefreshAccounts`]).
pub const JOB_REFRESH_ACCOUNTS: &str = Job::RefreshAccounts.as_str();
/// The job that checks every token with `debug_token` (the name of [`Job::CheckTokens`]).
pub const JOB_CHECK_TOKENS: &str = Job::CheckTokens.as_str();

/// Settings of the health use cases.
#[derive(Debug, Clone)]
pub struct HealthConfig {
    /// Our Meta app id (`debug_token.app_id` and `subscribed_apps` must name it).
    pub app_id: Option<String>,
    /// Where the owner reconnects a number (the owner frontend).
    pub reconnect_url: String,
    /// Renew (or ask the owner to reconnect) when a token expires within this.
    pub renew_before: Duration,
    /// A webhook within this counts as recent (diagnose).
    pub webhook_recent: Duration,
    /// The template sent to the owner's number when their 24-hour window is closed: name,
    /// language; it must exist on the WABA with one body parameter (the alert text).
    pub alert_template: (String, String),
    /// How often every account is refreshed.
    pub refresh_every: Duration,
    /// How often every token is checked.
    pub token_check_every: Duration,
}

impl Default for HealthConfig {
    fn default() -> Self {
        Self {
            app_id: None,
            reconnect_url: "/owner".to_owned(),
            renew_before: Duration::days(7),
            webhook_recent: Duration::hours(24),
            alert_template: ("account_alert".to_owned(), "en".to_owned()),
            refresh_every: Duration::days(7),
            token_check_every: Duration::days(1),
        }
    }
}

/// The ports account health needs.
#[derive(Clone)]
pub struct HealthPorts {
    /// Accounts and stores.
    pub central: Arc<dyn CentralRepo>,
    /// Account history.
    pub history: Arc<dyn AccountEventRepo>,
    /// Notifications, alert numbers, templates, jobs.
    pub repo: Arc<dyn HealthRepo>,
    /// Where alerts to the owner are queued.
    pub outbox: Arc<dyn OutboxRepo>,
    /// Tenant figures.
    pub analytics: Arc<dyn TenantAnalyticsPort>,
    /// Opens and seals tokens.
    pub cipher: Arc<dyn TokenCipher>,
    /// Meta, when configured.
    pub graph: Option<Arc<dyn MetaGraphPort>>,
    /// Clock.
    pub clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for HealthPorts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HealthPorts")
    }
}

/// Account health use cases.
#[derive(Clone)]
pub struct Health {
    pub(super) p: HealthPorts,
    pub(super) config: HealthConfig,
}

impl std::fmt::Debug for Health {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Health")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Health {
    /// Wires the service.
    #[must_use]
    pub fn new(ports: HealthPorts, config: HealthConfig) -> Self {
        Self { p: ports, config }
    }

    /// The settings.
    #[must_use]
    pub fn config(&self) -> &HealthConfig {
        &self.config
    }

    /// The storage port (templates and jobs use it too).
    #[must_use]
    pub fn repo(&self) -> &Arc<dyn HealthRepo> {
        &self.p.repo
    }

    pub(super) async fn find(
        &self,
        store: StoreId,
        id: AccountId,
    ) -> Result<WhatsappAccount, AccountError> {
        self.p
            .central
            .find_account(store, id)
            .await?
            .ok_or(AccountError::NotFound)
    }

    pub(super) fn graph(&self) -> Result<&Arc<dyn MetaGraphPort>, AccountError> {
        self.p.graph.as_ref().ok_or(AccountError::MetaNotConfigured)
    }

    pub(super) fn reconnect_link(&self, account: &WhatsappAccount) -> String {
        let base = &self.config.reconnect_url;
        let sep = if base.contains('?') { '&' } else { '?' };
        format!(
            "{base}{sep}whatsapp=reconnect&store_id={}&account_id={}",
            account.store_id, account.id
        )
    }
}

pub(super) fn uuid_v7() -> String {
    uuid::Uuid::now_v7().to_string()
}
