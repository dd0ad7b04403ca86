//! The [`TenantRepoPort`] contract: provisioning, customers, conversations, messages (with the
//! wamid dedupe rule), menu, payment methods, orders with their optimistic status check,
//! inbound recording and completion (dedupe and replayed replies), delivery statuses (never
//! backwards, kept until the wamid is known), the auto-reply, and isolation between stores.

use chrono::{DateTime, TimeDelta, Utc};
use omni_domain::{
    AccountId, Conversation, ConversationId, Customer, CustomerId, Direction, Message, MessageBody,
    MessageId, MessageStatus, Money, Order, OrderId, OrderItem, OrderStatus, PaymentMethodKind,
    PaymentStatus, PhoneNumber, Store, StoreId, WhatsappAccount,
};
use omni_ports::meta::{OutboundContent, ReplyButton};
use omni_ports::{
    CentralRepo, InboundRecord, RecordedInbound, Reply, SavedReply, StatusOutcome, TenantRepoPort,
};

use super::{Repos, conflict, not_found, ok, tenant_not_found};
use crate::fixtures;

/// A store registered in the central repository, provisioned, with one account.
pub(super) struct Tenant {
    pub(super) store: Store,
    pub(super) account: WhatsappAccount,
}

impl Tenant {
    pub(super) fn id(&self) -> StoreId {
        self.store.id
    }
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
pub(super) async fn provisioned(central: &dyn CentralRepo, tenants: &dyn TenantRepoPort) -> Tenant {
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

/// Every data method of a store never provisioned answers `TenantNotFound`.
pub async fn unprovisioned(r: &Repos) {
    let central = r.central.as_ref();
    let tenants = r.tenants.as_ref();
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
    for ids in [vec![customer.id], Vec::new()] {
        tenant_not_found(
            tenants.find_customers(store, &ids).await,
            &what("find_customers"),
        );
    }
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
            .update_order(store, &order, OrderStatus::Cart, PaymentStatus::Unpaid)
            .await,
        &what("update_order"),
    );
    let inbound = fixtures::inbound(AccountId::new(), "hi", fixtures::now());
    tenant_not_found(
        tenants.record_inbound(store, &inbound).await,
        &what("record_inbound"),
    );
    tenant_not_found(
        tenants
            .complete_inbound(
                store,
                message.id,
                &omni_ports::Completion {
                    conversation: conversation.clone(),
                    order: None,
                    replies: Vec::new(),
                    transcript: None,
                    media_path: None,
                },
                fixtures::now(),
            )
            .await,
        &what("complete_inbound"),
    );
    tenant_not_found(
        tenants
            .apply_status(
                store,
                &fixtures::wamid(),
                MessageStatus::Read,
                fixtures::now(),
                None,
            )
            .await,
        &what("apply_status"),
    );
    tenant_not_found(
        tenants
            .record_sent(store, message.id, &fixtures::wamid(), fixtures::now())
            .await,
        &what("record_sent"),
    );
    tenant_not_found(
        tenants
            .record_send_failure(store, message.id, "error", fixtures::now())
            .await,
        &what("record_send_failure"),
    );
    tenant_not_found(
        tenants.find_message(store, message.id).await,
        &what("find_message"),
    );
    tenant_not_found(
        tenants
            .find_message_by_wamid(store, &fixtures::wamid())
            .await,
        &what("find_message_by_wamid"),
    );
    tenant_not_found(tenants.auto_reply(store).await, &what("auto_reply"));
    tenant_not_found(
        tenants
            .set_auto_reply(store, Some("closed"), fixtures::now())
            .await,
        &what("set_auto_reply"),
    );
}

/// Customers: upsert by wa_id and find.
pub async fn customers(r: &Repos) {
    let tenants = r.tenants.as_ref();
    let t = &provisioned(r.central.as_ref(), r.tenants.as_ref()).await;
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
    let mut again = fixtures::customer_with_wa_id(first.wa_id());
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
    let mut phone_only = fixtures::customer_with_wa_id(first.wa_id());
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
        Some(anonymous.clone()),
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

    // Several at once: the known ones, each once, however often asked and whatever unknown
    // ids come with them; none for none.
    let mut found = ok(
        tenants
            .find_customers(
                store,
                &[first.id, CustomerId::new(), anonymous.id, first.id],
            )
            .await,
        "find_customers",
    );
    found.sort_by_key(|c| c.id);
    let mut want = vec![
        ok(
            tenants.find_customer(store, first.id).await,
            "find_customer",
        )
        .unwrap_or_else(|| panic!("first is stored")),
        anonymous.clone(),
    ];
    want.sort_by_key(|c| c.id);
    assert_eq!(
        found, want,
        "find_customers must return each known customer once, with every field"
    );
    assert_eq!(
        ok(tenants.find_customers(store, &[]).await, "find_customers"),
        Vec::new(),
        "find_customers of no ids must be empty"
    );
}

/// Conversations: insert, find by customer and account, update.
pub async fn conversations(r: &Repos) {
    let tenants = r.tenants.as_ref();
    let t = &provisioned(r.central.as_ref(), r.tenants.as_ref()).await;
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
    second = second.with_last_inbound_at(None);
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
    changed.state = fixtures::state("collecting_items");
    changed.context = serde_json::json!({
        "cart": [{ "item": "Zinger", "qty": 2 }],
        "address": null,
        "note": "بغیر پیاز",
    });
    changed = changed.with_last_inbound_at(Some(later));
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

/// Messages: every body kind round-trips, listed oldest first and limited, per conversation.
pub async fn messages(r: &Repos) {
    let tenants = r.tenants.as_ref();
    let t = &provisioned(r.central.as_ref(), r.tenants.as_ref()).await;
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

/// Menu items: insert and list with every field.
pub async fn menu(r: &Repos) {
    let tenants = r.tenants.as_ref();
    let t = &provisioned(r.central.as_ref(), r.tenants.as_ref()).await;
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

/// Payment methods: insert (a stored id refused) and list oldest first.
pub async fn payment_methods(r: &Repos) {
    let tenants = r.tenants.as_ref();
    let t = &provisioned(r.central.as_ref(), r.tenants.as_ref()).await;
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
            variant: None,
        })
        .collect();
    order.delivery_address = Some("House 12, Street 4, DHA Phase 6, Karachi".into());
    order.conversation_state = fixtures::state("awaiting_payment_verification");
    order.conversation_context = serde_json::json!({ "asked_address": true, "lang": "ur" });
    order
        .payment
        .choose_method(method.id)
        .unwrap_or_else(|e| panic!("{e}"));
    order
        .payment
        .submit_proof(format!("proofs/{}.jpg", order.id), "sha-174".into())
        .unwrap_or_else(|e| panic!("{e}"));
    order
        .advance(OrderStatus::Placed, at + TimeDelta::minutes(1))
        .unwrap_or_else(|e| panic!("{e}"));
    order
}

/// An order round-trips with its lines, address, agent state and payment.
pub async fn orders_round_trip(r: &Repos) {
    let tenants = r.tenants.as_ref();
    let t = &provisioned(r.central.as_ref(), r.tenants.as_ref()).await;
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
        .submit_proof("proofs/first.jpg".into(), "sha-72".into())
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

/// `update_order` applies only when the expected statuses still hold.
pub async fn order_updates(r: &Repos) {
    let tenants = r.tenants.as_ref();
    let t = &provisioned(r.central.as_ref(), r.tenants.as_ref()).await;
    let store = t.id();
    let at = fixtures::now();
    let placed = placed_order(tenants, t, at).await;
    ok(tenants.insert_order(store, &placed).await, "insert_order");

    // The owner approves the proof and accepts; lines change too.
    let mut accepted = placed.clone();
    accepted.payment.approve().unwrap_or_else(|e| panic!("{e}"));
    accepted
        .advance(OrderStatus::Confirmed, at + TimeDelta::minutes(2))
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
        variant: Some("1.5 L".into()),
    });
    accepted.items[0].quantity = 1;
    accepted.delivery_address = Some("Flat 3, Clifton Block 5, Karachi".into());
    accepted.conversation_state = fixtures::state("confirmed");
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
            OrderStatus::Confirmed,
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
                OrderStatus::Confirmed,
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
        .submit_proof("proofs/a.jpg".into(), "sha-173".into())
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
                .submit_proof("proofs/b.jpg".into(), "sha-812".into())
                .unwrap_or_else(|e| panic!("{e}"));
        }
        ok(
            tenants
                .update_order(store, &retry, OrderStatus::Cart, expected_payment)
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
            .update_order(store, &cash, OrderStatus::Cart, PaymentStatus::Unpaid)
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
            .update_order(store, &missing, OrderStatus::Cart, PaymentStatus::Unpaid)
            .await,
        "update_order of an unknown order",
    );
    assert_eq!(
        ok(tenants.find_order(store, missing.id).await, "find_order"),
        None,
        "update_order of an unknown order must not insert it"
    );
}

/// Orders are listed newest first, at most `limit`.
pub async fn list_orders(r: &Repos) {
    let tenants = r.tenants.as_ref();
    let t = &provisioned(r.central.as_ref(), r.tenants.as_ref()).await;
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

/// One store's rows are never reached through another store.
pub async fn isolation(r: &Repos) {
    let tenants = r.tenants.as_ref();
    let a = &provisioned(r.central.as_ref(), r.tenants.as_ref()).await;
    let b = &provisioned(r.central.as_ref(), r.tenants.as_ref()).await;
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
    assert_eq!(
        ok(tenants.find_message(bid, message.id).await, "find_message"),
        None,
        "store A's message must not be found by id through store B"
    );
    let a_wamid = message
        .wamid
        .clone()
        .unwrap_or_else(|| panic!("inbound fixtures have a wamid"));
    assert_eq!(
        ok(
            tenants.find_message_by_wamid(bid, &a_wamid).await,
            "find_message_by_wamid"
        ),
        None,
        "store A's message must not be found by wamid through store B"
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
    let b_customer = fixtures::customer_with_wa_id(customer.wa_id());
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

/// The message as stored now; panics when it is missing.
async fn stored_message(tenants: &dyn TenantRepoPort, store: StoreId, id: MessageId) -> Message {
    match ok(tenants.find_message(store, id).await, "find_message") {
        Some(m) => m,
        None => panic!("find_message returned None for a stored message"),
    }
}

/// Records a customer's message that must be new.
pub(super) async fn record_new(
    tenants: &dyn TenantRepoPort,
    store: StoreId,
    inbound: &InboundRecord,
) -> RecordedInbound {
    let got = ok(
        tenants.record_inbound(store, inbound).await,
        "record_inbound (new wamid)",
    );
    assert!(
        !got.duplicate && got.replies.is_empty(),
        "record_inbound of a new wamid must not be a duplicate: {got:?}"
    );
    got
}

/// `inbound`'s message as `record_inbound` stores it: in the conversation found for it.
fn as_stored(inbound: &InboundRecord, conversation: ConversationId) -> Message {
    let mut m = inbound.message.clone();
    m.conversation_id = conversation;
    m
}

/// A message's optional fields round-trip.
pub async fn message_fields(r: &Repos) {
    let tenants = r.tenants.as_ref();
    let t = &provisioned(r.central.as_ref(), r.tenants.as_ref()).await;
    let store = t.id();
    let customer = new_customer(tenants, store).await;
    let conversation = new_conversation(tenants, store, customer.id, t.account.id).await;
    let at = fixtures::now();
    let mut inbound = fixtures::message(
        conversation.id,
        Direction::Inbound,
        fixtures::text("hi"),
        at,
    );
    inbound.handled_at = Some(at + TimeDelta::seconds(1));
    let mut outbound = fixtures::reply(conversation.id, inbound.id, "Welcome!", at);
    outbound.wamid = Some(fixtures::wamid());
    outbound.status = Some(MessageStatus::Failed);
    outbound.status_at = Some(at + TimeDelta::seconds(2));
    outbound.error = Some("131047: Re-engagement message".into());
    for m in [&inbound, &outbound] {
        ok(tenants.insert_message(store, m).await, "insert_message");
        assert_eq!(
            stored_message(tenants, store, m.id).await,
            *m,
            "insert_message then find_message must keep every field (status, error, keys, times)"
        );
    }
    let wamid = outbound.wamid.clone().unwrap_or_default();
    assert_eq!(
        ok(
            tenants.find_message_by_wamid(store, &wamid).await,
            "find_message_by_wamid"
        ),
        Some(outbound.clone()),
        "find_message_by_wamid must find an outbound message by its wamid"
    );
    assert_eq!(
        ok(
            tenants.list_messages(store, conversation.id, 10).await,
            "list_messages"
        ),
        vec![inbound, outbound.clone()],
        "list_messages must return every field"
    );
    let mut twin = fixtures::reply(conversation.id, MessageId::new(), "again", at);
    twin.idempotency_key.clone_from(&outbound.idempotency_key);
    conflict(
        tenants.insert_message(store, &twin).await,
        "insert_message with an idempotency key already stored",
    );
    assert_eq!(
        ok(
            tenants.find_message(store, MessageId::new()).await,
            "find_message"
        ),
        None,
        "find_message of an unknown id must be None"
    );
    assert_eq!(
        ok(
            tenants
                .find_message_by_wamid(store, &fixtures::wamid())
                .await,
            "find_message_by_wamid"
        ),
        None,
        "find_message_by_wamid of an unknown wamid must be None"
    );
}

/// `record_inbound` stores customer, conversation and message once per wamid.
pub async fn record_inbound(r: &Repos) {
    let tenants = r.tenants.as_ref();
    let t = &provisioned(r.central.as_ref(), r.tenants.as_ref()).await;
    let store = t.id();
    let at = fixtures::now();
    let first = fixtures::inbound(t.account.id, "menu please", at);
    let got = record_new(tenants, store, &first).await;
    assert_eq!(
        got.customer, first.customer,
        "record_inbound from a new wa_id must store the customer as given"
    );
    let conversation = got.conversation.clone();
    assert_eq!(
        (
            conversation.customer_id,
            conversation.account_id,
            conversation.last_inbound_at()
        ),
        (first.customer.id, t.account.id, Some(at)),
        "record_inbound must create the customer's conversation on the number, last inbound now"
    );
    let expected = as_stored(&first, conversation.id);
    assert_eq!(
        got.message, expected,
        "record_inbound must return the message as stored, in the customer's conversation"
    );
    assert_eq!(
        ok(
            tenants.find_customer(store, first.customer.id).await,
            "find_customer"
        ),
        Some(first.customer.clone()),
        "record_inbound must store the customer"
    );
    assert_eq!(
        ok(
            tenants
                .find_conversation(store, first.customer.id, t.account.id)
                .await,
            "find_conversation"
        ),
        Some(conversation.clone()),
        "record_inbound must store the conversation it returns"
    );
    let wamid = first.message.wamid.clone().unwrap_or_default();
    assert_eq!(
        ok(
            tenants.find_message_by_wamid(store, &wamid).await,
            "find_message_by_wamid"
        ),
        Some(expected.clone()),
        "record_inbound must store the message"
    );

    // The same customer a minute later with a new profile name: the stored customer and
    // conversation are reused, and the window moves forward.
    let later_at = at + TimeDelta::minutes(1);
    let mut later = fixtures::next_inbound(&first, "2 zinger", later_at);
    later.customer.name = Some("Ayesha K.".into());
    later.customer.phone = None;
    let got = record_new(tenants, store, &later).await;
    let mut customer = first.customer.clone();
    customer.name.clone_from(&later.customer.name);
    assert_eq!(
        got.customer, customer,
        "record_inbound from a known wa_id must keep its id, creation time and phone and take the new name"
    );
    assert_eq!(
        ok(
            tenants.find_customer(store, later.customer.id).await,
            "find_customer"
        ),
        None,
        "record_inbound from a known wa_id must not store a second customer"
    );
    assert_eq!(
        (got.conversation.id, got.conversation.last_inbound_at()),
        (conversation.id, Some(later_at)),
        "a later message must reuse the conversation and move last_inbound_at forward"
    );

    // A delayed webhook: an older message is stored but does not move the window back. (The
    // later records repeat `later`'s profile, so the stored customer stays `customer`.)
    let older = fixtures::next_inbound(&later, "hello?", at - TimeDelta::minutes(1));
    let got = record_new(tenants, store, &older).await;
    assert_eq!(
        got.conversation.last_inbound_at(),
        Some(later_at),
        "an older message must not move last_inbound_at backwards"
    );
    assert_eq!(
        ok(
            tenants
                .find_conversation(store, customer.id, t.account.id)
                .await,
            "find_conversation"
        )
        .and_then(|c| c.last_inbound_at()),
        Some(later_at),
        "an older message must not move the stored last_inbound_at backwards"
    );
    let mut thread = vec![
        as_stored(&older, conversation.id),
        expected.clone(),
        as_stored(&later, conversation.id),
    ];
    assert_eq!(
        ok(
            tenants.list_messages(store, conversation.id, 100).await,
            "list_messages"
        ),
        thread,
        "every recorded message must be stored in the conversation"
    );

    // The same customer on another of the store's numbers: another conversation.
    let elsewhere = AccountId::new();
    let mut other = fixtures::next_inbound(&later, "hi", later_at);
    other.account_id = elsewhere;
    other.customer.name = None;
    let got = record_new(tenants, store, &other).await;
    assert!(
        got.conversation.id != conversation.id && got.conversation.account_id == elsewhere,
        "a known customer on another number must get a new conversation: {got:?}"
    );
    assert_eq!(
        got.customer, customer,
        "a message without profile name or phone must leave the customer's as stored"
    );

    // A redelivery: a different body, name and time under the same wamid change nothing.
    let mut again = fixtures::next_inbound(&later, "copy", at + TimeDelta::minutes(5));
    again.message.wamid = first.message.wamid.clone();
    again.customer.name = Some("Someone Else".into());
    let dup = ok(
        tenants.record_inbound(store, &again).await,
        "record_inbound (stored wamid)",
    );
    let current = ok(
        tenants
            .find_conversation(store, customer.id, t.account.id)
            .await,
        "find_conversation",
    );
    assert!(
        dup.duplicate,
        "record_inbound of a stored wamid must say duplicate"
    );
    assert_eq!(
        (
            &dup.message,
            &dup.customer,
            Some(&dup.conversation),
            dup.replies.len()
        ),
        (&expected, &customer, current.as_ref(), 0),
        "a duplicate must return the first message, its customer and conversation unchanged, and no replies before it is handled"
    );
    assert_eq!(
        current.and_then(|c| c.last_inbound_at()),
        Some(later_at),
        "a duplicate must not move last_inbound_at"
    );
    assert_eq!(
        ok(
            tenants.find_message(store, again.message.id).await,
            "find_message"
        ),
        None,
        "a duplicate must not be stored"
    );
    thread.sort_by_key(|m| (m.created_at, m.id));
    assert_eq!(
        ok(
            tenants.list_messages(store, conversation.id, 100).await,
            "list_messages"
        ),
        thread,
        "a duplicate must not add a message"
    );

    // The wamid is required.
    let mut bare = fixtures::inbound(t.account.id, "no wamid", at);
    bare.message.wamid = None;
    assert!(
        tenants.record_inbound(store, &bare).await.is_err(),
        "record_inbound of a message without wamid must fail"
    );
    assert_eq!(
        ok(
            tenants.find_customer(store, bare.customer.id).await,
            "find_customer"
        ),
        None,
        "a failed record_inbound must store nothing"
    );
}

/// A completion that saves a conversation and replies only, each reply sent as buttons
/// (a content its text body does not carry, so a lost content shows).
pub(super) fn completion(
    conversation: &Conversation,
    replies: &[Message],
) -> omni_ports::Completion {
    omni_ports::Completion {
        conversation: conversation.clone(),
        order: None,
        replies: replies.iter().map(with_buttons).collect(),
        transcript: None,
        media_path: None,
    }
}

/// A reply whose content is its text with two reply buttons.
fn with_buttons(message: &Message) -> Reply {
    let button = |id: &str, title: &str| ReplyButton {
        id: format!("{id}:{}", message.id),
        title: title.to_owned(),
    };
    Reply {
        message: message.clone(),
        content: OutboundContent::ReplyButtons {
            header: Some("Menu".into()),
            body: match &message.body {
                MessageBody::Text { body } => body.clone(),
                _ => String::new(),
            },
            footer: None,
            buttons: vec![button("yes", "Yes"), button("no", "No")],
        },
    }
}

/// `complete_inbound` saves a turn's changes and replies together, replayed once.
pub async fn complete_inbound(r: &Repos) {
    let tenants = r.tenants.as_ref();
    let t = &provisioned(r.central.as_ref(), r.tenants.as_ref()).await;
    let store = t.id();
    let at = fixtures::now();
    let record = fixtures::inbound(t.account.id, "menu", at);
    let recorded = record_new(tenants, store, &record).await;
    let inbound = recorded.message.id;
    let mut conversation = recorded.conversation.clone();
    conversation.state = fixtures::state("showing_menu");
    conversation.context = serde_json::json!({ "cart": [], "lang": "ur" });
    conversation.updated_at = at + TimeDelta::seconds(1);
    let replies = vec![
        fixtures::reply(
            conversation.id,
            inbound,
            "Here is our menu",
            at + TimeDelta::seconds(1),
        ),
        fixtures::reply(
            conversation.id,
            inbound,
            "What would you like?",
            at + TimeDelta::seconds(2),
        ),
    ];
    let handled_at = at + TimeDelta::seconds(3);
    let first = completion(&conversation, &replies);
    assert_eq!(
        ok(
            tenants
                .complete_inbound(store, inbound, &first, handled_at)
                .await,
            "complete_inbound"
        ),
        first.replies,
        "complete_inbound must return the replies as stored, each with its content"
    );
    assert_eq!(
        stored_message(tenants, store, inbound).await.handled_at,
        Some(handled_at),
        "complete_inbound must mark the inbound message handled"
    );
    assert_eq!(
        ok(
            tenants
                .find_conversation(store, recorded.customer.id, t.account.id)
                .await,
            "find_conversation"
        ),
        Some(conversation.clone()),
        "complete_inbound must save the conversation's state, context and updated_at"
    );
    for reply in &replies {
        assert_eq!(
            ok(tenants.find_message(store, reply.id).await, "find_message"),
            Some(reply.clone()),
            "complete_inbound must store every reply"
        );
    }

    // The webhook redelivered after handling: the saved replies come back, to be sent again.
    let dup = ok(
        tenants.record_inbound(store, &record).await,
        "record_inbound (handled wamid)",
    );
    assert!(
        dup.duplicate,
        "record_inbound of a handled wamid must say duplicate"
    );
    let saved: Vec<SavedReply> = first
        .replies
        .iter()
        .map(|r| SavedReply {
            message: r.message.clone(),
            content: Some(r.content.clone()),
        })
        .collect();
    assert_eq!(
        (dup.message.handled_at, &dup.replies),
        (Some(handled_at), &saved),
        "a duplicate of a handled message must carry its replies with their exact contents, oldest first"
    );

    // The handler ran again (a crash before the outbox took the replies): the same keys with
    // new ids and texts are skipped, and the first replies come back.
    let retried: Vec<Message> = replies
        .iter()
        .map(|r| {
            let mut again = fixtures::reply(
                conversation.id,
                inbound,
                "decided twice",
                at + TimeDelta::seconds(4),
            );
            again.idempotency_key.clone_from(&r.idempotency_key);
            again
        })
        .collect();
    assert_eq!(
        ok(
            tenants
                .complete_inbound(
                    store,
                    inbound,
                    &completion(&conversation, &retried),
                    at + TimeDelta::seconds(5)
                )
                .await,
            "complete_inbound (same keys)"
        ),
        first.replies,
        "complete_inbound with stored idempotency keys must return the replies and contents stored first"
    );
    for r in &retried {
        assert_eq!(
            ok(tenants.find_message(store, r.id).await, "find_message"),
            None,
            "a reply whose idempotency key is stored must not be stored again"
        );
    }
    assert_eq!(
        ok(
            tenants.list_messages(store, conversation.id, 100).await,
            "list_messages"
        )
        .len(),
        1 + replies.len(),
        "completing twice must store each reply once"
    );

    // Unknown inbound message or conversation: NotFound, and nothing written.
    let other = record_new(
        tenants,
        store,
        &fixtures::inbound(t.account.id, "hello", at),
    )
    .await;
    let reply = fixtures::reply(other.conversation.id, other.message.id, "Hi!", at);
    not_found(
        tenants
            .complete_inbound(
                store,
                MessageId::new(),
                &completion(&other.conversation, std::slice::from_ref(&reply)),
                at,
            )
            .await,
        "complete_inbound of an unknown inbound message",
    );
    not_found(
        tenants
            .complete_inbound(
                store,
                other.message.id,
                &completion(
                    &fixtures::conversation(other.customer.id, AccountId::new()),
                    std::slice::from_ref(&reply),
                ),
                at,
            )
            .await,
        "complete_inbound with an unknown conversation",
    );
    assert_eq!(
        (
            ok(tenants.find_message(store, reply.id).await, "find_message"),
            stored_message(tenants, store, other.message.id)
                .await
                .handled_at
        ),
        (None, None),
        "a failed complete_inbound must store no reply and leave the message unhandled"
    );
}

/// When each status of the permutation tests happens: later statuses later.
fn status_time(base: DateTime<Utc>, status: MessageStatus) -> DateTime<Utc> {
    base + TimeDelta::seconds(i64::from(status.rank()))
}

/// Delivery statuses never go backwards and wait for an unknown wamid.
pub async fn statuses(r: &Repos) {
    let tenants = r.tenants.as_ref();
    let t = &provisioned(r.central.as_ref(), r.tenants.as_ref()).await;
    let store = t.id();
    let base = fixtures::now();
    let recorded = record_new(
        tenants,
        store,
        &fixtures::inbound(t.account.id, "order", base),
    )
    .await;
    // A queued reply with a wamid (already accepted by Meta).
    let outbound = async || {
        let mut m = fixtures::reply(
            recorded.conversation.id,
            recorded.message.id,
            "Order confirmed",
            base,
        );
        m.wamid = Some(fixtures::wamid());
        ok(tenants.insert_message(store, &m).await, "insert_message");
        let wamid = m.wamid.clone().unwrap_or_default();
        (m, wamid)
    };
    let apply = async |wamid: &str, status: MessageStatus, error: Option<&str>| {
        ok(
            tenants
                .apply_status(store, wamid, status, status_time(base, status), error)
                .await,
            "apply_status",
        )
    };

    use MessageStatus::{Delivered, Failed, Read, Sent};
    // Meta's statuses in any order: the message ends read, each status applied only when it
    // is above every earlier one.
    for order in [
        [Sent, Delivered, Read],
        [Sent, Read, Delivered],
        [Delivered, Sent, Read],
        [Delivered, Read, Sent],
        [Read, Sent, Delivered],
        [Read, Delivered, Sent],
    ] {
        let (m, wamid) = outbound().await;
        let mut outcomes = Vec::new();
        let mut expected = Vec::new();
        let mut highest = MessageStatus::Queued.rank();
        for status in order {
            outcomes.push(apply(&wamid, status, None).await);
            expected.push(if status.rank() > highest {
                highest = status.rank();
                StatusOutcome::Applied
            } else {
                StatusOutcome::Stale
            });
        }
        let stored = stored_message(tenants, store, m.id).await;
        assert_eq!(
            (stored.status, stored.status_at, outcomes),
            (Some(Read), Some(status_time(base, Read)), expected),
            "statuses {order:?} must end read and apply only forward"
        );
    }

    // The same status twice: the second is stale.
    let (m, wamid) = outbound().await;
    assert_eq!(
        (
            apply(&wamid, Delivered, None).await,
            apply(&wamid, Delivered, None).await
        ),
        (StatusOutcome::Applied, StatusOutcome::Stale),
        "a status already applied must be stale"
    );
    // Failed is above delivered (MessageStatus::supersedes) and final.
    let error = "131026: Message undeliverable";
    assert_eq!(
        apply(&wamid, Failed, Some(error)).await,
        StatusOutcome::Applied,
        "failed after delivered must apply"
    );
    assert_eq!(
        (
            apply(&wamid, Read, None).await,
            apply(&wamid, Delivered, None).await
        ),
        (StatusOutcome::Stale, StatusOutcome::Stale),
        "nothing may replace failed"
    );
    let stored = stored_message(tenants, store, m.id).await;
    assert_eq!(
        (stored.status, stored.status_at, stored.error.as_deref()),
        (Some(Failed), Some(status_time(base, Failed)), Some(error)),
        "a failed status must be stored with its error"
    );
    // Read is final too: a later failure is stale and its error is not stored.
    let (m, wamid) = outbound().await;
    assert_eq!(
        (
            apply(&wamid, Read, None).await,
            apply(&wamid, Failed, Some(error)).await
        ),
        (StatusOutcome::Applied, StatusOutcome::Stale),
        "failed after read must be stale"
    );
    let stored = stored_message(tenants, store, m.id).await;
    assert_eq!(
        (stored.status, stored.error),
        (Some(Read), None),
        "a stale failure must change nothing"
    );

    // Statuses that overtake our record of the send are kept, and applied by record_sent.
    let reply = async || {
        let m = fixtures::reply(
            recorded.conversation.id,
            recorded.message.id,
            "Your rider is on the way",
            base,
        );
        ok(tenants.insert_message(store, &m).await, "insert_message");
        m
    };
    let early = fixtures::wamid();
    assert_eq!(
        (
            apply(&early, Delivered, None).await,
            apply(&early, Read, None).await,
            apply(&early, Read, None).await
        ),
        (
            StatusOutcome::Kept,
            StatusOutcome::Kept,
            StatusOutcome::Kept
        ),
        "statuses of an unknown wamid must be kept"
    );
    assert_eq!(
        ok(
            tenants.find_message_by_wamid(store, &early).await,
            "find_message_by_wamid"
        ),
        None,
        "a kept status must not create a message"
    );
    let m = reply().await;
    ok(
        tenants
            .record_sent(store, m.id, &early, base + TimeDelta::seconds(1))
            .await,
        "record_sent",
    );
    let stored = stored_message(tenants, store, m.id).await;
    assert_eq!(
        (stored.wamid.as_deref(), stored.status, stored.status_at),
        (
            Some(early.as_str()),
            Some(Read),
            Some(status_time(base, Read))
        ),
        "record_sent must apply the kept read status"
    );
    assert_eq!(
        apply(&early, Delivered, None).await,
        StatusOutcome::Stale,
        "a status below the applied kept one must be stale"
    );

    let early = fixtures::wamid();
    assert_eq!(
        apply(&early, Delivered, None).await,
        StatusOutcome::Kept,
        "a status of an unknown wamid must be kept"
    );
    let m = reply().await;
    ok(
        tenants
            .record_sent(store, m.id, &early, base + TimeDelta::seconds(1))
            .await,
        "record_sent",
    );
    let stored = stored_message(tenants, store, m.id).await;
    assert_eq!(
        (stored.status, stored.status_at),
        (Some(Delivered), Some(status_time(base, Delivered))),
        "record_sent must apply a kept delivered status"
    );
    assert_eq!(
        apply(&early, Read, None).await,
        StatusOutcome::Applied,
        "read after a kept delivered must apply"
    );
}

/// `record_sent` and the other send records of a queued reply.
pub async fn send_records(r: &Repos) {
    let tenants = r.tenants.as_ref();
    let t = &provisioned(r.central.as_ref(), r.tenants.as_ref()).await;
    let store = t.id();
    let at = fixtures::now();
    let recorded = record_new(
        tenants,
        store,
        &fixtures::inbound(t.account.id, "order", at),
    )
    .await;
    let reply = async || {
        let m = fixtures::reply(recorded.conversation.id, recorded.message.id, "Thanks!", at);
        ok(tenants.insert_message(store, &m).await, "insert_message");
        m
    };

    let m = reply().await;
    let wamid = fixtures::wamid();
    let sent_at = at + TimeDelta::seconds(1);
    ok(
        tenants.record_sent(store, m.id, &wamid, sent_at).await,
        "record_sent",
    );
    let mut expected = m.clone();
    expected.wamid = Some(wamid.clone());
    expected.status = Some(MessageStatus::Sent);
    expected.status_at = Some(sent_at);
    assert_eq!(
        stored_message(tenants, store, m.id).await,
        expected,
        "record_sent must set the wamid and the sent status, and nothing else"
    );
    assert_eq!(
        ok(
            tenants.find_message_by_wamid(store, &wamid).await,
            "find_message_by_wamid"
        ),
        Some(expected.clone()),
        "a recorded wamid must find the message"
    );
    ok(
        tenants
            .record_sent(store, m.id, &wamid, sent_at + TimeDelta::seconds(1))
            .await,
        "record_sent again",
    );
    assert_eq!(
        stored_message(tenants, store, m.id).await,
        expected,
        "record_sent again must not move the status time"
    );

    let missing = MessageId::new();
    not_found(
        tenants
            .record_sent(store, missing, &fixtures::wamid(), at)
            .await,
        "record_sent of an unknown message",
    );
    not_found(
        tenants
            .record_send_failure(store, missing, "error", at)
            .await,
        "record_send_failure of an unknown message",
    );
    assert_eq!(
        ok(tenants.find_message(store, missing).await, "find_message"),
        None,
        "record_sent or record_send_failure of an unknown message must not create it"
    );

    // A failure before Meta accepted the message.
    let m = reply().await;
    let failed_at = at + TimeDelta::seconds(2);
    let error = "outside the 24-hour window";
    ok(
        tenants
            .record_send_failure(store, m.id, error, failed_at)
            .await,
        "record_send_failure",
    );
    let stored = stored_message(tenants, store, m.id).await;
    assert_eq!(
        (stored.status, stored.status_at, stored.error.as_deref()),
        (Some(MessageStatus::Failed), Some(failed_at), Some(error)),
        "record_send_failure must mark the message failed with its error"
    );
    ok(
        tenants
            .record_sent(store, m.id, &fixtures::wamid(), failed_at)
            .await,
        "record_sent after a failure",
    );
    assert_eq!(
        stored_message(tenants, store, m.id).await.status,
        Some(MessageStatus::Failed),
        "record_sent must not replace failed"
    );

    // A failure recorded after the message was read changes nothing.
    let m = reply().await;
    let wamid = fixtures::wamid();
    ok(
        tenants.record_sent(store, m.id, &wamid, at).await,
        "record_sent",
    );
    ok(
        tenants
            .apply_status(store, &wamid, MessageStatus::Read, at, None)
            .await,
        "apply_status",
    );
    ok(
        tenants
            .record_send_failure(store, m.id, error, failed_at)
            .await,
        "record_send_failure after read",
    );
    let stored = stored_message(tenants, store, m.id).await;
    assert_eq!(
        (stored.status, stored.error),
        (Some(MessageStatus::Read), None),
        "record_send_failure must not replace read"
    );
}

/// The auto-reply: set, replaced, cleared, per store.
pub async fn auto_reply(r: &Repos) {
    let tenants = r.tenants.as_ref();
    let a = &provisioned(r.central.as_ref(), r.tenants.as_ref()).await;
    let b = &provisioned(r.central.as_ref(), r.tenants.as_ref()).await;
    let store = a.id();
    let read = async |store: StoreId| ok(tenants.auto_reply(store).await, "auto_reply");
    assert_eq!(read(store).await, None, "a new store has no auto-reply");
    let at = fixtures::now();
    ok(
        tenants
            .set_auto_reply(store, Some("We open at 12 pm."), at)
            .await,
        "set_auto_reply",
    );
    assert_eq!(
        read(store).await.as_deref(),
        Some("We open at 12 pm."),
        "set_auto_reply must store the text"
    );
    ok(
        tenants
            .set_auto_reply(store, Some("ہم 12 بجے کھلتے ہیں"), at)
            .await,
        "set_auto_reply (replace)",
    );
    assert_eq!(
        read(store).await.as_deref(),
        Some("ہم 12 بجے کھلتے ہیں"),
        "set_auto_reply must replace the text"
    );
    assert_eq!(
        read(b.id()).await,
        None,
        "one store's auto-reply must not show in another"
    );
    ok(
        tenants.set_auto_reply(store, None, at).await,
        "set_auto_reply (clear)",
    );
    assert_eq!(
        read(store).await,
        None,
        "set_auto_reply(None) must clear it"
    );
    ok(
        tenants.set_auto_reply(store, None, at).await,
        "set_auto_reply (clear when clear)",
    );
    assert_eq!(read(store).await, None, "clearing twice must stay clear");
}
