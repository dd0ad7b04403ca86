//! What lives in a store's tenant database besides orders and conversations (in
//! [`crate::conversation`]): messages, the menu and the payment methods.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::commerce::MenuVariant;
use crate::enums::text_enum;
use crate::ids::{ConversationId, MenuItemId, MessageId, PaymentMethodId};
use crate::money::Money;

text_enum!(
    /// Which way a message went.
    Direction, "message direction" {
        /// From the customer.
        Inbound => "inbound",
        /// To the customer.
        Outbound => "outbound",
    }
);

/// What a message carried.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum MessageBody {
    /// Text.
    Text {
        /// The text.
        body: String,
    },
    /// An image (payment screenshots).
    Image {
        /// Meta media id.
        media_id: String,
        /// Caption.
        caption: Option<String>,
    },
    /// Audio; `voice` for voice notes.
    Audio {
        /// Meta media id.
        media_id: String,
        /// Recorded as a voice note.
        voice: bool,
    },
    /// A location pin.
    Location {
        /// Latitude.
        latitude: f64,
        /// Longitude.
        longitude: f64,
        /// Place name.
        name: Option<String>,
        /// Address.
        address: Option<String>,
    },
    /// A reply button or list choice.
    Interactive {
        /// The id we gave the option.
        id: String,
        /// Its title.
        title: String,
    },
    /// A video.
    Video {
        /// Meta media id.
        media_id: String,
        /// Caption.
        #[serde(default)]
        caption: Option<String>,
    },
    /// A document (PDF receipts, invoices).
    Document {
        /// Meta media id.
        media_id: String,
        /// The file name the customer's phone gave it.
        #[serde(default)]
        filename: Option<String>,
        /// Caption.
        #[serde(default)]
        caption: Option<String>,
    },
    /// A sticker.
    Sticker {
        /// Meta media id.
        media_id: String,
    },
    /// A reaction to one of our messages; `emoji` is `None` when the customer removed it.
    Reaction {
        /// The wamid reacted to.
        message_id: String,
        /// The emoji, `None` for a removed reaction.
        #[serde(default)]
        emoji: Option<String>,
    },
    /// Anything we keep but do not interpret.
    Other {
        /// Meta's message type.
        kind: String,
    },
}

impl MessageBody {
    /// The type name stored beside the JSON.
    #[must_use]
    pub fn kind(&self) -> &str {
        match self {
            Self::Text { .. } => "text",
            Self::Image { .. } => "image",
            Self::Audio { .. } => "audio",
            Self::Location { .. } => "location",
            Self::Interactive { .. } => "interactive",
            Self::Video { .. } => "video",
            Self::Document { .. } => "document",
            Self::Sticker { .. } => "sticker",
            Self::Reaction { .. } => "reaction",
            Self::Other { kind } => kind,
        }
    }
}

/// A stored message.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// Id.
    pub id: MessageId,
    /// Conversation.
    pub conversation_id: ConversationId,
    /// Direction.
    pub direction: Direction,
    /// Meta's message id: unique per store, the dedupe key of inbound messages. An outbound
    /// message has one once Meta accepted it.
    pub wamid: Option<String>,
    /// Content.
    pub body: MessageBody,
    /// When it was sent or received.
    pub created_at: DateTime<Utc>,
    /// Outbound: how far it got (never moves backwards, see [`MessageStatus::supersedes`]).
    pub status: Option<MessageStatus>,
    /// Outbound: when the status last changed.
    pub status_at: Option<DateTime<Utc>>,
    /// Outbound: why it failed (Meta's code and title, or ours).
    pub error: Option<String>,
    /// Outbound: the outbox key, unique, so a reply decided twice is stored once.
    pub idempotency_key: Option<String>,
    /// Outbound: the inbound message it answers.
    pub in_reply_to: Option<MessageId>,
    /// Inbound: when the conversation handler finished with it (its replies are saved).
    pub handled_at: Option<DateTime<Utc>>,
    /// Inbound voice note: what the customer said, as transcribed.
    pub transcript: Option<String>,
    /// Inbound media kept by us (payment screenshots): the media store key.
    pub media_path: Option<String>,
}

impl Message {
    /// A message with only the required fields set.
    #[must_use]
    pub fn new(
        id: MessageId,
        conversation_id: ConversationId,
        direction: Direction,
        body: MessageBody,
        created_at: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            conversation_id,
            direction,
            wamid: None,
            body,
            created_at,
            status: None,
            status_at: None,
            error: None,
            idempotency_key: None,
            in_reply_to: None,
            handled_at: None,
            transcript: None,
            media_path: None,
        }
    }
}

text_enum!(
    /// How far an outbound message got.
    MessageStatus, "message status" {
        /// Saved, waiting in the outbox.
        Queued => "queued",
        /// Accepted by Meta.
        Sent => "sent",
        /// On the customer's phone.
        Delivered => "delivered",
        /// Read by the customer.
        Read => "read",
        /// Failed (Meta's error, or ours before sending).
        Failed => "failed",
    }
);

impl MessageStatus {
    /// Precedence: queued < sent < delivered < read, and `failed` above all; `read` and
    /// `failed` are final. Meta's statuses arrive out of order, so a status may only replace
    /// a lower one: `read` before `delivered` stays `read` (the same rule as the webhook
    /// port's `DeliveryStatus::supersedes`).
    #[must_use]
    pub const fn rank(self) -> u8 {
        match self {
            Self::Queued => 0,
            Self::Sent => 1,
            Self::Delivered => 2,
            Self::Read => 3,
            Self::Failed => 4,
        }
    }

    /// Whether `self` may replace `current`.
    #[must_use]
    pub const fn supersedes(self, current: Option<Self>) -> bool {
        match current {
            None => true,
            Some(Self::Read | Self::Failed) => false,
            Some(c) => self.rank() > c.rank(),
        }
    }
}

/// A dish or product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MenuItem {
    /// Id.
    pub id: MenuItemId,
    /// Name ("Zinger Burger").
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Category ("Burgers").
    pub category: Option<String>,
    /// Price (of the first variant, when there are variants).
    pub price: Money,
    /// Priced variants; empty when the item has one price.
    pub variants: Vec<MenuVariant>,
    /// Can be ordered now.
    pub available: bool,
    /// Created.
    pub created_at: DateTime<Utc>,
}

text_enum!(
    /// How a customer can pay.
    PaymentMethodKind, "payment method kind" {
        /// Cash to the rider.
        CashOnDelivery => "cash_on_delivery",
        /// Bank transfer (IBAN).
        BankTransfer => "bank_transfer",
        /// Easypaisa wallet.
        Easypaisa => "easypaisa",
        /// JazzCash wallet.
        JazzCash => "jazzcash",
    }
);

impl PaymentMethodKind {
    /// Whether the customer must send a payment screenshot for the owner to verify.
    #[must_use]
    pub const fn needs_proof(self) -> bool {
        !matches!(self, Self::CashOnDelivery)
    }
}

/// A payment method a store offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentMethod {
    /// Id.
    pub id: PaymentMethodId,
    /// Kind.
    pub kind: PaymentMethodKind,
    /// Shown to the customer ("Meezan Bank").
    pub label: String,
    /// Where to pay (account title and number, IBAN, wallet number).
    pub details: String,
    /// What the customer should do ("Send the screenshot here after paying").
    pub instructions: Option<String>,
    /// Offered now.
    pub active: bool,
    /// Created.
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_bodies_round_trip_as_tagged_json() {
        let b = MessageBody::Audio {
            media_id: "123".into(),
            voice: true,
        };
        let json = serde_json::to_string(&b).unwrap_or_default();
        assert_eq!(json, r#"{"type":"audio","media_id":"123","voice":true}"#);
        assert_eq!(
            serde_json::from_str::<MessageBody>(&json).ok(),
            Some(b.clone())
        );
        assert_eq!(b.kind(), "audio");
        assert_eq!(
            MessageBody::Other {
                kind: "poll".into()
            }
            .kind(),
            "poll"
        );
    }

    #[test]
    fn new_bodies_round_trip_and_read_without_optional_fields() {
        let bodies = [
            MessageBody::Video {
                media_id: "1".into(),
                caption: Some("unboxing".into()),
            },
            MessageBody::Document {
                media_id: "2".into(),
                filename: Some("receipt.pdf".into()),
                caption: None,
            },
            MessageBody::Sticker {
                media_id: "3".into(),
            },
            MessageBody::Reaction {
                message_id: "wamid.X".into(),
                emoji: Some("👍".into()),
            },
        ];
        for b in bodies {
            let json = serde_json::to_string(&b).unwrap_or_default();
            assert_eq!(
                serde_json::from_str::<MessageBody>(&json).ok(),
                Some(b.clone())
            );
            assert!(
                json.contains(&format!(r#""type":"{}""#, b.kind())),
                "{json}"
            );
        }
        let removed: Option<MessageBody> =
            serde_json::from_str(r#"{"type":"reaction","message_id":"wamid.X"}"#).ok();
        assert_eq!(
            removed,
            Some(MessageBody::Reaction {
                message_id: "wamid.X".into(),
                emoji: None
            })
        );
    }

    #[test]
    fn only_cash_needs_no_proof() {
        assert!(!PaymentMethodKind::CashOnDelivery.needs_proof());
        assert!(PaymentMethodKind::Easypaisa.needs_proof());
        assert_eq!("jazzcash".parse(), Ok(PaymentMethodKind::JazzCash));
    }
}
