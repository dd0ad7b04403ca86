//! No secret reaches a log line or a response body: the Meta access token the onboarding
//! stored (the canary), the OAuth code, the session token, the password and the app secret,
//! with every crate logging at TRACE through login, the OAuth round trip, the account
//! endpoints and a disconnect. Runs in the `logs` binary, under its process-wide subscriber.

use crate::support::{Backend, PASSWORD, TestApp, query_param};
use omni_meta_sim::SimConfig;
use reqwest::Method;

#[tokio::test(flavor = "multi_thread")]
async fn no_token_code_password_or_app_secret_appears_in_any_log_line_or_response() {
    let logs = crate::capture();
    let app_secret = "canary-app-secret-4b1d";
    let Some(app) = TestApp::spawn_with(
        Backend::Postgres,
        SimConfig {
            app_secret: app_secret.into(),
            ..SimConfig::default()
        },
        &[],
    )
    .await
    else {
        return;
    };
    let a = app.owner("ali@example.pk", Some("0321 5556677")).await;
    let mut bodies = Vec::new();

    let (_, text) = app
        .call_text(
            Method::GET,
            "/api/owner/whatsapp/oauth-url",
            Some(&a.token),
            None,
        )
        .await;
    bodies.push(text.clone());
    let url: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    let url = url["url"].as_str().unwrap_or_default().to_owned();
    let redirect = app.meta_dialog(&url, true).await;
    let code = query_param(&redirect, "code").unwrap_or_default();
    let res = app
        .http
        .get(&redirect)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let location = res
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        location.ends_with("whatsapp=connected&accounts=1"),
        "{location}"
    );
    bodies.push(location);

    let (_, text) = app
        .call_text(
            Method::GET,
            "/api/owner/whatsapp/accounts",
            Some(&a.token),
            None,
        )
        .await;
    bodies.push(text);
    let stored = app
        .state
        .services
        .ports
        .central
        .list_accounts(a.store.id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let canary = app.stored_token(&stored[0]);
    let id = stored[0].id;
    for what in [
        "refresh",
        "toggle-status",
        "toggle-status",
        "set-default",
        "disconnect",
    ] {
        let (_, text) = app
            .call_text(
                Method::POST,
                &format!("/api/owner/whatsapp/accounts/{id}/{what}"),
                Some(&a.token),
                None,
            )
            .await;
        bodies.push(text);
    }
    // A failing login and a replayed callback log too.
    let (_, text) = app
        .call_text(
            Method::POST,
            "/api/owner/login",
            None,
            Some(&serde_json::json!({"email": "ali@example.pk", "password": "wrong password!"})),
        )
        .await;
    bodies.push(text);
    let res = app
        .http
        .get(&redirect)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    bodies.push(format!("{:?}", res.headers()));
    app.cleanup().await;

    let logs = logs.text();
    assert!(
        logs.len() > 10_000,
        "TRACE logging captured little: {} bytes",
        logs.len()
    );
    assert!(
        logs.contains("/api/whatsapp/callback"),
        "the callback request was logged"
    );
    for (name, secret) in [
        ("stored Meta token", canary.as_str()),
        ("OAuth code", code.as_str()),
        ("session token", a.token.as_str()),
        ("password", PASSWORD),
        ("app secret", app_secret),
    ] {
        assert!(secret.len() >= 8, "{name} is a real value");
        assert!(!logs.contains(secret), "the {name} appears in the logs");
        for body in &bodies {
            assert!(
                !body.contains(secret),
                "the {name} appears in a response: {body}"
            );
        }
    }
}
