//! The [`OwnerAuthRepo`](omni_ports::OwnerAuthRepo) contract: sessions live until revoked or
//! expired (`expires_at` itself is too late), revoking once, unique hashes and registered
//! owners; OAuth states consumed once, only by their owner and store and before they expire,
//! and never by two concurrent callbacks.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use omni_domain::{OwnerId, StoreId};
use omni_ports::{OAuthState, OwnerAuthRepo, OwnerSession, StateConsumption};
use tokio::task::JoinSet;
use uuid::Uuid;

use super::{Repos, conflict, not_found, ok};
use crate::fixtures;

/// Registers an owner and one store of theirs in the central registry.
///
/// # Panics
/// When a setup call fails.
pub async fn owner_with_store(r: &Repos) -> (OwnerId, StoreId) {
    let owner = fixtures::owner();
    ok(r.central.insert_owner(&owner).await, "insert_owner (setup)");
    let id = StoreId::new();
    let store = fixtures::store(id, owner.id, fixtures::sqlite_location(id));
    ok(r.central.insert_store(&store).await, "insert_store (setup)");
    (owner.id, id)
}

/// A fresh hash-like key.
fn hash() -> String {
    format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple())
}

/// A fresh session of `owner`, created at `at`, valid for an hour.
fn session(owner: OwnerId, at: DateTime<Utc>) -> OwnerSession {
    OwnerSession {
        token_hash: hash(),
        owner_id: owner,
        created_at: at,
        expires_at: at + TimeDelta::hours(1),
        revoked_at: None,
    }
}

/// A fresh OAuth state of `owner` and `store`, created at `at`, valid for ten minutes.
fn state(owner: OwnerId, store: StoreId, at: DateTime<Utc>) -> OAuthState {
    OAuthState {
        nonce_hash: hash(),
        owner_id: owner,
        store_id: store,
        created_at: at,
        expires_at: at + TimeDelta::minutes(10),
    }
}

/// The live session with `hash` at `now`.
async fn live(auth: &dyn OwnerAuthRepo, hash: &str, now: DateTime<Utc>) -> Option<OwnerSession> {
    ok(auth.find_live_session(hash, now).await, "find_live_session")
}

/// A session round-trips and is live until just before `expires_at`.
pub async fn session_live_until_expiry(r: &Repos) {
    let auth = r.auth.as_ref();
    let (owner, _) = owner_with_store(r).await;
    let s = session(owner, fixtures::now());
    ok(auth.insert_session(&s).await, "insert_session");
    assert_eq!(
        live(auth, &s.token_hash, s.created_at).await.as_ref(),
        Some(&s),
        "a new session must be found with every field"
    );
    assert_eq!(
        live(auth, &s.token_hash, s.expires_at - TimeDelta::seconds(1)).await,
        Some(s.clone()),
        "a session must be live until its expiry"
    );
    assert_eq!(
        live(auth, &s.token_hash, s.expires_at).await,
        None,
        "a session must not be live at its expires_at"
    );
    assert_eq!(
        live(auth, &hash(), s.created_at).await,
        None,
        "an unknown hash has no session"
    );
}

/// Revoking ends a live session once; a second revoke or an unknown hash answers false.
pub async fn revoke_session(r: &Repos) {
    let auth = r.auth.as_ref();
    let (owner, _) = owner_with_store(r).await;
    let s = session(owner, fixtures::now());
    let other = session(owner, s.created_at);
    ok(auth.insert_session(&s).await, "insert_session");
    ok(auth.insert_session(&other).await, "insert_session");
    let at = s.created_at + TimeDelta::minutes(1);
    assert!(
        ok(
            auth.revoke_session(&s.token_hash, at).await,
            "revoke_session"
        ),
        "revoking a live session must answer true"
    );
    assert_eq!(
        live(auth, &s.token_hash, at).await,
        None,
        "a revoked session must not be live"
    );
    assert!(
        !ok(
            auth.revoke_session(&s.token_hash, at).await,
            "revoke_session"
        ),
        "revoking a revoked session must answer false"
    );
    assert!(
        !ok(auth.revoke_session(&hash(), at).await, "revoke_session"),
        "revoking an unknown hash must answer false"
    );
    assert_eq!(
        live(auth, &other.token_hash, at).await,
        Some(other),
        "revoking one session must leave the owner's others live"
    );
}

/// A session's hash is unique (`Conflict`) and its owner must exist (`NotFound`).
pub async fn session_refusals(r: &Repos) {
    let auth = r.auth.as_ref();
    let (owner, _) = owner_with_store(r).await;
    let s = session(owner, fixtures::now());
    ok(auth.insert_session(&s).await, "insert_session");
    let mut copy = session(owner, s.created_at + TimeDelta::minutes(1));
    copy.token_hash.clone_from(&s.token_hash);
    conflict(
        auth.insert_session(&copy).await,
        "insert_session with a stored hash",
    );
    assert_eq!(
        live(auth, &s.token_hash, s.created_at).await,
        Some(s.clone()),
        "a refused duplicate must not change the stored session"
    );
    let orphan = session(OwnerId::new(), s.created_at);
    not_found(
        auth.insert_session(&orphan).await,
        "insert_session of an unknown owner",
    );
    assert_eq!(
        live(auth, &orphan.token_hash, s.created_at).await,
        None,
        "a refused session must not be stored"
    );
}

/// Consume `st` as its owner and store at `now`.
async fn consume(
    auth: &dyn OwnerAuthRepo,
    st: &OAuthState,
    now: DateTime<Utc>,
) -> StateConsumption {
    ok(
        auth.consume_oauth_state(&st.nonce_hash, st.owner_id, st.store_id, now)
            .await,
        "consume_oauth_state",
    )
}

/// A pending state is consumed once; after that it is `AlreadyUsed`.
pub async fn oauth_state_consumed_once(r: &Repos) {
    let auth = r.auth.as_ref();
    let (owner, store) = owner_with_store(r).await;
    let st = state(owner, store, fixtures::now());
    ok(auth.insert_oauth_state(&st).await, "insert_oauth_state");
    let at = st.expires_at - TimeDelta::seconds(1);
    assert_eq!(
        consume(auth, &st, at).await,
        StateConsumption::Consumed,
        "a pending state must be consumed"
    );
    assert_eq!(
        consume(auth, &st, at).await,
        StateConsumption::AlreadyUsed,
        "a consumed state must answer AlreadyUsed"
    );
    assert_eq!(
        consume(auth, &st, st.expires_at + TimeDelta::minutes(1)).await,
        StateConsumption::AlreadyUsed,
        "a consumed state stays AlreadyUsed after it would have expired"
    );
}

/// A state is refused from its `expires_at` on, and stays pending-but-expired.
pub async fn oauth_state_expires(r: &Repos) {
    let auth = r.auth.as_ref();
    let (owner, store) = owner_with_store(r).await;
    let st = state(owner, store, fixtures::now());
    ok(auth.insert_oauth_state(&st).await, "insert_oauth_state");
    for at in [st.expires_at, st.expires_at + TimeDelta::hours(1)] {
        assert_eq!(
            consume(auth, &st, at).await,
            StateConsumption::Expired,
            "a state must be Expired from its expires_at on ({at})"
        );
    }
}

/// Only the state's own owner and store consume it; otherwise, and for an unknown nonce,
/// `Unknown`, and the state stays pending.
pub async fn oauth_state_bound_to_owner_and_store(r: &Repos) {
    let auth = r.auth.as_ref();
    let (owner, store) = owner_with_store(r).await;
    let (other_owner, other_store) = owner_with_store(r).await;
    let st = state(owner, store, fixtures::now());
    ok(auth.insert_oauth_state(&st).await, "insert_oauth_state");
    let at = st.created_at + TimeDelta::minutes(1);
    for (nonce, o, s, which) in [
        (st.nonce_hash.clone(), other_owner, store, "another owner"),
        (st.nonce_hash.clone(), owner, other_store, "another store"),
        (hash(), owner, store, "an unknown nonce"),
    ] {
        assert_eq!(
            ok(
                auth.consume_oauth_state(&nonce, o, s, at).await,
                "consume_oauth_state"
            ),
            StateConsumption::Unknown,
            "consuming with {which} must answer Unknown"
        );
    }
    assert_eq!(
        consume(auth, &st, at).await,
        StateConsumption::Consumed,
        "refused attempts must leave the state pending"
    );
}

/// A state's nonce is unique (`Conflict`); its owner and store must exist (`NotFound`).
pub async fn oauth_state_refusals(r: &Repos) {
    let auth = r.auth.as_ref();
    let (owner, store) = owner_with_store(r).await;
    let at = fixtures::now();
    let st = state(owner, store, at);
    ok(auth.insert_oauth_state(&st).await, "insert_oauth_state");
    let mut copy = state(owner, store, at);
    copy.nonce_hash.clone_from(&st.nonce_hash);
    conflict(
        auth.insert_oauth_state(&copy).await,
        "insert_oauth_state with a stored nonce",
    );
    not_found(
        auth.insert_oauth_state(&state(OwnerId::new(), store, at))
            .await,
        "insert_oauth_state of an unknown owner",
    );
    not_found(
        auth.insert_oauth_state(&state(owner, StoreId::new(), at))
            .await,
        "insert_oauth_state of an unknown store",
    );
    assert_eq!(
        consume(auth, &st, at).await,
        StateConsumption::Consumed,
        "the refusals must leave the stored state pending"
    );
}

/// Many callbacks with one state at once: exactly one consumes it, the rest are told it was
/// used.
pub async fn oauth_state_concurrent_consume(r: &Repos) {
    const TASKS: usize = 8;
    let (owner, store) = owner_with_store(r).await;
    let st = state(owner, store, fixtures::now());
    ok(r.auth.insert_oauth_state(&st).await, "insert_oauth_state");
    let at = st.created_at + TimeDelta::minutes(1);
    let mut set = JoinSet::new();
    for _ in 0..TASKS {
        let (auth, st): (Arc<dyn OwnerAuthRepo>, OAuthState) = (r.auth.clone(), st.clone());
        set.spawn(async move {
            auth.consume_oauth_state(&st.nonce_hash, st.owner_id, st.store_id, at)
                .await
        });
    }
    let outcomes: Vec<StateConsumption> = set
        .join_all()
        .await
        .into_iter()
        .map(|o| ok(o, "concurrent consume_oauth_state"))
        .collect();
    let consumed = outcomes
        .iter()
        .filter(|o| **o == StateConsumption::Consumed)
        .count();
    let used = outcomes
        .iter()
        .filter(|o| **o == StateConsumption::AlreadyUsed)
        .count();
    assert_eq!(
        (consumed, used),
        (1, TASKS - 1),
        "exactly one concurrent callback must consume a state: {outcomes:?}"
    );
}
