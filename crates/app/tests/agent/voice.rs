//! Voice notes: downloaded and transcribed through the simulator's OpenAI-compatible
//! `/audio/transcriptions`, the transcript kept with the message and fed to the agent, and a
//! spoken reply when the store wants one; without a speech service, a polite text.

use omni_meta_sim::openai::{DEFAULT_API_KEY, voice_clip};
use omni_meta_sim::webhook::SimMessage;
use omni_meta_sim::{OpenAiEndpoint, SimConfig};
use serde_json::json;

use super::kitchen::{Customer, Owner, karachi_grill, shown};
use crate::support::pipeline::{Engine, Harness};

fn voice_note(h: &Harness, c: &Customer<'_>, said: &str) -> SimMessage {
    let sim = h.sim();
    let id = sim.put_media(
        c.r.number.account.phone_number_id.as_str(),
        voice_clip(said),
        "audio/ogg",
    );
    let meta = sim.media_meta(&id).unwrap();
    SimMessage::voice_note(&id, &meta.sha256)
}

#[actix_web::test]
async fn a_voice_note_is_transcribed_ordered_from_and_answered_by_voice() {
    let Some(h) = Harness::start_with(
        Engine::Postgres,
        SimConfig::default(),
        &[
            ("OMNI_AGENT__SPEECH_BASE_URL", "{openai}"),
            ("OMNI_AGENT__SPEECH_API_KEY", DEFAULT_API_KEY),
        ],
    )
    .await
    else {
        return;
    };
    let r = karachi_grill(&h).await;
    let ali = Customer::new(&h, &r, "923001234567", "Ali");
    let note = voice_note(&h, &ali, "mujhe 2 zinger burger chahiye");
    let wamid = note.wamid().to_owned();
    let replies = ali.send(note).await;
    assert_eq!(
        replies.len(),
        1,
        "text only until the store asks for voice: {replies:?}"
    );
    assert!(
        shown(&replies[0]).starts_with("Added 2 × Zinger Burger."),
        "{}",
        shown(&replies[0])
    );
    assert_eq!(
        ali.stored(&wamid).await.transcript.as_deref(),
        Some("mujhe 2 zinger burger chahiye"),
        "the transcript is kept with the message"
    );
    let order = ali.order().await.unwrap();
    assert_eq!(order.items[0].quantity, 2);
    let transcriptions = h.sim().requests_to(OpenAiEndpoint::Transcriptions);
    assert_eq!(transcriptions.len(), 1);

    // The store turns voice replies on: the answer also comes back as a voice note.
    let owner = Owner::of(&h, &r);
    let (status, _) = owner
        .call(
            reqwest::Method::PUT,
            "/api/owner/ordering-settings",
            Some(json!({"delivery_fee_paisa": 0, "min_order_paisa": 0, "voice_replies": true})),
        )
        .await;
    assert_eq!(status, 200);
    let replies = ali.send(voice_note(&h, &ali, "ek fries bhi")).await;
    assert_eq!(replies.len(), 2, "{replies:?}");
    let text = shown(&replies[0]);
    assert!(text.starts_with("Added 1 × Fries."), "{text}");
    let audio = &replies[1];
    assert_eq!(audio.kind, "audio");
    assert_eq!(audio.body["audio"]["voice"], true);
    let id = audio.body["audio"]["id"].as_str().unwrap();
    let bytes = h
        .sim()
        .media_bytes(id)
        .expect("uploaded to Meta before sending");
    let spoken = String::from_utf8_lossy(&bytes);
    assert!(
        spoken.contains(&format!("OMNI-VOICE:{text}")),
        "the voice note says the text reply"
    );
    h.stop().await;
}

#[actix_web::test]
async fn without_a_speech_service_a_voice_note_gets_a_polite_text() {
    let Some(h) = Harness::start(Engine::Postgres).await else {
        return;
    };
    let r = karachi_grill(&h).await;
    let ali = Customer::new(&h, &r, "923001234567", "Ali");
    let replies = ali.send(voice_note(&h, &ali, "2 zinger")).await;
    assert_eq!(replies.len(), 1);
    assert_eq!(
        shown(&replies[0]),
        "Sorry, we can't listen to voice notes here yet. Please type your message."
    );
    assert!(ali.order().await.is_none());
    assert!(
        h.sim()
            .requests_to(OpenAiEndpoint::Transcriptions)
            .is_empty()
    );
    h.stop().await;
}
