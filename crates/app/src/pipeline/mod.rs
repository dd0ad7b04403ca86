//! The webhook pipeline's background work in this process: inbox workers, outbox senders and
//! the retention sweep. Started by `serve`, stopped (leases given back) on shutdown.

pub mod fair;
pub mod inbox_worker;
pub mod ingest;
pub mod outbox_worker;

use std::sync::Arc;
use std::time::Duration;

use omni_domain::{PhoneNumberId, StoreId};
use omni_usecases::inbound::LegacyRoute;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::settings::Settings;
use crate::startup::Services;

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
    services: &Services,
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
            let stores = services.ports.central.list_stores().await?;
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

/// Starts the inbox workers, the senders (when a Meta app is configured) and the sweep.
///
/// # Errors
/// When the legacy configuration is inconsistent.
pub async fn start(services: &Services, settings: &Settings) -> anyhow::Result<PipelineHandle> {
    let (stop, stopped) = watch::channel(false);
    let mut tasks = JoinSet::new();
    let p = &settings.pipeline;
    if !p.workers_enabled {
        tracing::info!("pipeline workers disabled in this process (pipeline.workers_enabled)");
        return Ok(PipelineHandle { stop, tasks });
    }
    let me = process_id();
    let legacy = legacy_route(services, settings).await?;
    let handler = services.conversation_handler(legacy.as_ref());
    let processor = services.inbox_processor(
        Arc::new(crate::account_health::Timed(handler)),
        legacy.clone(),
    );
    for n in 0..p.inbox_workers {
        let worker = inbox_worker::InboxWorker {
            id: format!("{me}/inbox-{n}"),
            inbox: services.ports.inbox.clone(),
            processor: processor.clone(),
            clock: services.ports.clock.clone(),
            wake: services.wake.clone(),
            batch: p.inbox_batch,
            lease: Duration::from_secs(p.inbox_lease_secs.max(5)),
            max_attempts: p.inbox_max_attempts,
            poll: Duration::from_millis(p.poll_interval_ms.max(10)),
        };
        tasks.spawn(worker.run(stopped.clone()));
    }
    match services.dispatcher(legacy.as_ref()) {
        Some(dispatcher) => {
            let senders = outbox_worker::OutboxWorkers::new(
                format!("{me}/outbox"),
                services.ports.outbox.clone(),
                services.ports.central.clone(),
                dispatcher,
                services.ports.clock.clone(),
                services.wake.clone(),
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
            health: services.health.clone(),
            repo: services.ports.health_repo.clone(),
            clock: services.ports.clock.clone(),
            poll: Duration::from_millis(settings.health.scheduler_poll_ms.max(10)),
            lease: chrono::Duration::seconds(
                i64::try_from(settings.health.job_lease_secs.max(10)).unwrap_or(1_800),
            ),
        };
        tasks.spawn(scheduler.run(stopped.clone()));
    }
    let (inbox, clock, days) = (
        services.ports.inbox.clone(),
        services.ports.clock.clone(),
        p.retention_days,
    );
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
