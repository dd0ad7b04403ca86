//! The two sides of a conversation in a webhook body ([`SimNumber`], [`SimCustomer`]) and
//! the small helpers every part uses (fresh wamids, the clock, optional fields).

use serde_json::{Map, Value};

/// A business number of a WABA, the receiving side of messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimNumber {
    /// The WABA (`entry.id`).
    pub waba_id: String,
    /// `metadata.phone_number_id`.
    pub phone_number_id: String,
    /// `metadata.display_phone_number` (digits).
    pub display_phone_number: String,
}

impl SimNumber {
    /// A number.
    #[must_use]
    pub fn new(waba_id: &str, phone_number_id: &str, display_phone_number: &str) -> Self {
        Self {
            waba_id: waba_id.to_owned(),
            phone_number_id: phone_number_id.to_owned(),
            display_phone_number: display_phone_number.to_owned(),
        }
    }
}

/// A WhatsApp user writing to a business.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimCustomer {
    /// `wa_id` / `from` (phone digits); `None` for a username-only user.
    pub wa_id: Option<String>,
    /// BSUID (`user_id`, `from_user_id`).
    pub user_id: Option<String>,
    /// `profile.name`.
    pub name: Option<String>,
    /// `profile.username`.
    pub username: Option<String>,
}

impl SimCustomer {
    /// A user with a phone number and a display name (no BSUID).
    #[must_use]
    pub fn new(wa_id: &str, name: &str) -> Self {
        Self {
            wa_id: Some(wa_id.to_owned()),
            user_id: None,
            name: Some(name.to_owned()),
            username: None,
        }
    }

    /// A user who hides their number behind a username: only a BSUID identifies them.
    #[must_use]
    pub fn username_only(user_id: &str, name: &str, username: &str) -> Self {
        Self {
            wa_id: None,
            user_id: Some(user_id.to_owned()),
            name: Some(name.to_owned()),
            username: Some(username.to_owned()),
        }
    }

    /// Adds a BSUID, sent as `contacts[].user_id` and `messages[].from_user_id`.
    #[must_use]
    pub fn with_user_id(mut self, user_id: &str) -> Self {
        self.user_id = Some(user_id.to_owned());
        self
    }

    pub(super) fn contact(&self) -> Value {
        let mut profile = Map::new();
        insert_opt(&mut profile, "name", self.name.as_deref());
        insert_opt(&mut profile, "username", self.username.as_deref());
        let mut c = Map::new();
        c.insert("profile".into(), Value::Object(profile));
        insert_opt(&mut c, "wa_id", self.wa_id.as_deref());
        insert_opt(&mut c, "user_id", self.user_id.as_deref());
        Value::Object(c)
    }
}

/// A fresh, unique wamid (`wamid.` + 32 uppercase hex digits).
#[must_use]
pub fn new_wamid() -> String {
    format!(
        "wamid.SIM{}",
        uuid::Uuid::new_v4().simple().to_string().to_uppercase()
    )
}

pub(super) fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

pub(super) fn insert_opt(map: &mut Map<String, Value>, key: &str, value: Option<&str>) {
    if let Some(v) = value {
        map.insert(key.to_owned(), Value::String(v.to_owned()));
    }
}
