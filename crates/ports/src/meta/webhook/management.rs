//! The management changes of a WABA (quality, capability, account, review, alerts, template
//! status, display name) and the changes this code does not interpret.

use omni_domain::LimitTier;
use serde::{Deserialize, Serialize};

use super::ChangeOrigin;

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
