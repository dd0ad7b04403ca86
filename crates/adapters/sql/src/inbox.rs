//! `InboxRepo` on SQL. Appends are one transaction per batch (the caller batches concurrent
//! webhooks into one call: group commit). Claims are one `UPDATE .. WHERE id IN (SELECT ..)`
//! statement: on Postgres the inner select takes `FOR UPDATE SKIP LOCKED`, so concurrent
//! workers in any number of processes never claim the same row; SQLite has one writer at a
//! time, which gives the same guarantee.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, Utc};
use deadpool::managed::Manager;
use diesel::QueryResult;
use diesel::pg::Pg;
use diesel::prelude::{Insertable, Queryable, QueryableByName, Selectable};
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Integer, Nullable, Text, Timestamp};
use diesel::{ExpressionMethods, QueryDsl, SelectableHelper};
use diesel_async::pg::AsyncPgConnection;
use diesel_async::{AsyncConnection, RunQueryDsl};
use omni_ports::{
    AppendOutcome, InboxEvent, InboxOutcome, InboxRepo, InboxState, NewInboxEvent, RepoError,
};

use crate::convert::{parse, ts, utc};
use crate::db::{
    DbConn, DbError, DbPool, SqliteConn, count_by_state, db_run, diesel_error, lease_end,
};
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

#[derive(Default)]
struct AppendConns {
    idle: Mutex<Vec<KeptConn>>,
    open: AtomicUsize,
}

impl std::fmt::Debug for AppendConns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "AppendConns({} open)",
            AtomicUsize::load(&self.open, Ordering::Relaxed)
        )
    }
}

/// A connection of the append path's own.
#[expect(
    clippy::large_enum_variant,
    reason = "a handful live for the process's lifetime; boxing buys nothing"
)]
enum KeptConn {
    Pg(AsyncPgConnection),
    Sqlite(SqliteConn),
}

/// A connection to run the append on, kept or pooled.
enum ConnRef<'a> {
    Pg(&'a mut AsyncPgConnection),
    Sqlite(&'a mut SqliteConn),
}

impl KeptConn {
    fn as_ref(&mut self) -> ConnRef<'_> {
        match self {
            Self::Pg(c) => ConnRef::Pg(c),
            Self::Sqlite(c) => ConnRef::Sqlite(c),
        }
    }
}

impl<'a> From<&'a mut DbConn> for ConnRef<'a> {
    fn from(conn: &'a mut DbConn) -> Self {
        match conn {
            DbConn::Pg(c) => ConnRef::Pg(&mut *c),
            DbConn::Sqlite(c) => ConnRef::Sqlite(&mut *c),
        }
    }
}

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
        AtomicUsize::load(&self.append_conns.open, Ordering::Acquire)
    }

    /// An idle kept connection, or a new one while fewer than the maximum are open.
    async fn take_append_conn(&self) -> Option<KeptConn> {
        let conns = &self.append_conns;
        if let Some(conn) = conns.idle.lock().ok().and_then(|mut idle| idle.pop()) {
            return Some(conn);
        }
        let reserved = conns
            .open
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < APPEND_CONNS_MAX).then_some(n + 1)
            })
            .is_ok();
        if !reserved {
            return None;
        }
        // Counted out again unless the connection opens (also when the append's deadline
        // drops this future while connecting).
        let reservation = Reservation(&conns.open);
        let created = match &self.pool {
            DbPool::Pg(p) => p.manager().create().await.map(KeptConn::Pg),
            DbPool::Sqlite(p) => p.manager().create().await.map(KeptConn::Sqlite),
        };
        match created {
            Ok(conn) => {
                std::mem::forget(reservation);
                Some(conn)
            }
            Err(e) => {
                tracing::debug!(error = %e, "could not open an inbox append connection; using the pool");
                None
            }
        }
    }

    fn return_append_conn(&self, conn: KeptConn) {
        match self.append_conns.idle.lock() {
            Ok(mut idle) => idle.push(conn),
            Err(_) => self.drop_append_conn(conn),
        }
    }

    fn drop_append_conn(&self, conn: KeptConn) {
        drop(conn);
        self.append_conns.open.fetch_sub(1, Ordering::AcqRel);
    }

    /// One append (see [`InboxRepo::append`]), without the deadline.
    async fn append_once(&self, new: &[NewRow<'_>]) -> Result<usize, RepoError> {
        if let Some(conn) = self.take_append_conn().await {
            // Given back (or closed and counted out) whatever happens, also when the deadline
            // drops this future mid-statement.
            let mut taken = TakenConn {
                repo: self,
                conn: Some(conn),
            };
            let result = match taken.conn.as_mut() {
                Some(conn) => insert_new(conn.as_ref(), new).await,
                None => Err(RepoError::Unexpected("append connection missing".into())),
            };
            match result {
                Ok(n) => {
                    if let Some(conn) = taken.conn.take() {
                        self.return_append_conn(conn);
                    }
                    return Ok(n);
                }
                // A kept connection may have gone bad while idle (a server restart): close it
                // (the guard does) and try once on a pooled one (which the pool checks before
                // handing out). The insert is idempotent, so a first attempt that did commit
                // only turns into duplicates here.
                Err(e) => {
                    drop(taken);
                    tracing::debug!(error = %e, "inbox append failed on a kept connection; retrying on the pool");
                }
            }
        }
        let mut conn = self.pool.get().await?;
        insert_new(ConnRef::from(&mut conn), new).await
    }
}

/// A reserved slot for an append connection being opened; given back on drop.
struct Reservation<'a>(&'a AtomicUsize);

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A kept connection in use: closed and counted out on drop unless given back.
struct TakenConn<'a> {
    repo: &'a SqlInboxRepo,
    conn: Option<KeptConn>,
}

impl Drop for TakenConn<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.repo.drop_append_conn(conn);
        }
    }
}

/// Inserts `new` on `conn`, atomically: rows that are already there (by dedupe key) are left
/// alone. Returns how many rows were inserted.
async fn insert_new(conn: ConnRef<'_>, new: &[NewRow<'_>]) -> Result<usize, RepoError> {
    let inserted = match conn {
        ConnRef::Pg(conn) => {
            // One statement over column arrays, whatever the batch size: atomic and durable on
            // its own (no BEGIN/COMMIT round trips), and prepared once per connection.
            PgAppend::new(new)
                .execute(conn)
                .await
                .map_err(diesel_error)?
        }
        ConnRef::Sqlite(conn) => {
            let mut n = 0;
            conn.transaction(async |conn| -> Result<(), DbError> {
                for row in new {
                    n += diesel::insert_into(inbox::table)
                        .values(row)
                        .on_conflict(inbox::dedupe_key)
                        .do_nothing()
                        .execute(conn)
                        .await?;
                }
                Ok(())
            })
            .await?;
            n
        }
    };
    Ok(inserted)
}

/// The Postgres append: `INSERT .. SELECT * FROM unnest($1, .., $14) ON CONFLICT (dedupe_key)
/// DO NOTHING` with one array per column. The text is the same for every batch, so diesel
/// caches the prepared statement (a multi-row `VALUES` list is new text, parsed and planned
/// again, for every batch size), and the binds stay 14 however many rows there are.
struct PgAppend<'a> {
    dedupe_key: Vec<&'a str>,
    field: Vec<&'a str>,
    route_kind: Vec<&'a str>,
    route_id: Vec<&'a str>,
    ordering_key: Vec<&'a str>,
    event_at: Vec<NaiveDateTime>,
    payload: Vec<&'a str>,
    state: Vec<&'a str>,
    attempts: Vec<i32>,
    available_at: Vec<NaiveDateTime>,
    last_error: Vec<Option<&'a str>>,
    received_at: Vec<NaiveDateTime>,
    processed_at: Vec<Option<NaiveDateTime>>,
    fair_at: Vec<Option<NaiveDateTime>>,
}

impl<'a> PgAppend<'a> {
    fn new(rows: &[NewRow<'a>]) -> Self {
        Self {
            dedupe_key: rows.iter().map(|r| r.dedupe_key).collect(),
            field: rows.iter().map(|r| r.field).collect(),
            route_kind: rows.iter().map(|r| r.route_kind).collect(),
            route_id: rows.iter().map(|r| r.route_id).collect(),
            ordering_key: rows.iter().map(|r| r.ordering_key).collect(),
            event_at: rows.iter().map(|r| r.event_at).collect(),
            payload: rows.iter().map(|r| r.payload).collect(),
            state: rows.iter().map(|r| r.state).collect(),
            attempts: rows.iter().map(|r| r.attempts).collect(),
            available_at: rows.iter().map(|r| r.available_at).collect(),
            last_error: rows.iter().map(|r| r.last_error).collect(),
            received_at: rows.iter().map(|r| r.received_at).collect(),
            processed_at: rows.iter().map(|r| r.processed_at).collect(),
            fair_at: rows.iter().map(|r| r.fair_at).collect(),
        }
    }
}

/// The statement's constant identity, for diesel's prepared statement cache.
struct PgAppendId;

impl QueryId for PgAppend<'_> {
    type QueryId = PgAppendId;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl QueryFragment<Pg> for PgAppend<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql(
            "INSERT INTO webhook_inbox (dedupe_key, field, route_kind, route_id, ordering_key, \
             event_at, payload, state, attempts, available_at, last_error, received_at, \
             processed_at, fair_at) SELECT * FROM unnest(",
        );
        out.push_bind_param::<Array<Text>, _>(&self.dedupe_key)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.field)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.route_kind)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.route_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.ordering_key)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Timestamp>, _>(&self.event_at)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.payload)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.state)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Integer>, _>(&self.attempts)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Timestamp>, _>(&self.available_at)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.last_error)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Timestamp>, _>(&self.received_at)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Timestamp>>, _>(&self.processed_at)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Timestamp>>, _>(&self.fair_at)?;
        out.push_sql(") ON CONFLICT (dedupe_key) DO NOTHING");
        Ok(())
    }
}

#[derive(Insertable)]
#[diesel(table_name = inbox)]
struct NewRow<'a> {
    dedupe_key: &'a str,
    field: &'a str,
    route_kind: &'a str,
    route_id: &'a str,
    ordering_key: &'a str,
    event_at: NaiveDateTime,
    payload: &'a str,
    state: &'a str,
    attempts: i32,
    available_at: NaiveDateTime,
    last_error: Option<&'a str>,
    received_at: NaiveDateTime,
    processed_at: Option<NaiveDateTime>,
    fair_at: Option<NaiveDateTime>,
}

impl<'a> NewRow<'a> {
    fn from_port(e: &'a NewInboxEvent) -> Self {
        let finished = matches!(e.state, InboxState::Dead).then(|| ts(e.received_at));
        Self {
            dedupe_key: &e.dedupe_key,
            field: &e.field,
            route_kind: e.route_kind,
            route_id: &e.route_id,
            ordering_key: &e.ordering_key,
            event_at: ts(e.event_at),
            payload: &e.payload,
            state: e.state.as_str(),
            attempts: 0,
            available_at: ts(e.received_at),
            last_error: e.error.as_deref(),
            received_at: ts(e.received_at),
            processed_at: finished,
            fair_at: Some(ts(e.fair_at)),
        }
    }
}

#[derive(Queryable, QueryableByName, Selectable)]
#[diesel(table_name = inbox)]
struct Row {
    id: i64,
    dedupe_key: String,
    field: String,
    route_kind: String,
    route_id: String,
    ordering_key: String,
    event_at: NaiveDateTime,
    payload: String,
    state: String,
    attempts: i32,
    last_error: Option<String>,
    store_id: Option<String>,
    account_id: Option<String>,
    received_at: NaiveDateTime,
    processed_at: Option<NaiveDateTime>,
}

impl Row {
    fn into_port(self) -> Result<InboxEvent, RepoError> {
        Ok(InboxEvent {
            id: self.id,
            state: InboxState::parse(&self.state).ok_or_else(|| {
                RepoError::Corrupt(format!("webhook_inbox.state: {}", self.state))
            })?,
            dedupe_key: self.dedupe_key,
            field: self.field,
            route_kind: self.route_kind,
            route_id: self.route_id,
            ordering_key: self.ordering_key,
            event_at: utc(self.event_at),
            payload: self.payload,
            attempts: u32::try_from(self.attempts).unwrap_or_default(),
            last_error: self.last_error,
            store_id: self
                .store_id
                .map(|s| parse("webhook_inbox.store_id", &s))
                .transpose()?,
            account_id: self
                .account_id
                .map(|s| parse("webhook_inbox.account_id", &s))
                .transpose()?,
            received_at: utc(self.received_at),
            processed_at: self.processed_at.map(utc),
        })
    }
}

fn rows(rows: Vec<Row>) -> Result<Vec<InboxEvent>, RepoError> {
    rows.into_iter().map(Row::into_port).collect()
}

const RETURNING: &str = "RETURNING id, dedupe_key, field, route_kind, route_id, ordering_key, \
     event_at, payload, state, attempts, last_error, store_id, account_id, received_at, \
     processed_at";

/// The claim, as one statement. `{lock}` is `FOR UPDATE SKIP LOCKED` on Postgres. An event is
/// claimable when it is due (pending and available, or leased with an expired lease) and no
/// earlier unfinished event has its ordering key. Claimable events are taken in `fair_at`
/// order (start-time fair queuing across numbers, stamped at ingest), then arrival.
fn claim_sql(placeholders: [&str; 4], lock: &str) -> String {
    let [owner, until, now, limit] = placeholders;
    format!(
        "UPDATE webhook_inbox SET state = 'leased', lease_owner = {owner}, lease_until = {until}, \
         attempts = attempts + 1 \
         WHERE id IN (SELECT e.id FROM webhook_inbox e \
           WHERE e.state IN ('pending', 'leased') \
             AND ((e.state = 'pending' AND e.available_at <= {now}) \
               OR (e.state = 'leased' AND e.lease_until < {now})) \
             AND NOT EXISTS (SELECT 1 FROM webhook_inbox p \
               WHERE p.ordering_key = e.ordering_key AND p.state IN ('pending', 'leased') \
                 AND (p.event_at < e.event_at OR (p.event_at = e.event_at AND p.id < e.id))) \
           ORDER BY e.fair_at, e.id LIMIT {limit} {lock}) \
         {RETURNING}"
    )
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
                    .filter(inbox::route_kind.ne("none")),
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
