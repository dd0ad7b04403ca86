//! [`StoreSettingsRepo`] in memory.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use omni_domain::{StoreId, StoreSettings};
use omni_ports::{RepoError, StoreSettingsRepo};

use super::InMemoryTenantRepo;

#[async_trait]
impl StoreSettingsRepo for InMemoryTenantRepo {
    async fn auto_reply(&self, store: StoreId) -> Result<Option<String>, RepoError> {
        self.with(store, |t| Ok(t.auto_reply.clone()))
    }

    async fn set_auto_reply(
        &self,
        store: StoreId,
        reply: Option<&str>,
        _at: DateTime<Utc>,
    ) -> Result<(), RepoError> {
        self.with(store, |t| {
            t.auto_reply = reply.map(str::to_owned);
            Ok(())
        })
    }

    async fn settings(&self, store: StoreId) -> Result<Option<StoreSettings>, RepoError> {
        self.with(store, |t| Ok(t.settings.clone()))
    }

    async fn set_settings(
        &self,
        store: StoreId,
        settings: &StoreSettings,
        _at: DateTime<Utc>,
    ) -> Result<(), RepoError> {
        if settings.delivery_fee.currency() != settings.min_order.currency() {
            return Err(RepoError::conflict(
                "fee and minimum in different currencies",
            ));
        }
        self.with(store, |t| {
            t.settings = Some(settings.clone());
            Ok(())
        })
    }
}
