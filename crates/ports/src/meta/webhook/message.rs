//! A customer's message as the core reads it: sender, body, media, reply context and ad
//! referral.

use chrono::{DateTime, Utc};
use omni_domain::{MessageBody, PhoneNumberId};
use serde::{Deserialize, Serialize};

use super::WebhookError;

/// A customer's message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboundMessage {
    /// The store's number it was sent to (routing key).
    pub phone_number_id: PhoneNumberId,
    /// That number's digits (`metadata.display_phone_number`).
    pub display_phone_number: String,
    /// `entry.id`: the WABA.
    pub waba_id: String,
    /// Meta's id (`wamid.…`): the dedupe key, the target of read receipts and replies.
    pub wamid: String,
    /// The sender's `wa_id` (phone digits); `None` for users who adopted a username and hide
    /// their number. Filled from the matching `contacts[]` entry when the message lacks it.
    pub from: Option<String>,
    /// The sender's business-scoped user id (BSUID), when Meta sends one (message
    /// `from_user_id`, else the matching contact's `user_id`).
    pub from_user_id: Option<String>,
    /// `contacts[].profile.name` of the sender (untrusted display name).
    pub profile_name: Option<String>,
    /// `contacts[].profile.username` of the sender.
    pub username: Option<String>,
    /// When the customer sent it.
    pub timestamp: DateTime<Utc>,
    /// Meta's `type` as sent (`text`, `image`, `unsupported`, ...).
    pub kind: String,
    /// The content in domain terms; unknown or uninterpreted types are
    /// [`MessageBody::Other`].
    pub body: MessageBody,
    /// For image, audio, video, document and sticker messages: the media to fetch.
    pub media: Option<InboundMedia>,
    /// Reply / forward information.
    pub context: Option<MessageContext>,
    /// Click-to-WhatsApp ad information.
    pub referral: Option<Referral>,
    /// Message-level errors (present on `unsupported` messages).
    pub errors: Vec<WebhookError>,
}

impl InboundMessage {
    /// The customer's identity for this store: `wa_id`, else the BSUID.
    #[must_use]
    pub fn sender(&self) -> Option<&str> {
        self.from.as_deref().or(self.from_user_id.as_deref())
    }
}

/// A media attachment of an inbound message: fetch it with `GET /{id}` (or `url` when sent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundMedia {
    /// Meta media id.
    pub id: String,
    /// MIME type as sent, possibly with parameters (`audio/ogg; codecs=opus`).
    pub mime_type: Option<String>,
    /// Base64 SHA-256 of the file, to check the download against.
    pub sha256: Option<String>,
    /// Download URL, sent by newer webhooks only.
    pub url: Option<String>,
    /// Document file name.
    pub filename: Option<String>,
    /// Audio recorded with the in-app voice recorder.
    pub voice: bool,
    /// Animated sticker.
    pub animated: bool,
}

impl InboundMedia {
    /// The MIME type without parameters (`audio/ogg`), lowercased.
    #[must_use]
    pub fn content_type(&self) -> Option<String> {
        self.mime_type.as_deref().map(|m| {
            m.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
    }
}

/// What `context` says about a message.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MessageContext {
    /// The wamid the customer replied to, quoted, or tapped a button on.
    pub replied_to: Option<String>,
    /// Forwarded (up to 5 times).
    pub forwarded: bool,
    /// Forwarded more than 5 times.
    pub frequently_forwarded: bool,
    /// `referred_product.product_retailer_id` ("Message business" on a product).
    pub referred_product: Option<String>,
}

/// A Click-to-WhatsApp ad click (replying within 24 h opens a 72-hour free entry window).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Referral {
    /// `ad` or `post`.
    pub source_type: Option<String>,
    /// The ad or post id.
    pub source_id: Option<String>,
    /// The ad or post URL.
    pub source_url: Option<String>,
    /// Ad headline.
    pub headline: Option<String>,
    /// Ad body.
    pub body: Option<String>,
    /// Click id (absent for Status ad placements).
    pub ctwa_clid: Option<String>,
}
