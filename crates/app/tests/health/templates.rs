//! Templates: create at Meta, the status webhook approves it, sends are checked against it
//! (at the API and again before Meta), sync and delete.

use std::time::Duration;

use omni_domain::PhoneNumber;
use omni_meta_sim::SeedTemplate;
use omni_meta_sim::webhook::WebhookPayload;
use omni_ports::meta::{
    OutboundContent, Recipient, TemplateComponent, TemplateComponentKind, TemplateParameter,
};
use omni_ports::{OutboxState, SendFailure};
use omni_usecases::outbound::{SendOptions, WhatsAppService};
use reqwest::Method;
use serde_json::json;

use super::{NUMBER_A, PHONE_A, WABA_A};
use crate::support::health::{Engine, eventually};

#[actix_web::test]
async fn a_template_round_trip_create_approve_by_webhook_send_checked_sync_and_delete() {
    let h = harness!(Engine::Postgres);
    let o = h.owner("Templated", None).await;
    let (acc, _) = h.number(&o.store, NUMBER_A, PHONE_A, None).await;
    let t = Some(o.token.as_str());
    let base = format!("/api/owner/whatsapp/accounts/{}/templates", acc.id);

    let (status, body) = h
        .call(
            Method::POST,
            &base,
            t,
            Some(
                &json!({"name": "Order Ready", "language": "en", "category": "UTILITY",
                         "components": []}),
            ),
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_template"))
    );
    let (status, created) = h
        .call(
            Method::POST,
            &base,
            t,
            Some(&json!({
                "name": "order_ready", "language": "en", "category": "UTILITY",
                "components": [{"type": "BODY", "text": "Hi {{1}}, order {{2}} is ready"}]
            })),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["status"], "PENDING");
    assert!(
        h.sim()
            .templates(WABA_A)
            .iter()
            .any(|t| t.name == "order_ready")
    );

    let send = |params: Vec<&str>| json!({"to": "0300 7770001", "name": "order_ready", "language": "en", "body": params});
    let (status, body) = h
        .call(
            Method::POST,
            &format!("{base}/send"),
            t,
            Some(&send(vec!["Ali", "42"])),
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("template_not_approved"))
    );

    // Meta approves it and says so by webhook.
    h.sim()
        .set_template_status(WABA_A, "order_ready", "en", "APPROVED");
    let id: u64 = created["id"].as_str().unwrap().parse().unwrap();
    let approved =
        WebhookPayload::template_status(WABA_A, id, "order_ready", "en", "APPROVED", None);
    assert_eq!(
        h.sender().send(&approved).await.unwrap().final_status,
        Some(200)
    );
    eventually("approved here", Duration::from_secs(10), || async {
        let (_, list) = h.call(Method::GET, &base, t, None).await;
        (list[0]["status"] == "APPROVED").then_some(())
    })
    .await;

    let (status, body) = h
        .call(
            Method::POST,
            &format!("{base}/send"),
            t,
            Some(&send(vec!["Ali"])),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"], "template_parameters_mismatch");
    assert!(body["message"].as_str().unwrap().contains("expects 2"));
    let (status, body) = h
        .call(
            Method::POST,
            &format!("{base}/send"),
            t,
            Some(&send(vec!["Ali", "42"])),
        )
        .await;
    assert_eq!(status, 202, "{body}");
    h.state.services.wake.notify_waiters();
    let sent = eventually("the template at Meta", Duration::from_secs(15), || async {
        h.sim()
            .sent_messages()
            .into_iter()
            .find(|m| m.to == "+923007770001")
    })
    .await;
    assert_eq!(sent.body["template"]["name"], "order_ready");
    assert_eq!(
        sent.body["template"]["components"][0]["parameters"][1]["text"],
        "42"
    );

    // Something queued around the API check is checked again before Meta.
    let service = WhatsAppService::for_account(
        h.state.services.ports.outbox.clone(),
        h.state.services.ports.clock.clone(),
        &acc,
    )
    .unwrap();
    let queued = service
        .send(
            Recipient::Phone(
                PhoneNumber::parse("03007770002")
                    .unwrap()
                    .as_str()
                    .to_owned(),
            ),
            OutboundContent::Template {
                name: "order_ready".into(),
                language: "en".into(),
                components: vec![TemplateComponent {
                    kind: TemplateComponentKind::Body,
                    parameters: vec![TemplateParameter::Text {
                        text: "only one".into(),
                        name: None,
                    }],
                }],
            },
            SendOptions::default(),
        )
        .await
        .unwrap();
    h.state.services.wake.notify_waiters();
    let row = eventually("parked", Duration::from_secs(15), || async {
        h.state
            .services
            .ports
            .outbox
            .find_by_key(&queued.idempotency_key)
            .await
            .unwrap()
            .filter(|m| m.state == OutboxState::Failed)
    })
    .await;
    assert_eq!(
        row.error_code,
        Some(SendFailure::TemplateParametersMismatch)
    );
    assert!(
        !h.sim()
            .sent_messages()
            .iter()
            .any(|m| m.to == "+923007770002")
    );

    // Sync picks up what was made at Meta directly; delete removes it there and here.
    h.sim().seed_template(
        WABA_A,
        SeedTemplate::new("welcome", "ur", "Khush amdeed {{1}}"),
    );
    let (status, list) = h.call(Method::POST, &format!("{base}/sync"), t, None).await;
    assert_eq!(status, 200, "{list}");
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["order_ready", "welcome"]);
    let (status, body) = h
        .call(Method::DELETE, &format!("{base}/welcome"), t, None)
        .await;
    assert_eq!((status, body["deleted"].as_u64()), (200, Some(1)), "{body}");
    assert!(
        !h.sim()
            .templates(WABA_A)
            .iter()
            .any(|t| t.name == "welcome")
    );
    let (_, list) = h.call(Method::GET, &base, t, None).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    let (status, body) = h
        .call(Method::DELETE, &format!("{base}/welcome"), t, None)
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (404, Some("template_not_found"))
    );
    h.stop().await;
}
