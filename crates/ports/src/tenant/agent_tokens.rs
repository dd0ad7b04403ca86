//! The AI agent's daily token count per store (its budget).

use async_trait::async_trait;
use chrono::NaiveDate;
use omni_domain::StoreId;

use crate::RepoError;

/// Model tokens spent, per store and day.
#[async_trait]
pub trait AgentTokenRepo: Send + Sync {
    /// Adds model tokens to the store's count for `day` and returns the new count.
    ///
    /// # Errors
    /// Storage failure.
    async fn add_agent_tokens(
        &self,
        store: StoreId,
        day: NaiveDate,
        tokens: u64,
    ) -> Result<u64, RepoError>;

    /// The store's model tokens spent on `day`.
    ///
    /// # Errors
    /// Storage failure.
    async fn agent_tokens(&self, store: StoreId, day: NaiveDate) -> Result<u64, RepoError>;
}
