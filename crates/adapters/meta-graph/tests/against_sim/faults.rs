//! Every failure the core acts on, injected in the simulator, classified by the adapter; and
//! no failure leaks the token.

use std::time::Duration;

use omni_meta_sim::{Endpoint, Fault, FaultRule, SimConfig};
use omni_ports::meta::{GraphErrorKind, MediaUpload, MetaGraphPort, OutboundMessage, Recipient};

use crate::{CUSTOMER, Fixture, NUMBER};

fn text() -> OutboundMessage {
    OutboundMessage::text(Recipient::Phone(format!("+{CUSTOMER}")), "hi")
}

async fn send_with(f: &Fixture, fault: Fault) -> omni_ports::GraphError {
    f.sim_handle.clear_faults();
    f.sim_handle
        .inject_fault(FaultRule::times(Endpoint::Messages, fault.clone(), 1));
    let err = f
        .client
        .send_message(&f.token, &Fixture::number(), &text())
        .await
        .expect_err("the fault must fail the call");
    assert!(
        !err.to_string().contains(&f.token_text),
        "token leaked into {err}"
    );
    assert!(!format!("{err:?}").contains(&f.token_text));
    err
}

fn graph_error(http_status: u16, code: i64, message: &str) -> Fault {
    Fault::GraphError {
        http_status,
        code,
        subcode: None,
        message: message.into(),
        details: Some("details from the simulator".into()),
    }
}

#[tokio::test]
async fn each_meta_error_code_maps_to_the_kind_the_core_acts_on() {
    let f = Fixture::new().await;
    f.sim_handle.open_window(NUMBER, CUSTOMER);
    let cases = [
        (
            graph_error(401, 190, "Error validating access token"),
            GraphErrorKind::TokenInvalid,
            false,
        ),
        (
            graph_error(400, 4, "(#4) Application request limit reached"),
            GraphErrorKind::AppRateLimited,
            true,
        ),
        (
            graph_error(400, 80_007, "(#80007) Rate limit issues"),
            GraphErrorKind::WabaRateLimited,
            true,
        ),
        (
            graph_error(400, 130_429, "(#130429) Rate limit hit"),
            GraphErrorKind::ThroughputLimited,
            true,
        ),
        (
            graph_error(400, 131_056, "(#131056) Pair rate limit hit"),
            GraphErrorKind::PairRateLimited,
            true,
        ),
        (
            graph_error(400, 131_047, "(#131047) Re-engagement message"),
            GraphErrorKind::OutsideWindow,
            false,
        ),
        (
            graph_error(400, 131_026, "(#131026) Message undeliverable"),
            GraphErrorKind::Undeliverable,
            false,
        ),
        (
            graph_error(400, 131_048, "(#131048) Spam rate limit hit"),
            GraphErrorKind::SpamLimited,
            false,
        ),
        (
            graph_error(400, 131_053, "(#131053) Media upload error"),
            GraphErrorKind::Media,
            false,
        ),
        (
            graph_error(400, 131_052, "(#131052) Media download error"),
            GraphErrorKind::Media,
            false,
        ),
        (
            graph_error(400, 132_001, "(#132001) Template does not exist"),
            GraphErrorKind::Template,
            false,
        ),
        (
            graph_error(400, 132_015, "(#132015) Template is paused"),
            GraphErrorKind::Template,
            false,
        ),
        (
            graph_error(400, 133_010, "(#133010) Account not registered"),
            GraphErrorKind::NotRegistered,
            false,
        ),
        (
            graph_error(400, 100, "(#100) Invalid parameter"),
            GraphErrorKind::InvalidParameter,
            false,
        ),
        (
            graph_error(
                400,
                368,
                "(#368) Temporarily blocked for policies violations",
            ),
            GraphErrorKind::AccountRestricted,
            false,
        ),
        (
            graph_error(400, 131_042, "(#131042) Business eligibility payment issue"),
            GraphErrorKind::PaymentRequired,
            false,
        ),
        (
            graph_error(403, 200, "(#200) Permissions error"),
            GraphErrorKind::PermissionDenied,
            false,
        ),
        (
            graph_error(500, 131_000, "(#131000) Something went wrong"),
            GraphErrorKind::Temporary,
            true,
        ),
        (
            graph_error(503, 131_016, "(#131016) Service unavailable"),
            GraphErrorKind::Temporary,
            true,
        ),
        (Fault::ServerError(500), GraphErrorKind::Temporary, true),
        (Fault::ServerError(503), GraphErrorKind::Temporary, true),
        (Fault::TokenExpired, GraphErrorKind::TokenInvalid, false),
    ];
    for (fault, kind, retryable) in cases {
        let err = send_with(&f, fault.clone()).await;
        assert_eq!(err.kind, kind, "{fault:?} gave {err}");
        assert_eq!(err.is_retryable(), retryable, "{fault:?}");
        assert!(err.meta.is_some(), "Meta's body is kept: {err}");
    }
    let expired = send_with(&f, Fault::TokenExpired).await;
    assert!(expired.needs_reauth());
    assert_eq!(expired.meta.and_then(|m| m.subcode), Some(463));
    assert!(
        f.sim_handle.sent_messages().is_empty(),
        "no fault sent anything"
    );
}

#[tokio::test]
async fn the_body_fields_meta_sends_are_all_kept() {
    let f = Fixture::new().await;
    let err = send_with(
        &f,
        Fault::GraphError {
            http_status: 400,
            code: 131_047,
            subcode: Some(2_494_055),
            message: "(#131047) Re-engagement message".into(),
            details: Some("more than 24 hours have passed".into()),
        },
    )
    .await;
    let meta = err.meta.unwrap();
    assert_eq!(meta.subcode, Some(2_494_055));
    assert_eq!(meta.kind.as_deref(), Some("OAuthException"));
    assert_eq!(
        meta.details.as_deref(),
        Some("more than 24 hours have passed")
    );
    assert!(meta.fbtrace_id.is_some_and(|t| !t.is_empty()));
    assert_eq!(err.http_status, Some(400));
}

#[tokio::test]
async fn rate_limits_honour_retry_after() {
    let f = Fixture::new().await;
    let err = send_with(
        &f,
        Fault::RateLimited {
            code: 130_429,
            retry_after: Some(Duration::from_secs(7)),
        },
    )
    .await;
    assert_eq!(err.kind, GraphErrorKind::ThroughputLimited);
    assert_eq!(err.retry_after, Some(Duration::from_secs(7)));
    assert_eq!(err.retry_delay(3), Some(Duration::from_secs(7)));

    let err = send_with(
        &f,
        Fault::RateLimited {
            code: 131_056,
            retry_after: None,
        },
    )
    .await;
    assert_eq!(err.kind, GraphErrorKind::PairRateLimited);
    assert_eq!(err.retry_delay(2), Some(Duration::from_secs(16)));
}

#[tokio::test]
async fn a_broken_connection_and_a_stall_are_retryable_transport_failures() {
    let f = Fixture::with(SimConfig::default(), |mut c| {
        c.timeout = Duration::from_millis(700);
        c
    })
    .await;
    let err = send_with(&f, Fault::ConnectionReset).await;
    assert_eq!(err.kind, GraphErrorKind::Transport, "{err}");
    assert!(err.is_retryable());

    let started = std::time::Instant::now();
    // The simulator stalls for ten minutes: only the client's own timeout ends the call.
    let err = tokio::time::timeout(Duration::from_secs(10), send_with(&f, Fault::Stall))
        .await
        .expect("the client's timeout must end a stalled call");
    assert_eq!(err.kind, GraphErrorKind::Timeout, "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the timeout held"
    );
    assert!(!err.to_string().contains("127.0.0.1"), "no URL in {err}");
}

#[tokio::test]
async fn latency_under_the_timeout_only_slows_the_call() {
    let f = Fixture::new().await;
    f.sim_handle.open_window(NUMBER, CUSTOMER);
    f.sim_handle.inject_fault(FaultRule::times(
        Endpoint::Messages,
        Fault::Latency(Duration::from_millis(300)),
        1,
    ));
    let started = std::time::Instant::now();
    f.send(&text()).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn faults_hit_only_their_endpoint_and_only_as_often_as_asked() {
    let f = Fixture::new().await;
    f.sim_handle.inject_fault(FaultRule::times(
        Endpoint::PhoneNumbers,
        Fault::ServerError(502),
        2,
    ));
    f.client
        .subscribed_apps(&f.token, &Fixture::waba())
        .await
        .unwrap();
    for _ in 0..2 {
        let err = f
            .client
            .get_phone_number(&f.token, &Fixture::number())
            .await
            .unwrap_err();
        assert_eq!(err.kind, GraphErrorKind::Temporary);
    }
    f.client
        .get_phone_number(&f.token, &Fixture::number())
        .await
        .unwrap();
}

#[tokio::test]
async fn an_expired_or_revoked_token_asks_for_reconnection() {
    let f = Fixture::new().await;
    f.sim_handle.expire_token(&f.token_text);
    let err = f
        .client
        .get_phone_number(&f.token, &Fixture::number())
        .await
        .unwrap_err();
    assert!(err.needs_reauth(), "{err}");
    assert!(!err.to_string().contains(&f.token_text));
}

#[tokio::test]
async fn appsecret_proof_is_sent_when_configured() {
    let config = SimConfig {
        require_appsecret_proof: true,
        ..SimConfig::default()
    };
    let without = Fixture::with(config.clone(), |c| c).await;
    let err = without
        .client
        .get_phone_number(&without.token, &Fixture::number())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(100), "{err}");

    let with = Fixture::with(config, |mut c| {
        c.send_appsecret_proof = true;
        c
    })
    .await;
    with.client
        .get_phone_number(&with.token, &Fixture::number())
        .await
        .unwrap();
    with.client
        .list_phone_numbers(&with.token, &Fixture::waba())
        .await
        .unwrap();
    // Uploads are built apart from `authed` (multipart on the media client): they carry it too.
    let upload = MediaUpload {
        bytes: b"\x89PNG proof".to_vec(),
        mime_type: "image/png".into(),
        filename: "proof.png".into(),
    };
    with.client
        .upload_media(&with.token, &Fixture::number(), &upload)
        .await
        .unwrap();
    with.assert_token_only_in_headers();
}
