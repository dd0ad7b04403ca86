//! Payment by transfer: instructions and the exact amount, the screenshot downloaded, checked
//! and kept, the owner's queue, approve and reject, and one screenshot used for two orders.

use std::time::Duration;

use omni_domain::{OrderStatus, PaymentMethodKind, PaymentStatus};
use omni_meta_sim::webhook::SimMessage;
use serde_json::json;

use super::kitchen::{Customer, Owner, Restaurant, method, restaurant, shown};
use crate::support::pipeline::{Engine, Harness, eventually};

/// Waits until the customer received a message showing exactly `text`.
pub async fn wait_for_text(h: &Harness, c: &Customer<'_>, text: &str) {
    let to = format!("+{}", c.wa_id);
    eventually(
        &format!("{text:?} at Meta"),
        Duration::from_secs(20),
        || {
            let sim = h.sim();
            let to = to.clone();
            async move {
                sim.sent_messages()
                    .iter()
                    .any(|s| s.to == to && shown(s) == text)
                    .then_some(())
            }
        },
    )
    .await;
}

async fn jazzcash_grill(h: &Harness) -> Restaurant {
    let mut jazz = method(
        PaymentMethodKind::JazzCash,
        "JazzCash — Karachi Grill",
        "0300 1234567",
    );
    jazz.instructions = Some("Use your order number as the reference.".into());
    restaurant(
        h,
        "Karachi Grill",
        "102290129340601",
        "106540352242601",
        "+923001110061",
        &[("Zinger Burger", "Burgers", 650, true)],
        vec![
            method(PaymentMethodKind::CashOnDelivery, "Cash on delivery", ""),
            jazz,
        ],
    )
    .await
}

/// Orders two zingers to an address and pays by JazzCash; returns the replies to the confirm.
async fn order_by_jazzcash(c: &Customer<'_>) -> Vec<omni_meta_sim::SentRecord> {
    c.say("2 zinger burgers").await;
    c.tap("checkout", "Checkout").await;
    let pay = c.say("House 12, Street 4, DHA Phase 5, Karachi").await;
    let jazz =
        c.r.methods
            .iter()
            .find(|m| m.kind == PaymentMethodKind::JazzCash)
            .unwrap();
    assert!(
        super::kitchen::choices(&pay[0]).contains(&format!("pay:{}", jazz.id)),
        "{}",
        shown(&pay[0])
    );
    c.tap(&format!("pay:{}", jazz.id), "JazzCash").await;
    c.tap("confirm", "Confirm order").await
}

/// Sends `bytes` as a photo and returns the replies.
async fn send_photo(h: &Harness, c: &Customer<'_>, bytes: &[u8]) -> Vec<omni_meta_sim::SentRecord> {
    let sim = h.sim();
    let number = c.r.number.account.phone_number_id.as_str();
    let id = sim.put_media(number, bytes.to_vec(), "image/jpeg");
    let meta = sim.media_meta(&id).unwrap();
    c.send(SimMessage::image(
        &id,
        "image/jpeg",
        &meta.sha256,
        Some("paid"),
    ))
    .await
}

#[actix_web::test]
async fn a_transfer_is_proven_by_screenshot_and_the_owner_rejects_then_approves() {
    let Some(h) = Harness::start(Engine::Postgres).await else {
        return;
    };
    let r = jazzcash_grill(&h).await;
    let owner = Owner::of(&h, &r);
    let ali = Customer::new(&h, &r, "923001234567", "Ali");
    let placed = order_by_jazzcash(&ali).await;
    let order = ali.order().await.unwrap();
    assert_eq!(
        (order.status(), order.payment.status()),
        (OrderStatus::Placed, PaymentStatus::Unpaid)
    );
    assert_eq!(
        shown(&placed[1]),
        "Please pay exactly Rs 1,300 by JazzCash to:\nJazzCash — Karachi Grill\n0300 1234567\nUse your order number as the reference.\n\nThen send the payment screenshot here."
    );

    // The screenshot: downloaded, checked against Meta's SHA-256, kept; pending verification.
    let first = b"\xff\xd8\xff\xe0 JFIF screenshot: Rs 1,300 to 0300 1234567".to_vec();
    let got = send_photo(&h, &ali, &first).await;
    assert_eq!(
        shown(&got[0]),
        format!(
            "Thank you! We received your payment screenshot for order {}. We are checking it and will confirm shortly.",
            order.reference()
        )
    );
    let pending = h
        .state
        .services
        .ports
        .tenants
        .find_order(r.store.id, order.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(pending.payment.status(), PaymentStatus::PendingVerification);
    let path = pending.payment.proof_path().unwrap().to_owned();
    assert!(
        path.starts_with(&format!("stores/{}/proofs/{}/", r.store.id, order.id)),
        "{path}"
    );
    let (status, queue) = owner.get("/api/owner/payments/pending").await;
    assert_eq!(status, 200);
    assert_eq!(queue[0]["id"], order.id.to_string());
    assert_eq!(queue[0]["total"]["display"], "Rs 1,300");
    assert_eq!(queue[0]["possible_proof_reuse_of"], serde_json::Value::Null);
    assert_eq!(queue[0]["customer_name"], "Ali");
    assert_eq!(queue[0]["customer_phone"], "+923001234567");
    // The owner fetches the image: the same bytes, only with the owner's token.
    let url = format!("{}/api/owner/orders/{}/payment-proof", h.url, order.id);
    let res = reqwest::Client::new()
        .get(&url)
        .bearer_auth(&r.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/jpeg");
    assert_eq!(res.bytes().await.unwrap().to_vec(), first);
    assert_eq!(
        reqwest::Client::new()
            .get(&url)
            .send()
            .await
            .unwrap()
            .status(),
        401
    );

    // Rejected with a reason: the customer is told and asked again.
    let base = format!("/api/owner/orders/{}", order.id);
    let (status, err) = owner
        .post(&format!("{base}/payment/reject"), json!({"reason": ""}))
        .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (400, Some("invalid_reason"))
    );
    let (status, body) = owner
        .post(
            &format!("{base}/payment/reject"),
            json!({"reason": "The amount is Rs 1,200, not Rs 1,300."}),
        )
        .await;
    assert_eq!(
        (status, body["order"]["payment_status"].as_str()),
        (200, Some("rejected")),
        "{body}"
    );
    wait_for_text(
        &h,
        &ali,
        &format!(
            "We could not verify your payment for order {}: The amount is Rs 1,200, not Rs 1,300.\nPlease send a new payment screenshot here.",
            order.reference()
        ),
    )
    .await;
    let (status, err) = owner
        .post(&format!("{base}/payment/approve"), json!({}))
        .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (409, Some("not_pending")),
        "nothing to approve now"
    );

    // A new screenshot: pending again; approved: paid, confirmed, the customer told.
    send_photo(&h, &ali, b"\xff\xd8\xff\xe0 the right screenshot").await;
    let again = h
        .state
        .services
        .ports
        .tenants
        .find_order(r.store.id, order.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.payment.status(), PaymentStatus::PendingVerification);
    assert_ne!(again.payment.proof_path(), Some(path.as_str()));
    let (status, body) = owner
        .post(&format!("{base}/payment/approve"), json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (
            body["order"]["payment_status"].as_str(),
            body["order"]["status"].as_str()
        ),
        (Some("paid"), Some("confirmed"))
    );
    wait_for_text(
        &h,
        &ali,
        &format!(
            "Payment of Rs 1,300 received for order {}. Your order is confirmed and will be prepared now.",
            order.reference()
        ),
    )
    .await;
    let (status, _) = owner
        .post(&format!("{base}/payment/approve"), json!({}))
        .await;
    assert_eq!(status, 409, "approving twice is refused");
    let (_, queue) = owner.get("/api/owner/payments/pending").await;
    assert_eq!(queue, json!([]));
    h.stop().await;
}

#[actix_web::test]
async fn the_same_screenshot_for_a_second_order_is_flagged_to_the_owner() {
    let Some(h) = Harness::start(Engine::Postgres).await else {
        return;
    };
    let r = jazzcash_grill(&h).await;
    let owner = Owner::of(&h, &r);
    let ali = Customer::new(&h, &r, "923001234567", "Ali");
    let sana = Customer::new(&h, &r, "923451234567", "Sana");
    order_by_jazzcash(&ali).await;
    order_by_jazzcash(&sana).await;
    let screenshot = b"\xff\xd8\xff\xe0 one screenshot, two orders".to_vec();
    send_photo(&h, &ali, &screenshot).await;
    send_photo(&h, &sana, &screenshot).await;
    let first = ali.order().await.unwrap();
    let second = sana.order().await.unwrap();
    assert_eq!(first.proof_reuse_of, None);
    assert_eq!(second.proof_reuse_of, Some(first.id));
    let (_, queue) = owner.get("/api/owner/payments/pending").await;
    let flagged: Vec<(&str, &serde_json::Value)> = queue
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["id"].as_str().unwrap(), &o["possible_proof_reuse_of"]))
        .collect();
    assert_eq!(
        flagged,
        vec![
            (first.id.to_string().as_str(), &serde_json::Value::Null),
            (second.id.to_string().as_str(), &json!(first.id.to_string())),
        ]
    );
    // The owner is told, once, with both orders.
    let (_, notes) = owner.get("/api/owner/notifications").await;
    let reused: Vec<&serde_json::Value> = notes["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "payment_proof_reused")
        .collect();
    assert_eq!(reused.len(), 1, "{notes}");
    assert_eq!(reused[0]["detail"]["order_id"], second.id.to_string());
    assert_eq!(
        reused[0]["detail"]["earlier_order_id"],
        first.id.to_string()
    );
    // A photo while no order waits for one goes to the agent, not to the queue.
    let bilal = Customer::new(&h, &r, "923111234567", "Bilal");
    let reply = send_photo(&h, &bilal, b"a cat picture").await;
    assert!(
        shown(&reply[0]).contains("payment screenshot"),
        "{}",
        shown(&reply[0])
    );
    assert!(bilal.order().await.is_none());
    h.stop().await;
}
