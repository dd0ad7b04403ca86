//! [`AlertNumberRepo`] on SQL: one row per store.

use crate::convert::ts;
use crate::db::{db_run, diesel_error};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::{ExpressionMethods, QueryDsl};
use diesel_async::RunQueryDsl;
use omni_domain::StoreId;
use omni_ports::{AlertNumberRepo, RepoError};
use tables::store_alert_settings;

use super::{SqlHealthRepo, tables};

#[async_trait]
impl AlertNumberRepo for SqlHealthRepo {
    async fn alert_number(&self, store: StoreId) -> Result<Option<String>, RepoError> {
        let store = store.to_string();
        let mut conn = self.pool.get().await?;
        let found: Vec<Option<String>> = db_run!(conn: {
            store_alert_settings::table
                .filter(store_alert_settings::store_id.eq(&store))
                .select(store_alert_settings::owner_whatsapp)
                .load(conn)
                .await
        })
        .map_err(diesel_error)?;
        Ok(found.into_iter().next().flatten())
    }

    async fn set_alert_number(
        &self,
        store: StoreId,
        number: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<(), RepoError> {
        let (store, at) = (store.to_string(), ts(at));
        let number = number.map(str::to_owned);
        let mut conn = self.pool.get().await?;
        db_run!(conn: {
            diesel::insert_into(store_alert_settings::table)
                .values((
                    store_alert_settings::store_id.eq(&store),
                    store_alert_settings::owner_whatsapp.eq(&number),
                    store_alert_settings::updated_at.eq(at),
                ))
                .on_conflict(store_alert_settings::store_id)
                .do_update()
                .set((
                    store_alert_settings::owner_whatsapp.eq(&number),
                    store_alert_settings::updated_at.eq(at),
                ))
                .execute(conn)
                .await
        })
        .map_err(diesel_error)?;
        Ok(())
    }
}
