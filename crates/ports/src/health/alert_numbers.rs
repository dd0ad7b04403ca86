//! The store's alert number: the owner's own WhatsApp number alerts go to.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use omni_domain::StoreId;

use crate::RepoError;

/// Alert numbers, one per store.
#[async_trait]
pub trait AlertNumberRepo: Send + Sync {
    /// The owner's own WhatsApp number alerts go to (E.164), when set.
    ///
    /// # Errors
    /// Storage failure.
    async fn alert_number(&self, store: StoreId) -> Result<Option<String>, RepoError>;

    /// Sets (or clears) the alert number.
    ///
    /// # Errors
    /// Storage failure.
    async fn set_alert_number(
        &self,
        store: StoreId,
        number: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<(), RepoError>;
}
