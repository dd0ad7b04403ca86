//! A store's own settings kept in its database: ordering settings and the auto-reply text.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use omni_domain::{StoreId, StoreSettings};

use crate::RepoError;

/// Settings of one store at a time.
#[async_trait]
pub trait StoreSettingsRepo: Send + Sync {
    /// The store's ordering settings; `None` until the owner set them (the caller uses
    /// [`StoreSettings::defaults`] in the store's currency).
    ///
    /// # Errors
    /// Storage failure.
    async fn settings(&self, store: StoreId) -> Result<Option<StoreSettings>, RepoError>;

    /// Saves the store's ordering settings.
    ///
    /// # Errors
    /// Storage failure.
    async fn set_settings(
        &self,
        store: StoreId,
        settings: &StoreSettings,
        at: DateTime<Utc>,
    ) -> Result<(), RepoError>;

    /// The store's auto-reply text, when one is set (the conversation handler before the
    /// AI agent).
    ///
    /// # Errors
    /// Storage failure.
    async fn auto_reply(&self, store: StoreId) -> Result<Option<String>, RepoError>;

    /// Sets or clears the auto-reply text.
    ///
    /// # Errors
    /// Storage failure.
    async fn set_auto_reply(
        &self,
        store: StoreId,
        reply: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<(), RepoError>;
}
