//! `AccountEventRepo` on SQL.

use async_trait::async_trait;
use chrono::NaiveDateTime;
use diesel::prelude::{Insertable, Queryable, Selectable};
use diesel::{ExpressionMethods, QueryDsl, SelectableHelper};
use diesel_async::RunQueryDsl;
use omni_domain::AccountId;
use omni_ports::{AccountEvent, AccountEventRepo, RepoError};

use crate::convert::{json, parse, to_json, ts, utc};
use crate::db::{DbPool, db_run, diesel_error};
use crate::schema::central::account_events as events;

/// The account history in the central database.
#[derive(Debug, Clone)]
pub struct SqlAccountEventRepo {
    pool: DbPool,
}

impl SqlAccountEventRepo {
    /// A repo over the central pool.
    #[must_use]
    pub fn new(pool: DbPool) -> Self {
        Self { pool }
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = events)]
struct Row {
    id: String,
    account_id: Option<String>,
    store_id: Option<String>,
    waba_id: String,
    kind: String,
    detail: String,
    occurred_at: NaiveDateTime,
    recorded_at: NaiveDateTime,
}

#[async_trait]
impl AccountEventRepo for SqlAccountEventRepo {
    async fn record(&self, e: &AccountEvent) -> Result<(), RepoError> {
        let row = Row {
            id: uuid::Uuid::now_v7().to_string(),
            account_id: e.account_id.map(|a| a.to_string()),
            store_id: e.store_id.map(|s| s.to_string()),
            waba_id: e.waba_id.clone(),
            kind: e.kind.clone(),
            detail: to_json(&e.detail),
            occurred_at: ts(e.occurred_at),
            recorded_at: ts(e.recorded_at),
        };
        let mut conn = self.pool.get().await?;
        db_run!(conn: {
            diesel::insert_into(events::table).values(&row).execute(conn).await
        })
        .map_err(diesel_error)?;
        Ok(())
    }

    async fn list_for_account(
        &self,
        account: AccountId,
        limit: u32,
    ) -> Result<Vec<AccountEvent>, RepoError> {
        let account = account.to_string();
        let mut conn = self.pool.get().await?;
        let found = db_run!(conn: {
            events::table
                .filter(events::account_id.eq(&account))
                .order((events::occurred_at.desc(), events::id.desc()))
                .limit(i64::from(limit))
                .select(Row::as_select())
                .load::<Row>(conn)
                .await
        })
        .map_err(diesel_error)?;
        found
            .into_iter()
            .map(|r| {
                Ok(AccountEvent {
                    account_id: r
                        .account_id
                        .map(|a| parse("account_events.account_id", &a))
                        .transpose()?,
                    store_id: r
                        .store_id
                        .map(|s| parse("account_events.store_id", &s))
                        .transpose()?,
                    waba_id: r.waba_id,
                    kind: r.kind,
                    detail: json("account_events.detail", &r.detail)?,
                    occurred_at: utc(r.occurred_at),
                    recorded_at: utc(r.recorded_at),
                })
            })
            .collect()
    }
}
