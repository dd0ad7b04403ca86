//! `OutboxRepo` on SQL. Sender leases are one upsert that succeeds only for the holder or
//! when the lease has run out; claims follow the inbox's pattern (`FOR UPDATE SKIP LOCKED` on
//! Postgres), keyed by sender and recipient so one customer's messages leave in order.
//!
//! The row types, their conversions and the claim and lease statements are in `rows.rs`.

mod rows;

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::AggregateExpressionMethods;
use diesel::sql_types::{BigInt, Text, Timestamp};
use diesel::{ExpressionMethods, QueryDsl, SelectableHelper};
use diesel_async::{AsyncConnection, RunQueryDsl};
use omni_domain::PhoneNumberId;
use omni_ports::{
    NewOutboxMessage, OutboxMessage, OutboxRepo, OutboxState, RepoError, RequeueFilter, SendFailure,
};

use self::rows::{NewRow, Row, acquire_sql, claim_sql, rows};
use crate::convert::ts;
use crate::db::{DbConn, DbError, DbPool, count_by_state, db_run, diesel_error, lease_end};
use crate::schema::central::{outbox, sender_leases};

/// The outbox in the central database.
#[derive(Debug, Clone)]
pub struct SqlOutboxRepo {
    pool: DbPool,
}

impl SqlOutboxRepo {
    /// A repo over the central pool.
    #[must_use]
    pub fn new(pool: DbPool) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl OutboxRepo for SqlOutboxRepo {
    async fn enqueue(&self, messages: &[NewOutboxMessage]) -> Result<u32, RepoError> {
        if messages.is_empty() {
            return Ok(0);
        }
        let new: Vec<NewRow> = messages.iter().map(NewRow::from_port).collect();
        let mut conn = self.pool.get().await?;
        let n = db_run!(conn: {
            conn.transaction(async |conn| -> Result<usize, DbError> {
                let mut n = 0;
                for row in &new {
                    n += diesel::insert_into(outbox::table)
                        .values(row)
                        .on_conflict(outbox::idempotency_key)
                        .do_nothing()
                        .execute(conn)
                        .await?;
                }
                Ok(n)
            })
            .await
        })?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    async fn senders_with_work(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<PhoneNumberId>, RepoError> {
        let now = ts(now);
        let mut conn = self.pool.get().await?;
        let found: Vec<String> = db_run!(conn: {
            outbox::table
                .filter(outbox::state.eq_any(["pending", "sending"]))
                .filter(outbox::available_at.le(now))
                .select(outbox::sender)
                .distinct()
                .limit(i64::from(limit))
                .load::<String>(conn)
                .await
        })
        .map_err(diesel_error)?;
        Ok(found
            .iter()
            .filter_map(|s| PhoneNumberId::parse(s).ok())
            .collect())
    }

    async fn acquire_sender(
        &self,
        sender: &PhoneNumberId,
        worker: &str,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<bool, RepoError> {
        let (until, now) = (lease_end(now, lease, 30), ts(now));
        let mut conn = self.pool.get().await?;
        let n = match &mut conn {
            DbConn::Pg(conn) => {
                diesel::sql_query(acquire_sql(["$1", "$2", "$3", "$4"]))
                    .bind::<Text, _>(sender.as_str())
                    .bind::<Text, _>(worker)
                    .bind::<Timestamp, _>(until)
                    .bind::<Timestamp, _>(now)
                    .execute(&mut **conn)
                    .await
            }
            DbConn::Sqlite(conn) => {
                diesel::sql_query(acquire_sql(["?", "?", "?", "?"]))
                    .bind::<Text, _>(sender.as_str())
                    .bind::<Text, _>(worker)
                    .bind::<Timestamp, _>(until)
                    .bind::<Timestamp, _>(now)
                    .execute(&mut **conn)
                    .await
            }
        }
        .map_err(diesel_error)?;
        Ok(n == 1)
    }

    async fn release_sender(&self, sender: &PhoneNumberId, worker: &str) -> Result<(), RepoError> {
        let sender = sender.as_str();
        let mut conn = self.pool.get().await?;
        db_run!(conn: {
            conn.transaction(async |conn| -> Result<(), DbError> {
                diesel::update(
                    outbox::table
                        .filter(outbox::sender.eq(sender))
                        .filter(outbox::state.eq("sending"))
                        .filter(outbox::lease_owner.eq(worker)),
                )
                .set((
                    outbox::state.eq("pending"),
                    outbox::lease_owner.eq(None::<String>),
                    outbox::lease_until.eq(None::<NaiveDateTime>),
                    outbox::attempts.eq(outbox::attempts - 1),
                ))
                .execute(conn)
                .await?;
                diesel::delete(
                    sender_leases::table
                        .filter(sender_leases::sender.eq(sender))
                        .filter(sender_leases::owner.eq(worker)),
                )
                .execute(conn)
                .await?;
                Ok(())
            })
            .await
        })?;
        Ok(())
    }

    async fn claim(
        &self,
        sender: &PhoneNumberId,
        worker: &str,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>, RepoError> {
        let (until, now, limit) = (lease_end(now, lease, 30), ts(now), i64::from(limit));
        let mut conn = self.pool.get().await?;
        let mut claimed = match &mut conn {
            DbConn::Pg(conn) => {
                diesel::sql_query(claim_sql(
                    ["$1", "$2", "$3", "$4", "$5"],
                    "FOR UPDATE SKIP LOCKED",
                ))
                .bind::<Text, _>(worker)
                .bind::<Timestamp, _>(until)
                .bind::<Text, _>(sender.as_str())
                .bind::<Timestamp, _>(now)
                .bind::<BigInt, _>(limit)
                .load::<Row>(&mut **conn)
                .await
            }
            DbConn::Sqlite(conn) => {
                diesel::sql_query(claim_sql(["?", "?", "?", "?", "?"], ""))
                    .bind::<Text, _>(worker)
                    .bind::<Timestamp, _>(until)
                    .bind::<Text, _>(sender.as_str())
                    .bind::<Timestamp, _>(now)
                    .bind::<Timestamp, _>(now)
                    .bind::<BigInt, _>(limit)
                    .load::<Row>(&mut **conn)
                    .await
            }
        }
        .map_err(diesel_error)
        .and_then(rows)?;
        claimed.sort_by_key(|m| m.id);
        Ok(claimed)
    }

    async fn record_wamid(&self, id: i64, wamid: &str) -> Result<bool, RepoError> {
        let mut conn = self.pool.get().await?;
        let n = db_run!(conn: {
            diesel::update(
                outbox::table
                    .filter(outbox::id.eq(id))
                    .filter(outbox::state.eq("sending"))
                    .filter(outbox::wamid.is_null()),
            )
            .set(outbox::wamid.eq(Some(wamid)))
            .execute(conn)
            .await
        })
        .map_err(diesel_error)?;
        Ok(n == 1)
    }

    async fn mark_sent(
        &self,
        id: i64,
        _worker: &str,
        wamid: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, RepoError> {
        // Any `sending` row: Meta accepted it, so the wamid must be kept even if this
        // worker's lease ran out meanwhile.
        let at = ts(at);
        let mut conn = self.pool.get().await?;
        let n = db_run!(conn: {
            diesel::update(
                outbox::table
                    .filter(outbox::id.eq(id))
                    .filter(outbox::state.eq_any(["sending", "pending"])),
            )
            .set((
                outbox::state.eq("sent"),
                outbox::wamid.eq(Some(wamid)),
                outbox::sent_at.eq(Some(at)),
                outbox::error_code.eq(None::<String>),
                outbox::error.eq(None::<String>),
                outbox::lease_owner.eq(None::<String>),
                outbox::lease_until.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)
            .await
        })
        .map_err(diesel_error)?;
        Ok(n == 1)
    }

    async fn reschedule(
        &self,
        id: i64,
        worker: &str,
        retry_at: DateTime<Utc>,
        error: Option<(SendFailure, &str)>,
        count_attempt: bool,
    ) -> Result<bool, RepoError> {
        let (code, text) = match error {
            Some((c, t)) => (
                Some(c.code().into_owned()),
                Some(t.chars().take(2000).collect::<String>()),
            ),
            None => (None, None),
        };
        let undo = i32::from(!count_attempt);
        let mut conn = self.pool.get().await?;
        let n = db_run!(conn: {
            diesel::update(
                outbox::table
                    .filter(outbox::id.eq(id))
                    .filter(outbox::state.eq("sending"))
                    .filter(outbox::lease_owner.eq(worker)),
            )
            .set((
                outbox::state.eq("pending"),
                outbox::available_at.eq(ts(retry_at)),
                outbox::error_code.eq(&code),
                outbox::error.eq(&text),
                outbox::attempts.eq(outbox::attempts - undo),
                outbox::lease_owner.eq(None::<String>),
                outbox::lease_until.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)
            .await
        })
        .map_err(diesel_error)?;
        Ok(n == 1)
    }

    async fn mark_failed(
        &self,
        id: i64,
        worker: &str,
        code: SendFailure,
        error: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, RepoError> {
        let code = code.code();
        let error: String = error.chars().take(2000).collect();
        let mut conn = self.pool.get().await?;
        let n = db_run!(conn: {
            diesel::update(
                outbox::table
                    .filter(outbox::id.eq(id))
                    .filter(outbox::state.eq("sending"))
                    .filter(outbox::lease_owner.eq(worker)),
            )
            .set((
                outbox::state.eq("failed"),
                outbox::error_code.eq(Some(code.as_ref())),
                outbox::error.eq(Some(&error)),
                outbox::available_at.eq(ts(at)),
                outbox::lease_owner.eq(None::<String>),
                outbox::lease_until.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)
            .await
        })
        .map_err(diesel_error)?;
        Ok(n == 1)
    }

    async fn fail_pending_of_sender(
        &self,
        sender: &PhoneNumberId,
        code: SendFailure,
        error: &str,
        at: DateTime<Utc>,
    ) -> Result<u64, RepoError> {
        let code = code.code();
        let mut conn = self.pool.get().await?;
        let n = db_run!(conn: {
            diesel::update(
                outbox::table
                    .filter(outbox::sender.eq(sender.as_str()))
                    .filter(outbox::state.eq("pending")),
            )
            .set((
                outbox::state.eq("failed"),
                outbox::error_code.eq(Some(code.as_ref())),
                outbox::error.eq(Some(error)),
                outbox::available_at.eq(ts(at)),
            ))
            .execute(conn)
            .await
        })
        .map_err(diesel_error)?;
        Ok(u64::try_from(n).unwrap_or_default())
    }

    async fn business_recipients_since(
        &self,
        sender: &PhoneNumberId,
        recipient: &str,
        since: DateTime<Utc>,
    ) -> Result<(u64, bool), RepoError> {
        let since = ts(since);
        let sender = sender.as_str();
        let mut conn = self.pool.get().await?;
        let (distinct, mine): (i64, i64) = db_run!(conn: {
            let distinct = outbox::table
                .filter(outbox::sender.eq(sender))
                .filter(outbox::initiator.eq("business"))
                .filter(outbox::state.eq("sent"))
                .filter(outbox::sent_at.ge(since))
                .select(diesel::dsl::count(outbox::recipient).aggregate_distinct())
                .get_result::<i64>(conn)
                .await
                .map_err(diesel_error)?;
            let mine = outbox::table
                .filter(outbox::sender.eq(sender))
                .filter(outbox::initiator.eq("business"))
                .filter(outbox::state.eq("sent"))
                .filter(outbox::sent_at.ge(since))
                .filter(outbox::recipient.eq(recipient))
                .count()
                .get_result::<i64>(conn)
                .await
                .map_err(diesel_error)?;
            (distinct, mine)
        });
        Ok((u64::try_from(distinct).unwrap_or_default(), mine > 0))
    }

    async fn find_by_key(&self, key: &str) -> Result<Option<OutboxMessage>, RepoError> {
        let mut conn = self.pool.get().await?;
        let found = db_run!(conn: {
            outbox::table
                .filter(outbox::idempotency_key.eq(key))
                .select(Row::as_select())
                .load::<Row>(conn)
                .await
        })
        .map_err(diesel_error)?;
        Ok(rows(found)?.pop())
    }

    async fn list(
        &self,
        sender: Option<&PhoneNumberId>,
        state: Option<OutboxState>,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>, RepoError> {
        let sender = sender.map(|s| s.as_str().to_owned());
        let mut conn = self.pool.get().await?;
        let found = db_run!(conn: {
            let mut q = outbox::table.into_boxed();
            if let Some(sender) = &sender {
                q = q.filter(outbox::sender.eq(sender.clone()));
            }
            if let Some(state) = state {
                q = q.filter(outbox::state.eq(state.as_str()));
            }
            q.order(outbox::id.desc())
                .limit(i64::from(limit))
                .select(Row::as_select())
                .load::<Row>(conn)
                .await
        })
        .map_err(diesel_error)?;
        rows(found)
    }

    async fn counts(&self) -> Result<BTreeMap<OutboxState, u64>, RepoError> {
        Ok(count_by_state(&self.pool, "outbox")
            .await?
            .into_iter()
            .filter_map(|(state, n)| Some((OutboxState::parse(&state)?, n)))
            .collect())
    }

    async fn find_failed(&self, filter: &RequeueFilter) -> Result<Vec<OutboxMessage>, RepoError> {
        let sender = filter.sender.as_ref().map(|s| s.as_str().to_owned());
        let code = filter.error_code.map(|c| c.code().into_owned());
        let since = filter.failed_since.map(ts);
        let mut conn = self.pool.get().await?;
        let found = db_run!(conn: {
            let mut q = outbox::table
                .filter(outbox::state.eq("failed"))
                .filter(outbox::wamid.is_null())
                .into_boxed();
            if let Some(id) = filter.id {
                q = q.filter(outbox::id.eq(id));
            }
            if let Some(sender) = &sender {
                q = q.filter(outbox::sender.eq(sender.clone()));
            }
            if let Some(code) = &code {
                q = q.filter(outbox::error_code.eq(code.clone()));
            }
            if let Some(since) = since {
                q = q.filter(outbox::available_at.ge(since));
            }
            q.order(outbox::id.asc())
                .limit(10_000)
                .select(Row::as_select())
                .load::<Row>(conn)
                .await
        })
        .map_err(diesel_error)?;
        rows(found)
    }

    async fn requeue_failed(&self, ids: &[i64], now: DateTime<Utc>) -> Result<u64, RepoError> {
        let now = ts(now);
        let mut conn = self.pool.get().await?;
        let n = db_run!(conn: {
            diesel::update(
                outbox::table
                    .filter(outbox::id.eq_any(ids))
                    .filter(outbox::state.eq("failed"))
                    .filter(outbox::wamid.is_null()),
            )
            .set((
                outbox::state.eq("pending"),
                outbox::attempts.eq(0),
                outbox::available_at.eq(now),
                outbox::error_code.eq(None::<String>),
                outbox::error.eq(None::<String>),
            ))
            .execute(conn)
            .await
        })
        .map_err(diesel_error)?;
        Ok(u64::try_from(n).unwrap_or(u64::MAX))
    }
}
