//! [`MenuRepo`] in memory.

use async_trait::async_trait;
use omni_domain::{MenuItem, MenuItemId, StoreId};
use omni_ports::{MenuRepo, RepoError};

use super::InMemoryTenantRepo;

#[async_trait]
impl MenuRepo for InMemoryTenantRepo {
    async fn insert_menu_item(&self, store: StoreId, item: &MenuItem) -> Result<(), RepoError> {
        self.with(store, |t| {
            if t.menu.contains_key(&item.id) {
                return Err(RepoError::conflict("menu item id"));
            }
            t.menu.insert(item.id, item.clone());
            Ok(())
        })
    }

    async fn list_menu_items(&self, store: StoreId) -> Result<Vec<MenuItem>, RepoError> {
        self.with(store, |t| {
            let mut found: Vec<MenuItem> = t.menu.values().cloned().collect();
            // `None < Some(_)`: uncategorised items come first.
            found.sort_by(|a, b| (&a.category, &a.name, a.id).cmp(&(&b.category, &b.name, b.id)));
            Ok(found)
        })
    }

    async fn find_menu_item(
        &self,
        store: StoreId,
        id: MenuItemId,
    ) -> Result<Option<MenuItem>, RepoError> {
        self.with(store, |t| Ok(t.menu.get(&id).cloned()))
    }

    async fn update_menu_item(&self, store: StoreId, item: &MenuItem) -> Result<(), RepoError> {
        self.with(store, |t| {
            let row = t.menu.get_mut(&item.id).ok_or(RepoError::NotFound)?;
            *row = item.clone();
            Ok(())
        })
    }

    async fn delete_menu_item(&self, store: StoreId, id: MenuItemId) -> Result<(), RepoError> {
        self.with(store, |t| {
            t.menu.remove(&id).map(|_| ()).ok_or(RepoError::NotFound)
        })
    }
}
