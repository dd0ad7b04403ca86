//! `POST /{phone_number_id}/messages`: read receipts with typing indicators, and sends with
//! Meta's checks in Meta's order — payload, template existence and parameter count,
//! registration, deliverability, the 24-hour customer service window, per-number throughput.

use actix_web::HttpResponse;
use serde_json::{Map, Value, json};

use super::Req;
use super::auth;
use super::error::GraphErr;
use super::validate;
use crate::SimHandle;
use crate::model::{ReadReceipt, SentRecord};
use crate::state::SimState;
use crate::util::push_capped;
use crate::util::{digits, recipient_key, wamid};

const MESSAGING: &str = "whatsapp_business_messaging";

fn parse_body(r: &Req) -> Result<Map<String, Value>, GraphErr> {
    if r.content_type == "application/json" || r.content_type.is_empty() {
        match serde_json::from_slice::<Value>(&r.body) {
            Ok(Value::Object(m)) => Ok(m),
            _ => Err(GraphErr::invalid_param(
                "The request body is not a valid JSON object.",
            )),
        }
    } else {
        r.fields()
    }
}

/// The endpoint.
pub(crate) fn post(handle: &SimHandle, r: &Req, id: &str) -> Result<HttpResponse, GraphErr> {
    let mut st = handle.lock();
    auth::for_number(&st, r, id, MESSAGING)?;
    let body = parse_body(r)?;
    if body.get("messaging_product").and_then(Value::as_str) != Some("whatsapp") {
        return Err(GraphErr::invalid_param(
            "The parameter messaging_product is required and must be 'whatsapp'.",
        ));
    }
    if let Some(status) = body.get("status") {
        return read_receipt(&mut st, id, status, &body);
    }
    let response = send(&mut st, id, body)?;
    // Like Meta: `sent`, then `delivered`, to the webhook target, never on the request path.
    let job = crate::webhook::status_job(&mut st);
    drop(st);
    if let Some(job) = job {
        job.spawn(handle.clone());
    }
    Ok(response)
}

fn read_receipt(
    st: &mut SimState,
    id: &str,
    status: &Value,
    body: &Map<String, Value>,
) -> Result<HttpResponse, GraphErr> {
    if status.as_str() != Some("read") {
        return Err(GraphErr::invalid_param("Param status must be 'read'."));
    }
    let message_id = body.get("message_id").and_then(Value::as_str).unwrap_or("");
    if !message_id.starts_with("wamid.") || message_id.len() <= "wamid.".len() {
        return Err(GraphErr::bad_value(format!(
            "Invalid message_id: '{message_id}' is not a valid WhatsApp message id."
        )));
    }
    let typing = match body.get("typing_indicator") {
        None | Some(Value::Null) => false,
        Some(t) if t.get("type").and_then(Value::as_str) == Some("text") => true,
        Some(_) => {
            return Err(GraphErr::bad_value(
                "Param typing_indicator.type must be 'text'.",
            ));
        }
    };
    push_capped(
        &mut st.receipts,
        ReadReceipt {
            phone_number_id: id.to_owned(),
            message_id: message_id.to_owned(),
            typing,
        },
    );
    Ok(HttpResponse::Ok().json(json!({ "success": true })))
}

fn send(st: &mut SimState, id: &str, body: Map<String, Value>) -> Result<HttpResponse, GraphErr> {
    let to = recipient(&body)?;
    let kind = payload_kind(&body)?;
    let number = st
        .numbers
        .get(id)
        .cloned()
        .ok_or_else(|| GraphErr::no_object("post", id))?;
    if kind == "template" {
        template(
            st,
            &number.waba_id,
            body.get("template").unwrap_or(&Value::Null),
        )?;
    }
    deliverable(st, id, number.seed.registered, &kind, &to.key)?;
    let now = st.now();
    throttle(st, id, &to.key, now)?;
    Ok(accept(st, id, to, kind, body, now))
}

/// Who a send is addressed to: `to` (a phone number) or `recipient` (a BSUID).
struct To {
    /// As sent.
    input: String,
    /// `recipient` was used.
    is_bsuid: bool,
    /// The normalized key of the customer.
    key: String,
}

/// Reads and checks `to` / `recipient`.
fn recipient(body: &Map<String, Value>) -> Result<To, GraphErr> {
    let (input, is_bsuid) = match (
        body.get("to").and_then(Value::as_str),
        body.get("recipient").and_then(Value::as_str),
    ) {
        (Some(to), _) => (to.to_owned(), false),
        (None, Some(rcpt)) => (rcpt.to_owned(), true),
        (None, None) => return Err(GraphErr::invalid_param("Param to is required.")),
    };
    if !is_bsuid {
        let ok_chars = input
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c));
        let n = digits(&input).len();
        if !ok_chars || !(5..=20).contains(&n) {
            return Err(GraphErr::invalid_param(format!(
                "Param to '{input}' is not a valid phone number."
            )));
        }
    } else if input.is_empty() {
        return Err(GraphErr::invalid_param(
            "Param recipient must not be empty.",
        ));
    }
    let key = recipient_key(&input);
    Ok(To {
        input,
        is_bsuid,
        key,
    })
}

/// Checks the callback data, the `type` and its content object; the type.
fn payload_kind(body: &Map<String, Value>) -> Result<String, GraphErr> {
    if let Some(cb) = body.get("biz_opaque_callback_data")
        && cb.as_str().is_none_or(|s| s.len() > 512)
    {
        return Err(GraphErr::invalid_param(
            "Param biz_opaque_callback_data must be a string of at most 512 bytes.",
        ));
    }
    let kind = body
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("text")
        .to_owned();
    if !validate::TYPES.contains(&kind.as_str()) {
        return Err(GraphErr::invalid_param(format!(
            "Param type '{kind}' is not a valid message type."
        )));
    }
    validate::content(&kind, body)?;
    Ok(kind)
}

/// Registration, deliverability and (for non-templates) the 24-hour window.
fn deliverable(
    st: &SimState,
    id: &str,
    registered: bool,
    kind: &str,
    key: &str,
) -> Result<(), GraphErr> {
    if !registered {
        return Err(GraphErr::wa(
            400,
            133_010,
            "Account not registered",
            "The phone number is not registered on the WhatsApp Business Platform.",
        ));
    }
    if st.undeliverable.contains(key) {
        return Err(GraphErr::wa(
            400,
            131_026,
            "Message Undeliverable",
            "Message failed to send because the recipient may not be a WhatsApp user, has not \
             accepted the latest Terms of Service, or is using an old WhatsApp version.",
        ));
    }
    if kind != "template" && !st.window_open(id, key) {
        return Err(GraphErr::wa(
            400,
            131_047,
            "Re-engagement message",
            "Message failed to send because more than 24 hours have passed since the customer \
             last replied to this number.",
        )
        .subcode(2_494_055));
    }
    Ok(())
}

/// The number's messages per second and the pair rate; counts the send when both allow it.
fn throttle(
    st: &mut SimState,
    id: &str,
    key: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), GraphErr> {
    if let Some(n) = st.numbers.get_mut(id) {
        while n
            .recent_sends
            .front()
            .is_some_and(|t| now - *t >= chrono::Duration::seconds(1))
        {
            n.recent_sends.pop_front();
        }
        if n.recent_sends.len() >= usize::try_from(n.seed.max_mps).unwrap_or(usize::MAX) {
            return Err(GraphErr::throughput());
        }
    }
    pair_rate(st, id, key, now)?;
    if let Some(n) = st.numbers.get_mut(id) {
        n.recent_sends.push_back(now);
    }
    Ok(())
}

/// Records the accepted send and answers with its wamid.
fn accept(
    st: &mut SimState,
    id: &str,
    to: To,
    kind: String,
    body: Map<String, Value>,
    now: chrono::DateTime<chrono::Utc>,
) -> HttpResponse {
    let wamid = wamid(&to.key);
    let contact = if to.is_bsuid {
        json!({ "input": to.input, "user_id": to.input })
    } else {
        json!({ "input": to.input, "wa_id": to.key })
    };
    let mut message = json!({ "id": wamid });
    if kind == "template" {
        message["message_status"] = json!("accepted");
    }
    push_capped(
        &mut st.sent,
        SentRecord {
            wamid,
            phone_number_id: id.to_owned(),
            to: to.input,
            kind,
            body: Value::Object(body),
            at: now,
        },
    );
    HttpResponse::Ok().json(json!({
        "messaging_product": "whatsapp",
        "contacts": [contact],
        "messages": [message],
    }))
}

fn template(st: &SimState, waba_id: &str, t: &Value) -> Result<(), GraphErr> {
    let name = t.get("name").and_then(Value::as_str).unwrap_or("");
    let lang = t
        .pointer("/language/code")
        .and_then(Value::as_str)
        .unwrap_or("");
    if name.is_empty() || lang.is_empty() {
        return Err(GraphErr::invalid_param(
            "Params template['name'] and template['language']['code'] are required.",
        ));
    }
    let missing = || {
        GraphErr::wa(
            400,
            132_001,
            "Template name does not exist in the translation",
            format!("template name ({name}) does not exist in {lang}"),
        )
    };
    let stored = st
        .wabas
        .get(waba_id)
        .and_then(|w| {
            w.templates
                .iter()
                .find(|x| x.seed.name == name && x.seed.language == lang)
        })
        .ok_or_else(missing)?;
    match stored.seed.status.as_str() {
        "APPROVED" => {}
        "PAUSED" => {
            return Err(GraphErr::wa(
                400,
                132_015,
                "Template is Paused",
                format!("Template {name} is paused due to low quality."),
            ));
        }
        "DISABLED" => {
            return Err(GraphErr::wa(
                400,
                132_016,
                "Template is disabled",
                format!("Template {name} has been disabled due to low quality."),
            ));
        }
        _ => return Err(missing()),
    }
    let expected = stored
        .seed
        .components
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| {
            c.get("type")
                .and_then(Value::as_str)
                .is_some_and(|k| k.eq_ignore_ascii_case("body"))
        })
        .filter_map(|c| c.get("text").and_then(Value::as_str))
        .map(validate::placeholders)
        .sum::<usize>();
    let given = t
        .get("components")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|c| {
            c.get("type")
                .and_then(Value::as_str)
                .is_some_and(|k| k.eq_ignore_ascii_case("body"))
        })
        .map(|c| {
            c.get("parameters")
                .and_then(Value::as_array)
                .map_or(0, Vec::len)
        })
        .sum::<usize>();
    if expected != given {
        return Err(GraphErr::wa(
            400,
            132_000,
            "Number of parameters does not match the expected number of params",
            format!(
                "body: number of localizable_params ({given}) does not match the expected number of params ({expected})"
            ),
        ));
    }
    Ok(())
}

/// Meta's pair rate limit as a token bucket per (number, recipient): `pair_rate_burst`
/// messages at once, then one more every `pair_rate_interval` (simulated time).
fn pair_rate(
    st: &mut SimState,
    id: &str,
    recipient: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), GraphErr> {
    let burst = f64::from(st.config.pair_rate_burst);
    let interval = st.config.pair_rate_interval.as_secs_f64();
    if burst == 0.0 || interval <= 0.0 {
        return Ok(());
    }
    let Some(n) = st.numbers.get_mut(id) else {
        return Ok(());
    };
    let (tokens, at) = n
        .pair_budget
        .entry(recipient.to_owned())
        .or_insert((burst, now));
    let elapsed = (now - *at).to_std().map_or(0.0, |d| d.as_secs_f64());
    *tokens = (*tokens + elapsed / interval).min(burst);
    *at = now;
    if *tokens < 1.0 {
        return Err(GraphErr::wa(
            400,
            131_056,
            "(Business Account, Consumer Account) pair rate limit hit",
            "Message failed to send because there were too many messages sent from this phone \
             number to the same phone number in a short period of time.",
        ));
    }
    *tokens -= 1.0;
    Ok(())
}
