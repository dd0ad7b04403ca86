//! The real `omniportal` binary, as a newcomer runs it: no configuration at all in an empty
//! directory, then the CLI commands against the SQLite files it created.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_omniportal");

/// A command with a clean environment: none of the developer's settings leak in.
fn omniportal(dir: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    cmd
}

fn run(dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = omniportal(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn: {e}"));
    if let Some(input) = stdin
        && let Some(mut pipe) = child.stdin.take()
    {
        pipe.write_all(input.as_bytes())
            .unwrap_or_else(|e| panic!("{e}"));
    }
    child.wait_with_output().unwrap_or_else(|e| panic!("{e}"))
}

fn http_get(addr: &str, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    stream.set_read_timeout(Some(Duration::from_secs(10))).ok();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .unwrap_or_else(|e| panic!("{e}"));
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = response
        .split("\r\n\r\n")
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    (status, body)
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `serve --port 0` and reads the bound address from its log; the rest of the log is
/// collected and handed back when the server exits.
fn serve_with(
    dir: &Path,
    env: &[(&str, &str)],
) -> (Server, String, std::sync::mpsc::Receiver<Vec<String>>) {
    let mut cmd = omniportal(dir);
    cmd.args(["serve", "--port", "0"]).env("RUST_LOG", "info");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn: {e}"));
    let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
    let server = Server(child);
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut lines = BufReader::new(stdout).lines();
    while let Some(Ok(line)) = lines.next() {
        if let Some(rest) = line.split("listening on http://").nth(1) {
            let addr: String = rest
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':')
                .collect();
            // Keep draining the log so the server never writes into a closed pipe.
            let (tx, rx) = std::sync::mpsc::channel();
            let first = line.clone();
            std::thread::spawn(move || {
                let rest: Vec<String> = std::iter::once(first)
                    .chain(lines.map_while(Result::ok))
                    .collect();
                let _ = tx.send(rest);
            });
            return (server, addr, rx);
        }
        assert!(Instant::now() < deadline, "server did not start");
    }
    panic!("server exited before listening")
}

fn serve(dir: &Path) -> (Server, String) {
    let (server, addr, _log) = serve_with(dir, &[]);
    (server, addr)
}

#[test]
fn serve_with_no_configuration_answers_healthz_and_creates_the_sqlite_files() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (_server, addr) = serve(dir.path());

    let (status, body) = http_get(&addr, "/healthz");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"ok\""), "{body}");
    let (status, body) = http_get(&addr, "/readyz");
    assert_eq!(status, 200, "{body}");

    assert!(dir.path().join("data/central.sqlite").is_file());
    let key = std::fs::read_to_string(dir.path().join("data/app.key")).unwrap_or_default();
    assert!(
        key.lines().any(|l| l.starts_with("base64:")),
        "a local key was generated"
    );
}

#[test]
fn bad_configuration_fails_at_start_with_one_line_naming_the_setting() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let cases = [
        ("OMNI_SERVER__PORT", "not-a-port", "server.port"),
        ("DATABASE_URL", "mysql://localhost/x", "DATABASE_URL"),
        ("APP_KEY", "base64:dG9vLXNob3J0", "APP_KEY"),
    ];
    for (var, value, named) in cases {
        let out = omniportal(dir.path())
            .args(["serve", "--port", "0"])
            .env(var, value)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{var}={value} must fail");
        assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
        assert!(stderr.contains(named), "{var}: {stderr}");
    }
}

#[test]
fn owners_stores_and_key_rotation_work_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let d = dir.path();

    let out = run(
        d,
        &[
            "owner",
            "create",
            "--email",
            "ali@example.pk",
            "--whatsapp",
            "0300 1234567",
        ],
        Some("correct horse battery\n"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(
        d,
        &[
            "owner",
            "create",
            "--email",
            "ALI@example.pk",
            "--password",
            "another-password",
        ],
        None,
    );
    assert!(!out.status.success(), "duplicate email must fail");
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));

    let out = run(
        d,
        &[
            "store",
            "create",
            "--owner-email",
            "ali@example.pk",
            "--name",
            "Karachi Grill",
        ],
        None,
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let store_id = stdout
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    assert!(
        d.join(format!("data/tenants/{store_id}.sqlite")).is_file(),
        "tenant database created: {stdout}"
    );

    let out = run(
        d,
        &[
            "store",
            "create",
            "--owner-email",
            "nobody@example.pk",
            "--name",
            "X",
        ],
        None,
    );
    assert!(!out.status.success());

    let out = run(d, &["migrate"], None);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("1 tenant database(s)"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Rotation with a new key in front of the old one in the key file: nothing to re-seal yet
    // (no accounts), but the command must accept the keyring and finish cleanly.
    let new_key = run(d, &["keys", "generate"], None);
    let new_key = String::from_utf8_lossy(&new_key.stdout).trim().to_owned();
    assert!(
        new_key.starts_with("base64:") && new_key.len() > 40,
        "{new_key}"
    );
    let path = d.join("data/app.key");
    let old = std::fs::read_to_string(&path).unwrap_or_default();
    std::fs::write(&path, format!("{new_key}\n{old}")).unwrap_or_else(|e| panic!("{e}"));
    let out = run(d, &["keys", "rotate"], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("scanned 0 account(s)"));
}

/// `outbox requeue` on embedded SQLite (the statement's SQLite half; Postgres and the whole
/// flow are in `pipeline/sending.rs`): no filter, a bad time and a bad number are refused
/// with a clear message and change nothing; a filter that matches nothing says so.
#[test]
fn outbox_requeue_refuses_bad_filters_and_reports_what_it_took() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let d = dir.path();
    for (args, says) in [
        (
            vec!["outbox", "requeue"],
            "give --id, --sender, --code or --since",
        ),
        (vec!["outbox", "requeue", "--since", "yesterday"], "--since"),
        (vec!["outbox", "requeue", "--sender", "12ab"], "--sender"),
        (
            vec!["outbox", "requeue", "--all", "--code", "timeout"],
            "cannot be used with",
        ),
        (
            vec!["outbox", "requeue", "--code", "Timeout!"],
            "is not an error code we record",
        ),
    ] {
        let out = run(d, &args, None);
        assert!(!out.status.success(), "{args:?} must fail");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
    for args in [
        vec![
            "outbox",
            "requeue",
            "--code",
            "timeout",
            "--since",
            "2026-11-30T09:00:00Z",
        ],
        vec!["outbox", "requeue", "--all"],
    ] {
        let out = run(d, &args, None);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("0 message(s) queued again"),
            "{args:?}"
        );
    }
}

#[test]
fn every_command_has_help() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["migrate", "--help"],
        vec!["store", "create", "--help"],
        vec!["owner", "create", "--help"],
        vec!["keys", "generate", "--help"],
        vec!["keys", "rotate", "--help"],
        vec!["outbox", "requeue", "--help"],
    ] {
        let out = run(dir.path(), &args, None);
        assert!(out.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Usage"),
            "{args:?}"
        );
    }
}

#[test]
fn sigterm_stops_the_server_gracefully_and_json_logs_are_one_object_per_line() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (mut server, addr, log) = serve_with(dir.path(), &[("OMNI_LOG__FORMAT", "json")]);
    assert_eq!(http_get(&addr, "/healthz").0, 200);

    // Act: SIGTERM, as a process manager sends it.
    let pid = server.0.id().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = server.0.try_wait().unwrap_or_else(|e| panic!("{e}")) {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "server did not stop after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };

    // Assert: a clean exit, after saying so, and every log line is a JSON object.
    assert!(status.success(), "exit status {status:?}");
    let lines = log
        .recv_timeout(Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        lines.iter().any(|l| l.contains("server stopped")),
        "{lines:#?}"
    );
    for line in lines.iter().filter(|l| !l.trim().is_empty()) {
        let parsed: Result<serde_json::Value, _> = serde_json::from_str(line);
        assert!(
            parsed.is_ok_and(|v| v.is_object()),
            "not a JSON object: {line}"
        );
    }
}
