//! Configuration through the `config` crate: the embedded defaults file, an optional file,
//! then environment variables. The seed's variable names work as they are; everything else is
//! `OMNI_<SECTION>__<KEY>`. Validation happens here, once, so a bad setting stops the process
//! at start with one line naming it.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use config::{Config, Environment, File, FileFormat};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

const DEFAULTS: &str = include_str!("../../../config/default.toml");

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
    pub health: crate::account_health::settings::HealthSettings,
    /// The ordering agent, its model and speech services.
    pub agent: AgentSettings,
    /// Where media (payment screenshots) is kept.
    pub media: MediaSettings,
    /// The sandbox: the Meta simulator in-process when no Meta app is configured.
    #[serde(default)]
    pub sandbox: SandboxSettings,
}

/// `[sandbox]`: what `serve` does when no Meta app is configured (META_APP_ID unset).
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct SandboxSettings {
    /// Run the sandbox when META_APP_ID is unset (default true). With META_APP_ID set it never
    /// runs, whatever this says.
    pub enabled: bool,
    /// The demo owner's email.
    pub demo_email: String,
}

impl Default for SandboxSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            demo_email: "demo@sandbox.omniportal.test".to_owned(),
        }
    }
}

/// The ordering agent.
#[derive(Debug, Deserialize)]
pub struct AgentSettings {
    /// OpenAI-compatible API base URL (`.../v1`); unset: the rule-based agent only.
    pub llm_base_url: Option<String>,
    /// Its API key.
    pub llm_api_key: Option<SecretString>,
    /// Model name.
    pub llm_model: String,
    /// Per request.
    pub llm_timeout_secs: u64,
    /// Tool-call round trips per message.
    pub max_tool_rounds: u32,
    /// Model tokens per store per UTC day.
    pub daily_token_budget: u64,
    /// OpenAI-compatible speech API base URL; unset: voice notes get a text asking to type.
    pub speech_base_url: Option<String>,
    /// Its API key (default: `llm_api_key`).
    pub speech_api_key: Option<SecretString>,
    /// `/audio/transcriptions` model.
    pub transcription_model: String,
    /// `/audio/speech` model.
    pub speech_model: String,
    /// `/audio/speech` voice.
    pub voice: String,
    /// Per speech request.
    pub speech_timeout_secs: u64,
    /// Largest media download.
    pub max_media_bytes: u64,
    /// Messages of history the agent sees.
    pub recent_messages: u32,
}

/// Media storage.
#[derive(Debug, Deserialize)]
pub struct MediaSettings {
    /// `local` or `s3`.
    pub backend: String,
    /// Local directory (default `{data_dir}/media`).
    pub dir: Option<PathBuf>,
    /// S3 bucket.
    pub s3_bucket: Option<String>,
    /// S3 region.
    pub s3_region: Option<String>,
    /// S3 endpoint for non-AWS servers.
    pub s3_endpoint: Option<String>,
    /// S3 access key id.
    pub s3_access_key_id: Option<SecretString>,
    /// S3 secret access key.
    pub s3_secret_access_key: Option<SecretString>,
    /// Allow a plain-HTTP endpoint.
    pub s3_allow_http: bool,
}

/// Owner API.
#[derive(Debug, Deserialize)]
pub struct OwnerSettings {
    /// Where the OAuth callback sends the browser; default `{APP_URL}/owner`.
    pub frontend_url: Option<String>,
    /// How long a login session lasts.
    pub session_ttl_hours: u64,
    /// How long an OAuth `state` stays usable.
    pub oauth_state_ttl_secs: u64,
    /// Login attempts allowed per minute for one email and for one client address.
    pub login_attempts_per_minute: u32,
}

/// The webhook pipeline.
#[derive(Debug, Deserialize)]
pub struct PipelineSettings {
    /// Largest webhook body accepted (Meta's maximum is 3 MiB).
    pub max_body_bytes: usize,
    /// Seconds a request body, on any route, may take to arrive once its headers have (slow
    /// clients get 408; enforced by `http::edge::body_deadline`).
    #[serde(default = "default_body_read_timeout")]
    pub body_read_timeout_secs: u64,
    /// Milliseconds between one number's events in the workers' fair order (start-time fair
    /// queuing; see `pipeline::fair`): a flooding number cannot delay another's events.
    #[serde(default = "default_fair_spacing")]
    pub fair_spacing_ms: u64,
    /// Seconds a claimed outbox message stays with its sender before another may take it over
    /// (after a crash). Unset: `meta.timeout_secs * 4 + 30`, longer than any one send (a media
    /// upload takes up to four Graph timeouts). Shorter than a send risks sending twice.
    #[serde(default)]
    pub message_lease_secs: Option<u64>,
    /// Webhooks committed together at most (group commit).
    pub ingest_batch: usize,
    /// Concurrent committers.
    pub ingest_committers: usize,
    /// Seconds a webhook may wait for its commit before answering 503.
    pub ingest_timeout_secs: u64,
    /// Run inbox workers and outbox senders in this process.
    pub workers_enabled: bool,
    /// Inbox worker loops.
    pub inbox_workers: usize,
    /// Events claimed per loop iteration (processed concurrently).
    pub inbox_batch: u32,
    /// Lease on a claimed event.
    pub inbox_lease_secs: u64,
    /// Attempts before an event is parked as dead.
    pub inbox_max_attempts: u32,
    /// Idle poll interval (new webhooks wake workers at once).
    pub poll_interval_ms: u64,
    /// Lease on a number's sending.
    pub sender_lease_secs: u64,
    /// Messages in flight per number.
    pub sender_concurrency: usize,
    /// Messages per second per number at standard throughput (Meta: 80).
    pub default_mps: u32,
    /// Messages per second per number with Meta's higher throughput.
    pub high_mps: u32,
    /// Messages per recipient per `pair_period_secs` (Meta: 1 per 6 s)...
    pub pair_period_secs: u64,
    /// ...with this burst (Meta: 45).
    pub pair_burst: u32,
    /// Attempts before a retryable send failure (5xx, timeout) is parked.
    pub outbox_max_attempts: u32,
    /// Meta's rate limits are waited out (not counted as attempts) until a message has been
    /// queued this long; then it is parked.
    #[serde(default = "default_rate_limited_max_age")]
    pub outbox_rate_limited_max_age_secs: u64,
    /// Days finished inbox events (and their dedupe keys) are kept; at least 7.
    pub retention_days: u32,
}

/// HTTP server.
#[derive(Debug, Deserialize)]
pub struct ServerSettings {
    /// Address to bind.
    pub host: String,
    /// Port to bind.
    pub port: u16,
    /// Grace period after SIGTERM.
    pub shutdown_timeout_secs: u64,
    /// Worker threads (0 = cores).
    pub workers: usize,
    /// Reverse proxies whose `X-Forwarded-For` names the client (comma-separated addresses
    /// and CIDR blocks; empty = none, the peer is the client).
    #[serde(default)]
    pub trusted_proxies: String,
}

fn default_rate_limited_max_age() -> u64 {
    24 * 3600
}

fn default_body_read_timeout() -> u64 {
    10
}

fn default_fair_spacing() -> u64 {
    100
}

/// Application-wide.
#[derive(Debug, Deserialize)]
pub struct AppSettings {
    /// Public base URL.
    pub url: Option<String>,
    /// Newest encryption key.
    pub key: Option<SecretString>,
    /// Older keys, comma-separated.
    pub previous_keys: Option<SecretString>,
}

/// Databases.
#[derive(Debug, Deserialize)]
pub struct DatabaseSettings {
    /// Central database URL; unset means SQLite under `data_dir`.
    pub url: Option<SecretString>,
    /// Data directory (SQLite files, local key).
    pub data_dir: PathBuf,
    /// Central pool size.
    pub pool_size: usize,
    /// Connections per tenant pool.
    pub tenant_pool_size: usize,
    /// Tenant pools open at once.
    pub max_open_tenant_pools: usize,
    /// Connection wait timeout.
    pub timeout_secs: u64,
    /// Migrate at start-up.
    pub run_migrations: bool,
    /// Prefix of tenant database names.
    pub tenant_database_prefix: String,
    /// Extra Postgres servers for tenant databases, by name (`default` is the central one).
    #[serde(default)]
    pub tenant_servers: BTreeMap<String, SecretString>,
}

/// Logging.
#[derive(Debug, Deserialize)]
pub struct LogSettings {
    /// "pretty" or "json".
    pub format: LogFormat,
    /// Default level filter.
    pub level: String,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable.
    Pretty,
    /// One JSON object per line.
    Json,
}

/// Meta app.
#[derive(Debug, Deserialize)]
pub struct MetaSettings {
    /// App id.
    pub app_id: Option<String>,
    /// App secret.
    pub app_secret: Option<SecretString>,
    /// OAuth redirect URI.
    pub redirect_uri: Option<String>,
    /// Graph API version.
    pub graph_version: String,
    /// Graph API base URL.
    pub graph_base_url: String,
    /// Facebook Login dialog base URL.
    pub dialog_base_url: String,
    /// Embedded Signup configuration id (`config_id`); the classic scope dialog without it.
    pub config_id: Option<String>,
    /// Send `appsecret_proof`.
    pub send_appsecret_proof: bool,
    /// Set by the sandbox only (never read from configuration): the prefix of the tokens its
    /// simulator mints; the Graph client sends no other token ([`omni_meta_graph::GraphConfig`]).
    #[serde(skip)]
    pub sandbox_token_prefix: Option<String>,
    /// Graph API request timeout.
    pub timeout_secs: u64,
    /// Webhook verify token.
    pub webhook_verify_token: Option<SecretString>,
    /// Earlier app secrets still accepted on webhook signatures while Meta's side rotates
    /// (META_PREVIOUS_APP_SECRETS, comma-separated).
    pub previous_app_secrets: Option<SecretString>,
}

/// Legacy single-number configuration.
#[derive(Debug, Deserialize)]
pub struct WhatsappSettings {
    /// Access token.
    pub token: Option<SecretString>,
    /// The one phone_number_id.
    pub phone_id: Option<String>,
    /// The store the legacy number belongs to (default: the only store, if there is one).
    pub store_id: Option<String>,
}

/// A setting that is missing or wrong; displays as one line naming it.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct SettingsError(String);

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

    fn validate(&self) -> Result<(), SettingsError> {
        let bad = |s: &str| Err(SettingsError(s.to_owned()));
        if self.server.host.trim().is_empty() {
            return bad("server.host (OMNI_SERVER__HOST) must not be empty");
        }
        self.trusted_proxies()?;
        if self.database.pool_size == 0 || self.database.tenant_pool_size == 0 {
            return bad("database.pool_size and database.tenant_pool_size must be at least 1");
        }
        if self.database.max_open_tenant_pools == 0 {
            return bad("database.max_open_tenant_pools must be at least 1");
        }
        let prefix = &self.database.tenant_database_prefix;
        if prefix.is_empty()
            || prefix.len() > 20
            || !prefix
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return bad("database.tenant_database_prefix must be 1-20 of [a-z0-9_]");
        }
        self.central_database()?;
        if let Some(url) = &self.app.url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return bad("app.url (APP_URL) must start with http:// or https://");
        }
        for (name, url) in [
            ("meta.graph_base_url", &self.meta.graph_base_url),
            ("meta.dialog_base_url", &self.meta.dialog_base_url),
        ] {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(SettingsError(format!(
                    "{name} must start with http:// or https://"
                )));
            }
        }
        let version_ok = self
            .meta
            .graph_version
            .strip_prefix('v')
            .and_then(|v| v.split_once('.'))
            .is_some_and(|(major, minor)| {
                [major, minor]
                    .iter()
                    .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
            });
        if !version_ok {
            return bad("meta.graph_version must look like v25.0");
        }
        if self.meta.timeout_secs == 0 {
            return bad("meta.timeout_secs must be at least 1");
        }
        if let Some(lease) = self.pipeline.message_lease_secs
            && lease <= self.meta.timeout_secs
        {
            return bad(
                "pipeline.message_lease_secs must be longer than meta.timeout_secs (a send must end within its lease)",
            );
        }
        if let Err(e) = self.health.validate() {
            return bad(e);
        }
        if self.meta.app_id.is_some() && self.meta.app_secret.is_none() {
            return bad("meta.app_secret (META_APP_SECRET) is required when META_APP_ID is set");
        }
        if let Some(id) = &self.whatsapp.phone_id
            && omni_domain::PhoneNumberId::parse(id).is_err()
        {
            return bad(
                "whatsapp.phone_id (WHATSAPP_PHONE_ID) must be Meta's numeric phone_number_id",
            );
        }
        if self.owner.session_ttl_hours == 0 || self.owner.oauth_state_ttl_secs == 0 {
            return bad(
                "owner.session_ttl_hours and owner.oauth_state_ttl_secs must be at least 1",
            );
        }
        if self.owner.login_attempts_per_minute == 0 {
            return bad("owner.login_attempts_per_minute must be at least 1");
        }
        if let Some(url) = &self.owner.frontend_url
            && !(url.starts_with("http://") || url.starts_with("https://") || url.starts_with('/'))
        {
            return bad("owner.frontend_url must be an http(s) URL or a path");
        }
        if let Some(uri) = &self.meta.redirect_uri
            && !(uri.starts_with("http://") || uri.starts_with("https://"))
        {
            return bad(
                "meta.redirect_uri (META_REDIRECT_URI) must start with http:// or https://",
            );
        }
        let p = &self.pipeline;
        if p.max_body_bytes < 1024 || p.ingest_batch == 0 || p.ingest_committers == 0 {
            return bad(
                "pipeline.max_body_bytes must be >= 1024, ingest_batch and ingest_committers >= 1",
            );
        }
        if p.inbox_workers == 0 || p.inbox_batch == 0 || p.sender_concurrency == 0 {
            return bad("pipeline.inbox_workers, inbox_batch and sender_concurrency must be >= 1");
        }
        if p.default_mps == 0 || p.high_mps == 0 || p.pair_burst == 0 || p.pair_period_secs == 0 {
            return bad(
                "pipeline rate limits (default_mps, high_mps, pair_burst, pair_period_secs) must be >= 1",
            );
        }
        if p.retention_days < 7 {
            return bad(
                "pipeline.retention_days must be at least 7 (Meta retries webhooks for 7 days)",
            );
        }
        if let Some(id) = &self.whatsapp.store_id
            && omni_domain::StoreId::parse(id).is_err()
        {
            return bad("whatsapp.store_id (OMNI_WHATSAPP__STORE_ID) must be a store id (UUID)");
        }
        let a = &self.agent;
        for (name, url) in [
            ("agent.llm_base_url", &a.llm_base_url),
            ("agent.speech_base_url", &a.speech_base_url),
        ] {
            if let Some(url) = url
                && !(url.starts_with("http://") || url.starts_with("https://"))
            {
                return Err(SettingsError(format!(
                    "{name} must start with http:// or https://"
                )));
            }
        }
        if a.llm_base_url.is_some() && a.llm_api_key.is_none() {
            return bad(
                "agent.llm_api_key (OMNI_AGENT__LLM_API_KEY) is required with agent.llm_base_url",
            );
        }
        if a.speech_base_url.is_some() && a.speech_api_key.is_none() && a.llm_api_key.is_none() {
            return bad(
                "agent.speech_api_key (or agent.llm_api_key) is required with agent.speech_base_url",
            );
        }
        if a.llm_timeout_secs == 0 || a.speech_timeout_secs == 0 || a.max_tool_rounds == 0 {
            return bad(
                "agent.llm_timeout_secs, speech_timeout_secs and max_tool_rounds must be >= 1",
            );
        }
        if a.max_media_bytes < 1024 || a.recent_messages == 0 {
            return bad("agent.max_media_bytes must be >= 1024 and recent_messages >= 1");
        }
        match self.media.backend.as_str() {
            "local" => {}
            "s3" => {
                if self.media.s3_bucket.is_none()
                    || self.media.s3_access_key_id.is_none()
                    || self.media.s3_secret_access_key.is_none()
                {
                    return bad(
                        "media.backend = \"s3\" needs media.s3_bucket, s3_access_key_id and s3_secret_access_key",
                    );
                }
            }
            _ => return bad("media.backend must be \"local\" or \"s3\""),
        }
        for (name, url) in &self.database.tenant_servers {
            if !is_postgres_url(url.expose_secret()) {
                return Err(SettingsError(format!(
                    "database.tenant_servers.{name} must be a postgres:// URL"
                )));
            }
        }
        Ok(())
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
    pub fn trusted_proxies(&self) -> Result<crate::http::owner::TrustedProxies, SettingsError> {
        crate::http::owner::TrustedProxies::parse(&self.server.trusted_proxies).map_err(|e| {
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

fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(vars: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Settings::load_from(None, &vars)
    }

    #[test]
    fn no_configuration_means_sqlite_under_data_on_localhost_8080() {
        let s = load(&[]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((s.server.host.as_str(), s.server.port), ("127.0.0.1", 8080));
        assert_eq!(
            s.central_database().ok(),
            Some(CentralDatabase::Sqlite(PathBuf::from(
                "./data/central.sqlite"
            )))
        );
        assert_eq!(s.meta.graph_version, "v25.0");
        assert!(!s.meta_configured());
    }

    #[test]
    fn seed_variable_names_are_honoured() {
        let s = load(&[
            ("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/omni"),
            ("APP_URL", "https://shop.example.pk"),
            ("META_APP_ID", "123"),
            ("META_APP_SECRET", "s3cret"),
            ("WHATSAPP_PHONE_ID", "106540352242922"),
            ("WHATSAPP_WEBHOOK_VERIFY_TOKEN", "verify-me"),
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            s.central_database().ok(),
            Some(CentralDatabase::Postgres(
                "postgres://postgres@127.0.0.1:5432/omni".into()
            ))
        );
        assert_eq!(s.app.url.as_deref(), Some("https://shop.example.pk"));
        assert_eq!(
            s.meta
                .webhook_verify_token
                .as_ref()
                .map(|t| t.expose_secret().to_owned()),
            Some("verify-me".into())
        );
        assert!(s.meta_configured());
    }

    #[test]
    fn the_graph_adapter_is_configured_from_the_meta_section() {
        assert!(
            load(&[])
                .map(|s| s.graph_config().is_none())
                .unwrap_or(false)
        );
        let s = load(&[
            ("META_APP_ID", "123"),
            ("META_APP_SECRET", "s3cret"),
            ("OMNI_META__GRAPH_BASE_URL", "http://127.0.0.1:9999"),
            ("OMNI_META__GRAPH_VERSION", "v26.0"),
            ("OMNI_META__TIMEOUT_SECS", "3"),
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        let g = s
            .graph_config()
            .unwrap_or_else(|| panic!("no graph config"));
        assert_eq!(
            (
                g.app_id.as_str(),
                g.graph_base_url.as_str(),
                g.version.as_str()
            ),
            ("123", "http://127.0.0.1:9999", "v26.0")
        );
        assert_eq!(g.app_secret.expose_secret(), "s3cret");
        assert_eq!(g.timeout, std::time::Duration::from_secs(3));
        assert_eq!(g.dialog_base_url, "https://www.facebook.com");
    }

    #[test]
    fn bad_settings_name_the_setting() {
        let cases = [
            (("DATABASE_URL", "mysql://x"), "DATABASE_URL"),
            (("APP_URL", "shop.example.pk"), "APP_URL"),
            (("META_APP_ID", "1"), "META_APP_SECRET"),
            (("WHATSAPP_PHONE_ID", "abc"), "WHATSAPP_PHONE_ID"),
            (("OMNI_META__GRAPH_VERSION", "25"), "meta.graph_version"),
            (
                ("OMNI_META__GRAPH_BASE_URL", "graph.facebook.com"),
                "meta.graph_base_url",
            ),
            (("OMNI_META__TIMEOUT_SECS", "0"), "meta.timeout_secs"),
            (("OMNI_SERVER__PORT", "abc"), "server.port"),
            (
                ("OMNI_SERVER__TRUSTED_PROXIES", "10.0.0.0/8, nginx"),
                "OMNI_SERVER__TRUSTED_PROXIES",
            ),
        ];
        for ((var, value), named) in cases {
            let err = load(&[(var, value)])
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(err.contains(named), "{var}={value}: {err}");
            assert!(!err.contains('\n'), "one line: {err}");
        }
    }
}
