//! The sandbox as a newcomer meets it: the real `omniportal serve` binary, started with no
//! configuration at all in an empty directory, driven over HTTP (`api`) and through the owner
//! page in headless Chromium (`browser`).

mod api;
mod browser;

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_omniportal");

/// A running `omniportal serve --port 0` in its own directory, with its log.
#[derive(Debug)]
pub struct Serve {
    child: Option<Child>,
    pub base: String,
    pub dir: PathBuf,
    log: Arc<Mutex<Vec<String>>>,
}

impl Serve {
    /// Starts in `dir` with an empty environment (PATH only) plus `env`.
    pub fn start(dir: &Path, env: &[(&str, &str)]) -> Self {
        let mut cmd = Command::new(BIN);
        cmd.args(["serve", "--port", "0"])
            .current_dir(dir)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn omniportal serve");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        for stream in [
            Box::new(child.stdout.take().expect("stdout")) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().expect("stderr")),
        ] {
            let log = log.clone();
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    if let Some(rest) = line.split("listening on http://").nth(1) {
                        let addr: String = rest
                            .chars()
                            .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':')
                            .collect();
                        let _ = tx.send(addr);
                    }
                    log.lock().expect("log").push(line);
                }
            });
        }
        let addr = rx
            .recv_timeout(Duration::from_secs(90))
            .unwrap_or_else(|_| panic!("serve did not start: {:?}", log.lock().expect("log")));
        Self {
            child: Some(child),
            base: format!("http://{addr}"),
            dir: dir.to_owned(),
            log,
        }
    }

    /// The process's resident memory in KiB (`VmRSS` in `/proc/PID/status`).
    pub fn rss_kib(&self) -> u64 {
        let pid = self.child.as_ref().map_or(0, Child::id);
        std::fs::read_to_string(format!("/proc/{pid}/status"))
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    }

    /// Every log line so far.
    pub fn log(&self) -> Vec<String> {
        self.log.lock().expect("log").clone()
    }

    /// The demo password, as the sandbox wrote it for the newcomer.
    pub fn demo_password(&self) -> String {
        let text = std::fs::read_to_string(self.dir.join("data/sandbox-login.txt"))
            .expect("data/sandbox-login.txt");
        text.lines()
            .find_map(|l| l.strip_prefix("password: "))
            .expect("a password line")
            .to_owned()
    }

    /// SIGTERM, then wait.
    pub fn stop(mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let deadline = Instant::now() + Duration::from_secs(30);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// An HTTP client that does not follow redirects (the tests look at each one), with a
/// browser's cookie jar (the OAuth flow is bound to the browser that started it).
pub fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

/// `GET {base}/api/sandbox`, as the page reads it.
pub async fn sandbox_status(http: &reqwest::Client, base: &str) -> Value {
    http.get(format!("{base}/api/sandbox"))
        .send()
        .await
        .expect("GET /api/sandbox")
        .json()
        .await
        .expect("json")
}

/// Polls `f` until it gives `Some`, for up to `secs` seconds.
pub async fn eventually<T, F, Fut>(secs: u64, what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

/// The owner's side of the sandbox over HTTP.
#[derive(Debug)]
pub struct Owner {
    pub http: reqwest::Client,
    pub base: String,
    pub token: String,
}

impl Owner {
    /// Logs in as the demo owner with the password the sandbox printed.
    pub async fn login(serve: &Serve) -> Self {
        let http = client();
        let status = sandbox_status(&http, &serve.base).await;
        let email = status["demo_email"]
            .as_str()
            .expect("demo_email")
            .to_owned();
        let res = http
            .post(format!("{}/api/owner/login", serve.base))
            .json(&json!({ "email": email, "password": serve.demo_password() }))
            .send()
            .await
            .expect("login");
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.expect("json");
        Self {
            http,
            base: serve.base.clone(),
            token: body["token"].as_str().expect("token").to_owned(),
        }
    }

    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req.send().await.expect("request");
        let status = res.status().as_u16();
        let text = res.text().await.unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn get(&self, path: &str) -> Value {
        let (status, body) = self.call(reqwest::Method::GET, path, None).await;
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    /// Connects the simulated WABA's numbers through the consent screen, pressing Continue
    /// as a browser would; answers where the callback sent the browser.
    pub async fn connect_numbers(&self) -> String {
        let url = self.get("/api/owner/whatsapp/oauth-url").await["url"]
            .as_str()
            .expect("url")
            .to_owned();
        assert!(
            url.starts_with(&format!("{}/_sandbox/meta/", self.base)),
            "the dialog is the in-process simulator: {url}"
        );
        let html = self
            .http
            .get(&url)
            .send()
            .await
            .expect("dialog")
            .text()
            .await
            .expect("html");
        let (action, fields) =
            omni_meta_sim::testing::consent_form(&html, true).expect("a Continue form");
        let decision = format!(
            "{}/{action}",
            url.split('?')
                .next()
                .expect("path")
                .rsplit_once('/')
                .expect("dir")
                .0
        );
        let res = self
            .http
            .post(decision)
            .form(&fields)
            .send()
            .await
            .expect("decision");
        assert_eq!(res.status(), 302);
        let callback = res.headers()["location"]
            .to_str()
            .expect("location")
            .to_owned();
        let res = self.http.get(&callback).send().await.expect("callback");
        assert_eq!(res.status(), 302);
        res.headers()["location"]
            .to_str()
            .expect("location")
            .to_owned()
    }

    /// Plays the customer.
    pub async fn customer(&self, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::POST, "/api/sandbox/customer", Some(body))
            .await
    }

    /// The conversation the panel shows.
    pub async fn conversation(&self) -> Vec<Value> {
        self.get("/api/sandbox/customer/conversation").await["messages"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Waits for a reply to the customer whose text contains `needle`.
    pub async fn reply_containing(&self, needle: &str) -> Value {
        eventually(20, needle, || async {
            self.conversation().await.into_iter().find(|m| {
                m["direction"] == "outbound"
                    && m["text"].as_str().is_some_and(|t| t.contains(needle))
            })
        })
        .await
    }
}

/// Whether Postgres-style strictness applies: under CI a missing browser fails the test.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}
