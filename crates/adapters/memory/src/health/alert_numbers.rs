//! [`AlertNumberRepo`] in memory: one entry per store.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use omni_domain::StoreId;
use omni_ports::{AlertNumberRepo, RepoError};

use super::InMemoryHealthRepo;

#[async_trait]
impl AlertNumberRepo for InMemoryHealthRepo {
    async fn alert_number(&self, store: StoreId) -> Result<Option<String>, RepoError> {
        self.with(|h| Ok(h.alert_numbers.get(&store).cloned().flatten()))
    }

    async fn set_alert_number(
        &self,
        store: StoreId,
        number: Option<&str>,
        _at: DateTime<Utc>,
    ) -> Result<(), RepoError> {
        self.check_store(store)?;
        self.with(|h| {
            h.alert_numbers.insert(store, number.map(str::to_owned));
            Ok(())
        })
    }
}
