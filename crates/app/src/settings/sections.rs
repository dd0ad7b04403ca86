//! One struct per `[section]` of the configuration file (and `OMNI_<SECTION>__<KEY>`), with
//! the defaults the embedded `config/default.toml` does not give.

use std::collections::BTreeMap;
use std::path::PathBuf;

use secrecy::SecretString;
use serde::Deserialize;

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
