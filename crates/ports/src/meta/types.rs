//! Requests and answers of the Graph API in the core's terms. Meta's open enums (statuses that
//! gain values over time) stay strings where the core only displays them, and become types
//! where it branches on them.

use std::time::Duration;

use chrono::{DateTime, Utc};
use omni_domain::{MessagingLimits, PhoneNumberId, QualityRating};
use secrecy::SecretString;

// ---------------------------------------------------------------------------------------------
// OAuth

/// What goes into a Facebook Login dialog URL besides the app id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthDialogRequest {
    /// Where Meta sends the browser back; must be registered with the app.
    pub redirect_uri: String,
    /// Our signed, single-use CSRF value; Meta hands it back untouched.
    pub state: String,
    /// Embedded Signup / Login for Business configuration id; `None` for the classic dialog
    /// with `scope=whatsapp_business_management,whatsapp_business_messaging`.
    pub config_id: Option<String>,
}

/// An access token Meta issued.
#[derive(Debug, Clone)]
pub struct AccessToken {
    /// The token.
    pub token: SecretString,
    /// `token_type`, normally `bearer`.
    pub token_type: String,
    /// `expires_in`; `None` when Meta gave none (business tokens that never expire).
    pub expires_in: Option<Duration>,
}

/// One entry of `granular_scopes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GranularScope {
    /// Permission name.
    pub scope: String,
    /// Asset ids (WABA ids for the WhatsApp scopes); empty when the token covers all assets.
    pub target_ids: Vec<String>,
}

/// What `debug_token` says about a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    /// The app the token belongs to; must be ours.
    pub app_id: String,
    /// `type`: `USER`, `SYSTEM_USER`, `PAGE`, `APP`.
    pub token_type: Option<String>,
    /// `is_valid`.
    pub is_valid: bool,
    /// `issued_at`.
    pub issued_at: Option<DateTime<Utc>>,
    /// `expires_at`; `None` for never (Meta's 0).
    pub expires_at: Option<DateTime<Utc>>,
    /// `data_access_expires_at`; `None` for never.
    pub data_access_expires_at: Option<DateTime<Utc>>,
    /// `scopes`.
    pub scopes: Vec<String>,
    /// `granular_scopes`.
    pub granular_scopes: Vec<GranularScope>,
    /// `user_id`.
    pub user_id: Option<String>,
    /// `error.message` when the token is invalid.
    pub error_message: Option<String>,
}

/// `whatsapp_business_management`.
pub const SCOPE_MANAGEMENT: &str = "whatsapp_business_management";
/// `whatsapp_business_messaging`.
pub const SCOPE_MESSAGING: &str = "whatsapp_business_messaging";

impl TokenInfo {
    /// The WABAs the token may manage (`granular_scopes[whatsapp_business_management]`).
    #[must_use]
    pub fn waba_ids(&self) -> Vec<String> {
        self.granular_scopes
            .iter()
            .filter(|g| g.scope == SCOPE_MANAGEMENT)
            .flat_map(|g| g.target_ids.iter().cloned())
            .collect()
    }

    /// Whether both WhatsApp permissions were granted.
    #[must_use]
    pub fn has_whatsapp_scopes(&self) -> bool {
        [SCOPE_MANAGEMENT, SCOPE_MESSAGING]
            .iter()
            .all(|s| self.scopes.iter().any(|g| g == s))
    }
}

// ---------------------------------------------------------------------------------------------
// Accounts

/// Whether an entity can send (`health_status.can_send_message`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CanSend {
    /// `AVAILABLE`.
    Available,
    /// `LIMITED`, see `additional_info`.
    Limited,
    /// `BLOCKED`, see `errors`.
    Blocked,
    /// A value Meta added later.
    Unknown(String),
}

impl CanSend {
    /// Reads Meta's value.
    #[must_use]
    pub fn from_meta(raw: &str) -> Self {
        match raw {
            "AVAILABLE" => Self::Available,
            "LIMITED" => Self::Limited,
            "BLOCKED" => Self::Blocked,
            other => Self::Unknown(other.to_owned()),
        }
    }

    /// Meta's spelling.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::Available => "AVAILABLE",
            Self::Limited => "LIMITED",
            Self::Blocked => "BLOCKED",
            Self::Unknown(s) => s,
        }
    }
}

/// A blocking problem in `health_status.entities[].errors[]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthProblem {
    /// `error_code`.
    pub code: i64,
    /// `error_description`.
    pub description: String,
    /// `possible_solution`.
    pub possible_solution: Option<String>,
}

/// One entity of `health_status` (phone number, WABA, business, app).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthEntity {
    /// `entity_type`.
    pub entity_type: String,
    /// `id`.
    pub id: String,
    /// `can_send_message`.
    pub can_send_message: CanSend,
    /// `additional_info`.
    pub additional_info: Vec<String>,
    /// `errors`.
    pub errors: Vec<HealthProblem>,
}

/// `health_status` of a number: the overall verdict is the worst entity's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthStatus {
    /// `can_send_message`.
    pub can_send_message: CanSend,
    /// `entities`.
    pub entities: Vec<HealthEntity>,
}

/// A phone number as Meta describes it (`GET /{phone_number_id}` or a WABA listing).
#[derive(Debug, Clone, PartialEq)]
pub struct PhoneNumberInfo {
    /// `id`.
    pub id: PhoneNumberId,
    /// `display_phone_number`, as Meta formats it (e.g. `+92 300 1112233`).
    pub display_phone_number: String,
    /// `verified_name`.
    pub verified_name: Option<String>,
    /// `quality_rating` (UNKNOWN and NA read as [`QualityRating::Unknown`]).
    pub quality_rating: QualityRating,
    /// Portfolio limit, legacy per-number tier, throughput level.
    pub limits: MessagingLimits,
    /// `code_verification_status`: `VERIFIED`, `NOT_VERIFIED`, `EXPIRED`.
    pub code_verification_status: Option<String>,
    /// `name_status`: `APPROVED`, `PENDING_REVIEW`, `DECLINED`, ...
    pub name_status: Option<String>,
    /// `status`: `CONNECTED` is needed to send; `PENDING`, `FLAGGED`, `RESTRICTED`, ...
    pub status: Option<String>,
    /// `platform_type` (or `host_platform`): `CLOUD_API`, `ON_PREMISE`, `NOT_APPLICABLE`.
    pub platform_type: Option<String>,
    /// `account_mode`: `LIVE`, `SANDBOX`.
    pub account_mode: Option<String>,
    /// `health_status`.
    pub health: Option<HealthStatus>,
}

impl PhoneNumberInfo {
    /// Whether Meta reports the number connected.
    #[must_use]
    pub fn is_connected(&self) -> bool {
        self.status.as_deref() == Some("CONNECTED")
    }
}

/// An app subscribed to a WABA's webhooks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscribedApp {
    /// `whatsapp_business_api_data.id`.
    pub app_id: String,
    /// `whatsapp_business_api_data.name`.
    pub name: Option<String>,
    /// `override_callback_uri`, when set.
    pub override_callback_uri: Option<String>,
}

/// A WABA-level callback override (`subscribed_apps` body).
#[derive(Debug, Clone)]
pub struct CallbackOverride {
    /// `override_callback_uri` (HTTPS, at most 200 characters).
    pub uri: String,
    /// `verify_token` Meta will present on the GET challenge.
    pub verify_token: SecretString,
}

// ---------------------------------------------------------------------------------------------
// Messages

/// Who a message goes to.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Recipient {
    /// A phone number in E.164 (`+923001234567`); sent with the `+` so Meta never prepends
    /// the business number's country code.
    Phone(String),
    /// A business-scoped user id (BSUID, `recipient`).
    UserId(String),
}

/// What kind of media.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum MediaKind {
    /// `image`.
    Image,
    /// `audio`.
    Audio,
    /// `video`.
    Video,
    /// `document`.
    Document,
    /// `sticker`.
    Sticker,
}

impl MediaKind {
    /// Meta's type name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::Audio => "audio",
            Self::Video => "video",
            Self::Document => "document",
            Self::Sticker => "sticker",
        }
    }
}

/// Where media comes from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum MediaSource {
    /// An uploaded media id (preferred).
    Id(String),
    /// A public HTTPS link.
    Link(String),
}

/// A reply button (at most 3 per message; title at most 20 characters).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReplyButton {
    /// Our id, echoed back in `button_reply.id`.
    pub id: String,
    /// What the customer sees.
    pub title: String,
}

/// A row of a list message.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ListRow {
    /// Our id, echoed back in `list_reply.id`.
    pub id: String,
    /// Title (at most 24 characters).
    pub title: String,
    /// Description (at most 72 characters).
    pub description: Option<String>,
}

/// A section of a list message.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ListSection {
    /// Title (required when there is more than one section).
    pub title: Option<String>,
    /// Rows (at most 10 in the whole message).
    pub rows: Vec<ListRow>,
}

/// A parameter of a template component.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum TemplateParameter {
    /// Text, positional or named (`parameter_name`).
    Text {
        /// The value.
        text: String,
        /// For named-parameter templates.
        name: Option<String>,
    },
    /// A currency amount.
    Currency {
        /// Shown where the amount cannot be localised.
        fallback_value: String,
        /// ISO 4217, e.g. `PKR`.
        code: String,
        /// Amount times 1000.
        amount_1000: i64,
    },
    /// A media header.
    Media {
        /// Which kind.
        kind: MediaKind,
        /// Where from.
        source: MediaSource,
    },
    /// A quick-reply button payload.
    Payload(String),
}

/// Which part of a template a component fills.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum TemplateComponentKind {
    /// `header`.
    Header,
    /// `body`.
    Body,
    /// `button` with `sub_type` (`quick_reply`, `url`) and `index`.
    Button {
        /// `sub_type`.
        sub_type: String,
        /// `index`.
        index: u8,
    },
}

/// One component of a template send.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TemplateComponent {
    /// Which part.
    pub kind: TemplateComponentKind,
    /// Its parameters.
    pub parameters: Vec<TemplateParameter>,
}

/// What a message carries.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum OutboundContent {
    /// Text (at most 4096 characters).
    Text {
        /// The text.
        body: String,
        /// Render a preview of the first URL.
        preview_url: bool,
    },
    /// Image, audio, video, document or sticker.
    Media {
        /// Which kind.
        kind: MediaKind,
        /// Where from.
        source: MediaSource,
        /// Caption (not for audio and sticker).
        caption: Option<String>,
        /// File name (documents).
        filename: Option<String>,
        /// Audio only: play it as a voice note.
        #[serde(default)]
        voice: bool,
    },
    /// Up to three reply buttons.
    ReplyButtons {
        /// Text header.
        header: Option<String>,
        /// Body text.
        body: String,
        /// Footer text.
        footer: Option<String>,
        /// The buttons.
        buttons: Vec<ReplyButton>,
    },
    /// A list of choices behind one button.
    List {
        /// Text header.
        header: Option<String>,
        /// Body text.
        body: String,
        /// Footer text.
        footer: Option<String>,
        /// Label of the button that opens the list.
        button: String,
        /// The sections.
        sections: Vec<ListSection>,
    },
    /// Ask the customer to share their location.
    LocationRequest {
        /// Body text.
        body: String,
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
    /// An approved template (the only thing allowed outside the 24-hour window).
    Template {
        /// Template name.
        name: String,
        /// Language code, e.g. `en_US`.
        language: String,
        /// Parameters.
        components: Vec<TemplateComponent>,
    },
    /// A reaction to a message; an empty emoji removes it.
    Reaction {
        /// The wamid reacted to.
        message_id: String,
        /// The emoji.
        emoji: String,
    },
}

/// A message to send.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct OutboundMessage {
    /// To whom.
    pub to: Recipient,
    /// What.
    pub content: OutboundContent,
    /// Quote this wamid (`context.message_id`).
    pub reply_to: Option<String>,
    /// Echoed back in status webhooks (at most 512 bytes); we put the outbox key here to
    /// recognise a duplicate after an ambiguous failure.
    pub biz_opaque_callback_data: Option<String>,
}

impl OutboundMessage {
    /// A plain text message.
    #[must_use]
    pub fn text(to: Recipient, body: impl Into<String>) -> Self {
        Self {
            to,
            content: OutboundContent::Text {
                body: body.into(),
                preview_url: false,
            },
            reply_to: None,
            biz_opaque_callback_data: None,
        }
    }
}

/// Meta's answer to a send: accepted, not yet delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentMessage {
    /// The new message's wamid.
    pub wamid: String,
    /// `contacts[0].wa_id` (or `user_id` for a BSUID send).
    pub recipient_id: Option<String>,
    /// `messages[0].message_status` for paced templates (`accepted`, `held_for_quality_assessment`).
    pub message_status: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Media

/// What `GET /{media_id}` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaInfo {
    /// Media id.
    pub id: String,
    /// Short-lived (5 minutes) download URL; needs the bearer token.
    pub url: String,
    /// MIME type.
    pub mime_type: String,
    /// Base64 SHA-256 of the bytes, when Meta gave one.
    pub sha256: Option<String>,
    /// Size in bytes.
    pub file_size: Option<u64>,
}

/// Downloaded media, checked against Meta's size and checksum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadedMedia {
    /// The bytes.
    pub bytes: Vec<u8>,
    /// MIME type without parameters (`audio/ogg`, not `audio/ogg; codecs=opus`).
    pub mime_type: String,
}

/// Bytes to upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaUpload {
    /// The bytes.
    pub bytes: Vec<u8>,
    /// MIME type.
    pub mime_type: String,
    /// File name.
    pub filename: String,
}

// ---------------------------------------------------------------------------------------------
// Templates

/// A message template of a WABA. `components` stays Meta's JSON: its structure is rich and
/// only read where a template is checked before sending.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageTemplate {
    /// Template id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Language code.
    pub language: String,
    /// `APPROVED`, `PENDING`, `REJECTED`, `PAUSED`, `DISABLED`, ...
    pub status: String,
    /// `MARKETING`, `UTILITY`, `AUTHENTICATION`.
    pub category: String,
    /// `components` as Meta sent them.
    pub components: serde_json::Value,
    /// `POSITIONAL` or `NAMED`.
    pub parameter_format: Option<String>,
    /// `rejected_reason`.
    pub rejected_reason: Option<String>,
}

/// A template to create.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTemplate {
    /// Name (lowercase, digits, underscores).
    pub name: String,
    /// Language code.
    pub language: String,
    /// Category.
    pub category: String,
    /// `components` in Meta's shape.
    pub components: serde_json::Value,
    /// `POSITIONAL` or `NAMED`; Meta's default when `None`.
    pub parameter_format: Option<String>,
}

/// Meta's answer to a template creation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedTemplate {
    /// Template id.
    pub id: String,
    /// Initial status (usually `PENDING`).
    pub status: String,
    /// Category Meta assigned.
    pub category: String,
}
