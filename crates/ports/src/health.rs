//! Account health storage in the central database: owner notifications, the store's alert
//! number, a WABA's message templates, and the recurring jobs every process shares.

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

/// A WABA's message template as last seen at Meta.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredTemplate {
    /// The WABA.
    pub waba_id: String,
    /// Meta's template id.
    pub meta_id: String,
    /// Name.
    pub name: String,
    /// Language code.
    pub language: String,
    /// `APPROVED`, `PENDING`, `REJECTED`, `PAUSED`, `DISABLED`, ...
    pub status: String,
    /// `MARKETING`, `UTILITY`, `AUTHENTICATION`.
    pub category: String,
    /// Meta's `components` JSON.
    pub components: serde_json::Value,
    /// `POSITIONAL` or `NAMED`.
    pub parameter_format: Option<String>,
    /// Why Meta rejected or paused it.
    pub rejected_reason: Option<String>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// A finished run of a scheduled job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRun {
    /// The job.
    pub job: String,
    /// The process that ran it.
    pub owner: String,
    /// Start.
    pub started_at: DateTime<Utc>,
    /// End.
    pub finished_at: DateTime<Utc>,
    /// Summary.
    pub result: String,
}

/// Health storage.
#[async_trait]
pub trait HealthRepo: Send + Sync {
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

    /// Inserts or replaces a template (key: WABA, name, language).
    ///
    /// # Errors
    /// Storage failure.
    async fn upsert_template(&self, t: &StoredTemplate) -> Result<(), RepoError>;

    /// Replaces every stored template of a WABA with `templates` (a sync).
    ///
    /// # Errors
    /// Storage failure.
    async fn replace_templates(
        &self,
        waba: &str,
        templates: &[StoredTemplate],
    ) -> Result<(), RepoError>;

    /// A WABA's templates by name and language.
    ///
    /// # Errors
    /// Storage failure.
    async fn list_templates(&self, waba: &str) -> Result<Vec<StoredTemplate>, RepoError>;

    /// One template.
    ///
    /// # Errors
    /// Storage failure.
    async fn find_template(
        &self,
        waba: &str,
        name: &str,
        language: &str,
    ) -> Result<Option<StoredTemplate>, RepoError>;

    /// Deletes a template by name (every language). Returns how many rows went.
    ///
    /// # Errors
    /// Storage failure.
    async fn delete_template(&self, waba: &str, name: &str) -> Result<u64, RepoError>;

    /// Applies a status decision to a template (by name and language); returns whether one
    /// was stored.
    ///
    /// # Errors
    /// Storage failure.
    async fn set_template_status(
        &self,
        waba: &str,
        name: &str,
        language: &str,
        status: &str,
        reason: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<bool, RepoError>;

    /// Creates a job's row when missing (first run at `first_due`); an existing row keeps
    /// its schedule.
    ///
    /// # Errors
    /// Storage failure.
    async fn ensure_job(&self, name: &str, first_due: DateTime<Utc>) -> Result<(), RepoError>;

    /// Claims one due job whose lease is free or ran out, for `owner` until `now + lease`.
    /// Concurrent callers never get the same job (Postgres: `FOR UPDATE SKIP LOCKED`;
    /// SQLite: its single writer).
    ///
    /// # Errors
    /// Storage failure.
    async fn claim_job(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease: chrono::Duration,
    ) -> Result<Option<String>, RepoError>;

    /// Records a run and schedules the next at `next_due`, only while `owner` holds the
    /// lease; false when it was lost.
    ///
    /// # Errors
    /// Storage failure.
    async fn finish_job(
        &self,
        name: &str,
        owner: &str,
        started: DateTime<Utc>,
        now: DateTime<Utc>,
        next_due: DateTime<Utc>,
        result: &str,
    ) -> Result<bool, RepoError>;

    /// A job's runs, oldest first.
    ///
    /// # Errors
    /// Storage failure.
    async fn job_runs(&self, name: &str) -> Result<Vec<JobRun>, RepoError>;
}
