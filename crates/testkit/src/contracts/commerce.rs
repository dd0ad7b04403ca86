//! The [`CommerceRepo`] contract, with the commerce parts of `complete_inbound`: menu and
//! payment-method management, ordering settings, open orders and filters, proof hashes, owner
//! actions saved with their messages (compare and set, idempotency keys), one turn's order
//! change saved with its replies or not at all, the agent pause flag, the token count, and
//! isolation between stores.

use chrono::{NaiveDate, TimeDelta};
use omni_domain::{
    Direction, MenuVariant, Message, MessageBody, MessageId, MessageStatus, Money, OrderStatus,
    PaymentMethodKind, PaymentStatus, StoreSettings, TemplateRef,
};
use omni_ports::{OrderFilter, OrderWrite};

use super::tenant::{provisioned, record_new};
use super::{Repos, conflict, not_found, ok};
use crate::fixtures;

/// Menu management through the commerce port, with variants, per store.
pub async fn menu(r: &Repos) {
    let tenants = r.tenants.as_ref();
    let commerce = r.commerce.as_ref();
    let a = &provisioned(r.central.as_ref(), r.tenants.as_ref()).await;
    let b = &provisioned(r.central.as_ref(), r.tenants.as_ref()).await;
    let mut pizza = fixtures::menu_item("Tikka Pizza", Some("Pizza"), 90_000);
    pizza.variants = vec![
        MenuVariant {
            name: "Small".into(),
            price: Money::pkr_paisa(90_000),
        },
        MenuVariant {
            name: "Large".into(),
            price: Money::pkr_paisa(160_000),
        },
    ];
    ok(
        tenants.insert_menu_item(a.id(), &pizza).await,
        "insert_menu_item",
    );
    assert_eq!(
        ok(
            commerce.find_menu_item(a.id(), pizza.id).await,
            "find_menu_item"
        ),
        Some(pizza.clone()),
        "a menu item must round-trip with its variants"
    );
    assert_eq!(
        ok(
            commerce.find_menu_item(b.id(), pizza.id).await,
            "find_menu_item (other store)"
        ),
        None,
        "another store must not see the item"
    );
    let mut changed = pizza.clone();
    changed.name = "Chicken Tikka Pizza".into();
    changed.available = false;
    changed.variants.pop();
    changed.description = Some("Thin crust".into());
    ok(
        commerce.update_menu_item(a.id(), &changed).await,
        "update_menu_item",
    );
    assert_eq!(
        ok(
            commerce.find_menu_item(a.id(), pizza.id).await,
            "find_menu_item"
        ),
        Some(changed.clone()),
        "update_menu_item must replace every field"
    );
    not_found(
        commerce.update_menu_item(b.id(), &changed).await,
        "update_menu_item in another store",
    );
    not_found(
        commerce.delete_menu_item(b.id(), pizza.id).await,
        "delete_menu_item in another store",
    );
    ok(
        commerce.delete_menu_item(a.id(), pizza.id).await,
        "delete_menu_item",
    );
    not_found(
        commerce.delete_menu_item(a.id(), pizza.id).await,
        "delete_menu_item twice",
    );
    assert_eq!(
        ok(
            commerce.find_menu_item(a.id(), pizza.id).await,
            "find_menu_item"
        ),
        None
    );
}

/// Payment-method management through the commerce port.
pub async fn payment_methods(r: &Repos) {
    let tenants = r.tenants.as_ref();
    let commerce = r.commerce.as_ref();
    let a = &provisioned(r.central.as_ref(), r.tenants.as_ref()).await;
    let m = fixtures::payment_method(PaymentMethodKind::Easypaisa);
    ok(
        tenants.insert_payment_method(a.id(), &m).await,
        "insert_payment_method",
    );
    assert_eq!(
        ok(
            commerce.find_payment_method(a.id(), m.id).await,
            "find_payment_method"
        ),
        Some(m.clone()),
        "a payment method must round-trip with its instructions"
    );
    let mut changed = m.clone();
    changed.kind = PaymentMethodKind::BankTransfer;
    changed.label = "Meezan Bank".into();
    changed.details = "PK36MEZN0001234567890123".into();
    changed.instructions = None;
    changed.active = false;
    ok(
        commerce.update_payment_method(a.id(), &changed).await,
        "update_payment_method",
    );
    assert_eq!(
        ok(
            commerce.find_payment_method(a.id(), m.id).await,
            "find_payment_method"
        ),
        Some(changed)
    );
    ok(
        commerce.delete_payment_method(a.id(), m.id).await,
        "delete_payment_method",
    );
    not_found(
        commerce.delete_payment_method(a.id(), m.id).await,
        "delete_payment_method twice",
    );
}

/// Ordering settings: none until set, then stored per store.
pub async fn settings(r: &Repos) {
    let commerce = r.commerce.as_ref();
    let a = &provisioned(r.central.as_ref(), r.tenants.as_ref()).await;
    let b = &provisioned(r.central.as_ref(), r.tenants.as_ref()).await;
    assert_eq!(
        ok(commerce.settings(a.id()).await, "settings"),
        None,
        "no settings until set"
    );
    let mut s = StoreSettings::defaults(omni_domain::Currency::PKR);
    s.delivery_fee = Money::pkr_paisa(15_000);
    s.min_order = Money::pkr_paisa(50_000);
    s.voice_replies = true;
    s.rider_template = Some(TemplateRef {
        name: "rider_new_order".into(),
        language: "en_US".into(),
    });
    ok(
        commerce.set_settings(a.id(), &s, fixtures::now()).await,
        "set_settings",
    );
    assert_eq!(
        ok(commerce.settings(a.id()).await, "settings"),
        Some(s.clone())
    );
    s.rider_template = None;
    s.voice_replies = false;
    ok(
        commerce.set_settings(a.id(), &s, fixtures::now()).await,
        "set_settings again",
    );
    assert_eq!(
        ok(commerce.settings(a.id()).await, "settings"),
        Some(s),
        "setting again must replace"
    );
    assert_eq!(
        ok(commerce.settings(b.id()).await, "settings (other store)"),
        None
    );
}

/// Open orders, filters, proof hashes and owner actions with their messages.
pub async fn orders(r: &Repos) {
    let tenants = r.tenants.as_ref();
    let commerce = r.commerce.as_ref();
    let a = &provisioned(r.central.as_ref(), r.tenants.as_ref()).await;
    let b = &provisioned(r.central.as_ref(), r.tenants.as_ref()).await;
    let store = a.id();
    let recorded = record_new(
        tenants,
        store,
        &fixtures::inbound(a.account.id, "hi", fixtures::now()),
    )
    .await;
    let conversation = recorded.conversation.id;
    assert_eq!(
        ok(commerce.open_order(store, conversation).await, "open_order"),
        None
    );
    let at = fixtures::now();
    let mut delivered = fixtures::order(recorded.customer.id);
    delivered.conversation_id = Some(conversation);
    delivered.created_at = at - TimeDelta::hours(2);
    delivered = delivered.with_status(OrderStatus::Delivered);
    ok(
        tenants.insert_order(store, &delivered).await,
        "insert_order (delivered)",
    );
    assert_eq!(
        ok(commerce.open_order(store, conversation).await, "open_order"),
        None,
        "a delivered order is not open"
    );
    let mut placed = fixtures::order(recorded.customer.id);
    placed.conversation_id = Some(conversation);
    placed.created_at = at - TimeDelta::hours(1);
    placed.items.push(omni_domain::OrderItem {
        menu_item_id: omni_domain::MenuItemId::new(),
        name: "Zinger".into(),
        unit_price: Money::pkr_paisa(65_000),
        quantity: 2,
        variant: None,
    });
    placed.delivery_fee = Money::pkr_paisa(15_000);
    placed.delivery_location =
        omni_domain::GeoPoint::new(24.86, 67.0, Some("Home".into()), None).ok();
    placed.rider = Some(omni_domain::Rider {
        name: "Imran".into(),
        phone: omni_domain::PhoneNumber::parse("+923211234567").unwrap_or_else(|e| panic!("{e}")),
    });
    placed = placed.with_status(OrderStatus::Placed);
    ok(
        tenants.insert_order(store, &placed).await,
        "insert_order (placed)",
    );
    assert_eq!(
        ok(commerce.open_order(store, conversation).await, "open_order"),
        Some(placed.clone()),
        "the open order must round-trip with fee, pin and rider"
    );
    assert_eq!(
        ok(
            commerce.open_order(b.id(), conversation).await,
            "open_order (other store)"
        ),
        None
    );
    let filter = |statuses: Vec<OrderStatus>, payment: Option<PaymentStatus>| OrderFilter {
        statuses,
        payment,
        limit: 10,
    };
    let ids =
        |orders: Vec<omni_domain::Order>| orders.into_iter().map(|o| o.id).collect::<Vec<_>>();
    assert_eq!(
        ids(ok(
            commerce
                .list_orders_where(store, &filter(vec![OrderStatus::Placed], None))
                .await,
            "list_orders_where"
        )),
        vec![placed.id]
    );
    assert_eq!(
        ids(ok(
            commerce
                .list_orders_where(store, &filter(vec![], None))
                .await,
            "list_orders_where"
        )),
        vec![placed.id, delivered.id],
        "newest first"
    );
    assert_eq!(
        ids(ok(
            commerce
                .list_orders_where(
                    store,
                    &filter(vec![], Some(PaymentStatus::PendingVerification))
                )
                .await,
            "list_orders_where"
        )),
        vec![]
    );

    // The proof: the owner action's compare and set, with its message.
    let mut proven = placed.clone();
    ok(
        proven
            .payment
            .submit_proof(format!("stores/{store}/proofs/x.jpg"), "ab".repeat(32))
            .map_err(|e| omni_ports::RepoError::conflict(e.to_string())),
        "submit_proof",
    );
    let note = |key: &str| {
        let mut m = Message::new(
            MessageId::new(),
            conversation,
            Direction::Outbound,
            MessageBody::Text {
                body: "Payment received".into(),
            },
            fixtures::now(),
        );
        m.status = Some(MessageStatus::Queued);
        m.idempotency_key = Some(key.to_owned());
        m
    };
    let stale = OrderWrite::Update {
        order: proven.clone(),
        expected_status: OrderStatus::Cart,
        expected_payment: PaymentStatus::Unpaid,
    };
    let first_note = note("owner:contract-1");
    conflict(
        commerce
            .save_order_change(store, &stale, std::slice::from_ref(&first_note))
            .await,
        "save_order_change with stale statuses",
    );
    assert_eq!(
        ok(
            tenants.find_message(store, first_note.id).await,
            "find_message"
        ),
        None,
        "a refused order change must store no message"
    );
    let write = OrderWrite::Update {
        order: proven.clone(),
        expected_status: OrderStatus::Placed,
        expected_payment: PaymentStatus::Unpaid,
    };
    let stored = ok(
        commerce
            .save_order_change(store, &write, std::slice::from_ref(&first_note))
            .await,
        "save_order_change",
    );
    assert_eq!(stored, vec![first_note.clone()]);
    assert_eq!(
        ok(tenants.find_order(store, placed.id).await, "find_order").map(|o| o.payment),
        Some(proven.payment.clone())
    );
    // The same key again (a retried action) is stored once.
    let again = OrderWrite::Update {
        order: proven.clone(),
        expected_status: OrderStatus::Placed,
        expected_payment: PaymentStatus::PendingVerification,
    };
    let twice = ok(
        commerce
            .save_order_change(store, &again, &[note("owner:contract-1")])
            .await,
        "save_order_change (same key)",
    );
    assert_eq!(
        twice,
        vec![first_note],
        "an idempotency key already stored returns the first message"
    );
    assert_eq!(
        ids(ok(
            commerce
                .list_orders_where(
                    store,
                    &filter(vec![], Some(PaymentStatus::PendingVerification))
                )
                .await,
            "list_orders_where"
        )),
        vec![placed.id]
    );
    // Another order with the same screenshot bytes.
    let mut second = fixtures::order(recorded.customer.id);
    second
        .payment
        .submit_proof("p2".into(), "ab".repeat(32))
        .unwrap_or_else(|e| panic!("{e}"));
    ok(
        tenants.insert_order(store, &second).await,
        "insert_order (second)",
    );
    assert_eq!(
        ok(
            commerce
                .orders_with_proof(store, &"ab".repeat(32), second.id)
                .await,
            "orders_with_proof"
        ),
        vec![placed.id]
    );
    assert_eq!(
        ok(
            commerce
                .orders_with_proof(store, &"cd".repeat(32), second.id)
                .await,
            "orders_with_proof"
        ),
        vec![]
    );
    assert_eq!(
        ok(
            commerce
                .orders_with_proof(b.id(), &"ab".repeat(32), second.id)
                .await,
            "orders_with_proof (other store)"
        ),
        vec![]
    );
}

/// One turn: the order change, the replies, the transcript, the media path and the pause
/// flag are saved together, or nothing is.
pub async fn turns(r: &Repos) {
    let tenants = r.tenants.as_ref();
    let commerce = r.commerce.as_ref();
    let a = &provisioned(r.central.as_ref(), r.tenants.as_ref()).await;
    let store = a.id();
    let at = fixtures::now();
    let recorded = record_new(
        tenants,
        store,
        &fixtures::inbound(a.account.id, "2 zinger", at),
    )
    .await;
    let mut conversation = recorded.conversation.clone();
    conversation.state = fixtures::state("ordering");
    conversation.agent_paused = true;
    let mut cart = fixtures::order(recorded.customer.id);
    cart.conversation_id = Some(conversation.id);
    let reply = fixtures::reply(conversation.id, recorded.message.id, "Added", at);
    let mut completion = super::tenant::completion(&conversation, std::slice::from_ref(&reply));
    completion.order = Some(OrderWrite::Insert(cart.clone()));
    completion.transcript = Some("do zinger".into());
    completion.media_path = Some("stores/x/voice.ogg".into());
    ok(
        tenants
            .complete_inbound(store, recorded.message.id, &completion, at)
            .await,
        "complete_inbound with an order",
    );
    assert_eq!(
        ok(
            commerce.open_order(store, conversation.id).await,
            "open_order"
        ),
        Some(cart.clone()),
        "the turn's new order must be saved"
    );
    let m = ok(
        tenants.find_message(store, recorded.message.id).await,
        "find_message",
    )
    .unwrap_or_else(|| panic!("the inbound message"));
    assert_eq!(
        (m.transcript.as_deref(), m.media_path.as_deref()),
        (Some("do zinger"), Some("stores/x/voice.ogg"))
    );
    assert_eq!(
        ok(
            commerce
                .find_conversation_by_id(store, conversation.id)
                .await,
            "find_conversation_by_id"
        )
        .map(|c| (c.state, c.agent_paused)),
        Some((fixtures::state("ordering"), true)),
        "the turn must save the pause flag"
    );
    // A turn whose order changed meanwhile: Conflict, and nothing of it is written.
    let other = record_new(
        tenants,
        store,
        &fixtures::inbound(a.account.id, "3 zinger", at),
    )
    .await;
    let mut stale_cart = cart.clone();
    stale_cart.items.clear();
    let late_reply = fixtures::reply(other.conversation.id, other.message.id, "Removed", at);
    let mut stale =
        super::tenant::completion(&other.conversation, std::slice::from_ref(&late_reply));
    stale.order = Some(OrderWrite::Update {
        order: stale_cart,
        expected_status: OrderStatus::Placed,
        expected_payment: PaymentStatus::Unpaid,
    });
    stale.transcript = Some("never".into());
    conflict(
        tenants
            .complete_inbound(store, other.message.id, &stale, at)
            .await,
        "complete_inbound with a stale order",
    );
    let m = ok(
        tenants.find_message(store, other.message.id).await,
        "find_message",
    )
    .unwrap_or_else(|| panic!("the inbound message"));
    assert_eq!(
        (
            m.handled_at,
            m.transcript,
            ok(
                tenants.find_message(store, late_reply.id).await,
                "find_message"
            )
        ),
        (None, None, None),
        "a refused turn must write nothing"
    );
}

/// The agent pause flag and the token count, per store.
pub async fn conversations_and_tokens(r: &Repos) {
    let tenants = r.tenants.as_ref();
    let commerce = r.commerce.as_ref();
    let a = &provisioned(r.central.as_ref(), r.tenants.as_ref()).await;
    let b = &provisioned(r.central.as_ref(), r.tenants.as_ref()).await;
    let store = a.id();
    let recorded = record_new(
        tenants,
        store,
        &fixtures::inbound(a.account.id, "hello", fixtures::now()),
    )
    .await;
    let id = recorded.conversation.id;
    ok(
        commerce
            .set_agent_paused(store, id, true, fixtures::now())
            .await,
        "set_agent_paused",
    );
    assert_eq!(
        ok(
            commerce.find_conversation_by_id(store, id).await,
            "find_conversation_by_id"
        )
        .map(|c| c.agent_paused),
        Some(true)
    );
    ok(
        commerce
            .set_agent_paused(store, id, false, fixtures::now())
            .await,
        "resume",
    );
    assert_eq!(
        ok(
            commerce.find_conversation_by_id(store, id).await,
            "find_conversation_by_id"
        )
        .map(|c| c.agent_paused),
        Some(false)
    );
    not_found(
        commerce
            .set_agent_paused(b.id(), id, true, fixtures::now())
            .await,
        "set_agent_paused in another store",
    );
    assert!(
        ok(
            commerce.list_conversations(store, 100).await,
            "list_conversations"
        )
        .iter()
        .any(|c| c.id == id)
    );
    assert_eq!(
        ok(
            commerce
                .find_customer_by_wa_id(store, recorded.customer.wa_id())
                .await,
            "find_customer_by_wa_id"
        )
        .map(|c| c.id),
        Some(recorded.customer.id)
    );
    assert_eq!(
        ok(
            commerce
                .find_customer_by_wa_id(b.id(), recorded.customer.wa_id())
                .await,
            "find_customer_by_wa_id"
        ),
        None
    );
    let day = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap_or_default();
    assert_eq!(
        ok(commerce.agent_tokens(store, day).await, "agent_tokens"),
        0
    );
    assert_eq!(
        ok(
            commerce.add_agent_tokens(store, day, 900).await,
            "add_agent_tokens"
        ),
        900
    );
    assert_eq!(
        ok(
            commerce.add_agent_tokens(store, day, 100).await,
            "add_agent_tokens"
        ),
        1_000
    );
    assert_eq!(
        ok(commerce.agent_tokens(store, day).await, "agent_tokens"),
        1_000
    );
    assert_eq!(
        ok(
            commerce
                .agent_tokens(store, day.succ_opt().unwrap_or_default())
                .await,
            "agent_tokens next day"
        ),
        0
    );
    assert_eq!(
        ok(
            commerce.agent_tokens(b.id(), day).await,
            "agent_tokens other store"
        ),
        0
    );
}
