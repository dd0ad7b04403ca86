//! Where the OpenAI-compatible API is and how to use it. The base URL is configurable so the
//! same adapter talks to OpenAI, any compatible provider, or the simulator in tests.

use std::time::Duration;

use secrecy::SecretString;

/// Configuration of [`crate::OpenAiAgent`] and [`crate::OpenAiSpeech`].
#[derive(Debug, Clone)]
pub struct OpenAiConfig {
    /// The API base including the version, `https://api.openai.com/v1` by default.
    pub base_url: String,
    /// The API key; sent only in the `Authorization` header.
    pub api_key: SecretString,
    /// Chat model of the agent ("gpt-4o-mini").
    pub model: String,
    /// Whole-request timeout of every HTTP call (20 s by default).
    pub timeout: Duration,
    /// Speech-to-text model (`whisper-1`).
    pub transcription_model: String,
    /// Text-to-speech model (`tts-1`).
    pub speech_model: String,
    /// Text-to-speech voice (`alloy`).
    pub voice: String,
    /// How many times tool results are sent back to the model for one customer message
    /// (3 by default), so at most `max_tool_rounds + 1` chat calls per message.
    pub max_tool_rounds: u32,
}

impl OpenAiConfig {
    /// OpenAI's API with the defaults and this key and chat model.
    #[must_use]
    pub fn new(api_key: SecretString, model: impl Into<String>) -> Self {
        Self {
            base_url: "https://api.openai.com/v1".to_owned(),
            api_key,
            model: model.into(),
            timeout: Duration::from_secs(20),
            transcription_model: "whisper-1".to_owned(),
            speech_model: "tts-1".to_owned(),
            voice: "alloy".to_owned(),
            max_tool_rounds: 3,
        }
    }

    /// Another OpenAI-compatible API (or the simulator's `openai_base_url()`), e.g.
    /// `http://127.0.0.1:9000/v1`.
    #[must_use]
    pub fn with_base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into().trim_end_matches('/').to_owned();
        self
    }

    /// The per-request timeout.
    #[must_use]
    pub const fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The tool round limit.
    #[must_use]
    pub const fn with_max_tool_rounds(mut self, rounds: u32) -> Self {
        self.max_tool_rounds = rounds;
        self
    }

    /// The speech-to-text model.
    #[must_use]
    pub fn with_transcription_model(mut self, model: impl Into<String>) -> Self {
        self.transcription_model = model.into();
        self
    }

    /// The text-to-speech model and voice.
    #[must_use]
    pub fn with_speech(mut self, model: impl Into<String>, voice: impl Into<String>) -> Self {
        self.speech_model = model.into();
        self.voice = voice.into();
        self
    }
}
