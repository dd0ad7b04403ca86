//! Delivery statuses of the messages we sent (ordered by precedence, since Meta's arrive out
//! of order) and the value-level errors of a messages change.

use chrono::{DateTime, Utc};
use omni_domain::PhoneNumberId;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

use super::{ChangeOrigin, WebhookError};

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
