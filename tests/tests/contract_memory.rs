//! The port contract suites run against the in-memory adapters, so every test that uses them
//! as stand-ins for the SQL adapters relies on the same documented behaviour.

use omni_memory::{InMemoryCentralRepo, InMemoryTenantRepo};

#[tokio::test]
async fn central_repo_contract_holds_for_in_memory() {
    omni_testkit::contracts::central_repo(&InMemoryCentralRepo::new()).await;
}

#[tokio::test]
async fn tenant_repo_contract_holds_for_in_memory() {
    let central = InMemoryCentralRepo::new();
    let tenants = InMemoryTenantRepo::new();
    omni_testkit::contracts::tenant_repo(&central, &tenants).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tenant_repo_concurrency_contract_holds_for_in_memory() {
    let central = InMemoryCentralRepo::new();
    let tenants = std::sync::Arc::new(InMemoryTenantRepo::new());
    omni_testkit::contracts::tenant_repo_concurrency(&central, tenants).await;
}
