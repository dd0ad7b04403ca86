//! One database handle over two engines. `DbPool`/`DbConn` are enums over the Postgres and
//! SQLite connection types, and `db_run!` expands a query body once per arm, so each query is
//! written once and compiled for both backends (vaultwarden's `db_run!` idea, on diesel_async).

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::time::Duration;

use deadpool::Runtime;
use diesel::result::{ConnectionError, DatabaseErrorKind, Error as DieselError};
use diesel::sqlite::SqliteConnection;
use diesel_async::pg::AsyncPgConnection;
use diesel_async::pooled_connection::deadpool::{Object, Pool, PoolError};
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, ManagerConfig};
use diesel_async::sync_connection_wrapper::{SpawnBlocking, SyncConnectionWrapper};
use diesel_async::{AsyncConnection, SimpleAsyncConnection};
use omni_ports::RepoError;

/// The SQLite connection type: diesel's sync connection run on the blocking pool.
pub type SqliteConn = SyncConnectionWrapper<SqliteConnection, DetachedBlocking>;

/// Runs SQLite's blocking calls on the current runtime's blocking pool and does not wait for
/// one when the caller's future is dropped. diesel-async's own spawner waits with
/// `block_in_place` on drop, which panics on a current-thread runtime, and every actix worker
/// is one: a request cancelled in the middle of a query (another extractor failing beside the
/// session lookup, a client hanging up) panicked its worker with a 30-line backtrace. Detached,
/// the call finishes by itself, and the connection's own mutex makes the next call on it wait
/// for that. Written here because diesel-async offers no such spawner.
#[derive(Debug, Clone, Copy, Default)]
pub struct DetachedBlocking;

type BlockingResult<R> = Result<R, Box<dyn std::error::Error + Send + Sync + 'static>>;

impl SpawnBlocking for DetachedBlocking {
    fn spawn_blocking<'a, R>(
        &mut self,
        task: impl FnOnce() -> R + Send + 'static,
    ) -> Pin<Box<dyn Future<Output = BlockingResult<R>> + Send + 'a>>
    where
        R: Send + 'static,
    {
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                let join = handle.spawn_blocking(task);
                Box::pin(async move { join.await.map_err(|e| Box::new(e) as _) })
            }
            // Outside any runtime (no caller can be cancelled there): run it now.
            Err(_) => {
                let result = task();
                Box::pin(std::future::ready(Ok(result)))
            }
        }
    }

    fn get_runtime() -> Self {
        Self
    }
}

/// `BEGIN IMMEDIATE` on a SQLite connection, through diesel's transaction manager (so nested
/// transactions inside become savepoints). diesel-async has this only for its own spawner.
///
/// # Errors
/// Diesel's.
pub(crate) async fn sqlite_begin_immediate(conn: &mut SqliteConn) -> Result<(), DieselError> {
    conn.spawn_blocking(|c| {
        diesel::connection::AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")
    })
    .await
}

/// Commits (on `Ok`) or rolls back (on `Err`) what [`sqlite_begin_immediate`] began.
///
/// # Errors
/// `result`'s error, or the commit's or rollback's.
pub(crate) async fn sqlite_finish<R, E: From<DieselError>>(
    conn: &mut SqliteConn,
    result: Result<R, E>,
) -> Result<R, E> {
    use diesel_async::TransactionManager as _;
    type Manager = diesel_async::sync_connection_wrapper::SyncTransactionManagerWrapper<
        diesel::connection::AnsiTransactionManager,
    >;
    match result {
        Ok(value) => {
            Manager::commit_transaction(conn).await?;
            Ok(value)
        }
        Err(e) => {
            Manager::rollback_transaction(conn).await?;
            Err(e)
        }
    }
}

/// Settings applied to every SQLite connection: a busy timeout instead of immediate
/// SQLITE_BUSY (which diesel-async turns into a poisoned mutex, diesel_async#160), set first
/// because the WAL pragma itself needs a lock (a new connection opened while another writes
/// failed with "database is locked" under CI load); WAL so readers never block the writer; and
/// enforced foreign keys.
const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
     PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;";

/// Settings applied to every Postgres connection.
const PG_SETTINGS: &str = "SET application_name = 'omniportal'; SET statement_timeout = '30s'; \
     SET timezone = 'UTC';";

/// Where a database is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbTarget {
    /// A Postgres URL.
    Postgres(String),
    /// A SQLite file.
    Sqlite(PathBuf),
}

/// A connection pool on either engine.
#[derive(Clone)]
pub enum DbPool {
    /// Postgres.
    Pg(Pool<AsyncPgConnection>),
    /// SQLite.
    Sqlite(Pool<SqliteConn>),
}

impl std::fmt::Debug for DbPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (kind, status) = match self {
            Self::Pg(p) => ("postgres", p.status()),
            Self::Sqlite(p) => ("sqlite", p.status()),
        };
        write!(
            f,
            "DbPool({kind}, size {}, available {})",
            status.size, status.available
        )
    }
}

/// A pooled connection on either engine.
#[expect(
    clippy::large_enum_variant,
    reason = "one short-lived value per query on the stack; boxing would add an allocation per checkout"
)]
pub enum DbConn {
    /// Postgres.
    Pg(Object<AsyncPgConnection>),
    /// SQLite.
    Sqlite(Object<SqliteConn>),
}

impl std::fmt::Debug for DbConn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Pg(_) => "DbConn(postgres)",
            Self::Sqlite(_) => "DbConn(sqlite)",
        })
    }
}

/// Runs a body once per engine with `$conn` bound to `&mut` the concrete connection.
macro_rules! db_run {
    ($conn:ident: $body:block) => {
        match &mut $conn {
            $crate::db::DbConn::Pg($conn) => {
                let $conn: &mut diesel_async::pg::AsyncPgConnection = &mut *$conn;
                $body
            }
            $crate::db::DbConn::Sqlite($conn) => {
                let $conn: &mut $crate::db::SqliteConn = &mut *$conn;
                $body
            }
        }
    };
}
pub(crate) use db_run;

/// `NotFound` when a write by key touched no row.
pub(crate) fn one_row(n: usize) -> Result<(), RepoError> {
    if n == 0 {
        Err(RepoError::NotFound)
    } else {
        Ok(())
    }
}

impl DbPool {
    /// Builds a pool; connections open lazily, each with the engine's session settings.
    ///
    /// # Errors
    /// Only when the pool itself cannot be built (a bug in the settings).
    pub fn new(target: &DbTarget, max_size: usize, timeout: Duration) -> Result<Self, RepoError> {
        let built = match target {
            DbTarget::Postgres(url) => {
                let mut config = ManagerConfig::default();
                config.custom_setup = Box::new(|url| {
                    Box::pin(async move {
                        let mut conn = crate::tls::connect(url).await?;
                        conn.batch_execute(PG_SETTINGS)
                            .await
                            .map_err(ConnectionError::CouldntSetupConfiguration)?;
                        Ok(conn)
                    })
                });
                let manager = AsyncDieselConnectionManager::new_with_config(url, config);
                limits(Pool::builder(manager), max_size, timeout)
                    .build()
                    .map(Self::Pg)
            }
            DbTarget::Sqlite(path) => {
                let mut config = ManagerConfig::default();
                config.custom_setup = Box::new(|url| {
                    Box::pin(async move {
                        let mut conn = SqliteConn::establish(url).await?;
                        conn.batch_execute(SQLITE_PRAGMAS)
                            .await
                            .map_err(ConnectionError::CouldntSetupConfiguration)?;
                        Ok(conn)
                    })
                });
                let manager =
                    AsyncDieselConnectionManager::new_with_config(path.to_string_lossy(), config);
                limits(Pool::builder(manager), max_size, timeout)
                    .build()
                    .map(Self::Sqlite)
            }
        };
        built.map_err(|e| RepoError::Unexpected(Box::new(e)))
    }

    /// Checks a connection out, within the wait timeout plus one create-or-recycle timeout.
    ///
    /// deadpool bounds each step of a checkout (waiting for a slot, each idle connection's
    /// health check, opening a connection) but not their sum: against a frozen server every
    /// idle connection's check waits out the recycle timeout in turn before a new one is
    /// tried, so a pool of ten could hold a caller for eleven timeouts. One deadline covers
    /// the whole checkout; deadpool gives back the slot and drops a half-checked connection
    /// when it is cancelled.
    ///
    /// # Errors
    /// `Unavailable` when none can be had in time.
    pub async fn get(&self) -> Result<DbConn, RepoError> {
        match self {
            Self::Pg(p) => bounded(p.timeouts(), p.get()).await.map(DbConn::Pg),
            Self::Sqlite(p) => bounded(p.timeouts(), p.get()).await.map(DbConn::Sqlite),
        }
    }

    /// Closes the pool: idle connections drop now, checked-out ones when returned.
    pub fn close(&self) {
        match self {
            Self::Pg(p) => p.close(),
            Self::Sqlite(p) => p.close(),
        }
    }

    /// Runs `SELECT 1`.
    ///
    /// # Errors
    /// `Unavailable` when the database does not answer.
    pub async fn ping(&self) -> Result<(), RepoError> {
        let mut conn = self.get().await?;
        db_run!(conn: {
            conn.batch_execute("SELECT 1").await.map_err(|e| RepoError::Unavailable(Box::new(e)))
        })
    }
}

/// Size and timeouts of a pool. Timeouts need the runtime set, or deadpool fails with
/// `NoRuntimeSpecified`.
fn limits<M: deadpool::managed::Manager>(
    builder: deadpool::managed::PoolBuilder<M>,
    max_size: usize,
    timeout: Duration,
) -> deadpool::managed::PoolBuilder<M> {
    builder
        .max_size(max_size)
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(timeout))
        .create_timeout(Some(timeout))
        .recycle_timeout(Some(timeout))
}

fn pool_error(e: PoolError) -> RepoError {
    RepoError::Unavailable(Box::new(e))
}

/// A whole checkout cut off at `wait + max(create, recycle)` (no bound when none is set).
async fn bounded<T>(
    timeouts: deadpool::managed::Timeouts,
    checkout: impl Future<Output = Result<T, PoolError>>,
) -> Result<T, RepoError> {
    let step = timeouts.create.max(timeouts.recycle);
    let limit = match (timeouts.wait, step) {
        (None, None) => return checkout.await.map_err(pool_error),
        (wait, step) => wait.unwrap_or_default() + step.unwrap_or_default(),
    };
    match tokio::time::timeout(limit, checkout).await {
        Ok(result) => result.map_err(pool_error),
        Err(_) => Err(RepoError::Unavailable(
            format!("no database connection within {limit:?} (checkout deadline)").into(),
        )),
    }
}

/// An adapter-internal error: diesel's, or a port error raised inside a transaction.
#[derive(Debug)]
pub(crate) enum DbError {
    Diesel(DieselError),
    Repo(RepoError),
}

impl From<DieselError> for DbError {
    fn from(e: DieselError) -> Self {
        Self::Diesel(e)
    }
}

impl From<RepoError> for DbError {
    fn from(e: RepoError) -> Self {
        Self::Repo(e)
    }
}

impl From<DbError> for RepoError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Repo(e) => e,
            DbError::Diesel(e) => diesel_error(e),
        }
    }
}

/// Translates a diesel error at the boundary: unique violations are conflicts naming the
/// constraint, foreign-key violations mean a referenced row is missing.
pub(crate) fn diesel_error(e: DieselError) -> RepoError {
    match e {
        DieselError::NotFound => RepoError::NotFound,
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
            RepoError::conflict(info.constraint_name().unwrap_or(info.message()).to_owned())
        }
        DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => {
            RepoError::NotFound
        }
        DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, info) => {
            RepoError::Unavailable(info.message().to_owned().into())
        }
        DieselError::BrokenTransactionManager => RepoError::Unavailable(Box::new(e)),
        other => RepoError::Unexpected(Box::new(other)),
    }
}

/// Rows per `state` of a queue table (`webhook_inbox`, `outbox`), for operator listings.
pub(crate) async fn count_by_state(
    pool: &DbPool,
    table: &'static str,
) -> Result<Vec<(String, u64)>, RepoError> {
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::Text)]
        state: String,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let sql = format!("SELECT state, COUNT(*) AS n FROM {table} GROUP BY state");
    let mut conn = pool.get().await?;
    let found = db_run!(conn: {
        diesel_async::RunQueryDsl::load::<Count>(diesel::sql_query(&sql), conn).await
    })
    .map_err(diesel_error)?;
    Ok(found
        .into_iter()
        .filter_map(|c| Some((c.state, u64::try_from(c.n).ok()?)))
        .collect())
}

/// `now + lease` as a stored timestamp (a lease that does not fit is `fallback_secs`).
pub(crate) fn lease_end(
    now: chrono::DateTime<chrono::Utc>,
    lease: Duration,
    fallback_secs: i64,
) -> chrono::NaiveDateTime {
    crate::convert::ts(
        now + chrono::Duration::from_std(lease)
            .unwrap_or_else(|_| chrono::Duration::seconds(fallback_secs)),
    )
}
