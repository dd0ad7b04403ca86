//! The owner API over real HTTP on Postgres, Meta simulated: login and sessions, every
//! account endpoint's success and failure, and the cross-store matrix that walks the route
//! table itself.

use crate::support::{Backend, PHONE_ID, TestApp, WABA};
use omni_app::http::owner::{Access, ROUTES};
use omni_domain::AccountStatus;
use omni_meta_sim::{Endpoint, Fault, FaultRule};
use reqwest::Method;
use serde_json::{Value, json};

macro_rules! app {
    () => {
        match TestApp::spawn(Backend::Postgres).await {
            Some(app) => app,
            None => return,
        }
    };
    ($extra:expr) => {
        match TestApp::spawn_with(
            Backend::Postgres,
            omni_meta_sim::SimConfig::default(),
            $extra,
        )
        .await
        {
            Some(app) => app,
            None => return,
        }
    };
}

/// actix's method as reqwest's (two `http` crate versions).
fn m(method: &actix_web::http::Method) -> Method {
    Method::from_bytes(method.as_str().as_bytes()).unwrap_or(Method::GET)
}

fn accounts_path(store: Option<&str>) -> String {
    match store {
        Some(s) => format!("/api/owner/whatsapp/accounts?store_id={s}"),
        None => "/api/owner/whatsapp/accounts".to_owned(),
    }
}

fn assert_error(body: &Value, code: &str) {
    assert_eq!(body["error"], code, "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    assert!(
        body["request_id"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn login_gives_a_bearer_token_that_opens_the_api_and_logout_revokes_it() {
    let app = app!();
    let a = app.owner("ali@example.pk", None).await;
    // 32 random bytes, base64url without padding.
    assert_eq!(a.token.len(), 43, "{}", a.token);
    let (status, body) = app.get(&accounts_path(None), Some(&a.token)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["store_id"], a.store.id.to_string());
    assert_eq!(body["accounts"], json!([]));

    let (status, _) = app.post("/api/owner/logout", Some(&a.token)).await;
    assert_eq!(status, 204);
    let res = app
        .http
        .get(format!("{}{}", app.url, accounts_path(None)))
        .bearer_auth(&a.token)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(res.status().as_u16(), 401);
    assert_eq!(
        res.headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok()),
        Some("Bearer")
    );
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert_error(&body, "unauthorized");
    // The OpenAPI document is public and is the one in docs/.
    let (status, doc) = app.get("/api/openapi.json", None).await;
    assert_eq!(status, 200);
    assert_eq!(
        doc,
        serde_json::from_str::<Value>(&omni_app::http::owner::openapi::json()).unwrap_or_default()
    );
    // A second logout with the revoked token is refused too.
    let (status, _) = app.post("/api/owner/logout", Some(&a.token)).await;
    assert_eq!(status, 401);
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_password_and_an_unknown_email_get_the_same_401() {
    let app = app!();
    app.owner("ali@example.pk", None).await;
    let (s1, wrong) = app
        .post_json(
            "/api/owner/login",
            None,
            &json!({"email": "ali@example.pk", "password": "not the password"}),
        )
        .await;
    let (s2, unknown) = app
        .post_json(
            "/api/owner/login",
            None,
            &json!({"email": "nobody@example.pk", "password": "not the password"}),
        )
        .await;
    let (s3, malformed) = app
        .post_json(
            "/api/owner/login",
            None,
            &json!({"email": "not an email", "password": "x"}),
        )
        .await;
    assert_eq!((s1, s2, s3), (401, 401, 401));
    for body in [&wrong, &unknown, &malformed] {
        assert_error(body, "invalid_credentials");
        assert_eq!(body["message"], wrong["message"]);
        assert!(body.get("token").is_none());
    }
    let (status, body) = app
        .post_json("/api/owner/login", None, &json!({"email": 1}))
        .await;
    assert_eq!(status, 400, "{body}");
    assert_error(&body, "bad_request");
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_or_garbage_tokens_are_refused_on_every_owner_route() {
    let app = app!();
    for spec in ROUTES.iter().filter(|r| r.access != Access::Public) {
        let path = spec
            .path
            .replace("{id}", "01900000-0000-7000-8000-000000000000");
        for token in [None, Some("garbage"), Some(&"x".repeat(43)[..])] {
            let (status, body) = app
                .call(m(&spec.method), &path, token, Some(&json!({})))
                .await;
            assert_eq!(status, 401, "{} {path} with {token:?}: {body}", spec.method);
            assert_error(&body, "unauthorized");
        }
    }
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn login_attempts_are_rate_limited_per_email() {
    let app = app!(&[("OMNI_OWNER__LOGIN_ATTEMPTS_PER_MINUTE", "3")]);
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let (status, body) = app
            .post_json(
                "/api/owner/login",
                None,
                &json!({"email": "who@example.pk", "password": "wrong password"}),
            )
            .await;
        if status == 429 {
            assert_error(&body, "too_many_attempts");
        }
        statuses.push(status);
    }
    assert_eq!(statuses, vec![401, 401, 401, 429]);
    app.cleanup().await;
}

/// A wrong-password login through a proxy that says the client is `forwarded_for`; each
/// attempt uses a new email, so only the address limit can refuse it.
async fn login_via(app: &TestApp, n: usize, forwarded_for: &str) -> u16 {
    app.http
        .post(format!("{}/api/owner/login", app.url))
        .header("x-forwarded-for", forwarded_for)
        .json(&json!({"email": format!("who{n}@example.pk"), "password": "wrong password"}))
        .send()
        .await
        .unwrap_or_else(|e| panic!("login: {e}"))
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread")]
async fn behind_a_trusted_proxy_each_client_address_has_its_own_login_limit() {
    let limit = ("OMNI_OWNER__LOGIN_ATTEMPTS_PER_MINUTE", "3");
    let app = app!(&[limit, ("OMNI_SERVER__TRUSTED_PROXIES", "127.0.0.1")]);
    let mut a = Vec::new();
    for n in 0..4 {
        a.push(login_via(&app, n, "198.51.100.7").await);
    }
    assert_eq!(a, [401, 401, 401, 429], "client A's own limit");
    assert_eq!(
        login_via(&app, 10, "203.0.113.9").await,
        401,
        "client B is not locked out by A"
    );
    assert_eq!(
        login_via(&app, 11, "203.0.113.50, 198.51.100.7").await,
        429,
        "a made-up entry in front of the proxy's does not give A a new bucket"
    );
    app.cleanup().await;

    // Without trust the header means nothing: every attempt counts against the peer.
    let app = app!(&[limit]);
    let mut shared = Vec::new();
    for (n, client) in ["198.51.100.7", "203.0.113.9", "192.0.2.1", "192.0.2.2"]
        .into_iter()
        .enumerate()
    {
        shared.push(login_via(&app, n, client).await);
    }
    assert_eq!(shared, [401, 401, 401, 429]);
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_account_list_shows_meta_details_and_the_default_but_never_the_token() {
    let app = app!();
    let a = app.owner("ali@example.pk", None).await;
    let first = app
        .connect_direct(&a.store, WABA, PHONE_ID, "+92 300 1112233", true)
        .await;
    let second = app
        .connect_direct(&a.store, WABA, "106540352242923", "+92 300 1112234", true)
        .await;
    // Refresh the first from Meta so quality, limits and throughput are known.
    let (status, body) = app
        .post(
            &format!("/api/owner/whatsapp/accounts/{}/refresh", first.id),
            Some(&a.token),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = app
        .post(
            &format!("/api/owner/whatsapp/accounts/{}/set-default", second.id),
            Some(&a.token),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["is_default"], true);

    let (status, text) = app
        .call_text(Method::GET, &accounts_path(None), Some(&a.token), None)
        .await;
    assert_eq!(status, 200, "{text}");
    for account in [&first, &second] {
        let token = app.stored_token(account);
        assert!(!text.contains(&token), "a token leaked into the list");
        assert!(
            !text.contains(account.access_token.as_str()),
            "ciphertext leaked"
        );
    }
    let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    assert_eq!(body["default_account_id"], second.id.to_string());
    let listed = body["accounts"].as_array().cloned().unwrap_or_default();
    assert_eq!(listed.len(), 2);
    let one = &listed[0];
    assert_eq!(one["id"], first.id.to_string());
    assert_eq!(one["phone_number"], "+923001112233");
    assert_eq!(one["formatted_phone"], "+92 300 1112233");
    assert_eq!(one["phone_number_id"], PHONE_ID);
    assert_eq!(one["status"], "active");
    assert_eq!(one["is_default"], false);
    assert_eq!(one["quality_rating"], "GREEN");
    assert_eq!(one["quality_color"], "green");
    assert_eq!(one["messaging_limit"], "TIER_2K");
    assert_eq!(one["messaging_limit_daily_users"], 2000);
    assert_eq!(one["throughput"], "STANDARD");
    assert_eq!(one["meta_status"], "CONNECTED");
    assert_eq!(one["display_name"], "Karachi Grill");
    assert!(one["verified_at"].is_string());
    assert!(one["last_webhook_at"].is_null());
    assert_eq!(listed[1]["is_default"], true);
    assert_eq!(
        listed[1]["quality_color"], "grey",
        "never refreshed: unrated"
    );
    for field in ["access_token", "token", "webhook_verification_token"] {
        assert!(one.get(field).is_none(), "{field} must not be listed");
    }
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn set_default_needs_an_active_account_and_toggle_switches_it_off_and_on() {
    let app = app!();
    let a = app.owner("ali@example.pk", None).await;
    let active = app
        .connect_direct(&a.store, WABA, PHONE_ID, "+92 300 1112233", true)
        .await;
    let pending = app
        .connect_direct(&a.store, WABA, "106540352242923", "+92 300 1112234", false)
        .await;
    let path = |id: &omni_domain::AccountId, what: &str| {
        format!("/api/owner/whatsapp/accounts/{id}/{what}")
    };

    let (status, body) = app
        .post(&path(&pending.id, "set-default"), Some(&a.token))
        .await;
    assert_eq!(status, 409, "{body}");
    assert_error(&body, "account_not_active");
    let (status, body) = app
        .post(&path(&pending.id, "toggle-status"), Some(&a.token))
        .await;
    assert_eq!(status, 409, "{body}");
    assert_error(&body, "invalid_status");

    let (status, body) = app
        .post(&path(&active.id, "toggle-status"), Some(&a.token))
        .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("inactive")),
        "{body}"
    );
    let (status, body) = app
        .post(&path(&active.id, "set-default"), Some(&a.token))
        .await;
    assert_eq!(status, 409, "inactive cannot be default: {body}");
    let (status, body) = app
        .post(&path(&active.id, "toggle-status"), Some(&a.token))
        .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("active")),
        "{body}"
    );
    let (status, body) = app
        .post(&path(&active.id, "set-default"), Some(&a.token))
        .await;
    assert_eq!(
        (status, body["is_default"].as_bool()),
        (200, Some(true)),
        "{body}"
    );

    let stored = app
        .state
        .services
        .ports
        .central
        .find_store(a.store.id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(stored.and_then(|s| s.default_account_id), Some(active.id));
    for bad in ["not-a-uuid", "01900000-0000-7000-8000-000000000000"] {
        let (status, body) = app
            .post(
                &format!("/api/owner/whatsapp/accounts/{bad}/set-default"),
                Some(&a.token),
            )
            .await;
        assert_eq!(status, 404, "{body}");
        assert_error(&body, "not_found");
    }
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn refresh_rereads_meta_and_a_rejected_token_marks_the_account_reauth_required() {
    let app = app!();
    let a = app.owner("ali@example.pk", None).await;
    let account = app
        .connect_direct(&a.store, WABA, PHONE_ID, "+92 300 1112233", true)
        .await;
    let h = app.sim();
    h.set_quality(PHONE_ID, "RED");
    h.set_messaging_limit(PHONE_ID, Some("TIER_10K"));
    h.update_number(PHONE_ID, |n| {
        n.throughput_level = "HIGH".into();
        n.name_status = "PENDING_REVIEW".into();
        n.status = "FLAGGED".into();
        n.verified_name = "Karachi Grill 2".into();
    });
    let refresh = format!("/api/owner/whatsapp/accounts/{}/refresh", account.id);
    let (status, body) = app.post(&refresh, Some(&a.token)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["quality_rating"], "RED");
    assert_eq!(body["quality_color"], "red");
    assert_eq!(body["messaging_limit"], "TIER_10K");
    assert_eq!(body["throughput"], "HIGH");
    assert_eq!(body["name_status"], "PENDING_REVIEW");
    assert_eq!(body["meta_status"], "FLAGGED");
    assert_eq!(body["display_name"], "Karachi Grill 2");

    // Meta answers 5xx: nothing changes, 503.
    h.inject_fault(FaultRule::times(
        Endpoint::PhoneNumbers,
        Fault::ServerError(500),
        3,
    ));
    let (status, body) = app.post(&refresh, Some(&a.token)).await;
    assert_eq!(status, 503, "{body}");
    assert_error(&body, "meta_unavailable");
    assert!(!body.to_string().contains("graph"), "no internals: {body}");
    h.clear_faults();

    // The token dies (190): the account is marked and the owner told to reconnect.
    assert!(h.expire_token(&app.stored_token(&account)));
    let (status, body) = app.post(&refresh, Some(&a.token)).await;
    assert_eq!(status, 409, "{body}");
    assert_error(&body, "reauth_required");
    let stored = app
        .state
        .services
        .ports
        .central
        .find_account(a.store.id, account.id)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("account gone"));
    assert_eq!(stored.status(), AccountStatus::ReauthRequired);
    let (status, body) = app
        .post(
            &format!("/api/owner/whatsapp/accounts/{}/toggle-status", account.id),
            Some(&a.token),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn disconnect_soft_deletes_clears_the_default_and_unsubscribes_the_last_user_of_a_waba() {
    let app = app!();
    let a = app.owner("ali@example.pk", None).await;
    let one = app
        .connect_direct(&a.store, WABA, PHONE_ID, "+92 300 1112233", true)
        .await;
    let two = app
        .connect_direct(&a.store, WABA, "106540352242923", "+92 300 1112234", true)
        .await;
    let graph = app
        .state
        .services
        .ports
        .graph
        .clone()
        .unwrap_or_else(|| panic!("graph"));
    let token = secrecy::SecretString::from(app.stored_token(&one));
    let waba = omni_domain::WabaId::parse(WABA).unwrap_or_else(|e| panic!("{e}"));
    graph
        .subscribe_app(&token, &waba, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let h = app.sim();
    assert_eq!(h.subscribed_apps(WABA).len(), 1);
    let (status, _) = app
        .post(
            &format!("/api/owner/whatsapp/accounts/{}/set-default", one.id),
            Some(&a.token),
        )
        .await;
    assert_eq!(status, 200);

    let (status, body) = app
        .post(
            &format!("/api/owner/whatsapp/accounts/{}/disconnect", one.id),
            Some(&a.token),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["meta_cleanup"], "shared_waba");
    assert_eq!(
        h.subscribed_apps(WABA).len(),
        1,
        "the other number still needs webhooks"
    );
    let (_, list) = app.get(&accounts_path(None), Some(&a.token)).await;
    assert_eq!(list["default_account_id"], Value::Null, "default cleared");
    assert_eq!(list["accounts"].as_array().map(Vec::len), Some(1));

    // Meta fails on the last one: the local disconnect stands, the failure is reported.
    h.inject_fault(FaultRule::times(
        Endpoint::SubscribedApps,
        Fault::ServerError(500),
        5,
    ));
    let (status, body) = app
        .post(
            &format!("/api/owner/whatsapp/accounts/{}/disconnect", two.id),
            Some(&a.token),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["meta_cleanup"], "failed");
    h.clear_faults();
    let (_, list) = app.get(&accounts_path(None), Some(&a.token)).await;
    assert_eq!(list["accounts"], json!([]));
    let (status, body) = app
        .post(
            &format!("/api/owner/whatsapp/accounts/{}/disconnect", two.id),
            Some(&a.token),
        )
        .await;
    assert_eq!(status, 404, "already disconnected: {body}");

    // With Meta answering, the last account of a WABA unsubscribes the app.
    let three = app
        .connect_direct(&a.store, WABA, PHONE_ID, "+92 300 1112233", true)
        .await;
    let (status, body) = app
        .post(
            &format!("/api/owner/whatsapp/accounts/{}/disconnect", three.id),
            Some(&a.token),
        )
        .await;
    assert_eq!(
        (status, body["meta_cleanup"].as_str()),
        (200, Some("done")),
        "{body}"
    );
    assert!(h.subscribed_apps(WABA).is_empty(), "unsubscribed");
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn store_id_picks_one_of_the_owners_stores_and_refuses_others() {
    let app = app!();
    let a = app.owner("ali@example.pk", None).await;
    let second = app
        .registry
        .create_store(
            a.owner.id,
            omni_domain::StoreName::parse("Second").unwrap_or_else(|e| panic!("{e}")),
            omni_domain::StoreKind::Shop,
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let account = app
        .connect_direct(&second, WABA, PHONE_ID, "+92 300 1112233", true)
        .await;
    let (_, default_store) = app.get(&accounts_path(None), Some(&a.token)).await;
    assert_eq!(
        default_store["store_id"],
        a.store.id.to_string(),
        "oldest store by default"
    );
    assert_eq!(default_store["accounts"], json!([]));
    let (status, other) = app
        .get(&accounts_path(Some(&second.id.to_string())), Some(&a.token))
        .await;
    assert_eq!(status, 200);
    assert_eq!(other["accounts"][0]["id"], account.id.to_string());
    // The account belongs to the second store: through the first it does not exist.
    let (status, _) = app
        .post(
            &format!("/api/owner/whatsapp/accounts/{}/set-default", account.id),
            Some(&a.token),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = app
        .post(
            &format!(
                "/api/owner/whatsapp/accounts/{}/set-default?store_id={}",
                account.id, second.id
            ),
            Some(&a.token),
        )
        .await;
    assert_eq!(status, 200);
    for bad in ["nope", "01900000-0000-7000-8000-000000000000"] {
        let (status, body) = app.get(&accounts_path(Some(bad)), Some(&a.token)).await;
        assert_eq!(status, 404, "{body}");
    }
    app.cleanup().await;
}

/// Everything of store A an answer must not reveal, and its state to compare after.
async fn snapshot(app: &TestApp, a: &crate::support::TestOwner) -> String {
    let (_, list) = app.get(&accounts_path(None), Some(&a.token)).await;
    let store = app
        .state
        .services
        .ports
        .central
        .find_store(a.store.id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    format!(
        "{list} default={:?}",
        store.and_then(|s| s.default_account_id)
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn every_owner_route_answers_404_for_another_stores_ids_and_changes_nothing() {
    let app = app!();
    let a = app.owner("ali@example.pk", None).await;
    let b = app.owner("bilal@example.pk", None).await;
    let victim = app
        .connect_direct(&a.store, WABA, PHONE_ID, "+92 300 1112233", true)
        .await;
    let (status, _) = app
        .post(
            &format!("/api/owner/whatsapp/accounts/{}/set-default", victim.id),
            Some(&a.token),
        )
        .await;
    assert_eq!(status, 200);
    let secrets = [
        victim.id.to_string(),
        victim.phone_number_id.as_str().to_owned(),
        victim.phone_number.as_str().to_owned(),
        victim.waba_id.as_str().to_owned(),
        app.stored_token(&victim),
    ];
    // Routes that take no store or account id, and why.
    let no_ids = [
        ("POST", "/api/owner/login"),      // public: email and password only
        ("POST", "/api/owner/logout"),     // the caller's own session only
        ("GET", "/api/whatsapp/callback"), // public: the signed state names the store (oauth.rs tests)
        ("GET", "/api/openapi.json"),      // public document
    ];
    let before = snapshot(&app, &a).await;
    let h = app.sim();
    h.clear_requests();
    let mut tried = 0;
    for spec in ROUTES {
        let key = (spec.method.as_str(), spec.path);
        match spec.access {
            Access::Public | Access::Owner => {
                assert!(
                    no_ids.contains(&key),
                    "{key:?} is {:?}: add it to the cross-store matrix or say why it takes no ids",
                    spec.access
                );
                continue;
            }
            Access::OwnerStore => {
                // B names A's store.
                let path = format!("{}?store_id={}", spec.path, a.store.id);
                let body = json!({"code": "AQxyz", "waba_id": WABA, "phone_number_id": PHONE_ID});
                let (status, text) = app
                    .call_text(m(&spec.method), &path, Some(&b.token), Some(&body))
                    .await;
                assert_eq!(status, 404, "{key:?}: {text}");
                for s in &secrets {
                    assert!(!text.contains(s.as_str()), "{key:?} revealed {s}: {text}");
                }
                tried += 1;
            }
            Access::OwnerAccount => {
                // B names A's account, through B's own store (the default) and through A's.
                for store in [None, Some(a.store.id.to_string())] {
                    let mut path = spec.path.replace("{id}", &victim.id.to_string());
                    if let Some(s) = &store {
                        path = format!("{path}?store_id={s}");
                    }
                    let (status, text) = app
                        .call_text(m(&spec.method), &path, Some(&b.token), Some(&json!({})))
                        .await;
                    assert_eq!(status, 404, "{key:?} {path}: {text}");
                    let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                    assert_eq!(body["error"], "not_found", "{key:?}: {text}");
                    for s in &secrets {
                        assert!(!text.contains(s.as_str()), "{key:?} revealed {s}: {text}");
                    }
                }
                tried += 1;
            }
        }
    }
    assert!(tried >= 7, "the matrix covered {tried} routes");
    assert_eq!(
        snapshot(&app, &a).await,
        before,
        "B's attempts changed A's store"
    );
    assert!(
        h.requests().is_empty(),
        "B's attempts reached Meta: {:?}",
        h.requests()
    );
    app.cleanup().await;
}

/// A login through the trusted proxy at 127.0.0.1 from `client`, with an optional cookie.
async fn login_from(
    app: &TestApp,
    client: &str,
    email: &str,
    password: &str,
    cookie: Option<&str>,
) -> (u16, Option<String>) {
    let mut req = app
        .http
        .post(format!("{}/api/owner/login", app.url))
        .header("x-forwarded-for", client)
        .json(&json!({"email": email, "password": password}));
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    // A fresh client each time: the test decides which cookie is sent.
    let res = reqwest::Client::new()
        .execute(req.build().unwrap_or_else(|e| panic!("{e}")))
        .await
        .unwrap_or_else(|e| panic!("login: {e}"));
    let device = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("omni_device="))
        .map(|v| v.split(';').next().unwrap_or_default().to_owned());
    (res.status().as_u16(), device)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_attacker_who_spends_an_owners_email_bucket_does_not_lock_the_owner_out() {
    let app = app!(&[
        ("OMNI_OWNER__LOGIN_ATTEMPTS_PER_MINUTE", "3"),
        ("OMNI_SERVER__TRUSTED_PROXIES", "127.0.0.1"),
    ]);
    app.owner("victim@example.pk", None).await;
    let pw = crate::support::PASSWORD;
    // Nine wrong passwords from three addresses: the shared email bucket is spent (and each
    // address's one rescue attempt with it).
    let mut attacker = Vec::new();
    for n in 0..9 {
        let (status, _) = login_from(
            &app,
            &format!("198.51.100.{}", n / 3),
            "victim@example.pk",
            "wrong password",
            None,
        )
        .await;
        attacker.push(status);
    }
    assert_eq!(
        attacker,
        [401, 401, 401, 401, 429, 429, 401, 429, 429],
        "email bucket, then one rescue per address"
    );
    // The owner, from a new address, with the right password: in (the rescue attempt), and
    // the browser is now trusted for this email.
    let (status, device) = login_from(&app, "192.0.2.50", "victim@example.pk", pw, None).await;
    assert_eq!(status, 200);
    let device = device.unwrap_or_else(|| panic!("no omni_device cookie"));
    // The attack goes on; the trusted browser still gets in, from anywhere.
    for n in 0..3 {
        let _ = login_from(
            &app,
            &format!("198.51.100.{n}"),
            "victim@example.pk",
            "wrong password",
            None,
        )
        .await;
    }
    let (status, _) =
        login_from(&app, "203.0.113.77", "victim@example.pk", pw, Some(&device)).await;
    assert_eq!(status, 200, "a trusted device is not locked out");
    // The rescue is one attempt per client: a second untrusted try from the same address waits.
    let (status, _) = login_from(&app, "192.0.2.50", "victim@example.pk", pw, None).await;
    assert_eq!(status, 429);
    // A cookie for another email, or forged, trusts nothing.
    let (status, _) = login_from(
        &app,
        "192.0.2.50",
        "victim@example.pk",
        pw,
        Some("omni_device=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
    )
    .await;
    assert_eq!(status, 429);
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn attacker_sized_emails_never_become_limiter_keys() {
    let app = app!(&[("OMNI_OWNER__LOGIN_ATTEMPTS_PER_MINUTE", "3")]);
    let before = app.state.login_limiter.keys();
    // 300 unique 200 KB emails (the attack sent 2 MB ones): refused before any key is made.
    for n in 0..300 {
        let email = format!("{n}{}@example.pk", "a".repeat(200_000));
        let (status, body) = app
            .post_json(
                "/api/owner/login",
                None,
                &json!({"email": email, "password": "x"}),
            )
            .await;
        assert_eq!(status, 400, "{body}");
        assert_error(&body, "invalid_email");
    }
    assert_eq!(app.state.login_limiter.keys(), before);
    // Ordinary-sized unique emails from one address: the address is checked first, so once it
    // is spent nothing more is recorded.
    for n in 0..300 {
        let _ = app
            .post_json(
                "/api/owner/login",
                None,
                &json!({"email": format!("spray{n}@example.pk"), "password": "wrong password"}),
            )
            .await;
    }
    assert!(
        app.state.login_limiter.keys() <= before + 1 + 3 * 2,
        "{} keys",
        app.state.login_limiter.keys()
    );
    // An email of exactly 254 characters is an email like any other.
    let edge = format!("{}@example.pk", "b".repeat(254 - "@example.pk".len()));
    let (status, _) = app
        .post_json(
            "/api/owner/login",
            Some("x"),
            &json!({"email": edge, "password": "wrong password"}),
        )
        .await;
    assert_ne!(status, 400);
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn compressed_bodies_are_refused_before_anything_reads_them() {
    let app = app!();
    let a = app.owner("ali@example.pk", None).await;
    // What a gzip bomb looks like on the wire; the body is never inflated, so any bytes do.
    let bomb: Vec<u8> = [0x1f_u8, 0x8b, 0x08, 0x00]
        .into_iter()
        .chain(std::iter::repeat_n(0u8, 64 * 1024))
        .collect();
    for (path, token) in [
        ("/api/owner/login", None),
        ("/api/owner/menu", Some("junk")),
        ("/api/owner/menu", Some(a.token.as_str())),
        ("/api/webhooks/whatsapp", None),
    ] {
        for encoding in ["gzip", "deflate", "br", "identity, gzip"] {
            let mut req = app
                .http
                .post(format!("{}{path}", app.url))
                .header("content-type", "application/json")
                .header("content-encoding", encoding)
                .body(bomb.clone());
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            let res = req.send().await.unwrap_or_else(|e| panic!("{path}: {e}"));
            assert_eq!(res.status().as_u16(), 415, "{path} {encoding}");
            let body: Value = res.json().await.unwrap_or(Value::Null);
            assert_error(&body, "unsupported_content_encoding");
        }
    }
    // Uncompressed, or `identity`, is read as before.
    let res = app
        .http
        .post(format!("{}/api/owner/login", app.url))
        .header("content-encoding", "identity")
        .json(&json!({"email": "ali@example.pk", "password": crate::support::PASSWORD}))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(res.status().as_u16(), 200);
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn api_answers_carry_nosniff_and_no_store_and_a_doubled_store_id_is_refused() {
    let app = app!();
    let a = app.owner("ali@example.pk", None).await;
    let b = app
        .registry
        .create_store(
            a.owner.id,
            omni_domain::StoreName::parse("Second Shop").unwrap_or_else(|e| panic!("{e}")),
            omni_domain::StoreKind::Shop,
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    for (path, token) in [
        (accounts_path(None), Some(a.token.as_str())),
        (accounts_path(None), None),
        ("/api/owner/nothing-here".to_owned(), None),
        ("/api/openapi.json".to_owned(), None),
    ] {
        let mut req = app.http.get(format!("{}{path}", app.url));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.unwrap_or_else(|e| panic!("{e}"));
        let h = res.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["cache-control"], "no-store", "{path}");
    }
    // store_id twice: refused, not silently the oldest store.
    let path = format!(
        "/api/owner/whatsapp/accounts?store_id={}&store_id={}",
        a.store.id, b.id
    );
    let (status, body) = app.get(&path, Some(&a.token)).await;
    assert_eq!(status, 400, "{body}");
    assert_error(&body, "duplicate_parameter");
    let (status, body) = app
        .get(
            &format!("/api/owner/whatsapp/accounts?store_id={}", b.id),
            Some(&a.token),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["store_id"], b.id.to_string());
    // /metrics with no scrape token configured serves nothing.
    let (status, body) = app.get("/metrics", None).await;
    assert_eq!(status, 403, "{body}");
    assert_error(&body, "metrics_token_required");
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_body_that_trickles_in_is_cut_off_at_the_deadline() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let app = app!(&[("OMNI_PIPELINE__BODY_READ_TIMEOUT_SECS", "1")]);
    let addr = app.url.trim_start_matches("http://").to_owned();
    let mut sock = tokio::net::TcpStream::connect(&addr)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let started = std::time::Instant::now();
    sock.write_all(
        b"POST /api/owner/login HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{",
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    // A byte every 200 ms for up to 5 s; the server must answer 408 well before that.
    for _ in 0..25 {
        let _ = sock.write_all(b" ").await;
        match tokio::time::timeout(std::time::Duration::from_millis(200), sock.read(&mut buf)).await
        {
            Ok(Ok(0)) => break,
            Ok(Ok(n)) => {
                answer.extend_from_slice(&buf[..n]);
                if answer.windows(4).any(|w| w == b"\r\n\r\n") {
                    break;
                }
            }
            Ok(Err(_)) => break,
            Err(_) => {}
        }
    }
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(started.elapsed() < std::time::Duration::from_secs(4));
    app.cleanup().await;
}

/// Every route, with hostile query strings, bodies and tokens: each request gets an answer
/// (a worker that panics drops the connection instead), and every error is the JSON shape.
async fn no_route_panics(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let a = app.owner("ali@example.pk", None).await;
    let queries = [
        "?limit=-1",
        "?limit=99999999999999999999&before=zzz&after=%ff",
        "?store_id=x&store_id=y",
        "?store_id=01900000-0000-7000-8000-000000000000",
        "?status=%00&from=\u{1F600}",
    ];
    let big = "x".repeat(omni_app::http::MAX_JSON_BODY + 1);
    let bodies: [Option<String>; 4] = [
        None,
        Some("{not json".to_owned()),
        Some(format!("{{\"name\": \"{big}\"}}")),
        Some("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]".to_owned()),
    ];
    let mut asked = 0;
    for spec in ROUTES {
        let path = spec
            .path
            .replace("{id}", "01900000-0000-7000-8000-000000000000")
            .replace("{item_id}", "not-a-uuid")
            .replace("{method_id}", "-1")
            .replace("{order_id}", "01900000-0000-7000-8000-000000000000")
            .replace("{conversation_id}", "%2e%2e")
            .replace("{name}", "..%2f..%2fetc");
        // Logging out with the real token would end the session the rest of the walk uses.
        let tokens: &[Option<&str>] = if spec.path == "/api/owner/logout" {
            &[Some("x")]
        } else {
            &[Some("x"), Some(a.token.as_str())]
        };
        for &token in tokens {
            for q in queries {
                for body in &bodies {
                    let mut req = app
                        .http
                        .request(m(&spec.method), format!("{}{path}{q}", app.url))
                        .header("content-type", "application/json");
                    if let Some(t) = token {
                        req = req.bearer_auth(t);
                    }
                    if let Some(b) = body {
                        req = req.body(b.clone());
                    }
                    let res = req.send().await.unwrap_or_else(|e| {
                        panic!(
                            "{} {path}{q}: no answer (a panicked worker?): {e}",
                            spec.method
                        )
                    });
                    asked += 1;
                    let status = res.status();
                    if status.is_client_error() || status.is_server_error() {
                        assert_ne!(status.as_u16(), 500, "{} {path}{q}", spec.method);
                        let body: Value = res.json().await.unwrap_or(Value::Null);
                        assert!(
                            body["error"].is_string(),
                            "{} {path}{q}: {body}",
                            spec.method
                        );
                    }
                }
            }
        }
    }
    assert!(asked > 400, "{asked}");
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn no_route_panics_on_sqlite() {
    no_route_panics(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn no_route_panics_on_postgres() {
    no_route_panics(Backend::Postgres).await;
}
