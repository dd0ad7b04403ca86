//! The envelope parts of a webhook body: a `changes[]` element ([`SimChange`], messages,
//! statuses and the management fields) and an `entry[]` element ([`SimEntry`]).

use serde_json::{Map, Value, json};

use super::message::SimMessage;
use super::party::{SimCustomer, SimNumber, insert_opt, now_secs};
use super::status::{SimStatus, error_json};

/// One `changes[]` element.
#[derive(Debug, Clone, PartialEq)]
pub struct SimChange {
    field: String,
    value: Value,
}

impl SimChange {
    /// Any field with any value.
    #[must_use]
    pub fn raw(field: &str, value: Value) -> Self {
        Self {
            field: field.to_owned(),
            value,
        }
    }

    /// The field.
    #[must_use]
    pub fn field(&self) -> &str {
        &self.field
    }

    fn messages_value(number: &SimNumber) -> Map<String, Value> {
        let mut v = Map::new();
        v.insert("messaging_product".into(), json!("whatsapp"));
        v.insert(
            "metadata".into(),
            json!({
                "display_phone_number": number.display_phone_number,
                "phone_number_id": number.phone_number_id
            }),
        );
        v
    }

    /// `messages` with `contacts[]` (the customer) and `messages[]`.
    #[must_use]
    pub fn messages(number: &SimNumber, customer: &SimCustomer, messages: &[SimMessage]) -> Self {
        let mut v = Self::messages_value(number);
        v.insert("contacts".into(), json!([customer.contact()]));
        v.insert(
            "messages".into(),
            Value::Array(messages.iter().map(|m| m.to_json(customer)).collect()),
        );
        Self::raw("messages", Value::Object(v))
    }

    /// `messages` with `statuses[]` (no contacts, as for failed statuses).
    #[must_use]
    pub fn statuses(number: &SimNumber, statuses: &[SimStatus]) -> Self {
        let mut v = Self::messages_value(number);
        v.insert(
            "statuses".into(),
            Value::Array(
                statuses
                    .iter()
                    .map(|s| Value::Object(s.value.clone()))
                    .collect(),
            ),
        );
        Self::raw("messages", Value::Object(v))
    }

    /// `messages` with value-level `errors[]` (e.g. 130429 "Rate limit hit").
    #[must_use]
    pub fn value_error(number: &SimNumber, code: i64, title: &str, details: &str) -> Self {
        let mut v = Self::messages_value(number);
        v.insert("errors".into(), json!([error_json(code, title, details)]));
        Self::raw("messages", Value::Object(v))
    }

    /// `phone_number_quality_update`; `limit` goes to `max_daily_conversations_per_business`
    /// (`TIER_*`).
    #[must_use]
    pub fn quality_update(display_phone_number: &str, event: &str, limit: Option<&str>) -> Self {
        let mut v = Map::new();
        v.insert("display_phone_number".into(), json!(display_phone_number));
        v.insert("event".into(), json!(event));
        insert_opt(&mut v, "max_daily_conversations_per_business", limit);
        Self::raw("phone_number_quality_update", Value::Object(v))
    }

    /// `business_capability_update`. `max_daily` is a `TIER_*` string or an integer (Meta's own
    /// example sends 2000), passed as JSON.
    #[must_use]
    pub fn capability_update(max_daily: Value, max_phone_numbers_per_waba: Option<u32>) -> Self {
        let mut v = Map::new();
        v.insert("max_daily_conversations_per_business".into(), max_daily);
        if let Some(n) = max_phone_numbers_per_waba {
            v.insert("max_phone_numbers_per_waba".into(), json!(n));
        }
        Self::raw("business_capability_update", Value::Object(v))
    }

    /// `account_update` with `event` and extra value fields (`ban_info`, `violation_info`...).
    #[must_use]
    pub fn account_update(event: &str, extra: Value) -> Self {
        let mut v = Map::new();
        v.insert("event".into(), json!(event));
        if let Value::Object(extra) = extra {
            v.extend(extra);
        }
        Self::raw("account_update", Value::Object(v))
    }

    /// `account_update` `DISABLED_UPDATE` with `ban_info`.
    #[must_use]
    pub fn account_disabled(ban_state: &str, ban_date: &str) -> Self {
        Self::account_update(
            "DISABLED_UPDATE",
            json!({ "ban_info": { "waba_ban_state": ban_state, "waba_ban_date": ban_date } }),
        )
    }

    /// `account_update` `PARTNER_APP_UNINSTALLED` with `waba_info` (the entry's id is then the
    /// partner's business id).
    #[must_use]
    pub fn partner_app_uninstalled(
        waba_id: &str,
        owner_business_id: &str,
        partner_app_id: &str,
    ) -> Self {
        Self::account_update(
            "PARTNER_APP_UNINSTALLED",
            json!({ "waba_info": {
                "waba_id": waba_id,
                "owner_business_id": owner_business_id,
                "partner_app_id": partner_app_id
            } }),
        )
    }

    /// `message_template_status_update`; `template_id` is a JSON number, as Meta sends it.
    #[must_use]
    pub fn template_status(
        template_id: u64,
        name: &str,
        language: &str,
        event: &str,
        reason: Option<&str>,
    ) -> Self {
        Self::raw(
            "message_template_status_update",
            json!({
                "event": event,
                "message_template_id": template_id,
                "message_template_name": name,
                "message_template_language": language,
                "reason": reason
            }),
        )
    }
}

/// One `entry[]` element: an id (the WABA, or the partner business for partner events) and
/// its changes.
#[derive(Debug, Clone, PartialEq)]
pub struct SimEntry {
    id: String,
    time: Option<i64>,
    changes: Vec<SimChange>,
}

impl SimEntry {
    /// An entry without `time` (as for messages fields).
    #[must_use]
    pub fn new(id: &str) -> Self {
        Self {
            id: id.to_owned(),
            time: None,
            changes: Vec::new(),
        }
    }

    /// An entry with `time` now (as for management fields).
    #[must_use]
    pub fn timed(id: &str) -> Self {
        Self::new(id).at(now_secs())
    }

    /// Sets `time`.
    #[must_use]
    pub fn at(mut self, unix_seconds: i64) -> Self {
        self.time = Some(unix_seconds);
        self
    }

    /// Adds a change.
    #[must_use]
    pub fn change(mut self, change: SimChange) -> Self {
        self.changes.push(change);
        self
    }

    pub(super) fn to_json(&self) -> Value {
        let mut e = Map::new();
        e.insert("id".into(), json!(self.id));
        if let Some(t) = self.time {
            e.insert("time".into(), json!(t));
        }
        e.insert(
            "changes".into(),
            Value::Array(
                self.changes
                    .iter()
                    .map(|c| json!({ "field": c.field, "value": c.value }))
                    .collect(),
            ),
        );
        Value::Object(e)
    }
}
