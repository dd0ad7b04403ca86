//! The webhook pipeline's background work in this process: inbox workers, outbox senders and
//! the retention sweep. Started by `serve` ([`crate::startup::start_pipeline`] wires them from
//! the services), stopped (leases given back) on shutdown.

pub mod fair;
pub mod inbox_worker;
pub mod ingest;
pub mod outbox_worker;

use std::future::Future;
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

/// Runs the loop `make` builds until it returns (it was asked to stop). A loop that panicked
/// is logged and started again after `backoff`, unless `stop` is set by then: one bad call
/// (seen: diesel-async's SQLite wrapper panicking while the pool recycles a connection) must
/// not end this process's inbox workers or senders for good while the web side keeps
/// acknowledging webhooks. What the dead loop had claimed is taken over when its leases end.
pub(crate) async fn supervised<F, Fut>(
    name: String,
    stop: watch::Receiver<bool>,
    backoff: Duration,
    make: F,
) where
    F: Fn(watch::Receiver<bool>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    loop {
        // Aborted with the supervisor (the handle's `stop` aborts what outlives its grace).
        let mut run = AbortOnDrop(tokio::spawn(make(stop.clone())));
        match (&mut run.0).await {
            Err(e) if e.is_panic() && !*stop.borrow() => {
                tracing::error!(task = %name, "pipeline task panicked; starting it again");
                tokio::time::sleep(backoff).await;
                if *stop.borrow() {
                    return;
                }
            }
            // Returned (asked to stop), cancelled, or panicked while stopping.
            _ => return,
        }
    }
}

/// A task aborted when this is dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    #[tokio::test]
    async fn a_panicked_loop_is_started_again_and_a_stopped_one_is_not() {
        let (stop, stopped) = watch::channel(false);
        let runs = Arc::new(AtomicU32::new(0));
        let supervisor = tokio::spawn(supervised(
            "test".into(),
            stopped,
            Duration::from_millis(10),
            {
                let runs = runs.clone();
                move |mut stop: watch::Receiver<bool>| {
                    let runs = runs.clone();
                    async move {
                        // The first two runs die; the third runs until asked to stop.
                        assert!(runs.fetch_add(1, Ordering::SeqCst) >= 2, "injected panic");
                        while !*stop.borrow() {
                            if stop.changed().await.is_err() {
                                return;
                            }
                        }
                    }
                }
            },
        ));
        for _ in 0..200 {
            if runs.load(Ordering::SeqCst) >= 3 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(
            runs.load(Ordering::SeqCst),
            3,
            "two restarts after two panics"
        );
        assert!(!supervisor.is_finished(), "the third run keeps going");
        let _ = stop.send(true);
        tokio::time::timeout(Duration::from_secs(5), supervisor)
            .await
            .unwrap_or_else(|_| panic!("the supervisor did not end after stop"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            runs.load(Ordering::SeqCst),
            3,
            "not started again once stopped"
        );
    }
}
