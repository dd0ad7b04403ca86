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

use omni_domain::{MessageBody, PhoneNumberId};
use omni_ports::meta::webhook::{
    ChangeOrigin, DeliveryStatus, InboundMedia, InboundMessage, MessageContext, OtherChange,
    Referral, StatusUpdate, ValueErrors, WebhookBatch, WebhookError, WebhookEvent,
};
use serde_json::{Map, Value};
use std::collections::HashMap;

use super::json::{array, float, int, text, time, value_digest};
use super::management::{
    account_alert, account_update, capability_update, name_update, quality_update, review_update,
    template_status,
};

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

/// What every change of an entry shares.
pub(super) struct EntryCtx<'a> {
    /// `entry.id`: the WABA for most fields.
    pub(super) id: String,
    time: Option<i64>,
    field: &'a str,
    value: &'a Value,
}

impl EntryCtx<'_> {
    pub(super) fn origin(&self) -> ChangeOrigin {
        ChangeOrigin {
            field: self.field.to_owned(),
            entry_id: self.id.clone(),
            entry_time: self.time,
            value_digest: value_digest(self.value),
        }
    }

    fn other(&self) -> WebhookEvent {
        WebhookEvent::Other(OtherChange {
            waba_id: self.id.clone(),
            value: self.value.clone(),
            origin: self.origin(),
        })
    }
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

// --- messages ---------------------------------------------------------------------------------

/// A change's `contacts`, indexed once: looking each message's sender up by scanning them all
/// made a signed batch of many messages and contacts quadratic (minutes for a 2.5 MB body, on
/// the request path; found by fuzzing: docs/fuzzing.md, F4).
struct Contacts<'a> {
    all: &'a [Value],
    by_wa: HashMap<String, usize>,
    by_user: HashMap<String, usize>,
}

impl<'a> Contacts<'a> {
    fn new(all: &'a [Value]) -> Self {
        let (mut by_wa, mut by_user) = (HashMap::new(), HashMap::new());
        for (i, c) in all.iter().enumerate() {
            if let Some(w) = text(c.get("wa_id")) {
                by_wa.entry(w).or_insert(i);
            }
            if let Some(u) = text(c.get("user_id")) {
                by_user.entry(u).or_insert(i);
            }
        }
        Self {
            all,
            by_wa,
            by_user,
        }
    }

    /// The first contact whose `wa_id` is `from` or whose `user_id` is `user`.
    fn find(&self, from: Option<&str>, user: Option<&str>) -> Option<&'a Value> {
        let a = from.and_then(|f| self.by_wa.get(f));
        let b = user.and_then(|u| self.by_user.get(u));
        a.into_iter().chain(b).min().map(|&i| &self.all[i])
    }
}

fn inbound(
    ctx: &EntryCtx<'_>,
    pid: &PhoneNumberId,
    display: &str,
    contacts: &Contacts<'_>,
    message: &Value,
) -> Result<InboundMessage, &'static str> {
    let Some(m) = message.as_object() else {
        return Err("not an object");
    };
    let wamid = text(m.get("id")).filter(|s| !s.is_empty()).ok_or("no id")?;
    let timestamp = m.get("timestamp").and_then(time).ok_or("no timestamp")?;
    let mut from = text(m.get("from")).filter(|s| !s.is_empty());
    let mut from_user_id = text(m.get("from_user_id")).filter(|s| !s.is_empty());

    let contact = contacts.find(from.as_deref(), from_user_id.as_deref());
    let profile = contact.and_then(|c| c.get("profile"));
    if let Some(c) = contact {
        // An empty id in the contact is no sender either (found by fuzzing: F2).
        from = from.or_else(|| text(c.get("wa_id")).filter(|s| !s.is_empty()));
        from_user_id = from_user_id.or_else(|| text(c.get("user_id")).filter(|s| !s.is_empty()));
    }
    if from.is_none() && from_user_id.is_none() {
        return Err("no sender (neither from nor from_user_id)");
    }

    let kind = text(m.get("type"))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".to_owned());
    let (body, media) = body(&kind, m);
    Ok(InboundMessage {
        phone_number_id: pid.clone(),
        display_phone_number: display.to_owned(),
        waba_id: ctx.id.clone(),
        wamid,
        from,
        from_user_id,
        profile_name: text(profile.and_then(|p| p.get("name"))),
        username: text(profile.and_then(|p| p.get("username"))),
        timestamp,
        body,
        kind,
        media,
        context: m.get("context").and_then(context),
        referral: m.get("referral").and_then(referral),
        errors: errors(m.get("errors")),
    })
}

fn other(kind: &str) -> MessageBody {
    MessageBody::Other {
        kind: kind.to_owned(),
    }
}

fn body(kind: &str, m: &Map<String, Value>) -> (MessageBody, Option<InboundMedia>) {
    let part = m.get(kind);
    let field = |name: &str| text(part.and_then(|p| p.get(name)));
    match kind {
        "text" => (
            MessageBody::Text {
                body: field("body").unwrap_or_default(),
            },
            None,
        ),
        "image" | "audio" | "video" | "document" | "sticker" => {
            let Some(media) = part.and_then(media) else {
                return (other(kind), None);
            };
            let media_id = media.id.clone();
            let body = match kind {
                "image" => MessageBody::Image {
                    media_id,
                    caption: field("caption"),
                },
                "audio" => MessageBody::Audio {
                    media_id,
                    voice: media.voice,
                },
                "video" => MessageBody::Video {
                    media_id,
                    caption: field("caption"),
                },
                "document" => MessageBody::Document {
                    media_id,
                    filename: media.filename.clone(),
                    caption: field("caption"),
                },
                _ => MessageBody::Sticker { media_id },
            };
            (body, Some(media))
        }
        "location" => {
            let lat = part.and_then(|p| p.get("latitude")).and_then(float);
            let lon = part.and_then(|p| p.get("longitude")).and_then(float);
            match (lat, lon) {
                (Some(latitude), Some(longitude)) => (
                    MessageBody::Location {
                        latitude,
                        longitude,
                        name: field("name"),
                        address: field("address"),
                    },
                    None,
                ),
                _ => (other(kind), None),
            }
        }
        "interactive" => (interactive(part), None),
        // A template's quick-reply button: the payload is the id we gave it.
        "button" => match (field("payload"), field("text")) {
            (Some(id), title) => (
                MessageBody::Interactive {
                    id,
                    title: title.unwrap_or_default(),
                },
                None,
            ),
            (None, Some(title)) => (
                MessageBody::Interactive {
                    id: title.clone(),
                    title,
                },
                None,
            ),
            (None, None) => (other(kind), None),
        },
        "reaction" => match field("message_id") {
            Some(message_id) => (
                MessageBody::Reaction {
                    message_id,
                    emoji: field("emoji").filter(|e| !e.is_empty()),
                },
                None,
            ),
            None => (other(kind), None),
        },
        _ => (other(kind), None),
    }
}

/// `button_reply` / `list_reply` become [`MessageBody::Interactive`]; other interactive
/// replies (`nfm_reply`, `call_permission_reply`, ...) are `Other { kind: "interactive.<type>" }`.
fn interactive(part: Option<&Value>) -> MessageBody {
    let sub = text(part.and_then(|p| p.get("type"))).unwrap_or_default();
    if sub == "button_reply" || sub == "list_reply" {
        let reply = part.and_then(|p| p.get(sub.as_str()));
        if let Some(id) = text(reply.and_then(|r| r.get("id"))) {
            return MessageBody::Interactive {
                id,
                title: text(reply.and_then(|r| r.get("title"))).unwrap_or_default(),
            };
        }
    }
    if sub.is_empty() {
        other("interactive")
    } else {
        other(&format!("interactive.{sub}"))
    }
}

fn media(part: &Value) -> Option<InboundMedia> {
    let id = text(part.get("id")).filter(|s| !s.is_empty())?;
    Some(InboundMedia {
        id,
        mime_type: text(part.get("mime_type")),
        sha256: text(part.get("sha256")),
        url: text(part.get("url")),
        filename: text(part.get("filename")),
        voice: part.get("voice").and_then(Value::as_bool).unwrap_or(false),
        animated: part
            .get("animated")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    })
}

fn context(c: &Value) -> Option<MessageContext> {
    let c = c.as_object()?;
    Some(MessageContext {
        replied_to: text(c.get("id")),
        forwarded: c.get("forwarded").and_then(Value::as_bool).unwrap_or(false),
        frequently_forwarded: c
            .get("frequently_forwarded")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        referred_product: text(
            c.get("referred_product")
                .and_then(|p| p.get("product_retailer_id")),
        ),
    })
}

fn referral(r: &Value) -> Option<Referral> {
    let r = r.as_object()?;
    Some(Referral {
        source_type: text(r.get("source_type")),
        source_id: text(r.get("source_id")),
        source_url: text(r.get("source_url")),
        headline: text(r.get("headline")),
        body: text(r.get("body")),
        ctwa_clid: text(r.get("ctwa_clid")),
    })
}

fn status_update(
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

fn errors(v: Option<&Value>) -> Vec<WebhookError> {
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

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use omni_domain::LimitTier;

    use super::*;
    use crate::webhook::management::tier;

    fn wrap(value: &str) -> String {
        format!(
            r#"{{"object":"whatsapp_business_account","entry":[{{"id":"1","changes":[{{"field":"messages","value":{{"metadata":{{"display_phone_number":"92300","phone_number_id":"106540352242922"}},{value}}}}}]}}]}}"#
        )
    }

    #[test]
    fn rejects_only_what_is_not_a_webhook() {
        assert!(matches!(
            parse_webhook(b"not json"),
            Err(WebhookParseError::NotJson(_))
        ));
        assert_eq!(parse_webhook(b"[]"), Err(WebhookParseError::NotAnObject));
        assert_eq!(
            parse_webhook(br#"{"entry":[]}"#),
            Err(WebhookParseError::MissingObject)
        );
        assert_eq!(
            parse_webhook(br#"{"object":"x"}"#),
            Err(WebhookParseError::MissingEntry)
        );
        let empty = parse_webhook(br#"{"object":"x","entry":[]}"#).unwrap();
        assert!(empty.events.is_empty());
    }

    /// Found by fuzzing (docs/fuzzing.md): F2, an empty `wa_id` in the matching contact is no
    /// sender; F3, ids with the key separator cannot make two events share a dedupe key.
    #[test]
    fn an_empty_contact_id_is_no_sender_and_colons_cannot_merge_dedupe_keys() {
        let body = wrap(
            r#""contacts":[{"wa_id":"","user_id":"PK.1"}],"messages":[{"from_user_id":"PK.1","id":"wamid.A","timestamp":"1763906000","type":"text","text":{"body":"hi"}}],"statuses":[{"id":"x","status":"read","timestamp":"1763906000","recipient_id":"923001234567"}]"#,
        );
        let batch = parse_webhook(body.as_bytes()).unwrap();
        let WebhookEvent::Message(m) = &batch.events[0] else {
            panic!("{:?}", batch.events[0]);
        };
        assert_eq!(m.from, None);
        assert_eq!(m.from_user_id.as_deref(), Some("PK.1"));
        let colon = wrap(
            r#""messages":[{"from":"923001234567","id":"x:read","timestamp":"1763906000","type":"text","text":{"body":"hi"}}]"#,
        );
        let message = parse_webhook(colon.as_bytes()).unwrap().events.remove(0);
        assert_eq!(message.dedupe_key(), "x%3Aread");
        assert_eq!(batch.events[1].dedupe_key(), "x:read");
    }

    #[test]
    fn a_thousand_messages_each_find_their_own_contact_in_the_index() {
        let contacts: Vec<String> = (0..1_000)
            .map(|i| format!(r#"{{"wa_id":"92300{i:07}","profile":{{"name":"C{i}"}}}}"#))
            .collect();
        let messages: Vec<String> = (0..1_000)
            .map(|i| {
                format!(
                    r#"{{"from":"92300{i:07}","id":"wamid.{i}","timestamp":"1763906000","type":"text","text":{{"body":"hi"}}}}"#
                )
            })
            .collect();
        let body = wrap(&format!(
            r#""contacts":[{}],"messages":[{}]"#,
            contacts.join(","),
            messages.join(",")
        ));
        let batch = parse_webhook(body.as_bytes()).unwrap();
        assert_eq!(batch.events.len(), 1_000);
        let WebhookEvent::Message(last) = &batch.events[999] else {
            panic!("not a message");
        };
        assert_eq!(last.from.as_deref(), Some("923000000999"));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = format!(
            r#"{{"object":"x","entry":{}{}}}"#,
            "[".repeat(10_000),
            "]".repeat(10_000)
        );
        assert!(matches!(
            parse_webhook(deep.as_bytes()),
            Err(WebhookParseError::NotJson(_))
        ));
    }

    #[test]
    fn a_malformed_message_costs_only_itself() {
        let body = wrap(
            r#""contacts":[{"profile":{"name":"A"},"wa_id":"92321"}],"messages":[
                {"from":"92321","timestamp":"1","type":"text","text":{"body":"no id"}},
                "garbage",
                {"from":"92321","id":"wamid.OK","timestamp":"1763905200","type":"text","text":{"body":"ok"}},
                {"from":"92321","id":"wamid.BADTS","timestamp":"yesterday","type":"text"}
            ],"statuses":[{"id":"wamid.S","timestamp":"1"},{"id":"wamid.S2","status":"read","timestamp":"2"}]"#,
        );
        let batch = parse_webhook(body.as_bytes()).unwrap();
        assert_eq!(batch.skipped, 4);
        let keys: Vec<_> = batch.events.iter().map(WebhookEvent::dedupe_key).collect();
        assert_eq!(keys, ["wamid.OK", "wamid.S2:read"]);
    }

    #[test]
    fn unknown_and_odd_message_types_are_other_never_errors() {
        for (kind, part, expected) in [
            ("order", r#"{"catalog_id":"1","product_items":[]}"#, "order"),
            ("system", r#"{"type":"user_changed_number"}"#, "system"),
            ("revoke", r#"{"original_message_id":"wamid.OLD"}"#, "revoke"),
            ("request_welcome", "null", "request_welcome"),
            ("image", r#"{"caption":"no id"}"#, "image"),
            ("location", r#"{"latitude":"x"}"#, "location"),
            (
                "interactive",
                r#"{"type":"nfm_reply","nfm_reply":{}}"#,
                "interactive.nfm_reply",
            ),
            ("reaction", r#"{"emoji":"👍"}"#, "reaction"),
            ("hologram", r#"{"x":1}"#, "hologram"),
        ] {
            let body = wrap(&format!(
                r#""messages":[{{"from":"92321","id":"wamid.X","timestamp":"5","type":"{kind}","{kind}":{part}}}]"#
            ));
            let batch = parse_webhook(body.as_bytes()).unwrap();
            let Some(WebhookEvent::Message(m)) = batch.events.first() else {
                panic!("{kind}: {batch:?}")
            };
            assert_eq!(
                m.body,
                MessageBody::Other {
                    kind: expected.into()
                },
                "{kind}"
            );
            assert_eq!(m.kind, kind);
        }
    }

    #[test]
    fn sender_fields_fall_back_to_the_matching_contact() {
        let body = wrap(
            r#""contacts":[{"profile":{"name":"Other"},"wa_id":"1"},{"profile":{"name":"Me","username":"@me"},"wa_id":"92321","user_id":"PK.9"}],
               "messages":[{"from":"92321","id":"wamid.X","timestamp":"5","type":"text","text":{"body":"hi"},
                            "context":{"forwarded":true},"referral":{"source_type":"ad","ctwa_clid":"c1"}}]"#,
        );
        let batch = parse_webhook(body.as_bytes()).unwrap();
        let Some(WebhookEvent::Message(m)) = batch.events.first() else {
            panic!("{batch:?}")
        };
        assert_eq!(m.profile_name.as_deref(), Some("Me"));
        assert_eq!(m.username.as_deref(), Some("@me"));
        assert_eq!(m.from_user_id.as_deref(), Some("PK.9"));
        assert!(
            m.context
                .as_ref()
                .is_some_and(|c| c.forwarded && c.replied_to.is_none())
        );
        assert_eq!(
            m.referral.as_ref().and_then(|r| r.ctwa_clid.as_deref()),
            Some("c1")
        );
    }

    #[test]
    fn a_messages_change_without_a_valid_number_is_skipped_and_counted() {
        let body = br#"{"object":"w","entry":[{"id":"1","changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"abc"},"messages":[{"id":"a"},{"id":"b"}]}}]}]}"#;
        let batch = parse_webhook(body).unwrap();
        assert!(batch.events.is_empty());
        assert_eq!(batch.skipped, 2);
    }

    #[test]
    fn a_broken_entry_costs_only_itself() {
        let body = br#"{"object":"whatsapp_business_account","entry":[
            {"id":"1","changes":[{"field":"account_review_update","value":{"decision":"APPROVED"}}]},
            "garbage",
            {"id":"2"},
            {"id":"3","changes":[{"value":{}},{"field":"account_review_update","value":{"decision":"REJECTED"}}]}
        ]}"#;
        let batch = parse_webhook(body).unwrap();
        assert_eq!(
            batch.skipped, 3,
            "a string entry, an entry without changes, a change without field"
        );
        let decisions: Vec<_> = batch
            .events
            .iter()
            .map(|e| match e {
                WebhookEvent::ReviewUpdate(r) => (r.waba_id.as_str(), r.decision.as_str()),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(decisions, [("1", "APPROVED"), ("3", "REJECTED")]);
    }

    #[test]
    fn a_value_that_is_not_an_object_is_kept_as_other() {
        let body =
            br#"{"object":"whatsapp_business_account","entry":[{"id":"7","time":9,"changes":[
            {"field":"account_update","value":["unexpected"]},
            {"field":"messages","value":null}
        ]}]}"#;
        let batch = parse_webhook(body).unwrap();
        assert_eq!(batch.skipped, 0);
        assert_eq!(batch.events.len(), 2, "{batch:?}");
        let WebhookEvent::Other(first) = &batch.events[0] else {
            panic!("{batch:?}")
        };
        assert_eq!(first.waba_id, "7");
        assert_eq!(first.value, serde_json::json!(["unexpected"]));
        assert_eq!(first.origin.field, "account_update");
        assert_eq!(first.origin.entry_time, Some(9));
        assert!(matches!(&batch.events[1], WebhookEvent::Other(o) if o.value.is_null()));
    }

    #[test]
    fn a_sender_known_only_by_user_id_gets_its_phone_from_the_contact() {
        let body = wrap(
            r#""contacts":[{"profile":{"name":"Me"},"wa_id":"92321","user_id":"PK.9"}],
               "messages":[{"from_user_id":"PK.9","id":"wamid.X","timestamp":"5","type":"text","text":{"body":"hi"}}]"#,
        );
        let batch = parse_webhook(body.as_bytes()).unwrap();
        let Some(WebhookEvent::Message(m)) = batch.events.first() else {
            panic!("{batch:?}")
        };
        assert_eq!(m.from.as_deref(), Some("92321"));
        assert_eq!(m.from_user_id.as_deref(), Some("PK.9"));
        assert_eq!(m.profile_name.as_deref(), Some("Me"));
    }

    #[test]
    fn capability_updates_read_either_phone_number_limit_field() {
        let cap = |value: &str| {
            let body = format!(
                r#"{{"object":"whatsapp_business_account","entry":[{{"id":"1","changes":[{{"field":"business_capability_update","value":{value}}}]}}]}}"#
            );
            match parse_webhook(body.as_bytes()).unwrap().events.first() {
                Some(WebhookEvent::CapabilityUpdate(c)) => (c.max_daily, c.max_phone_numbers),
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(
            cap(r#"{"max_daily_conversation_per_phone":250,"max_phone_numbers_per_business":2}"#),
            (Some(LimitTier::Tier250), Some(2))
        );
        assert_eq!(
            cap(
                r#"{"max_daily_conversations_per_business":"TIER_2K","max_phone_numbers_per_waba":25}"#
            ),
            (Some(LimitTier::Tier2K), Some(25))
        );
        assert_eq!(cap(r#"{"max_phone_numbers_per_waba":-1}"#), (None, None));
    }

    #[test]
    fn numeric_and_string_tiers_both_map() {
        let n = |v: Value| tier(Some(&v));
        assert_eq!(n(serde_json::json!(2000)), Some(LimitTier::Tier2K));
        assert_eq!(n(serde_json::json!(-1)), Some(LimitTier::Unlimited));
        assert_eq!(n(serde_json::json!("tier_10k")), Some(LimitTier::Tier10K));
        assert_eq!(n(serde_json::json!("TIER_3K")), None);
        assert_eq!(n(serde_json::json!(7)), None);
        assert_eq!(n(Value::Null), None);
    }

    #[test]
    fn value_digest_ignores_key_order_and_whitespace() {
        let a: Value = serde_json::from_str(r#"{"b":1,"a":{"y":[1,"é"],"x":null}}"#).unwrap();
        let b: Value =
            serde_json::from_str(r#"{ "a": {"x": null, "y": [1, "\u00e9"]}, "b": 1 }"#).unwrap();
        assert_eq!(value_digest(&a), value_digest(&b));
        assert_eq!(value_digest(&a).len(), 64);
        let c: Value = serde_json::from_str(r#"{"b":2,"a":{"y":[1,"é"],"x":null}}"#).unwrap();
        assert_ne!(value_digest(&a), value_digest(&c));
    }
}
