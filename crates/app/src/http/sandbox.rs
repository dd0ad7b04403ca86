//! The sandbox's routes: the simulator mounted at [`crate::sandbox::PREFIX`], and the customer panel's
//! API. They exist only while the sandbox runs; with a Meta app configured, `GET /api/sandbox`
//! answers `{"enabled": false}` and nothing else here is mounted.
//!
//! - `GET /api/sandbox` (public): whether the sandbox runs, the demo email, the demo customer
//!   and the samples.
//! - `POST /api/sandbox/customer` (owner token, `?store_id=`): plays the customer. The message
//!   goes to the simulator, which signs it with the app secret and POSTs it to the real
//!   `/api/webhooks/whatsapp`, as Meta does; 202 `{wamid, phone_number_id, from}`.
//! - `GET /api/sandbox/customer/conversation?from=` (owner token): what the customer sent and
//!   what the simulated Meta accepted from the store for them, oldest first.
//! - `{PREFIX}/_sim/...` (owner token): the simulator's control API; its webhook deliveries go
//!   to this process's own webhook only.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use omni_domain::{PhoneNumber, Store, WhatsappAccount};
use omni_meta_sim::webhook::CustomerMessage;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::http::ApiError;
use crate::http::AppState;
use crate::http::owner::OwnerCtx;
use crate::sandbox::{SAMPLE_SCREENSHOT, SAMPLE_VOICE_TEXT, Sandbox, Sent};

/// Registers the sandbox routes (`/api/sandbox` always; the rest only with a sandbox).
pub fn configure(cfg: &mut web::ServiceConfig, sandbox: Option<&Sandbox>) {
    cfg.route("/api/sandbox", web::get().to(status));
    let Some(sandbox) = sandbox else {
        return;
    };
    cfg.route("/api/sandbox/customer", web::post().to(send))
        .route(
            "/api/sandbox/customer/conversation",
            web::get().to(conversation),
        )
        .service(
            web::scope(crate::sandbox::PREFIX)
                .wrap(actix_web::middleware::from_fn(control_needs_owner))
                .configure(omni_meta_sim::configure(sandbox.sim().clone())),
        );
}

/// The simulator's control routes (`{PREFIX}/_sim/...`: every Graph call's headers, message
/// injection into any store, every store's sends, webhook deliveries) answer only an owner's
/// bearer token; the Graph API, dialog and media routes under the prefix stay as Meta's are
/// (their own tokens and codes guard them).
async fn control_needs_owner(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    use actix_web::FromRequest as _;
    let control = req
        .path()
        .strip_prefix(crate::sandbox::PREFIX)
        .is_some_and(|rest| rest == "/_sim" || rest.starts_with("/_sim/"));
    let req = if control {
        let (http, mut payload) = req.into_parts();
        if let Err(e) = OwnerCtx::from_request(&http, &mut payload).await {
            return Ok(actix_web::dev::ServiceResponse::from_err(e, http));
        }
        actix_web::dev::ServiceRequest::from_parts(http, payload)
    } else {
        req
    };
    Ok(next.call(req).await?.map_into_boxed_body())
}

fn sandbox(state: &AppState) -> Result<&Sandbox, ApiError> {
    state.sandbox.as_ref().ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "sandbox_off",
            "the sandbox runs only without a Meta app",
        )
    })
}

async fn status(state: web::Data<AppState>) -> HttpResponse {
    let Some(sb) = state.sandbox.as_ref() else {
        return HttpResponse::Ok().json(json!({ "enabled": false }));
    };
    let (phone, name) = Sandbox::customer();
    HttpResponse::Ok().json(json!({
        "enabled": true,
        "demo_email": sb.demo_email(),
        "customer": { "phone": phone, "name": name },
        "samples": [
            { "id": "voice_note", "label": format!("Voice note: \"{SAMPLE_VOICE_TEXT}\"") },
            { "id": "payment_screenshot", "label": "Payment screenshot (JazzCash, Rs 800)" },
        ],
    }))
}

/// What the panel sends.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CustomerBody {
    #[serde(rename = "type")]
    kind: String,
    from: Option<String>,
    name: Option<String>,
    phone_number_id: Option<String>,
    body: Option<String>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    address: Option<String>,
    id: Option<String>,
    title: Option<String>,
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "invalid_message", message)
}

/// The customer's wa_id (digits) from what the panel typed; the demo customer by default.
fn customer_digits(raw: Option<&str>) -> Result<String, ApiError> {
    let raw = raw
        .filter(|s| !s.trim().is_empty())
        .unwrap_or(crate::sandbox::CUSTOMER_PHONE);
    let phone = PhoneNumber::parse(raw).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_phone",
            "`from` must be a phone number, e.g. +923001234567 or 0300 1234567",
        )
    })?;
    Ok(phone.as_str().trim_start_matches('+').to_owned())
}

fn required(v: Option<&String>, what: &str, kind: &str) -> Result<String, ApiError> {
    v.map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| invalid(format!("`{what}` is required for type {kind}")))
}

/// The store's number the customer writes to: the one asked for, else the one the store
/// sends from.
async fn account_for(
    state: &AppState,
    store: &Store,
    asked: Option<&str>,
) -> Result<WhatsappAccount, ApiError> {
    let accounts = state
        .services
        .ports
        .central
        .list_accounts(store.id)
        .await
        .map_err(ApiError::from)?;
    let found = match asked {
        Some(id) => accounts
            .iter()
            .find(|a| a.phone_number_id.as_str() == id && a.is_active()),
        None => store.active_whatsapp_account(&accounts),
    };
    found.cloned().ok_or_else(|| {
        ApiError::new(
            StatusCode::CONFLICT,
            "no_account",
            "the store has no active WhatsApp number: connect one first (Accounts, Connect)",
        )
    })
}

async fn send(
    state: web::Data<AppState>,
    ctx: OwnerCtx,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let sb = sandbox(&state)?;
    let store = ctx.store()?;
    let b: CustomerBody = serde_json::from_slice(&body)
        .map_err(|e| invalid(format!("the body is not a customer message: {e}")))?;
    let from = customer_digits(b.from.as_deref())?;
    let account = account_for(&state, store, b.phone_number_id.as_deref()).await?;
    let pnid = account.phone_number_id.as_str().to_owned();
    if sb.sim().number(&pnid).is_none() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "not_a_sandbox_number",
            "this number was not connected through the sandbox",
        ));
    }
    let name = b.name.clone().filter(|n| !n.trim().is_empty());
    let mut msg = CustomerMessage {
        phone_number_id: pnid.clone(),
        from: from.clone(),
        name: Some(name.unwrap_or_else(|| Sandbox::customer().1.to_owned())),
        ..CustomerMessage::default()
    };
    let (kind, text): (&'static str, Option<String>) = match b.kind.as_str() {
        "text" => {
            let body = required(b.body.as_ref(), "body", "text")?;
            if body.chars().count() > 4096 {
                return Err(invalid("a text is at most 4096 characters"));
            }
            msg.body = Some(body.clone());
            ("text", Some(body))
        }
        "voice_note" => {
            let clip = omni_meta_sim::openai::voice_clip(SAMPLE_VOICE_TEXT);
            msg.media_id = Some(sb.sim().put_media(&pnid, clip, "audio/ogg; codecs=opus"));
            msg.voice = Some(true);
            ("audio", Some(SAMPLE_VOICE_TEXT.to_owned()))
        }
        "payment_screenshot" => {
            msg.media_id = Some(
                sb.sim()
                    .put_media(&pnid, SAMPLE_SCREENSHOT.to_vec(), "image/png"),
            );
            ("image", None)
        }
        "location" => {
            let (Some(lat), Some(lon)) = (b.latitude, b.longitude) else {
                return Err(invalid(
                    "`latitude` and `longitude` are required for type location",
                ));
            };
            if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
                return Err(invalid(
                    "`latitude` must be within ±90 and `longitude` within ±180",
                ));
            }
            msg.latitude = Some(lat);
            msg.longitude = Some(lon);
            msg.location_name = b.name.clone();
            msg.address = b.address.clone();
            // `name` above is the place here; the customer keeps the demo name.
            msg.name = Some(Sandbox::customer().1.to_owned());
            let place = b
                .address
                .clone()
                .or_else(|| Some(format!("{lat:.5}, {lon:.5}")));
            ("location", place)
        }
        "button_reply" | "list_reply" => {
            let kind = if b.kind == "button_reply" {
                "button_reply"
            } else {
                "list_reply"
            };
            msg.id = Some(required(b.id.as_ref(), "id", kind)?);
            let title = required(b.title.as_ref(), "title", kind)?;
            msg.title = Some(title.clone());
            (kind, Some(title))
        }
        other => {
            return Err(invalid(format!(
                "unknown type {other:?}: text, voice_note, payment_screenshot, location, \
                 button_reply or list_reply"
            )));
        }
    };
    msg.kind = kind.to_owned();
    let injected = sb.sim().customer_message(&msg).map_err(|e| {
        tracing::error!(error = %e, "sandbox: the simulator could not deliver");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "sandbox_unavailable",
            "the simulator could not deliver the message",
        )
    })?;
    sb.record(Sent {
        store: store.id,
        phone_number_id: pnid.clone(),
        from: from.clone(),
        wamid: injected.wamid.clone(),
        at: sb.sim().now(),
        kind,
        text,
    });
    Ok(HttpResponse::Accepted().json(json!({
        "wamid": injected.wamid,
        "phone_number_id": pnid,
        "from": format!("+{from}"),
    })))
}

#[derive(Debug, Deserialize)]
struct ConversationQuery {
    from: Option<String>,
}

/// One outbound message as the panel draws it, from the request body Meta accepted.
fn outbound_view(body: &Value) -> Value {
    let kind = body["type"].as_str().unwrap_or("unknown");
    let mut view = json!({
        "type": kind,
        "text": Value::Null,
        "buttons": [],
        "list": Value::Null,
        "location_request": false,
        "media": Value::Null,
    });
    match kind {
        "text" => view["text"] = body["text"]["body"].clone(),
        "interactive" => {
            let i = &body["interactive"];
            view["text"] = i["body"]["text"].clone();
            match i["type"].as_str() {
                Some("button") => {
                    view["buttons"] = Value::Array(
                        i["action"]["buttons"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .map(
                                |b| json!({ "id": b["reply"]["id"], "title": b["reply"]["title"] }),
                            )
                            .collect(),
                    );
                }
                Some("list") => {
                    view["list"] = json!({
                        "button": i["action"]["button"],
                        "sections": i["action"]["sections"],
                    });
                }
                Some("location_request_message") => view["location_request"] = json!(true),
                _ => {}
            }
        }
        "image" | "audio" | "document" | "video" => {
            view["media"] = json!({ "kind": kind, "caption": body[kind]["caption"] });
        }
        "template" => {
            view["text"] = json!(format!(
                "Template {}",
                body["template"]["name"].as_str().unwrap_or("?")
            ));
        }
        _ => {}
    }
    view
}

async fn conversation(
    state: web::Data<AppState>,
    ctx: OwnerCtx,
    query: web::Query<ConversationQuery>,
) -> Result<HttpResponse, ApiError> {
    let sb = sandbox(&state)?;
    let store = ctx.store()?;
    let from = customer_digits(query.from.as_deref())?;
    let accounts = state
        .services
        .ports
        .central
        .list_accounts(store.id)
        .await
        .map_err(ApiError::from)?;
    let numbers: Vec<&str> = accounts
        .iter()
        .map(|a| a.phone_number_id.as_str())
        .collect();
    let mut messages: Vec<(chrono::DateTime<chrono::Utc>, Value)> = sb
        .sent_by(store.id, &from)
        .into_iter()
        .map(|s| {
            let media = match s.kind {
                "image" => json!({ "kind": "image", "caption": "Payment screenshot" }),
                "audio" => json!({ "kind": "audio", "caption": "Voice note" }),
                _ => Value::Null,
            };
            (
                s.at,
                json!({
                    "direction": "inbound",
                    "wamid": s.wamid,
                    "at": s.at,
                    "type": s.kind,
                    "text": s.text,
                    "buttons": [],
                    "list": Value::Null,
                    "location_request": false,
                    "media": media,
                }),
            )
        })
        .collect();
    for record in sb.sim().sent_messages() {
        let to: String = record.to.chars().filter(char::is_ascii_digit).collect();
        if to != from || !numbers.contains(&record.phone_number_id.as_str()) {
            continue;
        }
        let mut view = outbound_view(&record.body);
        view["direction"] = json!("outbound");
        view["wamid"] = json!(record.wamid);
        view["at"] = json!(record.at);
        messages.push((record.at, view));
    }
    messages.sort_by_key(|(at, _)| *at);
    let skip = messages.len().saturating_sub(200);
    let phone_number_id = store
        .active_whatsapp_account(&accounts)
        .map(|a| a.phone_number_id.as_str().to_owned());
    Ok(HttpResponse::Ok().json(json!({
        "phone_number_id": phone_number_id,
        "from": format!("+{from}"),
        "messages": messages.into_iter().skip(skip).map(|(_, v)| v).collect::<Vec<_>>(),
    })))
}
