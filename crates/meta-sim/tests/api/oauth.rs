//! OAuth: dialog → decision → code → exchange, and the exchange's failure modes.

use std::time::Duration;

use omni_meta_sim::{SimConfig, TokenSeed};
use serde_json::Value;

use crate::common::{self, code, env, env_with, read};

const REDIRECT: &str = "https://shop.example/oauth/callback?tenant=7";

fn config() -> SimConfig {
    SimConfig {
        redirect_uris: vec![REDIRECT.to_owned()],
        ..SimConfig::default()
    }
}

fn query_param(url: &str, name: &str) -> Option<String> {
    let url = reqwest::Url::parse(url).expect("url");
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).expect("hidden field") + marker.len();
    html[start..].split('"').next().expect("value").to_owned()
}

/// Opens the dialog and clicks `decision`; returns the redirect Location.
async fn run_dialog(e: &common::Env, extra: &[(&str, &str)], decision: &str) -> String {
    let mut params = vec![
        ("client_id", "1234567890"),
        ("redirect_uri", REDIRECT),
        ("state", "s+t/ä=1&x"),
        ("response_type", "code"),
    ];
    params.extend_from_slice(extra);
    let page = e
        .http
        .get(format!("{}/dialog/oauth", e.graph))
        .query(&params)
        .send()
        .await
        .expect("dialog");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert!(html.contains("Simulated Meta login"), "{html}");
    assert!(html.contains("Continue") && html.contains("Cancel"));
    let dialog_id = hidden(&html, "dialog_id");
    let resp = e
        .http
        .post(format!("{}/dialog/oauth/decision", e.graph))
        .form(&[("dialog_id", dialog_id.as_str()), ("decision", decision)])
        .send()
        .await
        .expect("decision");
    assert_eq!(resp.status(), 302);
    resp.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned()
}

async fn exchange(e: &common::Env, form: &[(&str, &str)]) -> (u16, Value) {
    let resp = e
        .http
        .post(format!("{}/oauth/access_token", e.graph))
        .form(form)
        .send()
        .await
        .expect("exchange");
    read(resp).await
}

#[tokio::test]
async fn a_config_id_dialog_yields_a_single_use_code_for_a_never_expiring_business_token() {
    let e = env_with(config()).await;
    let location = run_dialog(&e, &[("config_id", "cfg-1")], "continue").await;
    assert!(
        location.starts_with("https://shop.example/oauth/callback?tenant=7&code="),
        "{location}"
    );
    assert_eq!(
        query_param(&location, "state").as_deref(),
        Some("s+t/ä=1&x")
    );
    let code_value = query_param(&location, "code").expect("code");
    let form = [
        ("client_id", "1234567890"),
        ("client_secret", "sim-app-secret"),
        ("redirect_uri", REDIRECT),
        ("code", code_value.as_str()),
    ];
    let (status, body) = exchange(&e, &form).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "bearer");
    assert!(body.get("expires_in").is_none(), "{body}");
    let token = body["access_token"].as_str().expect("token");
    assert!(token.starts_with("EAA"));

    let (status, again) = exchange(&e, &form).await;
    assert_eq!((status, code(&again)), (400, 100));
    assert_eq!(again["error"]["error_subcode"], 36009);

    let me = e
        .http
        .get(format!("{}/me?fields=client_business_id", e.graph))
        .bearer_auth(token)
        .send()
        .await
        .expect("me");
    let (_, me) = read(me).await;
    assert_eq!(me["client_business_id"], "2729063490586005");
    assert_eq!(me["id"], "500000000000005");
}

#[tokio::test]
async fn a_scope_dialog_yields_a_short_lived_user_token_and_embedded_signup_may_omit_redirect_uri()
{
    let e = env_with(config()).await;
    let scope = [(
        "scope",
        "whatsapp_business_management,whatsapp_business_messaging",
    )];
    let location = run_dialog(&e, &scope, "continue").await;
    let code_value = query_param(&location, "code").expect("code");
    let (status, body) = exchange(
        &e,
        &[
            ("client_id", "1234567890"),
            ("client_secret", "sim-app-secret"),
            ("code", &code_value),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let expires_in = body["expires_in"].as_i64().expect("expires_in");
    assert!((3600..=7200).contains(&expires_in), "{expires_in}");
}

#[tokio::test]
async fn exchange_errors_match_meta_for_secret_expiry_redirect_mismatch_and_garbage() {
    let e = env_with(config()).await;
    let location = run_dialog(&e, &[("config_id", "cfg")], "continue").await;
    let c = query_param(&location, "code").expect("code");
    let base = |secret: &'static str, redirect: &'static str, code: String| {
        vec![
            ("client_id", "1234567890".to_owned()),
            ("client_secret", secret.to_owned()),
            ("redirect_uri", redirect.to_owned()),
            ("code", code),
        ]
    };
    let send = |form: Vec<(&'static str, String)>| {
        let http = e.http.clone();
        let url = format!("{}/oauth/access_token", e.graph);
        async move { read(http.post(url).form(&form).send().await.expect("send")).await }
    };
    let (s, b) = send(base("wrong", REDIRECT, c.clone())).await;
    assert_eq!((s, code(&b)), (400, 1));
    assert_eq!(b["error"]["message"], "Error validating client secret.");
    assert_eq!(b["error"]["type"], "OAuthException");
    assert!(b["error"]["fbtrace_id"].is_string());

    let (_, b) = send(base("sim-app-secret", "https://evil.example/cb", c.clone())).await;
    assert_eq!(
        (code(&b), b["error"]["error_subcode"].as_i64()),
        (100, Some(36008))
    );

    let (_, b) = send(base("sim-app-secret", REDIRECT, "garbage".to_owned())).await;
    assert_eq!(
        (code(&b), b["error"]["error_subcode"].as_i64()),
        (100, Some(36007))
    );
    assert_eq!(b["error"]["message"], "Invalid verification code format.");

    e.h.advance_clock(Duration::from_secs(11 * 60));
    let (_, b) = send(base("sim-app-secret", REDIRECT, c)).await;
    assert_eq!(
        b["error"]["message"],
        "This authorization code has expired."
    );
    assert_eq!(b["error"]["error_subcode"], 36007);
}

#[tokio::test]
async fn cancelling_the_dialog_redirects_with_access_denied_and_the_untouched_state() {
    let e = env_with(config()).await;
    let location = run_dialog(&e, &[("config_id", "cfg")], "cancel").await;
    assert_eq!(
        query_param(&location, "error").as_deref(),
        Some("access_denied")
    );
    assert_eq!(
        query_param(&location, "error_reason").as_deref(),
        Some("user_denied")
    );
    assert_eq!(query_param(&location, "error_code").as_deref(), Some("200"));
    assert_eq!(
        query_param(&location, "error_description").as_deref(),
        Some("Permissions error")
    );
    assert_eq!(
        query_param(&location, "state").as_deref(),
        Some("s+t/ä=1&x")
    );
    assert!(query_param(&location, "code").is_none());
}

#[tokio::test]
async fn the_dialog_refuses_an_unregistered_redirect_uri_and_a_wrong_client_id() {
    let e = env_with(config()).await;
    for (client, redirect) in [("1234567890", "https://evil.example/cb"), ("999", REDIRECT)] {
        let resp = e
            .http
            .get(format!("{}/dialog/oauth", e.graph))
            .query(&[
                ("client_id", client),
                ("redirect_uri", redirect),
                ("state", "x"),
            ])
            .send()
            .await
            .expect("dialog");
        assert_eq!(resp.status(), 400);
        assert!(resp.text().await.expect("html").contains("<html"));
    }
}

#[tokio::test]
async fn long_lived_exchange_extends_user_tokens_and_refuses_expired_ones() {
    let e = env().await;
    let short =
        e.h.issue_token(TokenSeed::user(&[common::WABA], Duration::from_secs(3600)));
    let (status, body) = exchange(
        &e,
        &[
            ("grant_type", "fb_exchange_token"),
            ("client_id", "1234567890"),
            ("client_secret", "sim-app-secret"),
            ("fb_exchange_token", &short),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["expires_in"], 5_183_944);
    assert_ne!(body["access_token"].as_str(), Some(short.as_str()));

    let system = e.h.issue_token(TokenSeed::business(&[common::WABA]));
    let (_, body) = exchange(
        &e,
        &[
            ("grant_type", "fb_exchange_token"),
            ("client_id", "1234567890"),
            ("client_secret", "sim-app-secret"),
            ("set_token_expires_in_60_days", "true"),
            ("fb_exchange_token", &system),
        ],
    )
    .await;
    assert_eq!(body["expires_in"], 60 * 24 * 3600);

    e.h.expire_token(&short);
    let (status, body) = exchange(
        &e,
        &[
            ("grant_type", "fb_exchange_token"),
            ("client_id", "1234567890"),
            ("client_secret", "sim-app-secret"),
            ("fb_exchange_token", &short),
        ],
    )
    .await;
    assert_eq!((status, code(&body)), (401, 190));
    assert_eq!(body["error"]["error_subcode"], 463);
}

#[tokio::test]
async fn debug_token_reports_scopes_targets_and_invalidity_with_http_200() {
    let e = env().await;
    let app_token = e.h.app_token();
    let debug = |input: String| {
        let http = e.http.clone();
        let url = format!("{}/debug_token", e.graph);
        let app_token = app_token.clone();
        async move {
            read(
                http.get(url)
                    .bearer_auth(app_token)
                    .query(&[("input_token", input)])
                    .send()
                    .await
                    .expect("send"),
            )
            .await
        }
    };
    let (status, body) = debug(e.token.clone()).await;
    assert_eq!(status, 200);
    let d = &body["data"];
    assert_eq!(d["app_id"], "1234567890");
    assert_eq!(d["type"], "SYSTEM_USER");
    assert_eq!(d["is_valid"], true);
    assert_eq!(d["expires_at"], 0);
    assert_eq!(
        d["granular_scopes"][0]["scope"],
        "whatsapp_business_management"
    );
    assert_eq!(d["granular_scopes"][0]["target_ids"][0], common::WABA);

    e.h.revoke_token(&e.token);
    let (status, body) = debug(e.token.clone()).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["is_valid"], false);
    assert_eq!(body["data"]["error"]["code"], 190);

    let (_, body) = debug("nonsense".to_owned()).await;
    assert_eq!(body["data"]["is_valid"], false);

    let wrong = e
        .http
        .get(format!("{}/debug_token", e.graph))
        .bearer_auth("1234567890|not-the-secret")
        .query(&[("input_token", &e.token)])
        .send()
        .await
        .expect("send");
    let (status, body) = read(wrong).await;
    assert_eq!((status, code(&body)), (400, 190));
}

#[tokio::test]
async fn client_credentials_returns_an_app_token_that_debug_token_accepts() {
    let e = env().await;
    let (_, body) = exchange(
        &e,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "1234567890"),
            ("client_secret", "sim-app-secret"),
        ],
    )
    .await;
    let app = body["access_token"].as_str().expect("app token");
    assert!(app.starts_with("1234567890|"));
    let resp = e
        .http
        .get(format!("{}/debug_token", e.graph))
        .bearer_auth(app)
        .query(&[("input_token", &e.token)])
        .send()
        .await
        .expect("send");
    assert_eq!(read(resp).await.1["data"]["is_valid"], true);
}
