//! Fault injection: the failures Meta produces that a happy-path simulator never would
//! (latency, 5xx, rate limits, dead tokens, arbitrary Graph errors, broken connections,
//! silence). Tests use them to prove the adapter classifies every failure correctly.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Which endpoint a fault applies to (Graph, or the OpenAI-compatible side).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    /// Every Graph call and media download (not the OAuth dialog, not `/_sim`).
    Any,
    /// `/oauth/access_token`.
    OAuthToken,
    /// `/debug_token`.
    DebugToken,
    /// `/{waba}/phone_numbers` and `GET /{phone_number_id}`.
    PhoneNumbers,
    /// `/{waba}/subscribed_apps`.
    SubscribedApps,
    /// `/{phone_number_id}/register` and `/deregister`.
    Register,
    /// `/{phone_number_id}/messages`.
    Messages,
    /// `POST /{phone_number_id}/media`.
    MediaUpload,
    /// `GET` / `DELETE /{media_id}`.
    MediaInfo,
    /// The media download URL.
    MediaDownload,
    /// `/{waba}/message_templates`.
    Templates,
    /// OpenAI `POST /v1/chat/completions` (never hit by `Any`, which is Graph only).
    #[serde(rename = "openai_chat")]
    OpenAiChat,
    /// OpenAI `POST /v1/audio/transcriptions` (never hit by `Any`).
    #[serde(rename = "openai_transcriptions")]
    OpenAiTranscriptions,
    /// OpenAI `POST /v1/audio/speech` (never hit by `Any`).
    #[serde(rename = "openai_speech")]
    OpenAiSpeech,
}

/// What goes wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    /// Wait, then serve normally. In JSON: milliseconds.
    Latency(#[serde(with = "crate::model::millis")] Duration),
    /// This 5xx status with Meta's unknown-error body (code 2 for 503, else 1), `is_transient`.
    ServerError(u16),
    /// HTTP 429 with the rate-limit error of `code` (4, 80007, 130429, 131056) and an optional
    /// `Retry-After` (whole seconds; in JSON `retry_after` is seconds).
    RateLimited {
        /// Meta's code.
        code: i64,
        /// `Retry-After`.
        #[serde(default, with = "crate::model::secs_opt")]
        retry_after: Option<Duration>,
    },
    /// HTTP 401, code 190 subcode 463 (session expired).
    TokenExpired,
    /// Any Graph error body.
    GraphError {
        /// HTTP status.
        http_status: u16,
        /// `error.code`.
        code: i64,
        /// `error.error_subcode`.
        #[serde(default)]
        subcode: Option<i64>,
        /// `error.message`.
        message: String,
        /// `error.error_data.details`.
        #[serde(default)]
        details: Option<String>,
    },
    /// The connection breaks before a complete response: the client sees a transport error.
    ConnectionReset,
    /// No answer at all (for ten minutes), so the client times out.
    Stall,
}

/// A fault for an endpoint, `times` times (`None` until cleared).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultRule {
    /// Where.
    pub endpoint: Endpoint,
    /// What.
    pub fault: Fault,
    /// How many requests it hits; `None` = until [`crate::SimHandle::clear_faults`].
    #[serde(default)]
    pub times: Option<u32>,
}

impl FaultRule {
    /// A rule that hits every matching request until cleared.
    #[must_use]
    pub fn always(endpoint: Endpoint, fault: Fault) -> Self {
        Self {
            endpoint,
            fault,
            times: None,
        }
    }

    /// A rule that hits the next `times` matching requests.
    #[must_use]
    pub fn times(endpoint: Endpoint, fault: Fault, times: u32) -> Self {
        Self {
            endpoint,
            fault,
            times: Some(times),
        }
    }
}

/// Takes the first rule matching `endpoint` (counting it down), if any.
pub(crate) fn take(rules: &mut Vec<FaultRule>, endpoint: Option<Endpoint>) -> Option<Fault> {
    let idx = rules
        .iter()
        .position(|r| r.endpoint == Endpoint::Any || Some(r.endpoint) == endpoint)?;
    take_at(rules, idx)
}

/// Takes the first rule for exactly `endpoint` (no `Any`), counting it down.
pub(crate) fn take_exact(rules: &mut Vec<FaultRule>, endpoint: Endpoint) -> Option<Fault> {
    let idx = rules.iter().position(|r| r.endpoint == endpoint)?;
    take_at(rules, idx)
}

fn take_at(rules: &mut Vec<FaultRule>, idx: usize) -> Option<Fault> {
    let rule = rules.get_mut(idx)?;
    let fault = rule.fault.clone();
    if let Some(n) = rule.times.as_mut() {
        *n = n.saturating_sub(1);
        if *n == 0 {
            rules.remove(idx);
        }
    }
    Some(fault)
}
