//! A store's own database as a whole: where it lives, creating it, checking it answers.

use async_trait::async_trait;
use omni_domain::{StoreId, TenantLocation};

use crate::RepoError;

/// The tenant databases: placement, provisioning and liveness, one store at a time.
#[async_trait]
pub trait TenantDbRepo: Send + Sync {
    /// Where a new store's tenant database will live (the adapter's placement policy). The
    /// store row records it before [`TenantDbRepo::provision`] creates the database.
    fn new_location(&self, store: StoreId) -> TenantLocation;

    /// Creates the store's tenant database if it does not exist and migrates it. Idempotent.
    ///
    /// # Errors
    /// `TenantNotFound` when the store is unknown; `Unavailable` when its server is down.
    async fn provision(&self, store: StoreId) -> Result<(), RepoError>;

    /// Checks the store's tenant database answers.
    ///
    /// # Errors
    /// `TenantNotFound` or `Unavailable`.
    async fn ping(&self, store: StoreId) -> Result<(), RepoError>;
}
