//! The owner API's helpers on [`TestApp`]: owners and logins, JSON calls, numbers connected
//! without OAuth, and a browser walking Meta's OAuth dialog.

use omni_domain::{
    AccountStatus, Email, Owner, PhoneNumber, PhoneNumberId, SealedSecret, Store, StoreKind,
    StoreName, WabaId, WhatsappAccount,
};
use omni_meta_sim::{SeedNumber, SeedWaba, TokenSeed};
use omni_ports::secret_aad;
use secrecy::SecretString;
use serde_json::Value;

use super::{BUSINESS, PASSWORD, TestApp, query_param};

/// An owner logged in through the API.
#[derive(Debug, Clone)]
pub struct TestOwner {
    pub owner: Owner,
    pub store: Store,
    pub token: String,
}

impl TestApp {
    /// Creates an owner (with an optional WhatsApp number) and a store, and logs in.
    pub async fn owner(&self, email: &str, whatsapp: Option<&str>) -> TestOwner {
        let owner = self
            .registry
            .create_owner(
                Email::parse(email).unwrap_or_else(|e| panic!("{e}")),
                &SecretString::from(PASSWORD.to_owned()),
                whatsapp.map(|w| PhoneNumber::parse(w).unwrap_or_else(|e| panic!("{e}"))),
            )
            .await
            .unwrap_or_else(|e| panic!("create owner: {e}"));
        let store = self
            .registry
            .create_store(
                owner.id,
                StoreName::parse(&format!("{email} store")).unwrap_or_else(|e| panic!("{e}")),
                StoreKind::Restaurant,
            )
            .await
            .unwrap_or_else(|e| panic!("create store: {e}"));
        let token = self.login(email, PASSWORD).await;
        TestOwner {
            owner,
            store,
            token,
        }
    }

    /// Logs in and returns the bearer token.
    pub async fn login(&self, email: &str, password: &str) -> String {
        let (status, body) = self
            .post_json(
                "/api/owner/login",
                None,
                &serde_json::json!({ "email": email, "password": password }),
            )
            .await;
        assert_eq!(status, 200, "login: {body}");
        body["token"].as_str().unwrap_or_default().to_owned()
    }

    /// A request with an optional bearer token; answers status and JSON body (Null if none).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let (status, text) = self.call_text(method, path, token, body).await;
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Same, answering the raw body.
    pub async fn call_text(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> (u16, String) {
        let mut req = self.http.request(method, format!("{}{path}", self.url));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let res = req.send().await.unwrap_or_else(|e| panic!("{path}: {e}"));
        let status = res.status().as_u16();
        (status, res.text().await.unwrap_or_default())
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        self.call(reqwest::Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        self.call(reqwest::Method::POST, path, token, None).await
    }

    pub async fn post_json(&self, path: &str, token: Option<&str>, body: &Value) -> (u16, Value) {
        self.call(reqwest::Method::POST, path, token, Some(body))
            .await
    }

    /// Connects a number to a store directly (no OAuth): a sim business token, sealed.
    pub async fn connect_direct(
        &self,
        store: &Store,
        waba: &str,
        phone_id: &str,
        display: &str,
        active: bool,
    ) -> WhatsappAccount {
        let h = self.sim();
        if h.number(phone_id).is_none() && !h.add_number(waba, SeedNumber::new(phone_id, display)) {
            h.seed_waba(SeedWaba::new(waba, BUSINESS).number(SeedNumber::new(phone_id, display)));
        }
        let token = h.issue_token(TokenSeed::business(&[waba]));
        let mut account = WhatsappAccount::new(
            store.id,
            PhoneNumber::parse(display).unwrap_or_else(|e| panic!("{e}")),
            PhoneNumberId::parse(phone_id).unwrap_or_else(|e| panic!("{e}")),
            WabaId::parse(waba).unwrap_or_else(|e| panic!("{e}")),
            SealedSecret::from_ciphertext(String::new()),
            self.state.services.ports.clock.now(),
        );
        account.access_token = self
            .state
            .services
            .ports
            .cipher
            .seal(
                &SecretString::from(token),
                &secret_aad(account.id, omni_usecases::ACCESS_TOKEN_FIELD),
            )
            .unwrap_or_else(|e| panic!("{e}"));
        if active {
            account.mark_verified(self.state.services.ports.clock.now());
            assert_eq!(account.status(), AccountStatus::Active);
        }
        self.state
            .services
            .ports
            .central
            .insert_account(&account)
            .await
            .unwrap_or_else(|e| panic!("insert account: {e}"));
        account
    }

    /// The plaintext token stored for an account.
    pub fn stored_token(&self, account: &WhatsappAccount) -> String {
        let t = self
            .state
            .services
            .ports
            .cipher
            .open(
                &account.access_token,
                &secret_aad(account.id, omni_usecases::ACCESS_TOKEN_FIELD),
            )
            .unwrap_or_else(|e| panic!("{e}"));
        secrecy::ExposeSecret::expose_secret(&t).to_owned()
    }

    /// Drives a browser through Meta's dialog: GET the dialog URL, press Continue or Cancel,
    /// follow Meta's redirect to our callback. Answers the callback's `Location` (the
    /// frontend URL) and the `code` Meta issued, if any.
    pub async fn through_dialog(&self, dialog_url: &str, allow: bool) -> (String, Option<String>) {
        let redirect = self.meta_dialog(dialog_url, allow).await;
        let code = query_param(&redirect, "code");
        (self.callback(&redirect).await, code)
    }

    /// Follows Meta's redirect to our callback in this app's browser: the callback's
    /// `Location` (the frontend URL).
    pub async fn callback(&self, redirect: &str) -> String {
        callback_in(&self.http, redirect).await
    }

    /// The consent page and button press only: answers Meta's redirect URL (our callback).
    pub async fn meta_dialog(&self, dialog_url: &str, allow: bool) -> String {
        meta_dialog_in(&self.http, dialog_url, allow).await
    }
}

/// [`TestApp::callback`] in another browser.
pub async fn callback_in(http: &reqwest::Client, redirect: &str) -> String {
    let res = http
        .get(redirect)
        .send()
        .await
        .unwrap_or_else(|e| panic!("callback: {e}"));
    assert_eq!(res.status().as_u16(), 302, "callback answers a redirect");
    location(&res)
}

/// Where a redirect points.
pub fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// [`TestApp::meta_dialog`] in another browser (`http`, its own cookie jar or none).
pub async fn meta_dialog_in(http: &reqwest::Client, dialog_url: &str, allow: bool) -> String {
    {
        let page = http
            .get(dialog_url)
            .send()
            .await
            .unwrap_or_else(|e| panic!("dialog: {e}"));
        assert_eq!(page.status().as_u16(), 200, "dialog page");
        let html = page.text().await.unwrap_or_default();
        let (action, fields) = omni_meta_sim::testing::consent_form(&html, allow)
            .unwrap_or_else(|| panic!("no consent form in {html}"));
        let base = dialog_url.split('?').next().unwrap_or_default();
        let action_url = format!(
            "{}/{action}",
            base.rsplit_once('/').map_or(base, |(b, _)| b)
        );
        let res = http
            .post(action_url)
            .form(&fields)
            .send()
            .await
            .unwrap_or_else(|e| panic!("decision: {e}"));
        assert_eq!(res.status().as_u16(), 302, "Meta redirects back");
        location(&res)
    }
}
