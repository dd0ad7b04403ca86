//! `InboxRepo` on SQL. Appends are one transaction per batch (the caller batches concurrent
//! webhooks into one call: group commit). Claims are one `UPDATE .. WHERE id IN (SELECT ..)`
//! statement: on Postgres the inner select takes `FOR UPDATE SKIP LOCKED`, so concurrent
//! workers in any number of processes never claim the same row; SQLite has one writer at a
//! time, which gives the same guarantee.
//!
//! The append path's own connections and its insert are in `append.rs`; the row types, their
//! conversions and the claim statement in `rows.rs`.

mod append;
mod rows;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::sql_types::{BigInt, Text, Timestamp};
use diesel::{ExpressionMethods, QueryDsl, SelectableHelper};
use diesel_async::RunQueryDsl;
use omni_ports::{
    AppendOutcome, InboxEvent, InboxOutcome, InboxRepo, InboxRouteKind, InboxState, NewInboxEvent,
    RepoError,
};

use self::append::AppendConns;
use self::rows::{NewRow, Row, claim_sql, rows};
use crate::convert::ts;
use crate::db::{DbConn, DbPool, count_by_state, db_run, diesel_error, lease_end};
use crate::schema::central::webhook_inbox as inbox;

/// The inbox in the central database.
#[derive(Debug, Clone)]
pub struct SqlInboxRepo {
    pool: DbPool,
    /// Connections the append path keeps between commits, outside the shared pool (at most
    /// one per concurrent committer, up to [`APPEND_CONNS_MAX`]): a webhook's commit never
    /// queues behind the workers' checkouts, and skips the pool's per-checkout ping.
    append_conns: Arc<AppendConns>,
    /// See [`APPEND_DEADLINE`].
    append_deadline: Duration,
}

/// Connections the append path opens of its own at most; beyond that it uses the pool.
const APPEND_CONNS_MAX: usize = 8;

/// How long one append may take, connecting included, before it is given up and its
/// connection closed. Longer than the server's own `statement_timeout` (30 s, `db.rs`), so it
/// never cuts short a statement the server would finish; but bounded where the server can
/// enforce nothing: frozen, or a host that silently drops packets after a failover, where an
/// open connection would otherwise wait for the kernel's retransmission timeout (about 15
/// minutes) and the committers with it.
const APPEND_DEADLINE: Duration = Duration::from_secs(35);

impl SqlInboxRepo {
    /// A repo over the central pool.
    #[must_use]
    pub fn new(pool: DbPool) -> Self {
        Self {
            pool,
            append_conns: Arc::new(AppendConns::default()),
            append_deadline: APPEND_DEADLINE,
        }
    }

    /// The same repo with another append deadline (tests).
    #[must_use]
    pub const fn with_append_deadline(mut self, deadline: Duration) -> Self {
        self.append_deadline = deadline;
        self
    }

    /// Append connections open now (kept idle or in use).
    #[must_use]
    pub fn append_connections(&self) -> usize {
        self.append_conns.open()
    }
}

#[async_trait]
impl InboxRepo for SqlInboxRepo {
    async fn append(&self, events: &[NewInboxEvent]) -> Result<AppendOutcome, RepoError> {
        if events.is_empty() {
            return Ok(AppendOutcome::default());
        }
        let new: Vec<NewRow<'_>> = events.iter().map(NewRow::from_port).collect();
        let Ok(inserted) = tokio::time::timeout(self.append_deadline, self.append_once(&new)).await
        else {
            tracing::warn!(
                deadline = ?self.append_deadline,
                "inbox append got no answer from the database in time; its connection is closed"
            );
            return Err(RepoError::Unavailable(
                "the database did not answer the inbox append in time".into(),
            ));
        };
        let inserted = inserted?;
        let inserted = u32::try_from(inserted).unwrap_or(u32::MAX);
        let total = u32::try_from(events.len()).unwrap_or(u32::MAX);
        Ok(AppendOutcome {
            inserted,
            duplicates: total.saturating_sub(inserted),
        })
    }

    async fn claim(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<InboxEvent>, RepoError> {
        let (until, now, limit) = (lease_end(now, lease, 60), ts(now), i64::from(limit));
        let mut conn = self.pool.get().await?;
        let mut claimed = match &mut conn {
            DbConn::Pg(conn) => {
                let sql = claim_sql(["$1", "$2", "$3", "$4"], "FOR UPDATE SKIP LOCKED");
                diesel::sql_query(sql)
                    .bind::<Text, _>(worker)
                    .bind::<Timestamp, _>(until)
                    .bind::<Timestamp, _>(now)
                    .bind::<BigInt, _>(limit)
                    .load::<Row>(&mut **conn)
                    .await
            }
            DbConn::Sqlite(conn) => {
                let sql = claim_sql(["?", "?", "?", "?"], "");
                diesel::sql_query(sql)
                    .bind::<Text, _>(worker)
                    .bind::<Timestamp, _>(until)
                    .bind::<Timestamp, _>(now)
                    .bind::<Timestamp, _>(now)
                    .bind::<BigInt, _>(limit)
                    .load::<Row>(&mut **conn)
                    .await
            }
        }
        .map_err(diesel_error)
        .and_then(rows)?;
        claimed.sort_by_key(|e| e.id);
        Ok(claimed)
    }

    async fn complete(
        &self,
        id: i64,
        worker: &str,
        outcome: &InboxOutcome,
        at: DateTime<Utc>,
    ) -> Result<bool, RepoError> {
        let (state, store, account, error) = match outcome {
            InboxOutcome::Done { store, account } => (
                InboxState::Done,
                store.map(|s| s.to_string()),
                account.map(|a| a.to_string()),
                None,
            ),
            InboxOutcome::Unroutable { reason } => {
                (InboxState::Unroutable, None, None, Some(reason.clone()))
            }
        };
        let at = ts(at);
        let mut conn = self.pool.get().await?;
        let n = db_run!(conn: {
            diesel::update(
                inbox::table
                    .filter(inbox::id.eq(id))
                    .filter(inbox::state.eq("leased"))
                    .filter(inbox::lease_owner.eq(worker)),
            )
            .set((
                inbox::state.eq(state.as_str()),
                inbox::store_id.eq(&store),
                inbox::account_id.eq(&account),
                inbox::last_error.eq(&error),
                inbox::processed_at.eq(Some(at)),
                inbox::lease_owner.eq(None::<String>),
                inbox::lease_until.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)
            .await
        })
        .map_err(diesel_error)?;
        Ok(n == 1)
    }

    async fn fail(
        &self,
        id: i64,
        worker: &str,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
        at: DateTime<Utc>,
    ) -> Result<bool, RepoError> {
        let (state, available, processed) = match retry_at {
            Some(t) => (InboxState::Pending, ts(t), None),
            None => (InboxState::Dead, ts(at), Some(ts(at))),
        };
        // Errors can carry a driver's text: keep it bounded.
        let error: String = error.chars().take(2000).collect();
        let mut conn = self.pool.get().await?;
        let n = db_run!(conn: {
            diesel::update(
                inbox::table
                    .filter(inbox::id.eq(id))
                    .filter(inbox::state.eq("leased"))
                    .filter(inbox::lease_owner.eq(worker)),
            )
            .set((
                inbox::state.eq(state.as_str()),
                inbox::available_at.eq(available),
                inbox::last_error.eq(Some(&error)),
                inbox::processed_at.eq(processed),
                inbox::lease_owner.eq(None::<String>),
                inbox::lease_until.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)
            .await
        })
        .map_err(diesel_error)?;
        Ok(n == 1)
    }

    async fn release(&self, worker: &str) -> Result<u64, RepoError> {
        let mut conn = self.pool.get().await?;
        let n = db_run!(conn: {
            diesel::update(
                inbox::table
                    .filter(inbox::state.eq("leased"))
                    .filter(inbox::lease_owner.eq(worker)),
            )
            .set((
                inbox::state.eq("pending"),
                inbox::lease_owner.eq(None::<String>),
                inbox::lease_until.eq(None::<NaiveDateTime>),
                // The attempt did not run to an outcome; do not count it.
                inbox::attempts.eq(inbox::attempts - 1),
            ))
            .execute(conn)
            .await
        })
        .map_err(diesel_error)?;
        Ok(u64::try_from(n).unwrap_or_default())
    }

    async fn list(&self, state: InboxState, limit: u32) -> Result<Vec<InboxEvent>, RepoError> {
        let mut conn = self.pool.get().await?;
        let found = db_run!(conn: {
            inbox::table
                .filter(inbox::state.eq(state.as_str()))
                .order(inbox::id.desc())
                .limit(i64::from(limit))
                .select(Row::as_select())
                .load::<Row>(conn)
                .await
        })
        .map_err(diesel_error)?;
        rows(found)
    }

    async fn find(&self, id: i64) -> Result<Option<InboxEvent>, RepoError> {
        let mut conn = self.pool.get().await?;
        let found = db_run!(conn: {
            inbox::table
                .find(id)
                .select(Row::as_select())
                .load::<Row>(conn)
                .await
        })
        .map_err(diesel_error)?;
        Ok(rows(found)?.pop())
    }

    async fn counts(&self) -> Result<BTreeMap<InboxState, u64>, RepoError> {
        Ok(count_by_state(&self.pool, "webhook_inbox")
            .await?
            .into_iter()
            .filter_map(|(state, n)| Some((InboxState::parse(&state)?, n)))
            .collect())
    }

    async fn requeue(&self, id: i64, now: DateTime<Utc>) -> Result<bool, RepoError> {
        let mut conn = self.pool.get().await?;
        let n = db_run!(conn: {
            diesel::update(
                inbox::table
                    .filter(inbox::id.eq(id))
                    .filter(inbox::state.eq_any(["dead", "unroutable"]))
                    .filter(inbox::route_kind.ne(InboxRouteKind::None.as_str())),
            )
            .set((
                inbox::state.eq("pending"),
                inbox::available_at.eq(ts(now)),
                inbox::attempts.eq(0),
                inbox::processed_at.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)
            .await
        })
        .map_err(diesel_error)?;
        Ok(n == 1)
    }

    async fn purge_done(&self, before: DateTime<Utc>) -> Result<u64, RepoError> {
        let before = ts(before);
        let mut conn = self.pool.get().await?;
        let n = db_run!(conn: {
            diesel::delete(
                inbox::table
                    .filter(inbox::state.eq("done"))
                    .filter(inbox::received_at.lt(before)),
            )
            .execute(conn)
            .await
        })
        .map_err(diesel_error)?;
        Ok(u64::try_from(n).unwrap_or_default())
    }
}
