//! The [`InboxRepo`](omni_ports::InboxRepo) contract, one rule per documented behaviour:
//! appends that collapse duplicates on their dedupe key (a malformed body stored dead), claims
//! of due events under a lease (`fair_at` order, the first unfinished event of each ordering
//! key only, a lease taken over only once it ended, never one event to two workers),
//! completion and failure only by the lease holder (retry from `retry_at`, or dead), leases
//! given back, listing, counts, the operator's requeue and the purge of old done events.
//!
//! Three rules pin what the SQL adapter does where the port is silent: a lease ending exactly
//! at `now` still holds, a released attempt is not counted, and a malformed row (route kind
//! `none`) cannot be requeued. The claim, count and list rules assume the central database is
//! their own (as every backend gives it): a claim takes any due event.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use omni_domain::{AccountId, StoreId};
use omni_ports::{
    AppendOutcome, InboxEvent, InboxOutcome, InboxRepo, InboxRouteKind, InboxState, NewInboxEvent,
};
use tokio::task::JoinSet;

use super::{Repos, ok};
use crate::fixtures;

/// The lease every rule claims with.
const LEASE: Duration = Duration::from_secs(60);

/// A pending event with a fresh dedupe key on `ordering_key`, happened and received at `at`.
fn event(ordering_key: &str, at: DateTime<Utc>) -> NewInboxEvent {
    NewInboxEvent {
        dedupe_key: format!("test:{}", fixtures::random_token()),
        field: "messages".into(),
        route_kind: InboxRouteKind::PhoneNumber,
        route_id: fixtures::phone_number_id().as_str().to_owned(),
        ordering_key: ordering_key.to_owned(),
        event_at: at,
        payload: format!(r#"{{"test":"{}"}}"#, fixtures::random_token()),
        received_at: at,
        fair_at: at,
        state: InboxState::Pending,
        error: None,
    }
}

/// A fresh ordering key.
fn key() -> String {
    format!("m:test:{}", fixtures::random_token())
}

/// An hour ago, so events received "now" are due.
fn base() -> DateTime<Utc> {
    fixtures::now() - TimeDelta::hours(1)
}

/// Appends `events`, which must succeed.
async fn append(inbox: &dyn InboxRepo, events: &[NewInboxEvent]) -> AppendOutcome {
    ok(inbox.append(events).await, "append")
}

/// The stored event of a dedupe key, in whatever state; panics when it is missing.
async fn stored(inbox: &dyn InboxRepo, dedupe_key: &str) -> InboxEvent {
    for state in [
        InboxState::Pending,
        InboxState::Leased,
        InboxState::Done,
        InboxState::Dead,
        InboxState::Unroutable,
    ] {
        if let Some(e) = ok(inbox.list(state, 10_000).await, "list")
            .into_iter()
            .find(|e| e.dedupe_key == dedupe_key)
        {
            return e;
        }
    }
    panic!("no stored event has the dedupe key {dedupe_key}");
}

/// The event by id; panics when it is missing.
async fn by_id(inbox: &dyn InboxRepo, id: i64) -> InboxEvent {
    match ok(inbox.find(id).await, "find") {
        Some(e) => e,
        None => panic!("find({id}) returned None for a stored event"),
    }
}

/// Claims for `worker` at `now` with [`LEASE`]; the claimed events' dedupe keys, in order.
async fn claim(inbox: &dyn InboxRepo, worker: &str, now: DateTime<Utc>, limit: u32) -> Vec<String> {
    ok(inbox.claim(worker, now, LEASE, limit).await, "claim")
        .into_iter()
        .map(|e| e.dedupe_key)
        .collect()
}

/// Claims one event that must be the only one due; returns it.
async fn claim_only(inbox: &dyn InboxRepo, worker: &str, now: DateTime<Utc>) -> InboxEvent {
    let mut claimed = ok(inbox.claim(worker, now, LEASE, 10).await, "claim");
    assert_eq!(claimed.len(), 1, "exactly one event was due: {claimed:?}");
    claimed.remove(0)
}

/// The done outcome of a fresh store and account.
fn done() -> InboxOutcome {
    InboxOutcome::Done {
        store: Some(StoreId::new()),
        account: Some(AccountId::new()),
    }
}

/// An appended event round-trips: pending, no attempts, found by id and listed as given.
pub async fn append_round_trip(r: &Repos) {
    let inbox = &*r.inbox;
    assert_eq!(
        append(inbox, &[]).await,
        AppendOutcome::default(),
        "appending nothing inserts nothing"
    );
    let e = event(&key(), base());
    assert_eq!(
        append(inbox, std::slice::from_ref(&e)).await,
        AppendOutcome {
            inserted: 1,
            duplicates: 0
        }
    );
    let got = stored(inbox, &e.dedupe_key).await;
    assert_eq!(
        (
            got.field.as_str(),
            got.route_kind,
            got.route_id.as_str(),
            got.ordering_key.as_str(),
            got.event_at,
            got.payload.as_str(),
            got.received_at,
        ),
        (
            e.field.as_str(),
            e.route_kind,
            e.route_id.as_str(),
            e.ordering_key.as_str(),
            e.event_at,
            e.payload.as_str(),
            e.received_at,
        ),
        "the stored event keeps what was appended"
    );
    assert_eq!(got.state, InboxState::Pending);
    assert_eq!(got.attempts, 0);
    assert_eq!(
        (
            got.last_error.as_deref(),
            got.store_id,
            got.account_id,
            got.processed_at
        ),
        (None, None, None, None)
    );
    assert_eq!(
        by_id(inbox, got.id).await,
        got,
        "find returns the listed event"
    );
}

/// An event whose dedupe key is stored (from an earlier batch or the same one) is skipped and
/// counted as a duplicate; the first copy is kept.
pub async fn append_dedupes(r: &Repos) {
    let inbox = &*r.inbox;
    let a = event(&key(), base());
    let mut a_again = event(&key(), base());
    a_again.dedupe_key.clone_from(&a.dedupe_key);
    let b = event(&key(), base());
    assert_eq!(
        append(inbox, &[a.clone(), a_again, b.clone()]).await,
        AppendOutcome {
            inserted: 2,
            duplicates: 1
        },
        "a duplicate within the batch is skipped"
    );
    let c = event(&key(), base());
    assert_eq!(
        append(inbox, &[a.clone(), c]).await,
        AppendOutcome {
            inserted: 1,
            duplicates: 1
        },
        "a key stored by an earlier batch is skipped"
    );
    assert_eq!(
        stored(inbox, &a.dedupe_key).await.payload,
        a.payload,
        "the first copy is kept"
    );
}

/// A malformed body is stored dead with its error, finished on arrival, and never claimed.
pub async fn append_malformed_dead(r: &Repos) {
    let inbox = &*r.inbox;
    let at = base();
    let raw = format!("{{not json {}", fixtures::random_token());
    let e = NewInboxEvent::malformed(raw.as_bytes(), "expected value at line 1", at);
    append(inbox, std::slice::from_ref(&e)).await;
    let got = stored(inbox, &e.dedupe_key).await;
    assert_eq!(got.state, InboxState::Dead);
    assert_eq!(
        got.route_kind,
        InboxRouteKind::None,
        "a malformed body has no route"
    );
    assert_eq!(got.last_error.as_deref(), Some("expected value at line 1"));
    assert_eq!(got.processed_at, Some(at), "a dead row is finished");
    assert_eq!(got.payload, raw, "the raw body is kept for an operator");
    assert!(
        !claim(inbox, "w", fixtures::now(), 100)
            .await
            .contains(&e.dedupe_key),
        "a dead event is never claimed"
    );
    assert_eq!(
        append(inbox, &[e]).await.duplicates,
        1,
        "the same body again is a duplicate"
    );
}

/// A pending event is claimed only once its time (its arrival) has come.
pub async fn claim_when_due(r: &Repos) {
    let inbox = &*r.inbox;
    let at = base();
    let e = event(&key(), at);
    append(inbox, std::slice::from_ref(&e)).await;
    assert!(
        claim(inbox, "w", at - TimeDelta::seconds(1), 10)
            .await
            .is_empty(),
        "not due before it arrived"
    );
    assert_eq!(claim(inbox, "w", at, 10).await, vec![e.dedupe_key]);
}

/// Claims take due events in `fair_at` order, at most `limit`, and return them by id.
pub async fn claim_fair_order(r: &Repos) {
    let inbox = &*r.inbox;
    let at = base();
    let mut events = Vec::new();
    for secs in [3, 1, 2] {
        let mut e = event(&key(), at);
        e.fair_at = at + TimeDelta::seconds(secs);
        events.push(e);
    }
    append(inbox, &events).await;
    let now = fixtures::now();
    let first = ok(inbox.claim("w", now, LEASE, 2).await, "claim");
    let keys: BTreeSet<&str> = first.iter().map(|e| e.dedupe_key.as_str()).collect();
    assert_eq!(
        keys,
        BTreeSet::from([events[1].dedupe_key.as_str(), events[2].dedupe_key.as_str()]),
        "the limit takes the earliest fair_at first"
    );
    assert!(
        first.windows(2).all(|w| w[0].id < w[1].id),
        "claimed events come back by id"
    );
    assert_eq!(
        claim(inbox, "w", now, 2).await,
        vec![events[0].dedupe_key.clone()]
    );
}

/// A claim leases the event to the worker (leased, one more attempt); nobody else claims it
/// until the lease has ended (one ending exactly now still holds), then another worker takes
/// it over and the first loses it.
pub async fn claim_lease(r: &Repos) {
    let inbox = &*r.inbox;
    let at = base();
    let e = event(&key(), at);
    append(inbox, std::slice::from_ref(&e)).await;
    let claimed = claim_only(inbox, "w1", at).await;
    assert_eq!(claimed.state, InboxState::Leased);
    assert_eq!(claimed.attempts, 1, "a claim counts as an attempt");
    assert_eq!(by_id(inbox, claimed.id).await.state, InboxState::Leased);
    let lease = TimeDelta::seconds(60);
    for now in [at, at + TimeDelta::seconds(30), at + lease] {
        assert!(
            claim(inbox, "w2", now, 10).await.is_empty(),
            "a live lease holds at {now}"
        );
    }
    let taken = claim_only(inbox, "w2", at + lease + TimeDelta::seconds(1)).await;
    assert_eq!(taken.id, claimed.id);
    assert_eq!(taken.attempts, 2);
    assert!(
        !ok(
            inbox
                .complete(claimed.id, "w1", &done(), fixtures::now())
                .await,
            "complete"
        ),
        "the first worker lost its lease"
    );
    assert!(ok(
        inbox
            .complete(claimed.id, "w2", &done(), fixtures::now())
            .await,
        "complete"
    ));
}

/// Only the first unfinished event of an ordering key (by `event_at`, then arrival) is
/// claimable, also while it is leased or not yet due; the next one follows once it finished.
pub async fn claim_per_ordering_key(r: &Repos) {
    let inbox = &*r.inbox;
    let at = base();
    let k = key();
    let later = event(&k, at + TimeDelta::seconds(1));
    let earlier = event(&k, at);
    let other = event(&key(), at);
    append(inbox, &[later.clone(), earlier.clone(), other.clone()]).await;
    let now = fixtures::now();
    let first: BTreeSet<String> = claim(inbox, "w", now, 10).await.into_iter().collect();
    assert_eq!(
        first,
        BTreeSet::from([earlier.dedupe_key.clone(), other.dedupe_key.clone()]),
        "the earlier event of the key (appended second) goes first; other keys in parallel"
    );
    assert!(
        claim(inbox, "w", now, 10).await.is_empty(),
        "a leased event holds back the rest of its key"
    );
    for finished in [&earlier, &other] {
        let id = stored(inbox, &finished.dedupe_key).await.id;
        assert!(ok(inbox.complete(id, "w", &done(), now).await, "complete"));
    }
    let next = claim_only(inbox, "w", now).await;
    assert_eq!(next.dedupe_key, later.dedupe_key, "the next one follows");
    assert!(ok(
        inbox.complete(next.id, "w", &done(), now).await,
        "complete"
    ));

    // A head that is not due yet holds back its key too.
    let k2 = key();
    let mut waiting = event(&k2, at);
    waiting.received_at = now + TimeDelta::hours(1);
    let behind = event(&k2, at + TimeDelta::seconds(1));
    append(inbox, &[waiting.clone(), behind.clone()]).await;
    assert!(
        claim(inbox, "w", now, 10).await.is_empty(),
        "the event behind a head that is not due waits"
    );
    assert_eq!(
        claim(inbox, "w", now + TimeDelta::hours(1), 10).await,
        vec![waiting.dedupe_key]
    );
}

/// Completing as done records the store and account and the time, ends the lease and the
/// event is never claimed again.
pub async fn complete_done(r: &Repos) {
    let inbox = &*r.inbox;
    let at = base();
    append(inbox, &[event(&key(), at)]).await;
    let e = claim_only(inbox, "w", at).await;
    let (store, account) = (StoreId::new(), AccountId::new());
    let outcome = InboxOutcome::Done {
        store: Some(store),
        account: Some(account),
    };
    let finished = at + TimeDelta::seconds(5);
    assert!(ok(
        inbox.complete(e.id, "w", &outcome, finished).await,
        "complete"
    ));
    let got = by_id(inbox, e.id).await;
    assert_eq!(got.state, InboxState::Done);
    assert_eq!((got.store_id, got.account_id), (Some(store), Some(account)));
    assert_eq!(got.processed_at, Some(finished));
    assert!(
        !ok(
            inbox.complete(e.id, "w", &outcome, finished).await,
            "complete"
        ),
        "a finished event cannot be completed again"
    );
    assert!(
        claim(inbox, "w", fixtures::now() + TimeDelta::hours(1), 10)
            .await
            .is_empty(),
        "a done event is never claimed"
    );
}

/// Completing as unroutable keeps the reason and no store.
pub async fn complete_unroutable(r: &Repos) {
    let inbox = &*r.inbox;
    let at = base();
    append(inbox, &[event(&key(), at)]).await;
    let e = claim_only(inbox, "w", at).await;
    let outcome = InboxOutcome::Unroutable {
        reason: "no live account has this number".into(),
    };
    assert!(ok(
        inbox.complete(e.id, "w", &outcome, at).await,
        "complete"
    ));
    let got = by_id(inbox, e.id).await;
    assert_eq!(got.state, InboxState::Unroutable);
    assert_eq!(
        got.last_error.as_deref(),
        Some("no live account has this number")
    );
    assert_eq!((got.store_id, got.account_id), (None, None));
    assert_eq!(got.processed_at, Some(at));
}

/// Only the lease holder completes or fails an event; anyone else (or a pending event)
/// gets `false` and nothing changes.
pub async fn complete_needs_the_lease(r: &Repos) {
    let inbox = &*r.inbox;
    let at = base();
    let pending = event(&key(), at + TimeDelta::minutes(30));
    append(inbox, &[event(&key(), at), pending.clone()]).await;
    let e = claim_only(inbox, "w1", at).await;
    assert!(!ok(
        inbox.complete(e.id, "w2", &done(), at).await,
        "complete"
    ));
    assert!(!ok(inbox.fail(e.id, "w2", "boom", None, at).await, "fail"));
    let got = by_id(inbox, e.id).await;
    assert_eq!((got.state, got.attempts), (InboxState::Leased, 1));
    let p = stored(inbox, &pending.dedupe_key).await;
    assert!(
        !ok(inbox.complete(p.id, "w1", &done(), at).await, "complete"),
        "an unclaimed event cannot be completed"
    );
    assert_eq!(by_id(inbox, p.id).await.state, InboxState::Pending);
    assert!(ok(
        inbox.complete(e.id, "w1", &done(), at).await,
        "complete"
    ));
}

/// A failure with `retry_at` puts the event back to pending with its error, claimable from
/// `retry_at` on, the attempt counted.
pub async fn fail_retries(r: &Repos) {
    let inbox = &*r.inbox;
    let at = base();
    append(inbox, &[event(&key(), at)]).await;
    let e = claim_only(inbox, "w", at).await;
    let retry = at + TimeDelta::minutes(5);
    assert!(ok(
        inbox
            .fail(e.id, "w", "tenant database down", Some(retry), at)
            .await,
        "fail"
    ));
    let got = by_id(inbox, e.id).await;
    assert_eq!(got.state, InboxState::Pending);
    assert_eq!(got.last_error.as_deref(), Some("tenant database down"));
    assert_eq!((got.attempts, got.processed_at), (1, None));
    assert!(
        claim(inbox, "w", retry - TimeDelta::seconds(1), 10)
            .await
            .is_empty(),
        "not before retry_at"
    );
    let again = claim_only(inbox, "w", retry).await;
    assert_eq!((again.id, again.attempts), (e.id, 2));
}

/// A failure without `retry_at` makes the event dead (finished, with its error); it is never
/// claimed again.
pub async fn fail_dead(r: &Repos) {
    let inbox = &*r.inbox;
    let at = base();
    append(inbox, &[event(&key(), at)]).await;
    let e = claim_only(inbox, "w", at).await;
    assert!(ok(
        inbox.fail(e.id, "w", "bad payload", None, at).await,
        "fail"
    ));
    let got = by_id(inbox, e.id).await;
    assert_eq!(got.state, InboxState::Dead);
    assert_eq!(got.last_error.as_deref(), Some("bad payload"));
    assert_eq!(got.processed_at, Some(at));
    assert!(
        claim(inbox, "w", fixtures::now() + TimeDelta::days(1), 10)
            .await
            .is_empty(),
        "a dead event is never claimed"
    );
    assert!(!ok(inbox.fail(e.id, "w", "again", None, at).await, "fail"));
}

/// `release` gives back every lease of the worker (and only its), counting them; the events
/// are claimable at once and the given-back attempt is not counted.
pub async fn release_gives_back(r: &Repos) {
    let inbox = &*r.inbox;
    let at = base();
    let mine = [event(&key(), at), event(&key(), at)];
    append(inbox, &mine).await;
    let held = claim(inbox, "w1", at, 10).await;
    assert_eq!(held.len(), 2);
    let theirs = event(&key(), at);
    append(inbox, std::slice::from_ref(&theirs)).await;
    assert_eq!(
        claim(inbox, "w2", at, 10).await,
        vec![theirs.dedupe_key.clone()]
    );
    assert_eq!(ok(inbox.release("w1").await, "release"), 2);
    for e in &mine {
        let got = stored(inbox, &e.dedupe_key).await;
        assert_eq!((got.state, got.attempts), (InboxState::Pending, 0));
    }
    assert_eq!(
        stored(inbox, &theirs.dedupe_key).await.state,
        InboxState::Leased,
        "another worker's lease is kept"
    );
    let retaken: BTreeSet<String> = claim(inbox, "w3", at, 10).await.into_iter().collect();
    assert_eq!(
        retaken,
        mine.iter().map(|e| e.dedupe_key.clone()).collect(),
        "released events are claimable at once"
    );
    assert_eq!(ok(inbox.release("w1").await, "release"), 0);
}

/// `list` gives the newest `limit` events of one state, newest first.
pub async fn list_newest_first(r: &Repos) {
    let inbox = &*r.inbox;
    let at = base();
    let events: Vec<NewInboxEvent> = (0..4).map(|_| event(&key(), at)).collect();
    for e in &events {
        append(inbox, std::slice::from_ref(e)).await;
    }
    let ids = [
        stored(inbox, &events[0].dedupe_key).await.id,
        stored(inbox, &events[1].dedupe_key).await.id,
        stored(inbox, &events[2].dedupe_key).await.id,
        stored(inbox, &events[3].dedupe_key).await.id,
    ];
    // The oldest one done, the others stay pending.
    let oldest = claim(inbox, "w", at, 1).await;
    assert_eq!(oldest, vec![events[0].dedupe_key.clone()]);
    assert!(ok(
        inbox.complete(ids[0], "w", &done(), at).await,
        "complete"
    ));
    let pending: Vec<i64> = ok(inbox.list(InboxState::Pending, 2).await, "list")
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(pending, vec![ids[3], ids[2]], "newest first, at most limit");
    let done_ids: Vec<i64> = ok(inbox.list(InboxState::Done, 10).await, "list")
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(done_ids, vec![ids[0]], "only the state asked for");
}

/// `find` of an id never given out is `None`.
pub async fn find_unknown(r: &Repos) {
    assert_eq!(ok(r.inbox.find(i64::MAX).await, "find"), None);
}

/// `counts` gives the events per state.
pub async fn counts_per_state(r: &Repos) {
    let inbox = &*r.inbox;
    let count =
        |m: &std::collections::BTreeMap<InboxState, u64>, s| m.get(&s).copied().unwrap_or(0);
    let before = ok(inbox.counts().await, "counts");
    let at = base();
    let events: Vec<NewInboxEvent> = (0..4).map(|_| event(&key(), at)).collect();
    append(inbox, &events).await;
    let claimed = ok(inbox.claim("w", at, LEASE, 3).await, "claim");
    assert_eq!(claimed.len(), 3);
    assert!(ok(
        inbox.complete(claimed[0].id, "w", &done(), at).await,
        "complete"
    ));
    assert!(ok(
        inbox.fail(claimed[1].id, "w", "x", None, at).await,
        "fail"
    ));
    let after = ok(inbox.counts().await, "counts");
    for (state, added) in [
        (InboxState::Pending, 1),
        (InboxState::Leased, 1),
        (InboxState::Done, 1),
        (InboxState::Dead, 1),
        (InboxState::Unroutable, 0),
    ] {
        assert_eq!(
            count(&after, state),
            count(&before, state) + added,
            "{state:?} counted"
        );
    }
}

/// `requeue` puts a dead or unroutable event back to pending from `now` with its attempts
/// cleared; any other state (and a malformed row, which has no route) is `false`.
pub async fn requeue(r: &Repos) {
    let inbox = &*r.inbox;
    let at = base();
    let events: Vec<NewInboxEvent> = (0..4).map(|_| event(&key(), at)).collect();
    append(inbox, &events).await;
    let claimed = ok(inbox.claim("w", at, LEASE, 3).await, "claim");
    assert_eq!(claimed.len(), 3);
    let (dead, unroutable, finished) = (claimed[0].id, claimed[1].id, claimed[2].id);
    assert!(ok(inbox.fail(dead, "w", "boom", None, at).await, "fail"));
    let outcome = InboxOutcome::Unroutable {
        reason: "no account".into(),
    };
    assert!(ok(
        inbox.complete(unroutable, "w", &outcome, at).await,
        "complete"
    ));
    assert!(ok(
        inbox.complete(finished, "w", &done(), at).await,
        "complete"
    ));
    let pending = stored(inbox, &events[3].dedupe_key).await.id;
    let leased = claim_only(inbox, "w", at).await.id;
    assert_eq!(leased, pending);

    let later = fixtures::now() + TimeDelta::hours(1);
    for id in [dead, unroutable] {
        assert!(
            ok(inbox.requeue(id, later).await, "requeue"),
            "requeue {id}"
        );
        let got = by_id(inbox, id).await;
        assert_eq!(
            (got.state, got.attempts, got.processed_at),
            (InboxState::Pending, 0, None)
        );
    }
    assert!(!ok(inbox.requeue(finished, later).await, "requeue"), "done");
    assert!(!ok(inbox.requeue(leased, later).await, "requeue"), "leased");
    let early: BTreeSet<i64> = ok(
        inbox
            .claim("w2", later - TimeDelta::minutes(1), LEASE, 10)
            .await,
        "claim",
    )
    .into_iter()
    .map(|e| e.id)
    .collect();
    assert_eq!(
        early,
        BTreeSet::from([leased]),
        "requeued events wait for now (only the lapsed lease is taken over)"
    );
    let back: BTreeSet<i64> = ok(inbox.claim("w2", later, LEASE, 10).await, "claim")
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(back, BTreeSet::from([dead, unroutable]));

    let malformed = NewInboxEvent::malformed(fixtures::random_token().as_bytes(), "bad", at);
    append(inbox, std::slice::from_ref(&malformed)).await;
    let m = stored(inbox, &malformed.dedupe_key).await;
    assert!(
        !ok(inbox.requeue(m.id, later).await, "requeue"),
        "a malformed row stays dead"
    );
    assert_eq!(by_id(inbox, m.id).await.state, InboxState::Dead);
}

/// `purge_done` deletes only done events received before `before`, counting them, and their
/// dedupe keys go with them.
pub async fn purge_done(r: &Repos) {
    let inbox = &*r.inbox;
    let before = base() - TimeDelta::days(7);
    let old_done = event(&key(), before - TimeDelta::days(1));
    let edge_done = event(&key(), before);
    let new_done = event(&key(), base());
    let old_pending = event(&key(), before + TimeDelta::days(30));
    let old_dead = event(&key(), before - TimeDelta::days(1));
    let dones = [old_done.clone(), edge_done.clone(), new_done.clone()];
    append(inbox, &dones).await;
    let now = fixtures::now();
    for e in ok(inbox.claim("w", now, LEASE, 10).await, "claim") {
        assert!(ok(
            inbox.complete(e.id, "w", &done(), now).await,
            "complete"
        ));
    }
    append(inbox, std::slice::from_ref(&old_dead)).await;
    let dead = claim_only(inbox, "w", now).await;
    assert!(ok(inbox.fail(dead.id, "w", "x", None, now).await, "fail"));
    let mut not_due = old_pending.clone();
    not_due.received_at = before - TimeDelta::days(1);
    not_due.fair_at = not_due.received_at;
    append(inbox, std::slice::from_ref(&not_due)).await;

    let old_id = stored(inbox, &old_done.dedupe_key).await.id;
    assert_eq!(ok(inbox.purge_done(before).await, "purge_done"), 1);
    assert_eq!(ok(inbox.find(old_id).await, "find"), None, "purged");
    for kept in [&edge_done, &new_done, &old_dead, &not_due] {
        stored(inbox, &kept.dedupe_key).await;
    }
    assert_eq!(
        append(inbox, &[old_done]).await.inserted,
        1,
        "a purged event's dedupe key is free again"
    );
}

/// Concurrent claims never give one event to two workers, and together take every due one.
pub async fn concurrent_claims(r: &Repos) {
    const EVENTS: usize = 24;
    const TASKS: usize = 6;
    let at = base();
    let events: Vec<NewInboxEvent> = (0..EVENTS).map(|_| event(&key(), at)).collect();
    append(&*r.inbox, &events).await;
    let mut set = JoinSet::new();
    for i in 0..TASKS {
        let inbox: Arc<dyn InboxRepo> = r.inbox.clone();
        set.spawn(async move {
            let mut mine = Vec::new();
            loop {
                let got = ok(
                    inbox.claim(&format!("w{i}"), at, LEASE, 3).await,
                    "concurrent claim",
                );
                if got.is_empty() {
                    return mine;
                }
                mine.extend(got.into_iter().map(|e| e.dedupe_key));
            }
        });
    }
    let mut all: Vec<String> = set.join_all().await.into_iter().flatten().collect();
    let total = all.len();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), total, "an event was claimed twice");
    let mut expected: Vec<String> = events.into_iter().map(|e| e.dedupe_key).collect();
    expected.sort();
    assert_eq!(all, expected, "every due event is claimed once");
}
