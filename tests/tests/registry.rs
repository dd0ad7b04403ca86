//! Creating owners and stores through the use case, on real SQLite and in memory: a store for
//! an unknown owner is refused by the repository itself (the foreign key, enforced on every
//! SQLite connection), leaving no store row and no tenant database behind.

use std::sync::Arc;

use omni_crypto::Argon2PasswordHasher;
use omni_domain::{OwnerId, StoreKind, StoreName};
use omni_memory::{InMemoryCentralRepo, InMemoryTenantRepo, ManualClock};
use omni_ports::{CentralRepo, TenantRepoPort};
use omni_testkit::db::sqlite_repos;
use omni_testkit::fixtures;
use omni_usecases::{CreateStoreError, Registry};
use secrecy::SecretString;

async fn check(central: Arc<dyn CentralRepo>, tenants: Arc<dyn TenantRepoPort>) {
    let registry = Registry::new(
        central.clone(),
        tenants.clone(),
        Arc::new(Argon2PasswordHasher::fast_for_tests()),
        Arc::new(ManualClock::new(fixtures::now())),
    );
    let name = || StoreName::parse("Lahore Tikka").unwrap_or_else(|e| panic!("{e}"));

    // Unknown owner: refused, nothing written.
    let before = central
        .list_stores()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .len();
    let refused = registry
        .create_store(OwnerId::new(), name(), StoreKind::Restaurant)
        .await;
    assert!(
        matches!(refused, Err(CreateStoreError::OwnerNotFound)),
        "{refused:?}"
    );
    assert_eq!(
        central
            .list_stores()
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .len(),
        before
    );

    // Known owner: the store exists and its tenant database answers.
    let owner = registry
        .create_owner(
            fixtures::email(),
            &SecretString::from("long enough password".to_owned()),
            None,
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let store = registry
        .create_store(owner.id, name(), StoreKind::Restaurant)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        central
            .find_store(store.id)
            .await
            .unwrap_or_else(|e| panic!("{e}")),
        Some(store.clone())
    );
    tenants
        .ping(store.id)
        .await
        .unwrap_or_else(|e| panic!("tenant database: {e}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stores_need_a_known_owner_on_sqlite() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (central, tenants) = sqlite_repos(dir.path(), 4).await;
    check(central, tenants).await;
    let databases = std::fs::read_dir(dir.path().join("tenants"))
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|e| e.path().extension().is_some_and(|x| x == "sqlite"))
                .count()
        })
        .unwrap_or(0);
    assert_eq!(
        databases, 1,
        "only the known owner's store has a tenant database"
    );
}

#[tokio::test]
async fn stores_need_a_known_owner_in_memory() {
    check(
        Arc::new(InMemoryCentralRepo::new()),
        Arc::new(InMemoryTenantRepo::new()),
    )
    .await;
}
