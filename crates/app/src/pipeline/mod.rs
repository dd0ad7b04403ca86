//! The webhook pipeline's background work in this process: inbox workers, outbox senders and
//! the retention sweep. Started by `serve`, stopped (leases given back) on shutdown.

pub mod fair;
pub mod inbox_worker;
pub mod ingest;
pub mod outbox_worker;

use std::sync::Arc;
use std::time::Duration;

use omni_domain::{PhoneNumberId, StoreId};
use omni_usecases::agent::{AgentHandler, AgentPorts};
use omni_usecases::inbound::{
    AutoReply, ConversationHandler, InboxPorts, InboxProcessor, LegacyRoute,
};
use omni_usecases::outbound::{DispatchPorts, OutboxDispatcher, RetryPolicy};
use secrecy::SecretString;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::settings::Settings;
use crate::startup::AppState;

/// Running background work; [`PipelineHandle::stop`] ends it.
#[derive(Debug)]
pub struct PipelineHandle {
    stop: watch::Sender<bool>,
    tasks: JoinSet<()>,
}

impl PipelineHandle {
    /// Asks every loop to stop, and waits (up to `grace`) for them to give back their leases.
    pub async fn stop(mut self, grace: Duration) {
        let _ = self.stop.send(true);
        let drain = async { while self.tasks.join_next().await.is_some() {} };
        if tokio::time::timeout(grace, drain).await.is_err() {
            tracing::warn!("pipeline did not stop in time; remaining leases will expire");
            self.tasks.abort_all();
        }
    }
}

/// A name for this process's lease owners: host, pid and a random part, so two processes
/// never share one.
#[must_use]
pub fn process_id() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "host".to_owned());
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!("{host}:{}:{}", std::process::id(), &random[..8])
}

/// Where the legacy number's traffic goes: `whatsapp.store_id`, else the only store.
async fn legacy_route(
    state: &AppState,
    settings: &Settings,
) -> anyhow::Result<Option<LegacyRoute>> {
    let Some(raw) = &settings.whatsapp.phone_id else {
        return Ok(None);
    };
    let phone_number_id = PhoneNumberId::parse(raw)
        .map_err(|_| anyhow::anyhow!("WHATSAPP_PHONE_ID is not a phone_number_id"))?;
    let store = match &settings.whatsapp.store_id {
        Some(id) => Some(
            StoreId::parse(id)
                .map_err(|_| anyhow::anyhow!("whatsapp.store_id is not a store id"))?,
        ),
        None => {
            let stores = state.central.list_stores().await?;
            (stores.len() == 1).then(|| stores[0].id)
        }
    };
    match store {
        Some(store) => Ok(Some(LegacyRoute {
            phone_number_id,
            store,
        })),
        None => {
            tracing::warn!(
                "WHATSAPP_PHONE_ID is set but no store is named for it (OMNI_WHATSAPP__STORE_ID) \
                 and there is not exactly one store: its webhooks stay unroutable"
            );
            Ok(None)
        }
    }
}

/// The agent for every store (stores with `ai_enabled` off get their auto-reply text); the
/// auto-reply rule alone when no Meta app is configured (media cannot be fetched then).
fn conversation_handler(
    state: &AppState,
    settings: &Settings,
    legacy: Option<&LegacyRoute>,
) -> Arc<dyn ConversationHandler> {
    let Some(graph) = state.graph.clone() else {
        return Arc::new(AutoReply::new(state.tenants.clone()));
    };
    let legacy_token = match (legacy, &settings.whatsapp.token) {
        (Some(l), Some(token)) => Some((l.phone_number_id.clone(), token.clone())),
        _ => None,
    };
    let a = &state.agent;
    Arc::new(AgentHandler::new(
        AgentPorts {
            central: state.central.clone(),
            tenants: state.tenants.clone(),
            commerce: state.commerce_repo.clone(),
            graph,
            cipher: state.cipher.clone(),
            media: state.media.clone(),
            clock: state.clock.clone(),
            rules: a.rules.clone(),
            model: a.model.clone(),
            speech: a.speech.clone(),
            legacy_token,
            notifications: Some(state.health_repo.clone()),
        },
        a.config.clone(),
    ))
}

/// Starts the inbox workers, the senders (when a Meta app is configured) and the sweep.
///
/// # Errors
/// When the legacy configuration is inconsistent.
pub async fn start(state: &AppState, settings: &Settings) -> anyhow::Result<PipelineHandle> {
    let (stop, stopped) = watch::channel(false);
    let mut tasks = JoinSet::new();
    let p = &settings.pipeline;
    if !p.workers_enabled {
        tracing::info!("pipeline workers disabled in this process (pipeline.workers_enabled)");
        return Ok(PipelineHandle { stop, tasks });
    }
    let me = process_id();
    let legacy = legacy_route(state, settings).await?;
    let processor = InboxProcessor::new(
        InboxPorts {
            central: state.central.clone(),
            tenants: state.tenants.clone(),
            outbox: state.outbox.clone(),
            history: state.history.clone(),
            clock: state.clock.clone(),
        },
        Arc::new(crate::account_health::Timed(conversation_handler(
            state,
            settings,
            legacy.as_ref(),
        ))),
        legacy.clone(),
    )
    .with_observer(Arc::new(state.health.clone()));
    for n in 0..p.inbox_workers {
        let worker = inbox_worker::InboxWorker {
            id: format!("{me}/inbox-{n}"),
            inbox: state.inbox.clone(),
            processor: processor.clone(),
            clock: state.clock.clone(),
            wake: state.wake.clone(),
            batch: p.inbox_batch,
            lease: Duration::from_secs(p.inbox_lease_secs.max(5)),
            max_attempts: p.inbox_max_attempts,
            poll: Duration::from_millis(p.poll_interval_ms.max(10)),
        };
        tasks.spawn(worker.run(stopped.clone()));
    }
    match &state.graph {
        Some(graph) => {
            let legacy_token: Option<(PhoneNumberId, SecretString)> =
                match (&legacy, &settings.whatsapp.token) {
                    (Some(l), Some(token)) => Some((l.phone_number_id.clone(), token.clone())),
                    _ => None,
                };
            let dispatcher = OutboxDispatcher::new(
                DispatchPorts {
                    outbox: state.outbox.clone(),
                    central: state.central.clone(),
                    tenants: state.tenants.clone(),
                    cipher: state.cipher.clone(),
                    graph: graph.clone(),
                    clock: state.clock.clone(),
                },
                legacy_token,
                RetryPolicy {
                    max_attempts: p.outbox_max_attempts,
                    rate_limited_max_age: Duration::from_secs(p.outbox_rate_limited_max_age_secs),
                },
            )
            .with_template_check(state.health_repo.clone());
            let senders = outbox_worker::OutboxWorkers::new(
                format!("{me}/outbox"),
                state.outbox.clone(),
                state.central.clone(),
                dispatcher,
                state.clock.clone(),
                state.wake.clone(),
                outbox_worker::SenderLimits {
                    default_mps: p.default_mps,
                    high_mps: p.high_mps,
                    pair_period: Duration::from_secs(p.pair_period_secs),
                    pair_burst: p.pair_burst,
                    sender_lease: Duration::from_secs(p.sender_lease_secs.max(3)),
                    message_lease: Duration::from_secs(p.message_lease_secs.unwrap_or(
                        // A media upload may take 4 Graph timeouts; then a margin.
                        settings.meta.timeout_secs * 4 + 30,
                    )),
                    concurrency: p.sender_concurrency,
                    red_business_mps: settings.health.red_business_mps,
                },
            );
            tasks.spawn(senders.run(stopped.clone()));
        }
        None => tracing::warn!(
            "no Meta app is configured (META_APP_ID): replies stay queued in the outbox until one is"
        ),
    }
    if settings.health.scheduler_enabled {
        let scheduler = crate::account_health::scheduler::Scheduler {
            owner: format!("{me}/scheduler"),
            health: state.health.clone(),
            repo: state.health_repo.clone(),
            clock: state.clock.clone(),
            poll: Duration::from_millis(settings.health.scheduler_poll_ms.max(10)),
            lease: chrono::Duration::seconds(
                i64::try_from(settings.health.job_lease_secs.max(10)).unwrap_or(1_800),
            ),
        };
        tasks.spawn(scheduler.run(stopped.clone()));
    }
    let (inbox, clock, days) = (state.inbox.clone(), state.clock.clone(), p.retention_days);
    let mut stop_sweep = stopped.clone();
    tasks.spawn(async move {
        loop {
            let before = clock.now() - chrono::Duration::days(i64::from(days));
            match inbox.purge_done(before).await {
                Ok(n) if n > 0 => tracing::info!(purged = n, "old inbox events removed"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "inbox retention sweep failed"),
            }
            tokio::select! {
                () = tokio::time::sleep(Duration::from_secs(3600)) => {}
                _ = stop_sweep.changed() => return,
            }
        }
    });
    tracing::info!(process = %me, inbox_workers = p.inbox_workers, "pipeline started");
    Ok(PipelineHandle { stop, tasks })
}
