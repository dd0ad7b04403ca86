//! One inbound message of a `messages` change: its sender (found through the change's
//! contacts, indexed once), its body by type, media, reply context and ad referral.

use omni_domain::{MessageBody, PhoneNumberId};
use omni_ports::meta::webhook::{InboundMedia, InboundMessage, MessageContext, Referral};
use serde_json::{Map, Value};
use std::collections::HashMap;

use super::super::entry::EntryCtx;
use super::super::json::{float, text, time};
use super::status::errors;

/// A change's `contacts`, indexed once: looking each message's sender up by scanning them all
/// made a signed batch of many messages and contacts quadratic (minutes for a 2.5 MB body, on
/// the request path; found by fuzzing: docs/fuzzing.md, F4).
pub(super) struct Contacts<'a> {
    all: &'a [Value],
    by_wa: HashMap<String, usize>,
    by_user: HashMap<String, usize>,
}

impl<'a> Contacts<'a> {
    pub(super) fn new(all: &'a [Value]) -> Self {
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

pub(super) fn inbound(
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

pub(super) fn other(kind: &str) -> MessageBody {
    MessageBody::Other {
        kind: kind.to_owned(),
    }
}

pub(super) fn body(kind: &str, m: &Map<String, Value>) -> (MessageBody, Option<InboundMedia>) {
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
pub(super) fn interactive(part: Option<&Value>) -> MessageBody {
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

pub(super) fn media(part: &Value) -> Option<InboundMedia> {
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

pub(super) fn context(c: &Value) -> Option<MessageContext> {
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

pub(super) fn referral(r: &Value) -> Option<Referral> {
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
