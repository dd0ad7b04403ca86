//! Webhook events in the core's terms, read from Meta's payloads by the Meta adapter.
//!
//! Meta batches (`entry[]`, `changes[]`, `messages[]`, `statuses[]` are all arrays), retries,
//! duplicates and reorders its webhooks, and keeps adding fields and values. So the pipeline
//! gets a flat list of [`WebhookEvent`]s, one per message, status or management change, each
//! carrying what it needs to be routed ([`WebhookEvent::route`]) and deduplicated
//! ([`WebhookEvent::dedupe_key`]) on its own. Meta's open enums stay strings unless the core
//! branches on them; unknown fields become [`WebhookEvent::Other`] and are never dropped.
//!
//! Pure types: the parsing (and the SHA-256 of management values used in their dedupe keys)
//! lives in the adapter.

use std::fmt;

use chrono::{DateTime, Utc};
use omni_domain::{LimitTier, MessageBody, PhoneNumberId};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One POST body from Meta, flattened into events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookBatch {
    /// The envelope's `object` (`whatsapp_business_account`).
    pub object: String,
    /// Every message, status and change of every entry, in payload order.
    pub events: Vec<WebhookEvent>,
    /// Items the parser could not use (a message without an id, a change without a field, a
    /// messages change without a valid `phone_number_id`...). They are logged and skipped so
    /// the rest of the batch survives; a non-zero count is worth an alert, not a retry.
    pub skipped: usize,
}

/// Where an event must be routed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookRoute<'a> {
    /// `messages`-field events: the store owning this number.
    PhoneNumber(&'a PhoneNumberId),
    /// Management events: the store(s) owning this WABA (digits, as Meta sent them).
    Waba(&'a str),
}

/// One thing Meta told us.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum WebhookEvent {
    /// A customer's message (`messages[]`), boxed: it is by far the largest event.
    Message(Box<InboundMessage>),
    /// A status of a message we sent (`statuses[]`).
    Status(StatusUpdate),
    /// Value-level errors of a messages change (system, app or account problems).
    ValueErrors(ValueErrors),
    /// `phone_number_quality_update`.
    QualityUpdate(QualityUpdate),
    /// `business_capability_update`.
    CapabilityUpdate(CapabilityUpdate),
    /// `account_update`.
    AccountUpdate(AccountUpdate),
    /// `account_review_update`.
    ReviewUpdate(ReviewUpdate),
    /// `account_alerts`.
    AccountAlert(AccountAlert),
    /// `message_template_status_update`.
    TemplateStatus(TemplateStatus),
    /// `phone_number_name_update`.
    NameUpdate(NameUpdate),
    /// Any other field, kept raw.
    Other(OtherChange),
}

impl WebhookEvent {
    /// The key under which duplicates (Meta's retries, or the same event sent to every app
    /// subscribed to the WABA) collapse:
    /// - messages: the wamid;
    /// - statuses: `wamid:status` (each step of a message is its own event);
    /// - everything else: `field:entry_id:entry_time:value_sha256` ([`ChangeOrigin`]), the
    ///   digest being computed by the adapter over the change's canonical `value` JSON.
    #[must_use]
    pub fn dedupe_key(&self) -> String {
        match self {
            Self::Message(m) => key_part(&m.wamid).into_owned(),
            Self::Status(s) => {
                format!("{}:{}", key_part(&s.wamid), key_part(&s.status.to_string()))
            }
            Self::ValueErrors(e) => e.origin.dedupe_key(),
            Self::QualityUpdate(e) => e.origin.dedupe_key(),
            Self::CapabilityUpdate(e) => e.origin.dedupe_key(),
            Self::AccountUpdate(e) => e.origin.dedupe_key(),
            Self::ReviewUpdate(e) => e.origin.dedupe_key(),
            Self::AccountAlert(e) => e.origin.dedupe_key(),
            Self::TemplateStatus(e) => e.origin.dedupe_key(),
            Self::NameUpdate(e) => e.origin.dedupe_key(),
            Self::Other(e) => e.origin.dedupe_key(),
        }
    }

    /// Where to route it: messages, statuses and value errors by `phone_number_id`,
    /// management fields by WABA (`entry.id`, or `waba_info.waba_id` for partner events).
    #[must_use]
    pub fn route(&self) -> WebhookRoute<'_> {
        match self {
            Self::Message(m) => WebhookRoute::PhoneNumber(&m.phone_number_id),
            Self::Status(s) => WebhookRoute::PhoneNumber(&s.phone_number_id),
            Self::ValueErrors(e) => WebhookRoute::PhoneNumber(&e.phone_number_id),
            Self::QualityUpdate(e) => WebhookRoute::Waba(&e.waba_id),
            Self::CapabilityUpdate(e) => WebhookRoute::Waba(&e.waba_id),
            Self::AccountUpdate(e) => WebhookRoute::Waba(&e.waba_id),
            Self::ReviewUpdate(e) => WebhookRoute::Waba(&e.waba_id),
            Self::AccountAlert(e) => WebhookRoute::Waba(&e.waba_id),
            Self::TemplateStatus(e) => WebhookRoute::Waba(&e.waba_id),
            Self::NameUpdate(e) => WebhookRoute::Waba(&e.waba_id),
            Self::Other(e) => WebhookRoute::Waba(&e.waba_id),
        }
    }

    /// The webhook field the event came from (`messages`, `account_update`, ...).
    #[must_use]
    pub fn field(&self) -> &str {
        match self {
            Self::Message(_) | Self::Status(_) => "messages",
            Self::ValueErrors(e) => &e.origin.field,
            Self::QualityUpdate(e) => &e.origin.field,
            Self::CapabilityUpdate(e) => &e.origin.field,
            Self::AccountUpdate(e) => &e.origin.field,
            Self::ReviewUpdate(e) => &e.origin.field,
            Self::AccountAlert(e) => &e.origin.field,
            Self::TemplateStatus(e) => &e.origin.field,
            Self::NameUpdate(e) => &e.origin.field,
            Self::Other(e) => &e.origin.field,
        }
    }
}

/// Which change an event without an id of its own came from; its dedupe key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeOrigin {
    /// `changes[].field`.
    pub field: String,
    /// `entry[].id` as sent (a WABA id, or the partner's business id for partner events).
    pub entry_id: String,
    /// `entry[].time` (Unix seconds), when present.
    pub entry_time: Option<i64>,
    /// Lowercase hex SHA-256 of the change's `value`, canonical JSON (sorted keys, compact).
    pub value_digest: String,
}

impl ChangeOrigin {
    /// `field:entry_id:entry_time:value_digest` (`entry_time` empty when absent).
    #[must_use]
    pub fn dedupe_key(&self) -> String {
        let time = self.entry_time.map(|t| t.to_string()).unwrap_or_default();
        format!(
            "{}:{}:{}:{}",
            key_part(&self.field),
            key_part(&self.entry_id),
            time,
            self.value_digest
        )
    }

    /// `entry_time` as a date.
    #[must_use]
    pub fn time(&self) -> Option<DateTime<Utc>> {
        self.entry_time
            .and_then(|t| DateTime::<Utc>::from_timestamp(t, 0))
    }
}

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

/// A status of a message we sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusUpdate {
    /// The number we sent from (routing key).
    pub phone_number_id: PhoneNumberId,
    /// `entry.id`: the WABA.
    pub waba_id: String,
    /// The wamid Meta returned when we sent.
    pub wamid: String,
    /// The new status.
    pub status: DeliveryStatus,
    /// When it happened.
    pub timestamp: DateTime<Utc>,
    /// The customer's `wa_id`; absent when we sent to a BSUID.
    pub recipient_id: Option<String>,
    /// The customer's BSUID.
    pub recipient_user_id: Option<String>,
    /// What we attached when sending.
    pub biz_opaque_callback_data: Option<String>,
    /// `pricing.category` (`service`, `utility`, `marketing`, ...).
    pub pricing_category: Option<String>,
    /// `pricing.type` (`regular`, `free_customer_service`, `free_entry_point`).
    pub pricing_type: Option<String>,
    /// `pricing.pricing_model` (`PMP`).
    pub pricing_model: Option<String>,
    /// Why it failed (only on `failed`).
    pub errors: Vec<WebhookError>,
}

/// A delivery status, ordered by precedence because Meta's statuses arrive out of order.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DeliveryStatus {
    /// Accepted by Meta.
    Sent,
    /// On the customer's phone.
    Delivered,
    /// Read (implies delivered).
    Read,
    /// A voice message we sent was played.
    Played,
    /// Failed: terminal.
    Failed,
    /// A value this code does not know (kept as sent).
    Other(String),
}

impl DeliveryStatus {
    /// Reads Meta's `status` (case-insensitive; unknown values kept).
    #[must_use]
    pub fn from_meta(raw: &str) -> Self {
        match raw.trim().to_ascii_lowercase().as_str() {
            "sent" => Self::Sent,
            "delivered" => Self::Delivered,
            "read" => Self::Read,
            "played" => Self::Played,
            "failed" => Self::Failed,
            _ => Self::Other(raw.to_owned()),
        }
    }

    /// Meta's text form.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::Sent => "sent",
            Self::Delivered => "delivered",
            Self::Read => "read",
            Self::Played => "played",
            Self::Failed => "failed",
            Self::Other(s) => s,
        }
    }

    /// Precedence: sent 1 < delivered 2 < read 3 < played 4; failed 5 (terminal);
    /// unknown values 0.
    #[must_use]
    pub const fn rank(&self) -> u8 {
        match self {
            Self::Other(_) => 0,
            Self::Sent => 1,
            Self::Delivered => 2,
            Self::Read => 3,
            Self::Played => 4,
            Self::Failed => 5,
        }
    }

    /// No later status changes it.
    #[must_use]
    pub const fn is_terminal(&self) -> bool {
        matches!(self, Self::Failed)
    }

    /// Whether this status, arriving now, should replace `current`: never after a terminal
    /// status, never for unknown values, otherwise only when it ranks higher (a late
    /// `delivered` after `read` is ignored).
    #[must_use]
    pub fn supersedes(&self, current: &Self) -> bool {
        if current.is_terminal() || matches!(self, Self::Other(_)) {
            return false;
        }
        self.rank() > current.rank()
    }
}

impl fmt::Display for DeliveryStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for DeliveryStatus {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for DeliveryStatus {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Ok(Self::from_meta(&raw))
    }
}

/// An error object inside a webhook (`errors[]` of a message, status or value).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookError {
    /// Meta's code (131047, 130429, ...); 0 when Meta sent none.
    pub code: i64,
    /// `title`.
    pub title: Option<String>,
    /// `message`.
    pub message: Option<String>,
    /// `error_data.details`.
    pub details: Option<String>,
}

/// Value-level errors of a messages change (rate limits, account problems).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValueErrors {
    /// The number concerned.
    pub phone_number_id: PhoneNumberId,
    /// `entry.id`: the WABA.
    pub waba_id: String,
    /// The errors.
    pub errors: Vec<WebhookError>,
    /// Dedupe key source.
    pub origin: ChangeOrigin,
}

/// `phone_number_quality_update`: a number's quality or limit changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QualityUpdate {
    /// The WABA (`entry.id`).
    pub waba_id: String,
    /// The number (digits); map to a `phone_number_id` through the WABA's numbers.
    pub display_phone_number: String,
    /// `event`: `ONBOARDING`, `THROUGHPUT_UPGRADE`, legacy `FLAGGED`, `UNFLAGGED`, `UPGRADE`,
    /// `DOWNGRADE`, or newer values.
    pub event: String,
    /// `max_daily_conversations_per_business`, else the deprecated `current_limit`; `None` when
    /// absent or not a known tier.
    pub limit: Option<LimitTier>,
    /// `old_limit` (deprecated), when sent.
    pub old_limit: Option<LimitTier>,
    /// Dedupe key source.
    pub origin: ChangeOrigin,
}

/// `business_capability_update`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapabilityUpdate {
    /// The WABA (`entry.id`).
    pub waba_id: String,
    /// `max_daily_conversations_per_business` (a `TIER_*` string or an integer such as 2000;
    /// -1 is unlimited), else the legacy `max_daily_conversation_per_phone`.
    pub max_daily: Option<LimitTier>,
    /// `max_phone_numbers_per_waba`, else `max_phone_numbers_per_business`.
    pub max_phone_numbers: Option<u32>,
    /// Dedupe key source.
    pub origin: ChangeOrigin,
}

/// `account_update`: life-cycle and policy events of a WABA.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountUpdate {
    /// The customer's WABA: `value.waba_info.waba_id` when present (partner events, where
    /// `entry.id` is the partner's business), else `entry.id`.
    pub waba_id: String,
    /// `event` (`PARTNER_APP_UNINSTALLED`, `DISABLED_UPDATE`, `ACCOUNT_VIOLATION`, ...).
    pub event: String,
    /// `ban_info.waba_ban_state` (`DISABLE`, `REINSTATE`, `SCHEDULE_FOR_DISABLE`).
    pub ban_state: Option<String>,
    /// `ban_info.waba_ban_date`.
    pub ban_date: Option<String>,
    /// `violation_info.violation_type`.
    pub violation_type: Option<String>,
    /// `waba_info.owner_business_id`.
    pub owner_business_id: Option<String>,
    /// `waba_info.partner_app_id`.
    pub partner_app_id: Option<String>,
    /// `country` (`BUSINESS_PRIMARY_LOCATION_COUNTRY_UPDATE`).
    pub country: Option<String>,
    /// Dedupe key source (its `entry_id` is `entry.id` as sent).
    pub origin: ChangeOrigin,
}

impl AccountUpdate {
    /// The customer removed our app or our partnership: the token is dead, disable the tenant.
    #[must_use]
    pub fn is_access_lost(&self) -> bool {
        matches!(
            self.event.as_str(),
            "PARTNER_APP_UNINSTALLED" | "PARTNER_REMOVED" | "ACCOUNT_DELETED"
        )
    }
}

/// `account_review_update`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewUpdate {
    /// The WABA (`entry.id`).
    pub waba_id: String,
    /// `decision`: `APPROVED`, `REJECTED`, `PENDING`, `DEFERRED`.
    pub decision: String,
    /// Dedupe key source.
    pub origin: ChangeOrigin,
}

/// `account_alerts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountAlert {
    /// The WABA (`entry.id`).
    pub waba_id: String,
    /// `entity_type` (`BUSINESS`, `PHONE_NUMBER`, ...).
    pub entity_type: Option<String>,
    /// `entity_id`.
    pub entity_id: Option<String>,
    /// `alert_info.alert_type`.
    pub alert_type: Option<String>,
    /// `alert_info.alert_severity` (`CRITICAL`, `WARNING`, `INFORMATIONAL`).
    pub severity: Option<String>,
    /// `alert_info.alert_status` (`ACTIVE`, `NONE`).
    pub status: Option<String>,
    /// `alert_info.alert_description`.
    pub description: Option<String>,
    /// Dedupe key source.
    pub origin: ChangeOrigin,
}

/// `message_template_status_update`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateStatus {
    /// The WABA (`entry.id`).
    pub waba_id: String,
    /// `message_template_id` (a JSON number in the payload, kept as its digits).
    pub template_id: String,
    /// `message_template_name`.
    pub name: Option<String>,
    /// `message_template_language`.
    pub language: Option<String>,
    /// `message_template_category`.
    pub category: Option<String>,
    /// `event` (`APPROVED`, `REJECTED`, `PAUSED`, `DISABLED`, ...).
    pub event: String,
    /// `reason` (`NONE`, `INVALID_FORMAT`, ... or null).
    pub reason: Option<String>,
    /// Dedupe key source.
    pub origin: ChangeOrigin,
}

/// `phone_number_name_update`: the review of a display name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameUpdate {
    /// The WABA (`entry.id`).
    pub waba_id: String,
    /// The number (digits).
    pub display_phone_number: String,
    /// `decision` (`APPROVED`, `DEFERRED`, `PENDING`, `REJECTED`).
    pub decision: String,
    /// `requested_verified_name`.
    pub requested_verified_name: Option<String>,
    /// `rejection_reason`.
    pub rejection_reason: Option<String>,
    /// Dedupe key source.
    pub origin: ChangeOrigin,
}

/// A change of a field this code does not interpret (or a known field whose value was
/// unusable), kept whole.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OtherChange {
    /// `entry.id` (normally the WABA).
    pub waba_id: String,
    /// The change's `value`, as sent.
    pub value: serde_json::Value,
    /// Dedupe key source (`origin.field` is the field name).
    pub origin: ChangeOrigin,
}

/// One part of a dedupe key with `%` and `:` escaped, so the parts can be joined with `:`
/// without two different events sharing a key (a message key then has no bare `:`, a status
/// key one, a change key three). Meta's real ids contain neither, so real keys are unchanged
/// (found by fuzzing: docs/fuzzing.md, F3).
fn key_part(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains([':', '%']) {
        s.replace('%', "%25").replace(':', "%3A").into()
    } else {
        s.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_only_move_forward_and_failed_is_terminal() {
        use DeliveryStatus::*;
        assert!(Delivered.supersedes(&Sent));
        assert!(Read.supersedes(&Sent), "delivered may be skipped");
        assert!(!Delivered.supersedes(&Read), "late delivered after read");
        assert!(Played.supersedes(&Read));
        assert!(Failed.supersedes(&Sent));
        assert!(!Read.supersedes(&Failed));
        assert!(!Failed.supersedes(&Failed));
        assert!(!Other("deleted".into()).supersedes(&Sent));
        assert_eq!(DeliveryStatus::from_meta("READ"), Read);
        assert_eq!(DeliveryStatus::from_meta("warning").as_str(), "warning");
    }

    #[test]
    fn delivery_status_serializes_as_meta_text() {
        let json = serde_json::to_string(&DeliveryStatus::Played).unwrap_or_default();
        assert_eq!(json, r#""played""#);
        let back: Option<DeliveryStatus> = serde_json::from_str(r#""new_one""#).ok();
        assert_eq!(back, Some(DeliveryStatus::Other("new_one".into())));
    }

    #[test]
    fn change_origin_keys_are_stable_and_tolerate_a_missing_time() {
        let o = ChangeOrigin {
            field: "account_update".into(),
            entry_id: "1".into(),
            entry_time: None,
            value_digest: "ab".into(),
        };
        assert_eq!(o.dedupe_key(), "account_update:1::ab");
        let t = ChangeOrigin {
            entry_time: Some(1_763_906_350),
            ..o
        };
        assert_eq!(t.dedupe_key(), "account_update:1:1763906350:ab");
        assert!(t.time().is_some());
    }

    #[test]
    fn media_content_type_strips_parameters() {
        let m = InboundMedia {
            id: "1".into(),
            mime_type: Some("audio/ogg; codecs=opus".into()),
            sha256: None,
            url: None,
            filename: None,
            voice: true,
            animated: false,
        };
        assert_eq!(m.content_type().as_deref(), Some("audio/ogg"));
    }
}
