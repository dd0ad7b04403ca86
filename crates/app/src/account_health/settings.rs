//! `[health]` settings: the RED slow-down, the job schedule, token renewal, owner alerts and
//! the `/metrics` endpoint. Every key has a default, so the section is optional.

use secrecy::SecretString;
use serde::Deserialize;

/// Account health, jobs and metrics.
#[derive(Debug, Deserialize)]
#[serde(default)]
pub struct HealthSettings {
    /// Business-initiated messages per second from a number whose quality is RED (replies
    /// to customers keep the normal rate). Fractions allowed (0.2 = one every 5 s).
    pub red_business_mps: f64,
    /// Run the job scheduler in this process (several processes share the jobs).
    pub scheduler_enabled: bool,
    /// How often the scheduler looks for a due job.
    pub scheduler_poll_ms: u64,
    /// How long a claimed job is held before another process may take it over.
    pub job_lease_secs: u64,
    /// Refresh every account from Meta this often.
    pub refresh_every_hours: u64,
    /// Check every token with debug_token this often.
    pub token_check_every_hours: u64,
    /// Renew (system-user) or ask to reconnect (user token) when a token expires within this.
    pub token_renew_before_days: u64,
    /// Diagnose: a webhook within this many hours counts as recent.
    pub webhook_recent_hours: u64,
    /// Template sent to the owner's alert number outside their 24-hour window (one body
    /// parameter: the alert); create it on the WABA through the templates API.
    pub alert_template: String,
    /// Its language.
    pub alert_template_language: String,
    /// Serve `GET /metrics`.
    pub metrics_enabled: bool,
    /// When set, `/metrics` needs `Authorization: Bearer <token>` (`OMNI_HEALTH__METRICS_TOKEN`).
    pub metrics_token: Option<SecretString>,
}

impl Default for HealthSettings {
    fn default() -> Self {
        Self {
            red_business_mps: 1.0,
            scheduler_enabled: true,
            scheduler_poll_ms: 30_000,
            job_lease_secs: 1_800,
            refresh_every_hours: 168,
            token_check_every_hours: 24,
            token_renew_before_days: 7,
            webhook_recent_hours: 24,
            alert_template: "account_alert".to_owned(),
            alert_template_language: "en".to_owned(),
            metrics_enabled: true,
            metrics_token: None,
        }
    }
}
