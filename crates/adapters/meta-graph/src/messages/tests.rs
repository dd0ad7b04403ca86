//! The JSON of each message shape, against Meta's documented examples.

use omni_ports::meta::{
    ListRow, ListSection, MediaKind, MediaSource, OutboundContent, OutboundMessage, Recipient,
    ReplyButton, TemplateComponent, TemplateComponentKind, TemplateParameter,
};
use serde_json::{Value, json};

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
