//! The API key and the customer's words never reach a log line, even at TRACE level with
//! every crate's logging on (reqwest, hyper, rustls, the simulator), on success and on
//! failure. Its own test binary because it installs the process-wide subscriber.

use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use omni_domain::{
    ConversationId, Currency, Direction, Message, MessageBody, MessageId, Money, StoreId,
    StoreKind, StoreSettings,
};
use omni_meta_sim::{Endpoint, Fault, FaultRule, MetaSim, ScriptedChat, SimConfig};
use omni_openai::{OpenAiAgent, OpenAiConfig, OpenAiSpeech};
use omni_ports::{AgentInput, AiAgentPort, CustomerInput, SpeechPort, StoreProfile};
use secrecy::SecretString;
use serde_json::json;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn neither_the_key_nor_the_customers_words_appear_in_any_log_line() {
    let logs = Captured::default();
    let writer = logs.clone();
    tracing_subscriber::fmt()
        .with_env_filter("trace")
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .init();

    let _ = rustls::crypto::ring::default_provider().install_default();
    let sim = MetaSim::start(SimConfig::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let h = sim.handle();
    let key = "sk-canary-key-5b1e77";
    h.set_openai_api_key(key);
    let words = "canary-words mera ghar gali 7 mein hai";
    let config = OpenAiConfig::new(SecretString::from(key), "gpt-4o-mini")
        .with_base_url(sim.openai_base_url())
        .with_timeout(Duration::from_secs(5));
    let agent = OpenAiAgent::new(config.clone()).unwrap_or_else(|e| panic!("{e}"));
    let speech = OpenAiSpeech::new(config.clone()).unwrap_or_else(|e| panic!("{e}"));
    let input = AgentInput {
        store: StoreProfile {
            id: StoreId::new(),
            name: "Karachi Grill".into(),
            kind: StoreKind::Restaurant,
            currency: Currency::PKR,
            settings: StoreSettings::defaults(Currency::PKR),
        },
        menu: Vec::new(),
        payment_methods: Vec::new(),
        customer_name: None,
        state: "new".into(),
        context: json!({}),
        recent: vec![Message::new(
            MessageId::new(),
            ConversationId::new(),
            Direction::Inbound,
            MessageBody::Text { body: words.into() },
            chrono::Utc::now(),
        )],
        order: None,
        message: CustomerInput::Text { text: words.into() },
        window_open: true,
        feedback: Vec::new(),
    };

    h.push_chat_scripts([
        ScriptedChat::tool_call("set_address", &json!({ "address": words })),
        ScriptedChat::content(format!("Address noted: {words}")),
    ]);
    agent
        .respond(&input)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    h.push_chat_script(ScriptedChat::error(500, "boom"));
    assert!(agent.respond(&input).await.is_err());
    h.inject_fault(FaultRule::times(
        Endpoint::OpenAiChat,
        Fault::ConnectionReset,
        1,
    ));
    assert!(agent.respond(&input).await.is_err());
    let mut wrong = config.clone();
    wrong.api_key = SecretString::from("sk-canary-wrong-key-99");
    let wrong_agent = OpenAiAgent::new(wrong).unwrap_or_else(|e| panic!("{e}"));
    assert!(wrong_agent.respond(&input).await.is_err());
    let (clip, _) = speech
        .synthesize(words)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        speech.transcribe(&clip, "audio/ogg").await.ok().as_deref(),
        Some(words)
    );

    let text = String::from_utf8_lossy(&logs.0.lock().unwrap_or_else(PoisonError::into_inner))
        .into_owned();
    assert!(text.contains("llm agent"), "logging was captured");
    for secret in [
        "canary-key",
        "5b1e77",
        "canary-wrong",
        "canary-words",
        "gali 7",
    ] {
        assert!(!text.contains(secret), "`{secret}` was logged");
    }
    let _ = Money::zero(Currency::PKR);
}
