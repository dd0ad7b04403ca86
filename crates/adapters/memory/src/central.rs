//! The central registry ports ([`OwnerRepo`], [`StoreRepo`], [`AccountRepo`], [`CentralDbRepo`],
//! so the `CentralRepo` bundle) over plain maps. It mirrors the central schema's rules (unique owner email,
//! one live account per `phone_number_id`, soft deletes, the store's default account) so tests
//! that run against it see the same errors the SQL adapters return.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use omni_domain::{
    AccountId, Email, Owner, OwnerId, PhoneNumberId, Store, StoreId, WabaId, WhatsappAccount,
};
use omni_ports::{AccountRepo, AccountSecrets, CentralDbRepo, OwnerRepo, RepoError, StoreRepo};

use crate::lock;

/// The rows of the central database.
#[derive(Debug, Default)]
struct Central {
    owners: BTreeMap<OwnerId, Owner>,
    stores: BTreeMap<StoreId, Store>,
    /// Every account, soft-deleted ones included (they keep their secrets for key rotation).
    accounts: BTreeMap<AccountId, WhatsappAccount>,
}

impl Central {
    /// The live account `id`, when it belongs to `store`.
    fn live_account_mut(&mut self, store: StoreId, id: AccountId) -> Option<&mut WhatsappAccount> {
        self.accounts
            .get_mut(&id)
            .filter(|a| a.store_id == store && a.deleted_at.is_none())
    }

    /// Live accounts matching `keep`, oldest first (created_at, then id).
    fn live_accounts(&self, keep: impl Fn(&WhatsappAccount) -> bool) -> Vec<WhatsappAccount> {
        let mut found: Vec<WhatsappAccount> = self
            .accounts
            .values()
            .filter(|a| a.deleted_at.is_none() && keep(a))
            .cloned()
            .collect();
        found.sort_by_key(|a| (a.created_at, a.id));
        found
    }

    /// Stores matching `keep`, oldest first (created_at, then id).
    fn stores(&self, keep: impl Fn(&Store) -> bool) -> Vec<Store> {
        let mut found: Vec<Store> = self.stores.values().filter(|s| keep(s)).cloned().collect();
        found.sort_by_key(|s| (s.created_at, s.id));
        found
    }
}

/// An in-memory central repository. Cheap to create: make one per test.
#[derive(Debug, Default)]
pub struct InMemoryCentralRepo {
    state: Mutex<Central>,
}

impl InMemoryCentralRepo {
    /// An empty repository.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether `owner` is registered, for the fakes whose SQL tables reference `owners`.
    pub(crate) fn has_owner(&self, owner: OwnerId) -> bool {
        lock(&self.state).owners.contains_key(&owner)
    }

    /// Whether `store` is registered (soft-deleted or not), for the fakes whose SQL tables
    /// reference `stores`.
    pub(crate) fn has_store(&self, store: StoreId) -> bool {
        lock(&self.state).stores.contains_key(&store)
    }
}

/// The sealed secrets of `account`.
fn secrets_of(account: &WhatsappAccount) -> AccountSecrets {
    AccountSecrets {
        account_id: account.id,
        access_token: account.access_token.clone(),
        webhook_verification_token: account.webhook_verification_token.clone(),
    }
}

#[async_trait]
impl CentralDbRepo for InMemoryCentralRepo {
    async fn ping(&self) -> Result<(), RepoError> {
        Ok(())
    }
}

#[async_trait]
impl OwnerRepo for InMemoryCentralRepo {
    async fn insert_owner(&self, owner: &Owner) -> Result<(), RepoError> {
        let mut state = lock(&self.state);
        if state.owners.values().any(|o| o.email == owner.email) {
            return Err(RepoError::conflict("owner email"));
        }
        if state.owners.contains_key(&owner.id) {
            return Err(RepoError::conflict("owner id"));
        }
        state.owners.insert(owner.id, owner.clone());
        Ok(())
    }

    async fn find_owner(&self, id: OwnerId) -> Result<Option<Owner>, RepoError> {
        Ok(lock(&self.state).owners.get(&id).cloned())
    }

    async fn find_owner_by_email(&self, email: &Email) -> Result<Option<Owner>, RepoError> {
        Ok(lock(&self.state)
            .owners
            .values()
            .find(|o| o.email == *email)
            .cloned())
    }
}

#[async_trait]
impl StoreRepo for InMemoryCentralRepo {
    /// The store's `default_account_id` is not taken from `store`: a store has no accounts
    /// before it exists, so it starts without a default (set it with `set_default_account`).
    async fn insert_store(&self, store: &Store) -> Result<(), RepoError> {
        let mut state = lock(&self.state);
        if state.stores.contains_key(&store.id) {
            return Err(RepoError::conflict("store id"));
        }
        if !state.owners.contains_key(&store.owner_id) {
            return Err(RepoError::NotFound);
        }
        let mut row = store.clone();
        row.default_account_id = None;
        state.stores.insert(store.id, row);
        Ok(())
    }

    async fn find_store(&self, id: StoreId) -> Result<Option<Store>, RepoError> {
        Ok(lock(&self.state).stores.get(&id).cloned())
    }

    async fn list_stores(&self) -> Result<Vec<Store>, RepoError> {
        Ok(lock(&self.state).stores(|_| true))
    }

    async fn list_stores_of_owner(&self, owner: OwnerId) -> Result<Vec<Store>, RepoError> {
        Ok(lock(&self.state).stores(|s| s.owner_id == owner))
    }

    /// Saves name, kind, currency, timezone, the two flags and `updated_at`; the owner, the
    /// tenant location, `created_at` and the default account are left as stored.
    async fn update_store(&self, store: &Store) -> Result<(), RepoError> {
        let mut state = lock(&self.state);
        let row = state.stores.get_mut(&store.id).ok_or(RepoError::NotFound)?;
        row.name = store.name.clone();
        row.kind = store.kind;
        row.currency = store.currency;
        row.timezone = store.timezone.clone();
        row.ai_enabled = store.ai_enabled;
        row.storefront_enabled = store.storefront_enabled;
        row.updated_at = store.updated_at;
        Ok(())
    }

    async fn set_default_account(
        &self,
        store: StoreId,
        account: Option<AccountId>,
    ) -> Result<(), RepoError> {
        let mut state = lock(&self.state);
        if let Some(id) = account
            && state.live_account_mut(store, id).is_none()
        {
            return Err(RepoError::NotFound);
        }
        let row = state.stores.get_mut(&store).ok_or(RepoError::NotFound)?;
        row.default_account_id = account;
        Ok(())
    }
}

#[async_trait]
impl AccountRepo for InMemoryCentralRepo {
    async fn insert_account(&self, account: &WhatsappAccount) -> Result<(), RepoError> {
        let mut state = lock(&self.state);
        if !state.stores.contains_key(&account.store_id) {
            return Err(RepoError::NotFound);
        }
        if state.accounts.contains_key(&account.id) {
            return Err(RepoError::conflict("account id"));
        }
        let taken = account.deleted_at.is_none()
            && state
                .accounts
                .values()
                .any(|a| a.deleted_at.is_none() && a.phone_number_id == account.phone_number_id);
        if taken {
            return Err(RepoError::conflict("phone_number_id"));
        }
        state.accounts.insert(account.id, account.clone());
        Ok(())
    }

    async fn find_account(
        &self,
        store: StoreId,
        id: AccountId,
    ) -> Result<Option<WhatsappAccount>, RepoError> {
        Ok(lock(&self.state).live_account_mut(store, id).cloned())
    }

    async fn find_account_by_phone_number_id(
        &self,
        id: &PhoneNumberId,
    ) -> Result<Option<WhatsappAccount>, RepoError> {
        Ok(lock(&self.state)
            .accounts
            .values()
            .find(|a| a.deleted_at.is_none() && a.phone_number_id == *id)
            .cloned())
    }

    async fn list_accounts(&self, store: StoreId) -> Result<Vec<WhatsappAccount>, RepoError> {
        Ok(lock(&self.state).live_accounts(|a| a.store_id == store))
    }

    async fn list_accounts_by_waba(
        &self,
        waba: &WabaId,
    ) -> Result<Vec<WhatsappAccount>, RepoError> {
        Ok(lock(&self.state).live_accounts(|a| a.waba_id == *waba))
    }

    /// Saves the mutable fields; the store, ids, phone number, `created_at` and `deleted_at`
    /// are left as stored.
    async fn update_account(&self, account: &WhatsappAccount) -> Result<(), RepoError> {
        let mut state = lock(&self.state);
        let row = state
            .live_account_mut(account.store_id, account.id)
            .ok_or(RepoError::NotFound)?;
        row.access_token = account.access_token.clone();
        *row = row.clone().with_status(account.status());
        row.display_name = account.display_name.clone();
        row.quality_rating = account.quality_rating;
        row.messaging_limits = account.messaging_limits;
        row.verified_at = account.verified_at;
        row.last_webhook_at = account.last_webhook_at;
        row.webhook_verification_token = account.webhook_verification_token.clone();
        row.meta = account.meta.clone();
        row.updated_at = account.updated_at;
        Ok(())
    }

    async fn touch_account_webhook(
        &self,
        id: AccountId,
        at: DateTime<Utc>,
    ) -> Result<(), RepoError> {
        let mut state = lock(&self.state);
        let row = state
            .accounts
            .get_mut(&id)
            .filter(|a| a.deleted_at.is_none())
            .ok_or(RepoError::NotFound)?;
        if row.last_webhook_at.is_none_or(|last| last < at) {
            row.last_webhook_at = Some(at);
        }
        Ok(())
    }

    async fn soft_delete_account(
        &self,
        store: StoreId,
        id: AccountId,
        at: DateTime<Utc>,
    ) -> Result<(), RepoError> {
        let mut state = lock(&self.state);
        let row = state
            .live_account_mut(store, id)
            .ok_or(RepoError::NotFound)?;
        row.deleted_at = Some(at);
        row.updated_at = at;
        if let Some(s) = state.stores.get_mut(&store)
            && s.default_account_id == Some(id)
        {
            s.default_account_id = None;
        }
        Ok(())
    }

    async fn list_account_secrets(
        &self,
        after: Option<AccountId>,
        limit: u32,
    ) -> Result<Vec<AccountSecrets>, RepoError> {
        let state = lock(&self.state);
        let take = usize::try_from(limit).unwrap_or(usize::MAX);
        Ok(state
            .accounts
            .values()
            .filter(|a| after.is_none_or(|after| a.id > after))
            .take(take)
            .map(secrets_of)
            .collect())
    }

    /// Soft-deleted accounts are rotated too (they are listed by `list_account_secrets`). An
    /// unknown account is a lost race: `Ok(false)`.
    async fn replace_account_secrets(
        &self,
        old: &AccountSecrets,
        new: &AccountSecrets,
    ) -> Result<bool, RepoError> {
        let mut state = lock(&self.state);
        let Some(row) = state.accounts.get_mut(&old.account_id) else {
            return Ok(false);
        };
        if secrets_of(row) != *old {
            return Ok(false);
        }
        row.access_token = new.access_token.clone();
        row.webhook_verification_token = new.webhook_verification_token.clone();
        Ok(true)
    }
}
