//! [`OpenAiSpeech`]: voice notes to text (`/audio/transcriptions`, multipart) and replies to
//! voice notes (`/audio/speech` as Opus in Ogg, which WhatsApp plays as a voice note).

use async_trait::async_trait;
use omni_ports::{BoxError, SpeechPort};
use reqwest::multipart::{Form, Part};
use serde::Deserialize;
use serde_json::json;

use crate::client::OpenAiClient;
use crate::{OpenAiConfig, OpenAiError};

/// OpenAI's limit on the text of one speech request.
const MAX_SPEECH_CHARS: usize = 4096;

/// Speech to text and back over an OpenAI-compatible API.
#[derive(Debug, Clone)]
pub struct OpenAiSpeech {
    client: OpenAiClient,
}

#[derive(Deserialize)]
struct Transcription {
    text: String,
}

/// The file name the API sees: it infers the format from the extension.
pub(crate) fn file_name(mime_type: &str) -> &'static str {
    let essence = mime_type.split(';').next().unwrap_or("").trim();
    match essence.to_ascii_lowercase().as_str() {
        "audio/mpeg" | "audio/mp3" => "voice.mp3",
        "audio/mp4" | "audio/m4a" | "audio/x-m4a" => "voice.m4a",
        "audio/aac" => "voice.aac",
        "audio/amr" => "voice.amr",
        "audio/wav" | "audio/x-wav" | "audio/wave" => "voice.wav",
        "audio/webm" => "voice.webm",
        "audio/flac" | "audio/x-flac" => "voice.flac",
        "audio/opus" => "voice.opus",
        // WhatsApp voice notes are Ogg/Opus.
        _ => "voice.ogg",
    }
}

impl OpenAiSpeech {
    /// Speech for this API.
    ///
    /// # Errors
    /// When the HTTP client cannot be built.
    pub fn new(config: OpenAiConfig) -> Result<Self, OpenAiError> {
        Ok(Self {
            client: OpenAiClient::new(config)?,
        })
    }

    async fn transcribe_audio(&self, audio: &[u8], mime_type: &str) -> Result<String, OpenAiError> {
        if audio.is_empty() {
            return Err(OpenAiError::Invalid("the audio is empty".to_owned()));
        }
        let essence = mime_type.split(';').next().unwrap_or("").trim();
        let part = Part::bytes(audio.to_vec()).file_name(file_name(mime_type));
        let part = part
            .mime_str(if essence.is_empty() {
                "application/octet-stream"
            } else {
                essence
            })
            .map_err(|_| OpenAiError::Invalid(format!("bad MIME type `{essence}`")))?;
        let form = Form::new()
            .text("model", self.client.config.transcription_model.clone())
            .text("response_format", "json")
            .part("file", part);
        let (body, _) = self
            .client
            .send_bytes(self.client.post("audio/transcriptions").multipart(form))
            .await?;
        // serde's message could quote the transcript: keep only the position.
        let t: Transcription = serde_json::from_slice(&body).map_err(|e| {
            OpenAiError::Malformed(format!(
                "transcription is not {{\"text\": …}} (line {}, column {})",
                e.line(),
                e.column()
            ))
        })?;
        Ok(t.text.trim().to_owned())
    }

    async fn speak(&self, text: &str) -> Result<(Vec<u8>, String), OpenAiError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(OpenAiError::Invalid("nothing to say".to_owned()));
        }
        if text.chars().count() > MAX_SPEECH_CHARS {
            return Err(OpenAiError::Invalid(format!(
                "the text is longer than {MAX_SPEECH_CHARS} characters"
            )));
        }
        let body = json!({
            "model": self.client.config.speech_model,
            "input": text,
            "voice": self.client.config.voice,
            "response_format": "opus",
        });
        let (bytes, _) = self
            .client
            .send_bytes(self.client.post("audio/speech").json(&body))
            .await?;
        if bytes.is_empty() {
            return Err(OpenAiError::Malformed("empty audio".to_owned()));
        }
        Ok((bytes, "audio/ogg".to_owned()))
    }
}

#[async_trait]
impl SpeechPort for OpenAiSpeech {
    async fn transcribe(&self, audio: &[u8], mime_type: &str) -> Result<String, BoxError> {
        let text = self.transcribe_audio(audio, mime_type).await?;
        tracing::debug!(chars = text.chars().count(), "voice note transcribed");
        Ok(text)
    }

    async fn synthesize(&self, text: &str) -> Result<(Vec<u8>, String), BoxError> {
        let (bytes, mime) = self.speak(text).await?;
        tracing::debug!(bytes = bytes.len(), "reply synthesized");
        Ok((bytes, mime))
    }
}

#[cfg(test)]
mod tests {
    use super::file_name;

    #[test]
    fn file_names_follow_the_mime_type() {
        assert_eq!(file_name("audio/ogg; codecs=opus"), "voice.ogg");
        assert_eq!(file_name("audio/mpeg"), "voice.mp3");
        assert_eq!(file_name("AUDIO/MP4"), "voice.m4a");
        assert_eq!(file_name("application/octet-stream"), "voice.ogg");
    }
}
