//! The app in-process on a real listener (port 0), on a fresh Postgres (or SQLite) central
//! database, with the Meta adapter pointed at a fresh simulator over real HTTP: the
//! zero2prod `spawn_app` shape. Shared by the owner API test binaries.

#![allow(
    dead_code,
    reason = "each test binary uses a different part of the fixture"
)]
#![allow(
    clippy::allow_attributes,
    reason = "see above: `expect` would fail in binaries that use it all"
)]

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::Arc;

use omni_app::settings::Settings;
use omni_app::startup::AppState;
use omni_crypto::Argon2PasswordHasher;
use omni_domain::{
    AccountStatus, Email, Owner, PhoneNumber, PhoneNumberId, SealedSecret, Store, StoreKind,
    StoreName, WabaId, WhatsappAccount,
};
use omni_meta_sim::{MetaSim, SeedNumber, SeedTemplate, SeedWaba, SimConfig, SimHandle, TokenSeed};
use omni_ports::secret_aad;
use omni_testkit::db::PgTestDb;
use omni_usecases::Registry;
use secrecy::SecretString;
use serde_json::Value;

/// The WABA and number the simulator's test user grants through the dialog.
pub const WABA: &str = "102290129340398";
/// The business of [`WABA`].
pub const BUSINESS: &str = "2729063490586005";
/// The granted number's id.
pub const PHONE_ID: &str = "106540352242922";
/// Its display form.
pub const PHONE_DISPLAY: &str = "+92 300 1112233";
/// The test APP_KEY (so tests can recompute what the server signs).
pub const APP_KEY: &str = "base64:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";
/// The owner frontend the callback redirects to.
pub const FRONTEND: &str = "http://frontend.test/owner";
/// Every test owner's password.
pub const PASSWORD: &str = "correct horse battery staple";

/// Which central database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A fresh Postgres database (skips outside CI when Postgres is down).
    Postgres,
    /// A SQLite file in a temporary directory.
    Sqlite,
}

/// An owner logged in through the API.
#[derive(Debug, Clone)]
pub struct TestOwner {
    pub owner: Owner,
    pub store: Store,
    pub token: String,
}

/// The running app, its simulator and its database.
pub struct TestApp {
    pub base: String,
    pub state: AppState,
    pub sim: MetaSim,
    pub http: reqwest::Client,
    pub registry: Registry,
    server: actix_web::dev::ServerHandle,
    pg: Option<PgTestDb>,
    _dir: tempfile::TempDir,
}

impl TestApp {
    /// Starts everything; `None` when Postgres is unavailable outside CI.
    pub async fn spawn(backend: Backend) -> Option<Self> {
        Self::spawn_with(backend, SimConfig::default(), &[]).await
    }

    /// Starts with a simulator configuration and extra settings.
    pub async fn spawn_with(
        backend: Backend,
        sim_config: SimConfig,
        extra: &[(&str, &str)],
    ) -> Option<Self> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let pg = match backend {
            Backend::Postgres => Some(PgTestDb::create().await?),
            Backend::Sqlite => None,
        };
        let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
        let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
        let base = format!("http://{addr}");
        let sim = MetaSim::start(sim_config)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let h = sim.handle();
        h.seed_waba(
            SeedWaba::new(WABA, BUSINESS)
                .number(SeedNumber::new(PHONE_ID, PHONE_DISPLAY).verified_name("Karachi Grill")),
        );
        h.seed_template(
            WABA,
            SeedTemplate::new("hello_world", "en_US", "Hello World"),
        );
        let mut env: HashMap<String, String> = HashMap::new();
        let mut set = |k: &str, v: String| {
            env.insert(k.to_owned(), v);
        };
        set("OMNI_DATABASE__DATA_DIR", dir.path().display().to_string());
        match &pg {
            Some(db) => {
                let omni_sql::DbTarget::Postgres(url) = db.central_target() else {
                    panic!("postgres target")
                };
                set("DATABASE_URL", url);
                set("OMNI_DATABASE__TENANT_DATABASE_PREFIX", db.prefix.clone());
            }
            None => set(
                "DATABASE_URL",
                format!("sqlite://{}", dir.path().join("central.sqlite").display()),
            ),
        }
        set("OMNI_DATABASE__POOL_SIZE", "4".into());
        set("APP_KEY", APP_KEY.into());
        set("META_APP_ID", h.app_id());
        set("META_APP_SECRET", h.app_secret());
        set("OMNI_META__GRAPH_BASE_URL", sim.base_url());
        set("OMNI_META__DIALOG_BASE_URL", sim.base_url());
        set("OMNI_META__TIMEOUT_SECS", "5".into());
        set("META_REDIRECT_URI", format!("{base}/api/whatsapp/callback"));
        set("OMNI_OWNER__FRONTEND_URL", FRONTEND.into());
        set("OMNI_OWNER__LOGIN_ATTEMPTS_PER_MINUTE", "1000".into());
        for (k, v) in extra {
            set(k, (*v).to_owned());
        }
        let settings = Settings::load_from(None, &env).unwrap_or_else(|e| panic!("{e}"));
        let state = omni_app::startup::build(&settings)
            .await
            .unwrap_or_else(|e| panic!("build: {e}"));
        // The production server (every middleware of the edge), without its signal handling.
        let server = omni_app::http::server_with(
            state.clone(),
            listener,
            2,
            std::time::Duration::from_secs(1),
            false,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let handle = server.handle();
        tokio::spawn(server);
        let registry = Registry::new(
            state.central.clone(),
            state.tenants.clone(),
            Arc::new(Argon2PasswordHasher::fast_for_tests()),
            state.clock.clone(),
        );
        // A browser's cookie jar: the OAuth flow is bound to the browser that started it.
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        Some(Self {
            base,
            state,
            sim,
            http,
            registry,
            server: handle,
            pg,
            _dir: dir,
        })
    }

    /// The simulator.
    pub fn sim(&self) -> SimHandle {
        self.sim.handle()
    }

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
        let mut req = self.http.request(method, format!("{}{path}", self.base));
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
            self.state.clock.now(),
        );
        account.access_token = self
            .state
            .cipher
            .seal(
                &SecretString::from(token),
                &secret_aad(account.id, omni_usecases::ACCESS_TOKEN_FIELD),
            )
            .unwrap_or_else(|e| panic!("{e}"));
        if active {
            account.mark_verified(self.state.clock.now());
            assert_eq!(account.status, AccountStatus::Active);
        }
        self.state
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

impl TestApp {
    /// Stops the server and the simulator, drops the test databases.
    pub async fn cleanup(self) {
        self.server.stop(false).await;
        self.state.sql_tenants.close_all();
        self.sim.stop().await;
        if let Some(pg) = self.pg {
            pg.cleanup().await;
        }
    }
}

/// A query parameter of a URL, percent-decoded.
pub fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name).then(|| percent_decode(v))
    })
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                    }
                    Err(_) => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
