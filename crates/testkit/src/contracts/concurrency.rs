//! Contract under concurrency: the rules that the webhook pipeline will lean on must hold when
//! many tasks hit one store at once, not just one call at a time.
//! - The same `wamid` inserted by many tasks at once is stored exactly once (dedupe).
//! - Competing `update_order` calls expecting the same statuses: exactly one wins (approve vs
//!   reject of one payment proof), the others get `Conflict`, and the stored order is the
//!   winner's.
//! - Many concurrent writes to one store all succeed (no SQLITE_BUSY leaking out).

use std::sync::Arc;

use omni_domain::{Direction, OrderStatus, PaymentStatus, StoreId};
use omni_ports::{CentralRepo, RepoError, TenantRepoPort};
use tokio::task::JoinSet;

use super::ok;
use crate::fixtures;

const TASKS: usize = 16;

/// Runs the concurrency contract against a tenant repo.
///
/// # Panics
/// When a rule breaks.
pub async fn tenant_repo_concurrency(central: &dyn CentralRepo, tenants: Arc<dyn TenantRepoPort>) {
    let owner = fixtures::owner();
    ok(central.insert_owner(&owner).await, "insert owner");
    let store = StoreId::new();
    ok(
        central
            .insert_store(&fixtures::store(
                store,
                owner.id,
                tenants.new_location(store),
            ))
            .await,
        "insert store",
    );
    ok(tenants.provision(store).await, "provision");
    let account = fixtures::account(store);
    let customer = ok(
        tenants.upsert_customer(store, &fixtures::customer()).await,
        "customer",
    );
    let conversation = fixtures::conversation(customer.id, account.id);
    ok(
        tenants.insert_conversation(store, &conversation).await,
        "conversation",
    );

    // The same wamid from many tasks at once.
    let wamid = fixtures::wamid();
    let mut set = JoinSet::new();
    for i in 0..TASKS {
        let (tenants, wamid) = (tenants.clone(), wamid.clone());
        let mut message = fixtures::message(
            conversation.id,
            Direction::Inbound,
            fixtures::text(&format!("copy {i}")),
            fixtures::now(),
        );
        message.wamid = Some(wamid);
        set.spawn(async move { tenants.insert_message(store, &message).await });
    }
    let results = set.join_all().await;
    let stored = results.iter().filter(|r| r.is_ok()).count();
    let conflicts = results
        .iter()
        .filter(|r| matches!(r, Err(RepoError::Conflict { .. })))
        .count();
    assert_eq!(
        (stored, conflicts),
        (1, TASKS - 1),
        "same wamid concurrently: {results:?}"
    );
    let listed = ok(
        tenants.list_messages(store, conversation.id, 100).await,
        "list messages",
    );
    assert_eq!(
        listed
            .iter()
            .filter(|m| m.wamid.as_deref() == Some(wamid.as_str()))
            .count(),
        1,
        "exactly one stored"
    );

    // Many different messages at once: all stored.
    let mut set = JoinSet::new();
    for i in 0..TASKS {
        let tenants = tenants.clone();
        let message = fixtures::message(
            conversation.id,
            Direction::Inbound,
            fixtures::text(&format!("distinct {i}")),
            fixtures::now(),
        );
        set.spawn(async move { tenants.insert_message(store, &message).await });
    }
    for r in set.join_all().await {
        ok(r, "concurrent distinct message insert");
    }
    let listed = ok(
        tenants.list_messages(store, conversation.id, 100).await,
        "list messages",
    );
    assert_eq!(listed.len(), TASKS + 1, "every distinct message stored");

    // Approve and reject the same pending proof at once: exactly one wins.
    let mut order = fixtures::order(customer.id);
    if let Err(e) = order.payment.submit_proof("proofs/1.jpg".into()) {
        panic!("submit proof: {e}");
    }
    ok(tenants.insert_order(store, &order).await, "insert order");
    let mut set = JoinSet::new();
    for i in 0..TASKS {
        let (tenants, mut mine) = (tenants.clone(), order.clone());
        let outcome = if i % 2 == 0 {
            mine.payment.approve()
        } else {
            mine.payment.reject(format!("reason {i}"))
        };
        if let Err(e) = outcome {
            panic!("transition: {e}");
        }
        set.spawn(async move {
            let result = tenants
                .update_order(
                    store,
                    &mine,
                    OrderStatus::Draft,
                    PaymentStatus::PendingVerification,
                )
                .await;
            (mine.payment.status(), result)
        });
    }
    let results = set.join_all().await;
    let winners: Vec<_> = results
        .iter()
        .filter(|(_, r)| r.is_ok())
        .map(|(s, _)| *s)
        .collect();
    assert_eq!(
        winners.len(),
        1,
        "exactly one concurrent update wins: {results:?}"
    );
    assert!(
        results
            .iter()
            .filter(|(_, r)| r.is_err())
            .all(|(_, r)| matches!(r, Err(RepoError::Conflict { .. }))),
        "losers get Conflict: {results:?}"
    );
    let stored = ok(tenants.find_order(store, order.id).await, "find order")
        .unwrap_or_else(|| panic!("order gone"));
    assert_eq!(
        stored.payment.status(),
        winners[0],
        "the stored order is the winner's"
    );
}
