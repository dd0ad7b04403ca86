//! The state every HTTP handler receives: the services (and through them the ports) plus the
//! HTTP side's own configuration, a handful of fields.

use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;

use crate::http::VerifyTokenIndex;
use crate::http::owner::LoginLimiter;
use crate::pipeline::ingest::Ingest;
use crate::sandbox::Sandbox;
use crate::settings::Settings;
use crate::startup::Services;

/// Everything the HTTP handlers use: the services and the HTTP side's own configuration.
#[derive(Clone)]
pub struct AppState {
    /// Every use case, and the ports they were built from.
    pub services: Services,
    /// What the webhook endpoint needs.
    pub webhook: WebhookState,
    /// Login attempts per minute, per email and per client address.
    pub login_limiter: Arc<LoginLimiter>,
    /// Where the OAuth callback sends the owner's browser.
    pub owner_frontend_url: String,
    /// Cookies get `Secure` (the public URL is https).
    pub cookies_secure: bool,
    /// `[health]` settings the HTTP side needs (`/metrics` access).
    pub metrics_enabled: bool,
    /// Bearer token `/metrics` asks for, when set.
    pub metrics_token: Option<SecretString>,
    /// The sandbox (simulated Meta in-process), when `serve` runs without a Meta app.
    pub sandbox: Option<Sandbox>,
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
    pub verify_index: Arc<VerifyTokenIndex>,
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

impl AppState {
    /// Builds the state: migrates (unless disabled), then [`crate::startup::Ports::from_settings`],
    /// [`Services::new`] and the HTTP side's configuration.
    ///
    /// # Errors
    /// A message naming what could not be set up.
    pub async fn build(settings: &Settings) -> anyhow::Result<Self> {
        Self::new(crate::startup::services(settings).await?, settings)
    }

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
            login_limiter: Arc::new(LoginLimiter::new(
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
