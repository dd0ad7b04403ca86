//! Meta onboarding over real HTTP: the browser's whole round trip (oauth-url, the simulator's
//! consent page, Meta's redirect to our callback, our redirect to the frontend), every state
//! attack, denial, a number another store has, Embedded Signup. Postgres, plus the round
//! trip on SQLite.

use crate::support::{Backend, FRONTEND, PHONE_ID, TestApp, TestOwner, WABA, query_param};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use omni_domain::AccountStatus;
use serde_json::{Value, json};

macro_rules! app {
    ($backend:expr) => {
        match TestApp::spawn($backend).await {
            Some(app) => app,
            None => return,
        }
    };
    ($backend:expr, $extra:expr) => {
        match TestApp::spawn_with($backend, omni_meta_sim::SimConfig::default(), $extra).await {
            Some(app) => app,
            None => return,
        }
    };
}

async fn oauth_url(app: &TestApp, owner: &TestOwner) -> String {
    let (status, body) = app
        .get("/api/owner/whatsapp/oauth-url", Some(&owner.token))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["expires_in"], 600);
    body["url"].as_str().unwrap_or_default().to_owned()
}

fn frontend(query: &str) -> String {
    format!("{FRONTEND}?{query}")
}

fn exchanges(app: &TestApp) -> usize {
    app.sim()
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/oauth/access_token"))
        .count()
}

async fn accounts(app: &TestApp, owner: &TestOwner) -> Vec<Value> {
    let (status, body) = app
        .get("/api/owner/whatsapp/accounts", Some(&owner.token))
        .await;
    assert_eq!(status, 200, "{body}");
    body["accounts"].as_array().cloned().unwrap_or_default()
}

async fn round_trip(backend: Backend) {
    let app = app!(backend);
    let a = app.owner("ali@example.pk", Some("0321 5556677")).await;

    let url = oauth_url(&app, &a).await;
    assert!(url.starts_with(&app.sim.base_url()), "{url}");
    assert_eq!(
        query_param(&url, "redirect_uri").as_deref(),
        Some(format!("{}/api/whatsapp/callback", app.url).as_str()),
        "exactly META_REDIRECT_URI"
    );
    let state = query_param(&url, "state").unwrap_or_default();
    assert!(state.contains('.'), "signed: {state}");

    let (location, code) = app.through_dialog(&url, true).await;
    assert!(code.is_some());
    assert_eq!(location, frontend("whatsapp=connected&accounts=1"));

    let listed = accounts(&app, &a).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    let account = &listed[0];
    assert_eq!(account["phone_number_id"], PHONE_ID);
    assert_eq!(account["waba_id"], WABA);
    assert_eq!(account["phone_number"], "+923001112233");
    assert_eq!(account["display_name"], "Karachi Grill");
    assert_eq!(account["status"], "active");
    assert!(account["verified_at"].is_string(), "verified: {account}");
    assert_eq!(account["quality_color"], "green");

    let h = app.sim();
    // Subscribed to the WABA, with the token Meta issued, never a token from the browser.
    assert_eq!(h.subscribed_apps(WABA).len(), 1);
    // Verification: the owner's 24-hour window is closed, so Meta's hello_world template.
    let sent = h.sent_messages();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(
        (sent[0].to.as_str(), sent[0].kind.as_str()),
        ("+923215556677", "template")
    );
    assert_eq!(sent[0].phone_number_id, PHONE_ID);
    // The stored token is the long-lived one, sealed.
    let stored = app
        .state
        .services
        .ports
        .central
        .list_accounts(a.store.id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let token = app.stored_token(&stored[0]);
    assert!(!stored[0].access_token.as_str().contains(&token));
    let graph = app
        .state
        .services
        .ports
        .graph
        .clone()
        .unwrap_or_else(|| panic!("graph"));
    let info = graph
        .debug_token(&secrecy::SecretString::from(token))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(info.is_valid);
    assert!(
        info.expires_at
            .is_some_and(|t| t > app.state.services.ports.clock.now() + chrono::Duration::days(30)),
        "long-lived: {:?}",
        info.expires_at
    );
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_oauth_round_trip_ends_in_a_listed_verified_account_on_postgres() {
    round_trip(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_oauth_round_trip_ends_in_a_listed_verified_account_on_sqlite() {
    round_trip(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_open_window_gets_a_text_and_an_owner_without_a_number_is_verified_by_meta_status() {
    let app = app!(Backend::Postgres);
    let a = app.owner("ali@example.pk", Some("0321 5556677")).await;
    app.sim().open_window(PHONE_ID, "923215556677");
    let (location, _) = app.through_dialog(&oauth_url(&app, &a).await, true).await;
    assert_eq!(location, frontend("whatsapp=connected&accounts=1"));
    let sent = app.sim().sent_messages();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].kind, "text");
    assert!(
        sent[0].body.to_string().contains("is now connected to"),
        "{:?}",
        sent[0].body
    );

    // Reconnecting the same number to the same store replaces its token; no duplicate.
    let (location, _) = app.through_dialog(&oauth_url(&app, &a).await, true).await;
    assert_eq!(location, frontend("whatsapp=connected&accounts=1"));
    assert_eq!(accounts(&app, &a).await.len(), 1);
    app.cleanup().await;

    let app = app!(Backend::Postgres);
    let b = app.owner("bilal@example.pk", None).await;
    let (location, _) = app.through_dialog(&oauth_url(&app, &b).await, true).await;
    assert_eq!(location, frontend("whatsapp=connected&accounts=1"));
    let listed = accounts(&app, &b).await;
    assert_eq!(listed[0]["status"], "active");
    assert!(
        app.sim().sent_messages().is_empty(),
        "no owner number: no message"
    );
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_verification_message_leaves_the_account_pending() {
    let app = app!(Backend::Postgres);
    let a = app.owner("ali@example.pk", Some("0321 5556677")).await;
    app.sim().mark_undeliverable("923215556677");
    let (location, _) = app.through_dialog(&oauth_url(&app, &a).await, true).await;
    assert_eq!(location, frontend("whatsapp=connected&accounts=1"));
    let listed = accounts(&app, &a).await;
    assert_eq!(listed[0]["status"], "pending", "{listed:?}");
    assert!(listed[0]["verified_at"].is_null());
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_state_attack_is_refused_before_the_code_is_exchanged() {
    let app = app!(Backend::Postgres);
    let a = app.owner("ali@example.pk", None).await;
    let b = app.owner("bilal@example.pk", None).await;
    let callback = |state: Option<&str>, code: &str| {
        let mut url = format!("{}/api/whatsapp/callback?code={code}", app.url);
        if let Some(s) = state {
            url.push_str(&format!("&state={s}"));
        }
        url
    };
    // A real code from Meta, bound to A's real state.
    let url = oauth_url(&app, &a).await;
    let redirect = app.meta_dialog(&url, true).await;
    let code = query_param(&redirect, "code").unwrap_or_default();
    let good = query_param(&url, "state").unwrap_or_default();
    let (payload, tag) = good.split_once('.').unwrap_or_default();
    let raw = URL_SAFE_NO_PAD.decode(payload).unwrap_or_default();
    let nonce = &raw[..32];

    let mut edited = raw.clone();
    edited[40] ^= 1; // a bit of the owner id
    let edited = format!("{}.{tag}", URL_SAFE_NO_PAD.encode(&edited));
    let unsigned = URL_SAFE_NO_PAD.encode(&raw); // base64 only, no signature
    let other_tag = format!("{payload}.{}", URL_SAFE_NO_PAD.encode([0_u8; 32]));
    let onboarding = &app.state.services.onboarding;
    let now = app.state.services.ports.clock.now();
    // Validly signed, but already expired.
    let expired = onboarding.sign_state(
        nonce,
        a.owner.id,
        a.store.id,
        now - chrono::Duration::seconds(1),
    );
    // Validly signed, A's nonce claimed for B's owner and store: the stored row says otherwise.
    let foreign = onboarding.sign_state(
        nonce,
        b.owner.id,
        b.store.id,
        now + chrono::Duration::minutes(5),
    );
    // Validly signed, never issued.
    let unknown = onboarding.sign_state(
        &[7_u8; 32],
        a.owner.id,
        a.store.id,
        now + chrono::Duration::minutes(5),
    );

    app.sim().clear_requests();
    let attacks: Vec<(&str, Option<String>, &str)> = vec![
        ("missing", None, "state_invalid"),
        ("empty", Some(String::new()), "state_invalid"),
        ("garbage", Some("hello".into()), "state_invalid"),
        ("edited", Some(edited), "state_invalid"),
        ("base64 only", Some(unsigned), "state_invalid"),
        ("wrong signature", Some(other_tag), "state_invalid"),
        ("expired", Some(expired), "state_expired"),
        ("another owner's", Some(foreign), "state_invalid"),
        // Never issued: its nonce is not the one this browser's binding cookie was made for.
        ("never issued", Some(unknown), "browser_mismatch"),
    ];
    for (name, state, expected) in attacks {
        let location = app.callback(&callback(state.as_deref(), &code)).await;
        assert_eq!(
            location,
            frontend(&format!("whatsapp=error&code={expected}")),
            "{name}"
        );
    }
    assert_eq!(exchanges(&app), 0, "no code was exchanged");
    assert!(accounts(&app, &a).await.is_empty());
    assert!(accounts(&app, &b).await.is_empty());

    // The genuine state works once...
    let location = app.callback(&redirect).await;
    assert_eq!(location, frontend("whatsapp=connected&accounts=1"));
    let exchanged = exchanges(&app);
    // ... and a replay is refused without another exchange.
    let location = app.callback(&redirect).await;
    assert_eq!(location, frontend("whatsapp=error&code=state_used"));
    assert_eq!(exchanges(&app), exchanged);
    assert_eq!(accounts(&app, &a).await.len(), 1);
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dialog_link_finished_in_another_browser_connects_nothing() {
    let app = app!(Backend::Postgres);
    let attacker = app.owner("ali@example.pk", None).await;
    // The attacker asks for a dialog URL (its browser gets the binding cookie) and sends the
    // link to a victim owner, whose browser has no session of the attacker's and no cookie.
    let url = oauth_url(&app, &attacker).await;
    let victim = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let redirect = crate::support::meta_dialog_in(&victim, &url, true).await;
    app.sim().clear_requests();
    let location = crate::support::callback_in(&victim, &redirect).await;
    assert_eq!(location, frontend("whatsapp=error&code=browser_mismatch"));
    assert_eq!(exchanges(&app), 0, "the victim's code was not exchanged");
    assert!(accounts(&app, &attacker).await.is_empty(), "nothing linked");
    // In the browser that asked for it, the same flow still completes.
    assert_eq!(
        app.callback(&redirect).await,
        frontend("whatsapp=connected&accounts=1")
    );
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_state_that_expires_in_the_database_is_refused() {
    let app = app!(
        Backend::Postgres,
        &[("OMNI_OWNER__OAUTH_STATE_TTL_SECS", "1")]
    );
    let a = app.owner("ali@example.pk", None).await;
    let url = oauth_url_any(&app, &a).await;
    let redirect = app.meta_dialog(&url, true).await;
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    app.sim().clear_requests();
    let location = app.callback(&redirect).await;
    assert_eq!(location, frontend("whatsapp=error&code=state_expired"));
    assert_eq!(exchanges(&app), 0);
    app.cleanup().await;
}

async fn oauth_url_any(app: &TestApp, owner: &TestOwner) -> String {
    let (status, body) = app
        .get("/api/owner/whatsapp/oauth-url", Some(&owner.token))
        .await;
    assert_eq!(status, 200, "{body}");
    body["url"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn cancelling_the_dialog_tells_the_owner_and_stores_nothing() {
    let app = app!(Backend::Postgres);
    let a = app.owner("ali@example.pk", None).await;
    let url = oauth_url(&app, &a).await;
    app.sim().clear_requests();
    let (location, code) = app.through_dialog(&url, false).await;
    assert!(code.is_none());
    assert_eq!(location, frontend("whatsapp=error&code=access_denied"));
    assert_eq!(exchanges(&app), 0);
    assert!(accounts(&app, &a).await.is_empty());
    assert!(app.sim().subscribed_apps(WABA).is_empty());
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_number_connected_to_another_store_is_refused_not_moved() {
    let app = app!(Backend::Postgres);
    let a = app.owner("ali@example.pk", None).await;
    let b = app.owner("bilal@example.pk", None).await;
    let (location, _) = app.through_dialog(&oauth_url(&app, &a).await, true).await;
    assert_eq!(location, frontend("whatsapp=connected&accounts=1"));
    let before = accounts(&app, &a).await;

    let (location, _) = app.through_dialog(&oauth_url(&app, &b).await, true).await;
    assert_eq!(location, frontend("whatsapp=error&code=number_taken"));
    assert!(accounts(&app, &b).await.is_empty());
    assert_eq!(accounts(&app, &a).await, before, "A's account untouched");
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn oauth_url_needs_a_configured_redirect_uri() {
    let app = app!(Backend::Postgres, &[("META_REDIRECT_URI", "")]);
    let a = app.owner("ali@example.pk", None).await;
    let (status, body) = app
        .get("/api/owner/whatsapp/oauth-url", Some(&a.token))
        .await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"], "redirect_uri_not_configured");
    app.cleanup().await;
}

/// A code as the Embedded Signup popup gets it: the config_id dialog, no redirect needed.
async fn signup_code(app: &TestApp) -> String {
    let h = app.sim();
    let url = format!(
        "{}/v25.0/dialog/oauth?client_id={}&redirect_uri=https%3A%2F%2Ffrontend.test%2Fes&config_id=cfg-1&response_type=code&state=browser",
        app.sim.base_url(),
        h.app_id()
    );
    let redirect = app.meta_dialog(&url, true).await;
    query_param(&redirect, "code").unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn embedded_signup_connects_the_numbers_the_token_can_see_and_checks_the_ids() {
    let app = app!(Backend::Postgres);
    let a = app.owner("ali@example.pk", None).await;
    let path = "/api/owner/whatsapp/embedded-signup";

    // Ids the token was not granted are refused, and nothing is stored.
    for (waba, phone) in [("999999999999999", PHONE_ID), (WABA, "999999999999999")] {
        let code = signup_code(&app).await;
        let (status, body) = app
            .post_json(
                path,
                Some(&a.token),
                &json!({"code": code, "waba_id": waba, "phone_number_id": phone}),
            )
            .await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["error"], "asset_not_granted");
    }
    assert!(accounts(&app, &a).await.is_empty());

    let code = signup_code(&app).await;
    let (status, body) = app
        .post_json(
            path,
            Some(&a.token),
            &json!({"code": code, "waba_id": WABA, "phone_number_id": PHONE_ID, "business_id": "2729063490586005"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["accounts"][0]["phone_number_id"], PHONE_ID);
    assert_eq!(body["accounts"][0]["status"], "active");
    assert_eq!(body["taken"], json!([]));
    assert_eq!(app.sim().subscribed_apps(WABA).len(), 1);
    let stored = app
        .state
        .services
        .ports
        .central
        .list_accounts(a.store.id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].status(), AccountStatus::Active);
    assert!(!body.to_string().contains(&app.stored_token(&stored[0])));

    // The same code twice: Meta refuses it.
    let (status, body) = app
        .post_json(path, Some(&a.token), &json!({"code": code}))
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "code_exchange_failed");
    let (status, body) = app
        .post_json(path, Some(&a.token), &json!({"nope": 1}))
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "bad_request");
    let (status, body) = app
        .post_json(path, Some(&a.token), &json!({"code": " "}))
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("code_exchange_failed"))
    );

    // Another store's owner gets the same number refused.
    let b = app.owner("bilal@example.pk", None).await;
    let code = signup_code(&app).await;
    let (status, body) = app
        .post_json(
            path,
            Some(&b.token),
            &json!({"code": code, "waba_id": WABA}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"], "number_taken");
    assert!(accounts(&app, &b).await.is_empty());
    app.cleanup().await;
}
