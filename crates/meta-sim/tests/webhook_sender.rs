//! The webhook sender against a real HTTP receiver (actix-web on 127.0.0.1:0) that checks the
//! signature on its own with ring and records what arrived: signatures over non-ASCII bodies,
//! redelivery with growing gaps, duplicates, reordering, concurrency, forged signatures, and
//! the customer-window hook.
#![expect(clippy::unwrap_used, reason = "tests")]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use omni_meta_sim::webhook::{
    BodyEncoding, DeliveryReport, RetrySchedule, SendError, SimCustomer, SimMessage, SimNumber,
    SimStatus, WebhookPayload, WebhookSender,
};

#[path = "support/receiver.rs"]
mod receiver;

use receiver::Receiver;

const SECRET: &[u8] = b"sim-app-secret";
/// Ceiling for `Receiver::wait_for`; hits are normally there once a send has returned.
const WAIT: Duration = Duration::from_secs(5);

fn number() -> SimNumber {
    SimNumber::new("102290129340398", "106540352242922", "923001112233")
}

fn customer() -> SimCustomer {
    SimCustomer::new("923214567890", "عائشہ خان").with_user_id("PK.1829374650192837465")
}

fn urdu() -> WebhookPayload {
    WebhookPayload::text(
        &number(),
        &customer(),
        "مجھے 2 زنگر برگر چاہیے 🍔🍔 mujhe 2 zinger burger chahiye",
    )
}

fn sender(url: &str) -> WebhookSender {
    WebhookSender::new(url, SECRET)
        .unwrap()
        .with_schedule(RetrySchedule::fast(20, 6))
}

#[actix_web::test]
async fn signatures_over_non_ascii_bodies_verify_and_bytes_arrive_unchanged() {
    let rx = Receiver::start(SECRET, &[]);
    let s = sender(&rx.url);
    let escaped = urdu();
    let utf8 = escaped.clone().with_encoding(BodyEncoding::Utf8);
    assert_eq!(s.send(&escaped).await.unwrap().attempts, 1);
    assert_eq!(s.send(&utf8).await.unwrap().attempts, 1);

    let got = rx.wait_for(2, WAIT).await;
    assert_eq!(got.len(), 2);
    assert!(got.iter().all(|r| r.signature_ok));
    assert!(
        got.iter()
            .all(|r| r.content_type.as_deref() == Some("application/json"))
    );
    assert_eq!(got[0].body, escaped.bytes());
    assert!(got[0].body.is_ascii(), "Meta's escaped form by default");
    assert_eq!(got[1].body, utf8.bytes());
    assert!(
        String::from_utf8(got[1].body.clone())
            .unwrap()
            .contains("زنگر برگر چاہیے 🍔🍔")
    );
    // Same JSON either way.
    assert_eq!(got[0].json(), got[1].json());
    // Header is lowercase hex.
    let sig = got[0].signature.clone().unwrap();
    assert_eq!(sig, sig.to_lowercase());
    assert_eq!(sig, s.sign(&escaped.bytes()));
}

#[actix_web::test]
async fn non_200_is_redelivered_with_growing_gaps_until_accepted() {
    let rx = Receiver::start(SECRET, &[500, 500, 503]);
    let s = sender(&rx.url);
    let report = s.send(&urdu()).await.unwrap();
    assert_eq!(
        report,
        DeliveryReport {
            attempts: 4,
            final_status: Some(200)
        }
    );
    let log = s.deliveries();
    let statuses: Vec<_> = log.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [Some(500), Some(500), Some(503), Some(200)]);
    assert!(log.iter().all(|r| r.delivery == log[0].delivery));
    assert_eq!(
        log.iter().map(|r| r.attempt).collect::<Vec<_>>(),
        [1, 2, 3, 4]
    );
    let schedule = s.schedule();
    for (i, pair) in log.windows(2).enumerate() {
        let gap = (pair[1].at - pair[0].at).to_std().unwrap();
        let min = schedule.delay_before(u32::try_from(i).unwrap() + 2);
        assert!(gap >= min, "gap {i}: {gap:?} < {min:?}");
    }
    // Every attempt carried the same bytes and signature.
    let got = rx.wait_for(4, WAIT).await;
    assert_eq!(got.len(), 4);
    assert!(
        got.iter()
            .all(|r| r.body == got[0].body && r.signature == got[0].signature)
    );
}

#[actix_web::test]
async fn gives_up_after_the_schedule() {
    let rx = Receiver::start(SECRET, &[500; 10]);
    let s = WebhookSender::new(&rx.url, SECRET)
        .unwrap()
        .with_schedule(RetrySchedule::fast(5, 3));
    assert_eq!(
        s.send(&urdu()).await,
        Err(SendError::GaveUp(DeliveryReport {
            attempts: 3,
            final_status: Some(500)
        }))
    );
}

#[actix_web::test]
async fn transport_failures_are_retried_too() {
    // A port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/webhook", closed.local_addr().unwrap());
    drop(closed);
    let s = WebhookSender::new(&url, SECRET)
        .unwrap()
        .with_schedule(RetrySchedule::fast(5, 2));
    let err = s.send(&urdu()).await.unwrap_err();
    assert_eq!(
        err,
        SendError::GaveUp(DeliveryReport {
            attempts: 2,
            final_status: None
        })
    );
    assert!(s.deliveries().iter().all(|r| r.error.is_some()));
    assert!(matches!(
        s.send_once(&urdu()).await,
        Err(SendError::Transport(_))
    ));
}

#[actix_web::test]
async fn duplicates_arrive_twice_byte_for_byte() {
    let rx = Receiver::start(SECRET, &[]);
    let s = sender(&rx.url);
    let p = urdu();
    let (a, b) = s.send_twice(&p).await.unwrap();
    assert!(a.delivered() && b.delivered());
    let got = rx.wait_for(2, WAIT).await;
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].body, got[1].body);
    assert_eq!(got[0].body, p.bytes());
}

#[actix_web::test]
async fn out_of_order_delivers_last_first() {
    let rx = Receiver::start(SECRET, &[]);
    let s = sender(&rx.url);
    let wamid = "wamid.OUTBOUND1";
    let to = "923214567890";
    let payloads = vec![
        WebhookPayload::status(&number(), SimStatus::sent(wamid, to)),
        WebhookPayload::status(&number(), SimStatus::delivered(wamid, to)),
        WebhookPayload::status(&number(), SimStatus::read(wamid, to)),
    ];
    let reports = s.send_out_of_order(payloads).await.unwrap();
    assert_eq!(reports.len(), 3);
    let order: Vec<String> = rx
        .hits()
        .iter()
        .map(|r| {
            r.json()["entry"][0]["changes"][0]["value"]["statuses"][0]["status"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(order, ["read", "delivered", "sent"]);
}

#[actix_web::test]
async fn forged_or_missing_signatures_are_sent_as_asked() {
    let rx = Receiver::start(SECRET, &[]);
    let s = sender(&rx.url);
    let body = urdu().bytes();
    let forged = format!("sha256={}", "0".repeat(64));
    assert_eq!(s.send_raw(&body, Some(forged.clone())).await.unwrap(), 401);
    assert_eq!(s.send_raw(&body, Some(String::new())).await.unwrap(), 401);
    assert_eq!(s.send_raw(&body, None).await.unwrap(), 200);
    let got = rx.hits();
    assert_eq!(got[0].signature.as_deref(), Some(forged.as_str()));
    assert_eq!(got[1].signature, None);
    assert!(got[2].signature_ok);
    assert!(got.iter().all(|r| r.body == body));
}

#[actix_web::test]
async fn concurrent_copies_all_arrive() {
    let rx = Receiver::start(SECRET, &[]);
    let s = sender(&rx.url);
    let results = s.send_concurrently(&urdu(), 8).await;
    assert_eq!(results.len(), 8);
    assert!(results.iter().all(|r| r.as_ref().ok() == Some(&200)));
    let got = rx.wait_for(8, WAIT).await;
    assert_eq!(got.len(), 8);
    assert!(got.iter().all(|r| r.signature_ok && r.body == got[0].body));
    let mut deliveries: Vec<u64> = s.deliveries().iter().map(|r| r.delivery).collect();
    deliveries.dedup();
    assert_eq!(deliveries.len(), 8, "each copy is its own delivery");
}

#[actix_web::test]
async fn inbound_messages_open_the_window_before_delivery() {
    let rx = Arc::new(Receiver::start(SECRET, &[]));
    let opened: Arc<Mutex<Vec<(String, String, usize)>>> = Arc::default();
    let seen = opened.clone();
    let at_call = rx.clone();
    let s = sender(&rx.url).with_inbound_hook(Arc::new(move |pid: &str, wa_id: &str| {
        // How many requests the receiver had seen when the hook ran.
        let count = at_call.hits().len();
        seen.lock()
            .unwrap()
            .push((pid.to_owned(), wa_id.to_owned(), count));
    }));
    let bsuid = SimCustomer::username_only("PK.55", "Bilal", "@bilal");
    let p = WebhookPayload::messages(
        &number(),
        &bsuid,
        &[SimMessage::text("a"), SimMessage::reaction("wamid.X", "👍")],
    );
    s.send(&p).await.unwrap();
    s.send(&urdu()).await.unwrap();
    s.send(&WebhookPayload::status(
        &number(),
        SimStatus::delivered("wamid.Y", "923214567890"),
    ))
    .await
    .unwrap();
    let calls = opened.lock().unwrap().clone();
    assert_eq!(
        calls,
        [
            ("106540352242922".into(), "PK.55".into(), 0),
            ("106540352242922".into(), "PK.55".into(), 0),
            ("106540352242922".into(), "923214567890".into(), 1),
        ]
    );
}
