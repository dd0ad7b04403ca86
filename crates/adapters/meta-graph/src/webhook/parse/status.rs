//! The delivery statuses of a `messages` change, and the `errors` arrays Meta attaches to
//! statuses and to the change itself.

use omni_domain::PhoneNumberId;
use omni_ports::meta::webhook::{DeliveryStatus, StatusUpdate, WebhookError};
use serde_json::Value;

use super::super::entry::EntryCtx;
use super::super::json::{array, int, text, time};

pub(super) fn status_update(
    ctx: &EntryCtx<'_>,
    pid: &PhoneNumberId,
    status: &Value,
) -> Result<StatusUpdate, &'static str> {
    let Some(s) = status.as_object() else {
        return Err("not an object");
    };
    let wamid = text(s.get("id")).filter(|x| !x.is_empty()).ok_or("no id")?;
    let raw = text(s.get("status"))
        .filter(|x| !x.is_empty())
        .ok_or("no status")?;
    let timestamp = s.get("timestamp").and_then(time).ok_or("no timestamp")?;
    let pricing = s.get("pricing");
    Ok(StatusUpdate {
        phone_number_id: pid.clone(),
        waba_id: ctx.id.clone(),
        wamid,
        status: DeliveryStatus::from_meta(&raw),
        timestamp,
        recipient_id: text(s.get("recipient_id")),
        recipient_user_id: text(s.get("recipient_user_id")),
        biz_opaque_callback_data: text(s.get("biz_opaque_callback_data")),
        pricing_category: text(pricing.and_then(|p| p.get("category"))),
        pricing_type: text(pricing.and_then(|p| p.get("type"))),
        pricing_model: text(pricing.and_then(|p| p.get("pricing_model"))),
        errors: errors(s.get("errors")),
    })
}

pub(super) fn errors(v: Option<&Value>) -> Vec<WebhookError> {
    array(v)
        .iter()
        .filter_map(Value::as_object)
        .map(|e| WebhookError {
            code: e.get("code").and_then(int).unwrap_or(0),
            title: text(e.get("title")),
            message: text(e.get("message")),
            details: text(e.get("error_data").and_then(|d| d.get("details"))),
        })
        .collect()
}
