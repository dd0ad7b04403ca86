//! [`Services`]: every use case and the pipeline's processors, built from [`Ports`] and the
//! settings and from nothing else (no adapter is named here). The HTTP handlers, the CLI
//! commands and the background workers all reach the system through one `Services`.

use std::sync::Arc;
use std::time::Duration;

use omni_domain::PhoneNumberId;
use omni_usecases::account_health::{Health, HealthConfig, HealthPorts};
use omni_usecases::agent::{AgentConfig, AgentHandler, AgentPorts, ModelAgent};
use omni_usecases::inbound::{
    AutoReply, ConversationHandler, InboxPorts, InboxProcessor, LegacyRoute,
};
use omni_usecases::outbound::{DispatchPorts, OutboxDispatcher, RetryPolicy};
use omni_usecases::templates::Templates;
use omni_usecases::{Accounts, Commerce, Onboarding, OnboardingConfig, OwnerAuth, Registry};
use secrecy::SecretString;
use tokio::sync::Notify;

use super::Ports;
use crate::pipeline::ingest::Ingest;
use crate::settings::Settings;

/// The use cases and what the pipeline needs to build its processors.
#[derive(Clone)]
pub struct Services {
    /// The adapters everything here was built from.
    pub ports: Ports,
    /// Owners and stores.
    pub registry: Registry,
    /// Owner login, authentication, logout.
    pub owner_auth: OwnerAuth,
    /// A store's WhatsApp accounts.
    pub accounts: Accounts,
    /// Connecting numbers through Meta.
    pub onboarding: Onboarding,
    /// The owner's ordering operations.
    pub commerce: Commerce,
    /// Number health: history, notifications, token checks, diagnose, jobs.
    pub health: Health,
    /// A WABA's message templates.
    pub templates: Templates,
    /// Group commit of webhook events into the inbox.
    pub ingest: Ingest,
    /// Wakes inbox workers and senders when something new is stored.
    pub wake: Arc<Notify>,
    pipeline: PipelineConfig,
}

/// What the processors take from the settings.
#[derive(Clone)]
struct PipelineConfig {
    agent: AgentConfig,
    daily_token_budget: u64,
    retry: RetryPolicy,
    /// The legacy number's token (WHATSAPP_TOKEN).
    legacy_token: Option<SecretString>,
}

impl std::fmt::Debug for Services {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Services")
            .field("ports", &self.ports)
            .finish_non_exhaustive()
    }
}

impl Services {
    /// Builds every use case over `ports`; starts the ingest's committers (call inside a
    /// Tokio runtime).
    #[must_use]
    pub fn new(ports: &Ports, settings: &Settings) -> Self {
        let p = ports.clone();
        let wake = Arc::new(Notify::new());
        let pipe = &settings.pipeline;
        let ingest = Ingest::start(
            p.inbox.clone(),
            pipe.ingest_committers,
            pipe.ingest_batch,
            Duration::from_secs(pipe.ingest_timeout_secs.max(1)),
            Duration::from_millis(pipe.fair_spacing_ms),
            wake.clone(),
        );
        let health_ports = HealthPorts {
            central: p.central.clone(),
            history: p.history.clone(),
            repo: p.health_repo.clone(),
            outbox: p.outbox.clone(),
            analytics: p.analytics.clone(),
            cipher: p.cipher.clone(),
            graph: p.graph.clone(),
            clock: p.clock.clone(),
        };
        Self {
            registry: Registry::new(
                p.central.clone(),
                p.tenants.clone(),
                p.passwords.clone(),
                p.clock.clone(),
            ),
            owner_auth: owner_auth(&p, settings),
            accounts: Accounts::new(
                p.central.clone(),
                p.cipher.clone(),
                p.graph.clone(),
                p.clock.clone(),
            ),
            onboarding: onboarding(&p, settings),
            commerce: Commerce::new(
                p.central.clone(),
                p.tenants.clone(),
                p.commerce_repo.clone(),
                p.outbox.clone(),
                p.media.clone(),
                p.clock.clone(),
            ),
            health: Health::new(health_ports, health_config(settings)),
            templates: Templates::new(
                p.central.clone(),
                p.health_repo.clone(),
                p.outbox.clone(),
                p.cipher.clone(),
                p.graph.clone(),
                p.clock.clone(),
            ),
            ingest,
            wake,
            pipeline: pipeline_config(settings),
            ports: p,
        }
    }

    /// The legacy number and its token, when both are configured and routed.
    fn legacy_token(&self, legacy: Option<&LegacyRoute>) -> Option<(PhoneNumberId, SecretString)> {
        match (legacy, &self.pipeline.legacy_token) {
            (Some(l), Some(token)) => Some((l.phone_number_id.clone(), token.clone())),
            _ => None,
        }
    }

    /// The agent for every store (stores with `ai_enabled` off get their auto-reply text);
    /// the auto-reply rule alone when no Meta app is configured (media cannot be fetched
    /// then).
    #[must_use]
    pub fn conversation_handler(
        &self,
        legacy: Option<&LegacyRoute>,
    ) -> Arc<dyn ConversationHandler> {
        let p = &self.ports;
        let Some(graph) = p.graph.clone() else {
            return Arc::new(AutoReply::new(p.tenants.clone()));
        };
        Arc::new(AgentHandler::new(
            AgentPorts {
                central: p.central.clone(),
                tenants: p.tenants.clone(),
                commerce: p.commerce_repo.clone(),
                graph,
                cipher: p.cipher.clone(),
                media: p.media.clone(),
                clock: p.clock.clone(),
                rules: p.rules_agent.clone(),
                model: p.model_agent.clone().map(|agent| ModelAgent {
                    agent,
                    daily_token_budget: self.pipeline.daily_token_budget,
                }),
                speech: p.speech.clone(),
                legacy_token: self.legacy_token(legacy),
                notifications: Some(p.health_repo.clone()),
            },
            self.pipeline.agent.clone(),
        ))
    }

    /// The inbox processor around `handler`, observed by the number-health use case.
    #[must_use]
    pub fn inbox_processor(
        &self,
        handler: Arc<dyn ConversationHandler>,
        legacy: Option<LegacyRoute>,
    ) -> InboxProcessor {
        let p = &self.ports;
        InboxProcessor::new(
            InboxPorts {
                central: p.central.clone(),
                tenants: p.tenants.clone(),
                outbox: p.outbox.clone(),
                history: p.history.clone(),
                clock: p.clock.clone(),
            },
            handler,
            legacy,
        )
        .with_observer(Arc::new(self.health.clone()))
    }

    /// The outbox dispatcher, when a Meta app is configured.
    #[must_use]
    pub fn dispatcher(&self, legacy: Option<&LegacyRoute>) -> Option<OutboxDispatcher> {
        let p = &self.ports;
        let graph = p.graph.clone()?;
        Some(
            OutboxDispatcher::new(
                DispatchPorts {
                    outbox: p.outbox.clone(),
                    central: p.central.clone(),
                    tenants: p.tenants.clone(),
                    cipher: p.cipher.clone(),
                    graph,
                    clock: p.clock.clone(),
                },
                self.legacy_token(legacy),
                self.pipeline.retry,
            )
            .with_template_check(p.health_repo.clone()),
        )
    }
}

fn owner_auth(p: &Ports, settings: &Settings) -> OwnerAuth {
    OwnerAuth::new(
        p.central.clone(),
        p.owner_sessions.clone(),
        p.passwords.clone(),
        p.secret_tokens.clone(),
        p.clock.clone(),
        Duration::from_secs(settings.owner.session_ttl_hours.saturating_mul(3600)),
    )
}

fn onboarding(p: &Ports, settings: &Settings) -> Onboarding {
    Onboarding::new(
        p.central.clone(),
        p.owner_sessions.clone(),
        p.secret_tokens.clone(),
        p.cipher.clone(),
        p.graph.clone(),
        p.clock.clone(),
        OnboardingConfig {
            app_id: settings.meta.app_id.clone(),
            redirect_uri: settings.meta.redirect_uri.clone(),
            config_id: settings.meta.config_id.clone(),
            state_ttl: Duration::from_secs(settings.owner.oauth_state_ttl_secs),
        },
    )
}

fn pipeline_config(settings: &Settings) -> PipelineConfig {
    let (a, p) = (&settings.agent, &settings.pipeline);
    PipelineConfig {
        agent: AgentConfig {
            max_media_bytes: a.max_media_bytes,
            recent_messages: a.recent_messages,
        },
        daily_token_budget: a.daily_token_budget,
        retry: RetryPolicy {
            max_attempts: p.outbox_max_attempts,
            rate_limited_max_age: Duration::from_secs(p.outbox_rate_limited_max_age_secs),
        },
        legacy_token: settings.whatsapp.token.clone(),
    }
}

/// The health use-case settings from `[health]`, `[meta]` and `[owner]`.
#[must_use]
fn health_config(settings: &Settings) -> HealthConfig {
    let h = &settings.health;
    let hours = |n: u64| chrono::Duration::hours(i64::try_from(n).unwrap_or(i64::MAX / 4_000_000));
    HealthConfig {
        app_id: settings.meta.app_id.clone(),
        reconnect_url: settings.owner_frontend_url(),
        renew_before: hours(h.token_renew_before_days.saturating_mul(24)),
        webhook_recent: hours(h.webhook_recent_hours),
        alert_template: (h.alert_template.clone(), h.alert_template_language.clone()),
        refresh_every: hours(h.refresh_every_hours.max(1)),
        token_check_every: hours(h.token_check_every_hours.max(1)),
    }
}
