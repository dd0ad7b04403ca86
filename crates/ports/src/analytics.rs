//! Read-only questions to a store's tenant database for account health: per-day message and
//! order figures, and when a given WhatsApp user last wrote to a number. Its own port: a read
//! model over several aggregates, not one of them.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use omni_domain::{AccountId, StoreId};

use crate::RepoError;

/// One day of one number.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DailyFigures {
    /// The day (UTC).
    pub day: Option<NaiveDate>,
    /// Customer messages received.
    pub messages_in: u64,
    /// Messages sent (or queued) to customers.
    pub messages_out: u64,
    /// Outbound messages that reached `delivered` (or `read`).
    pub delivered: u64,
    /// Outbound messages that reached `read`.
    pub read: u64,
    /// Outbound messages that failed.
    pub failed: u64,
    /// Failures by Meta error code (or our own code, e.g. `outside_window`).
    pub failures_by_code: BTreeMap<String, u64>,
    /// Seconds from each answered inbound message to its first reply (unsorted).
    pub response_secs: Vec<i64>,
    /// Orders placed that day (not carts, not cancelled).
    pub orders: u64,
    /// Their total in minor units (paisa for PKR).
    pub revenue_minor: i64,
}

/// Analytics queries on a tenant database.
#[async_trait]
pub trait AnalyticsRepo: Send + Sync {
    /// Figures per day of `account` from `from` to `to` (inclusive, UTC days); days with no
    /// activity are absent.
    ///
    /// # Errors
    /// `TenantNotFound` or storage failure.
    async fn daily_figures(
        &self,
        store: StoreId,
        account: AccountId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<DailyFigures>, RepoError>;

    /// When the WhatsApp user `wa_id` last wrote to `account` (their 24-hour window starts
    /// there), `None` when never.
    ///
    /// # Errors
    /// `TenantNotFound` or storage failure.
    async fn last_inbound_from(
        &self,
        store: StoreId,
        account: AccountId,
        wa_id: &str,
    ) -> Result<Option<DateTime<Utc>>, RepoError>;
}

/// The name the use cases held before the storage ports were named `*Repo`; implemented for
/// every [`AnalyticsRepo`].
pub trait TenantAnalyticsPort: AnalyticsRepo {}

impl<T: AnalyticsRepo + ?Sized> TenantAnalyticsPort for T {}
