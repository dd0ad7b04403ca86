//! Quality and limit changes from webhooks and from refreshes: history, notifications, the
//! owner's WhatsApp alert, marking read.

use std::time::Duration;

use omni_meta_sim::SeedTemplate;
use omni_meta_sim::webhook::{SimChange, SimEntry, WebhookPayload};
use reqwest::Method;
use serde_json::{Value, json};

use super::{NUMBER_A, OWNER_PHONE, PHONE_A, WABA_A};
use crate::support::health::{Engine, eventually};

fn kinds(list: &Value) -> Vec<String> {
    list["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap().to_owned())
        .collect()
}

#[actix_web::test]
async fn quality_webhooks_and_refreshes_build_the_history_notify_the_owner_and_message_their_number()
 {
    let h = harness!(Engine::Postgres);
    let o = h.owner("Quality Watch", None).await;
    let (acc, _) = h.number(&o.store, NUMBER_A, PHONE_A, None).await;
    let t = Some(o.token.as_str());
    // The owner asks for alerts on their own WhatsApp; the alert template exists at Meta.
    h.sim().seed_template(
        WABA_A,
        SeedTemplate::new("account_alert", "en", "Alert: {{1}}"),
    );
    let (status, body) = h
        .call(
            Method::PUT,
            "/api/owner/store/alert-number",
            t,
            Some(&json!({"owner_whatsapp": "0300 5550000"})),
        )
        .await;
    assert_eq!(
        (status, body["owner_whatsapp"].as_str()),
        (200, Some(OWNER_PHONE))
    );
    let (status, body) = h
        .call(
            Method::PUT,
            "/api/owner/store/alert-number",
            t,
            Some(&json!({"owner_whatsapp": "not a number"})),
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_phone"))
    );

    // Meta flags the number (quality to RED) and lowers the limit, by webhook.
    let time = chrono::Utc::now().timestamp() - 60;
    let flagged = WebhookPayload::single(
        SimEntry::new(WABA_A).at(time),
        SimChange::quality_update("923001112233", "FLAGGED", Some("TIER_250")),
    );
    assert_eq!(
        h.sender().send(&flagged).await.unwrap().final_status,
        Some(200)
    );
    let list = eventually(
        "a quality notification",
        Duration::from_secs(10),
        || async {
            let (_, list) = h
                .call(Method::GET, "/api/owner/notifications", t, None)
                .await;
            kinds(&list)
                .contains(&"quality_drop".to_owned())
                .then_some(list)
        },
    )
    .await;
    let n = &list["notifications"][0];
    assert_eq!(n["severity"], "critical");
    assert_eq!(n["account_id"], acc.id.to_string());
    assert_eq!(n["detail"]["after"]["quality_rating"], "RED");
    // ... and a template (the owner never wrote to this number: their window is closed).
    let alert = eventually("the owner's alert", Duration::from_secs(15), || async {
        h.sim()
            .sent_messages()
            .into_iter()
            .find(|m| m.to == OWNER_PHONE)
    })
    .await;
    assert_eq!(alert.kind, "template");
    assert_eq!(alert.body["template"]["name"], "account_alert");
    assert!(
        alert.body["template"]["components"][0]["parameters"][0]["text"]
            .as_str()
            .unwrap()
            .contains("RED")
    );

    // Refreshes: Meta says GREEN and 2K (a rise: no notification), then YELLOW and 250.
    let refresh = format!("/api/owner/whatsapp/accounts/{}/refresh", acc.id);
    h.sim().set_quality(NUMBER_A, "GREEN");
    h.sim().set_messaging_limit(NUMBER_A, Some("TIER_2K"));
    let (status, body) = h.call(Method::POST, &refresh, t, None).await;
    assert_eq!(status, 200, "{body}");
    h.sim().set_quality(NUMBER_A, "YELLOW");
    h.sim().set_messaging_limit(NUMBER_A, Some("TIER_250"));
    let (status, _) = h.call(Method::POST, &refresh, t, None).await;
    assert_eq!(status, 200);
    // Nothing changed: no history entry.
    let (status, _) = h.call(Method::POST, &refresh, t, None).await;
    assert_eq!(status, 200);

    let (status, health) = h
        .call(
            Method::GET,
            &format!("/api/owner/whatsapp/accounts/{}/health", acc.id),
            t,
            None,
        )
        .await;
    assert_eq!(status, 200, "{health}");
    assert_eq!(health["quality_rating"], "YELLOW");
    assert_eq!(health["messaging_limit"], "TIER_250");
    assert_eq!(health["messaging_limit_daily_users"], 250);
    assert_eq!(health["business_sends_slowed"], false);
    let history: Vec<(String, String, String)> = health["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap().to_owned(),
                e["before"]["quality_rating"]
                    .as_str()
                    .unwrap_or("")
                    .to_owned(),
                e["after"]["quality_rating"]
                    .as_str()
                    .unwrap_or("")
                    .to_owned(),
            )
        })
        .collect();
    assert_eq!(
        history,
        vec![
            ("refresh".into(), "GREEN".into(), "YELLOW".into()),
            ("refresh".into(), "RED".into(), "GREEN".into()),
            ("quality_update".into(), "UNKNOWN".into(), "RED".into()),
        ]
    );
    assert_eq!(
        health["history"][2]["occurred_at"]
            .as_str()
            .map(|s| chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp()),
        Some(time),
        "Meta's time for webhooks"
    );

    let (_, list) = h
        .call(Method::GET, "/api/owner/notifications", t, None)
        .await;
    assert_eq!(
        kinds(&list),
        vec!["limit_drop", "quality_drop", "quality_drop"],
        "{list}"
    );
    assert_eq!(list["unread"], 3);
    assert_eq!(list["notifications"][1]["severity"], "warning");
    // Every drop went to the owner's number too.
    eventually("three alerts", Duration::from_secs(15), || async {
        let n = h
            .sim()
            .sent_messages()
            .iter()
            .filter(|m| m.to == OWNER_PHONE)
            .count();
        (n == 3).then_some(())
    })
    .await;

    // Marking read: one by id, then the rest.
    let first = list["notifications"][0]["id"].as_str().unwrap().to_owned();
    let (status, body) = h
        .call(
            Method::POST,
            "/api/owner/notifications/read",
            t,
            Some(&json!({"ids": [first]})),
        )
        .await;
    assert_eq!((status, body["marked"].as_u64()), (200, Some(1)));
    let (_, body) = h
        .call(
            Method::POST,
            "/api/owner/notifications/read",
            t,
            Some(&json!({})),
        )
        .await;
    assert_eq!(body["marked"], 2);
    let (_, unread) = h
        .call(Method::GET, "/api/owner/notifications?unread=true", t, None)
        .await;
    assert_eq!(unread["notifications"], json!([]));
    h.stop().await;
}

#[actix_web::test]
async fn an_owner_who_wrote_recently_gets_the_alert_as_text() {
    let h = harness!(Engine::Postgres);
    let o = h.owner("Chatty Owner", None).await;
    h.number(&o.store, NUMBER_A, PHONE_A, None).await;
    let t = Some(o.token.as_str());
    h.call(
        Method::PUT,
        "/api/owner/store/alert-number",
        t,
        Some(&json!({"owner_whatsapp": OWNER_PHONE})),
    )
    .await;
    // The owner messages the store's number: their 24-hour window opens.
    let number = omni_meta_sim::webhook::SimNumber::new(WABA_A, NUMBER_A, "923001112233");
    let hello = WebhookPayload::messages(
        &number,
        &omni_meta_sim::webhook::SimCustomer::new("923005550000", "Owner"),
        &[omni_meta_sim::webhook::SimMessage::text("salaam")],
    );
    h.sender().send(&hello).await.unwrap();
    eventually(
        "the owner's message stored",
        Duration::from_secs(10),
        || async {
            let c = h.state.services.ports.inbox.counts().await.unwrap();
            (c.get(&omni_ports::InboxState::Done) == Some(&1)).then_some(())
        },
    )
    .await;
    let flagged = WebhookPayload::single(
        SimEntry::timed(WABA_A),
        SimChange::quality_update("923001112233", "FLAGGED", None),
    );
    h.sender().send(&flagged).await.unwrap();
    // The agent greets the owner's "salaam" with reply buttons; the alert is the other message.
    let alert = eventually("the owner's alert", Duration::from_secs(15), || async {
        h.sim()
            .sent_messages()
            .into_iter()
            .find(|m| m.to == OWNER_PHONE && m.kind != "interactive")
    })
    .await;
    assert_eq!(alert.kind, "text");
    assert!(
        alert.body["text"]["body"]
            .as_str()
            .unwrap()
            .contains("replies to customers are not"),
        "{}",
        alert.body
    );
    h.stop().await;
}
