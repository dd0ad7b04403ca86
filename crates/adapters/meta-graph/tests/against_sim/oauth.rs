//! OAuth: the dialog URL, the simulated consent screen, code and long-lived exchanges,
//! `debug_token`.

use std::collections::HashMap;
use std::time::Duration;

use omni_meta_sim::TokenSeed;
use omni_ports::meta::{GraphErrorKind, MetaGraphPort, OAuthDialogRequest};
use reqwest::Url;
use secrecy::{ExposeSecret, SecretString};

use crate::{Fixture, WABA};

const REDIRECT: &str = "https://shop.example.pk/api/whatsapp/callback";

fn query(url: &str) -> HashMap<String, String> {
    Url::parse(url)
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn dialog(config_id: Option<&str>) -> OAuthDialogRequest {
    OAuthDialogRequest {
        redirect_uri: REDIRECT.into(),
        state: "st.ä+/=&x".into(),
        config_id: config_id.map(Into::into),
    }
}

#[tokio::test]
async fn the_dialog_url_carries_app_redirect_state_and_scopes_or_config() {
    let f = Fixture::new().await;
    let url = f.client.oauth_dialog_url(&dialog(None));
    assert!(
        url.starts_with(&format!("{}/v25.0/dialog/oauth?", f.sim.base_url())),
        "{url}"
    );
    let q = query(&url);
    assert_eq!(q["client_id"], f.client.config().app_id);
    assert_eq!(q["redirect_uri"], REDIRECT);
    assert_eq!(q["state"], "st.ä+/=&x", "state survives encoding");
    assert_eq!(q["response_type"], "code");
    assert_eq!(
        q["scope"],
        "whatsapp_business_management,whatsapp_business_messaging"
    );
    assert!(!q.contains_key("config_id"));

    let q = query(&f.client.oauth_dialog_url(&dialog(Some("cfg-77"))));
    assert_eq!(q["config_id"], "cfg-77");
    assert!(!q.contains_key("scope"));
    assert!(!url.contains(f.client.config().app_secret.expose_secret()));
}

/// Opens the dialog, presses a button of the consent page, returns the redirect's query.
async fn consent(
    f: &Fixture,
    request: &OAuthDialogRequest,
    allow: bool,
) -> HashMap<String, String> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let dialog_url = f.client.oauth_dialog_url(request);
    let page = http.get(&dialog_url).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.unwrap();
    let (action, fields) = omni_meta_sim::testing::consent_form(&html, allow)
        .unwrap_or_else(|| panic!("no consent form in {html}"));
    let action = Url::parse(&dialog_url).unwrap().join(&action).unwrap();
    let resp = http.post(action).form(&fields).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 302);
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with(REDIRECT), "{location}");
    query(&location)
}

#[tokio::test]
async fn consent_gives_a_single_use_code_that_exchanges_for_a_business_token() {
    let f = Fixture::new().await;
    let back = consent(&f, &dialog(Some("cfg-77")), true).await;
    assert_eq!(back["state"], "st.ä+/=&x");
    let code = back["code"].clone();

    let token = f.client.exchange_code(&code, Some(REDIRECT)).await.unwrap();
    assert_eq!(token.token_type, "bearer");
    assert_eq!(token.expires_in, None, "business tokens never expire");
    let info = f.client.debug_token(&token.token).await.unwrap();
    assert!(info.is_valid);
    assert_eq!(info.app_id, f.client.config().app_id);
    assert_eq!(info.token_type.as_deref(), Some("SYSTEM_USER"));
    assert_eq!(info.expires_at, None);
    assert!(info.has_whatsapp_scopes());
    assert_eq!(info.waba_ids(), vec![WABA.to_owned()]);
    // The new token works for Graph calls.
    f.client
        .get_phone_number(&token.token, &Fixture::number())
        .await
        .unwrap();

    let again = f
        .client
        .exchange_code(&code, Some(REDIRECT))
        .await
        .unwrap_err();
    assert_eq!(again.kind, GraphErrorKind::InvalidParameter);
    assert_eq!(
        again.meta.and_then(|m| m.subcode),
        Some(36_009),
        "used code"
    );

    // The secret and the code went in the POST body, not the URL.
    for r in f.sim_handle.requests() {
        assert!(!r.query.contains("client_secret"), "{r:?}");
        assert!(!r.query.contains(&code), "{r:?}");
    }
}

#[tokio::test]
async fn cancelling_returns_metas_error_parameters_and_the_state() {
    let f = Fixture::new().await;
    let back = consent(&f, &dialog(None), false).await;
    assert_eq!(back["error"], "access_denied");
    assert_eq!(back["error_reason"], "user_denied");
    assert_eq!(back["state"], "st.ä+/=&x");
    assert!(!back.contains_key("code"));
}

#[tokio::test]
async fn expired_garbled_and_misdirected_codes_are_refused() {
    let f = Fixture::new().await;
    let err = f.client.exchange_code("garbage", None).await.unwrap_err();
    assert_eq!(err.kind, GraphErrorKind::InvalidParameter);
    assert_eq!(err.meta.and_then(|m| m.subcode), Some(36_007));

    let code = consent(&f, &dialog(None), true).await["code"].clone();
    let err = f
        .client
        .exchange_code(&code, Some("https://elsewhere.example/cb"))
        .await
        .unwrap_err();
    assert_eq!(
        err.meta.and_then(|m| m.subcode),
        Some(36_008),
        "redirect mismatch"
    );

    let code = consent(&f, &dialog(None), true).await["code"].clone();
    f.sim_handle.advance_clock(Duration::from_secs(11 * 60));
    let err = f
        .client
        .exchange_code(&code, Some(REDIRECT))
        .await
        .unwrap_err();
    assert_eq!(err.kind, GraphErrorKind::InvalidParameter);
    assert!(err.to_string().contains("expired"), "{err}");
}

#[tokio::test]
async fn a_wrong_app_secret_is_a_permanent_failure() {
    let f = Fixture::with(omni_meta_sim::SimConfig::default(), |mut c| {
        c.app_secret = SecretString::from("not-the-secret".to_owned());
        c
    })
    .await;
    let code = consent(&f, &dialog(None), true).await["code"].clone();
    let err = f
        .client
        .exchange_code(&code, Some(REDIRECT))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(1), "{err}");
    assert!(!err.is_retryable(), "{err}");
    assert!(!err.to_string().contains("not-the-secret"));
}

#[tokio::test]
async fn a_user_token_becomes_long_lived_and_an_expired_one_cannot() {
    let f = Fixture::new().await;
    let short = SecretString::from(
        f.sim_handle
            .issue_token(TokenSeed::user(&[WABA], Duration::from_secs(3600))),
    );
    let long = f.client.exchange_long_lived(&short, false).await.unwrap();
    let days = long.expires_in.unwrap().as_secs() / 86_400;
    assert!((55..=61).contains(&days), "{days} days");
    let info = f.client.debug_token(&long.token).await.unwrap();
    assert_eq!(info.token_type.as_deref(), Some("USER"));
    assert!(info.expires_at.is_some());
    let issued = info.issued_at.expect("issued_at");
    let data_access = info
        .data_access_expires_at
        .expect("a user token's data access ends");
    assert_eq!((data_access - issued).num_days(), 90);
    // A system user's data access never ends: Meta's 0 is None, not 1970.
    let system_info = f.client.debug_token(&f.token).await.unwrap();
    assert!(system_info.issued_at.is_some());
    assert_eq!(system_info.data_access_expires_at, None);

    let system = f.client.exchange_long_lived(&f.token, true).await.unwrap();
    assert!(system.expires_in.is_some(), "60-day system user token");

    // The app secret and the exchanged tokens went in POST bodies, never a URL.
    let secret = f.client.config().app_secret.expose_secret().to_owned();
    let short_text = short.expose_secret().to_owned();
    for r in f.sim_handle.requests() {
        if r.path.ends_with("/oauth/access_token") {
            assert_eq!(r.method, "POST", "{r:?}");
        }
        assert!(
            !r.query.contains("client_secret") && !r.query.contains(&secret),
            "{r:?}"
        );
        assert!(!r.query.contains("fb_exchange_token"), "{r:?}");
        // (`debug_token` is the one call whose `input_token` Meta takes only in the query.)
        if !r.path.ends_with("/debug_token") {
            assert!(
                !r.query.contains(&short_text) && !r.query.contains(&f.token_text),
                "{r:?}"
            );
        }
    }

    f.sim_handle.advance_clock(Duration::from_secs(2 * 3600));
    let err = f
        .client
        .exchange_long_lived(&short, false)
        .await
        .unwrap_err();
    assert!(err.needs_reauth(), "{err}");
    let info = f.client.debug_token(&short).await.unwrap();
    assert!(!info.is_valid);
    assert!(info.error_message.is_some());
}
