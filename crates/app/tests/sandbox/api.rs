//! The sandbox over HTTP: what a newcomer's first `serve` gives, the journey from consent
//! screen to paid order, a restart, and that a configured Meta app turns it all off.

use reqwest::Method;
use serde_json::{Value, json};

use super::{Owner, Serve, client, eventually, sandbox_status};

fn pay_button(message: &Value, title: &str) -> Value {
    message["buttons"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|b| b["title"] == title)
        .cloned()
        .unwrap_or_else(|| panic!("no {title} button in {message}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_meta_serve_is_a_sandbox_that_takes_an_order_from_consent_to_payment() {
    let dir = tempfile::tempdir().expect("tempdir");
    let serve = Serve::start(dir.path(), &[]);
    let http = client();

    // What the newcomer is told, and what the page is served with.
    let password = serve.demo_password();
    assert!(
        serve
            .log()
            .iter()
            .any(|l| l.contains("SANDBOX MODE") && l.contains(&password)),
        "the login is printed in the log"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(dir.path().join("data/sandbox-login.txt"))
            .expect("login file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "the login file is private: {mode:o}");
    }
    let status = sandbox_status(&http, &serve.base).await;
    assert_eq!(status["enabled"], true);
    assert_eq!(status["customer"]["phone"], "+923001234567");
    let res = http
        .get(format!("{}/owner", serve.base))
        .send()
        .await
        .expect("page");
    assert_eq!(res.status(), 200);
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .expect("csp")
        .to_owned();
    assert!(
        csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert!(
        res.text()
            .await
            .expect("html")
            .contains("/owner/assets/app.js")
    );
    let res = http
        .get(format!("{}/owner/assets/app.js", serve.base))
        .send()
        .await
        .expect("js");
    assert_eq!(
        res.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    // HEAD, as uptime checks ask: the page's headers, no body.
    for path in ["/owner", "/owner/assets/app.css", "/owner/orders"] {
        let res = http
            .head(format!("{}{path}", serve.base))
            .send()
            .await
            .expect("head");
        assert_eq!(res.status(), 200, "HEAD {path}");
        assert!(
            res.headers().contains_key("content-security-policy"),
            "HEAD {path}"
        );
        assert_eq!(res.bytes().await.expect("body").len(), 0, "HEAD {path}");
    }
    let res = http
        .get(format!("{}/owner/assets/secrets.txt", serve.base))
        .send()
        .await
        .expect("404");
    assert_eq!(res.status(), 404);
    let res = http
        .get(format!("{}/", serve.base))
        .send()
        .await
        .expect("root");
    assert_eq!(
        (
            res.status().as_u16(),
            res.headers()["location"].to_str().ok()
        ),
        (302, Some("/owner"))
    );

    let owner = Owner::login(&serve).await;
    // The panel needs a number, and a token.
    let (code, body) = owner.customer(json!({"type": "text", "body": "hi"})).await;
    assert_eq!(
        (code, body["error"].as_str()),
        (409, Some("no_account")),
        "{body}"
    );
    let res = http
        .post(format!("{}/api/sandbox/customer", serve.base))
        .json(&json!({"type": "text", "body": "hi"}))
        .send()
        .await
        .expect("unauthenticated");
    assert_eq!(res.status(), 401);

    // Meta's consent screen, simulated in the process, then our callback.
    let landing = owner.connect_numbers().await;
    assert_eq!(landing, "/owner?whatsapp=connected&accounts=2");
    let accounts = owner.get("/api/owner/whatsapp/accounts").await;
    let numbers: Vec<&str> = accounts["accounts"]
        .as_array()
        .expect("accounts")
        .iter()
        .map(|a| a["formatted_phone"].as_str().expect("phone"))
        .collect();
    assert_eq!(numbers, ["+92 321 0000001", "+92 321 0000002"]);
    assert!(
        accounts["accounts"]
            .as_array()
            .expect("a")
            .iter()
            .all(|a| a["status"] == "active")
    );

    // Bad customer input gets a clear error and sends nothing.
    for (body, code) in [
        (json!({"type": "fax"}), "invalid_message"),
        (json!({"type": "text"}), "invalid_message"),
        (
            json!({"type": "text", "body": "x", "from": "not a phone"}),
            "invalid_phone",
        ),
        (
            json!({"type": "location", "latitude": 123.0, "longitude": 74.0}),
            "invalid_message",
        ),
        (
            json!({"type": "text", "body": "x", "extra": 1}),
            "invalid_message",
        ),
    ] {
        let (status, answer) = owner.customer(body.clone()).await;
        assert_eq!(
            (status, answer["error"].as_str()),
            (400, Some(code)),
            "{body}: {answer}"
        );
    }
    assert!(owner.conversation().await.is_empty());

    // The journey: order by text, deliver to a pin, pay by JazzCash with a screenshot.
    let (status, sent) = owner
        .customer(json!({"type": "text", "body": "I want to order a zinger burger"}))
        .await;
    assert_eq!(status, 202, "{sent}");
    assert_eq!(sent["from"], "+923001234567");
    let added = owner.reply_containing("Added 1 × Zinger Burger").await;
    // Directions are named as in the owner API: the customer's message, then the reply.
    let first_two: Vec<Value> = owner.conversation().await.into_iter().take(2).collect();
    assert_eq!(
        first_two
            .iter()
            .map(|m| (m["direction"].as_str(), m["type"].as_str()))
            .collect::<Vec<_>>(),
        [
            (Some("inbound"), Some("text")),
            (Some("outbound"), Some("interactive"))
        ],
        "{first_two:?}"
    );
    assert_eq!(pay_button(&added, "Checkout")["id"], "checkout");
    owner
        .customer(json!({"type": "button_reply", "id": "checkout", "title": "Checkout"}))
        .await;
    let ask = owner.reply_containing("Where should we deliver?").await;
    assert_eq!(ask["location_request"], true, "{ask}");
    owner
        .customer(
            json!({"type": "location", "latitude": 31.5204, "longitude": 74.3587,
            "name": "Home", "address": "House 12, Street 5, Gulberg III, Lahore"}),
        )
        .await;
    let pay = owner.reply_containing("Your total is Rs 800").await;
    let jazz = pay_button(&pay, "JazzCash");
    owner
        .customer(json!({"type": "button_reply", "id": jazz["id"], "title": "JazzCash"}))
        .await;
    owner.reply_containing("Tap Confirm order").await;
    owner
        .customer(json!({"type": "button_reply", "id": "confirm", "title": "Confirm order"}))
        .await;
    owner
        .reply_containing("Please pay exactly Rs 800 by JazzCash")
        .await;
    let (status, _) = owner.customer(json!({"type": "payment_screenshot"})).await;
    assert_eq!(status, 202);
    owner
        .reply_containing("We received your payment screenshot")
        .await;

    // The owner sees the screenshot and the amount, and approves.
    let pending = eventually(10, "a pending verification", || async {
        let list = owner.get("/api/owner/payments/pending").await;
        list.as_array().and_then(|a| a.first().cloned())
    })
    .await;
    assert_eq!(pending["total"]["display"], "Rs 800");
    assert_eq!(pending["payment_status"], "pending_verification");
    let order_id = pending["id"].as_str().expect("id").to_owned();
    let proof = owner
        .http
        .get(format!(
            "{}/api/owner/orders/{order_id}/payment-proof",
            owner.base
        ))
        .bearer_auth(&owner.token)
        .send()
        .await
        .expect("proof");
    assert_eq!(proof.status(), 200);
    let bytes = proof.bytes().await.expect("bytes");
    assert_eq!(
        bytes.as_ref(),
        include_bytes!("../../assets/sandbox/payment-screenshot.png")
    );
    let (status, body) = owner
        .call(
            Method::POST,
            &format!("/api/owner/orders/{order_id}/payment/approve"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    owner
        .reply_containing("Payment of Rs 800 received for order")
        .await;

    // Every customer message crossed the real webhook endpoint, signed, and was accepted.
    // The simulator records an outcome once it has read our 200, which can trail the
    // work that answer started: poll until no delivery is pending (bounded).
    let until = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let deliveries = loop {
        let log: Value = http
            .get(format!(
                "{}/_sandbox/meta/_sim/webhooks/deliveries",
                serve.base
            ))
            .bearer_auth(&owner.token)
            .send()
            .await
            .expect("deliveries")
            .json()
            .await
            .expect("json");
        let pending = log
            .as_array()
            .expect("deliveries")
            .iter()
            .any(|d| d["outcome"] == "pending");
        if !pending || std::time::Instant::now() >= until {
            break log;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let messages: Vec<&Value> = deliveries
        .as_array()
        .expect("deliveries")
        .iter()
        .filter(|d| d["kind"] == "message")
        .collect();
    let outcomes: Vec<&Value> = messages.iter().map(|d| &d["outcome"]).collect();
    // text, Checkout, the pin, JazzCash, Confirm order, the screenshot
    assert_eq!(outcomes, [&json!("delivered"); 6]);
    assert!(
        messages.iter().all(|d| d["attempts"][0]["signature"]
            .as_str()
            .is_some_and(|s| s.starts_with("sha256="))),
        "signed like Meta's"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_restart_the_demo_is_not_duplicated_and_its_numbers_still_answer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let serve = Serve::start(dir.path(), &[]);
    let password = serve.demo_password();
    let owner = Owner::login(&serve).await;
    owner.connect_numbers().await;
    serve.stop();

    let serve = Serve::start(dir.path(), &[]);
    assert_eq!(serve.demo_password(), password);
    assert!(
        serve
            .log()
            .iter()
            .any(|l| l.contains("SANDBOX MODE") && l.contains("restored_numbers=2")),
        "{:?}",
        serve.log()
    );
    let owner = Owner::login(&serve).await;
    let login: Value = owner
        .http
        .post(format!("{}/api/owner/login", serve.base))
        .json(&json!({"email": "demo@sandbox.omniportal.test", "password": password}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("json");
    assert_eq!(login["stores"].as_array().map(Vec::len), Some(1), "{login}");
    let (status, body) = owner
        .customer(json!({"type": "text", "body": "menu"}))
        .await;
    assert_eq!(status, 202, "{body}");
    owner.reply_containing("Karachi Grill menu").await;
    let (status, refreshed) = owner
        .call(
            Method::POST,
            &format!(
                "/api/owner/whatsapp/accounts/{}/refresh",
                owner.get("/api/owner/whatsapp/accounts").await["accounts"][0]["id"]
                    .as_str()
                    .expect("id")
            ),
            None,
        )
        .await;
    assert_eq!(
        (status, refreshed["status"].as_str()),
        (200, Some("active")),
        "{refreshed}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configured_meta_app_or_sandbox_enabled_false_means_no_sandbox() {
    let http = client();
    for env in [
        vec![
            ("META_APP_ID", "123456"),
            ("META_APP_SECRET", "real-app-secret"),
        ],
        vec![
            ("META_APP_ID", "123456"),
            ("META_APP_SECRET", "real-app-secret"),
            ("OMNI_SANDBOX__ENABLED", "true"),
        ],
        vec![("OMNI_SANDBOX__ENABLED", "false")],
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let serve = Serve::start(dir.path(), &env);
        let status = sandbox_status(&http, &serve.base).await;
        assert_eq!(status, json!({"enabled": false}), "{env:?}");
        for path in [
            "/_sandbox/meta/v25.0/dialog/oauth",
            "/_sandbox/meta/_sim/webhooks/deliveries",
        ] {
            let res = http
                .get(format!("{}{path}", serve.base))
                .send()
                .await
                .expect("get");
            assert_eq!(res.status(), 404, "{env:?} {path}");
        }
        let res = http
            .post(format!("{}/api/sandbox/customer", serve.base))
            .json(&json!({"type": "text", "body": "hi"}))
            .send()
            .await
            .expect("post");
        assert_eq!(res.status(), 404, "{env:?}");
        assert!(
            !dir.path().join("data/sandbox-login.txt").exists(),
            "{env:?}"
        );
        assert!(
            !serve.log().iter().any(|l| l.contains("SANDBOX")),
            "{env:?}"
        );
        // The page is still served; it just shows no sandbox.
        let res = http
            .get(format!("{}/owner", serve.base))
            .send()
            .await
            .expect("page");
        assert_eq!(res.status(), 200);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulators_control_routes_answer_only_an_owner_and_post_only_to_our_webhook() {
    let dir = tempfile::tempdir().expect("tempdir");
    let serve = Serve::start(dir.path(), &[]);
    let http = client();
    let state = format!("{}/_sandbox/meta/_sim/state", serve.base);
    // No token, a made-up token: the Graph calls' headers and every store's sends stay shut.
    for token in [None, Some("garbage")] {
        let mut req = http.get(&state);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.expect("state");
        assert_eq!(res.status(), 401, "{token:?}");
        let body: Value = res.json().await.expect("json");
        assert_eq!(body["error"], "unauthorized", "{body}");
    }
    for path in [
        "/_sim/requests",
        "/_sim/messages",
        "/_sim/webhooks/deliveries",
    ] {
        let res = http
            .get(format!("{}/_sandbox/meta{path}", serve.base))
            .send()
            .await
            .expect("get");
        assert_eq!(res.status(), 401, "{path}");
    }
    let res = http
        .post(format!("{}/_sandbox/meta/_sim/webhooks/raw", serve.base))
        .json(&json!({"body": {"object": "whatsapp_business_account", "entry": []}}))
        .send()
        .await
        .expect("raw");
    assert_eq!(res.status(), 401, "injection needs a token");

    let owner = Owner::login(&serve).await;
    let res = http
        .get(&state)
        .bearer_auth(&owner.token)
        .send()
        .await
        .expect("state");
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.expect("json");
    // With the token, the control API answers: the sandbox's own simulated app.
    assert_eq!(body["app_id"], omni_app::sandbox::APP_ID, "{body}");
    // Deliveries go to this process's own webhook, nowhere else (no SSRF through it).
    for elsewhere in ["http://127.0.0.1:9/hook", "http://169.254.169.254/latest"] {
        let res = http
            .post(format!("{}/_sandbox/meta/_sim/webhooks/raw", serve.base))
            .bearer_auth(&owner.token)
            .json(&json!({"url": elsewhere, "body": {"object": "whatsapp_business_account"}}))
            .send()
            .await
            .expect("raw");
        assert_eq!(res.status(), 403, "{elsewhere}");
    }
    let res = http
        .post(format!("{}/_sandbox/meta/_sim/webhooks/target", serve.base))
        .bearer_auth(&owner.token)
        .json(&json!({"url": "http://127.0.0.1:9/hook"}))
        .send()
        .await
        .expect("target");
    assert_eq!(res.status(), 403, "the target cannot be moved");
    let res = http
        .post(format!("{}/_sandbox/meta/_sim/webhooks/raw", serve.base))
        .bearer_auth(&owner.token)
        .json(&json!({"body": {"object": "whatsapp_business_account", "entry": []}}))
        .send()
        .await
        .expect("raw");
    assert_eq!(res.status(), 202, "to our own webhook it goes");

    // The data files are the owner's alone.
    use std::os::unix::fs::PermissionsExt as _;
    for (path, want) in [
        (serve.dir.join("data"), 0o700),
        (serve.dir.join("data/central.sqlite"), 0o600),
        (serve.dir.join("data/app.key"), 0o600),
        (serve.dir.join("data/sandbox-login.txt"), 0o600),
    ] {
        let mode = std::fs::metadata(&path)
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(mode, want, "{}: {mode:o}", path.display());
    }
    serve.stop();
}

#[test]
fn the_sandbox_refuses_a_public_bind_unless_asked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("serve.log");
    let file = std::fs::File::create(&log).expect("log file");
    let mut child = std::process::Command::new(super::BIN)
        .args(["serve", "--bind", "0.0.0.0", "--port", "0"])
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .stdin(std::process::Stdio::null())
        .stdout(file.try_clone().expect("log file"))
        .stderr(file)
        .spawn()
        .expect("run serve");
    // It must exit by itself; one that serves instead is stopped and the test fails (rather
    // than hanging the suite).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break Some(status);
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let status = status.unwrap_or_else(|| panic!("serve kept running on 0.0.0.0:\n{text}"));
    assert!(!status.success(), "{text}");
    assert!(text.contains("--sandbox-public"), "{text}");
    assert!(!text.contains("listening on"), "{text}");
}

/// The attack round's two memory levers, against the real binary, measured from its RSS.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gzip_bombs_and_huge_emails_do_not_grow_the_process() {
    let dir = tempfile::tempdir().expect("tempdir");
    let serve = Serve::start(dir.path(), &[]);
    let http = client();
    // 120 MiB of zeros, gzipped: about 120 KB on the wire.
    let bomb = std::process::Command::new("sh")
        .args(["-c", "head -c 125829120 /dev/zero | gzip -9"])
        .output()
        .expect("gzip")
        .stdout;
    assert!(bomb.len() < 200_000, "{}", bomb.len());
    // Warm up (the first requests allocate pools and caches), then measure.
    for _ in 0..3 {
        let _ = http
            .post(format!("{}/api/owner/login", serve.base))
            .json(&json!({"email": "warm@example.pk", "password": "wrong password"}))
            .send()
            .await;
    }
    let before = serve.rss_kib();
    let mut peak = before;
    for round in 0..4 {
        let mut tasks = Vec::new();
        for n in 0..16 {
            let http = http.clone();
            let base = serve.base.clone();
            let bomb = bomb.clone();
            tasks.push(tokio::spawn(async move {
                let path = if n % 2 == 0 {
                    "/api/owner/login"
                } else {
                    "/api/owner/menu"
                };
                http.post(format!("{base}{path}"))
                    .bearer_auth("junk")
                    .header("content-type", "application/json")
                    .header("content-encoding", "gzip")
                    .body(bomb)
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
            }));
        }
        for t in tasks {
            let status = t.await.expect("task").unwrap_or(0);
            assert_eq!(status, 415, "round {round}");
        }
        peak = peak.max(serve.rss_kib());
    }
    // 400 unique 1 MiB emails, 16 at a time, uncompressed.
    for batch in 0..25 {
        let mut tasks = Vec::new();
        for n in 0..16 {
            let http = http.clone();
            let base = serve.base.clone();
            tasks.push(tokio::spawn(async move {
                let email = format!("{batch}-{n}{}@example.pk", "e".repeat(1 << 20));
                http.post(format!("{base}/api/owner/login"))
                    .json(&json!({"email": email, "password": "x"}))
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
            }));
        }
        for t in tasks {
            let status = t.await.expect("task").unwrap_or(0);
            assert!(status == 400 || status == 413, "{status}");
        }
        peak = peak.max(serve.rss_kib());
    }
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let after = serve.rss_kib();
    eprintln!("RSS before {before} KiB, peak {peak} KiB, after {after} KiB");
    assert!(before > 0, "no RSS read");
    assert!(
        peak < before + 64 * 1024,
        "peak {peak} KiB from {before} KiB (the attack took 55 -> 1,244 MiB)"
    );
    assert!(
        after < before + 32 * 1024,
        "{after} KiB kept from {before} KiB"
    );
    serve.stop();
}
