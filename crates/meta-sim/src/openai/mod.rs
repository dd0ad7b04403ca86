//! An OpenAI-compatible API on the same server as the Graph simulator, for the product's LLM
//! agent and speech adapters: `POST /v1/chat/completions` (tool calling), `POST
//! /v1/audio/transcriptions` and `POST /v1/audio/speech`, with OpenAI's shapes, bearer key and
//! error bodies.
//!
//! The chat side is scripted, not clever: tests queue answers ([`ScriptedChat`]) through
//! [`crate::SimHandle::push_chat_script`] or `POST /_sim/openai/script`, and read back every
//! request ([`OpenAiRequest`]) to assert what the adapter sent. With nothing queued the answer
//! is the plain content [`DEFAULT_REPLY`]. Audio is self-describing (see [`voice_clip`]).
//! Faults use the sim's [`crate::FaultRule`] with the `openai_*` [`crate::Endpoint`]s.

mod audio;
mod chat;
mod control;
mod error;
mod faults;
mod handle;
mod model;
mod state;

use actix_web::web::{self, Bytes, BytesMut};
use actix_web::{HttpRequest, web::ServiceConfig};
use futures_util::StreamExt as _;
use serde_json::Value;

pub use audio::{OGG_PREFIX, VOICE_MARKER, voice_clip};
pub use chat::DEFAULT_REPLY;
pub use model::{ChatReply, OpenAiEndpoint, OpenAiRequest, ScriptedChat, ScriptedToolCall};
pub use state::DEFAULT_API_KEY;
pub(crate) use state::OpenAiState;

use crate::SimHandle;
use error::OpenAiErr;

/// OpenAI's upload limit (25 MB) plus room for the multipart envelope.
const MAX_BODY: usize = 26 * 1024 * 1024;

/// Registers `/v1/...` and `/_sim/openai/...`. Must come before the Graph catch-all and the
/// `/_sim` scope, which would otherwise claim these paths.
pub(crate) fn register(cfg: &mut ServiceConfig, handle: &SimHandle) {
    control::register(cfg, handle);
    let h = handle.clone();
    cfg.route(
        "/v1/chat/completions",
        web::post().to(move |req: HttpRequest, payload: web::Payload| {
            chat::completions(h.clone(), req, payload)
        }),
    );
    let h = handle.clone();
    cfg.route(
        "/v1/audio/transcriptions",
        web::post().to(move |req: HttpRequest, payload: web::Payload| {
            audio::transcriptions(h.clone(), req, payload)
        }),
    );
    let h = handle.clone();
    cfg.route(
        "/v1/audio/speech",
        web::post().to(move |req: HttpRequest, payload: web::Payload| {
            audio::speech(h.clone(), req, payload)
        }),
    );
}

async fn read_body(mut payload: web::Payload) -> Result<Bytes, OpenAiErr> {
    let mut buf = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            OpenAiErr::new(
                400,
                "invalid_request_error",
                format!("Could not read the request body: {e}"),
            )
        })?;
        if buf.len() + chunk.len() > MAX_BODY {
            return Err(OpenAiErr::new(
                413,
                "invalid_request_error",
                "Maximum content size limit (26214400) exceeded.",
            ));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

/// The bearer token of a request.
fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get("authorization")?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
        .filter(|t| !t.is_empty())
}

/// Logs a request; returns whether it carried the configured key.
fn record(handle: &SimHandle, req: &HttpRequest, endpoint: OpenAiEndpoint, body: Value) -> bool {
    let mut st = handle.lock();
    let authorized = bearer(req).is_some_and(|k| k == st.openai.api_key);
    st.openai.log(OpenAiRequest {
        endpoint,
        authorized,
        body,
    });
    authorized
}

/// OpenAI's 401s: no key, or a wrong one (masked in the message).
fn authenticate(req: &HttpRequest, authorized: bool) -> Result<(), OpenAiErr> {
    if authorized {
        return Ok(());
    }
    Err(bearer(req).map_or_else(OpenAiErr::no_key, |k| OpenAiErr::wrong_key(&k)))
}

#[cfg(test)]
mod tests;
