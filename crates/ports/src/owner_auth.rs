//! What the owner API stores besides the registry: login sessions and OAuth `state` nonces.
//! Both are looked up by a SHA-256 hash of the secret the client holds, so a leaked table
//! gives nobody a usable token. Kept apart from [`crate::CentralRepo`] (the registry) as the
//! module header there asks; the SQL adapter implements both on the same central database.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use omni_domain::{OwnerId, StoreId};

use crate::RepoError;

/// A login session of an owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerSession {
    /// Lower-case hex SHA-256 of the bearer token (the token itself is never stored).
    pub token_hash: String,
    /// Whose session.
    pub owner_id: OwnerId,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// No longer valid from this time on.
    pub expires_at: DateTime<Utc>,
    /// Logged out at.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A pending OAuth `state`: single use, bound to an owner and a store, expiring.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthState {
    /// Lower-case hex SHA-256 of the random nonce.
    pub nonce_hash: String,
    /// Who started the flow.
    pub owner_id: OwnerId,
    /// For which store.
    pub store_id: StoreId,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Refused from this time on.
    pub expires_at: DateTime<Utc>,
}

/// What consuming a state found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateConsumption {
    /// It was pending, bound to this owner and store, and is now consumed.
    Consumed,
    /// It had been consumed before.
    AlreadyUsed,
    /// It had expired.
    Expired,
    /// No such state, or bound to another owner or store.
    Unknown,
}

/// Sessions and OAuth states.
#[async_trait]
pub trait OwnerAuthRepo: Send + Sync {
    /// Stores a new session.
    ///
    /// # Errors
    /// `Conflict` when the hash exists; `NotFound` when the owner does not.
    async fn insert_session(&self, session: &OwnerSession) -> Result<(), RepoError>;

    /// The session with this hash when it is neither revoked nor expired at `now`.
    ///
    /// # Errors
    /// Only on storage failure.
    async fn find_live_session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<OwnerSession>, RepoError>;

    /// Revokes a live session; `false` when there was none to revoke.
    ///
    /// # Errors
    /// Only on storage failure.
    async fn revoke_session(&self, token_hash: &str, at: DateTime<Utc>) -> Result<bool, RepoError>;

    /// Stores a new OAuth state.
    ///
    /// # Errors
    /// `Conflict` when the hash exists; `NotFound` when the owner or store does not.
    async fn insert_oauth_state(&self, state: &OAuthState) -> Result<(), RepoError>;

    /// Consumes a state atomically: one conditional update that succeeds only for a pending,
    /// unexpired state bound to exactly this owner and store, so two concurrent callbacks
    /// with the same state cannot both succeed.
    ///
    /// # Errors
    /// Only on storage failure.
    async fn consume_oauth_state(
        &self,
        nonce_hash: &str,
        owner: OwnerId,
        store: StoreId,
        now: DateTime<Utc>,
    ) -> Result<StateConsumption, RepoError>;
}

/// A store's number from the seed's single-number columns (`stores.whatsapp_business_number`,
/// `stores.whatsapp_business_id`), as stored: not yet parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyStoreNumber {
    /// The store.
    pub store_id: StoreId,
    /// `whatsapp_business_number`, as typed by the owner.
    pub business_number: String,
    /// `whatsapp_business_id` (the WABA id).
    pub business_id: String,
}

/// Reads the seed's single-number columns, for `omniportal migrate-legacy`.
#[async_trait]
pub trait LegacyStoreRepo: Send + Sync {
    /// Stores whose legacy number and business id are both set, oldest first.
    ///
    /// # Errors
    /// Only on storage failure.
    async fn list_legacy_store_numbers(&self) -> Result<Vec<LegacyStoreNumber>, RepoError>;
}
