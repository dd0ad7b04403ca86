//! Playing the customer: an inbound message described in a few fields
//! ([`CustomerMessage`]) becomes Meta's webhook body (built with [`super::payload`]), opens the
//! 24-hour customer service window and is delivered in the background — from Rust
//! ([`crate::SimHandle::customer_message`]) or over the control API:
//!
//! - `POST /_sim/webhooks/messages` — a [`CustomerMessage`] → `202 {"wamid", "delivery"}`
//! - `POST /_sim/webhooks/raw` — `{"url"?, "body": <any JSON>, "signature"?}` → `202 {"delivery"}`
//! - `GET /_sim/webhooks/deliveries` — the [`super::WebhookDelivery`] log; `DELETE` clears it
//! - `GET|POST /_sim/webhooks/target` — `{"url": string|null, "auto_statuses"?: bool}`
//!
//! Errors answer `{"error": "..."}`: 400 for a bad request or no webhook target, 404 for an
//! unknown phone number.

use actix_web::{HttpResponse, Scope, web};
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::deliver::WebhookError;
use super::payload::{SimCustomer, SimMessage, SimNumber, WebhookPayload};
use crate::SimHandle;
use crate::util::digits;

/// An inbound customer message to inject (`POST /_sim/webhooks/messages`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CustomerMessage {
    /// The business number written to (must be seeded).
    pub phone_number_id: String,
    /// The customer's phone number (`wa_id`; non-digits are dropped).
    pub from: String,
    /// The customer's profile name.
    #[serde(default)]
    pub name: Option<String>,
    /// The customer's BSUID, if any (`contacts[].user_id`, `from_user_id`).
    #[serde(default)]
    pub user_id: Option<String>,
    /// `text`, `image`, `audio`, `location`, `button_reply` or `list_reply`.
    #[serde(rename = "type")]
    pub kind: String,
    /// text: the message.
    #[serde(default)]
    pub body: Option<String>,
    /// image / audio: an existing sim media id...
    #[serde(default)]
    pub media_id: Option<String>,
    /// ...or the bytes, base64 (stored as sim media the product can download).
    #[serde(default)]
    pub bytes_base64: Option<String>,
    /// image / audio with `bytes_base64` (default `image/jpeg`, `audio/ogg; codecs=opus`).
    #[serde(default)]
    pub mime_type: Option<String>,
    /// image: caption.
    #[serde(default)]
    pub caption: Option<String>,
    /// audio: recorded with the voice recorder (default true).
    #[serde(default)]
    pub voice: Option<bool>,
    /// location.
    #[serde(default)]
    pub latitude: Option<f64>,
    /// location.
    #[serde(default)]
    pub longitude: Option<f64>,
    /// location: the place's name (`name` is the customer's).
    #[serde(default, alias = "place_name")]
    pub location_name: Option<String>,
    /// location: the place's address.
    #[serde(default)]
    pub address: Option<String>,
    /// button_reply / list_reply: the row or button id.
    #[serde(default)]
    pub id: Option<String>,
    /// button_reply / list_reply: its title.
    #[serde(default)]
    pub title: Option<String>,
    /// list_reply: the row description.
    #[serde(default)]
    pub description: Option<String>,
    /// The wamid of the business message this one replies to (`context`).
    #[serde(default)]
    pub context_id: Option<String>,
    /// Deliver here instead of the webhook target.
    #[serde(default)]
    pub url: Option<String>,
}

/// What [`crate::SimHandle::customer_message`] queued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InjectedMessage {
    /// The inbound message's wamid.
    pub wamid: String,
    /// The delivery id in [`crate::SimHandle::webhook_deliveries`].
    pub delivery: u64,
}

fn need<'a>(v: Option<&'a String>, what: &str, kind: &str) -> Result<&'a str, WebhookError> {
    v.map(String::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| WebhookError::Invalid(format!("missing field `{what}` for type {kind}")))
}

impl CustomerMessage {
    /// `(media id, mime type, sha256)` of the image / audio, storing `bytes_base64` first.
    fn media(
        &self,
        h: &SimHandle,
        default_mime: &str,
    ) -> Result<(String, String, String), WebhookError> {
        let id = match (&self.media_id, &self.bytes_base64) {
            (Some(id), _) => id.clone(),
            (None, Some(b64)) => {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(b64.trim())
                    .map_err(|e| WebhookError::Invalid(format!("bytes_base64: {e}")))?;
                let mime = self.mime_type.as_deref().unwrap_or(default_mime);
                h.put_media(&self.phone_number_id, bytes, mime)
            }
            (None, None) => {
                return Err(WebhookError::Invalid(format!(
                    "type {} needs `media_id` or `bytes_base64`",
                    self.kind
                )));
            }
        };
        let meta = h
            .media_meta(&id)
            .ok_or_else(|| WebhookError::Invalid(format!("unknown media_id {id}")))?;
        Ok((id, meta.mime_type, meta.sha256))
    }

    fn message(&self, h: &SimHandle) -> Result<SimMessage, WebhookError> {
        let kind = self.kind.as_str();
        let msg = match kind {
            "text" => SimMessage::text(need(self.body.as_ref(), "body", kind)?),
            "image" => {
                let (id, mime, sha) = self.media(h, "image/jpeg")?;
                SimMessage::image(&id, &mime, &sha, self.caption.as_deref())
            }
            "audio" => {
                let (id, mime, sha) = self.media(h, "audio/ogg; codecs=opus")?;
                SimMessage::audio(&id, &mime, &sha, self.voice.unwrap_or(true))
            }
            "location" => {
                let (Some(lat), Some(lon)) = (self.latitude, self.longitude) else {
                    return Err(WebhookError::Invalid(
                        "missing field `latitude` or `longitude` for type location".to_owned(),
                    ));
                };
                SimMessage::location(
                    lat,
                    lon,
                    self.location_name.as_deref(),
                    self.address.as_deref(),
                )
            }
            "button_reply" => SimMessage::button_reply(
                need(self.id.as_ref(), "id", kind)?,
                need(self.title.as_ref(), "title", kind)?,
            ),
            "list_reply" => SimMessage::list_reply(
                need(self.id.as_ref(), "id", kind)?,
                need(self.title.as_ref(), "title", kind)?,
                self.description.as_deref(),
            ),
            other => {
                return Err(WebhookError::Invalid(format!(
                    "unsupported type {other:?} (text, image, audio, location, button_reply, list_reply)"
                )));
            }
        };
        Ok(msg)
    }
}

impl SimHandle {
    /// Plays the customer: builds the webhook body of `msg`, opens the customer's 24-hour
    /// window and delivers the body in the background (signed, with retries) to `msg.url` or
    /// the webhook target.
    ///
    /// # Errors
    /// [`WebhookError::UnknownNumber`], [`WebhookError::Invalid`] (missing fields, bad media),
    /// [`WebhookError::NoTarget`], [`WebhookError::NoRuntime`].
    pub fn customer_message(&self, msg: &CustomerMessage) -> Result<InjectedMessage, WebhookError> {
        let waba_id = self
            .waba_of(&msg.phone_number_id)
            .ok_or_else(|| WebhookError::UnknownNumber(msg.phone_number_id.clone()))?;
        let display = self
            .number(&msg.phone_number_id)
            .map(|n| digits(&n.display_phone_number))
            .unwrap_or_default();
        let from = digits(&msg.from);
        if from.is_empty() {
            return Err(WebhookError::Invalid("missing field `from`".to_owned()));
        }
        if msg.url.is_none() && self.webhook_target().is_none() {
            return Err(WebhookError::NoTarget);
        }
        let mut message = msg.message(self)?.at(self.now().timestamp());
        if let Some(ctx) = msg.context_id.as_deref() {
            message = message.replying_to(&display, ctx);
        }
        let wamid = message.wamid().to_owned();
        let number = SimNumber::new(&waba_id, &msg.phone_number_id, &display);
        let mut customer = SimCustomer::new(&from, msg.name.as_deref().unwrap_or(""));
        if msg.name.is_none() {
            customer.name = None;
        }
        if let Some(u) = msg.user_id.as_deref() {
            customer = customer.with_user_id(u);
        }
        let payload = WebhookPayload::message(&number, &customer, message);
        let delivery = self.spawn_delivery(
            "message",
            msg.url.as_deref(),
            payload,
            Some(wamid.clone()),
            None,
        )?;
        Ok(InjectedMessage { wamid, delivery })
    }
}

fn error(e: &WebhookError) -> HttpResponse {
    let body = json!({ "error": e.to_string() });
    match e {
        WebhookError::UnknownNumber(_) => HttpResponse::NotFound().json(body),
        WebhookError::TargetLocked => HttpResponse::Forbidden().json(body),
        WebhookError::NoTarget | WebhookError::Invalid(_) => HttpResponse::BadRequest().json(body),
        WebhookError::NoRuntime | WebhookError::Client(_) => {
            HttpResponse::InternalServerError().json(body)
        }
    }
}

fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, WebhookError> {
    serde_json::from_slice(body)
        .map_err(|e| WebhookError::Invalid(format!("invalid request body: {e}")))
}

#[derive(Debug, Deserialize)]
struct RawReq {
    #[serde(default)]
    url: Option<String>,
    body: Value,
    #[serde(default)]
    signature: Option<String>,
}

#[derive(Debug, Deserialize)]
struct TargetReq {
    url: Option<String>,
    #[serde(default)]
    auto_statuses: Option<bool>,
}

fn target(h: &SimHandle) -> HttpResponse {
    let c = h.config();
    HttpResponse::Ok().json(json!({ "url": c.webhook_url, "auto_statuses": c.auto_statuses }))
}

/// Adds the `/webhooks/...` routes to the `/_sim` scope.
pub(crate) fn register(scope: Scope, handle: &SimHandle) -> Scope {
    let (h1, h2, h3, h4, h5, h6) = (
        handle.clone(),
        handle.clone(),
        handle.clone(),
        handle.clone(),
        handle.clone(),
        handle.clone(),
    );
    scope
        .route(
            "/webhooks/messages",
            web::post().to(move |body: web::Bytes| {
                let h = h1.clone();
                async move {
                    let msg: CustomerMessage = match parse(&body) {
                        Ok(m) => m,
                        Err(e) => return error(&e),
                    };
                    match h.customer_message(&msg) {
                        Ok(done) => HttpResponse::Accepted().json(done),
                        Err(e) => error(&e),
                    }
                }
            }),
        )
        .route(
            "/webhooks/raw",
            web::post().to(move |body: web::Bytes| {
                let h = h2.clone();
                async move {
                    let req: RawReq = match parse(&body) {
                        Ok(r) => r,
                        Err(e) => return error(&e),
                    };
                    match h.deliver_webhook(req.body, req.url.as_deref(), req.signature) {
                        Ok(id) => HttpResponse::Accepted().json(json!({ "delivery": id })),
                        Err(e) => error(&e),
                    }
                }
            }),
        )
        .route(
            "/webhooks/deliveries",
            web::get().to(move || {
                let h = h3.clone();
                async move { HttpResponse::Ok().json(h.webhook_deliveries()) }
            }),
        )
        .route(
            "/webhooks/deliveries",
            web::delete().to(move || {
                let h = h4.clone();
                async move {
                    h.clear_webhook_deliveries();
                    HttpResponse::Ok().json(json!({ "success": true }))
                }
            }),
        )
        .route(
            "/webhooks/target",
            web::get().to(move || {
                let h = h5.clone();
                async move { target(&h) }
            }),
        )
        .route(
            "/webhooks/target",
            web::post().to(move |body: web::Bytes| {
                let h = h6.clone();
                async move {
                    let req: TargetReq = match parse(&body) {
                        Ok(r) => r,
                        Err(e) => return error(&e),
                    };
                    if let Err(e) = h.set_webhook_target(req.url) {
                        return error(&e);
                    }
                    if let Some(on) = req.auto_statuses {
                        h.set_auto_statuses(on);
                    }
                    target(&h)
                }
            }),
        )
}
