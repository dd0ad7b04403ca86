//! Sending: every message shape of meta-api.md §6 as Meta's JSON, plus read receipts with the
//! typing indicator. A 200 means accepted, not delivered; statuses arrive by webhook.

use omni_domain::PhoneNumberId;
use omni_ports::meta::{
    GraphError, GraphErrorKind, MediaKind, MediaSource, OutboundContent, OutboundMessage,
    Recipient, SentMessage, TemplateComponent, TemplateComponentKind, TemplateParameter,
};
use reqwest::Method;
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::MetaGraphClient;

#[derive(Deserialize)]
struct SendWire {
    #[serde(default)]
    contacts: Vec<ContactWire>,
    #[serde(default)]
    messages: Vec<MessageWire>,
}

#[derive(Deserialize)]
struct ContactWire {
    #[serde(default)]
    wa_id: Option<String>,
    #[serde(default)]
    user_id: Option<String>,
}

#[derive(Deserialize)]
struct MessageWire {
    id: String,
    #[serde(default)]
    message_status: Option<String>,
}

fn media_object(source: &MediaSource) -> Map<String, Value> {
    let mut m = Map::new();
    match source {
        MediaSource::Id(id) => m.insert("id".into(), json!(id)),
        MediaSource::Link(link) => m.insert("link".into(), json!(link)),
    };
    m
}

fn text_object(text: Option<&String>) -> Option<Value> {
    text.map(|t| json!({ "text": t }))
}

/// Inserts `key: value` when `value` is present.
fn put(m: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    if let Some(v) = value {
        m.insert(key.into(), v);
    }
}

fn parameter(p: &TemplateParameter) -> Value {
    match p {
        TemplateParameter::Text { text, name: None } => json!({ "type": "text", "text": text }),
        TemplateParameter::Text {
            text,
            name: Some(name),
        } => json!({ "type": "text", "parameter_name": name, "text": text }),
        TemplateParameter::Currency {
            fallback_value,
            code,
            amount_1000,
        } => json!({ "type": "currency", "currency": {
            "fallback_value": fallback_value, "code": code, "amount_1000": amount_1000 } }),
        TemplateParameter::Media { kind, source } => {
            let mut m = Map::new();
            m.insert("type".into(), json!(kind.as_str()));
            m.insert(kind.as_str().into(), Value::Object(media_object(source)));
            Value::Object(m)
        }
        TemplateParameter::Payload(payload) => json!({ "type": "payload", "payload": payload }),
    }
}

fn component(c: &TemplateComponent) -> Value {
    let parameters: Vec<Value> = c.parameters.iter().map(parameter).collect();
    match &c.kind {
        TemplateComponentKind::Header => json!({ "type": "header", "parameters": parameters }),
        TemplateComponentKind::Body => json!({ "type": "body", "parameters": parameters }),
        TemplateComponentKind::Button { sub_type, index } => json!({
            "type": "button", "sub_type": sub_type, "index": index.to_string(), "parameters": parameters }),
    }
}

fn interactive(
    kind: &str,
    header: Option<&String>,
    body: &str,
    footer: Option<&String>,
    action: Value,
) -> Value {
    let mut m = Map::new();
    m.insert("type".into(), json!(kind));
    put(
        &mut m,
        "header",
        header.map(|h| json!({ "type": "text", "text": h })),
    );
    m.insert("body".into(), json!({ "text": body }));
    put(&mut m, "footer", text_object(footer));
    m.insert("action".into(), action);
    Value::Object(m)
}

/// `(type, payload)` of a message.
fn content(c: &OutboundContent) -> (&'static str, Value) {
    match c {
        OutboundContent::Text { body, preview_url } => {
            ("text", json!({ "body": body, "preview_url": preview_url }))
        }
        OutboundContent::Media {
            kind,
            source,
            caption,
            filename,
            voice,
        } => {
            let mut m = media_object(source);
            if *voice && matches!(kind, MediaKind::Audio) {
                m.insert("voice".into(), json!(true));
            }
            if !matches!(kind, MediaKind::Audio | MediaKind::Sticker) {
                put(&mut m, "caption", caption.as_ref().map(|c| json!(c)));
            }
            if matches!(kind, MediaKind::Document) {
                put(&mut m, "filename", filename.as_ref().map(|f| json!(f)));
            }
            (kind.as_str(), Value::Object(m))
        }
        OutboundContent::ReplyButtons {
            header,
            body,
            footer,
            buttons,
        } => {
            let buttons: Vec<Value> = buttons
                .iter()
                .map(|b| json!({ "type": "reply", "reply": { "id": b.id, "title": b.title } }))
                .collect();
            (
                "interactive",
                interactive(
                    "button",
                    header.as_ref(),
                    body,
                    footer.as_ref(),
                    json!({ "buttons": buttons }),
                ),
            )
        }
        OutboundContent::List {
            header,
            body,
            footer,
            button,
            sections,
        } => {
            let sections: Vec<Value> = sections
                .iter()
                .map(|s| {
                    let rows: Vec<Value> = s
                        .rows
                        .iter()
                        .map(|r| {
                            let mut row = Map::new();
                            row.insert("id".into(), json!(r.id));
                            row.insert("title".into(), json!(r.title));
                            put(
                                &mut row,
                                "description",
                                r.description.as_ref().map(|d| json!(d)),
                            );
                            Value::Object(row)
                        })
                        .collect();
                    let mut sec = Map::new();
                    put(&mut sec, "title", s.title.as_ref().map(|t| json!(t)));
                    sec.insert("rows".into(), Value::Array(rows));
                    Value::Object(sec)
                })
                .collect();
            (
                "interactive",
                interactive(
                    "list",
                    header.as_ref(),
                    body,
                    footer.as_ref(),
                    json!({ "button": button, "sections": sections }),
                ),
            )
        }
        OutboundContent::LocationRequest { body } => (
            "interactive",
            json!({ "type": "location_request_message", "body": { "text": body },
                    "action": { "name": "send_location" } }),
        ),
        OutboundContent::Location {
            latitude,
            longitude,
            name,
            address,
        } => {
            let mut m = Map::new();
            m.insert("latitude".into(), json!(latitude));
            m.insert("longitude".into(), json!(longitude));
            put(&mut m, "name", name.as_ref().map(|n| json!(n)));
            put(&mut m, "address", address.as_ref().map(|a| json!(a)));
            ("location", Value::Object(m))
        }
        OutboundContent::Template {
            name,
            language,
            components,
        } => {
            let mut m = Map::new();
            m.insert("name".into(), json!(name));
            m.insert("language".into(), json!({ "code": language }));
            if !components.is_empty() {
                m.insert(
                    "components".into(),
                    Value::Array(components.iter().map(component).collect()),
                );
            }
            ("template", Value::Object(m))
        }
        OutboundContent::Reaction { message_id, emoji } => (
            "reaction",
            json!({ "message_id": message_id, "emoji": emoji }),
        ),
    }
}

/// The JSON body Meta expects for `message`.
#[must_use]
pub fn message_body(message: &OutboundMessage) -> Value {
    let mut m = Map::new();
    m.insert("messaging_product".into(), json!("whatsapp"));
    m.insert("recipient_type".into(), json!("individual"));
    match &message.to {
        Recipient::Phone(phone) => m.insert("to".into(), json!(phone)),
        Recipient::UserId(id) => m.insert("recipient".into(), json!(id)),
    };
    let (kind, payload) = content(&message.content);
    m.insert("type".into(), json!(kind));
    m.insert(kind.into(), payload);
    put(
        &mut m,
        "context",
        message
            .reply_to
            .as_ref()
            .map(|id| json!({ "message_id": id })),
    );
    put(
        &mut m,
        "biz_opaque_callback_data",
        message.biz_opaque_callback_data.as_ref().map(|d| json!(d)),
    );
    Value::Object(m)
}

impl MetaGraphClient {
    pub(crate) async fn send(
        &self,
        token: &SecretString,
        from: &PhoneNumberId,
        message: &OutboundMessage,
    ) -> Result<SentMessage, GraphError> {
        let req = self
            .authed(
                Method::POST,
                &self.url(&format!("{}/messages", from.as_str())),
                token,
            )
            .json(&message_body(message));
        let wire: SendWire = self.json("messages.send", req).await?;
        let first = wire.messages.into_iter().next().ok_or_else(|| {
            GraphError::local(GraphErrorKind::Protocol, "messages.send: no message id")
        })?;
        let contact = wire.contacts.into_iter().next();
        Ok(SentMessage {
            wamid: first.id,
            recipient_id: contact.and_then(|c| c.wa_id.or(c.user_id)),
            message_status: first.message_status,
        })
    }

    pub(crate) async fn read(
        &self,
        token: &SecretString,
        from: &PhoneNumberId,
        wamid: &str,
        typing_indicator: bool,
    ) -> Result<(), GraphError> {
        let mut body =
            json!({ "messaging_product": "whatsapp", "status": "read", "message_id": wamid });
        if typing_indicator {
            body["typing_indicator"] = json!({ "type": "text" });
        }
        let req = self
            .authed(
                Method::POST,
                &self.url(&format!("{}/messages", from.as_str())),
                token,
            )
            .json(&body);
        self.expect_success("messages.mark_read", req).await
    }
}

#[cfg(test)]
mod tests {
    use omni_ports::meta::{ListRow, ListSection, ReplyButton};

    use super::*;

    fn to() -> Recipient {
        Recipient::Phone("+923001234567".into())
    }

    #[test]
    fn a_text_reply_quotes_and_tags_the_message() {
        let mut m = OutboundMessage::text(to(), "Salam! 🍔");
        m.reply_to = Some("wamid.IN".into());
        m.biz_opaque_callback_data = Some("outbox-1".into());
        assert_eq!(
            message_body(&m),
            json!({ "messaging_product": "whatsapp", "recipient_type": "individual",
                "to": "+923001234567", "type": "text",
                "text": { "body": "Salam! 🍔", "preview_url": false },
                "context": { "message_id": "wamid.IN" }, "biz_opaque_callback_data": "outbox-1" })
        );
    }

    #[test]
    fn buttons_lists_media_and_templates_take_metas_shapes() {
        let buttons = OutboundMessage {
            content: OutboundContent::ReplyButtons {
                header: None,
                body: "Confirm?".into(),
                footer: Some("Lucky".into()),
                buttons: vec![ReplyButton {
                    id: "yes".into(),
                    title: "Yes".into(),
                }],
            },
            ..OutboundMessage::text(Recipient::UserId("PK.123".into()), "")
        };
        let b = message_body(&buttons);
        assert_eq!(b["recipient"], "PK.123");
        assert!(b.get("to").is_none());
        assert_eq!(b["interactive"]["type"], "button");
        assert_eq!(
            b["interactive"]["action"]["buttons"][0]["reply"]["id"],
            "yes"
        );
        assert_eq!(b["interactive"]["footer"]["text"], "Lucky");

        let list = OutboundMessage {
            content: OutboundContent::List {
                header: Some("Menu".into()),
                body: "Pick".into(),
                footer: None,
                button: "Items".into(),
                sections: vec![ListSection {
                    title: None,
                    rows: vec![ListRow {
                        id: "zinger".into(),
                        title: "Zinger".into(),
                        description: Some("Rs 650".into()),
                    }],
                }],
            },
            ..OutboundMessage::text(to(), "")
        };
        let l = message_body(&list);
        assert_eq!(
            l["interactive"]["action"]["sections"][0]["rows"][0]["description"],
            "Rs 650"
        );
        assert_eq!(
            l["interactive"]["header"],
            json!({ "type": "text", "text": "Menu" })
        );

        let audio = OutboundMessage {
            content: OutboundContent::Media {
                kind: MediaKind::Audio,
                source: MediaSource::Id("77".into()),
                caption: Some("ignored".into()),
                filename: None,
                voice: false,
            },
            ..OutboundMessage::text(to(), "")
        };
        assert_eq!(message_body(&audio)["audio"], json!({ "id": "77" }));
        let voice = OutboundMessage {
            content: OutboundContent::Media {
                kind: MediaKind::Audio,
                source: MediaSource::Id("78".into()),
                caption: None,
                filename: None,
                voice: true,
            },
            ..OutboundMessage::text(to(), "")
        };
        assert_eq!(
            message_body(&voice)["audio"],
            json!({ "id": "78", "voice": true })
        );

        let template = OutboundMessage {
            content: OutboundContent::Template {
                name: "order_update".into(),
                language: "en_US".into(),
                components: vec![TemplateComponent {
                    kind: TemplateComponentKind::Body,
                    parameters: vec![
                        TemplateParameter::Text {
                            text: "Ali".into(),
                            name: None,
                        },
                        TemplateParameter::Currency {
                            fallback_value: "Rs 1,250".into(),
                            code: "PKR".into(),
                            amount_1000: 1_250_000,
                        },
                    ],
                }],
            },
            ..OutboundMessage::text(to(), "")
        };
        let t = message_body(&template);
        assert_eq!(t["template"]["language"]["code"], "en_US");
        assert_eq!(
            t["template"]["components"][0]["parameters"][1]["currency"]["amount_1000"],
            1_250_000
        );
    }

    /// The `type` and the payload under it, for `content` sent to `to()`.
    fn payload(content: OutboundContent) -> (Value, Value) {
        let body = message_body(&OutboundMessage {
            content,
            ..OutboundMessage::text(to(), "")
        });
        let kind = body["type"].clone();
        let key = kind.as_str().unwrap_or_default().to_owned();
        (kind, body[key.as_str()].clone())
    }

    fn media(kind: MediaKind, source: MediaSource) -> OutboundContent {
        OutboundContent::Media {
            kind,
            source,
            caption: Some("Your receipt".into()),
            filename: Some("receipt.pdf".into()),
            voice: false,
        }
    }

    #[test]
    fn each_media_kind_takes_only_the_fields_meta_allows_it() {
        let id = || MediaSource::Id("77".into());
        assert_eq!(
            payload(media(MediaKind::Image, id())),
            (
                json!("image"),
                json!({ "id": "77", "caption": "Your receipt" })
            )
        );
        assert_eq!(
            payload(media(
                MediaKind::Video,
                MediaSource::Link("https://cdn.example.pk/v.mp4".into())
            )),
            (
                json!("video"),
                json!({ "link": "https://cdn.example.pk/v.mp4", "caption": "Your receipt" })
            )
        );
        assert_eq!(
            payload(media(MediaKind::Document, id())),
            (
                json!("document"),
                json!({ "id": "77", "caption": "Your receipt", "filename": "receipt.pdf" })
            )
        );
        assert_eq!(
            payload(media(MediaKind::Audio, id())),
            (json!("audio"), json!({ "id": "77" }))
        );
        assert_eq!(
            payload(media(MediaKind::Sticker, id())),
            (json!("sticker"), json!({ "id": "77" }))
        );
    }

    #[test]
    fn text_location_reaction_and_location_request_are_metas_exact_json() {
        assert_eq!(
            payload(OutboundContent::Text {
                body: "https://luckyburgers.pk/menu".into(),
                preview_url: true,
            }),
            (
                json!("text"),
                json!({ "body": "https://luckyburgers.pk/menu", "preview_url": true })
            )
        );
        assert_eq!(
            payload(OutboundContent::Location {
                latitude: 24.86,
                longitude: 67.0,
                name: Some("Lucky Burgers".into()),
                address: Some("Clifton, Karachi".into()),
            }),
            (
                json!("location"),
                json!({ "latitude": 24.86, "longitude": 67.0,
                        "name": "Lucky Burgers", "address": "Clifton, Karachi" })
            )
        );
        assert_eq!(
            payload(OutboundContent::Location {
                latitude: 1.5,
                longitude: 2.5,
                name: None,
                address: None,
            }),
            (
                json!("location"),
                json!({ "latitude": 1.5, "longitude": 2.5 })
            )
        );
        assert_eq!(
            payload(OutboundContent::Reaction {
                message_id: "wamid.IN".into(),
                emoji: "👍".into(),
            }),
            (
                json!("reaction"),
                json!({ "message_id": "wamid.IN", "emoji": "👍" })
            )
        );
        assert_eq!(
            payload(OutboundContent::LocationRequest {
                body: "Where to?".into()
            }),
            (
                json!("interactive"),
                json!({ "type": "location_request_message", "body": { "text": "Where to?" },
                        "action": { "name": "send_location" } })
            )
        );
    }

    #[test]
    fn a_template_with_header_media_named_parameters_and_a_button_is_metas_exact_json() {
        let content = OutboundContent::Template {
            name: "order_ready".into(),
            language: "ur".into(),
            components: vec![
                TemplateComponent {
                    kind: TemplateComponentKind::Header,
                    parameters: vec![TemplateParameter::Media {
                        kind: MediaKind::Document,
                        source: MediaSource::Link("https://cdn.example.pk/bill.pdf".into()),
                    }],
                },
                TemplateComponent {
                    kind: TemplateComponentKind::Body,
                    parameters: vec![
                        TemplateParameter::Text {
                            text: "Ali".into(),
                            name: Some("customer".into()),
                        },
                        TemplateParameter::Currency {
                            fallback_value: "Rs 1,250".into(),
                            code: "PKR".into(),
                            amount_1000: 1_250_000,
                        },
                    ],
                },
                TemplateComponent {
                    kind: TemplateComponentKind::Button {
                        sub_type: "quick_reply".into(),
                        index: 1,
                    },
                    parameters: vec![TemplateParameter::Payload("track:42".into())],
                },
            ],
        };
        assert_eq!(
            payload(content),
            (
                json!("template"),
                json!({ "name": "order_ready", "language": { "code": "ur" }, "components": [
                    { "type": "header", "parameters": [
                        { "type": "document", "document": { "link": "https://cdn.example.pk/bill.pdf" } } ] },
                    { "type": "body", "parameters": [
                        { "type": "text", "parameter_name": "customer", "text": "Ali" },
                        { "type": "currency", "currency": {
                            "fallback_value": "Rs 1,250", "code": "PKR", "amount_1000": 1_250_000 } } ] },
                    { "type": "button", "sub_type": "quick_reply", "index": "1", "parameters": [
                        { "type": "payload", "payload": "track:42" } ] }
                ] })
            )
        );
        let bare = payload(OutboundContent::Template {
            name: "hello_world".into(),
            language: "en_US".into(),
            components: Vec::new(),
        });
        assert_eq!(
            bare.1,
            json!({ "name": "hello_world", "language": { "code": "en_US" } })
        );
    }
}
