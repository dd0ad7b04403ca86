//! Diagnose: every check passes for a healthy number, and each fails on its own cause.

use std::time::Duration;

use omni_domain::WhatsappAccount;
use omni_meta_sim::TokenSeed;
use omni_meta_sim::webhook::{SimCustomer, SimMessage, SimNumber, WebhookPayload};
use omni_ports::{ACCESS_TOKEN_FIELD, secret_aad};
use reqwest::Method;
use secrecy::SecretString;
use serde_json::Value;

use super::{NUMBER_A, PHONE_A, WABA_A};
use crate::support::health::{Engine, Harness, eventually};

const CHECKS: [&str; 6] = [
    "token_valid",
    "token_scopes",
    "app_subscribed",
    "number_registered",
    "can_send",
    "webhook_recent",
];

async fn diagnose(h: &Harness, token: &str, acc: &WhatsappAccount) -> Vec<(String, bool, Value)> {
    let (status, body) = h
        .call(
            Method::POST,
            &format!("/api/owner/whatsapp/accounts/{}/diagnose", acc.id),
            Some(token),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body.as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["check"].as_str().unwrap().to_owned(),
                c["pass"].as_bool().unwrap(),
                c["fix"].clone(),
            )
        })
        .collect()
}

/// Only `failing` fails (and has a fix); everything else passes.
async fn expect_failing(h: &Harness, token: &str, acc: &WhatsappAccount, failing: &[&str]) {
    let checks = diagnose(h, token, acc).await;
    let names: Vec<&str> = checks.iter().map(|c| c.0.as_str()).collect();
    assert_eq!(names, CHECKS);
    for (name, pass, fix) in &checks {
        let should_fail = failing.contains(&name.as_str());
        assert_eq!(!pass, should_fail, "{name}: {checks:?}");
        assert_eq!(fix.is_string(), should_fail, "{name} fix: {checks:?}");
    }
}

async fn set_token(h: &Harness, acc: &WhatsappAccount, token: &str) {
    let mut a = h.account(acc).await;
    a.access_token = h
        .state
        .services
        .ports
        .cipher
        .seal(
            &SecretString::from(token.to_owned()),
            &secret_aad(a.id, ACCESS_TOKEN_FIELD),
        )
        .unwrap();
    h.state
        .services
        .ports
        .central
        .update_account(&a)
        .await
        .unwrap();
}

#[actix_web::test]
async fn diagnose_passes_a_healthy_number_and_names_each_failing_check() {
    let h = harness!(Engine::Postgres);
    let o = h.owner("Diagnosed", Some("ok")).await;
    let (acc, token) = h.number(&o.store, NUMBER_A, PHONE_A, None).await;
    let t = o.token.as_str();
    let graph = h.state.services.ports.graph.clone().unwrap();
    let secret = SecretString::from(token.clone());

    // Not subscribed yet, and no webhook ever.
    expect_failing(&h, t, &acc, &["app_subscribed", "webhook_recent"]).await;
    graph
        .subscribe_app(&secret, &acc.waba_id, None)
        .await
        .unwrap();
    let hello = WebhookPayload::messages(
        &SimNumber::new(WABA_A, NUMBER_A, "923001112233"),
        &SimCustomer::new("923001234567", "Ayesha"),
        &[SimMessage::text("hi")],
    );
    h.sender().send(&hello).await.unwrap();
    eventually("a webhook seen", Duration::from_secs(10), || async {
        h.account(&acc).await.last_webhook_at.map(|_| ())
    })
    .await;
    expect_failing(&h, t, &acc, &[]).await;

    // A webhook long ago is not recent.
    let long_ago = chrono::Utc::now() - chrono::Duration::days(3);
    let mut stale = h.account(&acc).await;
    stale.last_webhook_at = Some(long_ago);
    h.state
        .services
        .ports
        .central
        .update_account(&stale)
        .await
        .unwrap();
    expect_failing(&h, t, &acc, &["webhook_recent"]).await;
    h.state
        .services
        .ports
        .central
        .touch_account_webhook(acc.id, chrono::Utc::now())
        .await
        .unwrap();

    // Meta blocks sending.
    h.sim().set_can_send(
        NUMBER_A,
        "BLOCKED",
        vec!["Payment method missing".to_owned()],
    );
    expect_failing(&h, t, &acc, &["can_send"]).await;
    h.sim().set_can_send(NUMBER_A, "AVAILABLE", Vec::new());

    // The number is not registered with the Cloud API.
    h.sim().set_registered(NUMBER_A, false);
    expect_failing(&h, t, &acc, &["number_registered"]).await;
    h.sim().set_registered(NUMBER_A, true);

    // The app was unsubscribed from the WABA.
    graph.unsubscribe_app(&secret, &acc.waba_id).await.unwrap();
    expect_failing(&h, t, &acc, &["app_subscribed"]).await;
    graph
        .subscribe_app(&secret, &acc.waba_id, None)
        .await
        .unwrap();

    // A token without the messaging permission.
    let narrow = h.sim().issue_token(TokenSeed {
        scopes: vec!["whatsapp_business_management".to_owned()],
        ..TokenSeed::business(&[WABA_A])
    });
    set_token(&h, &acc, &narrow).await;
    expect_failing(&h, t, &acc, &["token_scopes"]).await;

    // A revoked token: Meta refuses everything else too.
    set_token(&h, &acc, &token).await;
    h.sim().revoke_token(&token);
    let checks = diagnose(&h, t, &acc).await;
    let token_valid = checks.iter().find(|c| c.0 == "token_valid").unwrap();
    assert!(!token_valid.1);
    assert!(token_valid.2.as_str().unwrap().contains("Reconnect"));
    h.stop().await;
}
