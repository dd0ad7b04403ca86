//! Group commit for webhooks: each request hands its events to a committer and waits for the
//! commit; a committer takes every request waiting at that moment (up to `batch`) and stores
//! them in one transaction. Under load one commit acknowledges many webhooks, so the
//! database's commit rate stops being the ceiling; when idle a webhook commits alone at once.

use std::sync::Arc;
use std::time::Duration;

use omni_ports::{InboxRepo, NewInboxEvent};
use tokio::sync::{Mutex, Notify, mpsc, oneshot};

struct Job {
    events: Vec<NewInboxEvent>,
    done: oneshot::Sender<Result<(), String>>,
}

/// Why a webhook was not stored.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The database refused or failed the commit.
    #[error("the inbox could not commit: {0}")]
    Storage(String),
    /// No commit within the timeout (the database hangs); it may still commit later, and
    /// Meta's retry will then be a duplicate.
    #[error("the inbox did not commit in time")]
    Timeout,
    /// The committers stopped (shutdown).
    #[error("the inbox is shutting down")]
    Closed,
}

/// The handle requests use.
#[derive(Clone)]
pub struct Ingest {
    tx: mpsc::Sender<Job>,
    timeout: Duration,
    fair: Arc<super::fair::FairClock>,
}

impl std::fmt::Debug for Ingest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Ingest")
    }
}

impl Ingest {
    /// Starts `committers` tasks storing into `inbox`, waking `wake` after each commit.
    #[must_use]
    pub fn start(
        inbox: Arc<dyn InboxRepo>,
        committers: usize,
        batch: usize,
        timeout: Duration,
        fair_spacing: Duration,
        wake: Arc<Notify>,
    ) -> Self {
        let (tx, rx) = mpsc::channel::<Job>(batch.saturating_mul(4).max(64));
        let rx = Arc::new(Mutex::new(rx));
        for _ in 0..committers.max(1) {
            let (rx, inbox, wake) = (rx.clone(), inbox.clone(), wake.clone());
            tokio::spawn(async move {
                loop {
                    let mut jobs = Vec::new();
                    {
                        let mut rx = rx.lock().await;
                        match rx.recv().await {
                            Some(job) => jobs.push(job),
                            None => return,
                        }
                        while jobs.len() < batch {
                            match rx.try_recv() {
                                Ok(job) => jobs.push(job),
                                Err(_) => break,
                            }
                        }
                    }
                    commit(inbox.as_ref(), jobs).await;
                    wake.notify_waiters();
                }
            });
        }
        Self {
            tx,
            timeout,
            fair: Arc::new(super::fair::FairClock::new(fair_spacing)),
        }
    }

    /// Stores a webhook's events; returns once they are committed.
    ///
    /// # Errors
    /// [`IngestError`]: the caller answers 5xx so Meta retries.
    pub async fn submit(&self, mut events: Vec<NewInboxEvent>) -> Result<(), IngestError> {
        self.fair.stamp(&mut events);
        let (done, wait) = oneshot::channel();
        let submit = async {
            self.tx
                .send(Job { events, done })
                .await
                .map_err(|_| IngestError::Closed)?;
            wait.await
                .map_err(|_| IngestError::Closed)?
                .map_err(IngestError::Storage)
        };
        tokio::time::timeout(self.timeout, submit)
            .await
            .map_err(|_| IngestError::Timeout)?
    }
}

async fn commit(inbox: &dyn InboxRepo, jobs: Vec<Job>) {
    // Moved out of the jobs, not copied: payloads are most of the bytes.
    let mut events = Vec::with_capacity(jobs.iter().map(|j| j.events.len()).sum());
    let mut waiting = Vec::with_capacity(jobs.len());
    for job in jobs {
        events.extend(job.events);
        waiting.push(job.done);
    }
    let result = match inbox.append(&events).await {
        Ok(outcome) => {
            if let Some(m) = crate::account_health::metrics::get() {
                m.webhook_events_stored.inc_by(u64::from(outcome.inserted));
                m.webhook_events_duplicate
                    .inc_by(u64::from(outcome.duplicates));
            }
            if outcome.duplicates > 0 {
                tracing::debug!(
                    duplicates = outcome.duplicates,
                    "redelivered webhook events collapsed"
                );
            }
            Ok(())
        }
        Err(e) => {
            let text = omni_ports::error_chain(&e);
            tracing::error!(error = %text, webhooks = waiting.len(), "inbox commit failed; answering 503");
            Err(text)
        }
    };
    for done in waiting {
        // The request may have timed out and gone; nothing to tell then.
        let _ = done.send(result.clone());
    }
}
