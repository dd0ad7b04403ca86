//! Inbox workers: claim events (leased, one per ordering key at a time), process them
//! concurrently, record the outcome; failures back off and are parked as dead after a bound.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use omni_ports::{Clock, InboxEvent, InboxRepo};
use omni_usecases::inbound::{InboxProcessor, ProcessError};
use tokio::sync::{Notify, watch};

/// What one worker loop needs.
#[derive(Clone)]
pub struct InboxWorker {
    /// Unique per loop and process: the lease owner.
    pub id: String,
    /// Inbox.
    pub inbox: Arc<dyn InboxRepo>,
    /// The use case.
    pub processor: InboxProcessor,
    /// Clock.
    pub clock: Arc<dyn Clock>,
    /// Woken after each ingest commit.
    pub wake: Arc<Notify>,
    /// Claim size (processed concurrently).
    pub batch: u32,
    /// Lease length.
    pub lease: Duration,
    /// Attempts before dead.
    pub max_attempts: u32,
    /// Idle poll.
    pub poll: Duration,
}

impl std::fmt::Debug for InboxWorker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InboxWorker")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl InboxWorker {
    /// Runs until `stop` turns true; then gives back its leases.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let mut failures = 0u32;
        while !*stop.borrow() {
            let wake = self.wake.notified();
            match self
                .inbox
                .claim(&self.id, self.clock.now(), self.lease, self.batch)
                .await
            {
                Ok(events) if !events.is_empty() => {
                    failures = 0;
                    futures_util::stream::iter(events)
                        .for_each_concurrent(None, |event| self.handle(event))
                        .await;
                    continue;
                }
                Ok(_) => {}
                Err(e) => {
                    failures = failures.saturating_add(1);
                    if failures == 1 || failures.is_power_of_two() {
                        tracing::warn!(worker = %self.id, error = %e, "inbox claim failed; retrying");
                    }
                }
            }
            let idle = if failures > 0 {
                self.poll * failures.min(20)
            } else {
                self.poll
            };
            tokio::select! {
                () = wake => {}
                () = tokio::time::sleep(idle) => {}
                _ = stop.changed() => {}
            }
        }
        match self.inbox.release(&self.id).await {
            Ok(n) if n > 0 => {
                tracing::info!(worker = %self.id, released = n, "inbox leases given back")
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(worker = %self.id, error = %e, "could not give back inbox leases; they expire")
            }
        }
    }

    async fn handle(&self, event: InboxEvent) {
        crate::fault_points::kill_point("inbox.after_claim");
        let result = self.processor.process(&event).await;
        if result.is_ok() {
            crate::fault_points::kill_point("inbox.after_process");
        }
        let now = self.clock.now();
        let recorded = match result {
            Ok(outcome) => self.inbox.complete(event.id, &self.id, &outcome, now).await,
            Err(ProcessError::Permanent(e)) => {
                tracing::error!(event = event.id, field = %event.field, error = %e, "webhook event parked as dead");
                self.inbox.fail(event.id, &self.id, &e, None, now).await
            }
            Err(ProcessError::Retryable(e)) => {
                let retry_at = (event.attempts < self.max_attempts).then(|| {
                    // 2, 4, 8 ... seconds, capped at 10 minutes.
                    let secs = 2i64.saturating_pow(event.attempts.min(10)).min(600);
                    now + chrono::Duration::seconds(secs)
                });
                if retry_at.is_none() {
                    tracing::error!(event = event.id, field = %event.field, error = %e, attempts = event.attempts, "webhook event failed too often; parked as dead");
                } else {
                    tracing::warn!(event = event.id, field = %event.field, error = %e, attempts = event.attempts, "webhook event failed; will retry");
                }
                self.inbox.fail(event.id, &self.id, &e, retry_at, now).await
            }
        };
        match recorded {
            Ok(true) => {}
            Ok(false) => tracing::warn!(
                event = event.id,
                "lease lost before the outcome was recorded; another worker has it"
            ),
            Err(e) => {
                tracing::warn!(event = event.id, error = %e, "could not record the outcome; the lease will expire and it runs again")
            }
        }
    }
}
