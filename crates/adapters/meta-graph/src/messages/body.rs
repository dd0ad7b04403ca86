//! Every message shape of meta-api.md §6 as Meta's JSON: [`message_body`] and the pieces it
//! is built from (media objects, template components, interactive messages).

use omni_ports::meta::{
    ListRow, ListSection, MediaKind, MediaSource, OutboundContent, OutboundMessage, Recipient,
    ReplyButton, TemplateComponent, TemplateComponentKind, TemplateParameter,
};
use serde_json::{Map, Value, json};

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
        } => (
            kind.as_str(),
            media(*kind, source, caption.as_ref(), filename.as_ref(), *voice),
        ),
        OutboundContent::ReplyButtons {
            header,
            body,
            footer,
            buttons,
        } => (
            "interactive",
            interactive(
                "button",
                header.as_ref(),
                body,
                footer.as_ref(),
                json!({ "buttons": reply_buttons(buttons) }),
            ),
        ),
        OutboundContent::List {
            header,
            body,
            footer,
            button,
            sections,
        } => (
            "interactive",
            interactive(
                "list",
                header.as_ref(),
                body,
                footer.as_ref(),
                json!({ "button": button, "sections": list_sections(sections) }),
            ),
        ),
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
        } => (
            "location",
            location(*latitude, *longitude, name.as_ref(), address.as_ref()),
        ),
        OutboundContent::Template {
            name,
            language,
            components,
        } => ("template", template(name, language, components)),
        OutboundContent::Reaction { message_id, emoji } => (
            "reaction",
            json!({ "message_id": message_id, "emoji": emoji }),
        ),
    }
}

/// A media message's object: the source, `voice` on audio only, no caption on audio and
/// stickers, a filename on documents only.
fn media(
    kind: MediaKind,
    source: &MediaSource,
    caption: Option<&String>,
    filename: Option<&String>,
    voice: bool,
) -> Value {
    let mut m = media_object(source);
    if voice && matches!(kind, MediaKind::Audio) {
        m.insert("voice".into(), json!(true));
    }
    if !matches!(kind, MediaKind::Audio | MediaKind::Sticker) {
        put(&mut m, "caption", caption.map(|c| json!(c)));
    }
    if matches!(kind, MediaKind::Document) {
        put(&mut m, "filename", filename.map(|f| json!(f)));
    }
    Value::Object(m)
}

fn reply_buttons(buttons: &[ReplyButton]) -> Vec<Value> {
    buttons
        .iter()
        .map(|b| json!({ "type": "reply", "reply": { "id": b.id, "title": b.title } }))
        .collect()
}

fn list_sections(sections: &[ListSection]) -> Vec<Value> {
    sections
        .iter()
        .map(|s| {
            let rows: Vec<Value> = s.rows.iter().map(list_row).collect();
            let mut sec = Map::new();
            put(&mut sec, "title", s.title.as_ref().map(|t| json!(t)));
            sec.insert("rows".into(), Value::Array(rows));
            Value::Object(sec)
        })
        .collect()
}

fn list_row(r: &ListRow) -> Value {
    let mut row = Map::new();
    row.insert("id".into(), json!(r.id));
    row.insert("title".into(), json!(r.title));
    put(
        &mut row,
        "description",
        r.description.as_ref().map(|d| json!(d)),
    );
    Value::Object(row)
}

fn location(
    latitude: f64,
    longitude: f64,
    name: Option<&String>,
    address: Option<&String>,
) -> Value {
    let mut m = Map::new();
    m.insert("latitude".into(), json!(latitude));
    m.insert("longitude".into(), json!(longitude));
    put(&mut m, "name", name.map(|n| json!(n)));
    put(&mut m, "address", address.map(|a| json!(a)));
    Value::Object(m)
}

fn template(name: &str, language: &str, components: &[TemplateComponent]) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), json!(name));
    m.insert("language".into(), json!({ "code": language }));
    if !components.is_empty() {
        m.insert(
            "components".into(),
            Value::Array(components.iter().map(component).collect()),
        );
    }
    Value::Object(m)
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
