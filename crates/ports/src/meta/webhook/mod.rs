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
//! lives in the adapter.//!
//! Sections: the batch, its events, routing and dedupe keys (here); [`message`], [`status`]
//! and [`management`] hold the events' payloads.

mod management;
mod message;
mod status;

use chrono::{DateTime, Utc};
use omni_domain::PhoneNumberId;
use serde::{Deserialize, Serialize};

pub use management::{
    AccountAlert, AccountUpdate, CapabilityUpdate, NameUpdate, OtherChange, QualityUpdate,
    ReviewUpdate, TemplateStatus,
};
pub use message::{InboundMedia, InboundMessage, MessageContext, Referral};
pub use status::{DeliveryStatus, StatusUpdate, ValueErrors};

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

/// One part of a dedupe key with `%` and `:` escaped, so the parts can be joined with `:`
/// without two different events sharing a key (a message key then has no bare `:`, a status
/// key one, a change key three). Meta's real ids contain neither, so real keys are unchanged
/// (found by fuzzing: docs/fuzzing.md, F3).
pub(super) fn key_part(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains([':', '%']) {
        s.replace('%', "%25").replace(':', "%3A").into()
    } else {
        s.into()
    }
}

#[cfg(test)]
mod tests;
