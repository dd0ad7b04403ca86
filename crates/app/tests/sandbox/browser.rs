//! The newcomer's journey in a real browser: headless Chromium driven through chromedriver
//! (fantoccini) against `omniportal serve` started with no configuration. Log in, connect a
//! number on the simulated consent screen, order a burger as the customer in the sandbox
//! panel, send the payment screenshot, approve it as the owner, see the customer told; then
//! move the order on and assign a rider, and look at the account's health.
//!
//! Screenshots of each view go to `$CARGO_TARGET_TMPDIR/screenshots/` (under `target/`), or to
//! `OMNI_SCREENSHOTS_DIR` when set (`docs/screenshots` refreshes the README's pictures).
//! Without Chromium and chromedriver (`apt-get install chromium chromium-driver`) the test
//! prints SKIPPED, except under `CI=true`, where it fails.

use std::net::TcpListener;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use omni_meta_sim::webhook::WebhookPayload;

use super::{Serve, in_ci};

const WABA: &str = "109000000000001";

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// A phone screen (owners live on their phones).
const PHONE: (u32, u32) = (390, 844);

struct Driver(Child);

impl Drop for Driver {
    /// Kills chromedriver's whole process group, so the Chromium it started goes too even when
    /// the test panicked before closing its session.
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.0.id())])
            .status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

async fn start_browser(profile: &Path) -> (Driver, Client) {
    let port = free_port();
    let driver = Driver(
        Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver"),
    );
    let http = super::client();
    let status = format!("http://127.0.0.1:{port}/status");
    super::eventually(30, "chromedriver", || async {
        http.get(&status)
            .send()
            .await
            .ok()
            .filter(|r| r.status() == 200)
    })
    .await;
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), json!("chrome"));
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": CHROMIUM,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--disable-quic",
                format!("--window-size={},{}", PHONE.0, PHONE.1),
                format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("a Chromium session");
    (driver, client)
}

/// The browser, the page and where the screenshots go.
struct Page {
    client: Client,
    base: String,
    shots: PathBuf,
}

impl Page {
    async fn css(&self, css: &str) -> Vec<Element> {
        self.client
            .find_all(Locator::Css(css))
            .await
            .unwrap_or_default()
    }

    /// Waits until an element matching `css` whose text contains `needle` is displayed.
    async fn wait_text(&self, css: &str, needle: &str) -> Element {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            for el in self.css(css).await {
                if el.text().await.is_ok_and(|t| t.contains(needle))
                    && el.is_displayed().await.unwrap_or(false)
                {
                    return el;
                }
            }
            if Instant::now() > deadline {
                let body = self.body_text().await;
                panic!("no {css} containing {needle:?}; the page says:\n{body}");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    async fn wait(&self, css: &str) -> Element {
        self.wait_text(css, "").await
    }

    /// Clicks a displayed, enabled `css` element containing `needle` (the last one: the newest
    /// chat bubble's), retrying while the page re-renders under it (the lists poll).
    async fn click_text(&self, css: &str, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            self.wait_text(css, needle).await;
            for el in self.css(css).await.into_iter().rev() {
                if el.text().await.is_ok_and(|t| t.contains(needle))
                    && el.is_displayed().await.unwrap_or(false)
                    && el.is_enabled().await.unwrap_or(false)
                    && self.center(&el).await
                    && el.click().await.is_ok()
                {
                    return;
                }
            }
            if Instant::now() > deadline {
                let body = self.body_text().await;
                panic!("could not click {css} {needle:?}; the page says:\n{body}");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Scrolls `el` to the middle of the screen, clear of the sticky header and bottom nav.
    async fn center(&self, el: &Element) -> bool {
        let Ok(arg) = serde_json::to_value(el) else {
            return false;
        };
        self.client
            .execute(
                "arguments[0].scrollIntoView({block: 'center', inline: 'center'}); return true;",
                vec![arg],
            )
            .await
            .is_ok()
    }

    async fn click(&self, css: &str) {
        self.click_text(css, "").await;
    }

    async fn fill(&self, css: &str, text: &str) {
        let el = self.wait(css).await;
        el.clear().await.expect("clear");
        el.send_keys(text).await.expect("type");
    }

    async fn body_text(&self) -> String {
        match self.client.find(Locator::Css("body")).await {
            Ok(b) => b.text().await.unwrap_or_default(),
            Err(e) => format!("(no body: {e})"),
        }
    }

    async fn go(&self, hash: &str) {
        self.client
            .execute("window.location.hash = arguments[0];", vec![json!(hash)])
            .await
            .expect("navigate");
    }

    /// What every view must hold on a phone: no sideways scrolling, a label for every field
    /// and a name for every button. Checked before each screenshot.
    async fn basics(&self, view: &str) {
        let problems = self
            .js("const out = [];
                 if (document.documentElement.scrollWidth > window.innerWidth + 1)
                   out.push('scrolls sideways: ' + document.documentElement.scrollWidth);
                 const shown = (e) => e.offsetParent !== null;
                 for (const f of document.querySelectorAll('input, select, textarea')) {
                   if (f.type === 'hidden' || !shown(f)) continue;
                   if (!f.labels.length && !f.getAttribute('aria-label')
                       && !f.getAttribute('aria-labelledby'))
                     out.push('unlabelled field ' + (f.id || f.name || f.outerHTML.slice(0, 60)));
                 }
                 for (const b of document.querySelectorAll('button')) {
                   if (shown(b) && !b.textContent.trim() && !b.getAttribute('aria-label'))
                     out.push('nameless button ' + b.outerHTML.slice(0, 60));
                 }
                 return out;")
            .await;
        assert_eq!(problems, json!([]), "{view}");
    }

    async fn shot(&self, name: &str) {
        self.basics(name).await;
        self.js("window.scrollTo(0, 0); return true;").await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let png = self.client.screenshot().await.expect("screenshot");
        std::fs::write(self.shots.join(format!("{name}.png")), png).expect("save screenshot");
    }

    /// Sends a customer message from the sandbox panel and waits for the reply text.
    async fn customer_says(&self, text: &str, reply: &str) {
        self.fill("#customer-text", text).await;
        self.click("#customer-send").await;
        self.wait_text("#customer-chat .bubble.out", reply).await;
    }

    async fn tap_reply(&self, title: &str, reply: &str) {
        self.click_text("#customer-chat button[data-reply-id]", title)
            .await;
        self.wait_text("#customer-chat .bubble.out", reply).await;
    }

    async fn js(&self, script: &str) -> Value {
        self.client.execute(script, vec![]).await.expect("script")
    }
}

fn browser_available() -> bool {
    Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newcomer_connects_a_number_orders_pays_and_approves_in_the_browser() {
    if !browser_available() {
        assert!(
            !in_ci(),
            "CI=true: {CHROMIUM} and {CHROMEDRIVER} are required (apt-get install chromium chromium-driver)"
        );
        eprintln!(
            "SKIPPED: no {CHROMIUM} / {CHROMEDRIVER} (apt-get install chromium chromium-driver)"
        );
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let serve = Serve::start(dir.path(), &[]);
    let password = serve.demo_password();
    let shots = std::env::var_os("OMNI_SCREENSHOTS_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots"),
        PathBuf::from,
    );
    std::fs::create_dir_all(&shots).expect("screenshots dir");
    let profile = tempfile::tempdir().expect("profile");
    let (_driver, client) = start_browser(profile.path()).await;
    let page = Page {
        client,
        base: serve.base.clone(),
        shots,
    };
    let result = journey(&page, &password).await;
    let _ = page.client.clone().close().await;
    result.unwrap_or_else(|e| panic!("{e}"));
}

async fn journey(page: &Page, password: &str) -> Result<(), String> {
    // Log in: the sandbox banner is there and the demo email is filled in.
    page.client
        .goto(&format!("{}/owner", page.base))
        .await
        .map_err(|e| e.to_string())?;
    page.wait_text("#sandbox-banner", "Sandbox").await;
    let email = page
        .wait("#login-email")
        .await
        .prop("value")
        .await
        .map_err(|e| e.to_string())?
        .unwrap_or_default();
    if email != "demo@sandbox.omniportal.test" {
        return Err(format!("the demo email is not filled in: {email:?}"));
    }
    page.fill("#login-password", "wrong password").await;
    page.click("#login-submit").await;
    page.wait_text("#error", "Wrong email or password").await;
    page.shot("01-login").await;
    // By keyboard: type the password and press Enter.
    page.fill("#login-password", &format!("{password}\u{E007}"))
        .await;

    // Connect the simulated WABA's numbers through the consent screen.
    page.click("#connect-account").await;
    page.click_text("button", "Continue").await;
    page.wait_text("#flash", "Connected 2").await;
    page.wait_text(".account", "+92 321 0000001").await;
    page.wait_text(".account", "+92 321 0000002").await;
    page.click("#account-list > li.account:first-child button[data-action='set-default']")
        .await;
    page.wait_text(".account", "Default").await;
    page.shot("02-accounts").await;

    // Play the customer: order a burger, deliver to a pin, pay by JazzCash.
    page.go("#/sandbox").await;
    page.customer_says("I want to order a zinger burger", "Added 1 × Zinger Burger")
        .await;
    page.tap_reply("Checkout", "Where should we deliver?").await;
    page.click("#customer-chat button[data-share-location], #share-location")
        .await;
    page.wait_text("#customer-chat .bubble.out", "Your total is Rs 800")
        .await;
    page.tap_reply("JazzCash", "Tap Confirm order").await;
    page.tap_reply("Confirm order", "Please pay exactly Rs 800 by JazzCash")
        .await;
    page.click("#sample-screenshot").await;
    page.wait_text(
        "#customer-chat .bubble.out",
        "We received your payment screenshot",
    )
    .await;
    page.shot("03-sandbox-customer").await;

    // The owner checks the screenshot and the amount, and approves.
    page.go("#/payments").await;
    let card = page.wait_text(".payment[data-order-id]", "Rs 800").await;
    let amount = card
        .find(Locator::Css(".amount"))
        .await
        .map_err(|e| e.to_string())?
        .text()
        .await
        .map_err(|e| e.to_string())?;
    if !amount.contains("Rs 800") {
        return Err(format!("amount due shows {amount:?}"));
    }
    // Who paid, from the list itself (no request per order).
    page.wait_text(
        ".payment[data-order-id] .customer",
        "Ayesha · +923001234567",
    )
    .await;
    let loaded = super::eventually(20, "the proof image", || async {
        let v = page
            .js("const i = document.querySelector('.payment img.proof'); return i ? i.complete && i.naturalWidth : 0;")
            .await;
        v.as_u64().filter(|w| *w > 0)
    })
    .await;
    if loaded != 360 {
        return Err(format!(
            "the proof image is {loaded} px wide, the sample is 360"
        ));
    }
    page.shot("04-payments").await;
    page.click(".payment[data-order-id] button[data-action='approve']")
        .await;
    page.wait_text("#flash", "").await;

    // The customer is told.
    page.go("#/sandbox").await;
    page.wait_text(
        "#customer-chat .bubble.out",
        "Payment of Rs 800 received for order",
    )
    .await;

    // The order moves on and gets a rider.
    page.go("#/orders").await;
    page.wait_text(".order-row .customer", "Ayesha · +923001234567")
        .await;
    page.click(".order-row[data-order-id]").await;
    page.wait_text("#order-detail", "Zinger Burger").await;
    page.wait_text("#order-detail", "I want to order a zinger burger")
        .await;
    page.click("#order-detail button[data-status='preparing']")
        .await;
    page.wait_text("#order-detail", "preparing").await;
    page.fill("#rider-name", "Bilal").await;
    page.fill("#rider-phone", "0301 7654321").await;
    page.click("#rider-submit").await;
    page.wait_text("#order-detail", "Bilal").await;
    page.shot("05-order-detail").await;

    // Account health: Meta flags the number, then raises its limit (signed webhooks from the
    // simulator); the history chart, the notification and the checks.
    let http = super::client();
    // The simulator's control routes want the owner's token: the page's own.
    let token = page
        .client
        .execute("return sessionStorage.getItem('omni.token');", vec![])
        .await
        .map_err(|e| e.to_string())?
        .as_str()
        .unwrap_or_default()
        .to_owned();
    for payload in [
        WebhookPayload::quality_update(WABA, "923210000001", "FLAGGED", Some("TIER_1K")),
        WebhookPayload::capability_update(WABA, json!("TIER_10K"), Some(2)),
    ] {
        let body: Value = serde_json::from_slice(&payload.bytes()).map_err(|e| e.to_string())?;
        let res = http
            .post(format!("{}/_sandbox/meta/_sim/webhooks/raw", page.base))
            .bearer_auth(&token)
            .json(&json!({ "body": body }))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if res.status() != 202 {
            return Err(format!("raw webhook: {}", res.status()));
        }
    }
    // The view reads the history when opened: reopen it until both events are in.
    super::eventually(20, "two history rows", || async {
        page.go("#/orders").await;
        page.go("#/health").await;
        page.wait("#health-table").await;
        let rows = page
            .js("return document.querySelectorAll('#health-table tbody tr').length;")
            .await;
        rows.as_u64().filter(|n| *n >= 2)
    })
    .await;
    page.wait_text("#health-table", "TIER_10K").await;
    page.wait("#health-chart svg[role='img']").await;
    page.click("#run-checks").await;
    page.wait("#check-list li.check.pass[data-check='token_valid']")
        .await;
    page.shot("06-health").await;

    // The same page on a desktop screen: the orders list with the detail.
    page.client
        .set_window_size(1280, 900)
        .await
        .map_err(|e| e.to_string())?;
    page.go("#/orders").await;
    page.wait_text(".order-row[data-order-id]", "Rs 800").await;
    page.shot("07-desktop-orders").await;
    Ok(())
}
