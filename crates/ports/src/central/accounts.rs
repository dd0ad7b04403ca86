//! WhatsApp accounts (numbers) of the stores, their webhook times and sealed secrets.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use omni_domain::{AccountId, PhoneNumberId, SealedSecret, StoreId, WabaId, WhatsappAccount};

use crate::RepoError;

/// The sealed secrets of one account, for key rotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSecrets {
    /// Account.
    pub account_id: AccountId,
    /// Sealed access token.
    pub access_token: SealedSecret,
    /// Sealed webhook verify token.
    pub webhook_verification_token: Option<SealedSecret>,
}

/// WhatsApp accounts in the central database.
#[async_trait]
pub trait AccountRepo: Send + Sync {
    /// Adds an account.
    ///
    /// # Errors
    /// MUST return `Conflict` when a live account (of any store) has the same
    /// `phone_number_id`; `NotFound` when the store does not exist.
    async fn insert_account(&self, account: &WhatsappAccount) -> Result<(), RepoError>;

    /// A live account of a store. Another store's account id gives `None`.
    ///
    /// # Errors
    /// Only on storage failure.
    async fn find_account(
        &self,
        store: StoreId,
        id: AccountId,
    ) -> Result<Option<WhatsappAccount>, RepoError>;

    /// The live account with this `phone_number_id` (the webhook routing key).
    ///
    /// # Errors
    /// Only on storage failure.
    async fn find_account_by_phone_number_id(
        &self,
        id: &PhoneNumberId,
    ) -> Result<Option<WhatsappAccount>, RepoError>;

    /// A store's live accounts, oldest first.
    ///
    /// # Errors
    /// Only on storage failure.
    async fn list_accounts(&self, store: StoreId) -> Result<Vec<WhatsappAccount>, RepoError>;

    /// Live accounts of a WABA, across stores, oldest first.
    ///
    /// # Errors
    /// Only on storage failure.
    async fn list_accounts_by_waba(&self, waba: &WabaId)
    -> Result<Vec<WhatsappAccount>, RepoError>;

    /// Saves an account's mutable fields (status, display name, quality, limits, verified and
    /// webhook times, meta, secrets, updated_at). Store and ids never change.
    ///
    /// # Errors
    /// `NotFound` when no live account has this id in this store.
    async fn update_account(&self, account: &WhatsappAccount) -> Result<(), RepoError>;

    /// Records that a webhook for the account arrived (only moves forward in time).
    ///
    /// # Errors
    /// `NotFound` when no live account has this id.
    async fn touch_account_webhook(
        &self,
        id: AccountId,
        at: DateTime<Utc>,
    ) -> Result<(), RepoError>;

    /// Disconnects an account: soft delete, and clears the store's default when it was this
    /// one, in one transaction. Its `phone_number_id` can then be connected again.
    ///
    /// # Errors
    /// `NotFound` when no live account of this store has this id.
    async fn soft_delete_account(
        &self,
        store: StoreId,
        id: AccountId,
        at: DateTime<Utc>,
    ) -> Result<(), RepoError>;

    /// A page of every account's sealed secrets (soft-deleted included), ordered by id,
    /// starting after `after`.
    ///
    /// # Errors
    /// Only on storage failure.
    async fn list_account_secrets(
        &self,
        after: Option<AccountId>,
        limit: u32,
    ) -> Result<Vec<AccountSecrets>, RepoError>;

    /// Replaces an account's sealed secrets if they still equal `old` (compare and swap), so
    /// a rotation racing with a reconnect never overwrites the newer token.
    ///
    /// # Errors
    /// Only on storage failure; a lost race is `Ok(false)`.
    async fn replace_account_secrets(
        &self,
        old: &AccountSecrets,
        new: &AccountSecrets,
    ) -> Result<bool, RepoError>;
}
