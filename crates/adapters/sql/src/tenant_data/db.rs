//! [`TenantDbRepo`] on SQL: placement, provisioning and ping of a store's database (the pool
//! logic lives in [`crate::tenant`]).

use async_trait::async_trait;
use omni_domain::{StoreId, TenantLocation};
use omni_ports::{RepoError, TenantDbRepo};

use crate::tenant::SqlTenantRepo;

#[async_trait]
impl TenantDbRepo for SqlTenantRepo {
    fn new_location(&self, store: StoreId) -> TenantLocation {
        self.new_location_for(store)
    }

    async fn provision(&self, store: StoreId) -> Result<(), RepoError> {
        self.provision_store(store).await
    }

    async fn ping(&self, store: StoreId) -> Result<(), RepoError> {
        self.pool(store).await?.ping().await
    }
}
