//! `OpenAiSpeech` against the simulator: transcription of registered and self-describing
//! clips, synthesis as Ogg/Opus, the round trip, and failures.

use omni_meta_sim::openai::voice_clip;
use omni_meta_sim::{Endpoint, Fault, FaultRule, OpenAiEndpoint};
use omni_openai::OpenAiSpeech;
use omni_ports::SpeechPort;
use secrecy::SecretString;

use crate::common::{config, sim};

fn speech(config: omni_openai::OpenAiConfig) -> OpenAiSpeech {
    OpenAiSpeech::new(config).unwrap_or_else(|e| panic!("speech: {e}"))
}

#[tokio::test]
async fn a_registered_clip_is_transcribed_and_sent_as_a_named_file() {
    let sim = sim().await;
    let h = sim.handle();
    let clip = b"OggS\x00\x02opaque opus frames".to_vec();
    h.register_transcript(&clip, "do zinger burger aur ek coke");

    let text = speech(config(&sim))
        .transcribe(&clip, "audio/ogg; codecs=opus")
        .await
        .unwrap_or_else(|e| panic!("transcribe: {e}"));

    assert_eq!(text, "do zinger burger aur ek coke");
    let logged = h.requests_to(OpenAiEndpoint::Transcriptions);
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0]["model"], "whisper-1");
    assert_eq!(logged[0]["file_name"], "voice.ogg");
    assert_eq!(logged[0]["file_content_type"], "audio/ogg");
    assert_eq!(logged[0]["file_size"], clip.len());
}

#[tokio::test]
async fn a_self_describing_clip_is_transcribed_from_its_marker() {
    let sim = sim().await;
    let text = speech(config(&sim).with_transcription_model("whisper-large"))
        .transcribe(b"OMNI-VOICE:mujhe biryani chahiye", "audio/mpeg")
        .await
        .unwrap_or_else(|e| panic!("transcribe: {e}"));
    assert_eq!(text, "mujhe biryani chahiye");
    let logged = sim.handle().requests_to(OpenAiEndpoint::Transcriptions);
    assert_eq!(logged[0]["file_name"], "voice.mp3");
    assert_eq!(logged[0]["model"], "whisper-large");
}

#[tokio::test]
async fn speech_is_ogg_opus_and_transcribes_back() {
    let sim = sim().await;
    let speech = speech(config(&sim));
    let said = "Aap ka order 20 minute mein pohanch jayega";

    let (bytes, mime) = speech
        .synthesize(said)
        .await
        .unwrap_or_else(|e| panic!("synthesize: {e}"));

    assert_eq!(mime, "audio/ogg");
    assert_eq!(bytes, voice_clip(said));
    let logged = sim.handle().requests_to(OpenAiEndpoint::Speech);
    assert_eq!(
        logged[0],
        serde_json::json!({ "model": "tts-1", "input": said, "voice": "alloy", "response_format": "opus" })
    );
    let heard = speech
        .transcribe(&bytes, &mime)
        .await
        .unwrap_or_else(|e| panic!("transcribe: {e}"));
    assert_eq!(heard, said);
}

#[tokio::test]
async fn unknown_audio_faults_and_a_wrong_key_are_errors() {
    let sim = sim().await;
    let h = sim.handle();
    let ok = speech(config(&sim));

    let err = ok.transcribe(b"not a known clip", "audio/ogg").await.err();
    assert!(err.is_some_and(|e| e.to_string().contains("400")));
    assert!(ok.transcribe(b"", "audio/ogg").await.is_err());

    h.inject_fault(FaultRule::times(
        Endpoint::OpenAiTranscriptions,
        Fault::ServerError(500),
        1,
    ));
    let err = ok.transcribe(b"OMNI-VOICE:hi", "audio/ogg").await.err();
    assert!(err.is_some_and(|e| e.to_string().contains("500")));

    h.inject_fault(FaultRule::times(
        Endpoint::OpenAiSpeech,
        Fault::ServerError(503),
        1,
    ));
    assert!(ok.synthesize("hello").await.is_err());
    assert!(
        ok.synthesize("hello").await.is_ok(),
        "the fault was used up"
    );

    let mut wrong = config(&sim);
    wrong.api_key = SecretString::from("sk-not-it");
    let err = speech(wrong).synthesize("hello").await.err();
    assert!(err.is_some_and(|e| e.to_string().contains("401")));
}
