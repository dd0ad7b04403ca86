//! `LegacyStoreRepo` on SQL: the seed's single-number columns of `stores`, which the `Store`
//! domain type deliberately does not carry (only `omniportal migrate-legacy` reads them).

use async_trait::async_trait;
use diesel::{ExpressionMethods, QueryDsl};
use diesel_async::RunQueryDsl;
use omni_domain::StoreId;
use omni_ports::{LegacyStoreNumber, LegacyStoreRepo, RepoError};

use crate::convert::parse;
use crate::db::{DbPool, db_run, diesel_error, one_row};
use crate::schema::central::stores;

/// The legacy columns of the central database's stores.
#[derive(Debug, Clone)]
pub struct SqlLegacyStoreRepo {
    pool: DbPool,
}

impl SqlLegacyStoreRepo {
    /// A repo over a pool of the central database (already migrated).
    #[must_use]
    pub fn new(pool: DbPool) -> Self {
        Self { pool }
    }

    /// Writes a store's legacy columns, as an import from the seed would have left them.
    ///
    /// # Errors
    /// `NotFound` when the store does not exist.
    pub async fn set_legacy_number(
        &self,
        store: StoreId,
        business_number: Option<&str>,
        business_id: Option<&str>,
    ) -> Result<(), RepoError> {
        let mut conn = self.pool.get().await?;
        let n = db_run!(conn: {
            diesel::update(stores::table.find(store.to_string()))
                .set((
                    stores::whatsapp_business_number.eq(business_number),
                    stores::whatsapp_business_id.eq(business_id),
                ))
                .execute(conn)
                .await
        })
        .map_err(diesel_error)?;
        one_row(n)
    }
}

#[async_trait]
impl LegacyStoreRepo for SqlLegacyStoreRepo {
    async fn list_legacy_store_numbers(&self) -> Result<Vec<LegacyStoreNumber>, RepoError> {
        let mut conn = self.pool.get().await?;
        let rows: Vec<(String, Option<String>, Option<String>)> = db_run!(conn: {
            stores::table
                .filter(stores::whatsapp_business_number.is_not_null())
                .filter(stores::whatsapp_business_id.is_not_null())
                .order((stores::created_at, stores::id))
                .select((stores::id, stores::whatsapp_business_number, stores::whatsapp_business_id))
                .load(conn)
                .await
        })
        .map_err(diesel_error)?;
        rows.into_iter()
            .filter_map(|(id, number, business)| Some((id, number?, business?)))
            .filter(|(_, n, b)| !n.trim().is_empty() && !b.trim().is_empty())
            .map(|(id, business_number, business_id)| {
                Ok(LegacyStoreNumber {
                    store_id: parse("stores.id", &id)?,
                    business_number,
                    business_id,
                })
            })
            .collect()
    }
}
