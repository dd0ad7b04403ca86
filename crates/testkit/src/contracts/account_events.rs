//! The [`AccountEventRepo`](omni_ports::AccountEventRepo) contract: an event round-trips, an
//! account's events are listed newest first (by `occurred_at`; of equal times the one
//! recorded later first, as the SQL adapter's UUIDv7 ids sort), at most `limit`, and only
//! that account's.

use chrono::{DateTime, TimeDelta, Utc};
use omni_domain::{AccountId, StoreId};
use omni_ports::{AccountEvent, AccountEventRepo};

use super::{Repos, ok};
use crate::fixtures;

/// An event of `account` that happened at `at`.
fn event(account: AccountId, at: DateTime<Utc>, kind: &str) -> AccountEvent {
    AccountEvent {
        account_id: Some(account),
        store_id: Some(StoreId::new()),
        waba_id: "waba-1".into(),
        kind: kind.to_owned(),
        detail: serde_json::json!({ "event": kind, "old": "GREEN", "new": "YELLOW" }),
        occurred_at: at,
        recorded_at: at + TimeDelta::seconds(2),
    }
}

/// Records `e`, which must succeed.
async fn record(events: &dyn AccountEventRepo, e: &AccountEvent) {
    ok(events.record(e).await, "record");
}

/// Every event of `account`.
async fn listed(events: &dyn AccountEventRepo, account: AccountId) -> Vec<AccountEvent> {
    ok(
        events.list_for_account(account, 1_000).await,
        "list_for_account",
    )
}

/// An event round-trips with every field, and with its optional store unset.
pub async fn event_round_trip(r: &Repos) {
    let events = r.events.as_ref();
    let account = AccountId::new();
    let full = event(account, fixtures::now(), "quality_update");
    let mut bare = event(
        account,
        full.occurred_at - TimeDelta::minutes(1),
        "account_alert",
    );
    bare.store_id = None;
    bare.detail = serde_json::json!(null);
    record(events, &full).await;
    record(events, &bare).await;
    assert_eq!(
        listed(events, account).await,
        vec![full, bare],
        "an event must round-trip with every field"
    );
}

/// Newest `occurred_at` first, whatever the recording order; equal times, later recorded
/// first.
pub async fn events_newest_first(r: &Repos) {
    let events = r.events.as_ref();
    let account = AccountId::new();
    let base = fixtures::now();
    let mut recorded = Vec::new();
    for (i, offset) in [2_i64, 0, 3, 1].into_iter().enumerate() {
        let e = event(account, base + TimeDelta::minutes(offset), &format!("e{i}"));
        record(events, &e).await;
        recorded.push(e);
    }
    let tie_first = event(account, base, "tie first");
    let tie_second = event(account, base, "tie second");
    record(events, &tie_first).await;
    record(events, &tie_second).await;
    let e = |i: usize| recorded[i].clone();
    assert_eq!(
        listed(events, account).await,
        vec![e(2), e(0), e(3), tie_second, tie_first, e(1)],
        "events must be listed newest first, of equal times the later recorded first"
    );
}

/// At most `limit` events, the newest; none for a limit of 0.
pub async fn events_limit(r: &Repos) {
    let events = r.events.as_ref();
    let account = AccountId::new();
    let base = fixtures::now();
    let mut recorded = Vec::new();
    for offset in [1_i64, 3, 0, 2] {
        let e = event(account, base + TimeDelta::minutes(offset), "quality_update");
        record(events, &e).await;
        recorded.push(e);
    }
    recorded.sort_by_key(|e| std::cmp::Reverse(e.occurred_at));
    assert_eq!(
        ok(
            events.list_for_account(account, 2).await,
            "list_for_account"
        ),
        recorded[..2].to_vec(),
        "list_for_account must return the newest `limit`"
    );
    assert!(
        ok(
            events.list_for_account(account, 0).await,
            "list_for_account"
        )
        .is_empty(),
        "a limit of 0 must list nothing"
    );
}

/// Only the account's own events: not another account's, not those naming no account.
pub async fn events_by_account(r: &Repos) {
    let events = r.events.as_ref();
    let (account, other) = (AccountId::new(), AccountId::new());
    let at = fixtures::now();
    let mine = event(account, at, "quality_update");
    let theirs = event(other, at, "quality_update");
    let mut whole_waba = event(account, at, "account_update");
    whole_waba.account_id = None;
    for e in [&mine, &theirs, &whole_waba] {
        record(events, e).await;
    }
    assert_eq!(
        listed(events, account).await,
        vec![mine],
        "an account must list only its own events"
    );
    assert_eq!(
        listed(events, other).await,
        vec![theirs],
        "another account must list only its own events"
    );
    assert!(
        listed(events, AccountId::new()).await.is_empty(),
        "an account without events lists none"
    );
}
