//! `AnalyticsRepo` on a store's tenant database. The rows of the range are read once
//! (messages of the number's conversations, its orders) and folded per UTC day in Rust, so
//! the same code serves both engines and the figures do not depend on SQL date functions.

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use diesel::{BoolExpressionMethods, ExpressionMethods, QueryDsl};
use diesel_async::RunQueryDsl;
use omni_domain::{AccountId, StoreId};
use omni_ports::{AnalyticsRepo, DailyFigures, RepoError};

use crate::convert::utc;
use crate::db::{db_run, diesel_error};
use crate::schema::tenant::{conversations, customers, messages, orders};
use crate::tenant::SqlTenantRepo;

/// How long after the range a reply still counts as the answer to a message inside it.
const REPLY_HORIZON_DAYS: i64 = 2;

type MessageRow = (
    String,
    String,
    NaiveDateTime,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// The code of a stored failure text (`"131047: Re-engagement message"`, `"outside_window:
/// ..."`): the part before the first colon.
fn failure_code(error: Option<&str>) -> String {
    error
        .and_then(|e| e.split(':').next())
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .unwrap_or("unknown")
        .to_owned()
}

fn day_start(d: NaiveDate) -> NaiveDateTime {
    d.and_hms_opt(0, 0, 0).unwrap_or_default()
}

#[async_trait]
impl AnalyticsRepo for SqlTenantRepo {
    async fn daily_figures(
        &self,
        store: StoreId,
        account: AccountId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<DailyFigures>, RepoError> {
        let account = account.to_string();
        let start = day_start(from);
        let end = day_start(to) + Duration::days(1);
        let horizon = end + Duration::days(REPLY_HORIZON_DAYS);
        let mut conn = self.pool(store).await?.get().await?;
        let (rows, order_rows) = db_run!(conn: {
            // Two plain queries (the schema declares no joins): the number's conversations,
            // then their messages in the range.
            let conversation_ids: Vec<String> = conversations::table
                .filter(conversations::account_id.eq(&account))
                .select(conversations::id)
                .load(conn)
                .await
                .map_err(diesel_error)?;
            let rows: Vec<MessageRow> = messages::table
                .filter(messages::conversation_id.eq_any(&conversation_ids))
                .filter(messages::created_at.ge(start).and(messages::created_at.lt(horizon)))
                .select((
                    messages::id,
                    messages::direction,
                    messages::created_at,
                    messages::status,
                    messages::error,
                    messages::in_reply_to,
                ))
                .load(conn)
                .await
                .map_err(diesel_error)?;
            let order_rows: Vec<(String, i64, NaiveDateTime)> = orders::table
                .filter(orders::account_id.eq(&account))
                .filter(orders::created_at.ge(start).and(orders::created_at.lt(end)))
                .select((orders::status, orders::total_minor, orders::created_at))
                .load(conn)
                .await
                .map_err(diesel_error)?;
            (rows, order_rows)
        });
        let mut days: BTreeMap<NaiveDate, DailyFigures> = BTreeMap::new();
        let mut first_reply: HashMap<&str, NaiveDateTime> = HashMap::new();
        for (_, direction, at, _, _, in_reply_to) in &rows {
            if direction == "outbound"
                && let Some(inbound) = in_reply_to
            {
                first_reply
                    .entry(inbound.as_str())
                    .and_modify(|t| *t = (*t).min(*at))
                    .or_insert(*at);
            }
        }
        for (id, direction, at, status, error, _) in &rows {
            if *at >= end {
                continue;
            }
            let day = days.entry(at.date()).or_default();
            if direction == "inbound" {
                day.messages_in += 1;
                if let Some(reply) = first_reply.get(id.as_str()) {
                    day.response_secs
                        .push(reply.signed_duration_since(*at).num_seconds().max(0));
                }
                continue;
            }
            day.messages_out += 1;
            match status.as_deref() {
                Some("delivered") => day.delivered += 1,
                Some("read") => {
                    day.delivered += 1;
                    day.read += 1;
                }
                Some("failed") => {
                    day.failed += 1;
                    *day.failures_by_code
                        .entry(failure_code(error.as_deref()))
                        .or_default() += 1;
                }
                _ => {}
            }
        }
        for (status, total, at) in order_rows {
            // Carts never placed and cancelled orders are not sales.
            if matches!(status.as_str(), "draft" | "cart" | "cancelled") {
                continue;
            }
            let day = days.entry(at.date()).or_default();
            day.orders += 1;
            day.revenue_minor += total;
        }
        Ok(days
            .into_iter()
            .map(|(d, mut f)| {
                f.day = Some(d);
                f
            })
            .collect())
    }

    async fn last_inbound_from(
        &self,
        store: StoreId,
        account: AccountId,
        wa_id: &str,
    ) -> Result<Option<DateTime<Utc>>, RepoError> {
        let (account, wa_id) = (account.to_string(), wa_id.to_owned());
        let mut conn = self.pool(store).await?.get().await?;
        let found: Vec<Option<NaiveDateTime>> = db_run!(conn: {
            let customer_ids: Vec<String> = customers::table
                .filter(customers::wa_id.eq(&wa_id))
                .select(customers::id)
                .load(conn)
                .await
                .map_err(diesel_error)?;
            conversations::table
                .filter(conversations::account_id.eq(&account))
                .filter(conversations::customer_id.eq_any(&customer_ids))
                .select(conversations::last_inbound_at)
                .load(conn)
                .await
                .map_err(diesel_error)?
        });
        Ok(found.into_iter().flatten().max().map(utc))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_codes_are_the_part_before_the_colon() {
        assert_eq!(failure_code(Some("131047: Re-engagement")), "131047");
        assert_eq!(
            failure_code(Some("outside_window: closed")),
            "outside_window"
        );
        assert_eq!(failure_code(None), "unknown");
    }
}
