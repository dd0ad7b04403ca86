//! Resolving a store to its own database. Each store's location is read from the central
//! `stores` row; pools open lazily on first use (migrating the database first), and at most
//! `max_open_pools` stay open: past that the least recently used pool is closed, so thousands
//! of stores never mean thousands of idle connections. The connection budget for tenants is
//! `max_open_pools * pool_size`.

use std::collections::BTreeMap;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use diesel::{ExpressionMethods, OptionalExtension, QueryDsl};
use diesel_async::RunQueryDsl;
use lru::LruCache;
use omni_domain::{StoreId, TenantLocation};
use omni_ports::RepoError;

use crate::admin::PgAdmin;
use crate::db::{DbPool, DbTarget, db_run};
use crate::migrate::{Schema, run_migrations};
use crate::schema::central::stores;

/// Where tenant databases go and how many pools may be open.
#[derive(Debug, Clone)]
pub struct TenantConfig {
    /// Root of SQLite tenant files.
    pub data_dir: PathBuf,
    /// Postgres servers by name (any database URL on the server).
    pub servers: BTreeMap<String, String>,
    /// `Some(name)`: new stores get a Postgres database on that server; `None`: a SQLite file.
    pub default_server: Option<String>,
    /// Prefix of tenant database names (`<prefix>_t_<store id>`).
    pub database_prefix: String,
    /// Connections per tenant pool.
    pub pool_size: usize,
    /// Tenant pools open at once.
    pub max_open_pools: usize,
    /// Wait for a connection at most this long.
    pub timeout: Duration,
}

/// `TenantRepoPort` on SQL (queries in `tenant_data`, one file per port).
pub struct SqlTenantRepo {
    pub(crate) central: DbPool,
    config: TenantConfig,
    pools: Mutex<LruCache<StoreId, DbPool>>,
    /// Serialises the slow path (lookup, migrate, open) so one store is migrated once.
    opening: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for SqlTenantRepo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlTenantRepo")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl SqlTenantRepo {
    /// A tenant repo resolving stores through the central database's pool.
    #[must_use]
    pub fn new(central: DbPool, config: TenantConfig) -> Self {
        let cap = NonZeroUsize::new(config.max_open_pools.max(1)).unwrap_or(NonZeroUsize::MIN);
        Self {
            central,
            config,
            pools: Mutex::new(LruCache::new(cap)),
            opening: tokio::sync::Mutex::new(()),
        }
    }

    /// How many tenant pools are open now.
    #[must_use]
    pub fn open_pools(&self) -> usize {
        self.pools.lock().map(|p| p.len()).unwrap_or(0)
    }

    /// Closes every tenant pool (shutdown, tests).
    pub fn close_all(&self) {
        if let Ok(mut pools) = self.pools.lock() {
            for (_, pool) in pools.iter() {
                pool.close();
            }
            pools.clear();
        }
    }

    fn cached(&self, store: StoreId) -> Option<DbPool> {
        self.pools
            .lock()
            .ok()
            .and_then(|mut p| p.get(&store).cloned())
    }

    fn target(&self, location: &TenantLocation) -> Result<DbTarget, RepoError> {
        match location {
            TenantLocation::Sqlite { file } => {
                Ok(DbTarget::Sqlite(self.config.data_dir.join(file)))
            }
            TenantLocation::Postgres { server, database } => {
                Ok(DbTarget::Postgres(self.admin(server)?.url_of(database)))
            }
        }
    }

    fn admin(&self, server: &str) -> Result<PgAdmin, RepoError> {
        self.config
            .servers
            .get(server)
            .map(PgAdmin::new)
            .ok_or_else(|| {
                RepoError::Unavailable(format!("tenant server `{server}` is not configured").into())
            })
    }

    async fn location(&self, store: StoreId) -> Result<TenantLocation, RepoError> {
        let mut conn = self.central.get().await?;
        let row: Option<(String, Option<String>, String)> = db_run!(conn: {
            stores::table
                .filter(stores::id.eq(store.to_string()))
                .select((stores::tenant_backend, stores::tenant_server, stores::tenant_database))
                .first(conn)
                .await
                .optional()
        })
        .map_err(crate::db::diesel_error)?;
        match row {
            None => Err(RepoError::TenantNotFound),
            Some((backend, _, file)) if backend == "sqlite" => Ok(TenantLocation::Sqlite { file }),
            Some((_, Some(server), database)) => Ok(TenantLocation::Postgres { server, database }),
            Some((backend, None, _)) => Err(RepoError::Corrupt(format!(
                "stores.tenant_backend `{backend}` without server"
            ))),
        }
    }

    /// The pool of a store's database, opened (and migrated) on first use.
    pub(crate) async fn pool(&self, store: StoreId) -> Result<DbPool, RepoError> {
        self.open(store, false).await
    }

    /// Opens (migrating first) or reuses a store's pool. A missing SQLite file means the store
    /// was never provisioned, unless `create` (provisioning) lets the connection create it.
    async fn open(&self, store: StoreId, create: bool) -> Result<DbPool, RepoError> {
        if let Some(pool) = self.cached(store) {
            return Ok(pool);
        }
        let _opening = self.opening.lock().await;
        if let Some(pool) = self.cached(store) {
            return Ok(pool);
        }
        let location = self.location(store).await?;
        let target = self.target(&location)?;
        if let DbTarget::Sqlite(path) = &target
            && !create
            && !path.exists()
        {
            return Err(RepoError::TenantNotFound);
        }
        if let Err(e) = run_migrations(&target, Schema::Tenant).await {
            // A store whose Postgres database was never created is not provisioned, not down.
            if let TenantLocation::Postgres { server, database } = &location
                && !self
                    .admin(server)?
                    .list_databases(database)
                    .await?
                    .contains(database)
            {
                return Err(RepoError::TenantNotFound);
            }
            return Err(e);
        }
        let pool = DbPool::new(&target, self.config.pool_size, self.config.timeout)?;
        let evicted = self
            .pools
            .lock()
            .ok()
            .and_then(|mut p| p.push(store, pool.clone()));
        if let Some((old_store, old_pool)) = evicted
            && old_store != store
        {
            tracing::debug!(store = %old_store, "closing least recently used tenant pool");
            old_pool.close();
        }
        Ok(pool)
    }

    pub(crate) fn new_location_for(&self, store: StoreId) -> TenantLocation {
        match &self.config.default_server {
            Some(server) => TenantLocation::Postgres {
                server: server.clone(),
                database: format!(
                    "{}_t_{}",
                    self.config.database_prefix,
                    store.as_uuid().simple()
                ),
            },
            None => TenantLocation::Sqlite {
                file: format!("tenants/{store}.sqlite"),
            },
        }
    }

    /// Creates the store's database if missing (Postgres: `CREATE DATABASE`; SQLite: the
    /// file appears on first connect), then opens it, which migrates it.
    pub(crate) async fn provision_store(&self, store: StoreId) -> Result<(), RepoError> {
        if let TenantLocation::Postgres { server, database } = self.location(store).await?
            && self.admin(&server)?.create_database(&database).await?
        {
            tracing::info!(store = %store, database = %database, "created tenant database");
        }
        self.open(store, true).await.map(|_| ())
    }
}
