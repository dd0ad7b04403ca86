//! Configuration through the `config` crate: the embedded defaults file, an optional file,
//! then environment variables. The seed's variable names work as they are; everything else is
//! `OMNI_<SECTION>__<KEY>`. Validation happens here, once, so a bad setting stops the process
//! at start with one line naming it.
//!
//! The parts: [`sections`] holds one struct per `[section]` of the file, `validate` checks
//! them all at load, [`proxies`] parses `server.trusted_proxies`, [`health`] is the
//! `[health]` section (number quality, jobs, metrics).

mod health;
mod proxies;
mod sections;
#[cfg(test)]
mod tests;
mod validate;

pub use health::HealthSettings;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use config::{Config, Environment, File, FileFormat};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

pub use proxies::TrustedProxies;
pub use sections::*;

const DEFAULTS: &str = include_str!("../../../../config/default.toml");

/// The seed's environment variable names and the setting each sets.
pub const SEED_VARIABLES: &[(&str, &str)] = &[
    ("APP_URL", "app.url"),
    ("APP_KEY", "app.key"),
    ("APP_PREVIOUS_KEYS", "app.previous_keys"),
    ("META_APP_ID", "meta.app_id"),
    ("META_APP_SECRET", "meta.app_secret"),
    ("META_REDIRECT_URI", "meta.redirect_uri"),
    ("META_CONFIG_ID", "meta.config_id"),
    ("WHATSAPP_TOKEN", "whatsapp.token"),
    ("WHATSAPP_PHONE_ID", "whatsapp.phone_id"),
    ("WHATSAPP_WEBHOOK_VERIFY_TOKEN", "meta.webhook_verify_token"),
    ("META_PREVIOUS_APP_SECRETS", "meta.previous_app_secrets"),
    ("DATABASE_URL", "database.url"),
];

/// Every setting.
#[derive(Debug, Deserialize)]
pub struct Settings {
    /// HTTP server.
    pub server: ServerSettings,
    /// Application-wide.
    pub app: AppSettings,
    /// Databases.
    pub database: DatabaseSettings,
    /// Logging.
    pub log: LogSettings,
    /// Meta app.
    pub meta: MetaSettings,
    /// Legacy single-number configuration.
    pub whatsapp: WhatsappSettings,
    /// The webhook pipeline: ingest, inbox workers, outbox senders.
    pub pipeline: PipelineSettings,
    /// Owner API.
    pub owner: OwnerSettings,
    /// Account health, scheduled jobs, metrics (`[health]`, all optional).
    #[serde(default)]
    pub health: HealthSettings,
    /// The ordering agent, its model and speech services.
    pub agent: AgentSettings,
    /// Where media (payment screenshots) is kept.
    pub media: MediaSettings,
    /// The sandbox: the Meta simulator in-process when no Meta app is configured.
    #[serde(default)]
    pub sandbox: SandboxSettings,
}

/// A setting that is missing or wrong; displays as one line naming it.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct SettingsError(pub(crate) String);

/// The central database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CentralDatabase {
    /// Postgres at this URL.
    Postgres(String),
    /// SQLite file.
    Sqlite(PathBuf),
}

impl Settings {
    /// Loads the layers from the process environment.
    ///
    /// # Errors
    /// [`SettingsError`] naming the first bad setting.
    pub fn load(file: Option<&Path>) -> Result<Self, SettingsError> {
        Self::load_from(file, &std::env::vars().collect())
    }

    /// Loads the layers with a given environment (tests).
    ///
    /// # Errors
    /// [`SettingsError`] naming the first bad setting.
    pub fn load_from(
        file: Option<&Path>,
        env: &HashMap<String, String>,
    ) -> Result<Self, SettingsError> {
        let mut builder = Config::builder().add_source(File::from_str(DEFAULTS, FileFormat::Toml));
        if let Some(file) = file {
            builder = builder.add_source(File::from(file).required(true));
        }
        let vars: HashMap<String, String> = env
            .iter()
            .filter(|(k, _)| k.starts_with("OMNI_") && k.as_str() != "OMNI_CONFIG")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        builder = builder.add_source(
            Environment::with_prefix("OMNI")
                .prefix_separator("_")
                .separator("__")
                .try_parsing(true)
                .source(Some(vars)),
        );
        for (var, key) in SEED_VARIABLES {
            let value = env.get(*var).filter(|v| !v.trim().is_empty()).cloned();
            builder = builder
                .set_override_option(*key, value)
                .map_err(|e| SettingsError(format!("{var}: {e}")))?;
        }
        let settings: Settings = builder
            .build()
            .and_then(Config::try_deserialize)
            .map_err(|e| SettingsError(e.to_string()))?;
        settings.validate()?;
        Ok(settings)
    }

    /// Where the central database is.
    ///
    /// # Errors
    /// When DATABASE_URL is neither Postgres nor SQLite.
    pub fn central_database(&self) -> Result<CentralDatabase, SettingsError> {
        let Some(url) = &self.database.url else {
            return Ok(CentralDatabase::Sqlite(
                self.database.data_dir.join("central.sqlite"),
            ));
        };
        let url = url.expose_secret();
        if is_postgres_url(url) {
            return Ok(CentralDatabase::Postgres(url.to_owned()));
        }
        if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            if path.is_empty() {
                return Err(SettingsError(
                    "database.url (DATABASE_URL): sqlite:// needs a file path".into(),
                ));
            }
            return Ok(CentralDatabase::Sqlite(PathBuf::from(path)));
        }
        Err(SettingsError(
            "database.url (DATABASE_URL) must start with postgres://, postgresql:// or sqlite://"
                .into(),
        ))
    }

    /// The owner frontend URL the OAuth callback redirects to.
    #[must_use]
    pub fn owner_frontend_url(&self) -> String {
        match (&self.owner.frontend_url, &self.app.url) {
            (Some(url), _) => url.clone(),
            (None, Some(app)) => format!("{}/owner", app.trim_end_matches('/')),
            (None, None) => "/owner".to_owned(),
        }
    }

    /// `server.trusted_proxies`, parsed.
    ///
    /// # Errors
    /// An entry that is neither an address nor a CIDR block.
    pub fn trusted_proxies(&self) -> Result<TrustedProxies, SettingsError> {
        TrustedProxies::parse(&self.server.trusted_proxies).map_err(|e| {
            SettingsError(format!(
                "server.trusted_proxies (OMNI_SERVER__TRUSTED_PROXIES): {e}"
            ))
        })
    }

    /// Every app secret a webhook signature may be made with: the current one first.
    #[must_use]
    pub fn webhook_secrets(&self) -> Vec<SecretString> {
        let mut all: Vec<SecretString> = self.meta.app_secret.iter().cloned().collect();
        if let Some(previous) = &self.meta.previous_app_secrets {
            all.extend(
                previous
                    .expose_secret()
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| SecretString::from(s.to_owned())),
            );
        }
        all
    }

    /// Whether a real Meta app is configured (otherwise the service runs against the simulator).
    #[must_use]
    pub fn meta_configured(&self) -> bool {
        self.meta.app_id.is_some()
    }

    /// Whether `serve` runs the sandbox: only without a Meta app (META_APP_ID unset), and
    /// unless `sandbox.enabled` is false. A configured Meta app always wins, so the sandbox
    /// cannot be switched on next to real Meta by any setting.
    #[must_use]
    pub fn sandbox_wanted(&self) -> bool {
        self.sandbox.enabled && !self.meta_configured()
    }

    /// The Graph adapter's configuration for the configured Meta app, `None` without one.
    #[must_use]
    pub fn graph_config(&self) -> Option<omni_meta_graph::GraphConfig> {
        let (Some(app_id), Some(secret)) = (&self.meta.app_id, &self.meta.app_secret) else {
            return None;
        };
        let mut config = omni_meta_graph::GraphConfig::new(app_id.clone(), secret.clone());
        config.graph_base_url.clone_from(&self.meta.graph_base_url);
        config
            .dialog_base_url
            .clone_from(&self.meta.dialog_base_url);
        config.version.clone_from(&self.meta.graph_version);
        config.send_appsecret_proof = self.meta.send_appsecret_proof;
        config.timeout = std::time::Duration::from_secs(self.meta.timeout_secs);
        config.media_timeout = config.timeout * 4;
        config
            .required_token_prefix
            .clone_from(&self.meta.sandbox_token_prefix);
        Some(config)
    }
}

pub(crate) fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}
