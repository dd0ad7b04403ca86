//! Between the customer's message, the agent and WhatsApp: the message as agent input, and
//! an agent reply as content within Meta's limits.

use omni_domain::{GeoPoint, MessageBody};
use omni_ports::meta::{ListRow as MetaListRow, ListSection, OutboundContent, ReplyButton};
use omni_ports::{AgentReply, CustomerInput};

/// The customer's message as agent input; `None` for a voice note (transcribed separately).
pub(super) fn customer_input(body: &MessageBody) -> Option<CustomerInput> {
    Some(match body {
        MessageBody::Text { body } => CustomerInput::Text { text: body.clone() },
        MessageBody::Interactive { id, title } => CustomerInput::Choice {
            id: id.clone(),
            title: title.clone(),
        },
        MessageBody::Location {
            latitude,
            longitude,
            name,
            address,
        } => match GeoPoint::new(*latitude, *longitude, name.clone(), address.clone()) {
            Ok(point) => CustomerInput::Location { point },
            Err(_) => CustomerInput::Other {
                kind: "location".into(),
            },
        },
        MessageBody::Audio { .. } => return None,
        MessageBody::Image { caption, .. } => CustomerInput::Image {
            caption: caption.clone(),
        },
        other => CustomerInput::Other {
            kind: other.kind().to_owned(),
        },
    })
}

pub(super) fn text_reply(body: String) -> OutboundContent {
    OutboundContent::Text {
        body,
        preview_url: false,
    }
}

/// Truncates to WhatsApp's limits (characters, not bytes).
fn clip(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// An agent reply as WhatsApp content, within Meta's limits (3 buttons of 20 characters; 10
/// rows of 24 + 72; 1024 characters of interactive body).
#[must_use]
pub fn content_of_reply(reply: &AgentReply) -> OutboundContent {
    match reply {
        AgentReply::Text { text } => text_reply(clip(text, 4096)),
        AgentReply::Buttons { text, buttons } if !buttons.is_empty() => {
            OutboundContent::ReplyButtons {
                header: None,
                body: clip(text, 1024),
                footer: None,
                buttons: buttons
                    .iter()
                    .take(3)
                    .map(|b| ReplyButton {
                        id: clip(&b.id, 256),
                        title: clip(&b.title, 20),
                    })
                    .collect(),
            }
        }
        AgentReply::List { text, button, rows } if !rows.is_empty() => OutboundContent::List {
            header: None,
            body: clip(text, 1024),
            footer: None,
            button: clip(button, 20),
            sections: vec![ListSection {
                title: None,
                rows: rows
                    .iter()
                    .take(10)
                    .map(|r| MetaListRow {
                        id: clip(&r.id, 200),
                        title: clip(&r.title, 24),
                        description: r.description.as_deref().map(|d| clip(d, 72)),
                    })
                    .collect(),
            }],
        },
        AgentReply::LocationRequest { text } => OutboundContent::LocationRequest {
            body: clip(text, 1024),
        },
        other => text_reply(clip(other.body(), 4096)),
    }
}
