//! Wiring, in three steps: [`Ports::from_settings`] chooses every adapter (the only code
//! that names one), [`Services::new`] builds every use case from the ports, and
//! [`AppState`] adds the HTTP side's configuration. [`build`] runs the three; a test that
//! swaps a port calls [`prepare`], replaces a field of the [`Ports`], then the other two.

mod ports;
mod services;

use std::sync::Arc;
use std::time::Duration;

use omni_sql::{DbTarget, Schema, run_migrations};
use secrecy::SecretString;

pub use ports::{Ports, SystemClock};
pub use services::Services;

use crate::pipeline::ingest::Ingest;
use crate::settings::{CentralDatabase, Settings};

/// Everything the HTTP handlers use: the services and the HTTP side's own configuration.
#[derive(Clone)]
pub struct AppState {
    /// Every use case, and the ports they were built from.
    pub services: Services,
    /// What the webhook endpoint needs.
    pub webhook: WebhookState,
    /// Login attempts per minute, per email and per client address.
    pub login_limiter: Arc<crate::http::owner::LoginLimiter>,
    /// Where the OAuth callback sends the owner's browser.
    pub owner_frontend_url: String,
    /// Cookies get `Secure` (the public URL is https).
    pub cookies_secure: bool,
    /// `[health]` settings the HTTP side needs (`/metrics` access).
    pub metrics_enabled: bool,
    /// Bearer token `/metrics` asks for, when set.
    pub metrics_token: Option<SecretString>,
    /// The sandbox (simulated Meta in-process), when `serve` runs without a Meta app.
    pub sandbox: Option<crate::sandbox::Sandbox>,
}

/// Transitional: `state.commerce`, `state.central` reach the services and their ports until
/// every handler names `state.services` (removed when the HTTP layer's sweep lands).
impl std::ops::Deref for AppState {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.services
    }
}

/// The webhook endpoint's secrets and its group committer.
#[derive(Clone)]
pub struct WebhookState {
    /// App secrets accepted on signatures (current first).
    pub secrets: Arc<Vec<SecretString>>,
    /// The app's verify token.
    pub verify_token: Option<SecretString>,
    /// Group commit into the inbox.
    pub ingest: Ingest,
    /// Largest body accepted.
    pub max_body_bytes: usize,
    /// How long a body may take to arrive.
    pub body_read_timeout: Duration,
    /// The accounts' own verify tokens, by digest.
    pub verify_index: Arc<crate::http::VerifyTokenIndex>,
}

impl std::fmt::Debug for WebhookState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookState")
            .field("secrets", &self.secrets.len())
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AppState")
    }
}

/// The central database target from the settings.
///
/// # Errors
/// When DATABASE_URL is invalid.
pub fn central_target(settings: &Settings) -> anyhow::Result<DbTarget> {
    Ok(match settings.central_database()? {
        CentralDatabase::Postgres(url) => DbTarget::Postgres(url),
        CentralDatabase::Sqlite(path) => DbTarget::Sqlite(path),
    })
}

/// Migrates the central database (tenant databases migrate when opened).
///
/// # Errors
/// When the database is unreachable or a migration fails.
pub async fn migrate_central(settings: &Settings) -> anyhow::Result<usize> {
    let target = central_target(settings)?;
    if let DbTarget::Sqlite(path) = &target
        && let Some(dir) = path.parent()
    {
        std::fs::create_dir_all(dir)?;
    }
    let ran = run_migrations(&target, Schema::Central).await?;
    if ran > 0 {
        tracing::info!(migrations = ran, "central database migrated");
    }
    Ok(ran)
}

/// Builds the state: migrates (unless disabled), then [`Ports::from_settings`],
/// [`Services::new`] and the HTTP side's configuration.
///
/// # Errors
/// A message naming what could not be set up.
pub async fn build(settings: &Settings) -> anyhow::Result<AppState> {
    AppState::new(services(settings).await?, settings)
}

/// [`prepare`] and [`Services::new`]: what the CLI's commands other than `serve` run on.
///
/// # Errors
/// A message naming what could not be set up.
pub async fn services(settings: &Settings) -> anyhow::Result<Services> {
    Ok(Services::new(&prepare(settings).await?, settings))
}

/// Creates the data directory, migrates the central database (unless disabled) and builds
/// the ports: what [`build`] does before the services, for callers (tests) that swap a port.
///
/// # Errors
/// A message naming what could not be set up.
pub async fn prepare(settings: &Settings) -> anyhow::Result<Ports> {
    std::fs::create_dir_all(&settings.database.data_dir).map_err(|e| {
        anyhow::anyhow!(
            "cannot create data directory {}: {e}",
            settings.database.data_dir.display()
        )
    })?;
    if settings.database.run_migrations {
        migrate_central(settings).await?;
    }
    Ports::from_settings(settings)
}

impl AppState {
    /// The state over `services`, with the HTTP side's settings.
    ///
    /// # Errors
    /// When `owner.trusted_proxies` does not parse.
    pub fn new(services: Services, settings: &Settings) -> anyhow::Result<Self> {
        let p = &settings.pipeline;
        Ok(Self {
            webhook: WebhookState {
                secrets: Arc::new(settings.webhook_secrets()),
                verify_token: settings.meta.webhook_verify_token.clone(),
                ingest: services.ingest.clone(),
                max_body_bytes: p.max_body_bytes,
                body_read_timeout: Duration::from_secs(p.body_read_timeout_secs.max(1)),
                verify_index: Arc::default(),
            },
            login_limiter: Arc::new(crate::http::owner::LoginLimiter::new(
                settings.owner.login_attempts_per_minute,
                settings.trusted_proxies()?,
            )),
            owner_frontend_url: settings.owner_frontend_url(),
            cookies_secure: settings
                .meta
                .redirect_uri
                .as_deref()
                .or(settings.app.url.as_deref())
                .is_some_and(|u| u.starts_with("https://")),
            metrics_enabled: settings.health.metrics_enabled,
            metrics_token: settings.health.metrics_token.clone(),
            sandbox: None,
            services,
        })
    }
}
