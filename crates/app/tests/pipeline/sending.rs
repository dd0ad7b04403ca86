//! The outbound side: rate limits, the 24-hour window, Meta's errors.

use std::time::Duration;

use chrono::Utc;
use omni_domain::{AccountStatus, PhoneNumber};
use omni_meta_sim::webhook::{SimCustomer, SimMessage, SimNumber, WebhookPayload};
use omni_meta_sim::{Endpoint, Fault, FaultRule};
use omni_ports::{OutboxState, SendFailure};
use omni_usecases::outbound::{SendError, SendOptions, WhatsAppService};

use super::{CUSTOMER, NUMBER_A, WABA_A};
use crate::support::pipeline::{Engine, Harness, eventually};

fn number_a() -> SimNumber {
    SimNumber::new(WABA_A, NUMBER_A, "923001112233")
}

#[actix_web::test]
async fn one_numbers_sends_stay_within_its_throughput_limit_at_the_simulator() {
    let Some(h) = Harness::start_with(
        Engine::Postgres,
        omni_meta_sim::SimConfig {
            auto_statuses: false,
            ..Default::default()
        },
        &[("OMNI_PIPELINE__DEFAULT_MPS", "5")],
    )
    .await
    else {
        return;
    };
    let store = h.store("Busy Kitchen", Some("Aap ka order mil gaya")).await;
    h.number(&store, WABA_A, NUMBER_A, "+923001112233").await;
    let sender = h.sender();
    // Twenty customers write at once.
    let sends = (0..20).map(|i| {
        let payload = WebhookPayload::messages(
            &number_a(),
            &SimCustomer::new(&format!("9230055500{i:02}"), "Customer"),
            &[SimMessage::text("order")],
        );
        let sender = sender.clone();
        async move { sender.send(&payload).await.unwrap().final_status }
    });
    let statuses = futures_util::future::join_all(sends).await;
    assert!(statuses.iter().all(|s| *s == Some(200)));
    let sent = eventually("twenty replies", Duration::from_secs(30), || {
        let sim = h.sim();
        async move {
            let s = sim.sent_messages();
            (s.len() == 20).then_some(s)
        }
    })
    .await;
    let mut at: Vec<_> = sent.iter().map(|s| s.at).collect();
    at.sort();
    // 5 per second with governor's burst of 5: the 20th send comes at least 3 s after the first.
    let span = at[19] - at[0];
    assert!(span >= chrono::Duration::milliseconds(2_700), "span {span}");
    for (i, start) in at.iter().enumerate() {
        let in_window = at[i..]
            .iter()
            .take_while(|t| **t - *start < chrono::Duration::seconds(1))
            .count();
        assert!(
            in_window <= 10,
            "{in_window} sends within one second from {start}"
        );
    }
    h.stop().await;
}

#[actix_web::test]
async fn free_form_outside_the_window_is_refused_before_anything_is_queued() {
    let h = pg_harness!();
    let store = h.store("Window Shop", None).await;
    let number = h.number(&store, WABA_A, NUMBER_A, "+923001112233").await;
    let service = WhatsAppService::for_account(
        h.state.services.ports.outbox.clone(),
        h.state.services.ports.clock.clone(),
        &number.account,
    )
    .unwrap();
    let to = PhoneNumber::parse("+923001234567").unwrap();
    for window in [None, Some(Utc::now() - chrono::Duration::minutes(1))] {
        let err = service
            .send_text(
                &to,
                "Your order is on its way",
                SendOptions {
                    window_ends_at: window,
                    ..Default::default()
                },
            )
            .await
            .unwrap_err();
        assert!(matches!(err, SendError::OutsideWindow), "{err}");
    }
    assert!(
        h.state
            .services
            .ports
            .outbox
            .list(None, None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    // Inside the window it is queued once per key, and sent.
    let options = SendOptions {
        window_ends_at: Some(Utc::now() + chrono::Duration::hours(1)),
        idempotency_key: Some("order-42-update".into()),
        ..Default::default()
    };
    h.sim().open_window(NUMBER_A, "923001234567");
    let first = service
        .send_text(&to, "Your order is on its way", options.clone())
        .await
        .unwrap();
    let again = service
        .send_text(&to, "Your order is on its way", options)
        .await
        .unwrap();
    assert!(first.new && !again.new);
    h.state.services.wake.notify_waiters();
    let sent = eventually("the message at Meta", Duration::from_secs(10), || {
        let sim = h.sim();
        async move { sim.sent_messages().into_iter().next() }
    })
    .await;
    assert_eq!(sent.to, "+923001234567");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(h.sim().sent_messages().len(), 1);
    h.stop().await;
}

#[actix_web::test]
async fn a_window_that_closed_while_queued_fails_without_calling_meta() {
    let h = pg_harness!();
    let store = h.store("Late Replies", None).await;
    let number = h.number(&store, WABA_A, NUMBER_A, "+923001112233").await;
    // Queued while the window was open, but it closed before the sender got to it.
    h.state
        .services
        .ports
        .outbox
        .enqueue(&[omni_ports::NewOutboxMessage {
            idempotency_key: "late".into(),
            store_id: Some(store.id),
            account_id: Some(number.account.id),
            sender: number.account.phone_number_id.clone(),
            message: omni_ports::meta::OutboundMessage::text(
                omni_ports::meta::Recipient::Phone("+923001234567".into()),
                "too late",
            ),
            initiator: omni_ports::Initiator::Customer,
            window_ends_at: Some(Utc::now() - chrono::Duration::seconds(1)),
            tenant_message_id: None,
            created_at: Utc::now(),
        }])
        .await
        .unwrap();
    h.state.services.wake.notify_waiters();
    let failed = eventually("parked as failed", Duration::from_secs(10), || {
        let outbox = h.state.services.ports.outbox.clone();
        async move {
            outbox
                .find_by_key("late")
                .await
                .unwrap()
                .filter(|m| m.state == OutboxState::Failed)
        }
    })
    .await;
    assert_eq!(failed.error_code, Some(SendFailure::OutsideWindow));
    assert!(h.sim().sent_messages().is_empty());
    assert!(
        h.sim()
            .requests()
            .iter()
            .all(|r| !r.path.ends_with("/messages")),
        "Meta was not called"
    );
    h.stop().await;
}

#[actix_web::test]
async fn metas_131047_is_parked_at_once_and_never_retried() {
    let h = pg_harness!();
    let store = h.store("Closed Window", None).await;
    let number = h.number(&store, WABA_A, NUMBER_A, "+923001112233").await;
    let service = WhatsAppService::for_account(
        h.state.services.ports.outbox.clone(),
        h.state.services.ports.clock.clone(),
        &number.account,
    )
    .unwrap();
    // We believe the window is open, Meta (the simulator) knows it is not.
    let options = SendOptions {
        window_ends_at: Some(Utc::now() + chrono::Duration::hours(1)),
        idempotency_key: Some("stale-window".into()),
        ..Default::default()
    };
    service
        .send_text(
            &PhoneNumber::parse("+923001234567").unwrap(),
            "hello?",
            options,
        )
        .await
        .unwrap();
    h.state.services.wake.notify_waiters();
    let failed = eventually("parked as failed", Duration::from_secs(10), || {
        let outbox = h.state.services.ports.outbox.clone();
        async move {
            outbox
                .find_by_key("stale-window")
                .await
                .unwrap()
                .filter(|m| m.state == OutboxState::Failed)
        }
    })
    .await;
    assert_eq!(failed.error_code, Some(SendFailure::Meta(131047)));
    assert_eq!(failed.attempts, 1, "never retried");
    assert!(failed.error.unwrap().contains("131047"));
    h.stop().await;
}

#[actix_web::test]
async fn a_rejected_token_marks_the_account_reauth_required_and_stops_its_sending() {
    let h = pg_harness!();
    let store = h.store("Expired Token", Some("hello")).await;
    let number = h.number(&store, WABA_A, NUMBER_A, "+923001112233").await;
    h.sim()
        .inject_fault(FaultRule::always(Endpoint::Messages, Fault::TokenExpired));
    h.sender()
        .send(&WebhookPayload::messages(
            &number_a(),
            &SimCustomer::new(CUSTOMER, "Ali"),
            &[SimMessage::text("hi")],
        ))
        .await
        .unwrap();
    let account = eventually("reauth_required", Duration::from_secs(10), || {
        let (central, id) = (h.state.services.ports.central.clone(), number.account.id);
        async move {
            central
                .find_account(store.id, id)
                .await
                .unwrap()
                .filter(|a| a.status() == AccountStatus::ReauthRequired)
        }
    })
    .await;
    assert_eq!(account.status(), AccountStatus::ReauthRequired);
    // The account is marked first, then the message parked.
    let failed = parked(&h, Duration::from_secs(10)).await;
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].error_code, Some(SendFailure::Meta(190)));
    // More customer messages: stored, but nothing is sent from a number that needs reconnecting.
    let calls_before = h
        .sim()
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/messages"))
        .count();
    h.sender()
        .send(&WebhookPayload::messages(
            &number_a(),
            &SimCustomer::new("923005550001", "Sara"),
            &[SimMessage::text("hello")],
        ))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    let calls_after = h
        .sim()
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/messages"))
        .count();
    assert_eq!(calls_before, calls_after, "no send attempts after the 190");
    h.stop().await;
}

#[actix_web::test]
async fn server_errors_are_retried_with_backoff_until_meta_accepts() {
    let h = pg_harness!();
    let store = h.store("Flaky Meta", Some("hello")).await;
    h.number(&store, WABA_A, NUMBER_A, "+923001112233").await;
    h.sim().inject_fault(FaultRule::times(
        Endpoint::Messages,
        Fault::ServerError(500),
        2,
    ));
    let message = SimMessage::text("hi");
    let wamid = message.wamid().to_owned();
    h.sender()
        .send(&WebhookPayload::messages(
            &number_a(),
            &SimCustomer::new(CUSTOMER, "Ali"),
            &[message],
        ))
        .await
        .unwrap();
    let sent = eventually("sent after two failures", Duration::from_secs(20), || {
        let outbox = h.state.services.ports.outbox.clone();
        let key = omni_usecases::inbound::reply_key(&wamid, 0);
        async move {
            outbox
                .find_by_key(&key)
                .await
                .unwrap()
                .filter(|m| m.state == OutboxState::Sent)
        }
    })
    .await;
    assert_eq!(sent.attempts, 3);
    assert_eq!(h.sim().sent_messages().len(), 1);
    h.stop().await;
}

#[actix_web::test]
async fn business_initiated_sends_stop_at_the_numbers_messaging_limit_tier() {
    let Some(h) = Harness::start_with(
        Engine::Postgres,
        omni_meta_sim::SimConfig {
            auto_statuses: false,
            ..Default::default()
        },
        &[("OMNI_PIPELINE__DEFAULT_MPS", "1000")],
    )
    .await
    else {
        return;
    };
    let store = h.store("Marketing", None).await;
    let mut number = h.number(&store, WABA_A, NUMBER_A, "+923001112233").await;
    number.account.messaging_limits.portfolio_tier = Some(omni_domain::LimitTier::Tier50);
    h.state
        .services
        .ports
        .central
        .update_account(&number.account)
        .await
        .unwrap();
    // 52 different customers, each started by us (counted against the tier), plus a second
    // message to the first customer (already counted today, so allowed).
    let mut rows = Vec::new();
    for i in 0..52 {
        let wa = format!("9230077700{i:02}");
        h.sim().open_window(NUMBER_A, &wa);
        rows.push(business_text(&store, &number, &format!("promo-{i}"), &wa));
    }
    h.state.services.ports.outbox.enqueue(&rows).await.unwrap();
    h.state.services.wake.notify_waiters();
    let sent = eventually("fifty sent", Duration::from_secs(20), || {
        let sim = h.sim();
        async move {
            let s = sim.sent_messages();
            (s.len() >= 50).then_some(s)
        }
    })
    .await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(h.sim().sent_messages().len(), 50, "{}", sent.len());
    let waiting = h
        .state
        .services
        .ports
        .outbox
        .list(None, Some(OutboxState::Pending), 10)
        .await
        .unwrap();
    assert_eq!(waiting.len(), 2);
    assert!(
        waiting
            .iter()
            .all(|m| m.error_code == Some(SendFailure::MessagingLimit))
    );
    assert!(
        waiting.iter().all(|m| m.attempts == 0),
        "a wait is not a failed attempt"
    );
    // A known recipient is not a new one: it still goes.
    let first = sent[0].to.trim_start_matches('+').to_owned();
    h.state
        .services
        .ports
        .outbox
        .enqueue(&[business_text(&store, &number, "promo-again", &first)])
        .await
        .unwrap();
    h.state.services.wake.notify_waiters();
    eventually(
        "the repeat recipient served",
        Duration::from_secs(10),
        || {
            let sim = h.sim();
            async move { (sim.sent_messages().len() == 51).then_some(()) }
        },
    )
    .await;
    h.stop().await;
}

fn business_text(
    store: &omni_domain::Store,
    number: &crate::support::pipeline::Number,
    key: &str,
    wa_id: &str,
) -> omni_ports::NewOutboxMessage {
    omni_ports::NewOutboxMessage {
        idempotency_key: key.to_owned(),
        store_id: Some(store.id),
        account_id: Some(number.account.id),
        sender: number.account.phone_number_id.clone(),
        message: omni_ports::meta::OutboundMessage::text(
            omni_ports::meta::Recipient::Phone(format!("+{wa_id}")),
            "Eid offer: 20% off",
        ),
        initiator: omni_ports::Initiator::Business,
        window_ends_at: None,
        tenant_message_id: None,
        created_at: Utc::now(),
    }
}

fn message_calls(h: &Harness) -> usize {
    h.sim()
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/messages"))
        .count()
}

/// The store's own record of an outbound message.
async fn store_copy(
    h: &Harness,
    store: omni_domain::StoreId,
    id: omni_domain::MessageId,
) -> omni_domain::Message {
    h.state
        .services
        .ports
        .tenants
        .find_message(store, id)
        .await
        .unwrap()
        .unwrap()
}

/// Waits until Meta accepted exactly one reply to `customer`.
async fn answered(h: &Harness, customer: &str, what: &str, timeout: Duration) {
    eventually(what, timeout, || {
        let n = sent_to(h, customer);
        async move { (n == 1).then_some(()) }
    })
    .await;
}

/// The parked (failed) outbox messages, once there is one.
async fn parked(h: &Harness, timeout: Duration) -> Vec<omni_ports::OutboxMessage> {
    eventually("a reply parked", timeout, || {
        let outbox = h.state.services.ports.outbox.clone();
        async move {
            let failed = outbox
                .list(None, Some(OutboxState::Failed), 10)
                .await
                .unwrap();
            (!failed.is_empty()).then_some(failed)
        }
    })
    .await
}

/// Replies Meta accepted for `customer`.
fn sent_to(h: &Harness, customer: &str) -> usize {
    h.sim()
        .sent_messages()
        .iter()
        .filter(|s| s.to.trim_start_matches('+') == customer)
        .count()
}

async fn say_hi(h: &Harness, customer: &str, name: &str) {
    let report = h
        .sender()
        .send(&WebhookPayload::messages(
            &number_a(),
            &SimCustomer::new(customer, name),
            &[SimMessage::text("hi")],
        ))
        .await
        .unwrap();
    assert!(report.delivered(), "{report:?}");
}

/// A store whose number's first send Meta refuses with `fault`, once it has refused the reply
/// to CUSTOMER's "hi"; `None` without Postgres (outside CI).
async fn first_send_refused(name: &str, fault: Fault) -> Option<Harness> {
    sends_refused(name, FaultRule::times(Endpoint::Messages, fault, 1), &[]).await
}

/// [`first_send_refused`] with any rule and settings.
async fn sends_refused(name: &str, rule: FaultRule, env: &[(&str, &str)]) -> Option<Harness> {
    let h = Harness::start_with(Engine::Postgres, omni_meta_sim::SimConfig::default(), env).await?;
    let store = h.store(name, Some("hello")).await;
    h.number(&store, WABA_A, NUMBER_A, "+923001112233").await;
    h.sim().inject_fault(rule);
    say_hi(&h, CUSTOMER, "Ali").await;
    eventually("the refused call", Duration::from_secs(10), || {
        let n = message_calls(&h);
        async move { (n >= 1).then_some(()) }
    })
    .await;
    Some(h)
}

/// Injected: Meta answers the first send with 429 (130429) and `Retry-After: 3`.
/// Must hold: no second call to Meta before those 3 s (no retry storm), then the reply is
/// accepted on the second call.
#[actix_web::test]
async fn a_429_with_retry_after_is_waited_out_before_the_one_next_try() {
    let fault = Fault::RateLimited {
        code: 130_429,
        retry_after: Some(Duration::from_secs(3)),
    };
    let Some(h) = first_send_refused("Busy Meta", fault).await else {
        return;
    };
    let refused_at = std::time::Instant::now();
    answered(&h, CUSTOMER, "the reply accepted", Duration::from_secs(15)).await;
    let waited = refused_at.elapsed();
    assert!(
        waited >= Duration::from_millis(2_800),
        "retried after {waited:?}"
    );
    assert_eq!(message_calls(&h), 2, "one refused call, one accepted");
    h.stop().await;
}

/// Injected: Meta refuses the reply to one customer with 131056 (too many messages to this
/// user), once. Must hold: that reply is retried later and accepted once; another customer's
/// reply from the same number is not held up meanwhile.
#[actix_web::test]
async fn a_pair_rate_limit_defers_that_customer_only() {
    let fault = Fault::GraphError {
        http_status: 400,
        code: 131_056,
        subcode: None,
        message: "(#131056) (Business Account, Consumer Account) pair rate limit hit".into(),
        details: Some(
            "Message failed to send because there were too many messages sent from this \
             phone number to the same phone number in a short period of time."
                .into(),
        ),
    };
    let Some(h) = first_send_refused("Chatty Customer", fault).await else {
        return;
    };
    let other = "923005550002";
    say_hi(&h, other, "Sara").await;
    let started = std::time::Instant::now();
    answered(
        &h,
        other,
        "the other customer answered",
        Duration::from_secs(10),
    )
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "the other customer waited {:?}",
        started.elapsed()
    );
    answered(
        &h,
        CUSTOMER,
        "the deferred reply accepted",
        Duration::from_secs(20),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sent_to(&h, CUSTOMER), 1);
    h.stop().await;
}

/// Injected: Meta stalls the first send for 7 s, past the 5 s Graph timeout of these tests.
/// Must hold: the send is given up at the timeout and tried again after a backoff, not in a
/// loop (exactly two calls); the reply ends `sent`. Whether Meta also kept the stalled one is
/// the ambiguous-timeout window (docs/architecture.md, "The one duplicate window"): the
/// simulator accepts it when its stall ends, so the customer may see the reply twice, never
/// more.
#[actix_web::test]
async fn a_stalled_send_times_out_and_is_tried_once_more_not_in_a_storm() {
    let Some(h) = first_send_refused("Slow Meta", Fault::Latency(Duration::from_secs(7))).await
    else {
        return;
    };
    let key = eventually("the reply recorded sent", Duration::from_secs(30), || {
        let outbox = h.state.services.ports.outbox.clone();
        async move {
            let sent = outbox
                .list(None, Some(OutboxState::Sent), 10)
                .await
                .unwrap();
            sent.into_iter().next()
        }
    })
    .await;
    assert_eq!(key.attempts, 2, "timed out once, then accepted");
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(message_calls(&h), 2, "no retry storm");
    let accepted = sent_to(&h, CUSTOMER);
    assert!((1..=2).contains(&accepted), "{accepted} accepted");
    h.stop().await;
}

/// A store whose sends Meta answers with 429 (130429, `Retry-After: 1`) `times` times (or
/// always), with one setting changed; `None` without Postgres (outside CI).
async fn rate_limited(times: Option<u32>, setting: (&str, &str)) -> Option<Harness> {
    let fault = Fault::RateLimited {
        code: 130_429,
        retry_after: Some(Duration::from_secs(1)),
    };
    let rule = match times {
        Some(n) => FaultRule::times(Endpoint::Messages, fault, n),
        None => FaultRule::always(Endpoint::Messages, fault),
    };
    sends_refused("Busy Meta", rule, &[setting]).await
}

/// Injected: Meta answers the first five sends with 429 (130429) and `Retry-After: 1`, with
/// `outbox_max_attempts` at 2.
/// Must hold: rate limits are waited out, not counted as failed attempts: the reply is not
/// parked, and it is accepted on the sixth call, once (before, a minute of short
/// `Retry-After`s used up the attempts and parked replies for good).
#[actix_web::test]
async fn short_retry_afters_are_waited_out_and_never_use_up_the_attempts() {
    let Some(h) = rate_limited(Some(5), ("OMNI_PIPELINE__OUTBOX_MAX_ATTEMPTS", "2")).await else {
        return;
    };
    answered(&h, CUSTOMER, "the reply accepted", Duration::from_secs(30)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(message_calls(&h), 6, "five refused calls, one accepted");
    assert_eq!(sent_to(&h, CUSTOMER), 1);
    let parked = h
        .state
        .services
        .ports
        .outbox
        .list(None, Some(OutboxState::Failed), 10)
        .await
        .unwrap();
    assert!(parked.is_empty(), "nothing parked: {parked:?}");
    h.stop().await;
}

/// Injected: Meta answers every send with 429 (130429, `Retry-After: 1`), with
/// `outbox_rate_limited_max_age_secs` at 3; then the limit lifts and the operator runs
/// `outbox requeue --code 130429`.
/// Must hold: the reply is parked as failed (code 130429) once it has waited 3 s, and the
/// store's copy shows `failed`; after the requeue it goes out exactly once, and the store's
/// copy shows `sent` with Meta's wamid. A second requeue finds nothing.
#[actix_web::test]
async fn a_reply_rate_limited_too_long_is_parked_and_requeue_sends_it_once() {
    let Some(h) = rate_limited(
        None,
        ("OMNI_PIPELINE__OUTBOX_RATE_LIMITED_MAX_AGE_SECS", "3"),
    )
    .await
    else {
        return;
    };
    let failed = parked(&h, Duration::from_secs(20)).await;
    assert_eq!(failed.len(), 1);
    let msg = &failed[0];
    assert_eq!(msg.error_code, Some(SendFailure::Meta(130429)));
    assert!(
        message_calls(&h) >= 2,
        "it was retried while within the age"
    );
    let (store, id) = (msg.store_id.unwrap(), msg.tenant_message_id.unwrap());
    let copy = store_copy(&h, store, id).await;
    assert_eq!(copy.status, Some(omni_domain::MessageStatus::Failed));

    h.sim().clear_faults();
    let calls_before = message_calls(&h);
    let requeue = |code: Option<&str>| omni_app::ops::OutboxCommand::Requeue {
        id: None,
        sender: None,
        code: code.map(str::to_owned),
        since: None,
        all: false,
    };
    omni_app::ops::outbox(&h.state.services, requeue(Some("130429")))
        .await
        .unwrap();
    answered(
        &h,
        CUSTOMER,
        "the requeued reply accepted",
        Duration::from_secs(15),
    )
    .await;
    let sent = eventually("the outbox row sent", Duration::from_secs(10), || {
        let outbox = h.state.services.ports.outbox.clone();
        let key = msg.idempotency_key.clone();
        async move {
            let m = outbox.find_by_key(&key).await.unwrap().unwrap();
            (m.state == OutboxState::Sent).then_some(m)
        }
    })
    .await;
    let copy = store_copy(&h, store, id).await;
    assert_eq!(copy.status, Some(omni_domain::MessageStatus::Sent));
    assert_eq!(copy.wamid, sent.wamid);
    assert_eq!(copy.error, None);
    assert_eq!(
        message_calls(&h),
        calls_before + 1,
        "one call after the requeue"
    );
    // Nothing parked is left: a second requeue changes nothing, and no filter is an error.
    omni_app::ops::outbox(&h.state.services, requeue(Some("130429")))
        .await
        .unwrap();
    assert!(
        omni_app::ops::outbox(&h.state.services, requeue(None))
            .await
            .is_err()
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sent_to(&h, CUSTOMER), 1);
    h.stop().await;
}
