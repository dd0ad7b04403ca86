//! A running service for account health tests (after `tests/pipeline/harness.rs`): the real
//! `AppState` and HTTP routes on a loopback port, the pipeline workers and scheduler, the Meta
//! simulator as Meta, Postgres or SQLite; optionally a manual clock in place of the wall clock.

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use omni_app::pipeline::PipelineHandle;
use omni_app::startup::AppState;
use omni_domain::{
    Email, PhoneNumber, PhoneNumberId, Store, StoreKind, StoreName, WabaId, WhatsappAccount,
};
use omni_memory::ManualClock;
use omni_meta_sim::webhook::WebhookSender;
use omni_meta_sim::{MetaSim, SeedNumber, SeedWaba, SimConfig, SimHandle, TokenSeed};
use omni_testkit::db::PgTestDb;
use reqwest::Method;
use secrecy::SecretString;
use serde_json::Value;

pub const PASSWORD: &str = "correct horse battery staple";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Postgres,
    Sqlite,
}

pub struct Harness {
    pub sim: MetaSim,
    pub state: AppState,
    pub url: String,
    pub clock: Option<Arc<ManualClock>>,
    pipeline: Option<PipelineHandle>,
    server: actix_web::dev::ServerHandle,
    db: Option<PgTestDb>,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

pub struct Owner {
    pub store: Store,
    pub token: String,
}

impl Harness {
    /// `None` when Postgres is wanted but unreachable outside CI. With `manual_clock` the
    /// service runs on a clock the test moves (starting at the wall clock's now).
    pub async fn start(
        engine: Engine,
        extra_env: &[(&str, &str)],
        manual_clock: bool,
    ) -> Option<Self> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let dir = tempfile::tempdir().unwrap();
        let db = match engine {
            Engine::Postgres => Some(PgTestDb::create().await?),
            Engine::Sqlite => None,
        };
        let sim = MetaSim::start(SimConfig::default()).await.unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        sim.handle()
            .set_webhook_target(Some(format!("{url}/api/webhooks/whatsapp")))
            .unwrap_or_else(|e| panic!("{e}"));
        let mut env: HashMap<String, String> = HashMap::new();
        let mut set = |k: &str, v: String| {
            env.insert(k.to_owned(), v);
        };
        set("OMNI_DATABASE__DATA_DIR", dir.path().display().to_string());
        if let Some(db) = &db {
            let omni_sql::DbTarget::Postgres(central) = db.central_target() else {
                unreachable!()
            };
            set("DATABASE_URL", central);
            set("OMNI_DATABASE__TENANT_DATABASE_PREFIX", db.prefix.clone());
        }
        set("META_APP_ID", sim.handle().app_id());
        set("META_APP_SECRET", sim.handle().app_secret());
        set("OMNI_META__GRAPH_BASE_URL", sim.base_url());
        set("OMNI_META__DIALOG_BASE_URL", sim.base_url());
        set("OMNI_META__TIMEOUT_SECS", "5".into());
        set("APP_URL", "https://omni.example.pk".into());
        set("WHATSAPP_WEBHOOK_VERIFY_TOKEN", "the-verify-token".into());
        set("OMNI_PIPELINE__POLL_INTERVAL_MS", "50".into());
        set("OMNI_DATABASE__POOL_SIZE", "4".into());
        set("OMNI_DATABASE__MAX_OPEN_TENANT_POOLS", "4".into());
        // Jobs run when a test says so (`Health::run_job`); the scheduler has its own test.
        set("OMNI_HEALTH__SCHEDULER_ENABLED", "false".into());
        for (k, v) in extra_env {
            set(k, (*v).to_owned());
        }
        let settings = omni_app::settings::Settings::load_from(None, &env).unwrap();
        let mut state = omni_app::startup::build(&settings).await.unwrap();
        let clock = manual_clock.then(|| Arc::new(ManualClock::new(Utc::now())));
        if let Some(clock) = &clock {
            state.clock = clock.clone();
            let (health, templates) = omni_app::account_health::services(&state, &settings);
            state.health = health;
            state.templates = templates;
        }
        let pipeline = omni_app::pipeline::start(&state, &settings).await.unwrap();
        let server = omni_app::http::server(state.clone(), listener, 2).unwrap();
        let handle = server.handle();
        tokio::spawn(server);
        Some(Self {
            sim,
            state,
            url,
            clock,
            pipeline: Some(pipeline),
            server: handle,
            db,
            http: reqwest::Client::new(),
            _dir: dir,
        })
    }

    pub fn sim(&self) -> SimHandle {
        self.sim.handle()
    }

    pub fn sender(&self) -> WebhookSender {
        self.sim()
            .webhook_sender(&format!("{}/api/webhooks/whatsapp", self.url))
            .unwrap()
    }

    /// An owner with a store (auto-reply set when given), logged in.
    pub async fn owner(&self, name: &str, auto_reply: Option<&str>) -> Owner {
        let email = format!("{}@example.pk", uuid::Uuid::new_v4().simple());
        let owner = self
            .state
            .registry
            .create_owner(
                Email::parse(&email).unwrap(),
                &SecretString::from(PASSWORD.to_owned()),
                None,
            )
            .await
            .unwrap();
        let store = self
            .state
            .registry
            .create_store(
                owner.id,
                StoreName::parse(name).unwrap(),
                StoreKind::Restaurant,
            )
            .await
            .unwrap();
        if let Some(text) = auto_reply {
            self.state
                .tenants
                .set_auto_reply(store.id, Some(text), Utc::now())
                .await
                .unwrap();
        }
        let (status, body) = self
            .call(
                Method::POST,
                "/api/owner/login",
                None,
                Some(&serde_json::json!({"email": email, "password": PASSWORD})),
            )
            .await;
        assert_eq!(status, 200, "login: {body}");
        Owner {
            store,
            token: body["token"].as_str().unwrap().to_owned(),
        }
    }

    /// A connected, active number of `store`, known to the simulator, with a token minted
    /// from `seed` (default: a never-expiring business token for the WABA).
    pub async fn number(
        &self,
        store: &Store,
        phone_number_id: &str,
        phone: &str,
        seed: Option<TokenSeed>,
    ) -> (WhatsappAccount, String) {
        let waba = crate::WABA_A;
        let sim = self.sim();
        if sim.waba_of(phone_number_id).is_none() {
            let n = SeedNumber::new(phone_number_id, phone).registered(true);
            if !sim.add_number(waba, n.clone()) {
                sim.seed_waba(SeedWaba::new(waba, "2729063490586005").number(n));
            }
        }
        let token = sim.issue_token(seed.unwrap_or_else(|| TokenSeed::business(&[waba])));
        let account = omni_usecases::sealed_account(
            self.state.cipher.as_ref(),
            store.id,
            PhoneNumber::parse(phone).unwrap(),
            PhoneNumberId::parse(phone_number_id).unwrap(),
            WabaId::parse(waba).unwrap(),
            &SecretString::from(token.clone()),
            Utc::now(),
        )
        .unwrap();
        self.state.central.insert_account(&account).await.unwrap();
        (account, token)
    }

    pub async fn account(&self, a: &WhatsappAccount) -> WhatsappAccount {
        self.state
            .central
            .find_account(a.store_id, a.id)
            .await
            .unwrap()
            .unwrap()
    }

    /// An owner API call: status and JSON body (Null when not JSON).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let (status, text) = self.call_text(method, path, token, body).await;
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn call_text(
        &self,
        method: Method,
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
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        (status, res.text().await.unwrap())
    }

    pub async fn stop(mut self) {
        if let Some(p) = self.pipeline.take() {
            p.stop(Duration::from_secs(5)).await;
        }
        self.server.stop(true).await;
        self.state.sql_tenants.close_all();
        if let Some(db) = self.db.take() {
            db.cleanup().await;
        }
    }
}

/// Polls `check` until it returns `Some`, or panics with `what` after `timeout`.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(start.elapsed() < timeout, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
