//! Stores in the central registry: their settings, owner and default account.

use async_trait::async_trait;
use omni_domain::{AccountId, OwnerId, Store, StoreId};

use crate::RepoError;

/// Stores in the central database.
#[async_trait]
pub trait StoreRepo: Send + Sync {
    /// Adds a store. Its `default_account_id` is not stored (a new store has no accounts);
    /// set it with [`StoreRepo::set_default_account`].
    ///
    /// # Errors
    /// `Conflict` when the id exists; `NotFound` when the owner does not.
    async fn insert_store(&self, store: &Store) -> Result<(), RepoError>;

    /// A store by id.
    ///
    /// # Errors
    /// Only on storage failure.
    async fn find_store(&self, id: StoreId) -> Result<Option<Store>, RepoError>;

    /// Every store, oldest first.
    ///
    /// # Errors
    /// Only on storage failure.
    async fn list_stores(&self) -> Result<Vec<Store>, RepoError>;

    /// The stores of one owner, oldest first.
    ///
    /// # Errors
    /// Only on storage failure.
    async fn list_stores_of_owner(&self, owner: OwnerId) -> Result<Vec<Store>, RepoError>;

    /// Saves a store's settings (name, kind, currency, timezone, flags). The default account
    /// changes only through [`StoreRepo::set_default_account`].
    ///
    /// # Errors
    /// `NotFound` when the store does not exist.
    async fn update_store(&self, store: &Store) -> Result<(), RepoError>;

    /// Sets or clears the store's default account.
    ///
    /// # Errors
    /// MUST return `NotFound` when the store does not exist or the account is not a live
    /// (not soft-deleted) account of that store; nothing changes then.
    async fn set_default_account(
        &self,
        store: StoreId,
        account: Option<AccountId>,
    ) -> Result<(), RepoError>;
}
