//! The two converters between what is sent ([`OutboundContent`]) and how a message is kept in
//! the conversation history ([`MessageBody`]).

use omni_domain::MessageBody;
use omni_ports::meta::{MediaKind, MediaSource, OutboundContent};

/// How an outbound content is kept in the conversation history.
pub(super) fn body_of(content: &OutboundContent) -> MessageBody {
    match content {
        OutboundContent::Text { body, .. }
        | OutboundContent::ReplyButtons { body, .. }
        | OutboundContent::List { body, .. }
        | OutboundContent::LocationRequest { body } => MessageBody::Text { body: body.clone() },
        OutboundContent::Location {
            latitude,
            longitude,
            name,
            address,
        } => MessageBody::Location {
            latitude: *latitude,
            longitude: *longitude,
            name: name.clone(),
            address: address.clone(),
        },
        OutboundContent::Reaction { message_id, emoji } => MessageBody::Reaction {
            message_id: message_id.clone(),
            emoji: Some(emoji.clone()),
        },
        OutboundContent::Media {
            kind: MediaKind::Audio,
            source: MediaSource::Id(media_id),
            voice,
            ..
        } => MessageBody::Audio {
            media_id: media_id.clone(),
            voice: *voice,
        },
        OutboundContent::Media {
            kind: MediaKind::Image,
            source: MediaSource::Id(media_id),
            caption,
            ..
        } => MessageBody::Image {
            media_id: media_id.clone(),
            caption: caption.clone(),
        },
        OutboundContent::Media { kind, .. } => MessageBody::Other {
            kind: kind.as_str().to_owned(),
        },
        OutboundContent::Template { name, .. } => MessageBody::Other {
            kind: format!("template:{name}"),
        },
    }
}

/// The content to send for a stored reply (re-queued after a crash): text replies round-trip
/// exactly; richer replies keep their text.
pub(super) fn content_of(body: &MessageBody) -> OutboundContent {
    match body {
        MessageBody::Text { body } => OutboundContent::Text {
            body: body.clone(),
            preview_url: false,
        },
        MessageBody::Location {
            latitude,
            longitude,
            name,
            address,
        } => OutboundContent::Location {
            latitude: *latitude,
            longitude: *longitude,
            name: name.clone(),
            address: address.clone(),
        },
        MessageBody::Reaction { message_id, emoji } => OutboundContent::Reaction {
            message_id: message_id.clone(),
            emoji: emoji.clone().unwrap_or_default(),
        },
        MessageBody::Audio { media_id, voice } => OutboundContent::Media {
            kind: MediaKind::Audio,
            source: MediaSource::Id(media_id.clone()),
            caption: None,
            filename: None,
            voice: *voice,
        },
        MessageBody::Image { media_id, caption } => OutboundContent::Media {
            kind: MediaKind::Image,
            source: MediaSource::Id(media_id.clone()),
            caption: caption.clone(),
            filename: None,
            voice: false,
        },
        other => OutboundContent::Text {
            body: format!("[{}]", other.kind()),
            preview_url: false,
        },
    }
}
