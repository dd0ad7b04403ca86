//! One status of a message the business sent ([`SimStatus`]): delivered, read, failed with
//! its error, pricing and callback data.

use serde_json::{Map, Value, json};

use super::party::now_secs;

/// One status of a message the business sent (`value.statuses[]`).
#[derive(Debug, Clone, PartialEq)]
pub struct SimStatus {
    pub(super) value: Map<String, Value>,
}

impl SimStatus {
    /// A status (`sent`, `delivered`, `read`, `played`, `failed`, or anything else) of `wamid`
    /// sent to `recipient_id`, timestamp now.
    #[must_use]
    pub fn new(wamid: &str, status: &str, recipient_id: &str) -> Self {
        let mut value = Map::new();
        value.insert("id".into(), json!(wamid));
        value.insert("status".into(), json!(status));
        value.insert("timestamp".into(), json!(now_secs().to_string()));
        value.insert("recipient_id".into(), json!(recipient_id));
        Self { value }
    }

    /// `sent`, with service pricing (as Meta attaches pricing to `sent`).
    #[must_use]
    pub fn sent(wamid: &str, recipient_id: &str) -> Self {
        Self::new(wamid, "sent", recipient_id).with_pricing("service", "free_customer_service")
    }

    /// `delivered`.
    #[must_use]
    pub fn delivered(wamid: &str, recipient_id: &str) -> Self {
        Self::new(wamid, "delivered", recipient_id)
    }

    /// `read`.
    #[must_use]
    pub fn read(wamid: &str, recipient_id: &str) -> Self {
        Self::new(wamid, "read", recipient_id)
    }

    /// `played` (a voice message we sent).
    #[must_use]
    pub fn played(wamid: &str, recipient_id: &str) -> Self {
        Self::new(wamid, "played", recipient_id)
    }

    /// `failed` with one error (e.g. 131047, "Re-engagement message").
    #[must_use]
    pub fn failed(wamid: &str, recipient_id: &str, code: i64, title: &str, details: &str) -> Self {
        let mut s = Self::new(wamid, "failed", recipient_id);
        s.value
            .insert("errors".into(), json!([error_json(code, title, details)]));
        s
    }

    /// `pricing` with `billable`, `pricing_model: PMP`, `category` and `type`.
    #[must_use]
    pub fn with_pricing(mut self, category: &str, pricing_type: &str) -> Self {
        self.value.insert(
            "pricing".into(),
            json!({
                "billable": pricing_type == "regular",
                "pricing_model": "PMP",
                "type": pricing_type,
                "category": category
            }),
        );
        self
    }

    /// `biz_opaque_callback_data`.
    #[must_use]
    pub fn with_callback_data(mut self, data: &str) -> Self {
        self.value
            .insert("biz_opaque_callback_data".into(), json!(data));
        self
    }

    /// `recipient_user_id` (BSUID); with `drop_phone`, `recipient_id` is removed (a send to a
    /// BSUID).
    #[must_use]
    pub fn with_recipient_user_id(mut self, user_id: &str, drop_phone: bool) -> Self {
        self.value
            .insert("recipient_user_id".into(), json!(user_id));
        if drop_phone {
            self.value.remove("recipient_id");
        }
        self
    }

    /// Uses this Unix time (seconds) instead of now.
    #[must_use]
    pub fn at(mut self, unix_seconds: i64) -> Self {
        self.value
            .insert("timestamp".into(), json!(unix_seconds.to_string()));
        self
    }
}

pub(super) fn error_json(code: i64, title: &str, details: &str) -> Value {
    json!({
        "code": code,
        "title": title,
        "message": title,
        "error_data": { "details": details },
        "href": "/documentation/business-messaging/whatsapp/support/error-codes"
    })
}
