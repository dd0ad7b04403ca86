//! What Meta told us about an account over time: quality and limit changes, status changes,
//! alerts, template decisions. Each event is kept with the time Meta gave it, so an account
//! has a history (the account health issue builds on it).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use omni_domain::{AccountId, StoreId};

use crate::RepoError;

/// One recorded change.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountEvent {
    /// The account, when the event names one number (quality updates name a number; account
    /// updates concern the whole WABA and are recorded once per live account).
    pub account_id: Option<AccountId>,
    /// Its store.
    pub store_id: Option<StoreId>,
    /// The WABA.
    pub waba_id: String,
    /// `quality_update`, `account_update`, `account_alert`, `template_status`, ...
    pub kind: String,
    /// What changed, as JSON (event, old and new values).
    pub detail: serde_json::Value,
    /// When Meta says it happened.
    pub occurred_at: DateTime<Utc>,
    /// When we recorded it.
    pub recorded_at: DateTime<Utc>,
}

/// The account history in the central database.
#[async_trait]
pub trait AccountEventRepo: Send + Sync {
    /// Appends an event.
    ///
    /// # Errors
    /// Storage failure.
    async fn record(&self, event: &AccountEvent) -> Result<(), RepoError>;

    /// An account's newest `limit` events, newest first.
    ///
    /// # Errors
    /// Storage failure.
    async fn list_for_account(
        &self,
        account: AccountId,
        limit: u32,
    ) -> Result<Vec<AccountEvent>, RepoError>;
}
