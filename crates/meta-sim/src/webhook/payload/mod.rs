//! Webhook bodies shaped exactly like Meta's (meta-api.md §5), built by hand as JSON values
//! and deliberately independent of the adapter's parser, so a parser bug cannot hide behind a
//! shared type.
//!
//! Shape: [`WebhookPayload`] = `entry[]` of [`SimEntry`] (`id`, optional `time`) each holding
//! [`SimChange`]s (`field` + `value`). A messages change carries [`SimMessage`]s or
//! [`SimStatus`]es for one [`SimNumber`] and one [`SimCustomer`]. Convenience constructors on
//! [`WebhookPayload`] cover the common single-event bodies.
//!
//! Bytes: Meta states it signs (and in practice sends) an escaped-Unicode form, every non-ASCII
//! character as `\uXXXX` (lowercase UTF-16 units). That is the default here
//! ([`BodyEncoding::Escaped`], [`WebhookPayload::bytes`]); [`BodyEncoding::Utf8`] sends raw
//! UTF-8 instead, to test receivers against both. Either way the JSON is compact and the
//! signature covers exactly the bytes sent.//!
//! Sections: [`party`] (number, customer), [`message`], [`status`], [`change`] (changes and
//! entries); the whole body, its bytes and readers are here.

mod change;
mod message;
mod party;
mod status;

use std::fmt::Write as _;

use serde_json::{Map, Value, json};

pub use change::{SimChange, SimEntry};
pub use message::SimMessage;
pub use party::{SimCustomer, SimNumber, new_wamid};
pub use status::SimStatus;

/// How the body is written on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BodyEncoding {
    /// Non-ASCII as `\uXXXX` (lowercase UTF-16 units): what Meta sends and signs.
    #[default]
    Escaped,
    /// Raw UTF-8.
    Utf8,
}

/// A complete webhook body.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookPayload {
    value: Value,
    encoding: BodyEncoding,
}

impl WebhookPayload {
    /// `{"object":"whatsapp_business_account","entry":[...]}`: a batch of several entries
    /// (stores), each with several changes.
    #[must_use]
    pub fn batch(entries: Vec<SimEntry>) -> Self {
        Self::from_value(json!({
            "object": "whatsapp_business_account",
            "entry": entries.iter().map(SimEntry::to_json).collect::<Vec<_>>()
        }))
    }

    /// Any JSON body (malformed ones included), sent as is.
    #[must_use]
    pub fn from_value(value: Value) -> Self {
        Self {
            value,
            encoding: BodyEncoding::default(),
        }
    }

    /// One change in one entry.
    #[must_use]
    pub fn single(entry: SimEntry, change: SimChange) -> Self {
        Self::batch(vec![entry.change(change)])
    }

    /// Inbound messages from one customer to one number.
    #[must_use]
    pub fn messages(number: &SimNumber, customer: &SimCustomer, messages: &[SimMessage]) -> Self {
        Self::single(
            SimEntry::new(&number.waba_id),
            SimChange::messages(number, customer, messages),
        )
    }

    /// One inbound message.
    #[must_use]
    pub fn message(number: &SimNumber, customer: &SimCustomer, message: SimMessage) -> Self {
        Self::messages(number, customer, &[message])
    }

    /// One inbound text.
    #[must_use]
    pub fn text(number: &SimNumber, customer: &SimCustomer, body: &str) -> Self {
        Self::message(number, customer, SimMessage::text(body))
    }

    /// Statuses of messages the number sent.
    #[must_use]
    pub fn statuses(number: &SimNumber, statuses: &[SimStatus]) -> Self {
        Self::single(
            SimEntry::new(&number.waba_id),
            SimChange::statuses(number, statuses),
        )
    }

    /// One status.
    #[must_use]
    pub fn status(number: &SimNumber, status: SimStatus) -> Self {
        Self::statuses(number, &[status])
    }

    /// A value-level error of a number.
    #[must_use]
    pub fn value_error(number: &SimNumber, code: i64, title: &str, details: &str) -> Self {
        Self::single(
            SimEntry::new(&number.waba_id),
            SimChange::value_error(number, code, title, details),
        )
    }

    /// `phone_number_quality_update` for a number of `waba_id`.
    #[must_use]
    pub fn quality_update(
        waba_id: &str,
        display_phone_number: &str,
        event: &str,
        limit: Option<&str>,
    ) -> Self {
        Self::single(
            SimEntry::timed(waba_id),
            SimChange::quality_update(display_phone_number, event, limit),
        )
    }

    /// `business_capability_update`.
    #[must_use]
    pub fn capability_update(
        waba_id: &str,
        max_daily: Value,
        max_phone_numbers: Option<u32>,
    ) -> Self {
        Self::single(
            SimEntry::timed(waba_id),
            SimChange::capability_update(max_daily, max_phone_numbers),
        )
    }

    /// `account_update` of `waba_id` (entry id = the WABA).
    #[must_use]
    pub fn account_update(waba_id: &str, event: &str, extra: Value) -> Self {
        Self::single(
            SimEntry::timed(waba_id),
            SimChange::account_update(event, extra),
        )
    }

    /// `account_update` `DISABLED_UPDATE`.
    #[must_use]
    pub fn account_disabled(waba_id: &str, ban_state: &str, ban_date: &str) -> Self {
        Self::single(
            SimEntry::timed(waba_id),
            SimChange::account_disabled(ban_state, ban_date),
        )
    }

    /// `account_update` `PARTNER_APP_UNINSTALLED`: entry id = the partner's business id, the
    /// customer's WABA in `waba_info`.
    #[must_use]
    pub fn partner_app_uninstalled(
        partner_business_id: &str,
        waba_id: &str,
        owner_business_id: &str,
        partner_app_id: &str,
    ) -> Self {
        Self::single(
            SimEntry::timed(partner_business_id),
            SimChange::partner_app_uninstalled(waba_id, owner_business_id, partner_app_id),
        )
    }

    /// `message_template_status_update`.
    #[must_use]
    pub fn template_status(
        waba_id: &str,
        template_id: u64,
        name: &str,
        language: &str,
        event: &str,
        reason: Option<&str>,
    ) -> Self {
        Self::single(
            SimEntry::timed(waba_id),
            SimChange::template_status(template_id, name, language, event, reason),
        )
    }

    /// Sends with this encoding.
    #[must_use]
    pub fn with_encoding(mut self, encoding: BodyEncoding) -> Self {
        self.encoding = encoding;
        self
    }

    /// The encoding used by [`Self::bytes`].
    #[must_use]
    pub const fn encoding(&self) -> BodyEncoding {
        self.encoding
    }

    /// The JSON.
    #[must_use]
    pub const fn value(&self) -> &Value {
        &self.value
    }

    /// The body as sent (and signed): [`Self::to_bytes_escaped`] by default, like Meta, or
    /// [`Self::to_bytes`] with [`BodyEncoding::Utf8`].
    #[must_use]
    pub fn bytes(&self) -> Vec<u8> {
        match self.encoding {
            BodyEncoding::Escaped => self.to_bytes_escaped(),
            BodyEncoding::Utf8 => self.to_bytes(),
        }
    }

    /// Compact JSON, raw UTF-8.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        self.value.to_string().into_bytes()
    }

    /// Compact JSON with every non-ASCII character as `\uXXXX` (lowercase hex UTF-16 code
    /// units; astral characters such as emoji become surrogate pairs), the form Meta sends.
    #[must_use]
    pub fn to_bytes_escaped(&self) -> Vec<u8> {
        escape_non_ascii(&self.value.to_string()).into_bytes()
    }

    /// `(phone_number_id, sender)` of every inbound message in the body (sender = `from`, else
    /// `from_user_id`), in order: what opens the customer service window.
    #[must_use]
    pub fn inbound_senders(&self) -> Vec<(String, String)> {
        inbound_senders(&self.value)
    }

    /// The wamids of every inbound message in the body.
    #[must_use]
    pub fn wamids(&self) -> Vec<String> {
        let mut out = Vec::new();
        for_each_message(&self.value, |_, m| {
            if let Some(id) = m.get("id").and_then(Value::as_str) {
                out.push(id.to_owned());
            }
        });
        out
    }
}

/// JSON text with non-ASCII characters escaped as lowercase `\uXXXX` UTF-16 units. Only valid
/// on JSON text: non-ASCII can only occur inside strings there, where the escape means the same.
#[must_use]
pub fn escape_non_ascii(json_text: &str) -> String {
    let mut out = String::with_capacity(json_text.len() + json_text.len() / 2);
    for c in json_text.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0_u16; 2];
            for unit in c.encode_utf16(&mut units) {
                let _ = write!(out, "\\u{unit:04x}");
            }
        }
    }
    out
}

fn for_each_message(body: &Value, mut f: impl FnMut(&str, &Map<String, Value>)) {
    let entries = body.get("entry").and_then(Value::as_array);
    for entry in entries.into_iter().flatten() {
        let changes = entry.get("changes").and_then(Value::as_array);
        for change in changes.into_iter().flatten() {
            if change.get("field").and_then(Value::as_str) != Some("messages") {
                continue;
            }
            let Some(value) = change.get("value") else {
                continue;
            };
            let pid = value
                .get("metadata")
                .and_then(|m| m.get("phone_number_id"))
                .and_then(Value::as_str)
                .unwrap_or_default();
            let messages = value.get("messages").and_then(Value::as_array);
            for message in messages.into_iter().flatten().filter_map(Value::as_object) {
                f(pid, message);
            }
        }
    }
}

/// `(phone_number_id, from or from_user_id)` of every inbound message of a webhook body.
#[must_use]
pub fn inbound_senders(body: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for_each_message(body, |pid, m| {
        let sender = m
            .get("from")
            .or_else(|| m.get("from_user_id"))
            .and_then(Value::as_str);
        if let Some(sender) = sender
            && !pid.is_empty()
        {
            out.push((pid.to_owned(), sender.to_owned()));
        }
    });
    out
}

#[cfg(test)]
mod tests;
