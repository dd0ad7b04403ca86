//! `/_sim/openai`: the OpenAI controls of [`SimHandle`] over JSON, for a running `meta-sim`
//! binary or the sandbox. Faults go through the shared `POST /_sim/faults` with an
//! `openai_*` endpoint.

use actix_web::{HttpResponse, web};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use serde_json::json;

use super::model::ScriptedChat;
use crate::SimHandle;

/// One answer or several.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    Many(Vec<ScriptedChat>),
    One(Box<ScriptedChat>),
}

#[derive(Debug, Deserialize)]
struct TranscriptReq {
    audio_base64: String,
    text: String,
}

#[derive(Debug, Deserialize)]
struct KeyReq {
    api_key: String,
}

fn ok() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "success": true }))
}

/// Registers the `/_sim/openai` scope.
pub(crate) fn register(cfg: &mut web::ServiceConfig, handle: &SimHandle) {
    let h = handle.clone();
    let mut scope = web::scope("/_sim/openai").route(
        "/script",
        web::post().to(move |body: web::Json<OneOrMany>| {
            let h = h.clone();
            async move {
                match body.into_inner() {
                    OneOrMany::Many(v) => h.push_chat_scripts(v),
                    OneOrMany::One(one) => h.push_chat_script(*one),
                }
                HttpResponse::Ok().json(json!({ "pending": h.pending_chat_scripts().len() }))
            }
        }),
    );
    let h = handle.clone();
    scope = scope.route(
        "/script",
        web::get().to(move || {
            let h = h.clone();
            async move { HttpResponse::Ok().json(h.pending_chat_scripts()) }
        }),
    );
    let h = handle.clone();
    scope = scope.route(
        "/script",
        web::delete().to(move || {
            let h = h.clone();
            async move {
                h.clear_chat_script();
                ok()
            }
        }),
    );
    let h = handle.clone();
    scope = scope.route(
        "/requests",
        web::get().to(move || {
            let h = h.clone();
            async move { HttpResponse::Ok().json(h.openai_requests()) }
        }),
    );
    let h = handle.clone();
    scope = scope.route(
        "/requests",
        web::delete().to(move || {
            let h = h.clone();
            async move {
                h.clear_openai_requests();
                ok()
            }
        }),
    );
    let h = handle.clone();
    scope = scope.route(
        "/transcripts",
        web::post().to(move |body: web::Json<TranscriptReq>| {
            let h = h.clone();
            async move {
                match STANDARD.decode(body.audio_base64.trim()) {
                    Ok(bytes) => {
                        h.register_transcript(&bytes, body.text.clone());
                        ok()
                    }
                    Err(e) => HttpResponse::BadRequest()
                        .json(json!({ "error": format!("audio_base64: {e}") })),
                }
            }
        }),
    );
    let h = handle.clone();
    scope = scope.route(
        "/key",
        web::post().to(move |body: web::Json<KeyReq>| {
            let h = h.clone();
            async move {
                h.set_openai_api_key(body.into_inner().api_key);
                ok()
            }
        }),
    );
    cfg.service(scope);
}
