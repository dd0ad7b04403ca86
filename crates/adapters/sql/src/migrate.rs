//! Embedded migrations (central and tenant, one tree per engine) and how to run them.
//! `diesel_migrations` is synchronous, so they run on the blocking pool: Postgres through
//! `AsyncConnectionWrapper` around a connection opened in async code (so TLS applies, and no
//! libpq), SQLite through diesel's own sync connection. That works under any runtime flavour,
//! unlike `block_in_place` (diesel_async#266).

use diesel::Connection;
use diesel::migration::MigrationSource;
use diesel::sqlite::SqliteConnection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::pg::AsyncPgConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use omni_ports::RepoError;

use crate::db::DbTarget;

const PG_CENTRAL: EmbeddedMigrations = embed_migrations!("../../../migrations/postgres/central");
const PG_TENANT: EmbeddedMigrations = embed_migrations!("../../../migrations/postgres/tenant");
const SQLITE_CENTRAL: EmbeddedMigrations = embed_migrations!("../../../migrations/sqlite/central");
const SQLITE_TENANT: EmbeddedMigrations = embed_migrations!("../../../migrations/sqlite/tenant");

/// Which schema a database holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schema {
    /// Owners, stores, accounts.
    Central,
    /// One store's data.
    Tenant,
}

#[derive(Debug, Clone, Copy)]
enum Direction {
    Up,
    RevertAll,
}

fn apply<C, DB>(
    conn: &mut C,
    migrations: EmbeddedMigrations,
    direction: Direction,
) -> diesel::migration::Result<usize>
where
    C: MigrationHarness<DB>,
    DB: diesel::backend::Backend,
    EmbeddedMigrations: MigrationSource<DB>,
{
    match direction {
        Direction::Up => conn.run_pending_migrations(migrations).map(|v| v.len()),
        Direction::RevertAll => conn.revert_all_migrations(migrations).map(|v| v.len()),
    }
}

/// Applies pending migrations; returns how many ran.
///
/// # Errors
/// `Unavailable` when the database cannot be reached, `Unexpected` when a migration fails.
pub async fn run_migrations(target: &DbTarget, schema: Schema) -> Result<usize, RepoError> {
    migrate(target, schema, Direction::Up).await
}

/// Reverts every migration, newest first. Only for checking that each `down.sql` undoes its
/// `up.sql` (tests); normal operation never goes down.
///
/// # Errors
/// As [`run_migrations`].
pub async fn revert_all_migrations(target: &DbTarget, schema: Schema) -> Result<usize, RepoError> {
    migrate(target, schema, Direction::RevertAll).await
}

async fn migrate(
    target: &DbTarget,
    schema: Schema,
    direction: Direction,
) -> Result<usize, RepoError> {
    let target = target.clone();
    let mut pg = match &target {
        DbTarget::Postgres(url) => Some(
            crate::tls::connect(url)
                .await
                .map_err(|e| RepoError::Unavailable(Box::new(e)))?,
        ),
        DbTarget::Sqlite(_) => None,
    };
    tokio::task::spawn_blocking(move || -> Result<usize, RepoError> {
        let migrations = match (&target, schema) {
            (DbTarget::Postgres(_), Schema::Central) => PG_CENTRAL,
            (DbTarget::Postgres(_), Schema::Tenant) => PG_TENANT,
            (DbTarget::Sqlite(_), Schema::Central) => SQLITE_CENTRAL,
            (DbTarget::Sqlite(_), Schema::Tenant) => SQLITE_TENANT,
        };
        let ran = match &target {
            DbTarget::Postgres(_) => {
                let conn = pg
                    .take()
                    .ok_or_else(|| RepoError::Corrupt("no connection".into()))?;
                let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::from(conn);
                apply(&mut conn, migrations, direction)
            }
            DbTarget::Sqlite(path) => {
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir)
                        .map_err(|e| RepoError::Unavailable(Box::new(e)))?;
                }
                let mut conn = SqliteConnection::establish(&path.to_string_lossy())
                    .map_err(|e| RepoError::Unavailable(Box::new(e)))?;
                diesel::connection::SimpleConnection::batch_execute(
                    &mut conn,
                    "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL;",
                )
                .map_err(|e| RepoError::Unavailable(Box::new(e)))?;
                apply(&mut conn, migrations, direction)
            }
        };
        ran.map_err(RepoError::Unexpected)
    })
    .await
    .map_err(|e| RepoError::Unexpected(Box::new(e)))?
}
