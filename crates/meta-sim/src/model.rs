//! The public data types of the simulator: what tests seed (WABAs, numbers, templates,
//! tokens) and what they inspect afterwards (sent messages, read receipts, the request log,
//! subscriptions). All of them are serde types so the `/_sim` control API can speak them too.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::config::WHATSAPP_SCOPES;

/// A WABA to create, with its numbers.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SeedWaba {
    /// WABA id.
    pub waba_id: String,
    /// Owning business portfolio.
    pub business_id: String,
    /// WABA name.
    #[serde(default)]
    pub name: String,
    /// Its phone numbers.
    #[serde(default)]
    pub numbers: Vec<SeedNumber>,
}

impl SeedWaba {
    /// A WABA with no numbers yet.
    #[must_use]
    pub fn new(waba_id: impl Into<String>, business_id: impl Into<String>) -> Self {
        Self {
            waba_id: waba_id.into(),
            business_id: business_id.into(),
            name: "Sim WABA".to_owned(),
            numbers: Vec::new(),
        }
    }

    /// Adds a number.
    #[must_use]
    pub fn number(mut self, number: SeedNumber) -> Self {
        self.numbers.push(number);
        self
    }
}

/// A business phone number as the simulator stores it. Field names follow Meta's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SeedNumber {
    /// `phone_number_id`.
    pub id: String,
    /// `display_phone_number`, e.g. `+92 300 1112233`.
    pub display_phone_number: String,
    /// `verified_name`.
    pub verified_name: String,
    /// `quality_rating`: GREEN, YELLOW, RED, UNKNOWN, NA.
    pub quality_rating: String,
    /// `whatsapp_business_manager_messaging_limit` (portfolio limit), e.g. `TIER_2K`.
    pub messaging_limit: Option<String>,
    /// `messaging_limit_tier` (deprecated per-number tier).
    pub legacy_tier: Option<String>,
    /// `throughput.level`: STANDARD, HIGH, NOT_APPLICABLE.
    pub throughput_level: String,
    /// Sends per second the messages endpoint accepts before 130429.
    pub max_mps: u32,
    /// `code_verification_status`.
    pub code_verification_status: String,
    /// `name_status`.
    pub name_status: String,
    /// `status`: CONNECTED, PENDING, FLAGGED, ...
    pub status: String,
    /// Registered with the Cloud API (`platform_type` CLOUD_API); sends need it (133010).
    pub registered: bool,
    /// Two-step verification PIN; `None` = the first `register` sets it.
    pub pin: Option<String>,
    /// `health_status.can_send_message` of the PHONE_NUMBER entity.
    pub can_send: String,
    /// `additional_info` (LIMITED) or error descriptions (BLOCKED) of that entity.
    pub health_info: Vec<String>,
    /// `account_mode`: LIVE or SANDBOX.
    pub account_mode: String,
}

impl Default for SeedNumber {
    fn default() -> Self {
        Self {
            id: String::new(),
            display_phone_number: String::new(),
            verified_name: "Sim Store".to_owned(),
            quality_rating: "GREEN".to_owned(),
            messaging_limit: Some("TIER_2K".to_owned()),
            legacy_tier: None,
            throughput_level: "STANDARD".to_owned(),
            max_mps: 80,
            code_verification_status: "VERIFIED".to_owned(),
            name_status: "APPROVED".to_owned(),
            status: "CONNECTED".to_owned(),
            registered: true,
            pin: None,
            can_send: "AVAILABLE".to_owned(),
            health_info: Vec::new(),
            account_mode: "LIVE".to_owned(),
        }
    }
}

impl SeedNumber {
    /// A healthy, verified, registered, connected number with the default limits.
    #[must_use]
    pub fn new(id: impl Into<String>, display_phone_number: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            display_phone_number: display_phone_number.into(),
            ..Self::default()
        }
    }

    /// Sets `verified_name`.
    #[must_use]
    pub fn verified_name(mut self, name: impl Into<String>) -> Self {
        self.verified_name = name.into();
        self
    }

    /// Sets whether the number is registered with the Cloud API.
    #[must_use]
    pub fn registered(mut self, registered: bool) -> Self {
        self.registered = registered;
        self
    }

    /// Sets the two-step verification PIN.
    #[must_use]
    pub fn pin(mut self, pin: impl Into<String>) -> Self {
        self.pin = Some(pin.into());
        self
    }

    /// Sets the per-second send limit.
    #[must_use]
    pub fn max_mps(mut self, max_mps: u32) -> Self {
        self.max_mps = max_mps;
        self
    }

    /// Sets `quality_rating`.
    #[must_use]
    pub fn quality(mut self, rating: impl Into<String>) -> Self {
        self.quality_rating = rating.into();
        self
    }

    /// Sets the portfolio messaging limit (`None` omits the field).
    #[must_use]
    pub fn messaging_limit(mut self, limit: Option<&str>) -> Self {
        self.messaging_limit = limit.map(str::to_owned);
        self
    }

    /// Sets the deprecated per-number tier.
    #[must_use]
    pub fn legacy_tier(mut self, tier: Option<&str>) -> Self {
        self.legacy_tier = tier.map(str::to_owned);
        self
    }

    /// Sets `status`.
    #[must_use]
    pub fn status(mut self, status: impl Into<String>) -> Self {
        self.status = status.into();
        self
    }

    /// Sets `code_verification_status`.
    #[must_use]
    pub fn code_verification_status(mut self, status: impl Into<String>) -> Self {
        self.code_verification_status = status.into();
        self
    }

    /// Sets the number's `health_status` verdict and its info lines.
    #[must_use]
    pub fn can_send(mut self, can_send: impl Into<String>, info: Vec<String>) -> Self {
        self.can_send = can_send.into();
        self.health_info = info;
        self
    }
}

/// A message template to store on a WABA.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeedTemplate {
    /// Name.
    pub name: String,
    /// Language code, e.g. `en_US`.
    pub language: String,
    /// APPROVED, PENDING, REJECTED, PAUSED, DISABLED.
    pub status: String,
    /// MARKETING, UTILITY, AUTHENTICATION.
    pub category: String,
    /// Meta's `components` array.
    pub components: serde_json::Value,
    /// POSITIONAL or NAMED.
    #[serde(default)]
    pub parameter_format: Option<String>,
    /// `rejected_reason` (REJECTED templates).
    #[serde(default)]
    pub rejected_reason: Option<String>,
}

impl SeedTemplate {
    /// An approved UTILITY template with just a BODY of `body_text` (placeholders `{{1}}` ...).
    #[must_use]
    pub fn new(
        name: impl Into<String>,
        language: impl Into<String>,
        body_text: impl Into<String>,
    ) -> Self {
        Self {
            name: name.into(),
            language: language.into(),
            status: "APPROVED".to_owned(),
            category: "UTILITY".to_owned(),
            components: serde_json::json!([{ "type": "BODY", "text": body_text.into() }]),
            parameter_format: Some("POSITIONAL".to_owned()),
            rejected_reason: None,
        }
    }
}

/// A token to mint directly (tests skip the OAuth dialog).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TokenSeed {
    /// `SYSTEM_USER` (business token) or `USER`.
    pub kind: String,
    /// Granted permissions.
    pub scopes: Vec<String>,
    /// WABAs the token covers (`granular_scopes.target_ids`).
    pub waba_ids: Vec<String>,
    /// Lifetime; `None` never expires. In JSON: whole seconds.
    #[serde(with = "secs_opt")]
    pub expires_in: Option<Duration>,
    /// `user_id`; defaults to the configured test user.
    pub user_id: Option<String>,
    /// `client_business_id`; defaults to the first covered WABA's business.
    pub business_id: Option<String>,
}

impl Default for TokenSeed {
    fn default() -> Self {
        Self {
            kind: "SYSTEM_USER".to_owned(),
            scopes: WHATSAPP_SCOPES.iter().map(|s| (*s).to_owned()).collect(),
            waba_ids: Vec::new(),
            expires_in: None,
            user_id: None,
            business_id: None,
        }
    }
}

impl TokenSeed {
    /// A never-expiring business (system user) token for `waba_ids` with both WhatsApp scopes.
    #[must_use]
    pub fn business(waba_ids: &[&str]) -> Self {
        Self {
            waba_ids: waba_ids.iter().map(|s| (*s).to_owned()).collect(),
            ..Self::default()
        }
    }

    /// A user token for `waba_ids` that expires after `expires_in`.
    #[must_use]
    pub fn user(waba_ids: &[&str], expires_in: Duration) -> Self {
        Self {
            kind: "USER".to_owned(),
            expires_in: Some(expires_in),
            ..Self::business(waba_ids)
        }
    }
}

/// A message the messages endpoint accepted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SentRecord {
    /// The wamid returned.
    pub wamid: String,
    /// Sender.
    pub phone_number_id: String,
    /// `to` (or `recipient`) exactly as given.
    pub to: String,
    /// `type`: text, image, interactive, template, reaction, ...
    pub kind: String,
    /// The request JSON as received.
    pub body: serde_json::Value,
    /// Simulated time of acceptance.
    pub at: DateTime<Utc>,
}

/// A read receipt (optionally with a typing indicator) the messages endpoint accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadReceipt {
    /// The business number.
    pub phone_number_id: String,
    /// The inbound wamid marked read.
    pub message_id: String,
    /// Whether a typing indicator was asked for.
    pub typing: bool,
}

/// One request the simulator received (Graph, dialog and media download; not `/_sim`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestRecord {
    /// HTTP method.
    pub method: String,
    /// Path as received (including any mount prefix).
    pub path: String,
    /// Raw query string (empty when none).
    pub query: String,
    /// The `Authorization` header as received.
    pub authorization: Option<String>,
    /// The `Content-Type` header.
    pub content_type: Option<String>,
    /// Where an `access_token` parameter was found besides the header: `query` or `form`.
    pub access_token_param: Option<String>,
}

/// An app's webhook subscription to a WABA (`subscribed_apps`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    /// The subscribed app.
    pub app_id: String,
    /// `override_callback_uri`, when set.
    pub override_callback_uri: Option<String>,
    /// The verify token given with the override.
    pub verify_token: Option<String>,
}

/// What the simulator knows about a stored media object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaMeta {
    /// Media id.
    pub id: String,
    /// The number it belongs to.
    pub phone_number_id: String,
    /// MIME type as stored.
    pub mime_type: String,
    /// Base64 SHA-256 of the bytes.
    pub sha256: String,
    /// Size in bytes.
    pub file_size: u64,
}

/// Optional whole-second durations in JSON.
pub(crate) mod secs_opt {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(v: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(d) => s.serialize_some(&d.as_secs()),
            None => s.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Duration>, D::Error> {
        Ok(Option::<u64>::deserialize(d)?.map(Duration::from_secs))
    }
}

/// Whole-millisecond durations in JSON.
pub(crate) mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(v: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(v.as_millis()).unwrap_or(u64::MAX))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_millis(u64::deserialize(d)?))
    }
}
