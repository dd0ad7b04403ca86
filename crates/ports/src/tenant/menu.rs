//! A store's menu.

use async_trait::async_trait;
use omni_domain::{MenuItem, MenuItemId, StoreId};

use crate::RepoError;

/// The menu of one store at a time.
#[async_trait]
pub trait MenuRepo: Send + Sync {
    /// Adds a menu item.
    ///
    /// # Errors
    /// `Conflict` on a duplicate id.
    async fn insert_menu_item(&self, store: StoreId, item: &MenuItem) -> Result<(), RepoError>;

    /// The menu, by category then name.
    ///
    /// # Errors
    /// `TenantNotFound` or storage failure.
    async fn list_menu_items(&self, store: StoreId) -> Result<Vec<MenuItem>, RepoError>;

    /// A menu item.
    ///
    /// # Errors
    /// Storage failure.
    async fn find_menu_item(
        &self,
        store: StoreId,
        id: MenuItemId,
    ) -> Result<Option<MenuItem>, RepoError>;

    /// Replaces a menu item's fields.
    ///
    /// # Errors
    /// `NotFound`.
    async fn update_menu_item(&self, store: StoreId, item: &MenuItem) -> Result<(), RepoError>;

    /// Deletes a menu item (order lines keep their copied name and price).
    ///
    /// # Errors
    /// `NotFound`.
    async fn delete_menu_item(&self, store: StoreId, id: MenuItemId) -> Result<(), RepoError>;
}
