//! Contract under concurrency: the rules that the webhook pipeline will lean on must hold when
//! many tasks hit one store at once, not just one call at a time.
//! - The same `wamid` inserted by many tasks at once is stored exactly once (dedupe).
//! - Competing `update_order` calls expecting the same statuses: exactly one wins (approve vs
//!   reject of one payment proof), the others get `Conflict`, and the stored order is the
//!   winner's.
//! - Many concurrent writes to one store all succeed (no SQLITE_BUSY leaking out).
//! - `record_inbound` of one wamid from many tasks at once stores one message, one customer and
//!   one conversation; every caller succeeds and exactly one is told it is not a duplicate.
//!   Many messages of one new customer at once share one customer and one conversation.
//! - Delivery statuses racing each other, or racing `record_sent`, still end at the highest:
//!   `read`.

use std::sync::Arc;

use chrono::TimeDelta;
use omni_domain::{
    AccountId, Conversation, ConversationId, Customer, Direction, Message, MessageId,
    MessageStatus, OrderStatus, PaymentStatus, StoreId,
};
use omni_ports::{RepoError, StatusOutcome, TenantRepoPort};
use tokio::task::JoinSet;

use super::{Repos, ok};
use crate::fixtures;

const TASKS: usize = 16;

/// One provisioned store with a customer and a conversation, the setup every rule shares.
#[derive(Debug)]
pub struct OneStore {
    /// The store.
    pub store: StoreId,
    /// Its customer.
    pub customer: Customer,
    /// The customer's conversation.
    pub conversation: Conversation,
}

/// Registers and provisions a store with one customer and one conversation.
///
/// # Panics
/// When a setup call fails.
pub async fn one_store(r: &Repos) -> OneStore {
    let (central, tenants) = (r.central.as_ref(), r.tenants.as_ref());
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
    OneStore {
        store,
        customer,
        conversation,
    }
}

/// The same wamid inserted by many tasks at once is stored once; many distinct messages at
/// once are all stored.
pub async fn concurrent_inserts(r: &Repos) {
    let OneStore {
        store,
        conversation,
        ..
    } = one_store(r).await;
    let tenants = r.tenants.clone();
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
}

/// Approve and reject of one pending proof at once: exactly one wins, the rest get
/// `Conflict`, and the stored order is the winner's.
pub async fn concurrent_order_updates(r: &Repos) {
    let OneStore {
        store, customer, ..
    } = one_store(r).await;
    let tenants = r.tenants.clone();
    // Approve and reject the same pending proof at once: exactly one wins.
    let mut order = fixtures::order(customer.id);
    if let Err(e) = order
        .payment
        .submit_proof("proofs/1.jpg".into(), "sha-847".into())
    {
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
                    OrderStatus::Cart,
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

/// `record_inbound` of one wamid, and of many messages of one new customer, from many tasks.
pub async fn concurrent_inbound(r: &Repos) {
    let OneStore { store, .. } = one_store(r).await;
    check_concurrent_inbound(r.tenants.as_ref(), &r.tenants, store).await;
}

/// Delivery statuses racing each other and `record_sent` end at `read`.
pub async fn concurrent_statuses(r: &Repos) {
    let OneStore {
        store,
        conversation,
        ..
    } = one_store(r).await;
    check_concurrent_statuses(&r.tenants, store, conversation.id).await;
}

/// The same wamid of a new customer through `record_inbound` from many tasks at once, then
/// many distinct messages of another new customer at once.
async fn check_concurrent_inbound(
    repo: &dyn TenantRepoPort,
    tenants: &Arc<dyn TenantRepoPort>,
    store: StoreId,
) {
    let account = AccountId::new();
    let first = fixtures::inbound(account, "copy", fixtures::now());
    let mut set = JoinSet::new();
    for i in 0..TASKS {
        // Each copy as a webhook worker would build it: its own ids, the same wa_id and wamid.
        let mut copy = fixtures::next_inbound(&first, &format!("copy {i}"), first.at);
        copy.message.wamid.clone_from(&first.message.wamid);
        let tenants = tenants.clone();
        set.spawn(async move { (copy.customer.id, tenants.record_inbound(store, &copy).await) });
    }
    let results: Vec<_> = set
        .join_all()
        .await
        .into_iter()
        .map(|(customer, r)| (customer, ok(r, "concurrent record_inbound of one wamid")))
        .collect();
    let originals: Vec<_> = results.iter().filter(|(_, r)| !r.duplicate).collect();
    assert_eq!(
        originals.len(),
        1,
        "exactly one concurrent record_inbound of a wamid is not a duplicate: {results:?}"
    );
    let (winner, original) = originals[0];
    assert!(
        results.iter().all(|(_, r)| r.message == original.message
            && r.customer == original.customer
            && r.conversation.id == original.conversation.id),
        "every copy must get the one stored message, customer and conversation: {results:?}"
    );
    assert_eq!(
        original.customer.id, *winner,
        "the stored customer is the winner's"
    );
    for (customer, _) in &results {
        if customer != winner {
            assert_eq!(
                ok(repo.find_customer(store, *customer).await, "find_customer"),
                None,
                "a losing copy must not store its customer"
            );
        }
    }
    let listed = ok(
        repo.list_messages(store, original.conversation.id, 100)
            .await,
        "list_messages",
    );
    assert_eq!(
        listed,
        vec![original.message.clone()],
        "one wamid recorded concurrently must be stored once"
    );

    // Many messages of one new customer at once.
    let base = fixtures::inbound(account, "first", fixtures::now());
    let mut set = JoinSet::new();
    let mut newest = base.at;
    for i in 0..TASKS {
        let at = base.at + TimeDelta::seconds(i64::try_from(i).unwrap_or(0));
        newest = newest.max(at);
        let next = fixtures::next_inbound(&base, &format!("item {i}"), at);
        let tenants = tenants.clone();
        set.spawn(async move { tenants.record_inbound(store, &next).await });
    }
    let results: Vec<_> = set
        .join_all()
        .await
        .into_iter()
        .map(|r| ok(r, "concurrent record_inbound of one customer"))
        .collect();
    let customer = results[0].customer.id;
    let conversation = results[0].conversation.id;
    assert!(
        results.iter().all(|r| !r.duplicate
            && r.customer.id == customer
            && r.conversation.id == conversation),
        "concurrent messages of one new customer must share one customer and conversation: {results:?}"
    );
    assert_eq!(
        ok(
            repo.list_messages(store, conversation, 100).await,
            "list_messages"
        )
        .len(),
        TASKS,
        "every concurrent message must be stored"
    );
    assert_eq!(
        ok(
            repo.find_conversation(store, customer, account).await,
            "find_conversation"
        )
        .and_then(|c| c.last_inbound_at()),
        Some(newest),
        "last_inbound_at must end at the newest message"
    );
}

/// An outbound reply, inserted.
async fn queued_reply(
    tenants: &Arc<dyn TenantRepoPort>,
    store: StoreId,
    conversation: ConversationId,
    wamid: Option<String>,
) -> Message {
    let mut m = fixtures::reply(
        conversation,
        MessageId::new(),
        "status race",
        fixtures::now(),
    );
    m.wamid = wamid;
    ok(tenants.insert_message(store, &m).await, "insert_message");
    m
}

/// Statuses racing each other, and racing the record of the send.
async fn check_concurrent_statuses(
    tenants: &Arc<dyn TenantRepoPort>,
    store: StoreId,
    conversation: ConversationId,
) {
    const ROUNDS: usize = 8;
    for round in 0..ROUNDS {
        let wamid = fixtures::wamid();
        let m = queued_reply(tenants, store, conversation, Some(wamid.clone())).await;
        let mut set = JoinSet::new();
        for status in [
            MessageStatus::Sent,
            MessageStatus::Delivered,
            MessageStatus::Read,
            MessageStatus::Delivered,
        ] {
            let (tenants, wamid) = (tenants.clone(), wamid.clone());
            set.spawn(async move {
                tenants
                    .apply_status(store, &wamid, status, fixtures::now(), None)
                    .await
            });
        }
        let outcomes: Vec<_> = set
            .join_all()
            .await
            .into_iter()
            .map(|r| ok(r, "concurrent apply_status"))
            .collect();
        assert!(
            outcomes.contains(&StatusOutcome::Applied) && !outcomes.contains(&StatusOutcome::Kept),
            "round {round}: statuses of a stored wamid apply or are stale: {outcomes:?}"
        );
        let stored = ok(tenants.find_message(store, m.id).await, "find_message");
        assert_eq!(
            stored.and_then(|m| m.status),
            Some(MessageStatus::Read),
            "round {round}: concurrent statuses must end read"
        );
    }

    // A status may overtake our record of the send: whichever commits first, the read sticks.
    for round in 0..ROUNDS {
        let wamid = fixtures::wamid();
        let m = queued_reply(tenants, store, conversation, None).await;
        let mut set = JoinSet::new();
        {
            let (tenants, wamid) = (tenants.clone(), wamid.clone());
            set.spawn(async move {
                tenants
                    .record_sent(store, m.id, &wamid, fixtures::now())
                    .await
            });
        }
        for status in [MessageStatus::Delivered, MessageStatus::Read] {
            let (tenants, wamid) = (tenants.clone(), wamid.clone());
            set.spawn(async move {
                tenants
                    .apply_status(store, &wamid, status, fixtures::now(), None)
                    .await
                    .map(|_| ())
            });
        }
        for r in set.join_all().await {
            ok(r, "record_sent racing apply_status");
        }
        let stored = ok(tenants.find_message(store, m.id).await, "find_message");
        assert_eq!(
            stored.map(|m| (m.wamid, m.status)),
            Some((Some(wamid), Some(MessageStatus::Read))),
            "round {round}: a read racing record_sent must end read"
        );
    }
}
