//! Automatic status webhooks: an accepted send is followed by signed `sent` then `delivered`
//! webhooks at the product's callback URL, off the request path, redelivered on non-200.

use std::time::{Duration, Instant};

use omni_meta_sim::webhook::{DeliveryOutcome, RetrySchedule};
use omni_meta_sim::{SeedTemplate, SimConfig};
use serde_json::{Value, json};

use crate::common::{APP_SECRET, CUSTOMER, CUSTOMER_WA_ID, Env, NUMBER, WABA, env, env_with, text};
use crate::receiver::Receiver;

const WAIT: Duration = Duration::from_secs(5);

fn status_of(body: &Value) -> &Value {
    &body["entry"][0]["changes"][0]["value"]["statuses"][0]
}

async fn wired(script: &[u16], delivered_ms: u64) -> (Env, Receiver) {
    let rx = Receiver::start(APP_SECRET, script);
    let e = env_with(SimConfig {
        webhook_url: Some(rx.url.clone()),
        delivered_delay: Duration::from_millis(delivered_ms),
        webhook_retry: RetrySchedule::fast(20, 5),
        ..SimConfig::default()
    })
    .await;
    e.h.open_window(NUMBER, CUSTOMER_WA_ID);
    (e, rx)
}

#[tokio::test]
async fn a_send_is_followed_by_signed_sent_then_delivered_with_callback_data() {
    let (e, rx) = wired(&[], 300).await;
    let mut body = text(CUSTOMER, "Your order is confirmed");
    body["biz_opaque_callback_data"] = json!("ai-turn-42");
    let started = Instant::now();
    let (status, resp) = e.send(&body).await;
    assert_eq!(status, 200, "{resp}");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "the send answers at once"
    );
    let wamid = resp["messages"][0]["id"]
        .as_str()
        .expect("wamid")
        .to_owned();
    assert!(
        e.h.webhook_deliveries()
            .iter()
            .all(|d| d.status.as_deref() != Some("delivered")),
        "delivered comes later"
    );

    let hits = rx.wait_for(2, WAIT).await;
    assert_eq!(hits.len(), 2);
    assert!(hits.iter().all(|h| h.signature_ok));
    let (sent, delivered) = (hits[0].json(), hits[1].json());
    assert_eq!(sent["object"], "whatsapp_business_account");
    assert_eq!(sent["entry"][0]["id"], WABA);
    let value = &sent["entry"][0]["changes"][0]["value"];
    assert_eq!(value["metadata"]["phone_number_id"], NUMBER);
    assert_eq!(value["metadata"]["display_phone_number"], "923001112233");
    let s = status_of(&sent);
    assert_eq!(s["id"], wamid.as_str());
    assert_eq!(s["status"], "sent");
    assert_eq!(s["recipient_id"], CUSTOMER_WA_ID);
    assert_eq!(s["biz_opaque_callback_data"], "ai-turn-42");
    assert_eq!(s["pricing"]["category"], "service");
    assert_eq!(s["pricing"]["type"], "free_customer_service");
    assert_eq!(s["pricing"]["pricing_model"], "PMP");
    let d = status_of(&delivered);
    assert_eq!(d["id"], wamid.as_str());
    assert_eq!(d["status"], "delivered");
    assert_eq!(d["recipient_id"], CUSTOMER_WA_ID);
    assert_eq!(d["biz_opaque_callback_data"], "ai-turn-42");

    let log = e.h.wait_webhook_deliveries(2, WAIT).await;
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].status.as_deref(), Some("sent"));
    assert_eq!(log[1].status.as_deref(), Some("delivered"));
    for (d, hit) in log.iter().zip(&hits) {
        assert_eq!(d.kind, "status");
        assert_eq!(d.wamid.as_deref(), Some(wamid.as_str()));
        assert_eq!(d.outcome, DeliveryOutcome::Delivered);
        assert_eq!(d.url, rx.url);
        assert_eq!(d.attempts.len(), 1);
        assert_eq!(d.attempts[0].status, Some(200));
        assert_eq!(d.attempts[0].signature, hit.signature);
        assert_eq!(d.body, hit.json());
    }
    assert!(log[1].created_at >= log[0].created_at + chrono::Duration::milliseconds(250));
}

#[tokio::test]
async fn a_receiver_answering_500_twice_gets_the_sent_status_redelivered() {
    let (e, rx) = wired(&[500, 500], 10).await;
    let (status, resp) = e.send(&text(CUSTOMER, "hi")).await;
    assert_eq!(status, 200);
    let hits = rx.wait_for(4, WAIT).await;
    assert_eq!(hits.len(), 4, "3 attempts of sent + 1 of delivered");
    assert_eq!(hits[0].body, hits[1].body);
    assert_eq!(hits[1].body, hits[2].body);
    assert_eq!(status_of(&hits[2].json())["status"], "sent");
    assert_eq!(status_of(&hits[3].json())["status"], "delivered");
    assert_eq!(status_of(&hits[3].json())["id"], resp["messages"][0]["id"]);
    let log = e.h.wait_webhook_deliveries(2, WAIT).await;
    let statuses: Vec<Option<u16>> = log[0].attempts.iter().map(|a| a.status).collect();
    assert_eq!(statuses, [Some(500), Some(500), Some(200)]);
    assert!(log[0].attempts.iter().all(|a| a.delivery == log[0].id));
    assert_eq!(log[0].outcome, DeliveryOutcome::Delivered);
    assert!(log[0].attempts[2].at - log[0].attempts[1].at >= chrono::Duration::milliseconds(35));
}

#[tokio::test]
async fn a_receiver_that_never_accepts_is_given_up_on() {
    let (e, rx) = wired(&[503, 503, 503, 503, 503], 10).await;
    e.h.set_webhook_retry(RetrySchedule::fast(5, 2));
    e.send(&text(CUSTOMER, "hi")).await;
    let log = e.h.wait_webhook_deliveries(2, WAIT).await;
    assert_eq!(log[0].outcome, DeliveryOutcome::Failed);
    assert_eq!(log[0].attempts.len(), 2);
    assert_eq!(
        log[1].outcome,
        DeliveryOutcome::Failed,
        "delivered still follows"
    );
    assert_eq!(rx.hits().len(), 4);
}

#[tokio::test]
async fn without_a_target_or_with_auto_statuses_off_nothing_is_sent() {
    let e = env().await;
    e.h.open_window(NUMBER, CUSTOMER_WA_ID);
    assert_eq!(e.send(&text(CUSTOMER, "hi")).await.0, 200);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(e.h.webhook_deliveries().is_empty());

    let rx = Receiver::start(APP_SECRET, &[]);
    e.h.set_webhook_target(Some(rx.url.clone()))
        .unwrap_or_else(|e| panic!("{e}"));
    e.h.set_auto_statuses(false);
    assert_eq!(e.send(&text(CUSTOMER, "hi")).await.0, 200);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(e.h.webhook_deliveries().is_empty());
    assert!(rx.hits().is_empty());

    // A rejected send (window closed) produces no status either.
    e.h.set_auto_statuses(true);
    e.h.close_window(NUMBER, CUSTOMER_WA_ID);
    assert_eq!(e.send(&text(CUSTOMER, "hi")).await.0, 400);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(rx.hits().is_empty());
}

#[tokio::test]
async fn templates_are_priced_by_category_and_read_follows_when_enabled() {
    let (e, rx) = wired(&[], 10).await;
    e.h.set_status_delays(Duration::from_millis(10), Some(Duration::from_millis(10)));
    let mut t = SeedTemplate::new("promo", "en_US", "Sale!");
    t.category = "MARKETING".to_owned();
    e.h.seed_template(WABA, t);
    let (status, resp) = e
        .send(&json!({
            "messaging_product": "whatsapp", "to": CUSTOMER, "type": "template",
            "template": { "name": "promo", "language": { "code": "en_US" } }
        }))
        .await;
    assert_eq!(status, 200, "{resp}");
    let hits = rx.wait_for(3, WAIT).await;
    let got: Vec<Value> = hits.iter().map(|h| status_of(&h.json()).clone()).collect();
    let names: Vec<&str> = got.iter().filter_map(|s| s["status"].as_str()).collect();
    assert_eq!(names, ["sent", "delivered", "read"]);
    assert_eq!(got[0]["pricing"]["category"], "marketing");
    assert_eq!(got[0]["pricing"]["type"], "regular");
    assert_eq!(got[0]["pricing"]["billable"], true);
    assert!(got[0].get("biz_opaque_callback_data").is_none());
    assert!(got[2].get("pricing").is_none());
}

#[tokio::test]
async fn a_send_to_a_bsuid_names_the_recipient_by_user_id() {
    let (e, rx) = wired(&[], 10).await;
    e.h.open_window(NUMBER, "PK.1829374650192837465");
    let (status, resp) = e
        .send(&json!({
            "messaging_product": "whatsapp", "recipient": "PK.1829374650192837465",
            "type": "text", "text": { "body": "hi" }
        }))
        .await;
    assert_eq!(status, 200, "{resp}");
    let hits = rx.wait_for(1, WAIT).await;
    let s = status_of(&hits[0].json()).clone();
    assert_eq!(s["recipient_user_id"], "PK.1829374650192837465");
    assert!(s.get("recipient_id").is_none());
}
