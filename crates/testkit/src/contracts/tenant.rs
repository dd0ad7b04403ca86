//! The [`TenantRepoPort`] contract: provisioning, customers, conversations, messages (with the
//! wamid dedupe rule), menu, payment methods, orders with their optimistic status check, and
//! isolation between stores.

use chrono::{DateTime, TimeDelta, Utc};
use omni_domain::{
    AccountId, Conversation, ConversationId, Customer, CustomerId, Direction, Message, MessageBody,
    Money, Order, OrderId, OrderItem, OrderStatus, PaymentMethodKind, PaymentStatus, PhoneNumber,
    Store, StoreId, WhatsappAccount,
};
use omni_ports::{CentralRepo, TenantRepoPort};

use super::{conflict, not_found, ok, tenant_not_found};
use crate::fixtures;

/// A store registered in the central repository, provisioned, with one account.
struct Tenant {
    store: Store,
    account: WhatsappAccount,
}

impl Tenant {
    fn id(&self) -> StoreId {
        self.store.id
    }
}

/// Runs every tenant-repository assertion. Stores are created in `central` with the location
/// `tenants.new_location` gives, then provisioned (twice, to check idempotence); `central`
/// may be shared with other tests.
///
/// # Panics
/// With a message naming the broken rule when the repository violates the contract.
pub async fn tenant_repo(central: &dyn CentralRepo, tenants: &dyn TenantRepoPort) {
    check_unprovisioned(central, tenants).await;
    let a = provisioned(central, tenants).await;
    let b = provisioned(central, tenants).await;
    check_customers(tenants, &a).await;
    check_conversations(tenants, &a).await;
    check_messages(tenants, &a).await;
    check_orders_round_trip(tenants, &a).await;
    check_order_updates(tenants, &a).await;
    check_menu(tenants, &b).await;
    check_payment_methods(tenants, &b).await;
    check_list_orders(tenants, &b).await;
    check_isolation(tenants, &a, &b).await;
}

/// Registers an owner and a store in `central` without provisioning the tenant.
async fn registered(central: &dyn CentralRepo, tenants: &dyn TenantRepoPort) -> Store {
    let owner = fixtures::owner();
    ok(central.insert_owner(&owner).await, "insert_owner (setup)");
    let id = StoreId::new();
    let store = fixtures::store(id, owner.id, tenants.new_location(id));
    ok(central.insert_store(&store).await, "insert_store (setup)");
    store
}

/// A registered, provisioned store with one account.
async fn provisioned(central: &dyn CentralRepo, tenants: &dyn TenantRepoPort) -> Tenant {
    let store = registered(central, tenants).await;
    ok(tenants.provision(store.id).await, "provision");
    ok(tenants.ping(store.id).await, "ping after provision");
    let customer = new_customer(tenants, store.id).await;
    ok(
        tenants.provision(store.id).await,
        "provision again (must be idempotent)",
    );
    assert_eq!(
        ok(
            tenants.find_customer(store.id, customer.id).await,
            "find_customer"
        ),
        Some(customer),
        "provisioning again must keep the store's data"
    );
    let account = fixtures::account(store.id);
    ok(
        central.insert_account(&account).await,
        "insert_account (setup)",
    );
    Tenant { store, account }
}

/// Upserts a fresh customer.
async fn new_customer(tenants: &dyn TenantRepoPort, store: StoreId) -> Customer {
    ok(
        tenants.upsert_customer(store, &fixtures::customer()).await,
        "upsert_customer (setup)",
    )
}

/// Inserts a fresh conversation of `customer` on `account`.
async fn new_conversation(
    tenants: &dyn TenantRepoPort,
    store: StoreId,
    customer: CustomerId,
    account: AccountId,
) -> Conversation {
    let c = fixtures::conversation(customer, account);
    ok(
        tenants.insert_conversation(store, &c).await,
        "insert_conversation (setup)",
    );
    c
}

/// The order as stored now; panics when it is missing.
async fn stored_order(tenants: &dyn TenantRepoPort, store: StoreId, id: OrderId) -> Order {
    match ok(tenants.find_order(store, id).await, "find_order") {
        Some(order) => order,
        None => panic!("find_order returned None for an inserted order"),
    }
}

async fn check_unprovisioned(central: &dyn CentralRepo, tenants: &dyn TenantRepoPort) {
    refuses_everything(tenants, StoreId::new(), "a store unknown everywhere").await;
    let registered = registered(central, tenants).await;
    refuses_everything(
        tenants,
        registered.id,
        "a registered store never provisioned",
    )
    .await;
}

/// Every data method on `store` must answer `TenantNotFound`.
async fn refuses_everything(tenants: &dyn TenantRepoPort, store: StoreId, which: &str) {
    let customer = fixtures::customer();
    let conversation = fixtures::conversation(customer.id, AccountId::new());
    let message = fixtures::message(
        conversation.id,
        Direction::Inbound,
        fixtures::text("hi"),
        fixtures::now(),
    );
    let order = fixtures::order(customer.id);
    let what = |method: &str| format!("{method} on {which}");
    tenant_not_found(tenants.ping(store).await, &what("ping"));
    tenant_not_found(
        tenants.upsert_customer(store, &customer).await,
        &what("upsert_customer"),
    );
    tenant_not_found(
        tenants.find_customer(store, customer.id).await,
        &what("find_customer"),
    );
    tenant_not_found(
        tenants.insert_conversation(store, &conversation).await,
        &what("insert_conversation"),
    );
    tenant_not_found(
        tenants
            .find_conversation(store, customer.id, conversation.account_id)
            .await,
        &what("find_conversation"),
    );
    tenant_not_found(
        tenants.update_conversation(store, &conversation).await,
        &what("update_conversation"),
    );
    tenant_not_found(
        tenants.insert_message(store, &message).await,
        &what("insert_message"),
    );
    tenant_not_found(
        tenants.list_messages(store, conversation.id, 10).await,
        &what("list_messages"),
    );
    tenant_not_found(
        tenants
            .insert_menu_item(store, &fixtures::menu_item("Tea", None, 10_000))
            .await,
        &what("insert_menu_item"),
    );
    tenant_not_found(
        tenants.list_menu_items(store).await,
        &what("list_menu_items"),
    );
    tenant_not_found(
        tenants
            .insert_payment_method(
                store,
                &fixtures::payment_method(PaymentMethodKind::CashOnDelivery),
            )
            .await,
        &what("insert_payment_method"),
    );
    tenant_not_found(
        tenants.list_payment_methods(store).await,
        &what("list_payment_methods"),
    );
    tenant_not_found(
        tenants.insert_order(store, &order).await,
        &what("insert_order"),
    );
    tenant_not_found(
        tenants.find_order(store, order.id).await,
        &what("find_order"),
    );
    tenant_not_found(tenants.list_orders(store, 10).await, &what("list_orders"));
    tenant_not_found(
        tenants
            .update_order(store, &order, OrderStatus::Draft, PaymentStatus::Unpaid)
            .await,
        &what("update_order"),
    );
}

async fn check_customers(tenants: &dyn TenantRepoPort, t: &Tenant) {
    let store = t.id();
    let first = fixtures::customer();
    let stored = ok(
        tenants.upsert_customer(store, &first).await,
        "upsert_customer (new)",
    );
    assert_eq!(
        stored, first,
        "upsert_customer of a new wa_id must store and return it as given"
    );
    assert_eq!(
        ok(
            tenants.find_customer(store, first.id).await,
            "find_customer"
        ),
        Some(first.clone()),
        "find_customer must return every field"
    );

    // Same wa_id again, another id, a new name and no phone: the stored customer keeps its id,
    // creation time and phone, and takes the name.
    let mut again = fixtures::customer();
    again.wa_id = first.wa_id.clone();
    again.name = Some("Ayesha K.".into());
    again.phone = None;
    let mut expected = first.clone();
    expected.name = again.name.clone();
    assert_eq!(
        ok(
            tenants.upsert_customer(store, &again).await,
            "upsert_customer (existing wa_id)"
        ),
        expected,
        "upsert_customer of a known wa_id must keep the id and phone and update the name"
    );

    let new_phone = PhoneNumber::parse("+923451234567").unwrap_or_else(|e| panic!("{e}"));
    let mut phone_only = fixtures::customer();
    phone_only.wa_id = first.wa_id.clone();
    phone_only.name = None;
    phone_only.phone = Some(new_phone.clone());
    expected.phone = Some(new_phone);
    assert_eq!(
        ok(
            tenants.upsert_customer(store, &phone_only).await,
            "upsert_customer (existing wa_id)"
        ),
        expected,
        "upsert_customer must keep the name when the new one is None and update the phone"
    );
    assert_eq!(
        ok(
            tenants.find_customer(store, first.id).await,
            "find_customer"
        ),
        Some(expected),
        "find_customer must show what upsert_customer returned"
    );
    assert_eq!(
        ok(
            tenants.find_customer(store, again.id).await,
            "find_customer"
        ),
        None,
        "upsert_customer of a known wa_id must not store a second customer"
    );

    let mut anonymous = fixtures::customer();
    anonymous.phone = None;
    anonymous.name = None;
    ok(
        tenants.upsert_customer(store, &anonymous).await,
        "upsert_customer (no phone, no name)",
    );
    assert_eq!(
        ok(
            tenants.find_customer(store, anonymous.id).await,
            "find_customer"
        ),
        Some(anonymous),
        "a customer without phone and name must round-trip"
    );
    assert_eq!(
        ok(
            tenants.find_customer(store, CustomerId::new()).await,
            "find_customer"
        ),
        None,
        "find_customer of an unknown id must be None"
    );
}

async fn check_conversations(tenants: &dyn TenantRepoPort, t: &Tenant) {
    let store = t.id();
    let customer = new_customer(tenants, store).await;
    let conversation = new_conversation(tenants, store, customer.id, t.account.id).await;
    let find = async |account: AccountId| {
        ok(
            tenants.find_conversation(store, customer.id, account).await,
            "find_conversation",
        )
    };
    assert_eq!(
        find(t.account.id).await,
        Some(conversation.clone()),
        "find_conversation must return every field"
    );

    let twin = fixtures::conversation(customer.id, t.account.id);
    conflict(
        tenants.insert_conversation(store, &twin).await,
        "insert_conversation for a customer and account that already have one",
    );
    assert_eq!(
        find(t.account.id).await,
        Some(conversation.clone()),
        "a rejected insert_conversation must change nothing"
    );

    let other_number = AccountId::new();
    let mut second = fixtures::conversation(customer.id, other_number);
    second.last_inbound_at = None;
    second.context = serde_json::json!({});
    ok(
        tenants.insert_conversation(store, &second).await,
        "insert_conversation of the same customer on another number",
    );
    assert_eq!(
        find(other_number).await,
        Some(second.clone()),
        "a conversation without last_inbound_at must round-trip"
    );

    let later = conversation.created_at + TimeDelta::minutes(5);
    let mut changed = conversation.clone();
    changed.state = "collecting_items".into();
    changed.context = serde_json::json!({
        "cart": [{ "item": "Zinger", "qty": 2 }],
        "address": null,
        "note": "بغیر پیاز",
    });
    changed.last_inbound_at = Some(later);
    changed.updated_at = later;
    ok(
        tenants.update_conversation(store, &changed).await,
        "update_conversation",
    );
    assert_eq!(
        find(t.account.id).await,
        Some(changed),
        "update_conversation must save state, context and times"
    );
    assert_eq!(
        find(other_number).await,
        Some(second),
        "update_conversation must not touch other conversations"
    );

    not_found(
        tenants
            .update_conversation(
                store,
                &fixtures::conversation(customer.id, AccountId::new()),
            )
            .await,
        "update_conversation of an unknown conversation",
    );
    assert_eq!(
        ok(
            tenants
                .find_conversation(store, CustomerId::new(), t.account.id)
                .await,
            "find_conversation"
        ),
        None,
        "find_conversation of an unknown customer must be None"
    );
}

/// One message of every body kind.
fn bodies() -> Vec<MessageBody> {
    vec![
        fixtures::text("Assalam o alaikum, menu?"),
        MessageBody::Image {
            media_id: fixtures::random_digits(16),
            caption: Some("payment".into()),
        },
        MessageBody::Audio {
            media_id: fixtures::random_digits(16),
            voice: true,
        },
        MessageBody::Location {
            latitude: 24.860_7,
            longitude: 67.001_1,
            name: Some("Home".into()),
            address: None,
        },
        MessageBody::Interactive {
            id: "confirm_order".into(),
            title: "Confirm".into(),
        },
        MessageBody::Other {
            kind: "reaction".into(),
        },
    ]
}

async fn check_messages(tenants: &dyn TenantRepoPort, t: &Tenant) {
    let store = t.id();
    let customer = new_customer(tenants, store).await;
    let conversation = new_conversation(tenants, store, customer.id, t.account.id).await;
    let other = new_conversation(tenants, store, customer.id, AccountId::new()).await;
    let base = fixtures::now();

    // Built newest first, so the (time-ordered) ids run against created_at.
    let mut messages: Vec<Message> = bodies()
        .into_iter()
        .zip(0_i64..)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .map(|(body, i)| {
            let direction = if i % 2 == 0 {
                Direction::Inbound
            } else {
                Direction::Outbound
            };
            fixtures::message(
                conversation.id,
                direction,
                body,
                base + TimeDelta::seconds(i),
            )
        })
        .collect();
    messages.sort_by_key(|m| m.created_at);
    for i in [3, 0, 5, 1, 4, 2] {
        ok(
            tenants.insert_message(store, &messages[i]).await,
            "insert_message",
        );
    }
    let in_other = fixtures::message(
        other.id,
        Direction::Inbound,
        fixtures::text("other number"),
        base + TimeDelta::seconds(2),
    );
    ok(
        tenants.insert_message(store, &in_other).await,
        "insert_message",
    );

    let list = async |conversation: ConversationId, limit: u32| {
        ok(
            tenants.list_messages(store, conversation, limit).await,
            "list_messages",
        )
    };
    assert_eq!(
        list(conversation.id, 100).await,
        messages,
        "list_messages must return the conversation's messages (every body kind) oldest first"
    );
    assert_eq!(
        list(conversation.id, 3).await,
        messages[3..].to_vec(),
        "list_messages must return the last `limit` messages, oldest first"
    );
    assert!(
        list(conversation.id, 0).await.is_empty(),
        "list_messages with limit 0 must be empty"
    );
    assert_eq!(
        list(other.id, 100).await,
        vec![in_other],
        "list_messages must list only the given conversation"
    );
    assert!(
        list(ConversationId::new(), 100).await.is_empty(),
        "list_messages of an unknown conversation must be empty"
    );

    // The dedupe rule: a wamid is unique in the store, whatever the conversation.
    let mut redelivered = fixtures::message(
        conversation.id,
        Direction::Inbound,
        fixtures::text("again"),
        base + TimeDelta::seconds(30),
    );
    redelivered.wamid.clone_from(&messages[0].wamid);
    conflict(
        tenants.insert_message(store, &redelivered).await,
        "insert_message with a wamid already stored",
    );
    redelivered.conversation_id = other.id;
    conflict(
        tenants.insert_message(store, &redelivered).await,
        "insert_message with a wamid stored in another conversation",
    );

    // Messages without a wamid never conflict with each other.
    for offset in [40, 41] {
        let m = fixtures::message(
            conversation.id,
            Direction::Outbound,
            fixtures::text("thanks"),
            base + TimeDelta::seconds(offset),
        );
        assert_eq!(m.wamid, None);
        ok(
            tenants.insert_message(store, &m).await,
            "insert_message without wamid",
        );
        messages.push(m);
    }
    assert_eq!(
        list(conversation.id, 100).await,
        messages,
        "rejected duplicates must not be stored; messages without wamid must be"
    );
}

async fn check_menu(tenants: &dyn TenantRepoPort, t: &Tenant) {
    let store = t.id();
    let mut zinger = fixtures::menu_item("Zinger Burger", Some("Burgers"), 55_050);
    zinger.description = Some("Crispy chicken, spicy mayo".into());
    let beef = fixtures::menu_item("Beef Burger", Some("Burgers"), 65_000);
    let mut cola = fixtures::menu_item("Cola", Some("Drinks"), 15_000);
    cola.available = false;
    let water = fixtures::menu_item("Water", None, 5_000);
    let bread = fixtures::menu_item("Bread", None, 0);
    for item in [&zinger, &water, &cola, &beef, &bread] {
        ok(
            tenants.insert_menu_item(store, item).await,
            "insert_menu_item",
        );
    }
    conflict(
        tenants.insert_menu_item(store, &cola).await,
        "insert_menu_item with an existing id",
    );
    assert_eq!(
        ok(tenants.list_menu_items(store).await, "list_menu_items"),
        vec![bread, water, beef, zinger, cola],
        "list_menu_items must return every field (price in paisa), uncategorised first, then by category, then name"
    );
}

async fn check_payment_methods(tenants: &dyn TenantRepoPort, t: &Tenant) {
    let store = t.id();
    let base = fixtures::now();
    let mut methods = Vec::new();
    for (kind, offset, active) in [
        (PaymentMethodKind::BankTransfer, 20, true),
        (PaymentMethodKind::CashOnDelivery, 0, true),
        (PaymentMethodKind::Easypaisa, 10, false),
        (PaymentMethodKind::JazzCash, 5, true),
    ] {
        let mut m = fixtures::payment_method(kind);
        m.created_at = base + TimeDelta::seconds(offset);
        m.active = active;
        ok(
            tenants.insert_payment_method(store, &m).await,
            "insert_payment_method",
        );
        methods.push(m);
    }
    conflict(
        tenants.insert_payment_method(store, &methods[0]).await,
        "insert_payment_method with an existing id",
    );
    methods.sort_by_key(|m| m.created_at);
    assert_eq!(
        ok(
            tenants.list_payment_methods(store).await,
            "list_payment_methods"
        ),
        methods,
        "list_payment_methods must return every field, oldest first"
    );
}

/// A placed order with two lines, an address, agent state and a proof awaiting verification.
async fn placed_order(tenants: &dyn TenantRepoPort, t: &Tenant, at: DateTime<Utc>) -> Order {
    let store = t.id();
    let customer = new_customer(tenants, store).await;
    let conversation = new_conversation(tenants, store, customer.id, t.account.id).await;
    let zinger = fixtures::menu_item("Zinger", Some("Burgers"), 55_000);
    let fries = fixtures::menu_item("Fries", Some("Sides"), 25_050);
    let method = fixtures::payment_method(PaymentMethodKind::BankTransfer);
    for item in [&zinger, &fries] {
        ok(
            tenants.insert_menu_item(store, item).await,
            "insert_menu_item (setup)",
        );
    }
    ok(
        tenants.insert_payment_method(store, &method).await,
        "insert_payment_method (setup)",
    );

    let mut order = fixtures::order(customer.id);
    order.created_at = at;
    order.conversation_id = Some(conversation.id);
    order.account_id = Some(t.account.id);
    order.items = [(&zinger, 2), (&fries, 1)]
        .into_iter()
        .map(|(item, quantity)| OrderItem {
            menu_item_id: item.id,
            name: item.name.clone(),
            unit_price: item.price,
            quantity,
        })
        .collect();
    order.delivery_address = Some("House 12, Street 4, DHA Phase 6, Karachi".into());
    order.conversation_state = "awaiting_payment_verification".into();
    order.conversation_context = serde_json::json!({ "asked_address": true, "lang": "ur" });
    order
        .payment
        .choose_method(method.id)
        .unwrap_or_else(|e| panic!("{e}"));
    order
        .payment
        .submit_proof(format!("proofs/{}.jpg", order.id))
        .unwrap_or_else(|e| panic!("{e}"));
    order
        .advance(OrderStatus::Placed, at + TimeDelta::minutes(1))
        .unwrap_or_else(|e| panic!("{e}"));
    order
}

async fn check_orders_round_trip(tenants: &dyn TenantRepoPort, t: &Tenant) {
    let store = t.id();
    let placed = placed_order(tenants, t, fixtures::now()).await;
    ok(tenants.insert_order(store, &placed).await, "insert_order");
    assert_eq!(
        stored_order(tenants, store, placed.id).await,
        placed,
        "find_order must return every field: items in order, payment, agent state, address, times"
    );
    conflict(
        tenants.insert_order(store, &placed).await,
        "insert_order with an existing id",
    );

    let mut rejected = fixtures::order(placed.customer_id);
    rejected.items = placed.items[..1].to_vec();
    rejected
        .payment
        .submit_proof("proofs/first.jpg".into())
        .unwrap_or_else(|e| panic!("{e}"));
    rejected
        .payment
        .reject("amount does not match".into())
        .unwrap_or_else(|e| panic!("{e}"));
    ok(tenants.insert_order(store, &rejected).await, "insert_order");
    assert_eq!(
        stored_order(tenants, store, rejected.id).await,
        rejected,
        "a rejected payment (proof and reason) must round-trip"
    );

    let draft = fixtures::order(placed.customer_id);
    ok(tenants.insert_order(store, &draft).await, "insert_order");
    assert_eq!(
        stored_order(tenants, store, draft.id).await,
        draft,
        "an empty draft order (no items, no optional field) must round-trip"
    );
    assert_eq!(
        ok(
            tenants.find_order(store, OrderId::new()).await,
            "find_order"
        ),
        None,
        "find_order of an unknown id must be None"
    );
}

async fn check_order_updates(tenants: &dyn TenantRepoPort, t: &Tenant) {
    let store = t.id();
    let at = fixtures::now();
    let placed = placed_order(tenants, t, at).await;
    ok(tenants.insert_order(store, &placed).await, "insert_order");

    // The owner approves the proof and accepts; lines change too.
    let mut accepted = placed.clone();
    accepted.payment.approve().unwrap_or_else(|e| panic!("{e}"));
    accepted
        .advance(OrderStatus::Accepted, at + TimeDelta::minutes(2))
        .unwrap_or_else(|e| panic!("{e}"));
    let cola = fixtures::menu_item("Cola", Some("Drinks"), 15_000);
    ok(
        tenants.insert_menu_item(store, &cola).await,
        "insert_menu_item (setup)",
    );
    accepted.items.remove(1);
    accepted.items.push(OrderItem {
        menu_item_id: cola.id,
        name: cola.name.clone(),
        unit_price: Money::pkr_paisa(15_000),
        quantity: 3,
    });
    accepted.items[0].quantity = 1;
    accepted.delivery_address = Some("Flat 3, Clifton Block 5, Karachi".into());
    accepted.conversation_state = "confirmed".into();
    accepted.conversation_context = serde_json::json!({ "confirmed": true });
    ok(
        tenants
            .update_order(
                store,
                &accepted,
                OrderStatus::Placed,
                PaymentStatus::PendingVerification,
            )
            .await,
        "update_order with the stored statuses",
    );
    assert_eq!(
        stored_order(tenants, store, placed.id).await,
        accepted,
        "update_order must save statuses, payment, replaced items, address, agent state, updated_at"
    );

    let mut preparing = accepted.clone();
    preparing
        .advance(OrderStatus::Preparing, at + TimeDelta::minutes(3))
        .unwrap_or_else(|e| panic!("{e}"));
    for (status, payment, which) in [
        (
            OrderStatus::Placed,
            PaymentStatus::PendingVerification,
            "both statuses stale",
        ),
        (
            OrderStatus::Accepted,
            PaymentStatus::PendingVerification,
            "payment status stale",
        ),
        (
            OrderStatus::Placed,
            PaymentStatus::Paid,
            "order status stale",
        ),
    ] {
        conflict(
            tenants
                .update_order(store, &preparing, status, payment)
                .await,
            &format!("update_order with {which}"),
        );
        assert_eq!(
            stored_order(tenants, store, placed.id).await,
            accepted,
            "update_order rejected for {which} must change nothing"
        );
    }
    ok(
        tenants
            .update_order(
                store,
                &preparing,
                OrderStatus::Accepted,
                PaymentStatus::Paid,
            )
            .await,
        "update_order",
    );
    let mut delivered = preparing.clone();
    for (from, to) in [
        (OrderStatus::Preparing, OrderStatus::OutForDelivery),
        (OrderStatus::OutForDelivery, OrderStatus::Delivered),
    ] {
        delivered
            .advance(to, at + TimeDelta::minutes(10))
            .unwrap_or_else(|e| panic!("{e}"));
        ok(
            tenants
                .update_order(store, &delivered, from, PaymentStatus::Paid)
                .await,
            "update_order along the fulfilment path",
        );
    }
    assert_eq!(
        stored_order(tenants, store, placed.id).await,
        delivered,
        "update_order must persist every transition"
    );

    // A rejected proof, then a new one: the reason is cleared in storage too.
    let mut retry = fixtures::order(placed.customer_id);
    retry
        .payment
        .submit_proof("proofs/a.jpg".into())
        .unwrap_or_else(|e| panic!("{e}"));
    ok(tenants.insert_order(store, &retry).await, "insert_order");
    let mut expected_payment = retry.payment.status();
    for step in 0..2 {
        if step == 0 {
            retry
                .payment
                .reject("blurry".into())
                .unwrap_or_else(|e| panic!("{e}"));
        } else {
            retry
                .payment
                .submit_proof("proofs/b.jpg".into())
                .unwrap_or_else(|e| panic!("{e}"));
        }
        ok(
            tenants
                .update_order(store, &retry, OrderStatus::Draft, expected_payment)
                .await,
            "update_order of the payment",
        );
        assert_eq!(
            stored_order(tenants, store, retry.id).await,
            retry,
            "update_order must persist payment transitions (proof path, rejection reason)"
        );
        expected_payment = retry.payment.status();
    }

    let mut cash = fixtures::order(placed.customer_id);
    ok(tenants.insert_order(store, &cash).await, "insert_order");
    cash.payment
        .mark_collected()
        .unwrap_or_else(|e| panic!("{e}"));
    cash.advance(OrderStatus::Cancelled, fixtures::now())
        .unwrap_or_else(|e| panic!("{e}"));
    ok(
        tenants
            .update_order(store, &cash, OrderStatus::Draft, PaymentStatus::Unpaid)
            .await,
        "update_order",
    );
    assert_eq!(
        stored_order(tenants, store, cash.id).await,
        cash,
        "update_order must persist a cancelled, collected order"
    );

    let missing = fixtures::order(placed.customer_id);
    not_found(
        tenants
            .update_order(store, &missing, OrderStatus::Draft, PaymentStatus::Unpaid)
            .await,
        "update_order of an unknown order",
    );
    assert_eq!(
        ok(tenants.find_order(store, missing.id).await, "find_order"),
        None,
        "update_order of an unknown order must not insert it"
    );
}

async fn check_list_orders(tenants: &dyn TenantRepoPort, t: &Tenant) {
    let store = t.id();
    let customer = new_customer(tenants, store).await;
    let base = fixtures::now();
    let mut orders = Vec::new();
    for offset in [2, 0, 3, 1] {
        let mut order = fixtures::order(customer.id);
        order.created_at = base + TimeDelta::minutes(offset);
        order.updated_at = order.created_at;
        ok(tenants.insert_order(store, &order).await, "insert_order");
        orders.push(order);
    }
    orders.sort_by_key(|o| std::cmp::Reverse(o.created_at));
    assert_eq!(
        ok(tenants.list_orders(store, 100).await, "list_orders"),
        orders,
        "list_orders must return every order, newest first"
    );
    assert_eq!(
        ok(tenants.list_orders(store, 2).await, "list_orders"),
        orders[..2].to_vec(),
        "list_orders must return the newest `limit` orders"
    );
    assert!(
        ok(tenants.list_orders(store, 0).await, "list_orders").is_empty(),
        "list_orders with limit 0 must be empty"
    );
}

async fn check_isolation(tenants: &dyn TenantRepoPort, a: &Tenant, b: &Tenant) {
    let order = placed_order(tenants, a, fixtures::now()).await;
    ok(tenants.insert_order(a.id(), &order).await, "insert_order");
    let conversation_id = order
        .conversation_id
        .unwrap_or_else(|| panic!("placed orders have a conversation"));
    let message = fixtures::message(
        conversation_id,
        Direction::Inbound,
        fixtures::text("store A only"),
        fixtures::now(),
    );
    ok(
        tenants.insert_message(a.id(), &message).await,
        "insert_message",
    );
    let customer = match ok(
        tenants.find_customer(a.id(), order.customer_id).await,
        "find_customer",
    ) {
        Some(c) => c,
        None => panic!("the order's customer must be stored in store A"),
    };
    let conversation = match ok(
        tenants
            .find_conversation(a.id(), customer.id, a.account.id)
            .await,
        "find_conversation",
    ) {
        Some(c) => c,
        None => panic!("the order's conversation must be stored in store A"),
    };
    let a_menu = ok(tenants.list_menu_items(a.id()).await, "list_menu_items");
    let a_methods = ok(
        tenants.list_payment_methods(a.id()).await,
        "list_payment_methods",
    );
    assert!(
        !a_menu.is_empty() && !a_methods.is_empty(),
        "store A must have menu items and payment methods"
    );

    let bid = b.id();
    assert_eq!(
        ok(
            tenants.find_customer(bid, customer.id).await,
            "find_customer"
        ),
        None,
        "store A's customer must not be found through store B"
    );
    assert_eq!(
        ok(
            tenants
                .find_conversation(bid, customer.id, a.account.id)
                .await,
            "find_conversation"
        ),
        None,
        "store A's conversation must not be found through store B"
    );
    assert!(
        ok(
            tenants.list_messages(bid, conversation.id, 100).await,
            "list_messages"
        )
        .is_empty(),
        "store A's messages must not be listed through store B"
    );
    let b_menu = ok(tenants.list_menu_items(bid).await, "list_menu_items");
    assert!(
        a_menu.iter().all(|item| !b_menu.contains(item)),
        "store A's menu must not be listed through store B"
    );
    let b_methods = ok(
        tenants.list_payment_methods(bid).await,
        "list_payment_methods",
    );
    assert!(
        a_methods.iter().all(|m| !b_methods.contains(m)),
        "store A's payment methods must not be listed through store B"
    );
    assert_eq!(
        ok(tenants.find_order(bid, order.id).await, "find_order"),
        None,
        "store A's order must not be found through store B"
    );
    assert!(
        ok(tenants.list_orders(bid, 1_000).await, "list_orders")
            .iter()
            .all(|o| o.id != order.id),
        "store A's order must not be listed through store B"
    );
    not_found(
        tenants
            .update_order(bid, &order, order.status(), order.payment.status())
            .await,
        "update_order of store A's order through store B",
    );
    not_found(
        tenants.update_conversation(bid, &conversation).await,
        "update_conversation of store A's conversation through store B",
    );

    // Uniqueness is per store: B may have a customer with A's wa_id and a message with A's
    // wamid, and they stay B's own.
    let mut b_customer = fixtures::customer();
    b_customer.wa_id = customer.wa_id.clone();
    assert_eq!(
        ok(
            tenants.upsert_customer(bid, &b_customer).await,
            "upsert_customer in store B with store A's wa_id"
        ),
        b_customer,
        "a wa_id known in store A must be a new customer in store B"
    );
    let b_conversation = new_conversation(tenants, bid, b_customer.id, b.account.id).await;
    let mut b_message = fixtures::message(
        b_conversation.id,
        Direction::Inbound,
        fixtures::text("store B"),
        fixtures::now(),
    );
    b_message.wamid.clone_from(&message.wamid);
    ok(
        tenants.insert_message(bid, &b_message).await,
        "insert_message in store B with a wamid stored in store A",
    );

    assert_eq!(
        stored_order(tenants, a.id(), order.id).await,
        order,
        "store A's order must be unchanged by calls through store B"
    );
    assert_eq!(
        ok(
            tenants.find_customer(a.id(), customer.id).await,
            "find_customer"
        ),
        Some(customer),
        "store A's customer must be unchanged by calls through store B"
    );
    assert_eq!(
        ok(
            tenants.list_messages(a.id(), conversation.id, 100).await,
            "list_messages"
        ),
        vec![message],
        "store A's messages must be unchanged by calls through store B"
    );
}
