//! The `meta-sim` binary end to end: `--help`, the startup lines on stdout, the control and
//! Graph APIs with the printed demo token, a signed injected webhook at a receiver started
//! here, and a clean exit on SIGTERM.
#![cfg(unix)]
#![expect(clippy::expect_used, reason = "tests fail loudly on unexpected errors")]

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

#[path = "support/receiver.rs"]
mod receiver;

use receiver::Receiver;

const BIN: &str = env!("CARGO_BIN_EXE_meta-sim");
const SECRET: &str = "bin-test-secret";

#[test]
fn help_exits_zero_and_lists_the_options() {
    let out = Command::new(BIN).arg("--help").output().expect("run");
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for opt in [
        "--host",
        "--port",
        "--app-secret",
        "--demo",
        "--webhook-url",
        "--no-auto-statuses",
        "--delivered-delay-ms",
        "--read-delay-ms",
        "demo token: <token>",
        "meta-sim listening on http://ADDR",
    ] {
        assert!(help.contains(opt), "--help lacks {opt}:\n{help}");
    }
}

/// The child, killed on drop if still running.
struct Sim(Child);

impl Drop for Sim {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Stdout lines of the child, read on a thread.
fn lines(child: &mut Child) -> mpsc::Receiver<String> {
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Waits (up to 20 s) for a line starting with `prefix`; returns the rest.
fn line_after(rx: &mpsc::Receiver<String>, prefix: &str) -> String {
    let until = Instant::now() + Duration::from_secs(20);
    loop {
        let left = until.saturating_duration_since(Instant::now());
        let line = rx
            .recv_timeout(left)
            .unwrap_or_else(|e| panic!("no line starting {prefix:?}: {e}"));
        if let Some(rest) = line.strip_prefix(prefix) {
            return rest.trim().to_owned();
        }
    }
}

#[tokio::test]
async fn the_binary_serves_delivers_signed_webhooks_and_stops_on_sigterm() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rx = Receiver::start(SECRET.as_bytes(), &[]);
    let hook_url = rx.url.clone();

    let child = Command::new(BIN)
        .args(["--port", "0", "--demo", "--app-secret", SECRET])
        .args(["--webhook-url", &hook_url, "--no-auto-statuses"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn meta-sim");
    let mut sim = Sim(child);
    let out = lines(&mut sim.0);
    let base = line_after(&out, "meta-sim listening on ");
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    let token = line_after(&out, "demo token: ");
    assert!(token.starts_with("EAA"), "{token}");

    let http = reqwest::Client::new();
    let state = http
        .get(format!("{base}/_sim/state"))
        .send()
        .await
        .expect("state");
    assert_eq!(state.status(), 200);
    let state: Value = state.json().await.expect("json");
    assert_eq!(state["webhook_url"], hook_url.as_str());

    let number = http
        .get(format!("{base}/v25.0/106540352242922"))
        .query(&[("fields", "id,quality_rating")])
        .bearer_auth(&token)
        .send()
        .await
        .expect("graph");
    assert_eq!(number.status(), 200);
    let number: Value = number.json().await.expect("json");
    assert_eq!(number["id"], "106540352242922");

    let injected = http
        .post(format!("{base}/_sim/webhooks/messages"))
        .json(
            &json!({ "phone_number_id": "106540352242922", "from": "923001234567",
                       "name": "Ali", "type": "text", "body": "Salam" }),
        )
        .send()
        .await
        .expect("inject");
    assert_eq!(injected.status(), 202);
    let injected: Value = injected.json().await.expect("json");
    let hit = rx
        .wait_for(1, Duration::from_secs(10))
        .await
        .first()
        .cloned()
        .expect("no webhook arrived");
    assert!(hit.signature_ok, "{hit:?}");
    let body = hit.json();
    let message = &body["entry"][0]["changes"][0]["value"]["messages"][0];
    assert_eq!(message["id"], injected["wamid"]);
    assert_eq!(message["text"]["body"], "Salam");

    let pid = sim.0.id().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(killed.success());
    let until = Instant::now() + Duration::from_secs(5);
    let status = loop {
        if let Some(status) = sim.0.try_wait().expect("wait") {
            break status;
        }
        assert!(
            Instant::now() < until,
            "meta-sim did not stop within 5 s of SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(25));
    };
    assert!(status.success(), "{status}");
    drop(rx);
}
