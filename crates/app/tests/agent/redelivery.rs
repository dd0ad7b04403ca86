//! A reply saved but not yet queued (the outbox refused the first enqueue) goes out, on the
//! retry, with the exact content the agent decided: the interactive buttons, not a text
//! rebuilt from the history message.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use omni_domain::PhoneNumberId;
use omni_ports::{
    NewOutboxMessage, OutboxMessage, OutboxRepo, OutboxState, RepoError, RequeueFilter, SendFailure,
};

use super::kitchen::{Customer, choices, karachi_grill, shown};
use crate::support::pipeline::{Engine, Harness};

/// The real outbox, except that the first `enqueue` fails as an unreachable database would.
struct FirstEnqueueFails {
    inner: Arc<dyn OutboxRepo>,
    /// How many enqueues were refused (the test reads it).
    refused: Arc<AtomicU32>,
}

#[async_trait]
impl OutboxRepo for FirstEnqueueFails {
    async fn enqueue(&self, messages: &[NewOutboxMessage]) -> Result<u32, RepoError> {
        if self
            .refused
            .compare_exchange(0, 1, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
        {
            return Err(RepoError::Unavailable(
                "the test refuses the first enqueue".into(),
            ));
        }
        self.inner.enqueue(messages).await
    }
    async fn senders_with_work(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<PhoneNumberId>, RepoError> {
        self.inner.senders_with_work(now, limit).await
    }
    async fn acquire_sender(
        &self,
        sender: &PhoneNumberId,
        worker: &str,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<bool, RepoError> {
        self.inner.acquire_sender(sender, worker, now, lease).await
    }
    async fn release_sender(&self, sender: &PhoneNumberId, worker: &str) -> Result<(), RepoError> {
        self.inner.release_sender(sender, worker).await
    }
    async fn claim(
        &self,
        sender: &PhoneNumberId,
        worker: &str,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>, RepoError> {
        self.inner.claim(sender, worker, now, lease, limit).await
    }
    async fn record_wamid(&self, id: i64, wamid: &str) -> Result<bool, RepoError> {
        self.inner.record_wamid(id, wamid).await
    }
    async fn mark_sent(
        &self,
        id: i64,
        worker: &str,
        wamid: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, RepoError> {
        self.inner.mark_sent(id, worker, wamid, at).await
    }
    async fn reschedule(
        &self,
        id: i64,
        worker: &str,
        retry_at: DateTime<Utc>,
        error: Option<(SendFailure, &str)>,
        count_attempt: bool,
    ) -> Result<bool, RepoError> {
        self.inner
            .reschedule(id, worker, retry_at, error, count_attempt)
            .await
    }
    async fn mark_failed(
        &self,
        id: i64,
        worker: &str,
        code: SendFailure,
        error: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, RepoError> {
        self.inner.mark_failed(id, worker, code, error, at).await
    }
    async fn fail_pending_of_sender(
        &self,
        sender: &PhoneNumberId,
        code: SendFailure,
        error: &str,
        at: DateTime<Utc>,
    ) -> Result<u64, RepoError> {
        self.inner
            .fail_pending_of_sender(sender, code, error, at)
            .await
    }
    async fn business_recipients_since(
        &self,
        sender: &PhoneNumberId,
        recipient: &str,
        since: DateTime<Utc>,
    ) -> Result<(u64, bool), RepoError> {
        self.inner
            .business_recipients_since(sender, recipient, since)
            .await
    }
    async fn find_by_key(&self, key: &str) -> Result<Option<OutboxMessage>, RepoError> {
        self.inner.find_by_key(key).await
    }
    async fn list(
        &self,
        sender: Option<&PhoneNumberId>,
        state: Option<OutboxState>,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>, RepoError> {
        self.inner.list(sender, state, limit).await
    }
    async fn counts(&self) -> Result<BTreeMap<OutboxState, u64>, RepoError> {
        self.inner.counts().await
    }
    async fn find_failed(&self, filter: &RequeueFilter) -> Result<Vec<OutboxMessage>, RepoError> {
        self.inner.find_failed(filter).await
    }
    async fn requeue_failed(&self, ids: &[i64], now: DateTime<Utc>) -> Result<u64, RepoError> {
        self.inner.requeue_failed(ids, now).await
    }
}

#[actix_web::test]
async fn a_reply_saved_before_the_outbox_failed_goes_out_with_its_buttons_on_the_retry() {
    let refused = Arc::new(AtomicU32::new(0));
    let Some(h) = Harness::start_with_ports(Engine::Postgres, {
        let refused = refused.clone();
        move |ports| {
            ports.outbox = Arc::new(FirstEnqueueFails {
                inner: ports.outbox.clone(),
                refused,
            });
        }
    })
    .await
    else {
        return;
    };
    let r = karachi_grill(&h).await;
    let ali = Customer::new(&h, &r, "923001234599", "Ali");
    let replies = ali.say("I want to order a zinger burger").await;
    assert_eq!(
        refused.load(Ordering::SeqCst),
        1,
        "the first enqueue was refused, so the reply went out from what was saved"
    );
    assert_eq!(replies.len(), 1, "{replies:?}");
    assert_eq!(
        replies[0].body["type"], "interactive",
        "the saved reply keeps its buttons: {:?}",
        replies[0].body
    );
    assert_eq!(choices(&replies[0]), vec!["checkout", "menu"]);
    assert!(
        shown(&replies[0]).starts_with("Added 1 × Zinger Burger."),
        "{}",
        shown(&replies[0])
    );
    h.stop().await;
}
