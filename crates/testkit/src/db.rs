//! Real databases for tests. SQLite: a fresh data directory per test. Postgres: a fresh
//! central database per test on the server at `OMNI_TEST_PG_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`), with tenant databases under a per-test
//! prefix; `cleanup` drops them all. When Postgres is unreachable the tests skip with a
//! message, except under `CI=true`, where they fail: CI must never pass without Postgres.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use omni_sql::{
    DbPool, DbTarget, PgAdmin, Schema, SqlCentralRepo, SqlTenantRepo, TenantConfig, run_migrations,
};

/// The Postgres server tests use.
#[must_use]
pub fn pg_server_url() -> String {
    std::env::var("OMNI_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// Whether this run is CI (where Postgres tests must run).
#[must_use]
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// A central and a tenant repo on SQLite under `dir`.
///
/// # Panics
/// When the databases cannot be created (a test failure).
pub async fn sqlite_repos(
    dir: &Path,
    max_open_pools: usize,
) -> (Arc<SqlCentralRepo>, Arc<SqlTenantRepo>) {
    let target = DbTarget::Sqlite(dir.join("central.sqlite"));
    run_migrations(&target, Schema::Central)
        .await
        .unwrap_or_else(|e| panic!("migrate sqlite: {e}"));
    let pool = DbPool::new(&target, 4, Duration::from_secs(5)).unwrap_or_else(|e| panic!("{e}"));
    let tenants = SqlTenantRepo::new(
        pool.clone(),
        TenantConfig {
            data_dir: dir.to_path_buf(),
            servers: BTreeMap::new(),
            default_server: None,
            database_prefix: "omni".into(),
            pool_size: 2,
            max_open_pools,
            timeout: Duration::from_secs(5),
        },
    );
    (Arc::new(SqlCentralRepo::new(pool)), Arc::new(tenants))
}

/// A per-test Postgres central database and tenant prefix.
#[derive(Debug)]
pub struct PgTestDb {
    admin: PgAdmin,
    /// Prefix of every database this test creates (central and tenants).
    pub prefix: String,
    central_name: String,
}

impl PgTestDb {
    /// Creates the test's central database and migrates it; `None` (after saying why) when
    /// Postgres is unreachable outside CI.
    ///
    /// # Panics
    /// Under CI when Postgres is unreachable, or when migrations fail.
    pub async fn create() -> Option<Self> {
        let admin = PgAdmin::new(pg_server_url());
        let short = uuid::Uuid::new_v4().simple().to_string();
        let prefix = format!("omnitest_{}", &short[..10]);
        let central_name = format!("{prefix}_central");
        match admin.create_database(&central_name).await {
            Ok(_) => {}
            Err(e) if !in_ci() => {
                eprintln!(
                    "SKIPPED: Postgres unreachable at {} ({e}); set OMNI_TEST_PG_URL",
                    pg_server_url()
                );
                return None;
            }
            Err(e) => panic!(
                "CI=true but Postgres is unreachable at {}: {e}",
                pg_server_url()
            ),
        }
        let db = Self {
            admin,
            prefix,
            central_name,
        };
        run_migrations(&db.central_target(), Schema::Central)
            .await
            .unwrap_or_else(|e| panic!("migrate postgres: {e}"));
        Some(db)
    }

    /// The central database.
    #[must_use]
    pub fn central_target(&self) -> DbTarget {
        DbTarget::Postgres(self.admin.url_of(&self.central_name))
    }

    /// The admin handle of the server.
    #[must_use]
    pub fn admin(&self) -> &PgAdmin {
        &self.admin
    }

    /// Repos on this database; tenants get databases `<prefix>_t_<store>` on the same server.
    ///
    /// # Panics
    /// When the pool cannot be built.
    #[must_use]
    pub fn repos(
        &self,
        central_pool_size: usize,
        tenant_pool_size: usize,
        max_open_pools: usize,
    ) -> (Arc<SqlCentralRepo>, Arc<SqlTenantRepo>) {
        let pool = DbPool::new(
            &self.central_target(),
            central_pool_size,
            Duration::from_secs(10),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let tenants = SqlTenantRepo::new(
            pool.clone(),
            TenantConfig {
                data_dir: std::env::temp_dir(),
                servers: BTreeMap::from([("default".to_owned(), pg_server_url())]),
                default_server: Some("default".into()),
                database_prefix: self.prefix.clone(),
                pool_size: tenant_pool_size,
                max_open_pools,
                timeout: Duration::from_secs(10),
            },
        );
        (Arc::new(SqlCentralRepo::new(pool)), Arc::new(tenants))
    }

    /// Drops every database this test created.
    ///
    /// # Panics
    /// When the server refuses.
    pub async fn cleanup(self) {
        let names = self
            .admin
            .list_databases(&self.prefix)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        for name in names {
            self.admin
                .drop_database(&name)
                .await
                .unwrap_or_else(|e| panic!("drop {name}: {e}"));
        }
    }
}
