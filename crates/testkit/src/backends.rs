//! The backends the contract suites run against, each building fresh repositories per rule:
//! the in-memory fakes, embedded SQLite in a temporary directory, and a fresh Postgres
//! database (skipped outside CI when the server is unreachable; see [`crate::db`]).

use std::fmt;
use std::sync::Arc;

use omni_memory::{
    InMemoryAccountEventRepo, InMemoryAnalyticsRepo, InMemoryCentralRepo, InMemoryHealthRepo,
    InMemoryInboxRepo, InMemoryLegacyStoreRepo, InMemoryOutboxRepo, InMemoryOwnerAuthRepo,
    InMemoryTenantRepo,
};
use omni_sql::{
    SqlAccountEventRepo, SqlCentralRepo, SqlHealthRepo, SqlInboxRepo, SqlLegacyStoreRepo,
    SqlOutboxRepo, SqlOwnerAuthRepo, SqlTenantRepo,
};

use crate::contracts::{Backend, Repos};
use crate::db::{PgTestDb, sqlite_repos};

/// The in-memory fakes of `omni-memory`.
#[derive(Debug)]
pub struct Memory {
    repos: Repos,
}

impl Backend for Memory {
    async fn start() -> Option<Self> {
        let central = Arc::new(InMemoryCentralRepo::new());
        let tenants = Arc::new(InMemoryTenantRepo::new());
        let health = Arc::new(InMemoryHealthRepo::over(central.clone()));
        let auth = Arc::new(InMemoryOwnerAuthRepo::over(central.clone()));
        let legacy = Arc::new(InMemoryLegacyStoreRepo::over(central.clone()));
        Some(Self {
            repos: Repos {
                central,
                tenants: tenants.clone(),
                commerce: tenants.clone(),
                health,
                events: Arc::new(InMemoryAccountEventRepo::new()),
                auth,
                inbox: Arc::new(InMemoryInboxRepo::new()),
                outbox: Arc::new(InMemoryOutboxRepo::new()),
                analytics: Arc::new(InMemoryAnalyticsRepo::over(tenants)),
                legacy,
            },
        })
    }

    fn repos(&self) -> Repos {
        self.repos.clone()
    }

    async fn finish(self) {}
}

/// The SQL repositories over the central pool and tenant repo given.
fn sql_repos(central: &Arc<SqlCentralRepo>, tenants: &Arc<SqlTenantRepo>) -> Repos {
    Repos {
        central: central.clone(),
        tenants: tenants.clone(),
        commerce: tenants.clone(),
        health: Arc::new(SqlHealthRepo::new(central.pool().clone())),
        events: Arc::new(SqlAccountEventRepo::new(central.pool().clone())),
        auth: Arc::new(SqlOwnerAuthRepo::new(central.pool().clone())),
        inbox: Arc::new(SqlInboxRepo::new(central.pool().clone())),
        outbox: Arc::new(SqlOutboxRepo::new(central.pool().clone())),
        analytics: tenants.clone(),
        legacy: Arc::new(SqlLegacyStoreRepo::new(central.pool().clone())),
    }
}

/// Embedded SQLite: central and tenant files in a fresh temporary directory.
pub struct Sqlite {
    dir: tempfile::TempDir,
    central: Arc<SqlCentralRepo>,
    tenants: Arc<SqlTenantRepo>,
}

impl fmt::Debug for Sqlite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sqlite")
            .field("dir", &self.dir.path())
            .finish_non_exhaustive()
    }
}

impl Backend for Sqlite {
    async fn start() -> Option<Self> {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let (central, tenants) = sqlite_repos(dir.path(), 8).await;
        Some(Self {
            dir,
            central,
            tenants,
        })
    }

    fn repos(&self) -> Repos {
        sql_repos(&self.central, &self.tenants)
    }

    async fn finish(self) {
        self.tenants.close_all();
        self.central.pool().close();
        drop(self.dir);
    }
}

/// A fresh Postgres central database (tenant databases under its prefix), dropped after.
pub struct Postgres {
    db: PgTestDb,
    central: Arc<SqlCentralRepo>,
    tenants: Arc<SqlTenantRepo>,
}

impl fmt::Debug for Postgres {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Postgres")
            .field("prefix", &self.db.prefix)
            .finish_non_exhaustive()
    }
}

impl Backend for Postgres {
    async fn start() -> Option<Self> {
        let db = PgTestDb::create().await?;
        let (central, tenants) = db.repos(4, 4, 8);
        Some(Self {
            db,
            central,
            tenants,
        })
    }

    fn repos(&self) -> Repos {
        sql_repos(&self.central, &self.tenants)
    }

    async fn finish(self) {
        self.tenants.close_all();
        self.central.pool().close();
        self.db.cleanup().await;
    }
}
