//! Every migration's `down.sql` undoes its `up.sql`: up, down, up again on each engine and
//! schema, with the repository failing while the schema is gone and working after.

use std::time::Duration;

use omni_ports::StoreRepo;
use omni_sql::{DbPool, DbTarget, Schema, SqlCentralRepo, revert_all_migrations, run_migrations};
use omni_testkit::db::PgTestDb;

async fn up_down_up(target: &DbTarget, schema: Schema) {
    // The database starts migrated (central) or empty (tenant); bring both to "all applied".
    run_migrations(target, schema)
        .await
        .unwrap_or_else(|e| panic!("up: {e}"));
    let reverted = revert_all_migrations(target, schema)
        .await
        .unwrap_or_else(|e| panic!("down: {e}"));
    assert!(reverted > 0, "{schema:?}: something to revert");
    if schema == Schema::Central {
        let repo = SqlCentralRepo::new(
            DbPool::new(target, 1, Duration::from_secs(5)).unwrap_or_else(|e| panic!("{e}")),
        );
        assert!(
            repo.list_stores().await.is_err(),
            "tables are gone after down"
        );
        repo.pool().close();
    }
    let again = run_migrations(target, schema)
        .await
        .unwrap_or_else(|e| panic!("up again: {e}"));
    assert_eq!(
        again, reverted,
        "{schema:?}: the same migrations apply again"
    );
    if schema == Schema::Central {
        let repo = SqlCentralRepo::new(
            DbPool::new(target, 1, Duration::from_secs(5)).unwrap_or_else(|e| panic!("{e}")),
        );
        assert!(repo.list_stores().await.is_ok(), "tables are back");
        repo.pool().close();
    }
    assert_eq!(
        run_migrations(target, schema)
            .await
            .unwrap_or_else(|e| panic!("{e}")),
        0,
        "nothing left pending"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_migrations_go_down_and_up_again() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    up_down_up(
        &DbTarget::Sqlite(dir.path().join("central.sqlite")),
        Schema::Central,
    )
    .await;
    up_down_up(
        &DbTarget::Sqlite(dir.path().join("tenant.sqlite")),
        Schema::Tenant,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_migrations_go_down_and_up_again() {
    let Some(db) = PgTestDb::create().await else {
        return;
    };
    up_down_up(&db.central_target(), Schema::Central).await;
    let tenant = format!("{}_t_redo", db.prefix);
    db.admin()
        .create_database(&tenant)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    up_down_up(
        &DbTarget::Postgres(db.admin().url_of(&tenant)),
        Schema::Tenant,
    )
    .await;
    db.cleanup().await;
}
