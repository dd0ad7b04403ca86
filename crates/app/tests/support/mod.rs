//! The one harness of the app's tests: the real service in-process (the production
//! `Ports -> Services -> AppState` wiring, every HTTP middleware, optionally the pipeline
//! workers) on a loopback port, on a fresh Postgres or SQLite database, with Meta played by a
//! fresh simulator over real HTTP: the zero2prod `spawn_app` shape.
//!
//! [`TestApp::builder`] chooses the backend, the simulator, extra settings and any port
//! before the services are built, so a swapped adapter (a manual clock, a failing Graph API)
//! reaches every use case and worker at once. The suites add their own helpers on top:
//! [`owner`] (owners, logins, OAuth), `pipeline::harness` and `health::harness` (stores,
//! numbers, webhooks). [`processes`] runs the real binary instead, for kill and restart tests.

#![allow(
    dead_code,
    reason = "each test binary uses a different part of the fixture"
)]
#![allow(
    unused_imports,
    reason = "the suites' re-exports: each binary imports a different part"
)]
#![allow(
    clippy::allow_attributes,
    reason = "see above: `expect` would fail in binaries that use it all"
)]

pub mod health;
pub mod owner;
pub mod pipeline;
pub mod processes;

use std::collections::HashMap;
use std::future::Future;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use omni_app::http::AppState;
use omni_app::pipeline::PipelineHandle;
use omni_app::settings::Settings;
use omni_app::startup::{Ports, Services};
use omni_crypto::Argon2PasswordHasher;
use omni_domain::{
    Email, PhoneNumber, PhoneNumberId, Store, StoreKind, StoreName, WabaId, WhatsappAccount,
};
use omni_memory::ManualClock;
use omni_meta_sim::webhook::WebhookSender;
use omni_meta_sim::{MetaSim, SeedNumber, SeedTemplate, SeedWaba, SimConfig, SimHandle, TokenSeed};
use omni_testkit::db::PgTestDb;
use omni_usecases::Registry;
use secrecy::SecretString;

pub use owner::{TestOwner, callback_in, location, meta_dialog_in};

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
/// The webhook verify token of the pipeline and health suites.
pub const VERIFY_TOKEN: &str = "the-verify-token";

/// What the pipeline and health suites add: at most 4 open tenant pools each (many
/// services with workers run at once against one Postgres).
pub const PIPELINE_ENV: &[(&str, &str)] = &[("OMNI_DATABASE__MAX_OPEN_TENANT_POOLS", "4")];

/// Which database engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A fresh Postgres database (skips outside CI when Postgres is down).
    Postgres,
    /// A SQLite file in a temporary directory.
    Sqlite,
}

/// A change to the chosen adapters, applied before the services are built.
type PortOverride = Box<dyn FnOnce(&mut Ports)>;

/// What [`TestApp::builder`] starts.
pub struct TestAppBuilder {
    backend: Backend,
    sim: SimConfig,
    started_sim: Option<MetaSim>,
    env: Vec<(String, String)>,
    ports: Vec<PortOverride>,
    manual_clock: bool,
    pipeline: bool,
}

impl TestAppBuilder {
    /// The database engine (default Postgres).
    #[must_use]
    pub fn backend(mut self, backend: Backend) -> Self {
        self.backend = backend;
        self
    }

    /// The simulator's configuration.
    #[must_use]
    pub fn sim(mut self, config: SimConfig) -> Self {
        self.sim = config;
        self
    }

    /// A simulator the test started (and seeded) itself, for settings that name what it
    /// holds (the legacy number's token).
    #[must_use]
    pub fn started_sim(mut self, sim: MetaSim) -> Self {
        self.started_sim = Some(sim);
        self
    }

    /// One setting, as an environment variable (applied after the harness's own).
    #[must_use]
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    /// Several settings.
    #[must_use]
    pub fn envs(mut self, pairs: &[(&str, &str)]) -> Self {
        for (k, v) in pairs {
            self = self.env(k, v);
        }
        self
    }

    /// Replaces adapters: `change` gets the ports the settings chose, before any service
    /// exists, so every service and worker sees the replacement.
    #[must_use]
    pub fn ports(mut self, change: impl FnOnce(&mut Ports) + 'static) -> Self {
        self.ports.push(Box::new(change));
        self
    }

    /// Runs the service on a [`ManualClock`] the test moves (starting at the wall clock's
    /// now), kept in [`TestApp::clock`].
    #[must_use]
    pub fn manual_clock(mut self) -> Self {
        self.manual_clock = true;
        self
    }

    /// Also starts the pipeline workers (inbox, outbox, scheduler) and points the
    /// simulator's webhooks at the service.
    #[must_use]
    pub fn pipeline(mut self) -> Self {
        self.pipeline = true;
        self
    }

    /// Starts everything; `None` when Postgres is wanted but unreachable outside CI.
    pub async fn spawn(self) -> Option<TestApp> {
        let mut app = self.spawn_without_pipeline().await?;
        if app.wants_pipeline {
            app.start_pipeline().await;
        }
        Some(app)
    }

    /// As [`Self::spawn`], leaving the pipeline to [`TestApp::start_pipeline`] (for a test
    /// that must write something before the workers run).
    pub async fn spawn_without_pipeline(self) -> Option<TestApp> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let db = match self.backend {
            Backend::Postgres => Some(PgTestDb::create().await?),
            Backend::Sqlite => None,
        };
        let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
        let url = format!(
            "http://{}",
            listener.local_addr().unwrap_or_else(|e| panic!("{e}"))
        );
        let sim = match self.started_sim {
            Some(sim) => sim,
            None => MetaSim::start(self.sim)
                .await
                .unwrap_or_else(|e| panic!("{e}")),
        };
        if self.pipeline {
            sim.handle()
                .set_webhook_target(Some(format!("{url}/api/webhooks/whatsapp")))
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let env = settings_env(&url, &sim, db.as_ref(), dir.path(), &self.env);
        let settings = Settings::load_from(None, &env).unwrap_or_else(|e| panic!("{e}"));
        let mut ports = omni_app::startup::prepare(&settings)
            .await
            .unwrap_or_else(|e| panic!("ports: {e}"));
        // Test owners log in many times: a cheap hash (the production one costs ~50 ms).
        ports.passwords = Arc::new(Argon2PasswordHasher::fast_for_tests());
        let clock = self
            .manual_clock
            .then(|| Arc::new(ManualClock::new(Utc::now())));
        if let Some(clock) = &clock {
            ports.clock = clock.clone();
        }
        for change in self.ports {
            change(&mut ports);
        }
        let services = Services::new(&ports, &settings);
        let state = AppState::new(services, &settings).unwrap_or_else(|e| panic!("{e}"));
        // The production server (every middleware of the edge), without its signal handling.
        let server =
            omni_app::http::server_with(state.clone(), listener, 2, Duration::from_secs(1), false)
                .unwrap_or_else(|e| panic!("{e}"));
        let handle = server.handle();
        tokio::spawn(server);
        // A browser's cookie jar: the OAuth flow is bound to the browser that started it.
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        Some(TestApp {
            registry: state.services.registry.clone(),
            url,
            state,
            sim,
            http,
            settings,
            clock,
            wants_pipeline: self.pipeline,
            pipeline: None,
            server: handle,
            db,
            _dir: dir,
        })
    }
}

/// The settings every test service runs with: its database, the simulator as Meta, small
/// pools (many services share one Postgres of 100 connections), fast polling; then `extra`
/// (the pipeline suites also cap the open tenant pools, see [`PIPELINE_ENV`]).
/// In a value, `{openai}` is the simulator's OpenAI-compatible base URL and `{self}` the
/// service's own base URL.
fn settings_env(
    url: &str,
    sim: &MetaSim,
    db: Option<&PgTestDb>,
    dir: &std::path::Path,
    extra: &[(String, String)],
) -> HashMap<String, String> {
    let h = sim.handle();
    let mut env: HashMap<String, String> = HashMap::new();
    let mut set = |k: &str, v: String| {
        env.insert(k.to_owned(), v);
    };
    set("OMNI_DATABASE__DATA_DIR", dir.display().to_string());
    match db {
        Some(db) => {
            let omni_sql::DbTarget::Postgres(central) = db.central_target() else {
                panic!("postgres target")
            };
            set("DATABASE_URL", central);
            set("OMNI_DATABASE__TENANT_DATABASE_PREFIX", db.prefix.clone());
        }
        None => set(
            "DATABASE_URL",
            format!("sqlite://{}", dir.join("central.sqlite").display()),
        ),
    }
    set("OMNI_DATABASE__POOL_SIZE", "4".into());
    set("META_APP_ID", h.app_id());
    set("META_APP_SECRET", h.app_secret());
    set("OMNI_META__GRAPH_BASE_URL", sim.base_url());
    set("OMNI_META__DIALOG_BASE_URL", sim.base_url());
    set("OMNI_META__TIMEOUT_SECS", "5".into());
    set("OMNI_PIPELINE__POLL_INTERVAL_MS", "50".into());
    for (k, v) in extra {
        set(
            k,
            v.replace("{openai}", &sim.openai_base_url())
                .replace("{self}", url),
        );
    }
    env
}

/// The running service, its simulator and its database.
pub struct TestApp {
    /// The service's base URL (`http://127.0.0.1:<port>`).
    pub url: String,
    pub state: AppState,
    pub sim: MetaSim,
    /// A browser: a cookie jar, redirects not followed.
    pub http: reqwest::Client,
    /// The service's registry (owners, stores).
    pub registry: Registry,
    pub settings: Settings,
    /// The clock the service runs on, when the test moves it.
    pub clock: Option<Arc<ManualClock>>,
    wants_pipeline: bool,
    pipeline: Option<PipelineHandle>,
    server: actix_web::dev::ServerHandle,
    pub db: Option<PgTestDb>,
    _dir: tempfile::TempDir,
}

impl TestApp {
    /// A service to configure: Postgres, the default simulator, no pipeline.
    pub fn builder() -> TestAppBuilder {
        TestAppBuilder {
            backend: Backend::Postgres,
            sim: SimConfig::default(),
            started_sim: None,
            env: Vec::new(),
            ports: Vec::new(),
            manual_clock: false,
            pipeline: false,
        }
    }

    /// The owner API's service: the simulator's test user grants [`WABA`] with
    /// [`PHONE_ID`] through the dialog, and has a `hello_world` template.
    pub async fn spawn(backend: Backend) -> Option<Self> {
        Self::spawn_with(backend, SimConfig::default(), &[]).await
    }

    /// As [`Self::spawn`], with a simulator configuration and extra settings.
    pub async fn spawn_with(
        backend: Backend,
        sim_config: SimConfig,
        extra: &[(&str, &str)],
    ) -> Option<Self> {
        let app = Self::builder()
            .backend(backend)
            .sim(sim_config)
            .env("APP_KEY", APP_KEY)
            .env("OMNI_OWNER__FRONTEND_URL", FRONTEND)
            .env("OMNI_OWNER__LOGIN_ATTEMPTS_PER_MINUTE", "1000")
            .env("META_REDIRECT_URI", "{self}/api/whatsapp/callback")
            .envs(extra)
            .spawn()
            .await?;
        let h = app.sim();
        h.seed_waba(
            SeedWaba::new(WABA, BUSINESS)
                .number(SeedNumber::new(PHONE_ID, PHONE_DISPLAY).verified_name("Karachi Grill")),
        );
        h.seed_template(
            WABA,
            SeedTemplate::new("hello_world", "en_US", "Hello World"),
        );
        Some(app)
    }

    /// Starts the pipeline workers, if they do not run yet.
    pub async fn start_pipeline(&mut self) {
        if self.pipeline.is_none() {
            let handle = omni_app::startup::start_pipeline(&self.state.services, &self.settings)
                .await
                .unwrap_or_else(|e| panic!("pipeline: {e}"));
            self.pipeline = Some(handle);
        }
    }

    /// The simulator.
    pub fn sim(&self) -> SimHandle {
        self.sim.handle()
    }

    /// The service's webhook URL.
    pub fn webhook_url(&self) -> String {
        format!("{}/api/webhooks/whatsapp", self.url)
    }

    /// A signed-webhook sender aimed at the service (opens the customer's window at the
    /// simulator for every inbound message it sends, as Meta would).
    pub fn sender(&self) -> WebhookSender {
        self.sim()
            .webhook_sender(&self.webhook_url())
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// An owner (a fresh email, [`PASSWORD`]) with a store `name`, its auto-reply set when
    /// given: the owner's email and the store.
    pub async fn owner_with_store(&self, name: &str, auto_reply: Option<&str>) -> (String, Store) {
        let email = format!("{}@example.pk", uuid::Uuid::new_v4().simple());
        let owner = self
            .registry
            .create_owner(
                Email::parse(&email).unwrap_or_else(|e| panic!("{e}")),
                &SecretString::from(PASSWORD.to_owned()),
                None,
            )
            .await
            .unwrap_or_else(|e| panic!("create owner: {e}"));
        let store = self
            .registry
            .create_store(
                owner.id,
                StoreName::parse(name).unwrap_or_else(|e| panic!("{e}")),
                StoreKind::Restaurant,
            )
            .await
            .unwrap_or_else(|e| panic!("create store: {e}"));
        if let Some(text) = auto_reply {
            self.state
                .services
                .ports
                .tenants
                .set_auto_reply(store.id, Some(text), Utc::now())
                .await
                .unwrap_or_else(|e| panic!("auto-reply: {e}"));
        }
        (email, store)
    }

    /// A connected, active number of `store` in `waba`, known to the simulator (registered),
    /// with a token the simulator issued from `seed`: the account and the token.
    pub async fn connect_number(
        &self,
        store: &Store,
        waba: &str,
        phone_number_id: &str,
        phone: &str,
        seed: TokenSeed,
    ) -> (WhatsappAccount, String) {
        let sim = self.sim();
        if sim.waba_of(phone_number_id).is_none() {
            let number = SeedNumber::new(phone_number_id, phone).registered(true);
            if !sim.add_number(waba, number.clone()) {
                sim.seed_waba(SeedWaba::new(waba, BUSINESS).number(number));
            }
        }
        let token = sim.issue_token(seed);
        let ports = &self.state.services.ports;
        let account = omni_usecases::sealed_account(
            ports.cipher.as_ref(),
            store.id,
            PhoneNumber::parse(phone).unwrap_or_else(|e| panic!("{e}")),
            PhoneNumberId::parse(phone_number_id).unwrap_or_else(|e| panic!("{e}")),
            WabaId::parse(waba).unwrap_or_else(|e| panic!("{e}")),
            &SecretString::from(token.clone()),
            Utc::now(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        ports
            .central
            .insert_account(&account)
            .await
            .unwrap_or_else(|e| panic!("insert account: {e}"));
        (account, token)
    }

    /// Stops the workers, the server and the simulator, drops the test databases.
    pub async fn stop(mut self) {
        if let Some(p) = self.pipeline.take() {
            p.stop(Duration::from_secs(5)).await;
        }
        self.server.stop(true).await;
        self.state.services.ports.close();
        self.sim.stop().await;
        if let Some(db) = self.db.take() {
            db.cleanup().await;
        }
    }

    /// [`Self::stop`], by its owner-API name.
    pub async fn cleanup(self) {
        self.stop().await;
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

/// A query parameter of a URL, percent-decoded.
pub fn query_param(url: &str, name: &str) -> Option<String> {
    let url = reqwest::Url::parse(url).ok()?;
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}
