//! What every change of a webhook entry shares ([`EntryCtx`]): the entry's id and time, the
//! change's field and value, and the [`ChangeOrigin`] every event carries. Both the messages
//! parser and the management fields read it, so it lives beside them, not in either.

use omni_ports::meta::webhook::{ChangeOrigin, OtherChange, WebhookEvent};
use serde_json::Value;

use super::json::value_digest;

/// What every change of an entry shares.
pub(super) struct EntryCtx<'a> {
    /// `entry.id`: the WABA for most fields.
    pub(super) id: String,
    pub(super) time: Option<i64>,
    pub(super) field: &'a str,
    pub(super) value: &'a Value,
}

impl EntryCtx<'_> {
    pub(super) fn origin(&self) -> ChangeOrigin {
        ChangeOrigin {
            field: self.field.to_owned(),
            entry_id: self.id.clone(),
            entry_time: self.time,
            value_digest: value_digest(self.value),
        }
    }

    pub(super) fn other(&self) -> WebhookEvent {
        WebhookEvent::Other(OtherChange {
            waba_id: self.id.clone(),
            value: self.value.clone(),
            origin: self.origin(),
        })
    }
}
