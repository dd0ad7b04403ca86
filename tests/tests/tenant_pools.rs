//! Tenant pools open lazily and are capped: activating more stores than the cap keeps the
//! Postgres connections of this test's databases (counted in pg_stat_activity, not by our own
//! counters) within the configured budget, and an evicted store reopens on demand.

use std::time::Duration;

use omni_domain::{StoreId, StoreKind, StoreName};
use omni_ports::{MenuRepo, OrderRepo, OwnerRepo, StoreRepo, TenantDbRepo};
use omni_testkit::db::PgTestDb;
use omni_testkit::fixtures;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_stores_than_the_cap_stay_within_the_postgres_connection_budget() {
    let Some(db) = PgTestDb::create().await else {
        return;
    };
    // Arrange: budget = central pool + cap * tenant pool = 2 + 3 * 2 = 8 connections.
    let (central_pool, tenant_pool, cap) = (2, 2, 3);
    let budget = i64::try_from(central_pool + cap * tenant_pool).unwrap_or(i64::MAX);
    let (central, tenants) = db.repos(central_pool, tenant_pool, cap);
    let owner = fixtures::owner();
    central
        .insert_owner(&owner)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut stores = Vec::new();
    for i in 0..(cap + 4) {
        let id = StoreId::new();
        let name = StoreName::parse(&format!("Store {i}")).unwrap_or_else(|e| panic!("{e}"));
        let store = omni_domain::Store::new(
            id,
            owner.id,
            name,
            StoreKind::Restaurant,
            tenants.new_location(id),
            chrono::Utc::now(),
        );
        central
            .insert_store(&store)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        tenants
            .provision(id)
            .await
            .unwrap_or_else(|e| panic!("provision {i}: {e}"));
        stores.push(id);
    }

    // Act: use every store's database, with concurrent queries so pools grow to full size.
    let mut peak = 0;
    for round in 0..2 {
        for id in &stores {
            let (a, b) = tokio::join!(tenants.list_orders(*id, 5), tenants.list_menu_items(*id));
            a.unwrap_or_else(|e| panic!("round {round}: {e}"));
            b.unwrap_or_else(|e| panic!("round {round}: {e}"));
            let open = db
                .admin()
                .count_connections(&db.prefix)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            peak = peak.max(open);
        }
    }
    // Closed pools drop their connections asynchronously; give the server a moment.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let settled = db
        .admin()
        .count_connections(&db.prefix)
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    // Assert
    assert!(
        tenants.open_pools() <= cap,
        "open pools {} > cap {cap}",
        tenants.open_pools()
    );
    assert!(peak <= budget, "peak connections {peak} > budget {budget}");
    assert!(settled <= budget, "connections {settled} > budget {budget}");
    assert!(peak > 0, "the count must see our connections at all");

    tenants.close_all();
    central.pool().close();
    db.cleanup().await;
}
