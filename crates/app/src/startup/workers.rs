//! The pipeline's background work wired from the services: the inbox workers, the senders,
//! the shared scheduler and the inbox retention sweep, as [`start_pipeline`] starts them in
//! `serve`. The loops themselves live in [`crate::pipeline`].

use std::sync::Arc;
use std::time::Duration;

use omni_domain::{PhoneNumberId, StoreId};
use omni_usecases::inbound::LegacyRoute;
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::Services;
use crate::pipeline::{self, PipelineHandle};
use crate::settings::Settings;

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

/// How long a pipeline loop that panicked waits before it starts again.
const RESTART_AFTER: Duration = Duration::from_secs(1);

/// Starts the inbox workers, the senders (when a Meta app is configured) and the sweep.
///
/// # Errors
/// When the legacy configuration is inconsistent.
pub async fn start_pipeline(
    services: &Services,
    settings: &Settings,
) -> anyhow::Result<PipelineHandle> {
    let (stop, stopped) = watch::channel(false);
    let mut tasks = JoinSet::new();
    let p = &settings.pipeline;
    if !p.workers_enabled {
        tracing::info!("pipeline workers disabled in this process (pipeline.workers_enabled)");
        return Ok(PipelineHandle::new(stop, tasks));
    }
    let me = pipeline::process_id();
    let legacy = legacy_route(services, settings).await?;
    let handler = services.conversation_handler(legacy.as_ref());
    let processor = services.inbox_processor(
        Arc::new(crate::account_health::Timed(handler)),
        legacy.clone(),
    );
    for n in 0..p.inbox_workers {
        let worker = pipeline::inbox_worker::InboxWorker {
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
        tasks.spawn(pipeline::supervised(
            worker.id.clone(),
            stopped.clone(),
            RESTART_AFTER,
            move |stop| worker.clone().run(stop),
        ));
    }
    match services.dispatcher(legacy.as_ref()) {
        Some(dispatcher) => {
            let senders = pipeline::outbox_worker::OutboxWorkers::new(
                format!("{me}/outbox"),
                services.ports.outbox.clone(),
                services.ports.central.clone(),
                dispatcher,
                services.ports.clock.clone(),
                services.wake.clone(),
                pipeline::outbox_worker::SenderLimits {
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
            tasks.spawn(pipeline::supervised(
                format!("{me}/outbox"),
                stopped.clone(),
                RESTART_AFTER,
                move |stop| senders.clone().run(stop),
            ));
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
        tasks.spawn(pipeline::supervised(
            scheduler.owner.clone(),
            stopped.clone(),
            RESTART_AFTER,
            move |stop| scheduler.clone().run(stop),
        ));
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
    Ok(PipelineHandle::new(stop, tasks))
}
