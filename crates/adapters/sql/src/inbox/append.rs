//! The inbox's append path: the connections it keeps between commits (outside the shared
//! pool, at most [`APPEND_CONNS_MAX`] of them), the fallback to the pool, and the insert of one
//! group-committed batch (on Postgres one `unnest` statement, [`PgAppend`]; on SQLite one
//! transaction of single-row inserts).

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::NaiveDateTime;
use deadpool::managed::Manager;
use diesel::QueryResult;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{Array, Integer, Nullable, Text, Timestamp};
use diesel_async::pg::AsyncPgConnection;
use diesel_async::{AsyncConnection, RunQueryDsl};
use omni_ports::RepoError;

use super::rows::NewRow;
use super::{APPEND_CONNS_MAX, SqlInboxRepo};
use crate::db::{DbConn, DbError, DbPool, SqliteConn, diesel_error};
use crate::schema::central::webhook_inbox as inbox;

#[derive(Default)]
pub(super) struct AppendConns {
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

impl AppendConns {
    /// Connections open now (kept idle or in use).
    pub(super) fn open(&self) -> usize {
        AtomicUsize::load(&self.open, Ordering::Acquire)
    }
}

impl SqlInboxRepo {
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

    /// One append (see [`InboxRepo::append`](omni_ports::InboxRepo::append)), without the
    /// deadline.
    pub(super) async fn append_once(&self, new: &[NewRow<'_>]) -> Result<usize, RepoError> {
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
