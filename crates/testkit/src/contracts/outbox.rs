//! The [`OutboxRepo`](omni_ports::OutboxRepo) contract, one rule per documented behaviour:
//! enqueues idempotent by key, the numbers with work, a number's sender lease held by one
//! worker at a time (also under concurrent takers), claims of a number's ready messages (the
//! oldest unfinished per recipient, oldest first, under a message lease), the wamid kept
//! before anything else, sent, rescheduled and failed messages, failing a number's queue at
//! once, the messaging-limit count of business-initiated recipients, listing, counts, and
//! finding and requeueing parked messages.
//!
//! Rules pin what the SQL adapter does where the port is silent: a lease ending exactly at
//! `now` still holds, `mark_sent` records Meta's acceptance whoever holds the message (the
//! port now says so), a rescheduled message carries the error given (none clears it), and
//! `failed_since` is the time the message was parked. Every rule uses fresh numbers, so
//! only `counts` assumes the central database is its own.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use omni_domain::{AccountId, MessageId, PhoneNumberId, StoreId};
use omni_ports::meta::{GraphErrorKind, OutboundMessage, Recipient};
use omni_ports::{
    Initiator, NewOutboxMessage, OutboxMessage, OutboxRepo, OutboxState, RequeueFilter, SendFailure,
};
use tokio::task::JoinSet;

use super::{Repos, ok};
use crate::fixtures;

/// The lease every rule takes.
const LEASE: Duration = Duration::from_secs(30);

/// A fresh recipient's number.
fn recipient() -> String {
    format!("+92300{}", fixtures::random_digits(7))
}

/// A customer-initiated text from `sender` to `to` with a fresh key, saved at `at`.
fn message(sender: &PhoneNumberId, to: &str, at: DateTime<Utc>) -> NewOutboxMessage {
    NewOutboxMessage {
        idempotency_key: format!("test:{}", fixtures::random_token()),
        store_id: Some(StoreId::new()),
        account_id: Some(AccountId::new()),
        sender: sender.clone(),
        message: OutboundMessage::text(Recipient::Phone(to.to_owned()), "Your order is on its way"),
        initiator: Initiator::Customer,
        window_ends_at: Some(at + TimeDelta::hours(24)),
        tenant_message_id: Some(MessageId::new()),
        created_at: at,
    }
}

/// An hour ago, so messages saved "now" are due.
fn base() -> DateTime<Utc> {
    fixtures::now() - TimeDelta::hours(1)
}

/// Enqueues `messages`, which must succeed; how many were new.
async fn enqueue(outbox: &dyn OutboxRepo, messages: &[NewOutboxMessage]) -> u32 {
    ok(outbox.enqueue(messages).await, "enqueue")
}

/// The stored message of a key; panics when it is missing.
async fn by_key(outbox: &dyn OutboxRepo, key: &str) -> OutboxMessage {
    match ok(outbox.find_by_key(key).await, "find_by_key") {
        Some(m) => m,
        None => panic!("find_by_key({key}) returned None for an enqueued message"),
    }
}

/// Claims `sender`'s messages for `worker` at `now`; their keys, in order.
async fn claim(
    outbox: &dyn OutboxRepo,
    sender: &PhoneNumberId,
    worker: &str,
    now: DateTime<Utc>,
) -> Vec<String> {
    ok(outbox.claim(sender, worker, now, LEASE, 100).await, "claim")
        .into_iter()
        .map(|m| m.idempotency_key)
        .collect()
}

/// Enqueues one message of a fresh number and claims it for `worker`; the number, the
/// message and the time of the claim.
async fn claimed_one(r: &Repos, worker: &str) -> (PhoneNumberId, OutboxMessage, DateTime<Utc>) {
    let sender = fixtures::phone_number_id();
    let at = base();
    let m = message(&sender, &recipient(), at);
    enqueue(&*r.outbox, std::slice::from_ref(&m)).await;
    let mut got = ok(
        r.outbox.claim(&sender, worker, at, LEASE, 10).await,
        "claim",
    );
    assert_eq!(got.len(), 1, "one message was due: {got:?}");
    (sender, got.remove(0), at)
}

/// An enqueued message round-trips: pending, no attempts, its recipient as stored.
pub async fn enqueue_round_trip(r: &Repos) {
    let outbox = &*r.outbox;
    assert_eq!(enqueue(outbox, &[]).await, 0);
    let sender = fixtures::phone_number_id();
    let to = recipient();
    let m = message(&sender, &to, base());
    assert_eq!(enqueue(outbox, std::slice::from_ref(&m)).await, 1);
    let got = by_key(outbox, &m.idempotency_key).await;
    assert_eq!(
        (
            got.store_id,
            got.account_id,
            &got.sender,
            got.recipient.as_str(),
            &got.message,
            got.initiator,
            got.window_ends_at,
            got.tenant_message_id,
            got.created_at,
        ),
        (
            m.store_id,
            m.account_id,
            &m.sender,
            to.as_str(),
            &m.message,
            m.initiator,
            m.window_ends_at,
            m.tenant_message_id,
            m.created_at,
        ),
        "the stored message keeps what was enqueued"
    );
    assert_eq!((got.state, got.attempts), (OutboxState::Pending, 0));
    assert_eq!(
        (got.wamid, got.error_code, got.error, got.sent_at),
        (None, None, None, None)
    );
    assert_eq!(
        ok(outbox.find_by_key("test:unknown-key").await, "find_by_key"),
        None
    );
}

/// A second message with a stored idempotency key (in a later batch or the same one) is
/// skipped; the first is kept and only new ones are counted.
pub async fn enqueue_idempotent(r: &Repos) {
    let outbox = &*r.outbox;
    let sender = fixtures::phone_number_id();
    let first = message(&sender, &recipient(), base());
    let mut copy = message(&sender, &recipient(), base());
    copy.idempotency_key.clone_from(&first.idempotency_key);
    let other = message(&sender, &recipient(), base());
    assert_eq!(
        enqueue(outbox, &[first.clone(), copy.clone(), other]).await,
        2,
        "a duplicate within the batch is skipped"
    );
    assert_eq!(
        enqueue(outbox, &[copy]).await,
        0,
        "a key stored earlier is skipped"
    );
    assert_eq!(
        by_key(outbox, &first.idempotency_key).await.message,
        first.message,
        "the first message is kept"
    );
    assert_eq!(
        ok(outbox.list(Some(&sender), None, 100).await, "list").len(),
        2
    );
}

/// A number has work when a message of it is pending and due; one only due later, or only
/// finished messages, do not count.
pub async fn senders_with_work(r: &Repos) {
    let outbox = &*r.outbox;
    let now = fixtures::now();
    let (ready, later, finished) = (
        fixtures::phone_number_id(),
        fixtures::phone_number_id(),
        fixtures::phone_number_id(),
    );
    enqueue(
        outbox,
        &[
            message(&ready, &recipient(), base()),
            message(&ready, &recipient(), base()),
            message(&later, &recipient(), now + TimeDelta::hours(1)),
            message(&finished, &recipient(), base()),
        ],
    )
    .await;
    assert_eq!(
        ok(
            outbox
                .fail_pending_of_sender(&finished, SendFailure::ReauthRequired, "lost access", now)
                .await,
            "fail_pending_of_sender"
        ),
        1
    );
    let with_work = ok(
        outbox.senders_with_work(now, 10_000).await,
        "senders_with_work",
    );
    assert_eq!(
        with_work.iter().filter(|s| **s == ready).count(),
        1,
        "a number with due messages is listed once"
    );
    assert!(!with_work.contains(&later), "not before its message is due");
    assert!(
        !with_work.contains(&finished),
        "failed messages are no work"
    );
    assert!(
        ok(
            outbox
                .senders_with_work(now + TimeDelta::hours(1), 10_000)
                .await,
            "senders_with_work"
        )
        .contains(&later)
    );
    assert!(
        ok(outbox.senders_with_work(now, 1).await, "senders_with_work").len() <= 1,
        "at most limit"
    );
}

/// A number's lease is held by one worker at a time: the holder renews it, others are refused
/// until it has ended (one ending exactly now still holds), then another takes it over.
pub async fn sender_lease(r: &Repos) {
    let outbox = &*r.outbox;
    let sender = fixtures::phone_number_id();
    let t = fixtures::now();
    let acquire = |worker: &'static str, now: DateTime<Utc>| {
        let sender = sender.clone();
        async move {
            ok(
                outbox.acquire_sender(&sender, worker, now, LEASE).await,
                "acquire_sender",
            )
        }
    };
    assert!(acquire("w1", t).await, "a free number is taken");
    assert!(!acquire("w2", t).await, "another live holder refuses");
    let renewed = t + TimeDelta::seconds(20);
    assert!(acquire("w1", renewed).await, "the holder renews");
    let end = renewed + TimeDelta::seconds(30);
    assert!(
        !acquire("w2", t + TimeDelta::seconds(40)).await,
        "the renewed lease holds past the first one's end"
    );
    assert!(
        !acquire("w2", end).await,
        "a lease ending exactly now holds"
    );
    assert!(
        acquire("w2", end + TimeDelta::seconds(1)).await,
        "an ended lease is taken over"
    );
    assert!(
        !acquire("w1", end + TimeDelta::seconds(2)).await,
        "the old holder lost it"
    );
    let other = fixtures::phone_number_id();
    assert!(
        ok(
            outbox.acquire_sender(&other, "w1", t, LEASE).await,
            "acquire_sender"
        ),
        "leases are per number"
    );
}

/// Releasing gives the number back at once (only for its holder) and puts the worker's
/// `sending` messages of it back to pending, the attempt not counted.
pub async fn release_sender(r: &Repos) {
    let outbox = &*r.outbox;
    let t = fixtures::now();
    let sender = fixtures::phone_number_id();
    let m = message(&sender, &recipient(), base());
    enqueue(outbox, std::slice::from_ref(&m)).await;
    assert!(ok(
        outbox.acquire_sender(&sender, "w1", t, LEASE).await,
        "acquire_sender"
    ));
    assert_eq!(
        claim(outbox, &sender, "w1", t).await,
        vec![m.idempotency_key.clone()]
    );
    ok(outbox.release_sender(&sender, "w2").await, "release_sender");
    assert!(
        !ok(
            outbox.acquire_sender(&sender, "w2", t, LEASE).await,
            "acquire_sender"
        ),
        "a non-holder's release changes nothing"
    );
    assert_eq!(
        by_key(outbox, &m.idempotency_key).await.state,
        OutboxState::Sending
    );
    ok(outbox.release_sender(&sender, "w1").await, "release_sender");
    let got = by_key(outbox, &m.idempotency_key).await;
    assert_eq!((got.state, got.attempts), (OutboxState::Pending, 0));
    assert!(
        ok(
            outbox.acquire_sender(&sender, "w2", t, LEASE).await,
            "acquire_sender"
        ),
        "a released number is free at once"
    );
    assert_eq!(
        claim(outbox, &sender, "w2", t).await,
        vec![m.idempotency_key]
    );
}

/// Of many workers taking one free number at once, exactly one gets it.
pub async fn concurrent_sender_acquire(r: &Repos) {
    const TASKS: usize = 8;
    let sender = fixtures::phone_number_id();
    let now = fixtures::now();
    let mut set = JoinSet::new();
    for i in 0..TASKS {
        let outbox: Arc<dyn OutboxRepo> = r.outbox.clone();
        let sender = sender.clone();
        set.spawn(async move {
            ok(
                outbox
                    .acquire_sender(&sender, &format!("w{i}"), now, LEASE)
                    .await,
                "concurrent acquire_sender",
            )
        });
    }
    let winners = set.join_all().await.into_iter().filter(|won| *won).count();
    assert_eq!(winners, 1, "one holder per number");
}

/// A claim takes only the oldest unfinished message of each recipient, oldest first, at most
/// `limit`; the next one of a recipient follows once the one before finished.
pub async fn claim_oldest_per_recipient(r: &Repos) {
    let outbox = &*r.outbox;
    let sender = fixtures::phone_number_id();
    let (a, b, c) = (recipient(), recipient(), recipient());
    let at = base();
    let a1 = message(&sender, &a, at);
    let b1 = message(&sender, &b, at);
    let a2 = message(&sender, &a, at);
    let c1 = message(&sender, &c, at);
    enqueue(outbox, &[a1.clone(), b1.clone(), a2.clone(), c1.clone()]).await;
    let now = fixtures::now();
    let first = ok(outbox.claim(&sender, "w", now, LEASE, 2).await, "claim");
    let keys: Vec<&str> = first.iter().map(|m| m.idempotency_key.as_str()).collect();
    assert_eq!(
        keys,
        vec![a1.idempotency_key.as_str(), b1.idempotency_key.as_str()],
        "oldest first, at most limit"
    );
    assert_eq!(
        claim(outbox, &sender, "w", now).await,
        vec![c1.idempotency_key.clone()],
        "a recipient's second message waits for the first"
    );
    assert!(ok(
        outbox.mark_sent(first[0].id, "w", "wamid.a1", now).await,
        "mark_sent"
    ));
    assert_eq!(
        claim(outbox, &sender, "w", now).await,
        vec![a2.idempotency_key]
    );
}

/// A claim takes only the number's own messages, and only due ones.
pub async fn claim_by_sender(r: &Repos) {
    let outbox = &*r.outbox;
    let (mine, theirs) = (fixtures::phone_number_id(), fixtures::phone_number_id());
    let now = fixtures::now();
    let due = message(&mine, &recipient(), base());
    let later = message(&mine, &recipient(), now + TimeDelta::minutes(10));
    enqueue(
        outbox,
        &[
            due.clone(),
            later.clone(),
            message(&theirs, &recipient(), base()),
        ],
    )
    .await;
    let claimed = ok(outbox.claim(&mine, "w", now, LEASE, 10).await, "claim");
    let keys: Vec<&str> = claimed.iter().map(|m| m.idempotency_key.as_str()).collect();
    assert_eq!(
        keys,
        vec![due.idempotency_key.as_str()],
        "only the due one of this number"
    );
    assert!(ok(
        outbox.mark_sent(claimed[0].id, "w", "wamid.d", now).await,
        "mark_sent"
    ));
    assert_eq!(
        claim(outbox, &mine, "w", now + TimeDelta::minutes(10)).await,
        vec![later.idempotency_key]
    );
    assert_eq!(
        ok(
            outbox
                .list(Some(&theirs), Some(OutboxState::Pending), 10)
                .await,
            "list"
        )
        .len(),
        1,
        "the other number's message is untouched"
    );
}

/// A claimed message is `sending` with one more attempt; nobody claims it again until its
/// lease has ended (one ending exactly now still holds), then another worker takes it over and
/// the first can no longer reschedule or fail it.
pub async fn claim_lease(r: &Repos) {
    let outbox = &*r.outbox;
    let (sender, m, at) = claimed_one(r, "w1").await;
    assert_eq!((m.state, m.attempts), (OutboxState::Sending, 1));
    for now in [at, at + TimeDelta::seconds(30)] {
        assert!(
            claim(outbox, &sender, "w2", now).await.is_empty(),
            "a live lease holds at {now}"
        );
    }
    let taken = ok(
        outbox
            .claim(&sender, "w2", at + TimeDelta::seconds(31), LEASE, 10)
            .await,
        "claim",
    );
    assert_eq!(taken.len(), 1);
    assert_eq!((taken[0].id, taken[0].attempts), (m.id, 2));
    assert!(!ok(
        outbox.reschedule(m.id, "w1", at, None, true).await,
        "reschedule"
    ));
    assert!(!ok(
        outbox
            .mark_failed(m.id, "w1", SendFailure::Meta(1), "y", at)
            .await,
        "mark_failed"
    ));
    assert!(ok(
        outbox
            .mark_failed(m.id, "w2", SendFailure::Meta(1), "y", at)
            .await,
        "mark_failed"
    ));
}

/// The wamid is kept on a `sending` message without one; a second one, or a message not
/// `sending`, is `false`.
pub async fn record_wamid(r: &Repos) {
    let outbox = &*r.outbox;
    let (sender, m, _) = claimed_one(r, "w").await;
    assert!(ok(
        outbox.record_wamid(m.id, "wamid.first").await,
        "record_wamid"
    ));
    assert!(!ok(
        outbox.record_wamid(m.id, "wamid.second").await,
        "record_wamid"
    ));
    let got = by_key(outbox, &m.idempotency_key).await;
    assert_eq!(
        (got.state, got.wamid.as_deref()),
        (OutboxState::Sending, Some("wamid.first"))
    );
    let pending = message(&sender, &recipient(), base());
    enqueue(outbox, std::slice::from_ref(&pending)).await;
    let p = by_key(outbox, &pending.idempotency_key).await;
    assert!(
        !ok(outbox.record_wamid(p.id, "wamid.p").await, "record_wamid"),
        "a pending message is not being sent"
    );
}

/// Marking sent records the wamid and time and clears the error, also for a worker whose
/// lease was taken over (Meta accepted it); a message already sent or failed is `false`.
pub async fn mark_sent(r: &Repos) {
    let outbox = &*r.outbox;
    let (sender, m, at) = claimed_one(r, "w1").await;
    let taken = claim(outbox, &sender, "w2", at + TimeDelta::minutes(1)).await;
    assert_eq!(taken, vec![m.idempotency_key.clone()]);
    let sent_at = at + TimeDelta::minutes(2);
    assert!(
        ok(
            outbox.mark_sent(m.id, "w1", "wamid.ok", sent_at).await,
            "mark_sent"
        ),
        "any worker records Meta's acceptance"
    );
    let got = by_key(outbox, &m.idempotency_key).await;
    assert_eq!(got.state, OutboxState::Sent);
    assert_eq!(got.wamid.as_deref(), Some("wamid.ok"));
    assert_eq!(got.sent_at, Some(sent_at));
    assert_eq!((got.error_code, got.error), (None, None));
    assert!(!ok(
        outbox.mark_sent(m.id, "w2", "wamid.again", sent_at).await,
        "mark_sent"
    ));
    assert!(
        claim(outbox, &sender, "w3", fixtures::now() + TimeDelta::days(1))
            .await
            .is_empty(),
        "a sent message is never claimed"
    );
    let (_, f, _) = claimed_one(r, "w").await;
    assert!(ok(
        outbox
            .mark_failed(f.id, "w", SendFailure::Meta(131_026), "undeliverable", at)
            .await,
        "mark_failed"
    ));
    assert!(
        !ok(
            outbox.mark_sent(f.id, "w", "wamid.f", at).await,
            "mark_sent"
        ),
        "failed"
    );
}

/// Rescheduling puts the holder's message back to pending from `retry_at` with the error
/// given; the attempt counts only when asked.
pub async fn reschedule(r: &Repos) {
    let outbox = &*r.outbox;
    let (sender, m, _) = claimed_one(r, "w").await;
    let retry = fixtures::now() + TimeDelta::minutes(5);
    assert!(ok(
        outbox
            .reschedule(
                m.id,
                "w",
                retry,
                Some((SendFailure::Meta(130_429), "rate limit hit")),
                true
            )
            .await,
        "reschedule"
    ));
    let got = by_key(outbox, &m.idempotency_key).await;
    assert_eq!((got.state, got.attempts), (OutboxState::Pending, 1));
    assert_eq!(
        (got.error_code, got.error.as_deref()),
        (Some(SendFailure::Meta(130_429)), Some("rate limit hit"))
    );
    assert!(
        claim(outbox, &sender, "w", retry - TimeDelta::seconds(1))
            .await
            .is_empty(),
        "not before retry_at"
    );
    assert_eq!(claim(outbox, &sender, "w", retry).await.len(), 1);
    let later = retry + TimeDelta::minutes(1);
    assert!(ok(
        outbox.reschedule(m.id, "w", later, None, false).await,
        "reschedule"
    ));
    let got = by_key(outbox, &m.idempotency_key).await;
    assert_eq!(got.attempts, 1, "a wait is not an attempt");
    assert_eq!((got.error_code, got.error), (None, None), "no error now");
    assert!(
        !ok(
            outbox.reschedule(m.id, "w", later, None, true).await,
            "reschedule"
        ),
        "a pending message is not held"
    );
}

/// Marking failed parks the holder's message with its code and error; it is not claimed again.
pub async fn mark_failed(r: &Repos) {
    let outbox = &*r.outbox;
    let (sender, m, at) = claimed_one(r, "w").await;
    assert!(!ok(
        outbox
            .mark_failed(m.id, "other", SendFailure::Meta(1), "y", at)
            .await,
        "mark_failed"
    ));
    assert!(ok(
        outbox
            .mark_failed(
                m.id,
                "w",
                SendFailure::OutsideWindow,
                "the window closed",
                at
            )
            .await,
        "mark_failed"
    ));
    let got = by_key(outbox, &m.idempotency_key).await;
    assert_eq!(got.state, OutboxState::Failed);
    assert_eq!(
        (got.error_code, got.error.as_deref()),
        (Some(SendFailure::OutsideWindow), Some("the window closed"))
    );
    assert!(
        claim(outbox, &sender, "w", fixtures::now() + TimeDelta::days(1))
            .await
            .is_empty()
    );
    assert!(!ok(
        outbox
            .mark_failed(m.id, "w", SendFailure::Meta(1), "y", at)
            .await,
        "mark_failed"
    ));
}

/// Failing a number's queue fails its pending messages only (not one being sent, not another
/// number's), counting them.
pub async fn fail_pending_of_sender(r: &Repos) {
    let outbox = &*r.outbox;
    let (sender, sending, _) = claimed_one(r, "w").await;
    let other = fixtures::phone_number_id();
    let p1 = message(&sender, &recipient(), base());
    let p2 = message(&sender, &recipient(), fixtures::now() + TimeDelta::hours(1));
    let theirs = message(&other, &recipient(), base());
    enqueue(outbox, &[p1.clone(), p2.clone(), theirs.clone()]).await;
    let at = fixtures::now();
    assert_eq!(
        ok(
            outbox
                .fail_pending_of_sender(&sender, SendFailure::ReauthRequired, "token revoked", at)
                .await,
            "fail_pending_of_sender"
        ),
        2
    );
    for key in [&p1.idempotency_key, &p2.idempotency_key] {
        let got = by_key(outbox, key).await;
        assert_eq!(got.state, OutboxState::Failed);
        assert_eq!(
            (got.error_code, got.error.as_deref()),
            (Some(SendFailure::ReauthRequired), Some("token revoked"))
        );
    }
    assert_eq!(
        by_key(outbox, &sending.idempotency_key).await.state,
        OutboxState::Sending
    );
    assert_eq!(
        by_key(outbox, &theirs.idempotency_key).await.state,
        OutboxState::Pending
    );
}

/// The messaging-limit count: distinct recipients of business-initiated messages the number
/// sent since `since`, and whether the recipient is one (not customer-initiated ones, not
/// unsent ones, not earlier ones, not another number's).
pub async fn business_recipients_since(r: &Repos) {
    let outbox = &*r.outbox;
    let sender = fixtures::phone_number_id();
    let other = fixtures::phone_number_id();
    let since = fixtures::now() - TimeDelta::hours(24);
    let (a, b, c, old, reply, unsent) = (
        recipient(),
        recipient(),
        recipient(),
        recipient(),
        recipient(),
        recipient(),
    );
    let business = |from: &PhoneNumberId, to: &str| {
        let mut m = message(from, to, base());
        m.initiator = Initiator::Business;
        m
    };
    // (message, sent at): a twice, b, c from the other number, old before `since`, a
    // customer-initiated reply, and one never sent.
    let sends = [
        (business(&sender, &a), Some(since + TimeDelta::hours(1))),
        (business(&sender, &a), Some(since + TimeDelta::hours(2))),
        (business(&sender, &b), Some(since)),
        (business(&other, &c), Some(since + TimeDelta::hours(1))),
        (business(&sender, &old), Some(since - TimeDelta::seconds(1))),
        (
            message(&sender, &reply, base()),
            Some(since + TimeDelta::hours(1)),
        ),
        (business(&sender, &unsent), None),
    ];
    for (m, sent_at) in &sends {
        enqueue(outbox, std::slice::from_ref(m)).await;
        let Some(sent_at) = sent_at else { continue };
        let claimed = ok(
            outbox
                .claim(&m.sender, "w", fixtures::now(), LEASE, 10)
                .await,
            "claim",
        );
        assert_eq!(claimed.len(), 1, "one message due");
        assert!(ok(
            outbox
                .mark_sent(claimed[0].id, "w", &fixtures::wamid(), *sent_at)
                .await,
            "mark_sent"
        ));
    }
    let count = |to: &str| {
        let sender = sender.clone();
        let to = to.to_owned();
        async move {
            ok(
                outbox.business_recipients_since(&sender, &to, since).await,
                "business_recipients_since",
            )
        }
    };
    assert_eq!(count(&a).await, (2, true), "a and b, each once");
    assert_eq!(count(&b).await, (2, true), "sent exactly at since counts");
    for not_one in [&c, &old, &reply, &unsent] {
        assert_eq!(count(not_one).await, (2, false));
    }
}

/// `list` gives the newest messages first, at most `limit`, of one number and state when asked.
pub async fn list_filters(r: &Repos) {
    let outbox = &*r.outbox;
    let (sender, claimed, _) = claimed_one(r, "w").await;
    let other = fixtures::phone_number_id();
    let p1 = message(&sender, &recipient(), base());
    let p2 = message(&sender, &recipient(), base());
    let theirs = message(&other, &recipient(), base());
    for m in [&p1, &p2, &theirs] {
        enqueue(outbox, std::slice::from_ref(m)).await;
    }
    let keys = |ms: Vec<OutboxMessage>| -> Vec<String> {
        ms.into_iter().map(|m| m.idempotency_key).collect()
    };
    assert_eq!(
        keys(ok(outbox.list(Some(&sender), None, 10).await, "list")),
        vec![
            p2.idempotency_key.clone(),
            p1.idempotency_key.clone(),
            claimed.idempotency_key.clone()
        ],
        "newest first, only the number's"
    );
    assert_eq!(
        keys(ok(outbox.list(Some(&sender), None, 2).await, "list")),
        vec![p2.idempotency_key.clone(), p1.idempotency_key.clone()],
        "at most limit"
    );
    assert_eq!(
        keys(ok(
            outbox
                .list(Some(&sender), Some(OutboxState::Sending), 10)
                .await,
            "list"
        )),
        vec![claimed.idempotency_key.clone()],
        "only the state asked for"
    );
    let everyone = keys(ok(outbox.list(None, None, 10_000).await, "list"));
    assert!(everyone.contains(&theirs.idempotency_key) && everyone.contains(&p1.idempotency_key));
}

/// `counts` gives the messages per state.
pub async fn counts_per_state(r: &Repos) {
    let outbox = &*r.outbox;
    let count = |m: &BTreeMap<OutboxState, u64>, s| m.get(&s).copied().unwrap_or(0);
    let before = ok(outbox.counts().await, "counts");
    let (sender, sending, _) = claimed_one(r, "w").await;
    let (_, sent, _) = claimed_one(r, "w").await;
    let (_, failed, _) = claimed_one(r, "w").await;
    let at = fixtures::now();
    assert!(ok(
        outbox.mark_sent(sent.id, "w", "wamid.s", at).await,
        "mark_sent"
    ));
    assert!(ok(
        outbox
            .mark_failed(failed.id, "w", SendFailure::Meta(1), "y", at)
            .await,
        "mark_failed"
    ));
    enqueue(outbox, &[message(&sender, &recipient(), at)]).await;
    let after = ok(outbox.counts().await, "counts");
    assert_eq!(sending.state, OutboxState::Sending);
    for state in [
        OutboxState::Pending,
        OutboxState::Sending,
        OutboxState::Sent,
        OutboxState::Failed,
    ] {
        assert_eq!(
            count(&after, state),
            count(&before, state) + 1,
            "{state:?} counted"
        );
    }
}

/// `find_failed` gives parked messages without a wamid matching every field of the filter
/// (id, number, code, parked since), oldest first.
pub async fn find_failed(r: &Repos) {
    let outbox = &*r.outbox;
    let sender = fixtures::phone_number_id();
    let t = fixtures::now();
    let (early, late) = (t - TimeDelta::hours(2), t - TimeDelta::hours(1));
    let mut parked = Vec::new();
    for (code, at, wamid) in [
        (SendFailure::Meta(130_429), early, false),
        (SendFailure::Meta(131_026), late, false),
        (SendFailure::Meta(130_429), late, false),
        (SendFailure::Meta(130_429), late, true),
    ] {
        let m = message(&sender, &recipient(), base());
        enqueue(outbox, std::slice::from_ref(&m)).await;
        let claimed = ok(outbox.claim(&sender, "w", t, LEASE, 10).await, "claim");
        assert_eq!(claimed.len(), 1);
        if wamid {
            assert!(ok(
                outbox.record_wamid(claimed[0].id, "wamid.x").await,
                "record_wamid"
            ));
        }
        assert!(ok(
            outbox
                .mark_failed(claimed[0].id, "w", code, "err", at)
                .await,
            "mark_failed"
        ));
        parked.push(claimed[0].id);
    }
    let pending = message(&sender, &recipient(), base());
    enqueue(outbox, std::slice::from_ref(&pending)).await;
    let ids = |filter: RequeueFilter| async move {
        ok(outbox.find_failed(&filter).await, "find_failed")
            .into_iter()
            .map(|m| m.id)
            .collect::<Vec<i64>>()
    };
    let by_sender = RequeueFilter {
        sender: Some(sender.clone()),
        ..RequeueFilter::default()
    };
    assert_eq!(
        ids(by_sender.clone()).await,
        vec![parked[0], parked[1], parked[2]],
        "parked without a wamid, oldest first"
    );
    assert_eq!(
        ids(RequeueFilter {
            error_code: Some(SendFailure::Meta(130_429)),
            ..by_sender.clone()
        })
        .await,
        vec![parked[0], parked[2]]
    );
    assert_eq!(
        ids(RequeueFilter {
            error_code: Some(SendFailure::Meta(130_429)),
            failed_since: Some(late),
            ..by_sender.clone()
        })
        .await,
        vec![parked[2]],
        "every field must match"
    );
    assert_eq!(
        ids(RequeueFilter {
            id: Some(parked[1]),
            ..RequeueFilter::default()
        })
        .await,
        vec![parked[1]]
    );
    assert!(
        ids(RequeueFilter {
            id: Some(parked[3]),
            ..RequeueFilter::default()
        })
        .await
        .is_empty(),
        "one Meta accepted is never found"
    );
}

/// `requeue_failed` puts parked messages without a wamid back to pending from `now`, attempts
/// and error cleared, counting them; others are left alone.
pub async fn requeue_failed(r: &Repos) {
    let outbox = &*r.outbox;
    let (sender, failed, at) = claimed_one(r, "w").await;
    assert!(ok(
        outbox
            .mark_failed(
                failed.id,
                "w",
                SendFailure::Graph(GraphErrorKind::Timeout),
                "no answer",
                at
            )
            .await,
        "mark_failed"
    ));
    let (_, accepted, _) = claimed_one(r, "w").await;
    assert!(ok(
        outbox.record_wamid(accepted.id, "wamid.kept").await,
        "record_wamid"
    ));
    assert!(ok(
        outbox
            .mark_failed(
                accepted.id,
                "w",
                SendFailure::Graph(GraphErrorKind::Timeout),
                "x",
                at
            )
            .await,
        "mark_failed"
    ));
    let (_, sent, _) = claimed_one(r, "w").await;
    assert!(ok(
        outbox.mark_sent(sent.id, "w", "wamid.s", at).await,
        "mark_sent"
    ));

    let now = fixtures::now() + TimeDelta::minutes(10);
    assert_eq!(
        ok(
            outbox
                .requeue_failed(&[failed.id, accepted.id, sent.id], now)
                .await,
            "requeue_failed"
        ),
        1
    );
    let got = by_key(outbox, &failed.idempotency_key).await;
    assert_eq!((got.state, got.attempts), (OutboxState::Pending, 0));
    assert_eq!((got.error_code, got.error), (None, None));
    assert_eq!(
        by_key(outbox, &accepted.idempotency_key).await.state,
        OutboxState::Failed
    );
    assert_eq!(
        by_key(outbox, &sent.idempotency_key).await.state,
        OutboxState::Sent
    );
    assert!(
        claim(outbox, &sender, "w", now - TimeDelta::minutes(1))
            .await
            .is_empty(),
        "requeued from now"
    );
    assert_eq!(
        claim(outbox, &sender, "w", now).await,
        vec![failed.idempotency_key]
    );
    assert_eq!(
        ok(outbox.requeue_failed(&[], now).await, "requeue_failed"),
        0
    );
}

/// Concurrent claims of one number never give a message to two workers, and together take
/// every ready one.
pub async fn concurrent_claims(r: &Repos) {
    const MESSAGES: usize = 20;
    const TASKS: usize = 5;
    let sender = fixtures::phone_number_id();
    let at = base();
    let messages: Vec<NewOutboxMessage> = (0..MESSAGES)
        .map(|_| message(&sender, &recipient(), at))
        .collect();
    enqueue(&*r.outbox, &messages).await;
    let mut set = JoinSet::new();
    for i in 0..TASKS {
        let outbox: Arc<dyn OutboxRepo> = r.outbox.clone();
        let sender = sender.clone();
        set.spawn(async move {
            let mut mine = Vec::new();
            loop {
                let got = ok(
                    outbox.claim(&sender, &format!("w{i}"), at, LEASE, 3).await,
                    "concurrent claim",
                );
                if got.is_empty() {
                    return mine;
                }
                mine.extend(got.into_iter().map(|m| m.idempotency_key));
            }
        });
    }
    let all: Vec<String> = set.join_all().await.into_iter().flatten().collect();
    let distinct: BTreeSet<&String> = all.iter().collect();
    assert_eq!(distinct.len(), all.len(), "a message was claimed twice");
    let expected: BTreeSet<&String> = messages.iter().map(|m| &m.idempotency_key).collect();
    assert_eq!(distinct, expected, "every ready message is claimed once");
}
