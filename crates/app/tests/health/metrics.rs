//! `/metrics`: the counters are there after traffic, and no phone number, wamid or token is.

use std::time::Duration;

use omni_meta_sim::webhook::{SimCustomer, SimMessage, SimNumber, WebhookPayload};
use reqwest::Method;

use crate::support::health::{Engine, eventually};

use super::{NUMBER_A, PHONE_A, WABA_A};

#[actix_web::test]
async fn metrics_expose_the_pipeline_counters_and_no_phone_number_or_token() {
    let h = harness!(
        Engine::Postgres,
        &[("OMNI_HEALTH__METRICS_TOKEN", "scrape-me-please")]
    );
    let o = h.owner("Metered", Some("Shukriya")).await;
    let (_, token) = h.number(&o.store, NUMBER_A, PHONE_A, None).await;
    let payload = WebhookPayload::messages(
        &SimNumber::new(WABA_A, NUMBER_A, "923001112233"),
        &SimCustomer::new("923001234567", "Ayesha"),
        &[SimMessage::text("menu")],
    );
    let sender = h.sender();
    sender.send(&payload).await.unwrap();
    // Meta's redelivery of the same webhook.
    sender.send(&payload).await.unwrap();
    let reply = eventually("the reply", Duration::from_secs(15), || async {
        h.sim().sent_messages().into_iter().next()
    })
    .await;
    // A forged webhook.
    let (status, _) = h
        .call_text(
            Method::POST,
            "/api/webhooks/whatsapp",
            None,
            Some(&serde_json::json!({"object": "whatsapp_business_account"})),
        )
        .await;
    assert_eq!(status, 401);

    let (status, _) = h.call_text(Method::GET, "/metrics", None, None).await;
    assert_eq!(status, 401, "the scrape token is required");
    let needles = [
        r#"omni_outbox_sends_total{code="",result="sent"}"#.to_owned(),
        "omni_webhooks_received_total".to_owned(),
        r#"omni_webhooks_rejected_total{reason="invalid_signature"}"#.to_owned(),
        "omni_webhook_events_stored_total".to_owned(),
        "omni_webhook_events_duplicate_total".to_owned(),
        r#"omni_webhook_ingest_seconds_bucket{status="200""#.to_owned(),
        r#"omni_inbox_depth{state="done"}"#.to_owned(),
        r#"omni_outbox_depth{state="sent"}"#.to_owned(),
        format!(
            r#"omni_agent_latency_seconds_bucket{{store="{}""#,
            o.store.id
        ),
        r#"omni_rate_limit_waits_total{limit="pair"}"#.to_owned(),
    ];
    let mut last = String::new();
    let started = std::time::Instant::now();
    let text = loop {
        let (status, text) = h
            .call_text(Method::GET, "/metrics", Some("scrape-me-please"), None)
            .await;
        assert_eq!(status, 200);
        if needles.iter().all(|n| text.contains(n.as_str())) {
            break text;
        }
        let missing: Vec<&String> = needles
            .iter()
            .filter(|n| !text.contains(n.as_str()))
            .collect();
        last = format!("missing {missing:?} in:\n{text}");
        assert!(started.elapsed() < Duration::from_secs(10), "{last}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    drop(last);
    let duplicates: f64 = text
        .lines()
        .find(|l| l.starts_with("omni_webhook_events_duplicate_total "))
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap();
    assert!(duplicates >= 1.0);
    for secret in [
        "923001234567",
        "923001112233",
        NUMBER_A,
        token.as_str(),
        reply.wamid.as_str(),
        "scrape-me-please",
    ] {
        assert!(!text.contains(secret), "/metrics shows {secret}");
    }
    h.stop().await;
}
