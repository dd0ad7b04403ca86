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

impl HealthSettings {
    /// The first bad value, named.
    ///
    /// # Errors
    /// A message naming the setting.
    pub fn validate(&self) -> Result<(), &'static str> {
        if !(self.red_business_mps.is_finite() && self.red_business_mps > 0.0) {
            return Err("health.red_business_mps must be a number above 0 (e.g. 0.5 or 1)");
        }
        if self.alert_template.trim().is_empty() || self.alert_template_language.trim().is_empty() {
            return Err(
                "health.alert_template and health.alert_template_language must not be empty",
            );
        }
        if self
            .metrics_token
            .as_ref()
            .is_some_and(|t| secrecy::ExposeSecret::expose_secret(t).trim().len() < 16)
        {
            return Err("health.metrics_token must be at least 16 characters");
        }
        Ok(())
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zero_red_rate_and_a_short_metrics_token_are_refused() {
        assert!(HealthSettings::default().validate().is_ok());
        for mps in [0.0, -1.0, f64::NAN] {
            let s = HealthSettings {
                red_business_mps: mps,
                ..HealthSettings::default()
            };
            assert!(s.validate().is_err(), "{mps}");
        }
        let s = HealthSettings {
            metrics_token: Some(SecretString::from("short".to_owned())),
            ..HealthSettings::default()
        };
        assert!(s.validate().is_err());
    }
}
