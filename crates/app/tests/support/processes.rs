//! The real `omniportal` binary as separate processes, for tests that kill, restart and run
//! it side by side: a per-test Postgres central database (and tenant prefix), the Meta
//! simulator in the test process as Meta (Graph API for the replies, signed webhooks for the
//! customers), setup through the CLI, a webhook load driver that retries like Meta, and a
//! reconciliation of what the simulator accepted against what the databases hold, read with
//! `psql` (independent of the service's own code and counters).
//!
//! Secret canaries, in every test that uses it: the app secret, verify token, `/metrics`
//! token and APP_KEY are unique random values, our own crates log at TRACE, and when a
//! process ends (without a test failure) its whole log is searched for those values and for
//! every access token the simulator saw: one found fails the test. (faults.rs also runs one
//! process with every crate, dependencies included, at TRACE.)

#![allow(
    dead_code,
    reason = "each test binary uses a different part of the fixture"
)]
#![allow(
    clippy::allow_attributes,
    reason = "see above: `expect` would fail in binaries that use it all"
)]

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock, mpsc};
use std::time::{Duration, Instant};

use omni_meta_sim::webhook::sender::signature_header;
use omni_meta_sim::webhook::{SimCustomer, SimMessage, SimNumber, WebhookPayload};
use omni_meta_sim::{MetaSim, SeedNumber, SeedWaba, SentRecord, SimConfig, SimHandle, TokenSeed};
use omni_testkit::db::PgTestDb;

pub const BIN: &str = env!("CARGO_BIN_EXE_omniportal");

/// Seconds the senders wait before taking over a message a dead process had claimed
/// (`pipeline.message_lease_secs`): three 5 s Graph timeouts, enough for any text send these
/// tests make (the default, 50 s with this timeout, also covers media uploads).
pub const MESSAGE_LEASE_SECS: u64 = 15;

/// One test at a time in a binary: each starts several service processes, and their timing
/// (rates, latencies, leases) should not depend on what the other tests do meanwhile.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Our own crates at TRACE (every log line they can write), the rest at INFO.
const OUR_CRATES_AT_TRACE: &str = "info,omniportal=trace,omni_app=trace,omni_usecases=trace,\
    omni_sql=trace,omni_meta_graph=trace,omni_ports=trace,omni_domain=trace,omni_crypto=trace,\
    omni_media=trace,omni_openai=trace,omni_rules_agent=trace";

/// A unique value that must never appear in a log line.
pub fn canary(what: &str) -> String {
    format!("canary-{what}-{}", uuid::Uuid::new_v4().simple())
}

/// The variables whose values are secrets.
const SECRET_VARS: [&str; 5] = [
    "APP_KEY",
    "APP_PREVIOUS_KEYS",
    "META_APP_SECRET",
    "WHATSAPP_WEBHOOK_VERIFY_TOKEN",
    "OMNI_HEALTH__METRICS_TOKEN",
];

/// One test's world: database, simulator, key, data directory.
pub struct Env {
    db: Option<PgTestDb>,
    pub sim: MetaSim,
    pub dir: tempfile::TempDir,
    pub app_key: String,
    pub central_url: String,
    pub prefix: String,
    owner_email: String,
    /// Extra variables for every process of this test.
    pub extra: Vec<(String, String)>,
    started: Instant,
    /// Held until the test ends (dropped last).
    _turn: tokio::sync::MutexGuard<'static, ()>,
}

/// A store set up through the CLI, with its number at the simulator.
#[derive(Debug, Clone)]
pub struct StoreSetup {
    pub id: String,
    pub name: String,
    pub tenant_url: String,
    pub waba: String,
    pub pnid: String,
    /// `+92...`
    pub phone: String,
    pub reply: String,
}

impl StoreSetup {
    fn sim_number(&self) -> SimNumber {
        SimNumber::new(&self.waba, &self.pnid, self.phone.trim_start_matches('+'))
    }
}

impl Env {
    /// `None` when Postgres is unreachable outside CI.
    pub async fn start(mut sim_config: SimConfig) -> Option<Self> {
        let turn = ONE_AT_A_TIME.lock().await;
        if sim_config.app_secret == SimConfig::default().app_secret {
            sim_config.app_secret = canary("app-secret");
        }
        let _ = rustls::crypto::ring::default_provider().install_default();
        let db = PgTestDb::create().await?;
        let omni_sql::DbTarget::Postgres(central_url) = db.central_target() else {
            unreachable!("a Postgres test database")
        };
        let sim = MetaSim::start(sim_config).await.expect("simulator");
        let out = Command::new(BIN)
            .args(["keys", "generate"])
            .env_clear()
            .output()
            .expect("keys generate");
        assert!(out.status.success(), "keys generate: {out:?}");
        let app_key = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        let prefix = db.prefix.clone();
        let env = Self {
            db: Some(db),
            sim,
            dir: tempfile::tempdir().expect("tempdir"),
            app_key,
            central_url,
            prefix,
            owner_email: "ops@example.pk".to_owned(),
            extra: Vec::new(),
            started: Instant::now(),
            _turn: turn,
        };
        env.cli(&[
            "owner",
            "create",
            "--email",
            &env.owner_email,
            "--password",
            "correct horse battery staple",
        ]);
        Some(env)
    }

    /// Prints `what` with the time since the test's start.
    pub fn mark(&self, what: &str) {
        eprintln!("[{:>6.1}s] {what}", self.started.elapsed().as_secs_f64());
    }

    pub fn sim(&self) -> SimHandle {
        self.sim.handle()
    }

    /// The variables every process of this test gets (no developer settings leak in).
    pub fn process_env(&self) -> Vec<(String, String)> {
        let h = self.sim();
        let mut vars: Vec<(String, String)> = [
            ("PATH", std::env::var("PATH").unwrap_or_default()),
            ("DATABASE_URL", self.central_url.clone()),
            ("OMNI_DATABASE__TENANT_DATABASE_PREFIX", self.prefix.clone()),
            (
                "OMNI_DATABASE__DATA_DIR",
                self.dir.path().display().to_string(),
            ),
            ("APP_KEY", self.app_key.clone()),
            ("META_APP_ID", h.app_id()),
            ("META_APP_SECRET", h.app_secret()),
            ("OMNI_META__GRAPH_BASE_URL", self.sim.base_url()),
            ("OMNI_META__DIALOG_BASE_URL", self.sim.base_url()),
            ("OMNI_META__TIMEOUT_SECS", "5".to_owned()),
            (
                "OMNI_PIPELINE__MESSAGE_LEASE_SECS",
                MESSAGE_LEASE_SECS.to_string(),
            ),
            ("OMNI_PIPELINE__POLL_INTERVAL_MS", "50".to_owned()),
            ("OMNI_PIPELINE__INBOX_LEASE_SECS", "15".to_owned()),
            ("OMNI_PIPELINE__SENDER_LEASE_SECS", "3".to_owned()),
            ("OMNI_SERVER__SHUTDOWN_TIMEOUT_SECS", "10".to_owned()),
            ("WHATSAPP_WEBHOOK_VERIFY_TOKEN", canary("verify-token")),
            ("OMNI_HEALTH__METRICS_TOKEN", canary("metrics-token")),
            ("RUST_LOG", OUR_CRATES_AT_TRACE.to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        vars.extend(self.extra.iter().cloned());
        vars
    }

    /// Runs a CLI command; its stdout. Panics (with stderr) when it fails.
    pub fn cli(&self, args: &[&str]) -> String {
        let out = Command::new(BIN)
            .args(args)
            .env_clear()
            .envs(self.process_env())
            .stdin(Stdio::null())
            .output()
            .expect("run omniportal");
        assert!(
            out.status.success(),
            "omniportal {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A store with an auto-reply and one number, all through the CLI; the number and its
    /// token are seeded at the simulator.
    pub fn store(&self, name: &str, waba: &str, pnid: &str, phone: &str) -> StoreSetup {
        let out = self.cli(&[
            "store",
            "create",
            "--owner-email",
            &self.owner_email,
            "--name",
            name,
        ]);
        let id = out
            .split_whitespace()
            .nth(1)
            .filter(|_| out.starts_with("store "))
            .unwrap_or_else(|| panic!("unexpected `store create` output: {out}"))
            .to_owned();
        let reply = format!("Shukriya! {name} will answer shortly.");
        self.cli(&["store", "auto-reply", "--store", &id, "--text", &reply]);
        let sim = self.sim();
        sim.seed_waba(
            SeedWaba::new(waba, "2729063490586005")
                .number(SeedNumber::new(pnid, phone).registered(true)),
        );
        let token = sim.issue_token(TokenSeed::business(&[waba]));
        self.cli(&[
            "account",
            "add",
            "--store",
            &id,
            "--phone-number-id",
            pnid,
            "--waba",
            waba,
            "--phone",
            phone,
            "--token",
            &token,
        ]);
        let tenant_db = self.central_scalar(&format!(
            "SELECT tenant_database FROM stores WHERE id = '{id}'"
        ));
        let tenant_url = self
            .db
            .as_ref()
            .expect("database")
            .admin()
            .url_of(&tenant_db);
        StoreSetup {
            id,
            name: name.to_owned(),
            tenant_url,
            waba: waba.to_owned(),
            pnid: pnid.to_owned(),
            phone: phone.to_owned(),
            reply,
        }
    }

    /// Rows of a query on the central database.
    pub fn central(&self, sql: &str) -> Vec<Vec<String>> {
        psql(&self.central_url, sql)
    }

    pub fn central_scalar(&self, sql: &str) -> String {
        let rows = self.central(sql);
        rows.first()
            .and_then(|r| r.first())
            .cloned()
            .unwrap_or_else(|| panic!("no result for {sql}"))
    }

    pub fn central_count(&self, sql: &str) -> usize {
        self.central_scalar(sql)
            .parse()
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// `state -> count` of a table with a `state` column.
    pub fn states(&self, table: &str) -> BTreeMap<String, usize> {
        self.central(&format!(
            "SELECT state, count(*) FROM {table} GROUP BY state ORDER BY state"
        ))
        .into_iter()
        .map(|r| (r[0].clone(), r[1].parse().unwrap_or_default()))
        .collect()
    }

    /// Drops the test's databases.
    pub async fn cleanup(mut self) {
        if let Some(db) = self.db.take() {
            db.cleanup().await;
        }
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        if std::thread::panicking()
            && let Some(db) = &self.db
        {
            eprintln!("databases kept for inspection: {}_*", db.prefix);
        }
    }
}

/// `psql -At` output as rows of tab-separated fields.
pub fn psql(url: &str, sql: &str) -> Vec<Vec<String>> {
    let out = Command::new("psql")
        .args(["-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-F", "\t"])
        .arg("-d")
        .arg(url)
        .arg("-c")
        .arg(sql)
        .env("PGCONNECT_TIMEOUT", "5")
        .output()
        .expect("psql (the PostgreSQL client) must be installed");
    assert!(
        out.status.success(),
        "psql {sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| l.split('\t').map(str::to_owned).collect())
        .collect()
}

// --- the service as a child process --------------------------------------------------------

/// A running `omniportal serve`; killed (and its log printed, when the test fails) on drop.
pub struct Server {
    pub name: String,
    child: Option<Child>,
    pub addr: String,
    pub pid: u32,
    log: Arc<Mutex<Vec<String>>>,
    /// The secret values it was started with (see the module's canaries).
    secrets: Vec<(String, String)>,
    /// For the access tokens Meta saw.
    sim: SimHandle,
}

fn drain(stream: impl std::io::Read + Send + 'static, log: Arc<Mutex<Vec<String>>>) {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            log.lock().expect("log").push(line);
        }
    });
}

impl Server {
    /// Starts `serve --port 0` with the test's environment plus `extra`, and waits for its
    /// "listening on" line.
    pub fn start(env: &Env, name: &str, extra: &[(&str, &str)]) -> Self {
        let mut cmd = Command::new(BIN);
        cmd.args(["serve", "--port", "0"])
            .env_clear()
            .envs(env.process_env())
            .env("OMNI_LOG__FORMAT", "json")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in extra {
            cmd.env(k, v);
        }
        let mut vars: HashMap<String, String> = env.process_env().into_iter().collect();
        vars.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        let secrets = SECRET_VARS
            .iter()
            .filter_map(|k| Some(((*k).to_owned(), vars.get(*k)?.clone())))
            .flat_map(|(k, v)| {
                // Keys: the base64 text is the secret; several are comma-separated.
                v.split(',')
                    .map(|one| one.trim().trim_start_matches("base64:").to_owned())
                    .filter(|one| one.len() >= 16)
                    .map(|one| (k.clone(), one))
                    .collect::<Vec<_>>()
            })
            .collect();
        let mut child = cmd.spawn().expect("spawn omniportal serve");
        let pid = child.id();
        let log = Arc::new(Mutex::new(Vec::new()));
        let stdout = child.stdout.take().expect("stdout");
        let stderr = child.stderr.take().expect("stderr");
        drain(stderr, log.clone());
        let (tx, rx) = mpsc::channel();
        let out_log = log.clone();
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("listening on http://").nth(1)
                    && let Some(tx) = tx.take()
                {
                    let addr: String = rest
                        .chars()
                        .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':')
                        .collect();
                    let _ = tx.send(addr);
                }
                out_log.lock().expect("log").push(line);
            }
        });
        let mut server = Self {
            name: name.to_owned(),
            child: Some(child),
            addr: String::new(),
            pid,
            log,
            secrets,
            sim: env.sim(),
        };
        match rx.recv_timeout(Duration::from_secs(90)) {
            Ok(addr) => server.addr = addr,
            Err(_) => panic!(
                "{name} did not start listening:\n{}",
                server.log().join("\n")
            ),
        }
        server
    }

    pub fn webhook_url(&self) -> String {
        format!("http://{}/api/webhooks/whatsapp", self.addr)
    }

    pub fn log(&self) -> Vec<String> {
        self.log.lock().expect("log").clone()
    }

    pub fn log_has(&self, needle: &str) -> bool {
        self.log
            .lock()
            .expect("log")
            .iter()
            .any(|l| l.contains(needle))
    }

    /// SIGKILL: no shutdown code runs.
    pub fn kill9(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("running");
        child.kill().expect("SIGKILL");
        child.wait().expect("wait")
    }

    /// SIGTERM, as a process manager stops it.
    pub fn sigterm(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status()
            .expect("kill -TERM");
        assert!(status.success(), "kill -TERM {}", self.pid);
    }

    /// Waits for the process to exit.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            let child = self.child.as_mut()?;
            if let Some(status) = child.try_wait().expect("try_wait") {
                self.child = None;
                return Some(status);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Server {
    /// Every secret value this process held or used (its settings' secrets and the access
    /// tokens the simulator saw) that appears in its log, with the line.
    pub fn leaked_secrets(&self) -> Vec<String> {
        let mut secrets = self.secrets.clone();
        let tokens: HashSet<String> = self
            .sim
            .requests()
            .into_iter()
            .filter_map(|r| r.authorization?.strip_prefix("Bearer ").map(str::to_owned))
            .filter(|t| t.len() >= 16)
            .collect();
        secrets.extend(tokens.into_iter().map(|t| ("access token".to_owned(), t)));
        let log = self.log();
        secrets
            .iter()
            .filter_map(|(what, value)| {
                let line = log.iter().find(|l| l.contains(value.as_str()))?;
                Some(format!("{what} in: {line}"))
            })
            .collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if !std::thread::panicking() {
            // The search means something only with canaries to look for and a log to look in.
            assert!(
                self.secrets.len() >= 4 && !self.log().is_empty(),
                "{}: canaries {} and a log of {} lines",
                self.name,
                self.secrets.len(),
                self.log().len()
            );
            let leaked = self.leaked_secrets();
            assert!(
                leaked.is_empty(),
                "{}: a secret reached the log: {leaked:?}",
                self.name
            );
        }
        if std::thread::panicking() {
            // The whole log to a file, warnings and errors on stderr.
            let log = self.log();
            let path =
                std::env::temp_dir().join(format!("omniportal-{}-{}.log", self.name, self.pid));
            let saved = std::fs::write(&path, log.join("\n")).is_ok();
            let problems: Vec<&String> = log
                .iter()
                .filter(|l| l.contains("\"WARN\"") || l.contains("\"ERROR\""))
                .collect();
            let from = problems.len().saturating_sub(40);
            eprintln!(
                "---- {} (pid {}): {} log lines{}; last warnings and errors ----\n{}",
                self.name,
                self.pid,
                log.len(),
                if saved {
                    format!(" in {}", path.display())
                } else {
                    String::new()
                },
                problems[from..]
                    .iter()
                    .map(|l| l.as_str())
                    .collect::<Vec<_>>()
                    .join("\n")
            );
        }
    }
}

// --- Meta's side: customers writing, webhooks delivered with retries ------------------------

/// One customer message as a signed webhook.
#[derive(Debug, Clone)]
pub struct Msg {
    pub idx: usize,
    pub wamid: String,
    /// The customer's digits.
    pub wa_id: String,
    /// The store it goes to (index into the stores given).
    pub store: usize,
    pub body: Vec<u8>,
    pub signature: String,
}

/// `n` messages from `n` distinct customers, spread round-robin over `stores`; each
/// customer's 24-hour window is opened at the simulator (as Meta does on an inbound message).
pub fn messages(env: &Env, stores: &[&StoreSetup], n: usize) -> Vec<Msg> {
    let sim = env.sim();
    let secret = sim.app_secret();
    (0..n)
        .map(|idx| {
            let store = idx % stores.len();
            let s = stores[store];
            let wa_id = format!("92300{:07}", 1_000_000 + idx);
            let message = SimMessage::text(&format!("order #{idx}: 2 zinger burgers"));
            let wamid = message.wamid().to_owned();
            let payload = WebhookPayload::message(
                &s.sim_number(),
                &SimCustomer::new(&wa_id, &format!("Customer {idx}")),
                message,
            );
            sim.open_window(&s.pnid, &wa_id);
            let body = payload.bytes();
            let signature = signature_header(secret.as_bytes(), &body);
            Msg {
                idx,
                wamid,
                wa_id,
                store,
                body,
                signature,
            }
        })
        .collect()
}

/// One HTTP attempt.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub idx: usize,
    pub target: String,
    pub at: Instant,
    pub elapsed: Duration,
    pub status: Option<u16>,
    pub error: Option<String>,
}

/// Delivers webhooks like Meta: to whichever servers are up, retrying anything but a 200.
#[derive(Clone)]
pub struct Load {
    client: reqwest::Client,
    targets: Arc<RwLock<Vec<String>>>,
    attempts: Arc<Mutex<Vec<Attempt>>>,
    acked: Arc<Mutex<HashSet<usize>>>,
    acked_count: Arc<AtomicUsize>,
}

impl Default for Load {
    fn default() -> Self {
        Self::new()
    }
}

impl Load {
    pub fn new() -> Self {
        Self {
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .pool_max_idle_per_host(32)
                .build()
                .expect("client"),
            targets: Arc::default(),
            attempts: Arc::default(),
            acked: Arc::default(),
            acked_count: Arc::default(),
        }
    }

    /// Where deliveries go now (empty: every server is down; deliveries wait).
    pub fn set_targets(&self, urls: Vec<String>) {
        *self.targets.write().expect("targets") = urls;
    }

    pub fn acked(&self) -> usize {
        self.acked_count.load(Ordering::SeqCst)
    }

    pub fn acked_set(&self) -> HashSet<usize> {
        self.acked.lock().expect("acked").clone()
    }

    pub fn attempts(&self) -> Vec<Attempt> {
        self.attempts.lock().expect("attempts").clone()
    }

    /// One POST; recorded.
    pub async fn post(&self, url: &str, msg: &Msg) -> Attempt {
        let at = Instant::now();
        let result = self
            .client
            .post(url)
            .header("content-type", "application/json")
            .header("x-hub-signature-256", &msg.signature)
            .body(msg.body.clone())
            .send()
            .await;
        let (status, error) = match result {
            Ok(res) => {
                let status = res.status().as_u16();
                let _ = res.bytes().await;
                (Some(status), None)
            }
            Err(e) => (None, Some(e.to_string())),
        };
        let attempt = Attempt {
            idx: msg.idx,
            target: url.to_owned(),
            at,
            elapsed: at.elapsed(),
            status,
            error,
        };
        if status == Some(200) && self.acked.lock().expect("acked").insert(msg.idx) {
            self.acked_count.fetch_add(1, Ordering::SeqCst);
        }
        self.attempts
            .lock()
            .expect("attempts")
            .push(attempt.clone());
        attempt
    }

    /// Delivers `msg` to the current targets (round-robin by message), retrying until a 200
    /// or the deadline; whether it was acknowledged.
    pub async fn deliver(&self, msg: &Msg, deadline: Instant) -> bool {
        let mut backoff = Duration::from_millis(50);
        let mut tries = 0usize;
        while Instant::now() < deadline {
            let target = {
                let t = self.targets.read().expect("targets");
                (!t.is_empty()).then(|| t[(msg.idx + tries) % t.len()].clone())
            };
            tries += 1;
            let Some(url) = target else {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            };
            if self.post(&url, msg).await.status == Some(200) {
                return true;
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_millis(800));
        }
        false
    }

    /// Delivers every message, `concurrency` at a time, each retried until acknowledged
    /// (panics past `within`). `pause` between one message's acknowledgement and the next.
    pub async fn deliver_all(
        &self,
        msgs: Arc<Vec<Msg>>,
        concurrency: usize,
        pause: Duration,
        within: Duration,
    ) {
        let deadline = Instant::now() + within;
        let next = Arc::new(AtomicUsize::new(0));
        let mut workers = tokio::task::JoinSet::new();
        for _ in 0..concurrency {
            let (me, msgs, next) = (self.clone(), msgs.clone(), next.clone());
            workers.spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(msg) = msgs.get(i) else { return };
                    assert!(
                        me.deliver(msg, deadline).await,
                        "webhook {i} never acknowledged"
                    );
                    if !pause.is_zero() {
                        tokio::time::sleep(pause).await;
                    }
                }
            });
        }
        while let Some(r) = workers.join_next().await {
            if let Err(e) = r {
                std::panic::resume_unwind(e.into_panic());
            }
        }
    }
}

// --- waiting and reconciling ---------------------------------------------------------------

fn digits(to: &str) -> String {
    to.trim_start_matches('+').to_owned()
}

/// Accepted sends at the simulator by `(phone_number_id, customer digits)`.
pub fn sent_by_recipient(sim: &SimHandle) -> HashMap<(String, String), Vec<SentRecord>> {
    let mut by: HashMap<(String, String), Vec<SentRecord>> = HashMap::new();
    for s in sim.sent_messages() {
        by.entry((s.phone_number_id.clone(), digits(&s.to)))
            .or_default()
            .push(s);
    }
    by
}

/// Waits until every message has a reply at the simulator and nothing is open in the inbox
/// or the outbox, then one more second (for late duplicates). Panics with the state on
/// timeout.
pub async fn wait_quiet(env: &Env, stores: &[&StoreSetup], msgs: &[Msg], timeout: Duration) {
    let start = Instant::now();
    let mut quiet_since: Option<Instant> = None;
    loop {
        let sent = sent_by_recipient(&env.sim());
        let missing = msgs
            .iter()
            .filter(|m| !sent.contains_key(&(stores[m.store].pnid.clone(), m.wa_id.clone())))
            .count();
        let open_inbox = env.central_count(
            "SELECT count(*) FROM webhook_inbox WHERE state IN ('pending', 'leased')",
        );
        let open_outbox =
            env.central_count("SELECT count(*) FROM outbox WHERE state IN ('pending', 'sending')");
        if missing == 0 && open_inbox == 0 && open_outbox == 0 {
            match quiet_since {
                Some(t) if t.elapsed() >= Duration::from_secs(1) => return,
                Some(_) => {}
                None => quiet_since = Some(Instant::now()),
            }
        } else {
            quiet_since = None;
        }
        if start.elapsed() > timeout {
            let errors = env.central(
                "SELECT state, attempts, coalesce(last_error, '') FROM webhook_inbox \
                 WHERE state <> 'done' ORDER BY id LIMIT 10",
            );
            let out_errors = env.central(
                "SELECT state, attempts, coalesce(error_code, ''), coalesce(error, ''), \
                 coalesce(lease_owner, ''), coalesce(lease_until::text, '') FROM outbox \
                 WHERE state <> 'sent' ORDER BY id LIMIT 10",
            );
            panic!(
                "not quiet after {timeout:?}: {missing} message(s) without a reply at the \
                 simulator; inbox {:?}; outbox {:?}; inbox problems {errors:?}; outbox \
                 problems {out_errors:?}",
                env.states("webhook_inbox"),
                env.states("outbox"),
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// What reconciliation found beyond the exact expectations.
#[derive(Debug, Default)]
pub struct Reconciled {
    /// Customers who got more than one reply at the simulator, with the count.
    pub duplicate_replies: Vec<(String, usize)>,
    /// Replies accepted by the simulator in all.
    pub replies_at_sim: usize,
    /// Every way the end state differs from the expectation (see [`reconcile`]).
    pub problems: Vec<String>,
}

impl Reconciled {
    /// Panics listing the problems, if any.
    pub fn assert_consistent(&self) {
        assert!(
            self.problems.is_empty(),
            "{} problem(s):\n{}",
            self.problems.len(),
            self.problems
                .iter()
                .take(40)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

/// Checks the end state against the simulator: every message stored exactly once in its own
/// store's database and answered there by exactly one reply, whose wamid is one the simulator
/// accepted for that customer from that store's number with that store's text; the central
/// outbox has one `sent` row per message; the inbox has one `done` event per message and
/// nothing else. Differences are returned as problems (checked by
/// [`Reconciled::assert_consistent`]); extra accepted sends (duplicates) are returned, not
/// judged.
pub fn reconcile(env: &Env, stores: &[&StoreSetup], msgs: &[Msg]) -> Reconciled {
    let sim = env.sim();
    let sent = sent_by_recipient(&sim);
    let mut problems: Vec<String> = Vec::new();

    // The simulator: at least one reply per customer, from the right number, with the right
    // text, and nothing to anyone else.
    let expected: HashMap<(String, String), &Msg> = msgs
        .iter()
        .map(|m| ((stores[m.store].pnid.clone(), m.wa_id.clone()), m))
        .collect();
    let mut duplicate_replies = Vec::new();
    let mut replies_at_sim = 0;
    for (key, records) in &sent {
        replies_at_sim += records.len();
        let Some(m) = expected.get(key) else {
            problems.push(format!(
                "the simulator accepted a send nobody expected: {key:?}"
            ));
            continue;
        };
        let store = stores[m.store];
        for r in records {
            if r.body["text"]["body"] != store.reply.as_str() {
                problems.push(format!("wrong reply text to {}: {}", m.wa_id, r.body));
            }
        }
        if records.len() > 1 {
            duplicate_replies.push((m.wa_id.clone(), records.len()));
        }
    }
    for (key, m) in &expected {
        if !sent.contains_key(key) {
            problems.push(format!("no reply at the simulator for message {}", m.idx));
        }
    }

    // Each store's own database.
    for (si, store) in stores.iter().enumerate() {
        let mine: HashMap<&str, &Msg> = msgs
            .iter()
            .filter(|m| m.store == si)
            .map(|m| (m.wamid.as_str(), m))
            .collect();
        let rows = psql(
            &store.tenant_url,
            "SELECT i.wamid, count(o.id), coalesce(string_agg(o.wamid, ','), ''), \
             coalesce(string_agg(o.status, ','), '') \
             FROM messages i LEFT JOIN messages o \
               ON o.in_reply_to = i.id AND o.direction = 'outbound' \
             WHERE i.direction = 'inbound' GROUP BY i.wamid",
        );
        let outbound_total: usize = psql(
            &store.tenant_url,
            "SELECT count(*) FROM messages WHERE direction = 'outbound'",
        )[0][0]
            .parse()
            .unwrap_or_default();
        let mut seen = HashSet::new();
        for r in &rows {
            let (wamid, replies, reply_wamids, statuses) = (&r[0], &r[1], &r[2], &r[3]);
            let Some(m) = mine.get(wamid.as_str()) else {
                problems.push(format!("{}: unexpected inbound {wamid}", store.name));
                continue;
            };
            seen.insert(wamid.clone());
            if replies != "1" {
                problems.push(format!(
                    "{}: message {} has {replies} replies stored",
                    store.name, m.idx
                ));
                continue;
            }
            let at_sim: Vec<&str> = sent
                .get(&(store.pnid.clone(), m.wa_id.clone()))
                .map(|v| v.iter().map(|s| s.wamid.as_str()).collect())
                .unwrap_or_default();
            if reply_wamids.is_empty() && !at_sim.is_empty() {
                // The process stopped (or the store's database failed) between the outbox's
                // `mark_sent` and the store's `record_sent`: nothing records it later, so the
                // store shows the reply as never sent and its statuses never attach.
                problems.push(format!(
                    "{}: message {}'s reply was accepted by Meta ({at_sim:?}) but the store's \
                     copy has no wamid (status {statuses:?})",
                    store.name, m.idx
                ));
            } else if !at_sim.contains(&reply_wamids.as_str()) {
                problems.push(format!(
                    "{}: message {}'s reply has wamid {reply_wamids:?}, not one the simulator \
                     accepted ({at_sim:?}); status {statuses:?}",
                    store.name, m.idx
                ));
            }
        }
        // `wamid` is UNIQUE in the tenant schema, so one row per wamid; this checks presence.
        for (wamid, m) in &mine {
            if !seen.contains(*wamid) {
                problems.push(format!(
                    "{}: acknowledged message {} ({wamid}) is not stored",
                    store.name, m.idx
                ));
            }
        }
        if outbound_total != mine.len() {
            problems.push(format!(
                "{}: {outbound_total} outbound messages stored for {} inbound",
                store.name,
                mine.len()
            ));
        }
    }

    // The central outbox and inbox.
    let outbox = env.central("SELECT sender, recipient, state, coalesce(wamid, '') FROM outbox");
    if outbox.len() != msgs.len() {
        problems.push(format!(
            "outbox has {} rows for {} messages",
            outbox.len(),
            msgs.len()
        ));
    }
    for r in &outbox {
        let key = (r[0].clone(), digits(&r[1]));
        let ok = r[2] == "sent"
            && sent
                .get(&key)
                .is_some_and(|v| v.iter().any(|s| s.wamid == r[3]));
        if !ok {
            problems.push(format!("outbox row {r:?} does not match the simulator"));
        }
    }
    let inbox = env.states("webhook_inbox");
    let expected_inbox = BTreeMap::from([("done".to_owned(), msgs.len())]);
    if inbox != expected_inbox {
        problems.push(format!(
            "inbox states {inbox:?}, expected {expected_inbox:?}"
        ));
    }
    duplicate_replies.sort();
    Reconciled {
        duplicate_replies,
        replies_at_sim,
        problems,
    }
}
