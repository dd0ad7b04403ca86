//! [`MenuRepo`] on SQL.

use async_trait::async_trait;
use chrono::Utc;
use diesel::{ExpressionMethods, OptionalExtension, QueryDsl, SelectableHelper};
use diesel_async::RunQueryDsl;
use omni_domain::{MenuItem, MenuItemId, StoreId};
use omni_ports::{MenuRepo, RepoError};

use super::order_rows::MenuItemRow;
use crate::db::{db_run, diesel_error, one_row};
use crate::schema::tenant::menu_items;
use crate::tenant::SqlTenantRepo;

#[async_trait]
impl MenuRepo for SqlTenantRepo {
    async fn insert_menu_item(&self, store: StoreId, item: &MenuItem) -> Result<(), RepoError> {
        let row = MenuItemRow::from_domain(item, None);
        let mut conn = self.pool(store).await?.get().await?;
        db_run!(conn: {
            diesel::insert_into(menu_items::table).values(&row).execute(conn).await
        })
        .map_err(diesel_error)?;
        Ok(())
    }

    async fn list_menu_items(&self, store: StoreId) -> Result<Vec<MenuItem>, RepoError> {
        let mut conn = self.pool(store).await?.get().await?;
        let rows: Vec<MenuItemRow> = db_run!(conn: {
            menu_items::table.select(MenuItemRow::as_select()).load(conn).await
        })
        .map_err(diesel_error)?;
        let mut items = rows
            .into_iter()
            .map(MenuItemRow::into_domain)
            .collect::<Result<Vec<_>, _>>()?;
        // Sorted here, not in SQL: the engines disagree on where NULL categories sort.
        items.sort_by(|a, b| (&a.category, &a.name, a.id).cmp(&(&b.category, &b.name, b.id)));
        Ok(items)
    }

    async fn find_menu_item(
        &self,
        store: StoreId,
        id: MenuItemId,
    ) -> Result<Option<MenuItem>, RepoError> {
        let mut conn = self.pool(store).await?.get().await?;
        let row: Option<MenuItemRow> = db_run!(conn: {
            menu_items::table
                .find(id.to_string())
                .select(MenuItemRow::as_select())
                .first(conn)
                .await
                .optional()
        })
        .map_err(diesel_error)?;
        row.map(MenuItemRow::into_domain).transpose()
    }

    async fn update_menu_item(&self, store: StoreId, item: &MenuItem) -> Result<(), RepoError> {
        let row = MenuItemRow::from_domain(item, Some(Utc::now()));
        let mut conn = self.pool(store).await?.get().await?;
        let n = db_run!(conn: {
            diesel::update(menu_items::table.find(&row.id))
                .set((
                    menu_items::name.eq(&row.name),
                    menu_items::description.eq(&row.description),
                    menu_items::category.eq(&row.category),
                    menu_items::price_minor.eq(row.price_minor),
                    menu_items::currency.eq(&row.currency),
                    menu_items::available.eq(row.available),
                    menu_items::variants.eq(&row.variants),
                    menu_items::updated_at.eq(row.updated_at),
                ))
                .execute(conn)
                .await
        })
        .map_err(diesel_error)?;
        one_row(n)
    }

    async fn delete_menu_item(&self, store: StoreId, id: MenuItemId) -> Result<(), RepoError> {
        let mut conn = self.pool(store).await?.get().await?;
        let n = db_run!(conn: {
            diesel::delete(menu_items::table.find(id.to_string())).execute(conn).await
        })
        .map_err(diesel_error)?;
        one_row(n)
    }
}
