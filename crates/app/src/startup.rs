//! Wiring: builds every adapter from the settings and hands them to the use cases as
//! `Arc<dyn Port>`, in one `AppState` built outside the HTTP server.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use omni_crypto::{AesGcmTokenCipher, Argon2PasswordHasher, RingSecretTokens};
use omni_memory::SystemClock;
use omni_meta_graph::MetaGraphClient;
use omni_ports::{
    AccountEventRepo, CentralRepo, Clock, InboxRepo, LegacyStoreRepo, MetaGraphPort, OutboxRepo,
    OwnerAuthRepo, PasswordHasherPort, SecretTokens, TenantRepoPort, TokenCipher,
};
use omni_ports::{CommerceRepo, MediaStorePort};
use omni_sql::{
    DbPool, DbTarget, Schema, SqlAccountEventRepo, SqlCentralRepo, SqlInboxRepo,
    SqlLegacyStoreRepo, SqlOutboxRepo, SqlOwnerAuthRepo, SqlTenantRepo, TenantConfig,
    run_migrations,
};
use omni_usecases::{Accounts, Commerce, Onboarding, OnboardingConfig, OwnerAuth, Registry};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Notify;

use crate::pipeline::ingest::Ingest;

use crate::settings::{CentralDatabase, Settings};

/// Everything the HTTP handlers and CLI commands use.
#[derive(Clone)]
pub struct AppState {
    /// Central registry.
    pub central: Arc<dyn CentralRepo>,
    /// Tenant databases.
    pub tenants: Arc<dyn TenantRepoPort>,
    /// Secrets at rest.
    pub cipher: Arc<dyn TokenCipher>,
    /// Owners and stores.
    pub registry: Registry,
    /// The concrete tenant repo, to close its pools on shutdown.
    pub sql_tenants: Arc<SqlTenantRepo>,
    /// Meta's Graph API, when a Meta app is configured (META_APP_ID); `None` until the
    /// sandbox mounts the simulator.
    pub graph: Option<Arc<dyn MetaGraphPort>>,
    /// Wall clock.
    pub clock: Arc<dyn Clock>,
    /// Owner login sessions and OAuth states.
    pub owner_sessions: Arc<dyn OwnerAuthRepo>,
    /// Random secrets, digests and state signatures.
    pub secret_tokens: Arc<dyn SecretTokens>,
    /// Owner login, authentication, logout.
    pub owner_auth: OwnerAuth,
    /// A store's WhatsApp accounts.
    pub accounts: Accounts,
    /// Connecting numbers through Meta.
    pub onboarding: Onboarding,
    /// The seed's single-number columns (`omniportal migrate-legacy`).
    pub legacy: Arc<dyn LegacyStoreRepo>,
    /// Where the OAuth callback sends the owner's browser.
    pub owner_frontend_url: String,
    /// Cookies get `Secure` (the public URL is https).
    pub cookies_secure: bool,
    /// Login attempts per minute, per email and per client address.
    pub login_limiter: Arc<crate::http::owner::LoginLimiter>,
    /// The webhook inbox.
    pub inbox: Arc<dyn InboxRepo>,
    /// The outbox.
    pub outbox: Arc<dyn OutboxRepo>,
    /// Account history.
    pub history: Arc<dyn AccountEventRepo>,
    /// What the webhook endpoint needs.
    pub webhook: WebhookState,
    /// Wakes inbox workers and senders when something new is stored.
    pub wake: Arc<Notify>,
    /// Orders, menu, settings and the agent's budget in the tenant databases.
    pub commerce_repo: Arc<dyn CommerceRepo>,
    /// Payment screenshots.
    pub media: Arc<dyn MediaStorePort>,
    /// The owner's ordering operations.
    pub commerce: Commerce,
    /// The ordering agent's parts.
    pub agent: crate::commerce_wiring::AgentWiring,
    /// Notifications, alert numbers, templates, jobs (account health).
    pub health_repo: Arc<dyn omni_ports::HealthRepo>,
    /// Per-day figures from the tenant databases.
    pub analytics: Arc<dyn omni_ports::TenantAnalyticsPort>,
    /// Account health: history, notifications, token checks, diagnose, jobs.
    pub health: omni_usecases::health::Health,
    /// A WABA's message templates.
    pub templates: omni_usecases::templates::Templates,
    /// `[health]` settings the HTTP side needs (`/metrics` access).
    pub metrics_enabled: bool,
    /// Bearer token `/metrics` asks for, when set.
    pub metrics_token: Option<SecretString>,
    /// The sandbox (simulated Meta in-process), when `serve` runs without a Meta app.
    pub sandbox: Option<crate::sandbox::Sandbox>,
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

/// Builds the state: migrates (unless disabled), opens pools, loads keys.
///
/// # Errors
/// A message naming what could not be set up.
pub async fn build(settings: &Settings) -> anyhow::Result<AppState> {
    std::fs::create_dir_all(&settings.database.data_dir).map_err(|e| {
        anyhow::anyhow!(
            "cannot create data directory {}: {e}",
            settings.database.data_dir.display()
        )
    })?;
    let target = central_target(settings)?;
    if settings.database.run_migrations {
        migrate_central(settings).await?;
    }
    let timeout = Duration::from_secs(settings.database.timeout_secs.max(1));
    let central_pool = DbPool::new(&target, settings.database.pool_size, timeout)?;

    let mut servers: BTreeMap<String, String> = settings
        .database
        .tenant_servers
        .iter()
        .map(|(k, v)| (k.clone(), v.expose_secret().to_owned()))
        .collect();
    let default_server = match &target {
        DbTarget::Postgres(url) => {
            servers
                .entry("default".to_owned())
                .or_insert_with(|| url.clone());
            Some("default".to_owned())
        }
        DbTarget::Sqlite(_) => None,
    };
    let sql_tenants = Arc::new(SqlTenantRepo::new(
        central_pool.clone(),
        TenantConfig {
            data_dir: settings.database.data_dir.clone(),
            servers,
            default_server,
            database_prefix: settings.database.tenant_database_prefix.clone(),
            pool_size: settings.database.tenant_pool_size,
            max_open_pools: settings.database.max_open_tenant_pools,
            timeout,
        },
    ));
    let keyring = crate::keys::load_keyring(settings)?;
    let cipher: Arc<dyn TokenCipher> = Arc::new(AesGcmTokenCipher::new(&keyring)?);
    let inbox: Arc<dyn InboxRepo> = Arc::new(SqlInboxRepo::new(central_pool.clone()));
    let outbox: Arc<dyn OutboxRepo> = Arc::new(SqlOutboxRepo::new(central_pool.clone()));
    let history: Arc<dyn AccountEventRepo> =
        Arc::new(SqlAccountEventRepo::new(central_pool.clone()));
    let secret_tokens: Arc<dyn SecretTokens> = Arc::new(RingSecretTokens::new(&keyring));
    let owner_sessions: Arc<dyn OwnerAuthRepo> =
        Arc::new(SqlOwnerAuthRepo::new(central_pool.clone()));
    let legacy: Arc<dyn LegacyStoreRepo> = Arc::new(SqlLegacyStoreRepo::new(central_pool.clone()));
    let central_pool_for_health = central_pool.clone();
    let central: Arc<dyn CentralRepo> = Arc::new(SqlCentralRepo::new(central_pool));
    let tenants: Arc<dyn TenantRepoPort> = sql_tenants.clone();
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let passwords: Arc<dyn PasswordHasherPort> = Arc::new(Argon2PasswordHasher::new());
    let registry = Registry::new(
        central.clone(),
        tenants.clone(),
        passwords.clone(),
        clock.clone(),
    );
    let graph = match settings.graph_config() {
        Some(config) => Some(Arc::new(MetaGraphClient::new(config)?) as Arc<dyn MetaGraphPort>),
        None => None,
    };
    let owner_auth = OwnerAuth::new(
        central.clone(),
        owner_sessions.clone(),
        passwords,
        secret_tokens.clone(),
        clock.clone(),
        Duration::from_secs(settings.owner.session_ttl_hours.saturating_mul(3600)),
    );
    let accounts = Accounts::new(
        central.clone(),
        cipher.clone(),
        graph.clone(),
        clock.clone(),
    );
    let onboarding = Onboarding::new(
        central.clone(),
        owner_sessions.clone(),
        secret_tokens.clone(),
        cipher.clone(),
        graph.clone(),
        clock.clone(),
        OnboardingConfig {
            app_id: settings.meta.app_id.clone(),
            redirect_uri: settings.meta.redirect_uri.clone(),
            config_id: settings.meta.config_id.clone(),
            state_ttl: Duration::from_secs(settings.owner.oauth_state_ttl_secs),
        },
    );
    let login_limiter = Arc::new(crate::http::owner::LoginLimiter::new(
        settings.owner.login_attempts_per_minute,
        settings.trusted_proxies()?,
    ));
    let wake = Arc::new(Notify::new());
    let p = &settings.pipeline;
    let webhook = WebhookState {
        secrets: Arc::new(settings.webhook_secrets()),
        verify_token: settings.meta.webhook_verify_token.clone(),
        ingest: Ingest::start(
            inbox.clone(),
            p.ingest_committers,
            p.ingest_batch,
            Duration::from_secs(p.ingest_timeout_secs.max(1)),
            Duration::from_millis(p.fair_spacing_ms),
            wake.clone(),
        ),
        max_body_bytes: p.max_body_bytes,
        body_read_timeout: Duration::from_secs(p.body_read_timeout_secs.max(1)),
        verify_index: Arc::default(),
    };
    let commerce_repo: Arc<dyn CommerceRepo> = sql_tenants.clone();
    let media = crate::commerce_wiring::media(settings)?;
    let commerce = Commerce::new(
        central.clone(),
        tenants.clone(),
        commerce_repo.clone(),
        outbox.clone(),
        media.clone(),
        clock.clone(),
    );
    let agent = crate::commerce_wiring::agent(settings)?;
    let health_repo: Arc<dyn omni_ports::HealthRepo> =
        Arc::new(omni_sql::SqlHealthRepo::new(central_pool_for_health));
    let analytics: Arc<dyn omni_ports::TenantAnalyticsPort> = sql_tenants.clone();
    let (health, templates) = crate::account_health::services_from(
        omni_usecases::health::HealthPorts {
            central: central.clone(),
            history: history.clone(),
            repo: health_repo.clone(),
            outbox: outbox.clone(),
            analytics: analytics.clone(),
            cipher: cipher.clone(),
            graph: graph.clone(),
            clock: clock.clone(),
        },
        settings,
    );
    Ok(AppState {
        commerce_repo,
        media,
        commerce,
        agent,
        owner_sessions,
        secret_tokens,
        owner_auth,
        accounts,
        onboarding,
        legacy,
        owner_frontend_url: settings.owner_frontend_url(),
        cookies_secure: settings
            .meta
            .redirect_uri
            .as_deref()
            .or(settings.app.url.as_deref())
            .is_some_and(|u| u.starts_with("https://")),
        login_limiter,
        central,
        tenants,
        cipher,
        registry,
        sql_tenants,
        graph,
        clock,
        inbox,
        outbox,
        history,
        webhook,
        wake,
        health_repo,
        analytics,
        health,
        templates,
        metrics_enabled: settings.health.metrics_enabled,
        metrics_token: settings.health.metrics_token.clone(),
        sandbox: None,
    })
}
