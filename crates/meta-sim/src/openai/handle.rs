//! The test-side controls of the OpenAI endpoints on [`SimHandle`]: the key, the chat
//! script, transcripts and the request log.

use serde_json::Value;

use super::model::{OpenAiEndpoint, OpenAiRequest, ScriptedChat};
use super::state::sha256_hex;
use crate::SimHandle;

impl SimHandle {
    /// `{public_base_url}/v1`: the `base_url` an OpenAI client is given.
    #[must_use]
    pub fn openai_base_url(&self) -> String {
        format!("{}/v1", self.public_base_url())
    }

    /// The API key the OpenAI endpoints accept
    /// ([`crate::openai::DEFAULT_API_KEY`] until changed).
    #[must_use]
    pub fn openai_api_key(&self) -> String {
        self.lock().openai.api_key.clone()
    }

    /// Changes the accepted API key.
    pub fn set_openai_api_key(&self, key: impl Into<String>) {
        self.lock().openai.api_key = key.into();
    }

    /// Queues a chat completion answer (first in, first out).
    pub fn push_chat_script(&self, entry: ScriptedChat) {
        self.lock().openai.script.push_back(entry);
    }

    /// Queues several answers, in order.
    pub fn push_chat_scripts(&self, entries: impl IntoIterator<Item = ScriptedChat>) {
        self.lock().openai.script.extend(entries);
    }

    /// The answers not served yet.
    #[must_use]
    pub fn pending_chat_scripts(&self) -> Vec<ScriptedChat> {
        self.lock().openai.script.iter().cloned().collect()
    }

    /// Drops every queued answer.
    pub fn clear_chat_script(&self) {
        self.lock().openai.script.clear();
    }

    /// Makes these exact audio bytes transcribe to `text`.
    pub fn register_transcript(&self, audio: &[u8], text: impl Into<String>) {
        self.lock()
            .openai
            .transcripts
            .insert(sha256_hex(audio), text.into());
    }

    /// Every OpenAI request received, oldest first.
    #[must_use]
    pub fn openai_requests(&self) -> Vec<OpenAiRequest> {
        self.lock().openai.requests.iter().cloned().collect()
    }

    /// The bodies of the chat completion requests, oldest first.
    #[must_use]
    pub fn chat_requests(&self) -> Vec<Value> {
        self.requests_to(OpenAiEndpoint::ChatCompletions)
    }

    /// The logged bodies of requests to one endpoint, oldest first.
    #[must_use]
    pub fn requests_to(&self, endpoint: OpenAiEndpoint) -> Vec<Value> {
        self.lock()
            .openai
            .requests
            .iter()
            .filter(|r| r.endpoint == endpoint)
            .map(|r| r.body.clone())
            .collect()
    }

    /// Forgets the OpenAI request log.
    pub fn clear_openai_requests(&self) {
        self.lock().openai.requests.clear();
    }
}
