//! Owner notifications in the central database.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use omni_domain::{AccountId, StoreId};

use crate::RepoError;

/// Something the owner should know (a quality drop, a token about to expire, ...).
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    /// Id (UUIDv7 text).
    pub id: String,
    /// The store it is for.
    pub store_id: StoreId,
    /// The number it is about.
    pub account_id: Option<AccountId>,
    /// Stable kind: `quality_drop`, `limit_drop`, `account_restricted`, `token_expiring`,
    /// `reauth_required`, `token_renewed`.
    pub kind: String,
    /// `critical`, `warning` or `info`.
    pub severity: String,
    /// One line.
    pub title: String,
    /// What happened and what to do.
    pub body: String,
    /// Machine-readable detail (before/after, reconnect link).
    pub detail: serde_json::Value,
    /// When.
    pub created_at: DateTime<Utc>,
    /// When the owner marked it read.
    pub read_at: Option<DateTime<Utc>>,
}

/// Owner notifications.
#[async_trait]
pub trait NotificationRepo: Send + Sync {
    /// Adds a notification.
    ///
    /// # Errors
    /// Storage failure.
    async fn add_notification(&self, n: &Notification) -> Result<(), RepoError>;

    /// A store's newest notifications, newest first.
    ///
    /// # Errors
    /// Storage failure.
    async fn list_notifications(
        &self,
        store: StoreId,
        unread_only: bool,
        limit: u32,
    ) -> Result<Vec<Notification>, RepoError>;

    /// Marks a store's notifications read: the given ids, or every unread one. Ids of other
    /// stores are ignored. Returns how many changed.
    ///
    /// # Errors
    /// Storage failure.
    async fn mark_notifications_read(
        &self,
        store: StoreId,
        ids: Option<&[String]>,
        at: DateTime<Utc>,
    ) -> Result<u64, RepoError>;
}
