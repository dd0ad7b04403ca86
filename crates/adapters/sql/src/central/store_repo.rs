//! [`StoreRepo`] on SQL: stores and their default account.

use crate::db::{DbError, db_run, one_row};
use crate::schema::central::{stores, whatsapp_accounts as accounts};
use async_trait::async_trait;
use diesel::{ExpressionMethods, OptionalExtension, QueryDsl, SelectableHelper};
use diesel_async::{AsyncConnection, RunQueryDsl};
use omni_domain::{AccountId, OwnerId, Store, StoreId};
use omni_ports::{RepoError, StoreRepo};

use super::{SqlCentralRepo, StoreRow, stores_of};

#[async_trait]
impl StoreRepo for SqlCentralRepo {
    async fn insert_store(&self, store: &Store) -> Result<(), RepoError> {
        let row = StoreRow {
            default_account_id: None,
            ..StoreRow::from_domain(store)
        };
        let mut conn = self.pool.get().await?;
        db_run!(conn: {
            diesel::insert_into(stores::table).values(&row).execute(conn).await
        })
        .map_err(crate::db::diesel_error)?;
        Ok(())
    }

    async fn find_store(&self, id: StoreId) -> Result<Option<Store>, RepoError> {
        let mut conn = self.pool.get().await?;
        let row: Option<StoreRow> = db_run!(conn: {
            stores::table.find(id.to_string()).select(StoreRow::as_select()).first(conn).await.optional()
        })
        .map_err(crate::db::diesel_error)?;
        row.map(StoreRow::into_domain).transpose()
    }

    async fn list_stores(&self) -> Result<Vec<Store>, RepoError> {
        let mut conn = self.pool.get().await?;
        let rows: Vec<StoreRow> = db_run!(conn: {
            stores::table.order((stores::created_at, stores::id)).select(StoreRow::as_select()).load(conn).await
        })
        .map_err(crate::db::diesel_error)?;
        stores_of(rows)
    }

    async fn list_stores_of_owner(&self, owner: OwnerId) -> Result<Vec<Store>, RepoError> {
        let mut conn = self.pool.get().await?;
        let rows: Vec<StoreRow> = db_run!(conn: {
            stores::table
                .filter(stores::owner_id.eq(owner.to_string()))
                .order((stores::created_at, stores::id))
                .select(StoreRow::as_select())
                .load(conn)
                .await
        })
        .map_err(crate::db::diesel_error)?;
        stores_of(rows)
    }

    async fn update_store(&self, store: &Store) -> Result<(), RepoError> {
        let row = StoreRow::from_domain(store);
        let mut conn = self.pool.get().await?;
        let n = db_run!(conn: {
            diesel::update(stores::table.find(&row.id))
                .set((
                    stores::name.eq(&row.name),
                    stores::kind.eq(&row.kind),
                    stores::currency.eq(&row.currency),
                    stores::timezone.eq(&row.timezone),
                    stores::ai_enabled.eq(row.ai_enabled),
                    stores::storefront_enabled.eq(row.storefront_enabled),
                    stores::updated_at.eq(row.updated_at),
                ))
                .execute(conn)
                .await
        })
        .map_err(crate::db::diesel_error)?;
        one_row(n)
    }

    async fn set_default_account(
        &self,
        store: StoreId,
        account: Option<AccountId>,
    ) -> Result<(), RepoError> {
        let (store, account) = (store.to_string(), account.map(|a| a.to_string()));
        let mut conn = self.pool.get().await?;
        db_run!(conn: {
            conn.transaction(async |conn| -> Result<(), DbError> {
                if let Some(account) = &account {
                    let live: i64 = accounts::table
                        .filter(accounts::id.eq(account))
                        .filter(accounts::store_id.eq(&store))
                        .filter(accounts::deleted_at.is_null())
                        .count()
                        .get_result(conn)
                        .await?;
                    if live == 0 {
                        return Err(RepoError::NotFound.into());
                    }
                }
                let n = diesel::update(stores::table.find(&store))
                    .set(stores::default_account_id.eq(&account))
                    .execute(conn)
                    .await?;
                if n == 0 { Err(RepoError::NotFound.into()) } else { Ok(()) }
            })
            .await
        })
        .map_err(RepoError::from)
    }
}
