//! [`NotificationRepo`] on SQL.

use crate::convert::{to_json, ts};
use crate::db::{db_run, diesel_error};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::{ExpressionMethods, QueryDsl, SelectableHelper};
use diesel_async::RunQueryDsl;
use omni_domain::StoreId;
use omni_ports::{Notification, NotificationRepo, RepoError};
use tables::notifications;

use super::{NotificationRow, SqlHealthRepo, tables};

#[async_trait]
impl NotificationRepo for SqlHealthRepo {
    async fn add_notification(&self, n: &Notification) -> Result<(), RepoError> {
        let row = NotificationRow {
            id: n.id.clone(),
            store_id: n.store_id.to_string(),
            account_id: n.account_id.map(|a| a.to_string()),
            kind: n.kind.clone(),
            severity: n.severity.clone(),
            title: n.title.clone(),
            body: n.body.clone(),
            detail: to_json(&n.detail),
            created_at: ts(n.created_at),
            read_at: n.read_at.map(ts),
        };
        let mut conn = self.pool.get().await?;
        db_run!(conn: {
            diesel::insert_into(notifications::table).values(&row).execute(conn).await
        })
        .map_err(diesel_error)?;
        Ok(())
    }

    async fn list_notifications(
        &self,
        store: StoreId,
        unread_only: bool,
        limit: u32,
    ) -> Result<Vec<Notification>, RepoError> {
        let store = store.to_string();
        let mut conn = self.pool.get().await?;
        let rows = db_run!(conn: {
            let mut q = notifications::table
                .filter(notifications::store_id.eq(&store))
                .into_boxed();
            if unread_only {
                q = q.filter(notifications::read_at.is_null());
            }
            q.order((notifications::created_at.desc(), notifications::id.desc()))
                .limit(i64::from(limit))
                .select(NotificationRow::as_select())
                .load::<NotificationRow>(conn)
                .await
        })
        .map_err(diesel_error)?;
        rows.into_iter().map(NotificationRow::into_domain).collect()
    }

    async fn mark_notifications_read(
        &self,
        store: StoreId,
        ids: Option<&[String]>,
        at: DateTime<Utc>,
    ) -> Result<u64, RepoError> {
        let (store, at) = (store.to_string(), ts(at));
        let ids: Option<Vec<String>> = ids.map(<[String]>::to_vec);
        let mut conn = self.pool.get().await?;
        let n = db_run!(conn: {
            let target = notifications::table
                .filter(notifications::store_id.eq(&store))
                .filter(notifications::read_at.is_null());
            match &ids {
                Some(ids) => diesel::update(target.filter(notifications::id.eq_any(ids)))
                    .set(notifications::read_at.eq(at))
                    .execute(conn)
                    .await,
                None => diesel::update(target)
                    .set(notifications::read_at.eq(at))
                    .execute(conn)
                    .await,
            }
        })
        .map_err(diesel_error)?;
        Ok(n as u64)
    }
}
