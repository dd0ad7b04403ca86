//! Tokens and the app secret never reach a log line, even at TRACE level with every crate's
//! logging on (reqwest, hyper, rustls included), on success and on failure. Its own test
//! binary because it installs the process-wide subscriber.

#![expect(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use omni_domain::{PhoneNumberId, WabaId};
use omni_meta_graph::{GraphConfig, MetaGraphClient};
use omni_meta_sim::{
    Endpoint, Fault, FaultRule, MetaSim, SeedNumber, SeedWaba, SimConfig, TokenSeed,
};
use omni_ports::meta::{
    MediaUpload, MetaGraphPort, OAuthDialogRequest, OutboundMessage, Recipient,
};
use secrecy::SecretString;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn no_token_or_app_secret_appears_in_any_log_line_at_trace_level() {
    let logs = Captured::default();
    let writer = logs.clone();
    tracing_subscriber::fmt()
        .with_env_filter("trace")
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .init();

    let secret = "canary-app-secret-7f3a9c";
    let sim = MetaSim::start(SimConfig {
        app_secret: secret.into(),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let h = sim.handle();
    h.seed_waba(
        SeedWaba::new("102290129340398", "2729063490586005")
            .number(SeedNumber::new("106540352242922", "+92 300 1112233")),
    );
    let token_text = h.issue_token(TokenSeed::business(&["102290129340398"]));
    let token = SecretString::from(token_text.clone());
    let mut config = GraphConfig::new(h.app_id(), SecretString::from(secret.to_owned()))
        .with_base_url(&sim.base_url());
    config.send_appsecret_proof = true;
    config.timeout = Duration::from_millis(500);
    let client = MetaGraphClient::new(config).unwrap();
    let number = PhoneNumberId::parse("106540352242922").unwrap();
    let waba = WabaId::parse("102290129340398").unwrap();

    // Successes.
    client.debug_token(&token).await.unwrap();
    client.get_phone_number(&token, &number).await.unwrap();
    client.list_phone_numbers(&token, &waba).await.unwrap();
    let id = client
        .upload_media(
            &token,
            &number,
            &MediaUpload {
                bytes: vec![1; 64],
                mime_type: "image/png".into(),
                filename: "a.png".into(),
            },
        )
        .await
        .unwrap();
    let info = client.media_info(&token, &id, None).await.unwrap();
    client.download_media(&token, &info, 1 << 20).await.unwrap();
    let url = client.oauth_dialog_url(&OAuthDialogRequest {
        redirect_uri: "https://shop.example.pk/cb".into(),
        state: "s".into(),
        config_id: None,
    });
    assert!(!url.contains(secret));

    // Failures of every transport shape.
    let text = OutboundMessage::text(Recipient::Phone("+923001234567".into()), "hi");
    for fault in [
        Fault::TokenExpired,
        Fault::ServerError(500),
        Fault::ConnectionReset,
        Fault::Stall,
    ] {
        h.clear_faults();
        h.inject_fault(FaultRule::times(Endpoint::Messages, fault, 1));
        assert!(client.send_message(&token, &number, &text).await.is_err());
    }
    assert!(client.exchange_code("bad-code", None).await.is_err());
    assert!(client.exchange_long_lived(&token, true).await.is_ok());

    let text = String::from_utf8_lossy(&logs.0.lock().unwrap()).into_owned();
    assert!(
        text.contains("graph call failed"),
        "the failures were logged: {text}"
    );
    for (what, canary) in [("token", token_text.as_str()), ("app secret", secret)] {
        let hits: Vec<&str> = text.lines().filter(|l| l.contains(canary)).collect();
        assert!(hits.is_empty(), "{what} in logs: {hits:#?}");
    }
}
