//! Playing the customer over the control API: `/_sim/webhooks/messages`, `/raw`,
//! `/deliveries` and `/target`, with their errors.

use std::time::Duration;

use base64::Engine as _;
use omni_meta_sim::webhook::{DeliveryOutcome, RetrySchedule};
use serde_json::{Value, json};

use crate::common::{APP_SECRET, CUSTOMER_WA_ID, Env, NUMBER, WABA, env, read};
use crate::receiver::Receiver;

const WAIT: Duration = Duration::from_secs(5);

async fn post(e: &Env, path: &str, body: &Value) -> (u16, Value) {
    read(
        e.http
            .post(format!("{}/_sim/webhooks/{path}", e.sim.base_url()))
            .json(body)
            .send()
            .await
            .expect("send"),
    )
    .await
}

fn message_of(body: &Value) -> &Value {
    &body["entry"][0]["changes"][0]["value"]["messages"][0]
}

async fn wired() -> (Env, Receiver) {
    let rx = Receiver::start(APP_SECRET, &[]);
    let e = env().await;
    e.h.set_webhook_target(Some(rx.url.clone()))
        .unwrap_or_else(|e| panic!("{e}"));
    e.h.set_webhook_retry(RetrySchedule::fast(20, 5));
    (e, rx)
}

#[tokio::test]
async fn a_customer_text_arrives_signed_and_opens_the_window() {
    let (e, rx) = wired().await;
    assert!(!e.h.window_open(NUMBER, CUSTOMER_WA_ID));
    let (status, resp) = post(
        &e,
        "messages",
        &json!({ "phone_number_id": NUMBER, "from": "+92 300 5556677", "name": "Ali",
                 "type": "text", "body": "2 zinger burgers please" }),
    )
    .await;
    assert_eq!(status, 202, "{resp}");
    let wamid = resp["wamid"].as_str().expect("wamid");
    assert!(wamid.starts_with("wamid."));
    assert_eq!(resp["delivery"], 1);
    assert!(e.h.window_open(NUMBER, CUSTOMER_WA_ID), "opened at once");

    let hits = rx.wait_for(1, WAIT).await;
    assert!(hits[0].signature_ok);
    let body = hits[0].json();
    let value = &body["entry"][0]["changes"][0]["value"];
    assert_eq!(body["entry"][0]["id"], WABA);
    assert_eq!(value["metadata"]["phone_number_id"], NUMBER);
    assert_eq!(value["metadata"]["display_phone_number"], "923001112233");
    assert_eq!(value["contacts"][0]["wa_id"], CUSTOMER_WA_ID);
    assert_eq!(value["contacts"][0]["profile"]["name"], "Ali");
    let m = message_of(&body);
    assert_eq!(m["id"], wamid);
    assert_eq!(m["from"], CUSTOMER_WA_ID);
    assert_eq!(m["type"], "text");
    assert_eq!(m["text"]["body"], "2 zinger burgers please");

    // The receiver holds the body before the simulator has read the 200 and
    // recorded the outcome: wait for the delivery to settle, then read the log
    // over HTTP as an operator would.
    let settled = e.h.wait_webhook_deliveries(1, WAIT).await;
    assert_eq!(settled[0].outcome, DeliveryOutcome::Delivered);
    let (status, log) = read(
        e.http
            .get(format!("{}/_sim/webhooks/deliveries", e.sim.base_url()))
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(log[0]["id"], 1);
    assert_eq!(log[0]["kind"], "message");
    assert_eq!(log[0]["wamid"], wamid);
    assert_eq!(log[0]["url"], rx.url.as_str());
    assert_eq!(log[0]["body"], body);
    assert_eq!(log[0]["outcome"], "delivered");
    assert_eq!(log[0]["attempts"][0]["status"], 200);
    assert_eq!(
        log[0]["attempts"][0]["signature"].as_str(),
        hits[0].signature.as_deref()
    );
}

#[tokio::test]
async fn images_audio_locations_and_replies_take_meta_shapes() {
    let (e, rx) = wired().await;
    let png = b"\x89PNG fake screenshot".to_vec();
    let b64 = base64::engine::general_purpose::STANDARD.encode(&png);
    let from = CUSTOMER_WA_ID;
    let requests = [
        json!({ "phone_number_id": NUMBER, "from": from, "type": "image", "bytes_base64": b64,
                "mime_type": "image/png", "caption": "paid" }),
        json!({ "phone_number_id": NUMBER, "from": from, "type": "audio", "bytes_base64": b64 }),
        json!({ "phone_number_id": NUMBER, "from": from, "type": "location", "latitude": 24.86,
                "longitude": 67.0, "location_name": "Home", "address": "Clifton, Karachi" }),
        json!({ "phone_number_id": NUMBER, "from": from, "type": "button_reply", "id": "yes",
                "title": "Yes" }),
        json!({ "phone_number_id": NUMBER, "from": from, "type": "list_reply", "id": "row-2",
                "title": "Zinger", "description": "Rs 650" }),
    ];
    for r in &requests {
        let (status, resp) = post(&e, "messages", r).await;
        assert_eq!(status, 202, "{r} → {resp}");
        // One at a time, so arrival order is request order.
        rx.wait_for(
            usize::try_from(resp["delivery"].as_u64().expect("id")).expect("n"),
            WAIT,
        )
        .await;
    }
    let hits = rx.wait_for(5, WAIT).await;
    let msgs: Vec<Value> = hits.iter().map(|h| message_of(&h.json()).clone()).collect();

    let image = &msgs[0]["image"];
    assert_eq!(image["mime_type"], "image/png");
    assert_eq!(image["caption"], "paid");
    let id = image["id"].as_str().expect("media id");
    assert_eq!(e.h.media_bytes(id).as_deref(), Some(png.as_slice()));
    assert_eq!(
        e.h.media_meta(id).expect("meta").sha256,
        image["sha256"].as_str().expect("sha")
    );

    assert_eq!(msgs[1]["type"], "audio");
    assert_eq!(msgs[1]["audio"]["voice"], true);
    assert_eq!(msgs[1]["audio"]["mime_type"], "audio/ogg; codecs=opus");

    assert_eq!(msgs[2]["location"]["latitude"], 24.86);
    assert_eq!(msgs[2]["location"]["name"], "Home");
    assert_eq!(msgs[2]["location"]["address"], "Clifton, Karachi");

    assert_eq!(msgs[3]["type"], "interactive");
    assert_eq!(msgs[3]["interactive"]["button_reply"]["id"], "yes");
    assert_eq!(msgs[4]["interactive"]["type"], "list_reply");
    assert_eq!(msgs[4]["interactive"]["list_reply"]["title"], "Zinger");

    // An existing media id is referenced as is.
    let stored = e.h.put_media(NUMBER, b"jpeg".to_vec(), "image/jpeg");
    let (status, _) = post(
        &e,
        "messages",
        &json!({ "phone_number_id": NUMBER, "from": from, "type": "image", "media_id": stored }),
    )
    .await;
    assert_eq!(status, 202);
    let hits = rx.wait_for(6, WAIT).await;
    assert_eq!(message_of(&hits[5].json())["image"]["id"], stored.as_str());
}

#[tokio::test]
async fn a_url_override_and_redelivery_apply_to_injected_messages() {
    let e = env().await;
    e.h.set_webhook_retry(RetrySchedule::fast(20, 5));
    let rx = Receiver::start(APP_SECRET, &[500, 500]);
    let (status, resp) = post(
        &e,
        "messages",
        &json!({ "phone_number_id": NUMBER, "from": CUSTOMER_WA_ID, "type": "text",
                 "body": "hi", "url": rx.url }),
    )
    .await;
    assert_eq!(status, 202, "{resp}");
    let hits = rx.wait_for(3, WAIT).await;
    assert_eq!(hits.len(), 3);
    assert!(
        hits.iter()
            .all(|h| h.body == hits[0].body && h.signature_ok)
    );
    let log = e.h.wait_webhook_deliveries(1, Duration::from_secs(5)).await;
    assert_eq!(log[0].attempts.len(), 3);
}

#[tokio::test]
async fn raw_bodies_go_out_signed_or_with_a_forged_signature() {
    let (e, rx) = wired().await;
    let event = json!({ "object": "whatsapp_business_account", "entry": [{ "id": WABA,
        "time": 1_750_000_000, "changes": [{ "field": "account_update",
        "value": { "event": "VERIFIED_ACCOUNT" } }] }] });
    let (status, resp) = post(&e, "raw", &json!({ "body": event })).await;
    assert_eq!(status, 202, "{resp}");
    let hits = rx.wait_for(1, WAIT).await;
    assert!(hits[0].signature_ok);
    assert_eq!(hits[0].json(), event);

    let (status, resp) = post(
        &e,
        "raw",
        &json!({ "body": event, "signature": "sha256=00ff" }),
    )
    .await;
    assert_eq!(status, 202);
    let hits = rx.wait_for(2, WAIT).await;
    assert!(!hits[1].signature_ok);
    assert_eq!(hits[1].signature.as_deref(), Some("sha256=00ff"));
    let log = e.h.wait_webhook_deliveries(2, Duration::from_secs(5)).await;
    let forged = log
        .iter()
        .find(|d| Some(d.id) == resp["delivery"].as_u64())
        .expect("logged");
    assert_eq!(
        forged.attempts.len(),
        1,
        "no redelivery of a forged request"
    );
    assert_eq!(forged.attempts[0].status, Some(401));
    assert_eq!(
        serde_json::to_value(forged.outcome).expect("ser"),
        json!("failed")
    );

    let (_, _) = post(&e, "raw", &json!({ "body": event, "signature": "" })).await;
    let hits = rx.wait_for(3, WAIT).await;
    assert_eq!(hits[2].signature, None, "empty signature omits the header");
}

#[tokio::test]
async fn errors_are_clear_json() {
    let e = env().await;
    let text = json!({ "phone_number_id": NUMBER, "from": CUSTOMER_WA_ID, "type": "text",
                       "body": "hi" });
    let (status, body) = post(&e, "messages", &text).await;
    assert_eq!(status, 400);
    assert!(
        body["error"]
            .as_str()
            .expect("error")
            .contains("no webhook target"),
        "{body}"
    );
    let (status, body) = post(&e, "raw", &json!({ "body": {} })).await;
    assert_eq!(status, 400, "{body}");

    let rx = Receiver::start(APP_SECRET, &[]);
    e.h.set_webhook_target(Some(rx.url.clone()))
        .unwrap_or_else(|e| panic!("{e}"));
    let cases = [
        (
            json!({ "phone_number_id": "999", "from": "1", "type": "text", "body": "x" }),
            404,
            "unknown phone_number_id",
        ),
        (
            json!({ "phone_number_id": NUMBER, "from": "1", "type": "text" }),
            400,
            "`body`",
        ),
        (
            json!({ "phone_number_id": NUMBER, "type": "text", "body": "x" }),
            400,
            "`from`",
        ),
        (
            json!({ "phone_number_id": NUMBER, "from": "1", "body": "x" }),
            400,
            "`type`",
        ),
        (
            json!({ "phone_number_id": NUMBER, "from": "1", "type": "sticker" }),
            400,
            "unsupported type",
        ),
        (
            json!({ "phone_number_id": NUMBER, "from": "1", "type": "image" }),
            400,
            "media_id",
        ),
        (
            json!({ "phone_number_id": NUMBER, "from": "1", "type": "image", "media_id": "42" }),
            400,
            "unknown media_id",
        ),
        (
            json!({ "phone_number_id": NUMBER, "from": "1", "type": "location", "latitude": 1.0 }),
            400,
            "longitude",
        ),
        (
            json!({ "phone_number_id": NUMBER, "from": "1", "type": "button_reply", "id": "a" }),
            400,
            "`title`",
        ),
    ];
    for (req, want, needle) in cases {
        let (status, body) = post(&e, "messages", &req).await;
        assert_eq!(status, want, "{req} → {body}");
        let msg = body["error"].as_str().expect("error string");
        assert!(msg.contains(needle), "{req} → {msg}");
    }
    let (status, body) = read(
        e.http
            .post(format!("{}/_sim/webhooks/messages", e.sim.base_url()))
            .header("content-type", "application/json")
            .body("{not json")
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(status, 400);
    assert!(body["error"].is_string());
    let (status, body) = post(&e, "raw", &json!({ "url": rx.url })).await;
    assert_eq!(status, 400);
    assert!(body["error"].as_str().expect("e").contains("body"));
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(rx.hits().is_empty());
    assert!(e.h.webhook_deliveries().is_empty());
}

#[tokio::test]
async fn the_target_can_be_read_and_set_over_http() {
    let e = env().await;
    let base = e.sim.base_url();
    let (status, body) = read(
        e.http
            .get(format!("{base}/_sim/webhooks/target"))
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body, json!({ "url": null, "auto_statuses": true }));
    let (status, body) = post(
        &e,
        "target",
        &json!({ "url": "http://127.0.0.1:9/hook", "auto_statuses": false }),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["url"], "http://127.0.0.1:9/hook");
    assert_eq!(
        e.h.webhook_target().as_deref(),
        Some("http://127.0.0.1:9/hook")
    );
    assert!(!e.h.config().auto_statuses);
    let (_, state) = read(
        e.http
            .get(format!("{base}/_sim/state"))
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(state["webhook_url"], "http://127.0.0.1:9/hook");
    post(&e, "target", &json!({ "url": null })).await;
    assert_eq!(e.h.webhook_target(), None);
}
