//! No token reaches a log line or a response body through the account health flows, with
//! every crate logging at TRACE: the token check renewing a system-user token (the old and the
//! fresh token are canaries) and marking a user token's account, the owner's WhatsApp alert,
//! diagnose, templates and `/metrics`. Runs in the `logs` binary, under its process-wide subscriber.

use std::time::Duration;

use chrono::TimeDelta;
use omni_meta_sim::{SeedTemplate, TokenSeed};
use omni_ports::{ACCESS_TOKEN_FIELD, secret_aad};
use omni_usecases::account_health::JOB_CHECK_TOKENS;
use reqwest::Method;
use secrecy::ExposeSecret;
use serde_json::json;

use crate::support::health::{Engine, Harness, PASSWORD, eventually};

use crate::support::health::WABA_A;

const DAYS_30: Duration = Duration::from_secs(30 * 86_400);

#[actix_web::test]
async fn no_token_appears_in_logs_or_bodies_of_the_health_flows() {
    let logs = crate::capture();
    let Some(h) = Harness::start(Engine::Postgres, &[], true).await else {
        return;
    };
    let o = h.owner("Quiet Logs", None).await;
    let t = Some(o.token.as_str());
    let system = TokenSeed {
        expires_in: Some(DAYS_30),
        ..TokenSeed::business(&[WABA_A])
    };
    let (sys, sys_token) = h
        .number(&o.store, "106540352242922", "+923001112233", Some(system))
        .await;
    let (usr, usr_token) = h
        .number(
            &o.store,
            "106540352242933",
            "+923001112244",
            Some(TokenSeed::user(&[WABA_A], DAYS_30)),
        )
        .await;
    h.sim().seed_template(
        WABA_A,
        SeedTemplate::new("account_alert", "en", "Alert: {{1}}"),
    );
    let mut bodies = Vec::new();
    let (_, text) = h
        .call_text(
            Method::PUT,
            "/api/owner/store/alert-number",
            t,
            Some(&json!({"owner_whatsapp": "+923005550000"})),
        )
        .await;
    bodies.push(text);

    // The whole service runs on this clock: the day-0 session has expired, log in again.
    h.clock.as_ref().unwrap().advance(TimeDelta::days(25));
    let token = h.login(&o.email, PASSWORD).await;
    let t = Some(token.as_str());
    assert_eq!(
        h.state.services.health.run_job(JOB_CHECK_TOKENS).await,
        "ok=2 failed=0 skipped=0"
    );
    let renewed = h.account(&sys).await;
    let fresh = h
        .state
        .services
        .ports
        .cipher
        .open(
            &renewed.access_token,
            &secret_aad(sys.id, ACCESS_TOKEN_FIELD),
        )
        .unwrap();
    assert_ne!(fresh.expose_secret(), sys_token);
    h.state.services.wake.notify_waiters();
    eventually("the owner's alert", Duration::from_secs(15), || async {
        h.sim()
            .sent_messages()
            .into_iter()
            .find(|m| m.to == "+923005550000")
    })
    .await;
    for (method, path) in [
        (
            Method::POST,
            format!("/api/owner/whatsapp/accounts/{}/diagnose", sys.id),
        ),
        (
            Method::POST,
            format!("/api/owner/whatsapp/accounts/{}/diagnose", usr.id),
        ),
        (
            Method::GET,
            format!("/api/owner/whatsapp/accounts/{}/health", usr.id),
        ),
        (
            Method::POST,
            format!("/api/owner/whatsapp/accounts/{}/templates/sync", sys.id),
        ),
        (Method::GET, "/api/owner/notifications".to_owned()),
    ] {
        let (status, text) = h.call_text(method, &path, t, None).await;
        assert_eq!(status, 200, "{path}: {text}");
        bodies.push(text);
    }
    let (_, text) = h.call_text(Method::GET, "/metrics", None, None).await;
    bodies.push(text);
    h.stop().await;

    let logs = logs.text();
    assert!(logs.contains("system-user token renewed"), "the flow ran");
    for (name, secret) in [
        ("old system-user token", sys_token.as_str()),
        ("fresh system-user token", fresh.expose_secret()),
        ("user token", usr_token.as_str()),
        ("app secret", h_secret().as_str()),
    ] {
        assert!(!logs.contains(secret), "the {name} is in the logs");
        for body in &bodies {
            assert!(
                !body.contains(secret),
                "the {name} is in a response: {body}"
            );
        }
    }
}

/// The simulator's default app secret (`SimConfig::default()`).
fn h_secret() -> String {
    omni_meta_sim::SimConfig::default().app_secret
}
