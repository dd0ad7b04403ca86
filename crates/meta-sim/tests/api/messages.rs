//! The messages endpoint: success shape and record, read receipts, the window, throughput,
//! templates, interactive validation, registration and deliverability.

use omni_meta_sim::{SeedNumber, SeedTemplate};
use serde_json::json;

use crate::common::{CUSTOMER, CUSTOMER_WA_ID, NUMBER, NUMBER_2, WABA, code, env, env_with, text};

#[tokio::test]
async fn a_text_inside_the_window_returns_meta_shape_and_is_recorded() {
    let e = env().await;
    e.h.open_window(NUMBER, CUSTOMER_WA_ID);
    let mut body = text(CUSTOMER, "Hello!");
    body["context"] = json!({ "message_id": "wamid.IN1" });
    body["biz_opaque_callback_data"] = json!("outbox-42");
    let (status, resp) = e.send(&body).await;
    assert_eq!(status, 200, "{resp}");
    assert_eq!(resp["messaging_product"], "whatsapp");
    assert_eq!(resp["contacts"][0]["input"], CUSTOMER);
    assert_eq!(resp["contacts"][0]["wa_id"], CUSTOMER_WA_ID);
    let wamid = resp["messages"][0]["id"].as_str().expect("wamid");
    assert!(wamid.starts_with("wamid."));

    let sent = e.h.sent_messages();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].wamid, wamid);
    assert_eq!(sent[0].kind, "text");
    assert_eq!(sent[0].to, CUSTOMER);
    assert_eq!(sent[0].body["biz_opaque_callback_data"], "outbox-42");
    e.h.clear_sent();
    assert!(e.h.sent_messages().is_empty());
}

#[tokio::test]
async fn outside_the_window_free_form_fails_with_131047_but_a_template_goes_through() {
    let e = env().await;
    let (status, body) = e.send(&text(CUSTOMER, "hi")).await;
    assert_eq!((status, code(&body)), (400, 131_047));
    assert_eq!(body["error"]["message"], "(#131047) Re-engagement message");
    assert!(
        body["error"]["error_data"]["details"]
            .as_str()
            .expect("details")
            .contains("24 hours")
    );

    e.h.seed_template(
        WABA,
        SeedTemplate::new("order_update", "en_US", "Hi {{1}}, order {{2}} shipped"),
    );
    let template = |params: serde_json::Value| {
        json!({ "messaging_product": "whatsapp", "to": CUSTOMER, "type": "template",
                "template": { "name": "order_update", "language": { "code": "en_US" },
                              "components": [{ "type": "body", "parameters": params }] } })
    };
    let two = json!([{ "type": "text", "text": "Sheena" }, { "type": "text", "text": "#123" }]);
    let (status, body) = e.send(&template(two)).await;
    assert_eq!(status, 200, "{body}");

    let (_, body) = e
        .send(&template(json!([{ "type": "text", "text": "Sheena" }])))
        .await;
    assert_eq!(code(&body), 132_000);

    let mut wrong_lang = template(json!([]));
    wrong_lang["template"]["language"]["code"] = json!("ur");
    let (_, body) = e.send(&wrong_lang).await;
    assert_eq!(code(&body), 132_001);
    assert_eq!(
        body["error"]["message"],
        "(#132001) Template name does not exist in the translation"
    );

    e.h.set_template_status(WABA, "order_update", "en_US", "PENDING");
    let (_, body) = e.send(&template(json!([]))).await;
    assert_eq!(
        code(&body),
        132_001,
        "an unapproved template is not sendable"
    );
}

#[tokio::test]
async fn the_window_closes_after_24_simulated_hours() {
    let e = env().await;
    e.h.open_window(NUMBER, "+92 300 555 6677");
    assert_eq!(e.send(&text(CUSTOMER, "a")).await.0, 200);
    e.h.advance_clock(std::time::Duration::from_secs(24 * 3600 + 1));
    assert_eq!(code(&e.send(&text(CUSTOMER, "b")).await.1), 131_047);
}

#[tokio::test]
async fn sends_beyond_max_mps_within_a_second_get_130429() {
    let e = env().await;
    e.h.add_number(WABA, SeedNumber::new("777", "+92 300 0000777").max_mps(3));
    e.h.open_window("777", CUSTOMER_WA_ID);
    let mut codes = Vec::new();
    for i in 0..4 {
        let (status, body) = e
            .post_json("777/messages", &text(CUSTOMER, &format!("m{i}")))
            .await;
        codes.push((status, code(&body)));
    }
    assert_eq!(codes[..3], [(200, -1), (200, -1), (200, -1)]);
    assert_eq!(codes[3], (429, 130_429));
}

#[tokio::test]
async fn read_receipts_with_typing_are_recorded_and_bad_wamids_get_131009() {
    let e = env().await;
    let body = json!({ "messaging_product": "whatsapp", "status": "read", "message_id": "wamid.ABC",
                       "typing_indicator": { "type": "text" } });
    let (status, resp) = e.send(&body).await;
    assert_eq!((status, resp), (200, json!({ "success": true })));
    let receipts = e.h.read_receipts();
    assert_eq!(receipts.len(), 1);
    assert!(receipts[0].typing);
    assert_eq!(receipts[0].message_id, "wamid.ABC");

    let bad = json!({ "messaging_product": "whatsapp", "status": "read", "message_id": "ABC" });
    assert_eq!(code(&e.send(&bad).await.1), 131_009);
}

#[tokio::test]
async fn interactive_buttons_are_validated_like_meta() {
    let e = env().await;
    e.h.open_window(NUMBER, CUSTOMER_WA_ID);
    let buttons = |titles: &[&str]| {
        let list: Vec<_> = titles
            .iter()
            .enumerate()
            .map(
                |(i, t)| json!({ "type": "reply", "reply": { "id": format!("b{i}"), "title": t } }),
            )
            .collect();
        json!({ "messaging_product": "whatsapp", "to": CUSTOMER, "type": "interactive",
                "interactive": { "type": "button", "body": { "text": "Paid?" }, "action": { "buttons": list } } })
    };
    assert_eq!(e.send(&buttons(&["Yes", "No"])).await.0, 200);
    for bad in [
        buttons(&["a", "b", "c", "d"]),
        buttons(&["This title is far too long"]),
        buttons(&["Same", "Same"]),
        buttons(&[]),
    ] {
        let (status, body) = e.send(&bad).await;
        assert_eq!((status, code(&body)), (400, 131_009), "{body}");
        assert!(body["error"]["error_data"]["details"].is_string());
    }
    let rows: Vec<_> = (0..11)
        .map(|i| json!({ "id": format!("r{i}"), "title": format!("Row {i}") }))
        .collect();
    let list = json!({ "messaging_product": "whatsapp", "to": CUSTOMER, "type": "interactive",
        "interactive": { "type": "list", "body": { "text": "Pick" },
                         "action": { "button": "Sizes", "sections": [{ "title": "All", "rows": rows }] } } });
    assert_eq!(code(&e.send(&list).await.1), 131_009);
}

#[tokio::test]
async fn payload_errors_unregistered_numbers_and_undeliverable_recipients_get_their_codes() {
    let e = env().await;
    e.h.open_window(NUMBER, CUSTOMER_WA_ID);
    let (_, body) = e.send(&text(CUSTOMER, &"x".repeat(4097))).await;
    assert_eq!(code(&body), 100);
    let mut no_product = text(CUSTOMER, "hi");
    no_product["messaging_product"] = json!("sms");
    assert_eq!(code(&e.send(&no_product).await.1), 100);
    let both = json!({ "messaging_product": "whatsapp", "to": CUSTOMER, "type": "image",
                       "image": { "id": "1", "link": "https://x.example/a.png" } });
    assert_eq!(code(&e.send(&both).await.1), 100);

    e.h.open_window(NUMBER_2, CUSTOMER_WA_ID);
    let (_, body) = e
        .post_json(&format!("{NUMBER_2}/messages"), &text(CUSTOMER, "hi"))
        .await;
    assert_eq!(code(&body), 133_010);

    e.h.mark_undeliverable(CUSTOMER_WA_ID);
    assert_eq!(code(&e.send(&text(CUSTOMER, "hi")).await.1), 131_026);
}

#[tokio::test]
async fn the_pair_rate_limit_allows_a_burst_then_one_message_per_interval_per_user() {
    let e = env_with(omni_meta_sim::SimConfig {
        pair_rate_burst: 3,
        ..omni_meta_sim::SimConfig::default()
    })
    .await;
    e.h.update_number(NUMBER, |n| n.max_mps = 1_000);
    e.h.open_window(NUMBER, CUSTOMER_WA_ID);
    e.h.open_window(NUMBER, "923009998877");
    let mut codes = Vec::new();
    for i in 0..4 {
        let (_, body) = e.send(&text(CUSTOMER, &format!("m{i}"))).await;
        codes.push(code(&body));
    }
    assert_eq!(codes, [-1, -1, -1, 131_056]);
    // Another user is unaffected.
    let (status, _) = e.send(&text("+923009998877", "hi")).await;
    assert_eq!(status, 200);
    // The budget comes back at one message per six seconds of simulated time.
    e.h.advance_clock(std::time::Duration::from_secs(6));
    assert_eq!(code(&e.send(&text(CUSTOMER, "again")).await.1), -1);
    assert_eq!(code(&e.send(&text(CUSTOMER, "too soon")).await.1), 131_056);
    assert_eq!(e.h.sent_messages().len(), 5);
}
