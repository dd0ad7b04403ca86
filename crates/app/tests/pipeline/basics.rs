//! The endpoint's contract: signatures, the challenge, limits, and the inbound-reply loop.

use std::time::Duration;

use omni_domain::{Direction, MessageBody, MessageStatus};
use omni_meta_sim::webhook::{SimCustomer, SimMessage, SimNumber, WebhookPayload};
use omni_ports::InboxState;

use super::{CUSTOMER, NUMBER_A, WABA_A};
use crate::support::pipeline::{Engine, Harness, eventually, signed};

async fn inbox_total(h: &Harness) -> u64 {
    h.state
        .services
        .ports
        .inbox
        .counts()
        .await
        .unwrap()
        .values()
        .sum()
}

#[actix_web::test]
async fn a_bad_or_missing_signature_is_401_and_stores_nothing() {
    let h = pg_harness!();
    let payload = WebhookPayload::messages(
        &SimNumber::new(WABA_A, NUMBER_A, "923001112233"),
        &SimCustomer::new(CUSTOMER, "Ayesha"),
        &[SimMessage::text("hello")],
    );
    let body = payload.bytes();
    let client = reqwest::Client::new();
    let wrong = omni_meta_graph::webhook::sign(b"not-the-app-secret", &body);
    for header in [Some(wrong.as_str()), None, Some("sha256=zz"), Some("")] {
        let mut req = client
            .post(h.webhook_url())
            .header("content-type", "application/json")
            .body(body.clone());
        if let Some(v) = header {
            req = req.header("x-hub-signature-256", v);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 401, "{header:?}");
        let json: serde_json::Value = res.json().await.unwrap();
        assert_eq!(json["error"], "invalid_signature");
        assert!(json["request_id"].is_string());
    }
    // A body changed after signing fails too.
    let good = signed(&h.sim(), &body);
    let mut tampered = body.clone();
    let last = tampered.len() - 2;
    tampered[last] ^= 1;
    let res = client
        .post(h.webhook_url())
        .header("x-hub-signature-256", &good)
        .body(tampered)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(
        inbox_total(&h).await,
        0,
        "nothing stored on a refused webhook"
    );
    h.stop().await;
}

#[actix_web::test]
async fn non_ascii_bodies_are_verified_on_their_raw_bytes_and_stored() {
    let h = pg_harness!();
    let store = h.store("Karachi Biryani", None).await;
    h.number(&store, WABA_A, NUMBER_A, "+923001112233").await;
    // Urdu and emoji exactly as Meta sends them (UTF-8, not \u escapes).
    let text = "مجھے 2 زنگر برگر چاہیے 🍔🔥";
    let fixture = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/webhooks/text_urdu_emoji.json"
    ))
    .unwrap();
    let mut value: serde_json::Value = serde_json::from_str(&fixture).unwrap();
    let change = &mut value["entry"][0]["changes"][0]["value"];
    change["metadata"]["phone_number_id"] = NUMBER_A.into();
    change["messages"][0]["text"]["body"] = text.into();
    let body = serde_json::to_vec(&value).unwrap();
    assert!(body.iter().any(|b| *b >= 0x80), "raw UTF-8 in the body");
    let res = reqwest::Client::new()
        .post(h.webhook_url())
        .header("x-hub-signature-256", signed(&h.sim(), &body))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), "EVENT_RECEIVED");
    let wamid = value["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let stored = eventually(
        "the Urdu message in the store",
        Duration::from_secs(10),
        || {
            let (tenants, wamid) = (h.state.services.ports.tenants.clone(), wamid.clone());
            async move {
                tenants
                    .find_message_by_wamid(store.id, &wamid)
                    .await
                    .unwrap()
            }
        },
    )
    .await;
    assert_eq!(stored.body, MessageBody::Text { body: text.into() });
    h.stop().await;
}

#[actix_web::test]
async fn the_subscription_challenge_is_echoed_only_for_the_verify_token() {
    let h = pg_harness!();
    let client = reqwest::Client::new();
    let url = |mode: &str, token: &str| {
        format!(
            "{}?hub.mode={mode}&hub.verify_token={token}&hub.challenge=1158201444",
            h.webhook_url()
        )
    };
    let ok = client
        .get(url("subscribe", "the-verify-token"))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert!(
        ok.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    assert_eq!(ok.text().await.unwrap(), "1158201444");
    for (mode, token) in [
        ("subscribe", "wrong"),
        ("unsubscribe", "the-verify-token"),
        ("subscribe", ""),
    ] {
        let res = client.get(url(mode, token)).send().await.unwrap();
        assert_eq!(res.status(), 403, "{mode} {token}");
        assert_eq!(
            res.json::<serde_json::Value>().await.unwrap()["error"],
            "verification_failed"
        );
    }
    let bare = client.get(h.webhook_url()).send().await.unwrap();
    assert_eq!(bare.status(), 403);
    h.stop().await;
}

#[actix_web::test]
async fn an_accounts_own_verify_token_also_answers_the_challenge() {
    let h = pg_harness!();
    let store = h.store("Lahore Tikka", None).await;
    let mut number = h.number(&store, WABA_A, NUMBER_A, "+923001112233").await;
    number.account.webhook_verification_token = Some(
        h.state
            .services
            .ports
            .cipher
            .seal(
                &secrecy::SecretString::from("store-own-token".to_owned()),
                &omni_ports::secret_aad(number.account.id, "webhook_verification_token"),
            )
            .unwrap(),
    );
    h.state
        .services
        .ports
        .central
        .update_account(&number.account)
        .await
        .unwrap();
    let res = reqwest::get(format!(
        "{}?hub.mode=subscribe&hub.verify_token=store-own-token&hub.challenge=42",
        h.webhook_url()
    ))
    .await
    .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), "42");
    // Wrong tokens are looked up by digest: fifty of them do not open the accounts' tokens
    // fifty times (at most one rebuild of the index in its refresh window).
    let before = h.state.webhook.verify_index.rebuilds();
    for n in 0..50 {
        let res = reqwest::get(format!(
            "{}?hub.mode=subscribe&hub.verify_token=wrong-{n}&hub.challenge=42",
            h.webhook_url()
        ))
        .await
        .unwrap();
        assert_eq!(res.status(), 403);
    }
    assert!(
        h.state.webhook.verify_index.rebuilds() <= before + 1,
        "{} rebuilds for 50 wrong tokens",
        h.state.webhook.verify_index.rebuilds() - before
    );
    h.stop().await;
}

#[actix_web::test]
async fn a_body_over_3_mib_is_413_and_stores_nothing() {
    let h = pg_harness!();
    let body = vec![b' '; 3 * 1024 * 1024 + 1];
    let res = reqwest::Client::new()
        .post(h.webhook_url())
        .header("x-hub-signature-256", signed(&h.sim(), &body))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    assert_eq!(
        res.json::<serde_json::Value>().await.unwrap()["error"],
        "payload_too_large"
    );
    assert_eq!(inbox_total(&h).await, 0);
    h.stop().await;
}

async fn reply_loop(engine: Engine) {
    let Some(h) = Harness::start(engine).await else {
        return;
    };
    let store = h
        .store("Burger Hub", Some("Shukriya! Menu: zinger Rs 650"))
        .await;
    let number = h.number(&store, WABA_A, NUMBER_A, "+923001112233").await;
    let sender = h.sender();
    let message = SimMessage::text("I want to order a burger");
    let wamid = message.wamid().to_owned();
    let report = sender
        .send(&WebhookPayload::messages(
            &SimNumber::new(WABA_A, NUMBER_A, "923001112233"),
            &SimCustomer::new(CUSTOMER, "Ayesha"),
            &[message],
        ))
        .await
        .unwrap();
    assert_eq!(report.final_status, Some(200));
    // The reply reaches Meta (the simulator) from the right number to the right customer.
    let sent = eventually(
        "the auto-reply at the simulator",
        Duration::from_secs(10),
        || {
            let sim = h.sim();
            async move { sim.sent_messages().into_iter().next() }
        },
    )
    .await;
    assert_eq!(sent.phone_number_id, NUMBER_A);
    assert_eq!(sent.to, format!("+{CUSTOMER}"));
    assert_eq!(sent.body["text"]["body"], "Shukriya! Menu: zinger Rs 650");
    // The store has the customer, the inbound message (handled) and the reply, which the
    // simulator's automatic status webhooks move to delivered.
    let inbound = h
        .state
        .services
        .ports
        .tenants
        .find_message_by_wamid(store.id, &wamid)
        .await
        .unwrap()
        .expect("inbound stored");
    assert_eq!(inbound.direction, Direction::Inbound);
    assert!(inbound.handled_at.is_some());
    let reply = eventually("the reply delivered", Duration::from_secs(10), || {
        let (tenants, wamid) = (h.state.services.ports.tenants.clone(), sent.wamid.clone());
        async move {
            tenants
                .find_message_by_wamid(store.id, &wamid)
                .await
                .unwrap()
                .filter(|m| m.status == Some(MessageStatus::Delivered))
        }
    })
    .await;
    assert_eq!(reply.in_reply_to, Some(inbound.id));
    let outbox = h
        .state
        .services
        .ports
        .outbox
        .find_by_key(&omni_usecases::inbound::reply_key(&wamid, 0))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(outbox.wamid.as_deref(), Some(sent.wamid.as_str()));
    assert_eq!(outbox.account_id, Some(number.account.id));
    let account = h
        .state
        .services
        .ports
        .central
        .find_account(store.id, number.account.id)
        .await
        .unwrap()
        .unwrap();
    assert!(
        account.last_webhook_at.is_some(),
        "last_webhook_at recorded"
    );
    let counts = h.state.services.ports.inbox.counts().await.unwrap();
    assert_eq!(counts.get(&InboxState::Dead), None, "{counts:?}");
    h.stop().await;
}

#[actix_web::test]
async fn a_customer_message_is_stored_and_answered_on_postgres() {
    reply_loop(Engine::Postgres).await;
}

#[actix_web::test]
async fn a_customer_message_is_stored_and_answered_on_sqlite() {
    reply_loop(Engine::Sqlite).await;
}

#[actix_web::test]
async fn a_signed_body_that_is_not_a_webhook_is_kept_dead_and_answered_200() {
    let h = pg_harness!();
    let body =
        b"{\"object\": \"whatsapp_business_account\", \"entry\": [ this is not json".to_vec();
    let res = reqwest::Client::new()
        .post(h.webhook_url())
        .header("x-hub-signature-256", signed(&h.sim(), &body))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        200,
        "Meta would retry a body that will never parse"
    );
    let dead = h
        .state
        .services
        .ports
        .inbox
        .list(InboxState::Dead, 10)
        .await
        .unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].field, "malformed");
    assert_eq!(dead[0].payload.as_bytes(), body.as_slice());
    assert!(dead[0].last_error.is_some());
    h.stop().await;
}

#[actix_web::test]
async fn a_webhook_the_inbox_cannot_commit_gets_503_and_is_stored_on_metas_retry() {
    let h = pg_harness!();
    let store = h.store("Retry Later", None).await;
    h.number(&store, WABA_A, NUMBER_A, "+923001112233").await;
    let db = h.db.as_ref().unwrap();
    let omni_sql::DbTarget::Postgres(central) = db.central_target() else {
        unreachable!()
    };
    let psql = |sql: &str| {
        let out = std::process::Command::new("psql")
            .args([central.as_str(), "-c", sql])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    // The inbox table refuses writes (as a full disk or a read-only failover would).
    psql("ALTER TABLE webhook_inbox RENAME TO webhook_inbox_away");
    let message = SimMessage::text("are you there?");
    let wamid = message.wamid().to_owned();
    let payload = WebhookPayload::messages(
        &SimNumber::new(WABA_A, NUMBER_A, "923001112233"),
        &SimCustomer::new(CUSTOMER, "Ali"),
        &[message],
    );
    let status = h.sender().send_once(&payload).await.unwrap();
    assert_eq!(status, 503, "no 200 without a commit");
    psql("ALTER TABLE webhook_inbox_away RENAME TO webhook_inbox");
    assert_eq!(inbox_total(&h).await, 0);
    // Meta retries; now it is stored and processed.
    assert_eq!(h.sender().send_once(&payload).await.unwrap(), 200);
    eventually("stored after the retry", Duration::from_secs(10), || {
        let (t, w) = (h.state.services.ports.tenants.clone(), wamid.clone());
        async move { t.find_message_by_wamid(store.id, &w).await.unwrap() }
    })
    .await;
    h.stop().await;
}
