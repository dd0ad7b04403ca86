//! The menu: the owner's items (with variants), checked and kept in the tenant database.

use omni_domain::{MenuItem, MenuItemId, MenuVariant, Money, Store, StoreId};
use omni_ports::RepoError;

use super::service::{Commerce, CommerceError, check_len, check_optional, check_paisa, invalid};

/// A menu item as the owner writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MenuItemInput {
    /// 1 to 80 characters.
    pub name: String,
    /// Up to 300 characters.
    pub description: Option<String>,
    /// Up to 60 characters.
    pub category: Option<String>,
    /// Price in paisa, 0 or more.
    pub price_paisa: i64,
    /// Variants (name, price in paisa); names unique without case.
    pub variants: Vec<(String, i64)>,
    /// Can be ordered now.
    pub available: bool,
}

impl Commerce {
    pub(super) fn menu_item(
        store: &Store,
        id: MenuItemId,
        input: &MenuItemInput,
        created_at: chrono::DateTime<chrono::Utc>,
    ) -> Result<MenuItem, CommerceError> {
        let name = check_len("invalid_name", "name", &input.name, 1, 80)?;
        let description = check_optional(
            "invalid_description",
            "description",
            input.description.as_deref(),
            300,
        )?;
        let category = check_optional(
            "invalid_category",
            "category",
            input.category.as_deref(),
            60,
        )?;
        check_paisa("price_paisa", input.price_paisa)?;
        if input.variants.len() > 10 {
            return Err(invalid("invalid_variants", "at most 10 variants"));
        }
        let mut variants: Vec<MenuVariant> = Vec::with_capacity(input.variants.len());
        for (vname, paisa) in &input.variants {
            let vname = check_len("invalid_variants", "variant name", vname, 1, 40)?;
            check_paisa("variant price", *paisa)?;
            if variants.iter().any(|v| v.name.eq_ignore_ascii_case(&vname)) {
                return Err(invalid(
                    "invalid_variants",
                    format!("variant `{vname}` appears twice"),
                ));
            }
            variants.push(MenuVariant {
                name: vname,
                price: Money::from_minor(*paisa, store.currency),
            });
        }
        Ok(MenuItem {
            id,
            name,
            description,
            category,
            // With variants, the item's price is the first variant's (what "from" shows).
            price: variants.first().map_or_else(
                || Money::from_minor(input.price_paisa, store.currency),
                |v| v.price,
            ),
            variants,
            available: input.available,
            created_at,
        })
    }

    /// The menu.
    ///
    /// # Errors
    /// Storage.
    pub async fn menu(&self, store: StoreId) -> Result<Vec<MenuItem>, CommerceError> {
        Ok(self.tenants.list_menu_items(store).await?)
    }

    /// Adds a menu item.
    ///
    /// # Errors
    /// `Invalid` input; storage.
    pub async fn add_menu_item(
        &self,
        store: StoreId,
        input: &MenuItemInput,
    ) -> Result<MenuItem, CommerceError> {
        let s = self.store(store).await?;
        let item = Self::menu_item(&s, MenuItemId::new(), input, self.clock.now())?;
        self.tenants.insert_menu_item(store, &item).await?;
        Ok(item)
    }

    /// Replaces a menu item.
    ///
    /// # Errors
    /// `NotFound`, `Invalid`; storage.
    pub async fn update_menu_item(
        &self,
        store: StoreId,
        id: MenuItemId,
        input: &MenuItemInput,
    ) -> Result<MenuItem, CommerceError> {
        let s = self.store(store).await?;
        let existing = self
            .commerce
            .find_menu_item(store, id)
            .await?
            .ok_or(CommerceError::NotFound("menu item"))?;
        let item = Self::menu_item(&s, id, input, existing.created_at)?;
        self.commerce.update_menu_item(store, &item).await?;
        Ok(item)
    }

    /// Deletes a menu item (orders keep their copied lines).
    ///
    /// # Errors
    /// `NotFound`; storage.
    pub async fn delete_menu_item(
        &self,
        store: StoreId,
        id: MenuItemId,
    ) -> Result<(), CommerceError> {
        match self.commerce.delete_menu_item(store, id).await {
            Err(RepoError::NotFound) => Err(CommerceError::NotFound("menu item")),
            other => Ok(other?),
        }
    }
}
