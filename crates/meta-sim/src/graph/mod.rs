//! The Graph API surface: one dispatcher receives every `/{version}/...` request, logs it,
//! classifies it (for fault injection), applies faults, then routes it by path shape and by
//! what the id in the path is (WABA, phone number, media) — the way Graph resolves node ids.

mod accounts;
mod auth;
pub(crate) mod error;
mod faults;
mod media;
mod messages;
mod oauth;
mod templates;
mod validate;

use std::collections::HashMap;

use actix_web::http::Method;
use actix_web::web::{self, Bytes, BytesMut};
use actix_web::{HttpRequest, HttpResponse};
use futures_util::StreamExt as _;
use serde_json::{Map, Value};

use crate::SimHandle;
use crate::fault::Endpoint;
use crate::model::RequestRecord;
use crate::state::SimState;
use error::GraphErr;

pub(crate) use media::download as media_download;

/// Largest request body read (documents may be 100 MB; multipart adds a little).
const MAX_BODY: usize = 101 * 1024 * 1024;

/// A parsed Graph request.
#[derive(Debug)]
pub(crate) struct Req {
    pub method: Method,
    /// Path segments after the version.
    pub segs: Vec<String>,
    /// Query and (for url-encoded bodies) form parameters; form wins.
    pub params: HashMap<String, String>,
    pub body: Bytes,
    /// Lowercase MIME essence of `Content-Type`.
    pub content_type: String,
    pub headers: actix_web::http::header::HeaderMap,
    /// Access token from `Authorization` or the `access_token` parameter.
    pub token: Option<String>,
    pub body_too_large: bool,
}

impl Req {
    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    /// The body as a JSON object (JSON bodies), or the parameters as strings (others).
    pub(crate) fn fields(&self) -> Result<Map<String, Value>, GraphErr> {
        if self.content_type == "application/json" {
            if self.body.is_empty() {
                return Ok(Map::new());
            }
            return match serde_json::from_slice::<Value>(&self.body) {
                Ok(Value::Object(map)) => Ok(map),
                _ => Err(GraphErr::invalid_param(
                    "The request body is not a valid JSON object.",
                )),
            };
        }
        Ok(self
            .params
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "access_token" | "appsecret_proof"))
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect())
    }
}

fn parse_pairs(raw: &str) -> HashMap<String, String> {
    web::Query::<Vec<(String, String)>>::from_query(raw)
        .map(|q| q.into_inner().into_iter().collect())
        .unwrap_or_default()
}

async fn read_body(mut payload: web::Payload) -> (Bytes, bool) {
    let mut buf = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let Ok(chunk) = chunk else { break };
        if buf.len() + chunk.len() > MAX_BODY {
            return (Bytes::new(), true);
        }
        buf.extend_from_slice(&chunk);
    }
    (buf.freeze(), false)
}

/// Logs a request, noting where an `access_token` parameter was.
pub(crate) fn log(handle: &SimHandle, req: &HttpRequest, form_token: bool) {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let query = req.query_string().to_owned();
    let in_query = parse_pairs(&query).contains_key("access_token");
    let record = RequestRecord {
        method: req.method().to_string(),
        path: req.path().to_owned(),
        query,
        authorization: header("authorization"),
        content_type: header("content-type"),
        access_token_param: if in_query {
            Some("query".to_owned())
        } else if form_token {
            Some("form".to_owned())
        } else {
            None
        },
    };
    handle.lock().log_request(record);
}

/// Bearer (or `OAuth`) token from the `Authorization` header.
pub(crate) fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get("authorization")?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("oauth"))
        .then(|| token.trim().to_owned())
        .filter(|t| !t.is_empty())
}

/// Entry point for `/{version}/{tail}`.
pub(crate) async fn dispatch(
    handle: SimHandle,
    req: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    let (body, body_too_large) = read_body(payload).await;
    let content_type = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    let mut params = parse_pairs(req.query_string());
    let mut form_token = false;
    if content_type == "application/x-www-form-urlencoded" {
        let form = parse_pairs(&String::from_utf8_lossy(&body));
        form_token = form.contains_key("access_token");
        params.extend(form);
    }
    log(&handle, &req, form_token);

    let version = req.match_info().get("v").unwrap_or("").to_owned();
    let tail = req.match_info().get("tail").unwrap_or("");
    let segs: Vec<String> = tail
        .split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    let token = bearer(&req).or_else(|| params.get("access_token").cloned());
    let r = Req {
        method: req.method().clone(),
        segs,
        params,
        body,
        content_type,
        headers: req.headers().clone(),
        token,
        body_too_large,
    };
    if version != handle.lock().config.graph_version {
        return GraphErr::unsupported(r.method.as_str()).response();
    }
    let is_dialog = r.segs.first().is_some_and(|s| s == "dialog");
    if !is_dialog {
        let endpoint = classify(&handle.lock(), &r);
        if let Some(resp) = faults::apply(&handle, endpoint).await {
            return resp;
        }
    }
    match route(&handle, &r).await {
        Ok(resp) => resp,
        Err(e) => e.response(),
    }
}

/// Which fault endpoint a request belongs to.
fn classify(st: &SimState, r: &Req) -> Option<Endpoint> {
    let segs: Vec<&str> = r.segs.iter().map(String::as_str).collect();
    match segs.as_slice() {
        ["oauth", "access_token"] => Some(Endpoint::OAuthToken),
        ["debug_token"] => Some(Endpoint::DebugToken),
        [_, "phone_numbers"] => Some(Endpoint::PhoneNumbers),
        [_, "subscribed_apps"] => Some(Endpoint::SubscribedApps),
        [_, "register" | "deregister"] => Some(Endpoint::Register),
        [_, "messages"] => Some(Endpoint::Messages),
        [_, "media"] => Some(Endpoint::MediaUpload),
        [_, "message_templates"] => Some(Endpoint::Templates),
        [id] if st.numbers.contains_key(*id) => Some(Endpoint::PhoneNumbers),
        [id] if st.media.contains_key(*id) => Some(Endpoint::MediaInfo),
        _ => None,
    }
}

async fn route(handle: &SimHandle, r: &Req) -> Result<HttpResponse, GraphErr> {
    let segs: Vec<&str> = r.segs.iter().map(String::as_str).collect();
    let m = r.method.as_str();
    match (segs.as_slice(), m) {
        (["dialog", "oauth"], "GET") => Ok(oauth::dialog(handle, r)),
        (["dialog", "oauth", "decision"], "POST") => Ok(oauth::decision(handle, r)),
        (["oauth", "access_token"], "GET" | "POST") => oauth::access_token(handle, r),
        (["debug_token"], "GET") => oauth::debug_token(handle, r),
        (["me"], "GET") => oauth::me(handle, r),
        ([id, "phone_numbers"], "GET") => accounts::list_numbers(handle, r, id),
        ([id, "subscribed_apps"], _) => accounts::subscribed_apps(handle, r, id),
        ([id, "register"], "POST") => accounts::register(handle, r, id, true),
        ([id, "deregister"], "POST") => accounts::register(handle, r, id, false),
        ([id, "messages"], "POST") => messages::post(handle, r, id),
        ([id, "media"], "POST") => media::upload(handle, r, id).await,
        ([id, "message_templates"], _) => templates::handle(handle, r, id),
        ([id], _) => node(handle, r, id),
        _ => Err(GraphErr::unsupported(m)),
    }
}

/// `/{id}`: a phone number, a media object or a WABA.
fn node(handle: &SimHandle, r: &Req, id: &str) -> Result<HttpResponse, GraphErr> {
    let (is_number, is_media, is_waba) = {
        let st = handle.lock();
        (
            st.numbers.contains_key(id),
            st.media.contains_key(id),
            st.wabas.contains_key(id),
        )
    };
    match r.method.as_str() {
        "GET" if is_number => accounts::get_number(handle, r, id),
        "POST" if is_number => accounts::update_number(handle, r, id),
        "GET" if is_media => media::info(handle, r, id),
        "DELETE" if is_media => media::delete(handle, r, id),
        "GET" if is_waba => accounts::get_waba(handle, r, id),
        m => {
            // Authenticate first, as Graph does: a bad token is reported before a bad id.
            auth::authenticate(&handle.lock(), r)?;
            Err(GraphErr::no_object(m, id))
        }
    }
}

/// Fallback for paths outside `/{version}/...`.
pub(crate) async fn fallback(handle: SimHandle, req: HttpRequest) -> HttpResponse {
    log(&handle, &req, false);
    GraphErr::unsupported(req.method().as_str()).response()
}
