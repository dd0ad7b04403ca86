//! The OpenAI side's part of the simulator's world: the accepted API key, the chat script,
//! registered transcripts and the request log. Lives inside [`crate::state::SimState`] under
//! the same mutex, so it follows the same lock-briefly, never-across-await rule.

use std::collections::{HashMap, VecDeque};

use super::model::{OpenAiRequest, ScriptedChat};
use crate::util::push_capped;

/// The API key the simulator accepts until told otherwise.
pub const DEFAULT_API_KEY: &str = "sk-sim-openai-key";

/// Scripts, transcripts, key and log of the OpenAI endpoints.
#[derive(Debug)]
pub(crate) struct OpenAiState {
    /// The bearer key every request must carry.
    pub api_key: String,
    /// Queued chat answers, oldest first.
    pub script: VecDeque<ScriptedChat>,
    /// Hex SHA-256 of audio bytes → transcript.
    pub transcripts: HashMap<String, String>,
    /// Every request, oldest first.
    pub requests: VecDeque<OpenAiRequest>,
    /// Counter behind completion and tool call ids.
    next_id: u64,
}

impl Default for OpenAiState {
    fn default() -> Self {
        Self {
            api_key: DEFAULT_API_KEY.to_owned(),
            script: VecDeque::new(),
            transcripts: HashMap::new(),
            requests: VecDeque::new(),
            next_id: 0,
        }
    }
}

impl OpenAiState {
    /// Takes the first queued answer meant for `model` (or for any model).
    pub(crate) fn take_script(&mut self, model: &str) -> Option<ScriptedChat> {
        let idx = self
            .script
            .iter()
            .position(|s| s.model.as_deref().is_none_or(|m| m == model))?;
        self.script.remove(idx)
    }

    /// A fresh sequence number for ids.
    pub(crate) fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    pub(crate) fn log(&mut self, request: OpenAiRequest) {
        push_capped(&mut self.requests, request);
    }
}

/// Lowercase hex SHA-256, the key of registered transcripts.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref())
}
