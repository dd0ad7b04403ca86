//! Kill points: the real `omniportal serve` dies on the spot (abort, as abrupt as SIGKILL) at
//! each named place in the webhook path, a new process takes over on the same Postgres, and
//! the end state is reconciled between what the Meta simulator accepted and what the databases
//! hold (`crate::support::processes::reconcile`), never read from the service's own counters.
//!
//! The points (`crates/app/src/fault_points.rs`) exist only in test builds.

use std::os::unix::process::ExitStatusExt as _;
use std::sync::Arc;
use std::time::Duration;

use crate::support::processes::{
    Env, Load, MESSAGE_LEASE_SECS, Server, messages, reconcile, wait_quiet,
};
use omni_meta_sim::SimConfig;

const WABA: &str = "102290129340398";
const NUMBER: &str = "106540352242922";
/// Inbox leases in these tests: how long a dead process's claimed events wait.
const INBOX_LEASE_SECS: u64 = 4;

/// Injected: ten signed webhooks from ten customers, one at a time, to a process armed to die
/// at `point` the first time it gets there; Meta (the test) resends whatever got no 200 to a
/// second process on the same database.
///
/// Must hold: every webhook is acknowledged, stored once and answered once; the simulator
/// accepted exactly one reply per customer, except replies the dead process had claimed and
/// Meta had already accepted (after `outbox.after_accept`): those go out a second time, the
/// documented window where nothing recorded the acceptance. Returns the customers who got two
/// replies.
async fn die_at(point: &str) -> Option<Vec<(String, usize)>> {
    let mut env = Env::start(SimConfig::default()).await?;
    env.extra.push((
        "OMNI_PIPELINE__INBOX_LEASE_SECS".into(),
        INBOX_LEASE_SECS.to_string(),
    ));
    let store = env.store("Karachi Biryani", WABA, NUMBER, "+923001112233");
    let stores = [&store];
    let msgs = Arc::new(messages(&env, &stores, 10));

    let armed = format!("{point}=1*return");
    let mut first = Server::start(&env, "armed", &[("FAILPOINTS", armed.as_str())]);
    env.mark(&format!("armed at {point}"));
    let load = Load::new();
    load.set_targets(vec![first.webhook_url()]);
    let loader = tokio::spawn({
        let (load, msgs) = (load.clone(), msgs.clone());
        async move {
            load.deliver_all(msgs, 1, Duration::ZERO, Duration::from_secs(150))
                .await;
        }
    });
    let status = first
        .wait_exit(Duration::from_secs(60))
        .unwrap_or_else(|| panic!("the process armed at {point} did not die"));
    assert_eq!(
        status.signal(),
        Some(6),
        "{point}: died by abort, {status:?}"
    );
    assert!(
        first.log_has(&format!("fault injection: aborting at {point}")),
        "{point}: the kill point was reached"
    );
    env.mark(&format!(
        "died at {point} with {} acknowledged",
        load.acked()
    ));
    // The replies the dead process had claimed: Meta may have accepted them already.
    let sending: Vec<String> = env
        .central("SELECT recipient FROM outbox WHERE state = 'sending'")
        .into_iter()
        .map(|r| r[0].trim_start_matches('+').to_owned())
        .collect();

    let second = Server::start(&env, "after", &[]);
    load.set_targets(vec![second.webhook_url()]);
    loader.await.unwrap();
    assert_eq!(load.acked(), msgs.len());
    let lease = if point == "outbox.after_accept" {
        MESSAGE_LEASE_SECS
    } else {
        INBOX_LEASE_SECS
    };
    wait_quiet(&env, &stores, &msgs, Duration::from_secs(lease + 45)).await;
    let found = reconcile(&env, &stores, &msgs);
    found.assert_consistent();
    for (customer, n) in &found.duplicate_replies {
        assert!(
            sending.contains(customer) && *n == 2,
            "{point}: {customer} got {n} replies; claimed at the death: {sending:?}"
        );
    }
    drop(second);
    env.cleanup().await;
    Some(found.duplicate_replies)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dying_before_the_inbox_commit_loses_nothing_meta_resends_it() {
    if let Some(dups) = die_at("webhook.before_commit").await {
        assert_eq!(dups, []);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dying_after_the_commit_before_the_200_stores_the_resend_once() {
    if let Some(dups) = die_at("webhook.after_commit").await {
        assert_eq!(dups, []);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dying_after_the_claim_hands_the_event_over_when_its_lease_ends() {
    if let Some(dups) = die_at("inbox.after_claim").await {
        assert_eq!(dups, []);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dying_after_the_agent_decided_decides_again_and_answers_once() {
    if let Some(dups) = die_at("agent.after_decide").await {
        assert_eq!(dups, []);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dying_after_the_reply_was_saved_does_not_queue_it_twice() {
    if let Some(dups) = die_at("inbox.after_process").await {
        assert_eq!(dups, []);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dying_after_meta_accepted_repeats_only_the_replies_in_flight() {
    if let Some(dups) = die_at("outbox.after_accept").await {
        // At least the reply whose acceptance triggered the death; also any other reply Meta
        // accepted concurrently (the senders work in parallel), and only those (checked in
        // `die_at`: each was claimed at the death, and went out exactly twice).
        assert!(
            !dups.is_empty(),
            "the accepted reply in flight went out again"
        );
    }
}

/// Injected: every sender-lease renewal waits 7 s first (as when the central pool is
/// exhausted and the renewal queues for a connection), while Meta takes 2 s per send, so
/// renewals fall in the middle of batches of sends; the Graph timeout is 5 s.
///
/// Must hold: the sends go on while a renewal waits. Every reply is accepted exactly once and
/// was attempted once: none is timed out on a response that had already arrived and sent
/// again (what happened when the renewal ran inside a `select!` branch, and the soak showed
/// as duplicate replies with no crash).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_lease_renewal_does_not_time_out_the_sends_in_flight() {
    let Some(env) = Env::start(SimConfig::default()).await else {
        return;
    };
    env.sim().inject_fault(omni_meta_sim::FaultRule::always(
        omni_meta_sim::Endpoint::Messages,
        omni_meta_sim::Fault::Latency(Duration::from_secs(2)),
    ));
    let store = env.store("Karachi Biryani", WABA, NUMBER, "+923001112233");
    let stores = [&store];
    let msgs = Arc::new(messages(&env, &stores, 12));
    let server = Server::start(
        &env,
        "slow-renewal",
        &[("FAILPOINTS", "outbox.before_lease_renewal=return(7000)")],
    );
    let load = Load::new();
    load.set_targets(vec![server.webhook_url()]);
    load.deliver_all(msgs.clone(), 12, Duration::ZERO, Duration::from_secs(60))
        .await;
    assert_eq!(load.acked(), msgs.len());
    wait_quiet(&env, &stores, &msgs, Duration::from_secs(90)).await;
    let found = reconcile(&env, &stores, &msgs);
    found.assert_consistent();
    assert_eq!(found.duplicate_replies, [], "no reply went out twice");
    let retried = env.central_count("SELECT count(*) FROM outbox WHERE attempts > 1");
    assert_eq!(
        retried,
        0,
        "no send was retried: {:?}",
        env.states("outbox")
    );
    drop(server);
    env.cleanup().await;
}

// --- limits: big, deep and slow requests --------------------------------------------------

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// Injected: a 10 MiB body (unsigned and signed), JSON nested 10,000 deep (unsigned and
/// signed), then one ordinary message.
///
/// Must hold: 413 `payload_too_large` for the big bodies and 401 for the unsigned deep one,
/// each within a few seconds and with nothing stored; the signed deep body, which Meta would
/// never send but which is signed, is kept as one dead inbox row and answered 200 (so Meta
/// would not retry it forever); the process stays up and the ordinary message is answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huge_and_deeply_nested_bodies_get_clear_answers_and_store_nothing_half() {
    let Some(env) = Env::start(SimConfig::default()).await else {
        return;
    };
    let store = env.store("Karachi Biryani", WABA, NUMBER, "+923001112233");
    let stores = [&store];
    let server = Server::start(&env, "limits", &[]);
    let http = reqwest::Client::new();
    let secret = env.sim().app_secret();
    let sign =
        |body: &[u8]| omni_meta_sim::webhook::sender::signature_header(secret.as_bytes(), body);
    let huge = vec![b' '; 10 * 1024 * 1024];
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)).into_bytes();
    let cases: [(&str, &[u8], bool, u16, &str); 4] = [
        ("10 MiB unsigned", &huge, false, 413, "payload_too_large"),
        ("10 MiB signed", &huge, true, 413, "payload_too_large"),
        (
            "10,000 deep unsigned",
            &deep,
            false,
            401,
            "invalid_signature",
        ),
        ("10,000 deep signed", &deep, true, 200, ""),
    ];
    for (what, body, signed, want, code) in cases {
        let started = std::time::Instant::now();
        let mut req = http
            .post(server.webhook_url())
            .header("content-type", "application/json")
            .body(body.to_vec());
        if signed {
            req = req.header("x-hub-signature-256", sign(body));
        }
        let res = tokio::time::timeout(Duration::from_secs(10), req.send())
            .await
            .unwrap_or_else(|_| panic!("{what}: no answer within 10 s"));
        match res {
            Ok(res) => {
                assert_eq!(res.status().as_u16(), want, "{what}");
                let text = res.text().await.unwrap_or_default();
                assert!(text.contains(code), "{what}: {text}");
            }
            // The server may answer 413 and close before the client finished sending.
            Err(e) => assert_eq!(want, 413, "{what}: {e}"),
        }
        assert!(started.elapsed() < Duration::from_secs(10), "{what}");
    }
    assert_eq!(
        env.central_count("SELECT count(*) FROM webhook_inbox"),
        1,
        "only the signed deep body is kept"
    );
    assert_eq!(
        env.central_count("SELECT count(*) FROM webhook_inbox WHERE state = 'dead'"),
        1
    );

    let msgs = messages(&env, &stores, 1);
    let load = Load::new();
    load.set_targets(vec![server.webhook_url()]);
    load.deliver_all(
        Arc::new(msgs.clone()),
        1,
        Duration::ZERO,
        Duration::from_secs(30),
    )
    .await;
    wait_quiet(&env, &stores, &msgs, Duration::from_secs(30)).await;
    // The dead row is the deep body's; the message's event is done.
    let problems: Vec<String> = reconcile(&env, &stores, &msgs)
        .problems
        .into_iter()
        .filter(|p| !p.contains("dead"))
        .collect();
    assert_eq!(problems, Vec::<String>::new());
    drop(server);
    env.cleanup().await;
}

/// Injected: 150 connections that send a webhook's headers, then its body at one byte a
/// second, while 20 ordinary webhooks arrive.
///
/// Must hold: the ordinary webhooks are each acknowledged within 2 s and answered; every slow
/// connection gets 408 `request_timeout` within the body timeout (3 s here) plus 5 s; the
/// process's resident memory grows by less than 64 MiB.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn byte_a_second_clients_get_408_and_do_not_slow_anyone_else() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let Some(mut env) = Env::start(SimConfig::default()).await else {
        return;
    };
    env.extra
        .push(("OMNI_PIPELINE__BODY_READ_TIMEOUT_SECS".into(), "3".into()));
    let store = env.store("Karachi Biryani", WABA, NUMBER, "+923001112233");
    let stores = [&store];
    let server = Server::start(&env, "slowloris", &[]);
    let rss_before = rss_kib(server.pid);
    let addr = server.addr.clone();

    let mut slow = tokio::task::JoinSet::new();
    for _ in 0..150 {
        let addr = addr.clone();
        slow.spawn(async move {
            let started = std::time::Instant::now();
            let mut sock = tokio::net::TcpStream::connect(&addr).await.ok()?;
            let head = format!(
                "POST /api/webhooks/whatsapp HTTP/1.1\r\nHost: {addr}\r\n\
                 Content-Type: application/json\r\nX-Hub-Signature-256: sha256=00\r\n\
                 Content-Length: 1000\r\n\r\n"
            );
            sock.write_all(head.as_bytes()).await.ok()?;
            let mut answer = Vec::new();
            for _ in 0..30 {
                if sock.write_all(b"{").await.is_err() {
                    break;
                }
                let mut buf = [0u8; 512];
                match tokio::time::timeout(Duration::from_secs(1), sock.read(&mut buf)).await {
                    Ok(Ok(0)) | Ok(Err(_)) => break,
                    Ok(Ok(n)) => {
                        answer.extend_from_slice(&buf[..n]);
                        break;
                    }
                    Err(_) => {}
                }
            }
            Some((
                started.elapsed(),
                String::from_utf8_lossy(&answer).into_owned(),
            ))
        });
    }

    tokio::time::sleep(Duration::from_millis(500)).await;
    let msgs = messages(&env, &stores, 20);
    let load = Load::new();
    load.set_targets(vec![server.webhook_url()]);
    load.deliver_all(
        Arc::new(msgs.clone()),
        2,
        Duration::from_millis(100),
        Duration::from_secs(60),
    )
    .await;
    let slowest = load
        .attempts()
        .iter()
        .map(|a| a.elapsed)
        .max()
        .unwrap_or_default();
    assert!(
        load.attempts().iter().all(|a| a.status == Some(200)),
        "every ordinary webhook acknowledged at the first try"
    );
    assert!(slowest < Duration::from_secs(2), "slowest ack {slowest:?}");

    let mut timed_out = 0;
    while let Some(r) = slow.join_next().await {
        let (took, answer) = r.unwrap().expect("a slow connection was refused");
        assert!(
            answer.starts_with("HTTP/1.1 408") && answer.contains("request_timeout"),
            "{answer:?}"
        );
        assert!(took < Duration::from_secs(3 + 5), "408 after {took:?}");
        timed_out += 1;
    }
    assert_eq!(timed_out, 150);
    let grown = rss_kib(server.pid).saturating_sub(rss_before);
    assert!(grown < 64 * 1024, "memory grew by {grown} KiB");
    wait_quiet(&env, &stores, &msgs, Duration::from_secs(30)).await;
    reconcile(&env, &stores, &msgs).assert_consistent();
    drop(server);
    env.cleanup().await;
}

// --- secret canaries ------------------------------------------------------------------------

/// Injected: unique canary values for the Meta app secret, the webhook verify token, the
/// `/metrics` token, the encryption key (APP_KEY) and the number's access token, with the real
/// binary logging at TRACE; traffic that touches each of them: signed webhooks answered through
/// Meta, the subscription check with the right and a wrong token, a forged signature,
/// `/metrics` with and without its token, and Meta rejecting the access token (190).
///
/// Must hold: no canary appears in any log line or any response body.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_canary_reaches_a_trace_log_line_or_a_response() {
    let canary = |what: &str| format!("canary-{what}-{}", uuid::Uuid::new_v4().simple());
    let app_secret = canary("app-secret");
    let Some(mut env) = Env::start(SimConfig {
        app_secret: app_secret.clone(),
        ..SimConfig::default()
    })
    .await
    else {
        return;
    };
    let verify_token = canary("verify");
    let metrics_token = canary("metrics");
    for (k, v) in [
        ("RUST_LOG", "trace".to_owned()),
        ("WHATSAPP_WEBHOOK_VERIFY_TOKEN", verify_token.clone()),
        ("OMNI_HEALTH__METRICS_TOKEN", metrics_token.clone()),
    ] {
        env.extra.push((k.into(), v));
    }
    let store = env.store("Karachi Biryani", WABA, NUMBER, "+923001112233");
    let stores = [&store];
    let server = Server::start(&env, "canaries", &[]);
    let http = reqwest::Client::new();
    let mut bodies = Vec::new();

    let msgs = messages(&env, &stores, 5);
    let load = Load::new();
    load.set_targets(vec![server.webhook_url()]);
    load.deliver_all(
        Arc::new(msgs.clone()),
        2,
        Duration::ZERO,
        Duration::from_secs(60),
    )
    .await;
    wait_quiet(&env, &stores, &msgs, Duration::from_secs(45)).await;
    reconcile(&env, &stores, &msgs).assert_consistent();

    let base = format!("http://{}", server.addr);
    for (path, auth) in [
        (
            format!(
                "/api/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token={verify_token}&hub.challenge=ch1"
            ),
            None,
        ),
        (
            "/api/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=ch2"
                .to_owned(),
            None,
        ),
        ("/metrics".to_owned(), Some(metrics_token.clone())),
        ("/metrics".to_owned(), None),
    ] {
        let mut req = http.get(format!("{base}{path}"));
        if let Some(t) = auth {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.unwrap();
        bodies.push(res.text().await.unwrap());
    }
    let forged = http
        .post(server.webhook_url())
        .header("content-type", "application/json")
        .header("x-hub-signature-256", "sha256=0000")
        .body(msgs[0].body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);
    bodies.push(forged.text().await.unwrap());

    // Meta rejects the token on the next reply.
    env.sim().inject_fault(omni_meta_sim::FaultRule::always(
        omni_meta_sim::Endpoint::Messages,
        omni_meta_sim::Fault::TokenExpired,
    ));
    let more = messages(&env, &stores, 7);
    load.deliver(
        &more[6],
        std::time::Instant::now() + Duration::from_secs(30),
    )
    .await;
    let sim_tokens: Vec<String> = env
        .sim()
        .requests()
        .iter()
        .filter_map(|r| r.authorization.clone())
        .filter_map(|a| a.strip_prefix("Bearer ").map(str::to_owned))
        .collect();
    assert!(
        !sim_tokens.is_empty(),
        "the service called Meta with its token"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;

    let app_key = env.app_key.clone();
    let key_text = app_key.trim_start_matches("base64:").to_owned();
    let mut secrets = vec![
        ("app secret", app_secret),
        ("verify token", verify_token),
        ("metrics token", metrics_token),
        ("APP_KEY", key_text),
    ];
    secrets.extend(sim_tokens.into_iter().take(1).map(|t| ("access token", t)));
    let log = server.log();
    assert!(log.len() > 100, "TRACE logging was on: {} lines", log.len());
    for (what, secret) in &secrets {
        for line in &log {
            assert!(
                !line.contains(secret.as_str()),
                "the {what} is in a log line: {line}"
            );
        }
        for body in &bodies {
            assert!(
                !body.contains(secret.as_str()),
                "the {what} is in a response: {body}"
            );
        }
    }
    drop(server);
    env.cleanup().await;
}

// --- key rotation under traffic ------------------------------------------------------------

/// Injected: 40 webhooks arriving one at a time while the encryption key is rotated the way
/// docs/operations.md says, with the service restarted half-way through each step: a process
/// with the old key only; a rolling restart to the new key with the old one still accepted;
/// `omniportal keys rotate` while traffic runs, killed (abort, as SIGKILL) after it re-sealed
/// the first of three stores' tokens and before the others, then run again; a rolling
/// restart to the new key alone.
///
/// Must hold: the killed run leaves every token readable (each re-sealed or untouched, none
/// half-written); the second run re-seals exactly the two it had not reached; every webhook
/// is stored and answered exactly once, all through; the last process, which has only the
/// new key, opens every re-sealed token and sends for all three stores.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_rotate_under_traffic_across_rolling_restarts_and_nothing_is_lost() {
    let Some(mut env) = Env::start(SimConfig::default()).await else {
        return;
    };
    let a = env.store("Karachi Biryani", WABA, NUMBER, "+923001112233");
    let b = env.store(
        "Lahore Karahi",
        "102290129340401",
        "106540352242955",
        "+923001112244",
    );
    let c = env.store(
        "Quetta Chai",
        "102290129340402",
        "106540352242966",
        "+923001112255",
    );
    let stores = [&a, &b, &c];
    let old = env.app_key.clone();
    let new = env.cli(&["keys", "generate"]).trim().to_owned();
    assert!(new.starts_with("base64:") && new != old);
    let msgs = Arc::new(messages(&env, &stores, 40));

    let mut one = Server::start(&env, "old-key", &[]);
    let load = Load::new();
    load.set_targets(vec![one.webhook_url()]);
    let loader = tokio::spawn({
        let (load, msgs) = (load.clone(), msgs.clone());
        async move {
            load.deliver_all(
                msgs,
                1,
                Duration::from_millis(100),
                Duration::from_secs(150),
            )
            .await;
        }
    });
    let wait_acked = |n: usize| {
        let load = load.clone();
        async move {
            let deadline = std::time::Instant::now() + Duration::from_secs(60);
            while load.acked() < n {
                assert!(std::time::Instant::now() < deadline, "{n} acknowledged");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    wait_acked(10).await;

    // Rolling restart to the new key, the old one still accepted.
    let both = [
        ("APP_KEY", new.as_str()),
        ("APP_PREVIOUS_KEYS", old.as_str()),
    ];
    let mut two = Server::start(&env, "both-keys", &both);
    load.set_targets(vec![two.webhook_url()]);
    one.sigterm();
    one.wait_exit(Duration::from_secs(30))
        .expect("old-key process stops");
    env.mark("rolled to the new key (old accepted)");

    // Re-seal every stored secret while webhooks keep coming.
    for (k, v) in both {
        env.extra.push((k.to_owned(), v.to_owned()));
    }
    let killed = std::process::Command::new(crate::support::processes::BIN)
        .args(["keys", "rotate"])
        .env_clear()
        .envs(env.process_env())
        .env("FAILPOINTS", "keys.after_reseal=return")
        .output()
        .expect("keys rotate");
    assert_eq!(
        killed.status.signal(),
        Some(6),
        "keys rotate died half-way: {killed:?}"
    );
    env.mark("keys rotate killed after re-sealing one account");
    wait_acked(18).await;
    let rotated = env.cli(&["keys", "rotate"]);
    env.mark(&format!("keys rotate again: {}", rotated.trim()));
    assert!(
        rotated.contains("scanned 3 account(s): 2 re-encrypted, 0 changed concurrently, 0 failed"),
        "the second run finished exactly what the first had not: {rotated}"
    );
    wait_acked(25).await;

    // Rolling restart to the new key alone.
    env.extra.retain(|(k, _)| k != "APP_PREVIOUS_KEYS");
    let sent_before = env.sim().sent_messages().len();
    let three = Server::start(&env, "new-key-only", &[]);
    load.set_targets(vec![three.webhook_url()]);
    two.sigterm();
    two.wait_exit(Duration::from_secs(30))
        .expect("both-keys process stops");
    env.mark("rolled to the new key alone");

    loader.await.unwrap();
    wait_quiet(&env, &stores, &msgs, Duration::from_secs(60)).await;
    let found = reconcile(&env, &stores, &msgs);
    found.assert_consistent();
    assert_eq!(found.duplicate_replies, Vec::<(String, usize)>::new());
    let sent_after: std::collections::HashSet<String> = env.sim().sent_messages()[sent_before..]
        .iter()
        .map(|s| s.phone_number_id.clone())
        .collect();
    assert_eq!(
        sent_after.len(),
        3,
        "the new-key-only process sent for every store with its re-sealed token: {sent_after:?}"
    );
    assert!(
        !three.log_has("could not open"),
        "the new-key-only process opened every token"
    );
    drop(three);
    env.cleanup().await;
}
