//! The port contract suites against the real SQL adapters: embedded SQLite (files in a
//! temporary directory) and Postgres (a fresh database per test; required under CI=true).

use omni_testkit::contracts;
use omni_testkit::db::{PgTestDb, sqlite_repos};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn central_repo_contract_holds_for_sqlite() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (central, _) = sqlite_repos(dir.path(), 8).await;
    contracts::central_repo(central.as_ref()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenant_repo_contract_holds_for_sqlite() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (central, tenants) = sqlite_repos(dir.path(), 8).await;
    contracts::tenant_repo(central.as_ref(), tenants.as_ref()).await;
    tenants.close_all();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn central_repo_contract_holds_for_postgres() {
    let Some(db) = PgTestDb::create().await else {
        return;
    };
    let (central, _) = db.repos(4, 2, 8);
    contracts::central_repo(central.as_ref()).await;
    central.pool().close();
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenant_repo_contract_holds_for_postgres() {
    let Some(db) = PgTestDb::create().await else {
        return;
    };
    let (central, tenants) = db.repos(4, 2, 8);
    contracts::tenant_repo(central.as_ref(), tenants.as_ref()).await;
    tenants.close_all();
    central.pool().close();
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tenant_repo_concurrency_contract_holds_for_sqlite() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (central, tenants) = sqlite_repos(dir.path(), 8).await;
    contracts::tenant_repo_concurrency(central.as_ref(), tenants.clone()).await;
    tenants.close_all();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tenant_repo_concurrency_contract_holds_for_postgres() {
    let Some(db) = PgTestDb::create().await else {
        return;
    };
    let (central, tenants) = db.repos(4, 4, 8);
    contracts::tenant_repo_concurrency(central.as_ref(), tenants.clone()).await;
    tenants.close_all();
    central.pool().close();
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commerce_repo_contract_holds_for_sqlite() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (central, tenants) = sqlite_repos(dir.path(), 8).await;
    contracts::commerce_repo(central.as_ref(), tenants.as_ref(), tenants.as_ref()).await;
    tenants.close_all();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commerce_repo_contract_holds_for_postgres() {
    let Some(db) = PgTestDb::create().await else {
        return;
    };
    let (central, tenants) = db.repos(4, 2, 8);
    contracts::commerce_repo(central.as_ref(), tenants.as_ref(), tenants.as_ref()).await;
    tenants.close_all();
    central.pool().close();
    db.cleanup().await;
}
