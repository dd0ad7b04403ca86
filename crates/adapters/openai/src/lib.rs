//! The AI agent ([`omni_ports::AiAgentPort`]) and speech ([`omni_ports::SpeechPort`]) over any
//! OpenAI-compatible HTTP API.
//!
//! [`OpenAiAgent`] gives the model the store, menu, payment methods, open order and recent
//! turns, offers one tool per [`omni_ports::AgentAction`] and collects the calls as actions;
//! it never changes anything itself (the core validates). Every failure (HTTP error,
//! timeout, an answer with nothing usable) is `AgentError::Unavailable`, and the core falls
//! back to the rule-based agent. [`OpenAiSpeech`] transcribes voice notes and speaks replies.
//! The key travels only in the `Authorization` header; customers' words are never logged.
//! Tests point [`OpenAiConfig::with_base_url`] at the simulator (`omni_meta_sim`).

mod agent;
mod client;
mod config;
mod error;
mod prompt;
mod speech;
mod tools;

pub use agent::OpenAiAgent;
pub use config::OpenAiConfig;
pub use error::OpenAiError;
pub use speech::OpenAiSpeech;
