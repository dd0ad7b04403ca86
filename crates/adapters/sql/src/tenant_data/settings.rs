//! [`StoreSettingsRepo`] on SQL: the ordering settings and the auto-reply, one row each.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::{ExpressionMethods, OptionalExtension, QueryDsl};
use diesel_async::RunQueryDsl;
use omni_domain::{Currency, Money, StoreId, StoreSettings};
use omni_ports::{RepoError, StoreSettingsRepo};

use crate::convert::{json, to_json, ts};
use crate::db::{db_run, diesel_error};
use crate::schema::tenant::{auto_reply, store_settings};
use crate::tenant::SqlTenantRepo;

/// The only row of `auto_reply`.
const AUTO_REPLY_ROW: i32 = 1;

/// The only row of `store_settings`.
const SETTINGS_ROW: i32 = 1;

fn settings_currency(raw: &str) -> Result<Currency, RepoError> {
    Currency::parse(raw)
        .map_err(|_| RepoError::Corrupt(format!("store_settings.currency: `{raw}`")))
}

#[async_trait]
impl StoreSettingsRepo for SqlTenantRepo {
    async fn settings(&self, store: StoreId) -> Result<Option<StoreSettings>, RepoError> {
        let mut conn = self.pool(store).await?.get().await?;
        type Row = (i64, i64, String, bool, Option<String>);
        let row: Option<Row> = db_run!(conn: {
            store_settings::table
                .find(SETTINGS_ROW)
                .select((
                    store_settings::delivery_fee_minor,
                    store_settings::min_order_minor,
                    store_settings::currency,
                    store_settings::voice_replies,
                    store_settings::rider_template,
                ))
                .first(conn)
                .await
                .optional()
        })
        .map_err(diesel_error)?;
        row.map(|(fee, min, currency, voice, template)| {
            let currency = settings_currency(&currency)?;
            Ok(StoreSettings {
                delivery_fee: Money::from_minor(fee, currency),
                min_order: Money::from_minor(min, currency),
                voice_replies: voice,
                rider_template: template
                    .map(|t| json("store_settings.rider_template", &t))
                    .transpose()?,
            })
        })
        .transpose()
    }

    async fn set_settings(
        &self,
        store: StoreId,
        settings: &StoreSettings,
        at: DateTime<Utc>,
    ) -> Result<(), RepoError> {
        if settings.delivery_fee.currency() != settings.min_order.currency() {
            return Err(RepoError::conflict(
                "fee and minimum in different currencies",
            ));
        }
        let fee = settings.delivery_fee.minor();
        let min = settings.min_order.minor();
        let currency = settings.delivery_fee.currency().as_str().to_owned();
        let template = settings.rider_template.as_ref().map(to_json);
        let at = ts(at);
        let mut conn = self.pool(store).await?.get().await?;
        db_run!(conn: {
            diesel::insert_into(store_settings::table)
                .values((
                    store_settings::id.eq(SETTINGS_ROW),
                    store_settings::delivery_fee_minor.eq(fee),
                    store_settings::min_order_minor.eq(min),
                    store_settings::currency.eq(&currency),
                    store_settings::voice_replies.eq(settings.voice_replies),
                    store_settings::rider_template.eq(&template),
                    store_settings::updated_at.eq(at),
                ))
                .on_conflict(store_settings::id)
                .do_update()
                .set((
                    store_settings::delivery_fee_minor.eq(fee),
                    store_settings::min_order_minor.eq(min),
                    store_settings::currency.eq(&currency),
                    store_settings::voice_replies.eq(settings.voice_replies),
                    store_settings::rider_template.eq(&template),
                    store_settings::updated_at.eq(at),
                ))
                .execute(conn)
                .await
        })
        .map_err(diesel_error)?;
        Ok(())
    }

    async fn auto_reply(&self, store: StoreId) -> Result<Option<String>, RepoError> {
        let mut conn = self.pool(store).await?.get().await?;
        db_run!(conn: {
            auto_reply::table
                .find(AUTO_REPLY_ROW)
                .select(auto_reply::reply)
                .first(conn)
                .await
                .optional()
        })
        .map_err(diesel_error)
    }

    async fn set_auto_reply(
        &self,
        store: StoreId,
        reply: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<(), RepoError> {
        let at = ts(at);
        let mut conn = self.pool(store).await?.get().await?;
        db_run!(conn: {
            match reply {
                Some(reply) => {
                    diesel::insert_into(auto_reply::table)
                        .values((
                            auto_reply::id.eq(AUTO_REPLY_ROW),
                            auto_reply::reply.eq(reply),
                            auto_reply::updated_at.eq(at),
                        ))
                        .on_conflict(auto_reply::id)
                        .do_update()
                        .set((auto_reply::reply.eq(reply), auto_reply::updated_at.eq(at)))
                        .execute(conn)
                        .await
                }
                None => diesel::delete(auto_reply::table.find(AUTO_REPLY_ROW)).execute(conn).await,
            }
        })
        .map_err(diesel_error)?;
        Ok(())
    }
}
