//! [`OwnerAuthRepo`] in memory: login sessions and OAuth states by their hashes. Like the SQL
//! tables, a session or state must name an owner (and a state a store) of the central
//! registry it was built [`over`](InMemoryOwnerAuthRepo::over), else `NotFound`; consuming a
//! state is decided under the lock, so two callbacks with one state cannot both win.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use omni_domain::{OwnerId, StoreId};
use omni_ports::{OAuthState, OwnerAuthRepo, OwnerSession, RepoError, StateConsumption};

use crate::{InMemoryCentralRepo, lock};

/// The two tables.
#[derive(Debug, Default)]
struct Auth {
    /// By token hash.
    sessions: BTreeMap<String, OwnerSession>,
    /// By nonce hash, with when it was consumed.
    states: BTreeMap<String, (OAuthState, Option<DateTime<Utc>>)>,
}

/// In-memory sessions and OAuth states. Cheap to create: make one per test.
///
/// Built with [`over`](Self::over) it checks owners and stores against an in-memory central
/// registry the way the SQL foreign keys do; built with [`new`](Self::new) they all exist.
#[derive(Debug, Default)]
pub struct InMemoryOwnerAuthRepo {
    state: Mutex<Auth>,
    central: Option<Arc<InMemoryCentralRepo>>,
}

impl InMemoryOwnerAuthRepo {
    /// An empty repository that accepts every owner and store id.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty repository whose sessions and states must name an owner (and a store) of
    /// `central` (otherwise `NotFound`, as the SQL foreign keys answer).
    #[must_use]
    pub fn over(central: Arc<InMemoryCentralRepo>) -> Self {
        Self {
            state: Mutex::default(),
            central: Some(central),
        }
    }

    /// `Ok` when `owner` (and `store`, when given) are registered.
    fn check_refs(&self, owner: OwnerId, store: Option<StoreId>) -> Result<(), RepoError> {
        match &self.central {
            Some(c) if !c.has_owner(owner) || store.is_some_and(|s| !c.has_store(s)) => {
                Err(RepoError::NotFound)
            }
            _ => Ok(()),
        }
    }
}

#[async_trait]
impl OwnerAuthRepo for InMemoryOwnerAuthRepo {
    async fn insert_session(&self, session: &OwnerSession) -> Result<(), RepoError> {
        self.check_refs(session.owner_id, None)?;
        let mut auth = lock(&self.state);
        if auth.sessions.contains_key(&session.token_hash) {
            return Err(RepoError::conflict("session hash exists"));
        }
        auth.sessions
            .insert(session.token_hash.clone(), session.clone());
        Ok(())
    }

    async fn find_live_session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<OwnerSession>, RepoError> {
        Ok(lock(&self.state)
            .sessions
            .get(token_hash)
            .filter(|s| s.revoked_at.is_none() && s.expires_at > now)
            .cloned())
    }

    async fn revoke_session(&self, token_hash: &str, at: DateTime<Utc>) -> Result<bool, RepoError> {
        // As the SQL adapter: any session not yet revoked, expired or not.
        match lock(&self.state)
            .sessions
            .get_mut(token_hash)
            .filter(|s| s.revoked_at.is_none())
        {
            Some(session) => {
                session.revoked_at = Some(at);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    async fn insert_oauth_state(&self, state: &OAuthState) -> Result<(), RepoError> {
        self.check_refs(state.owner_id, Some(state.store_id))?;
        let mut auth = lock(&self.state);
        if auth.states.contains_key(&state.nonce_hash) {
            return Err(RepoError::conflict("state hash exists"));
        }
        auth.states
            .insert(state.nonce_hash.clone(), (state.clone(), None));
        Ok(())
    }

    async fn consume_oauth_state(
        &self,
        nonce_hash: &str,
        owner: OwnerId,
        store: StoreId,
        now: DateTime<Utc>,
    ) -> Result<StateConsumption, RepoError> {
        let mut auth = lock(&self.state);
        let Some((state, consumed_at)) = auth
            .states
            .get_mut(nonce_hash)
            .filter(|(s, _)| s.owner_id == owner && s.store_id == store)
        else {
            return Ok(StateConsumption::Unknown);
        };
        Ok(if consumed_at.is_some() {
            StateConsumption::AlreadyUsed
        } else if state.expires_at <= now {
            StateConsumption::Expired
        } else {
            *consumed_at = Some(now);
            StateConsumption::Consumed
        })
    }
}
