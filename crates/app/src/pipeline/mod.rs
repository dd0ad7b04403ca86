//! The webhook pipeline's background work in this process: inbox workers, outbox senders and
//! the retention sweep. Started by `serve` ([`crate::startup::start_pipeline`] wires them from
//! the services), stopped (leases given back) on shutdown.

pub mod fair;
pub mod inbox_worker;
pub mod ingest;
pub mod outbox_worker;

use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinSet;

/// Running background work; [`PipelineHandle::stop`] ends it.
#[derive(Debug)]
pub struct PipelineHandle {
    stop: watch::Sender<bool>,
    tasks: JoinSet<()>,
}

impl PipelineHandle {
    /// The handle over `tasks`, which stop when `stop` turns true.
    pub(crate) fn new(stop: watch::Sender<bool>, tasks: JoinSet<()>) -> Self {
        Self { stop, tasks }
    }

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
