//! A running service for pipeline tests: the real `AppState` and HTTP routes on a loopback
//! port, the pipeline workers, the Meta simulator as Meta (Graph API and webhook sender), on
//! Postgres or SQLite.

use std::collections::HashMap;
use std::net::TcpListener;
use std::time::{Duration, Instant};

use chrono::Utc;
use omni_app::pipeline::PipelineHandle;
use omni_app::settings::Settings;
use omni_app::startup::AppState;
use omni_domain::{
    Email, PhoneNumber, PhoneNumberId, Store, StoreKind, StoreName, WabaId, WhatsappAccount,
};
use omni_meta_sim::webhook::WebhookSender;
use omni_meta_sim::{MetaSim, SeedNumber, SeedWaba, SimConfig, SimHandle, TokenSeed};
use omni_testkit::db::PgTestDb;
use secrecy::SecretString;

/// Which database engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Postgres,
    Sqlite,
}

pub struct Harness {
    pub sim: MetaSim,
    pub state: AppState,
    pub url: String,
    #[expect(dead_code, reason = "kept for tests that need the settings")]
    pub settings: Settings,
    pipeline: Option<PipelineHandle>,
    server: actix_web::dev::ServerHandle,
    pub db: Option<PgTestDb>,
    _dir: tempfile::TempDir,
}

pub struct Number {
    pub account: WhatsappAccount,
    #[expect(dead_code, reason = "kept for tests that call Meta as the store")]
    pub token: String,
}

impl Harness {
    /// `None` when Postgres is wanted but unreachable outside CI.
    pub async fn start(engine: Engine) -> Option<Self> {
        Self::start_with(engine, SimConfig::default(), &[]).await
    }

    pub async fn start_with(
        engine: Engine,
        sim_config: SimConfig,
        extra_env: &[(&str, &str)],
    ) -> Option<Self> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let dir = tempfile::tempdir().unwrap();
        let db = match engine {
            Engine::Postgres => Some(PgTestDb::create().await?),
            Engine::Sqlite => None,
        };
        let sim = MetaSim::start(sim_config).await.unwrap();
        // The legacy number exists at Meta, with a token issued for it.
        let legacy_token = extra_env
            .iter()
            .find(|(k, _)| *k == "WHATSAPP_PHONE_ID")
            .map(|(_, pnid)| {
                let waba = "102290129340777";
                sim.handle().seed_waba(
                    SeedWaba::new(waba, "2729063490586005")
                        .number(SeedNumber::new(*pnid, "+923009998877").registered(true)),
                );
                sim.handle().issue_token(TokenSeed::business(&[waba]))
            });
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
        set("WHATSAPP_WEBHOOK_VERIFY_TOKEN", "the-verify-token".into());
        set("OMNI_PIPELINE__POLL_INTERVAL_MS", "50".into());
        // Many harnesses run at once against one Postgres (100 connections): keep each small.
        set("OMNI_DATABASE__POOL_SIZE", "4".into());
        set("OMNI_DATABASE__MAX_OPEN_TENANT_POOLS", "4".into());
        // `{openai}` in a value is the simulator's OpenAI-compatible base URL.
        for (k, v) in extra_env {
            set(k, v.replace("{openai}", &sim.openai_base_url()));
        }
        if let Some(token) = legacy_token {
            set("WHATSAPP_TOKEN", token);
        }
        let settings = Settings::load_from(None, &env).unwrap();
        let state = omni_app::startup::build(&settings).await.unwrap();
        if let Some(name) = env.get("TEST_STORE_BEFORE_START") {
            let owner = state
                .registry
                .create_owner(
                    Email::parse("legacy@example.pk").unwrap(),
                    &SecretString::from("correct horse battery staple".to_owned()),
                    None,
                )
                .await
                .unwrap();
            state
                .registry
                .create_store(
                    owner.id,
                    StoreName::parse(name).unwrap(),
                    StoreKind::Restaurant,
                )
                .await
                .unwrap();
        }
        let pipeline = omni_app::pipeline::start(&state, &settings).await.unwrap();
        let server = omni_app::http::server(state.clone(), listener, 2).unwrap();
        let handle = server.handle();
        tokio::spawn(server);
        Some(Self {
            sim,
            state,
            url,
            settings,
            pipeline: Some(pipeline),
            server: handle,
            db,
            _dir: dir,
        })
    }

    /// A harness in the legacy single-number configuration: one store exists before the
    /// pipeline starts, so the legacy number routes to it.
    /// The simulator knows the legacy number and issues its `WHATSAPP_TOKEN`.
    pub async fn start_legacy(phone_id: &str) -> Option<Self> {
        Self::start_with(
            Engine::Postgres,
            SimConfig::default(),
            &[
                ("WHATSAPP_PHONE_ID", phone_id),
                ("TEST_STORE_BEFORE_START", "Legacy Store"),
            ],
        )
        .await
    }

    pub fn sim(&self) -> SimHandle {
        self.sim.handle()
    }

    pub fn webhook_url(&self) -> String {
        format!("{}/api/webhooks/whatsapp", self.url)
    }

    /// A signed-webhook sender aimed at the service (opens the customer's window at the
    /// simulator for every inbound message it sends, as Meta would).
    pub fn sender(&self) -> WebhookSender {
        self.sim().webhook_sender(&self.webhook_url()).unwrap()
    }

    /// A store with its tenant database, and `auto_reply` set when given.
    pub async fn store(&self, name: &str, auto_reply: Option<&str>) -> Store {
        let email = format!("{}@example.pk", uuid::Uuid::new_v4().simple());
        let owner = self
            .state
            .registry
            .create_owner(
                Email::parse(&email).unwrap(),
                &SecretString::from("correct horse battery staple".to_owned()),
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
        store
    }

    /// A connected, active number of `store`, known to the simulator with its own token.
    pub async fn number(
        &self,
        store: &Store,
        waba: &str,
        phone_number_id: &str,
        phone: &str,
    ) -> Number {
        let sim = self.sim();
        if sim.waba_of(phone_number_id).is_none() {
            let seed = SeedNumber::new(phone_number_id, phone).registered(true);
            if !sim.add_number(waba, seed.clone()) {
                sim.seed_waba(SeedWaba::new(waba, "2729063490586005").number(seed));
            }
        }
        let token = sim.issue_token(TokenSeed::business(&[waba]));
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
        Number { account, token }
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

/// Signs `body` with the simulator's app secret.
pub fn signed(sim: &SimHandle, body: &[u8]) -> String {
    omni_meta_graph::webhook::sign(sim.app_secret().as_bytes(), body)
}
