//! Ordering with the rule-based agent: the seed's check, a whole delivery order with a
//! location pin run by the owner to the door, a paused conversation, two stores' menus.

use omni_domain::{OrderStatus, PaymentMethodKind, PaymentStatus};
use omni_meta_sim::webhook::SimMessage;
use serde_json::json;

use super::kitchen::{Customer, Owner, choices, karachi_grill, method, restaurant, shown};
use crate::support::pipeline::{Engine, Harness};

macro_rules! harness {
    () => {
        match Harness::start(Engine::Postgres).await {
            Some(h) => h,
            None => return,
        }
    };
}

#[actix_web::test]
async fn i_want_to_order_a_burger_creates_an_order_and_saves_the_conversation() {
    let h = harness!();
    let r = karachi_grill(&h).await;
    let ali = Customer::new(&h, &r, "923001234567", "Ali");
    let replies = ali.say("I want to order a zinger burger").await;
    assert_eq!(replies.len(), 1, "{replies:?}");
    assert_eq!(
        shown(&replies[0]),
        "Added 1 × Zinger Burger.\n\nYour cart:\n1 × Zinger Burger — Rs 650\nSubtotal: Rs 650"
    );
    assert_eq!(choices(&replies[0]), vec!["checkout", "menu"]);
    // The order is in the store's own database, with the line priced in paisa.
    let order = ali.order().await.expect("an order in the tenant database");
    assert_eq!(order.status(), OrderStatus::Cart);
    assert_eq!(order.items.len(), 1);
    assert_eq!(order.items[0].menu_item_id, r.item("Zinger Burger").id);
    assert_eq!(order.items[0].unit_price.minor(), 65_000);
    assert_eq!(order.account_id, Some(r.number.account.id));
    // The conversation state was saved with the turn.
    let conversation = h
        .state
        .services
        .ports
        .commerce_repo
        .find_conversation_by_id(r.store.id, order.conversation_id.unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(conversation.state, "ordering");
    assert_eq!(order.conversation_state, "ordering");

    // "a burger" is ambiguous on this menu (Zinger, Beef): the agent asks.
    let bilal = Customer::new(&h, &r, "923007654321", "Bilal");
    let replies = bilal.say("I want to order a burger").await;
    assert_eq!(replies.len(), 1);
    let ids = choices(&replies[0]);
    assert_eq!(
        ids,
        vec![
            format!("item:{}", r.item("Beef Burger").id),
            format!("item:{}", r.item("Zinger Burger").id)
        ],
        "{}",
        shown(&replies[0])
    );
    assert!(
        bilal.order().await.is_none(),
        "nothing ordered before the answer"
    );
    h.stop().await;
}

#[actix_web::test]
async fn a_delivery_order_with_a_location_pin_goes_from_cart_to_the_door() {
    let h = harness!();
    let r = karachi_grill(&h).await;
    let owner = Owner::of(&h, &r);
    let (status, _) = owner
        .call(
            reqwest::Method::PUT,
            "/api/owner/ordering-settings",
            Some(json!({"delivery_fee_paisa": 15000, "min_order_paisa": 50000})),
        )
        .await;
    assert_eq!(status, 200);
    let sara = Customer::new(&h, &r, "923009876543", "Sara");

    let hi = sara.say("Assalam o alaikum").await;
    assert_eq!(
        shown(&hi[0]),
        "Assalam o Alaikum, Sara! Welcome to Karachi Grill. What would you like to order today?"
    );
    let added = sara.say("mujhe 2 zinger aur ek fries chahiye").await;
    assert!(
        shown(&added[0]).starts_with("Added 2 × Zinger Burger and 1 × Fries."),
        "{}",
        shown(&added[0])
    );
    // An unavailable dish is refused by name.
    let karahi = sara.say("1 chicken karahi").await;
    assert!(
        shown(&karahi[0]).contains("not available"),
        "{}",
        shown(&karahi[0])
    );

    let where_to = sara.tap("checkout", "Checkout").await;
    assert_eq!(
        where_to[0].body["interactive"]["type"],
        "location_request_message"
    );
    // The pin; with one payment method the agent chooses it and asks to confirm.
    let confirm = sara
        .send(SimMessage::location(
            24.8138,
            67.0296,
            Some("Home"),
            Some("Khayaban-e-Ittehad, DHA Phase 6"),
        ))
        .await;
    let summary = shown(&confirm[0]);
    assert!(summary.contains("Subtotal: Rs 1,550"), "{summary}");
    assert!(summary.contains("Delivery: Rs 150"), "{summary}");
    assert!(summary.contains("Total: Rs 1,700"), "{summary}");
    assert_eq!(choices(&confirm[0]), vec!["confirm", "cancel"]);

    let placed = sara.tap("confirm", "Confirm order").await;
    let order = sara.order().await.unwrap();
    let reference = order.reference();
    assert_eq!(order.status(), OrderStatus::Placed);
    assert_eq!(order.total().unwrap().minor(), 170_000);
    assert_eq!(order.delivery_fee.minor(), 15_000);
    let pin = order.delivery_location.clone().unwrap();
    assert_eq!((pin.latitude, pin.longitude), (24.8138, 67.0296));
    assert_eq!(placed.len(), 2, "{placed:?}");
    assert_eq!(
        shown(&placed[0]),
        format!(
            "Thank you! Your order is placed.\n\nOrder {reference}\n2 × Zinger Burger — Rs 1,300\n1 × Fries — Rs 250\nSubtotal: Rs 1,550\nDelivery: Rs 150\nTotal: Rs 1,700\nDeliver to: Khayaban-e-Ittehad, DHA Phase 6\nPayment: Cash on delivery"
        )
    );
    assert!(shown(&placed[1]).starts_with("Please keep Rs 1,700 ready in cash"));

    // The owner runs it: each step messages the customer.
    let base = format!("/api/owner/orders/{}", order.id);
    let (status, listed) = owner.get("/api/owner/orders?status=placed").await;
    assert_eq!(status, 200);
    assert_eq!(listed[0]["id"], order.id.to_string());
    assert_eq!(listed[0]["total"]["display"], "Rs 1,700");
    assert_eq!(listed[0]["total"]["paisa"], 170_000);
    // Who ordered comes with the list (no request per order).
    assert_eq!(listed[0]["customer_name"], "Sara");
    assert_eq!(listed[0]["customer_phone"], "+923009876543");
    let (status, body) = owner
        .post(&format!("{base}/status"), json!({"status": "delivered"}))
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("illegal_transition"))
    );
    for (to, text) in [
        (
            "confirmed",
            format!(
                "Your order {reference} is confirmed.",
                reference = reference
            ),
        ),
        (
            "preparing",
            format!(
                "Your order {reference} is being prepared.",
                reference = reference
            ),
        ),
    ] {
        let (status, body) = owner
            .post(&format!("{base}/status"), json!({"status": to}))
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["customer_notified"], "queued");
        super::payments::wait_for_text(&h, &sara, &text).await;
    }
    // The rider: the customer hears who; the rider never wrote to the store and there is no
    // rider template, so the rider is not messaged (and the response says so).
    let (status, body) = owner
        .post(
            &format!("{base}/rider"),
            json!({"name": "Imran", "phone": "0321 1234567"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["order"]["rider"]["phone"], "+923211234567");
    assert_eq!(
        (
            body["customer_notified"].as_str(),
            body["rider_notified"].as_str()
        ),
        (Some("queued"), Some("outside_window"))
    );
    super::payments::wait_for_text(
        &h,
        &sara,
        &format!(
            "Imran will deliver your order {}. You can reach them on +923211234567.",
            reference
        ),
    )
    .await;
    // With a rider template, the rider gets the order through it, pin link included.
    h.sim().seed_template(
        r.number.account.waba_id.as_str(),
        omni_meta_sim::SeedTemplate::new(
            "rider_new_order",
            "en_US",
            "New delivery {{1}}: {{2}}. Deliver to {{3}} ({{4}}).",
        ),
    );
    let (status, _) = owner
        .call(
            reqwest::Method::PUT,
            "/api/owner/ordering-settings",
            Some(
                json!({"delivery_fee_paisa": 15000, "min_order_paisa": 50000,
                        "rider_template": {"name": "rider_new_order", "language": "en_US"}}),
            ),
        )
        .await;
    assert_eq!(status, 200);
    let (status, body) = owner
        .post(
            &format!("{base}/rider"),
            json!({"name": "Kashif", "phone": "+923331234567"}),
        )
        .await;
    assert_eq!(
        (status, body["rider_notified"].as_str()),
        (200, Some("queued")),
        "{body}"
    );
    let template = crate::support::pipeline::eventually(
        "the rider template at Meta",
        std::time::Duration::from_secs(20),
        || {
            let sim = h.sim();
            async move {
                sim.sent_messages()
                    .into_iter()
                    .find(|s| s.to == "+923331234567")
            }
        },
    )
    .await;
    assert_eq!(template.kind, "template");
    let params = &template.body["template"]["components"][0]["parameters"];
    assert_eq!(params[0]["text"], reference);
    assert_eq!(
        params[3]["text"],
        "https://maps.google.com/?q=24.813800,67.029600"
    );
    assert!(!params[1]["text"].as_str().unwrap().contains('\n'));

    for (to, text) in [
        (
            "out_for_delivery",
            format!("Your order {} is on its way!", reference),
        ),
        (
            "delivered",
            format!("Your order {} was delivered. Enjoy your meal!", reference),
        ),
    ] {
        let (status, _) = owner
            .post(&format!("{base}/status"), json!({"status": to}))
            .await;
        assert_eq!(status, 200);
        super::payments::wait_for_text(&h, &sara, &text).await;
    }
    let done = h
        .state
        .services
        .ports
        .tenants
        .find_order(r.store.id, order.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(done.status(), OrderStatus::Delivered);
    assert_eq!(
        done.payment.status(),
        PaymentStatus::Unpaid,
        "cash is collected by the rider"
    );
    let (status, detail) = owner.get(&base).await;
    assert_eq!(status, 200);
    assert_eq!(detail["customer_name"], "Sara");
    assert!(
        detail["messages"].as_array().unwrap().len() >= 12,
        "{detail}"
    );
    h.stop().await;
}

#[actix_web::test]
async fn a_paused_conversation_gets_no_automatic_reply_until_resumed() {
    let h = harness!();
    let r = karachi_grill(&h).await;
    let owner = Owner::of(&h, &r);
    let ali = Customer::new(&h, &r, "923001234567", "Ali");
    assert_eq!(ali.say("hi").await.len(), 1);
    let (_, list) = owner.get("/api/owner/conversations").await;
    let id = list[0]["id"].as_str().unwrap().to_owned();
    let (status, body) = owner
        .post(&format!("/api/owner/conversations/{id}/pause"), json!({}))
        .await;
    assert_eq!((status, body["agent_paused"].as_bool()), (200, Some(true)));
    assert!(
        ali.say("2 zinger burgers").await.is_empty(),
        "nothing sent while paused"
    );
    assert!(ali.order().await.is_none(), "and nothing ordered");
    let (status, _) = owner
        .post(&format!("/api/owner/conversations/{id}/resume"), json!({}))
        .await;
    assert_eq!(status, 200);
    let replies = ali.say("2 zinger burgers").await;
    assert!(
        shown(&replies[0]).starts_with("Added 2 × Zinger Burger."),
        "{}",
        shown(&replies[0])
    );
    // Asking for a person pauses the conversation by itself.
    let human = ali.say("I want to talk to a human").await;
    assert_eq!(
        shown(&human[0]),
        "A team member will reply to you here shortly."
    );
    assert!(ali.say("hello?").await.is_empty());
    let (_, list) = owner.get("/api/owner/conversations").await;
    assert_eq!(list[0]["agent_paused"], true);
    h.stop().await;
}

#[actix_web::test]
async fn two_stores_with_different_menus_never_mix() {
    let h = harness!();
    let grill = karachi_grill(&h).await;
    let biryani = restaurant(
        &h,
        "Lahore Biryani House",
        "102290129340502",
        "106540352242502",
        "+923001110002",
        &[
            ("Chicken Biryani", "Rice", 450, true),
            ("Raita", "Sides", 80, true),
        ],
        vec![method(PaymentMethodKind::CashOnDelivery, "Cash", "")],
    )
    .await;
    // The same customer writes to both.
    let at_grill = Customer::new(&h, &grill, "923001234567", "Ali");
    let at_biryani = Customer::new(&h, &biryani, "923001234567", "Ali");
    let no = at_grill.say("2 biryani").await;
    assert!(
        shown(&no[0]).starts_with("Sorry, I didn't understand that."),
        "the grill has no biryani: {}",
        shown(&no[0])
    );
    let yes = at_biryani.say("2 biryani").await;
    assert!(
        shown(&yes[0]).starts_with("Added 2 × Chicken Biryani."),
        "{}",
        shown(&yes[0])
    );
    assert!(at_grill.order().await.is_none());
    let order = at_biryani.order().await.unwrap();
    assert_eq!(
        order.items[0].menu_item_id,
        biryani.item("Chicken Biryani").id
    );
    // The grill's owner sees none of it, not even by id.
    let grill_owner = Owner::of(&h, &grill);
    let (_, orders) = grill_owner.get("/api/owner/orders").await;
    assert_eq!(orders, json!([]));
    let (status, body) = grill_owner
        .get(&format!("/api/owner/orders/{}", order.id))
        .await;
    assert_eq!((status, body["error"].as_str()), (404, Some("not_found")));
    let (status, _) = grill_owner
        .post(
            &format!("/api/owner/orders/{}/status", order.id),
            json!({"status": "cancelled"}),
        )
        .await;
    assert_eq!(status, 404);
    let still = h
        .state
        .services
        .ports
        .tenants
        .find_order(biryani.store.id, order.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(still.status(), OrderStatus::Cart);
    // Each store's menu through the owner API is its own.
    let (_, menu) = grill_owner.get("/api/owner/menu").await;
    let names: Vec<&str> = menu
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        vec!["Beef Burger", "Zinger Burger", "Chicken Karahi", "Fries"]
    );
    h.stop().await;
}

#[actix_web::test]
async fn the_menu_and_payment_methods_are_managed_through_the_owner_api() {
    let h = harness!();
    let r = karachi_grill(&h).await;
    let owner = Owner::of(&h, &r);
    let (status, pizza) = owner
        .post(
            "/api/owner/menu",
            json!({"name": "Tikka Pizza", "category": "Pizza", "price_paisa": 0,
                   "variants": [{"name": "Small", "price_paisa": 90000}, {"name": "Large", "price_paisa": 160000}]}),
        )
        .await;
    assert_eq!(status, 201, "{pizza}");
    assert_eq!(pizza["price"]["display"], "Rs 900");
    for (body, code) in [
        (json!({"name": "", "price_paisa": 100}), "invalid_name"),
        (json!({"name": "X", "price_paisa": -1}), "invalid_price"),
        (
            json!({"name": "X", "price_paisa": 1, "variants": [{"name": "A", "price_paisa": 1}, {"name": "a", "price_paisa": 2}]}),
            "invalid_variants",
        ),
    ] {
        let (status, err) = owner.post("/api/owner/menu", body).await;
        assert_eq!((status, err["error"].as_str()), (400, Some(code)), "{err}");
    }
    // The customer orders a variant by name.
    let ali = Customer::new(&h, &r, "923001234567", "Ali");
    let added = ali.say("1 large tikka pizza").await;
    assert!(
        shown(&added[0]).contains("1 × Tikka Pizza (Large) — Rs 1,600"),
        "{}",
        shown(&added[0])
    );
    // Unavailable now: the agent refuses it.
    let id = pizza["id"].as_str().unwrap();
    let (status, changed) = owner
        .call(
            reqwest::Method::PUT,
            &format!("/api/owner/menu/{id}"),
            Some(json!({"name": "Tikka Pizza", "price_paisa": 0, "available": false,
                        "variants": [{"name": "Small", "price_paisa": 90000}, {"name": "Large", "price_paisa": 160000}]})),
        )
        .await;
    assert_eq!((status, changed["available"].as_bool()), (200, Some(false)));
    let no = ali.say("1 small tikka pizza").await;
    assert!(shown(&no[0]).contains("not available"), "{}", shown(&no[0]));
    let (status, _) = owner
        .call(
            reqwest::Method::DELETE,
            &format!("/api/owner/menu/{id}"),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (status, _) = owner
        .call(
            reqwest::Method::DELETE,
            &format!("/api/owner/menu/{id}"),
            None,
        )
        .await;
    assert_eq!(status, 404);
    // The order keeps its copied line.
    let order = ali.order().await.unwrap();
    assert_eq!(order.items[0].name, "Tikka Pizza");

    let (status, m) = owner
        .post(
            "/api/owner/payment-methods",
            json!({"kind": "easypaisa", "label": "Easypaisa — Ali Raza", "details": "0345 1234567", "instructions": "Send the screenshot."}),
        )
        .await;
    assert_eq!(
        (status, m["needs_proof"].as_bool()),
        (201, Some(true)),
        "{m}"
    );
    let (status, err) = owner
        .post(
            "/api/owner/payment-methods",
            json!({"kind": "bitcoin", "label": "x", "details": "y"}),
        )
        .await;
    assert_eq!((status, err["error"].as_str()), (400, Some("invalid_kind")));
    let (status, err) = owner
        .post(
            "/api/owner/payment-methods",
            json!({"kind": "jazzcash", "label": "JazzCash", "details": ""}),
        )
        .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (400, Some("invalid_details")),
        "a wallet needs its number"
    );
    let (_, methods) = owner.get("/api/owner/payment-methods").await;
    assert_eq!(methods.as_array().unwrap().len(), 2);
    h.stop().await;
}

#[actix_web::test]
async fn on_embedded_sqlite_an_order_is_placed_the_same_way() {
    let h = Harness::start(Engine::Sqlite).await.unwrap();
    let r = karachi_grill(&h).await;
    let ali = Customer::new(&h, &r, "923001234567", "Ali");
    ali.say("2 zinger burgers").await;
    ali.tap("checkout", "Checkout").await;
    ali.send(SimMessage::location(24.86, 67.0, None, None))
        .await;
    let placed = ali.tap("confirm", "Confirm order").await;
    assert!(
        shown(&placed[0]).starts_with("Thank you! Your order is placed."),
        "{}",
        shown(&placed[0])
    );
    let order = ali.order().await.unwrap();
    assert_eq!(
        (order.status(), order.total().unwrap().minor()),
        (OrderStatus::Placed, 130_000)
    );
    assert_eq!(order.conversation_state, "placed");
    h.stop().await;
}
