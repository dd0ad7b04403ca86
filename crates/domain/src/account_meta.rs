//! What else we know of a WhatsApp account, beyond its columns: Meta's statuses of the number,
//! what the token check found, how the number was verified. Stored as one JSON object (the
//! `meta` column); the keys below are the ones the code reads and writes, anything else Meta
//! or an older version stored is kept as it was in [`AccountMeta::other`].

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The account's metadata. Every field is optional: a key absent from the stored object reads
/// as `None` (or `false`), and a `None` field is not written.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(from = "Value")]
pub struct AccountMeta {
    /// Meta's status of the number (`CONNECTED`, `FLAGGED`, `RESTRICTED`, ...), as Meta wrote it.
    #[serde(rename = "status", skip_serializing_if = "Option::is_none")]
    pub number_status: Option<String>,
    /// Review status of the display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_status: Option<String>,
    /// Whether the number's ownership code was verified.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code_verification_status: Option<String>,
    /// `CLOUD_API` or `ON_PREMISE`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform_type: Option<String>,
    /// `LIVE` or `SANDBOX`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_mode: Option<String>,
    /// The number as Meta displays it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_phone_number: Option<String>,
    /// Meta's health status: `AVAILABLE`, `LIMITED` or `BLOCKED`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub can_send_message: Option<String>,
    /// The access token's type (`SYSTEM_USER`, `USER`, ...), from the last token check.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
    /// When the token expires (RFC 3339), when it does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_expires_at: Option<String>,
    /// When the token was last checked (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_checked_at: Option<String>,
    /// The owner was told ahead of time that the token needs renewing.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub reauth_ahead: bool,
    /// How the number was verified (`{"method": ...}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification: Option<Value>,
    /// Why verification failed (a stable code).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification_error: Option<String>,
    /// Where the account came from when not through onboarding (`legacy`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Every other key, kept as stored.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl From<Value> for AccountMeta {
    /// Reads a stored object leniently: a known key whose value has another type than its
    /// field (or `null`) reads as absent and is dropped, so an odd row never fails to load;
    /// anything that is not an object reads as empty.
    fn from(value: Value) -> Self {
        let Value::Object(mut map) = value else {
            return Self::default();
        };
        let mut text = |key: &str| match map.remove(key) {
            Some(Value::String(s)) => Some(s),
            _ => None,
        };
        let mut meta = Self {
            number_status: text("status"),
            name_status: text("name_status"),
            code_verification_status: text("code_verification_status"),
            platform_type: text("platform_type"),
            account_mode: text("account_mode"),
            display_phone_number: text("display_phone_number"),
            can_send_message: text("can_send_message"),
            token_type: text("token_type"),
            token_expires_at: text("token_expires_at"),
            token_checked_at: text("token_checked_at"),
            verification_error: text("verification_error"),
            source: text("source"),
            ..Self::default()
        };
        meta.reauth_ahead = matches!(map.remove("reauth_ahead"), Some(Value::Bool(true)));
        meta.verification = map.remove("verification").filter(|v| !v.is_null());
        meta.other = map;
        meta
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn known_keys_are_typed_and_the_rest_is_kept() {
        let stored = json!({
            "status": "FLAGGED",
            "token_type": "SYSTEM_USER",
            "reauth_ahead": true,
            "verification": {"method": "meta_status"},
            "health_status": {"entities": [1, null]},
            "note": "اردو",
        });
        let meta: AccountMeta = serde_json::from_value(stored.clone()).unwrap_or_default();
        assert_eq!(meta.number_status.as_deref(), Some("FLAGGED"));
        assert_eq!(meta.token_type.as_deref(), Some("SYSTEM_USER"));
        assert!(meta.reauth_ahead);
        assert_eq!(meta.verification, Some(json!({"method": "meta_status"})));
        assert_eq!(meta.other.len(), 2, "{meta:?}");
        assert_eq!(serde_json::to_value(&meta).ok(), Some(stored), "round trip");
    }

    #[test]
    fn odd_values_read_as_absent_and_are_not_written_back() {
        let meta: AccountMeta =
            serde_json::from_value(json!({"status": 5, "reauth_ahead": "yes", "source": null}))
                .unwrap_or_default();
        assert_eq!(meta, AccountMeta::default());
        assert_eq!(serde_json::to_value(&meta).ok(), Some(json!({})));
        let not_an_object: AccountMeta = serde_json::from_value(json!("x")).unwrap_or_default();
        assert_eq!(not_an_object, AccountMeta::default());
    }
}
