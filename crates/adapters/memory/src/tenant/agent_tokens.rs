//! [`AgentTokenRepo`] in memory: one count per day.

use async_trait::async_trait;
use chrono::NaiveDate;
use omni_domain::StoreId;
use omni_ports::{AgentTokenRepo, RepoError};

use super::InMemoryTenantRepo;

#[async_trait]
impl AgentTokenRepo for InMemoryTenantRepo {
    async fn add_agent_tokens(
        &self,
        store: StoreId,
        day: NaiveDate,
        tokens: u64,
    ) -> Result<u64, RepoError> {
        self.with(store, |t| {
            let count = t.agent_tokens.entry(day).or_insert(0);
            *count = count.saturating_add(tokens);
            Ok(*count)
        })
    }

    async fn agent_tokens(&self, store: StoreId, day: NaiveDate) -> Result<u64, RepoError> {
        self.with(store, |t| {
            Ok(t.agent_tokens.get(&day).copied().unwrap_or(0))
        })
    }
}
