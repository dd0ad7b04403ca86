//! Meta's webhook JSON → [`WebhookBatch`].
//!
//! Walks a `serde_json::Value` by hand rather than deriving structs: one field of an
//! unexpected type (a number where a string was documented, a `null`) must cost at most that
//! field, never the change or the batch. Strings are read leniently (JSON numbers become their
//! digits: `message_template_id` is a number, most ids are strings). Only a body that is not a
//! JSON object with `object` and an `entry` array is an error; a message or status without an
//! id or a usable timestamp, a message with neither `from` nor `from_user_id` (nor a matching
//! contact), or a messages change without a valid `phone_number_id`, is skipped with a warning
//! and counted in [`WebhookBatch::skipped`].
//!
//! Sections: the walk over entries and changes (here), [`message`] (one inbound message and
//! its parts), [`status`] (delivery statuses and their errors); the management fields are in
//! `webhook::management`.

mod message;
mod status;

use omni_domain::PhoneNumberId;
use omni_ports::meta::webhook::{ValueErrors, WebhookBatch, WebhookEvent};
use serde_json::{Map, Value};

use super::entry::EntryCtx;
use super::json::{array, int, text};
use super::management::{
    account_alert, account_update, capability_update, name_update, quality_update, review_update,
    template_status,
};
use message::{Contacts, inbound};
use status::{errors, status_update};

/// A body that is not a webhook at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookParseError {
    /// Not JSON (or nested deeper than serde_json's limit of 128).
    #[error("webhook body is not JSON: {0}")]
    NotJson(String),
    /// JSON, but not an object.
    #[error("webhook body is not a JSON object")]
    NotAnObject,
    /// No string `object`.
    #[error("webhook body has no `object`")]
    MissingObject,
    /// No `entry` array.
    #[error("webhook body has no `entry` array")]
    MissingEntry,
}

/// Parses a webhook body (the exact bytes whose signature was checked).
///
/// # Errors
/// Only when the body is not a JSON object with a string `object` and an `entry` array.
/// Everything inside is best effort; see the module docs.
pub fn parse_webhook(body: &[u8]) -> Result<WebhookBatch, WebhookParseError> {
    let root: Value =
        serde_json::from_slice(body).map_err(|e| WebhookParseError::NotJson(e.to_string()))?;
    let Value::Object(root) = root else {
        return Err(WebhookParseError::NotAnObject);
    };
    let object = root
        .get("object")
        .and_then(Value::as_str)
        .ok_or(WebhookParseError::MissingObject)?
        .to_owned();
    let entries = root
        .get("entry")
        .and_then(Value::as_array)
        .ok_or(WebhookParseError::MissingEntry)?;

    let mut out = Parsed::default();
    for entry in entries {
        out.entry(entry);
    }
    Ok(WebhookBatch {
        object,
        events: out.events,
        skipped: out.skipped,
    })
}

#[derive(Default)]
struct Parsed {
    events: Vec<WebhookEvent>,
    skipped: usize,
}

impl Parsed {
    fn skip(&mut self, what: &str, why: &str) {
        tracing::warn!(what, why, "skipping an unusable part of a webhook");
        self.skipped += 1;
    }

    fn entry(&mut self, entry: &Value) {
        let Some(entry) = entry.as_object() else {
            self.skip("entry", "not an object");
            return;
        };
        let id = text(entry.get("id")).unwrap_or_default();
        let time = entry.get("time").and_then(int);
        let Some(changes) = entry.get("changes").and_then(Value::as_array) else {
            // An entry without changes carries nothing (Messenger-style `messaging` is not
            // WhatsApp's); count it so it shows up.
            self.skip("entry", "no changes array");
            return;
        };
        for change in changes {
            let Some(field) = change.get("field").and_then(Value::as_str) else {
                self.skip("change", "no field");
                continue;
            };
            let value = change.get("value").unwrap_or(&Value::Null);
            let ctx = EntryCtx {
                id: id.clone(),
                time,
                field,
                value,
            };
            self.change(&ctx);
        }
    }

    fn change(&mut self, ctx: &EntryCtx<'_>) {
        let Some(value) = ctx.value.as_object() else {
            // Keep it: an unknown shape of a (possibly new) field is still information.
            self.events.push(ctx.other());
            return;
        };
        let event = match ctx.field {
            "messages" => {
                self.messages(ctx, value);
                return;
            }
            "phone_number_quality_update" => quality_update(ctx, value),
            "business_capability_update" => capability_update(ctx, value),
            "account_update" => account_update(ctx, value),
            "account_review_update" => review_update(ctx, value),
            "account_alerts" => account_alert(ctx, value),
            "message_template_status_update" => template_status(ctx, value),
            "phone_number_name_update" => name_update(ctx, value),
            _ => None,
        };
        self.events.push(event.unwrap_or_else(|| ctx.other()));
    }

    fn messages(&mut self, ctx: &EntryCtx<'_>, value: &Map<String, Value>) {
        let metadata = value.get("metadata");
        let pid = text(metadata.and_then(|m| m.get("phone_number_id")))
            .and_then(|p| PhoneNumberId::parse(&p).ok());
        let display =
            text(metadata.and_then(|m| m.get("display_phone_number"))).unwrap_or_default();
        let messages = array(value.get("messages"));
        let statuses = array(value.get("statuses"));
        let errors = errors(value.get("errors"));
        let Some(pid) = pid else {
            let lost = messages.len() + statuses.len() + usize::from(!errors.is_empty());
            for _ in 0..lost.max(1) {
                self.skip("messages change", "no valid metadata.phone_number_id");
            }
            return;
        };
        let contacts = Contacts::new(array(value.get("contacts")));
        for message in messages {
            match inbound(ctx, &pid, &display, &contacts, message) {
                Ok(m) => self.events.push(WebhookEvent::Message(Box::new(m))),
                Err(why) => self.skip("message", why),
            }
        }
        for status in statuses {
            match status_update(ctx, &pid, status) {
                Ok(s) => self.events.push(WebhookEvent::Status(s)),
                Err(why) => self.skip("status", why),
            }
        }
        if !errors.is_empty() {
            self.events.push(WebhookEvent::ValueErrors(ValueErrors {
                phone_number_id: pid.clone(),
                waba_id: ctx.id.clone(),
                errors,
                origin: ctx.origin(),
            }));
        }
    }
}

#[cfg(test)]
mod tests;
