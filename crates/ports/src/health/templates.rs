//! A WABA's message templates as last seen at Meta.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::RepoError;

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

/// Message templates by WABA.
#[async_trait]
pub trait TemplateRepo: Send + Sync {
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
}
