//! [`Ports`]: every adapter, chosen from the settings in one place. This is the only code in
//! the workspace that names a concrete adapter (`Sql*`, `AesGcmTokenCipher`, `OpenAiAgent`,
//! ...); everything after it sees `Arc<dyn Port>`. A test swaps any field before
//! [`super::Services::new`] runs, so the swap reaches every use case.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use omni_crypto::{AesGcmTokenCipher, Argon2PasswordHasher, RingSecretTokens};
use omni_media::{ObjectMediaStore, S3Config};
use omni_meta_graph::MetaGraphClient;
use omni_openai::{OpenAiAgent, OpenAiConfig, OpenAiSpeech};
use omni_ports::{
    AccountEventRepo, AiAgentPort, CentralRepo, Clock, CommerceRepo, HealthRepo, InboxRepo,
    LegacyStoreRepo, MediaStorePort, MetaGraphPort, OutboxRepo, OwnerAuthRepo, PasswordHasherPort,
    SecretTokens, SpeechPort, TenantAnalyticsPort, TenantRepoPort, TokenCipher,
};
use omni_rules_agent::RulesAgent;
use omni_sql::{
    DbPool, DbTarget, SqlAccountEventRepo, SqlCentralRepo, SqlHealthRepo, SqlInboxRepo,
    SqlLegacyStoreRepo, SqlOutboxRepo, SqlOwnerAuthRepo, SqlTenantRepo, TenantConfig,
};
use secrecy::ExposeSecret;

use crate::settings::Settings;

/// The wall clock: [`Utc::now`]. (Production's clock; the in-memory crate keeps only the
/// manual one tests move.)
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Every adapter the services are built from. Fields are public so a test can replace any
/// of them between [`Ports::from_settings`] and [`super::Services::new`].
#[derive(Clone)]
pub struct Ports {
    /// Owners, stores, accounts, secrets.
    pub central: Arc<dyn CentralRepo>,
    /// Customers, conversations, messages, menu, orders in the tenant databases.
    pub tenants: Arc<dyn TenantRepoPort>,
    /// Orders, menu, settings and the agent's budget in the tenant databases.
    pub commerce_repo: Arc<dyn CommerceRepo>,
    /// Notifications, alert numbers, templates, jobs.
    pub health_repo: Arc<dyn HealthRepo>,
    /// Per-day figures from the tenant databases.
    pub analytics: Arc<dyn TenantAnalyticsPort>,
    /// The webhook inbox.
    pub inbox: Arc<dyn InboxRepo>,
    /// The outbox.
    pub outbox: Arc<dyn OutboxRepo>,
    /// Account history.
    pub history: Arc<dyn AccountEventRepo>,
    /// Owner login sessions and OAuth states.
    pub owner_sessions: Arc<dyn OwnerAuthRepo>,
    /// The seed's single-number columns (`omniportal migrate-legacy`).
    pub legacy: Arc<dyn LegacyStoreRepo>,
    /// Secrets at rest.
    pub cipher: Arc<dyn TokenCipher>,
    /// Random secrets, digests and state signatures.
    pub secret_tokens: Arc<dyn SecretTokens>,
    /// Owner passwords.
    pub passwords: Arc<dyn PasswordHasherPort>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Meta's Graph API, when a Meta app is configured (META_APP_ID) or the sandbox is on.
    pub graph: Option<Arc<dyn MetaGraphPort>>,
    /// Payment screenshots.
    pub media: Arc<dyn MediaStorePort>,
    /// The offline rule-based agent (always there, the fallback).
    pub rules_agent: Arc<dyn AiAgentPort>,
    /// The model agent, when `agent.llm_base_url` is set.
    pub model_agent: Option<Arc<dyn AiAgentPort>>,
    /// Speech, when `agent.speech_base_url` is set.
    pub speech: Option<Arc<dyn SpeechPort>>,
    /// The SQL tenant repository's pools, closed on shutdown.
    tenant_pools: Option<Arc<SqlTenantRepo>>,
}

impl std::fmt::Debug for Ports {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ports")
            .field("graph", &self.graph.is_some())
            .field("model_agent", &self.model_agent.is_some())
            .field("speech", &self.speech.is_some())
            .finish_non_exhaustive()
    }
}

impl Ports {
    /// Opens the central pool, the tenant repository, loads the keys and builds every
    /// adapter `settings` names (migrations are [`super::build`]'s business).
    ///
    /// # Errors
    /// A message naming what could not be set up.
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        let target = super::central_target(settings)?;
        let timeout = Duration::from_secs(settings.database.timeout_secs.max(1));
        let pool = DbPool::new(&target, settings.database.pool_size, timeout)?;
        let sql_tenants = Arc::new(SqlTenantRepo::new(
            pool.clone(),
            tenant_config(settings, &target, timeout),
        ));
        let keyring = crate::keys::load_keyring(settings)?;
        let graph = match settings.graph_config() {
            Some(config) => Some(Arc::new(MetaGraphClient::new(config)?) as Arc<dyn MetaGraphPort>),
            None => None,
        };
        let (model_agent, speech) = agent_adapters(settings)?;
        Ok(Self {
            central: Arc::new(SqlCentralRepo::new(pool.clone())),
            tenants: sql_tenants.clone(),
            commerce_repo: sql_tenants.clone(),
            health_repo: Arc::new(SqlHealthRepo::new(pool.clone())),
            analytics: sql_tenants.clone(),
            inbox: Arc::new(SqlInboxRepo::new(pool.clone())),
            outbox: Arc::new(SqlOutboxRepo::new(pool.clone())),
            history: Arc::new(SqlAccountEventRepo::new(pool.clone())),
            owner_sessions: Arc::new(SqlOwnerAuthRepo::new(pool.clone())),
            legacy: Arc::new(SqlLegacyStoreRepo::new(pool)),
            cipher: Arc::new(AesGcmTokenCipher::new(&keyring)?),
            secret_tokens: Arc::new(RingSecretTokens::new(&keyring)),
            passwords: Arc::new(Argon2PasswordHasher::new()),
            clock: Arc::new(SystemClock),
            graph,
            media: media(settings)?,
            rules_agent: Arc::new(RulesAgent),
            model_agent,
            speech,
            tenant_pools: Some(sql_tenants),
        })
    }

    /// Closes the tenant databases' pools (shutdown, tests).
    pub fn close(&self) {
        if let Some(pools) = &self.tenant_pools {
            pools.close_all();
        }
    }
}

/// Where tenant databases live: the configured servers, and on Postgres the central server
/// as `default`.
fn tenant_config(settings: &Settings, target: &DbTarget, timeout: Duration) -> TenantConfig {
    let mut servers: BTreeMap<String, String> = settings
        .database
        .tenant_servers
        .iter()
        .map(|(k, v)| (k.clone(), v.expose_secret().to_owned()))
        .collect();
    let default_server = match target {
        DbTarget::Postgres(url) => {
            servers
                .entry("default".to_owned())
                .or_insert_with(|| url.clone());
            Some("default".to_owned())
        }
        DbTarget::Sqlite(_) => None,
    };
    TenantConfig {
        data_dir: settings.database.data_dir.clone(),
        servers,
        default_server,
        database_prefix: settings.database.tenant_database_prefix.clone(),
        pool_size: settings.database.tenant_pool_size,
        max_open_pools: settings.database.max_open_tenant_pools,
        timeout,
    }
}

/// The model agent and speech adapters from `[agent]`, when their URLs are set.
type AgentAdapters = (Option<Arc<dyn AiAgentPort>>, Option<Arc<dyn SpeechPort>>);

fn agent_adapters(settings: &Settings) -> anyhow::Result<AgentAdapters> {
    let a = &settings.agent;
    let model = match (&a.llm_base_url, &a.llm_api_key) {
        (Some(url), Some(key)) => {
            let config = OpenAiConfig::new(key.clone(), a.llm_model.clone())
                .with_base_url(url.clone())
                .with_timeout(Duration::from_secs(a.llm_timeout_secs))
                .with_max_tool_rounds(a.max_tool_rounds);
            tracing::info!(model = %a.llm_model, "ordering agent: model with the rule-based agent as fallback");
            Some(Arc::new(OpenAiAgent::new(config)?) as Arc<dyn AiAgentPort>)
        }
        _ => {
            tracing::info!("ordering agent: rule-based (no agent.llm_base_url)");
            None
        }
    };
    let speech = match (
        &a.speech_base_url,
        a.speech_api_key.as_ref().or(a.llm_api_key.as_ref()),
    ) {
        (Some(url), Some(key)) => {
            let config = OpenAiConfig::new(key.clone(), a.llm_model.clone())
                .with_base_url(url.clone())
                .with_timeout(Duration::from_secs(a.speech_timeout_secs))
                .with_transcription_model(a.transcription_model.clone())
                .with_speech(a.speech_model.clone(), a.voice.clone());
            Some(Arc::new(OpenAiSpeech::new(config)?) as Arc<dyn SpeechPort>)
        }
        _ => None,
    };
    Ok((model, speech))
}

/// The media store from `[media]`.
fn media(settings: &Settings) -> anyhow::Result<Arc<dyn MediaStorePort>> {
    let m = &settings.media;
    let secret = |k: &Option<secrecy::SecretString>| {
        k.as_ref()
            .map(|k| k.expose_secret().to_owned())
            .unwrap_or_default()
    };
    Ok(match m.backend.as_str() {
        "s3" => Arc::new(ObjectMediaStore::s3(&S3Config {
            bucket: m.s3_bucket.clone().unwrap_or_default(),
            region: m.s3_region.clone().unwrap_or_else(|| "us-east-1".into()),
            endpoint: m.s3_endpoint.clone(),
            access_key_id: secret(&m.s3_access_key_id),
            secret_access_key: secret(&m.s3_secret_access_key),
            allow_http: m.s3_allow_http,
        })?),
        _ => {
            let dir = m
                .dir
                .clone()
                .unwrap_or_else(|| settings.database.data_dir.join("media"));
            Arc::new(ObjectMediaStore::local(&dir)?)
        }
    })
}
