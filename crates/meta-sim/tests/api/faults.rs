//! Fault injection: every kind, as the client experiences it.

use std::time::Duration;

use omni_meta_sim::{Endpoint, Fault, FaultRule};

use crate::common::{CUSTOMER, CUSTOMER_WA_ID, WABA, code, env, text};

#[tokio::test]
async fn a_server_error_fault_returns_a_transient_unknown_error_once() {
    let e = env().await;
    e.h.inject_fault(FaultRule::times(
        Endpoint::PhoneNumbers,
        Fault::ServerError(500),
        1,
    ));
    let (status, body) = e.get(&format!("{WABA}/phone_numbers")).await;
    assert_eq!((status, code(&body)), (500, 1));
    assert_eq!(body["error"]["is_transient"], true);
    assert_eq!(body["error"]["message"], "An unknown error occurred");
    assert_eq!(e.get(&format!("{WABA}/phone_numbers")).await.0, 200);

    e.h.inject_fault(FaultRule::times(Endpoint::Any, Fault::ServerError(503), 1));
    assert_eq!(code(&e.get(&format!("{WABA}/phone_numbers")).await.1), 2);
}

#[tokio::test]
async fn a_rate_limit_fault_sets_retry_after() {
    let e = env().await;
    e.h.inject_fault(FaultRule::always(
        Endpoint::Messages,
        Fault::RateLimited {
            code: 131_056,
            retry_after: Some(Duration::from_secs(16)),
        },
    ));
    let resp = e
        .http
        .post(format!("{}/{}/messages", e.graph, crate::common::NUMBER))
        .bearer_auth(&e.token)
        .json(&text(CUSTOMER, "hi"))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.headers()["retry-after"], "16");
    let body: serde_json::Value = resp.json().await.expect("json");
    assert_eq!(code(&body), 131_056);
    e.h.clear_faults();
    assert!(e.h.faults().is_empty());
}

#[tokio::test]
async fn token_expired_and_graph_error_faults_return_their_bodies() {
    let e = env().await;
    e.h.inject_fault(FaultRule::times(
        Endpoint::PhoneNumbers,
        Fault::TokenExpired,
        1,
    ));
    let (status, body) = e.get(&format!("{WABA}/phone_numbers")).await;
    assert_eq!(
        (status, code(&body), body["error"]["error_subcode"].as_i64()),
        (401, 190, Some(463))
    );

    e.h.open_window(crate::common::NUMBER, CUSTOMER_WA_ID);
    e.h.inject_fault(FaultRule::times(
        Endpoint::Messages,
        Fault::GraphError {
            http_status: 400,
            code: 131_048,
            subcode: None,
            message: "(#131048) Spam rate limit hit".into(),
            details: Some("Message failed to send because there are restrictions.".into()),
        },
        1,
    ));
    let (status, body) = e.send(&text(CUSTOMER, "hi")).await;
    assert_eq!((status, code(&body)), (400, 131_048));
    assert_eq!(
        body["error"]["error_data"]["details"],
        "Message failed to send because there are restrictions."
    );
    assert_eq!(e.send(&text(CUSTOMER, "hi")).await.0, 200);
}

#[tokio::test]
async fn a_connection_reset_fault_makes_the_request_fail_at_the_transport() {
    let e = env().await;
    e.h.inject_fault(FaultRule::times(
        Endpoint::PhoneNumbers,
        Fault::ConnectionReset,
        1,
    ));
    let err = e
        .http
        .get(format!("{}/{WABA}/phone_numbers", e.graph))
        .bearer_auth(&e.token)
        .send()
        .await
        .expect_err("no HTTP response at all: the connection closes before the status line");
    assert!(!err.is_timeout() && err.status().is_none(), "{err}");
    assert_eq!(
        e.get(&format!("{WABA}/phone_numbers")).await.0,
        200,
        "only once"
    );
}

#[tokio::test]
async fn a_stall_fault_makes_a_client_with_a_short_timeout_time_out() {
    let e = env().await;
    e.h.inject_fault(FaultRule::times(Endpoint::Messages, Fault::Stall, 1));
    let err = e
        .http
        .post(format!("{}/{}/messages", e.graph, crate::common::NUMBER))
        .bearer_auth(&e.token)
        .json(&text(CUSTOMER, "hi"))
        .timeout(Duration::from_millis(300))
        .send()
        .await
        .expect_err("must time out");
    assert!(err.is_timeout(), "{err}");
    e.sim.stop().await;
}

#[tokio::test]
async fn a_latency_fault_delays_then_serves_normally() {
    let e = env().await;
    e.h.inject_fault(FaultRule::times(
        Endpoint::PhoneNumbers,
        Fault::Latency(Duration::from_millis(250)),
        1,
    ));
    let started = std::time::Instant::now();
    let (status, _) = e.get(&format!("{WABA}/phone_numbers")).await;
    assert_eq!(status, 200);
    assert!(started.elapsed() >= Duration::from_millis(250));
}
