//! Sending: every message shape of meta-api.md §6 as Meta's JSON, plus read receipts with the
//! typing indicator. A 200 means accepted, not delivered; statuses arrive by webhook.//!
//! Sections: [`body`] builds the JSON of each message; this module sends it and marks reads.

mod body;

use omni_domain::PhoneNumberId;
use omni_ports::meta::{GraphError, GraphErrorKind, OutboundMessage, SentMessage};
use reqwest::Method;
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::json;

use crate::MetaGraphClient;

pub use body::message_body;

#[derive(Deserialize)]
struct SendWire {
    #[serde(default)]
    contacts: Vec<ContactWire>,
    #[serde(default)]
    messages: Vec<MessageWire>,
}

#[derive(Deserialize)]
struct ContactWire {
    #[serde(default)]
    wa_id: Option<String>,
    #[serde(default)]
    user_id: Option<String>,
}

#[derive(Deserialize)]
struct MessageWire {
    id: String,
    #[serde(default)]
    message_status: Option<String>,
}

impl MetaGraphClient {
    pub(crate) async fn send(
        &self,
        token: &SecretString,
        from: &PhoneNumberId,
        message: &OutboundMessage,
    ) -> Result<SentMessage, GraphError> {
        let req = self
            .authed(
                Method::POST,
                &self.url(&format!("{}/messages", from.as_str())),
                token,
            )
            .json(&message_body(message));
        let wire: SendWire = self.json("messages.send", req).await?;
        let first = wire.messages.into_iter().next().ok_or_else(|| {
            GraphError::local(GraphErrorKind::Protocol, "messages.send: no message id")
        })?;
        let contact = wire.contacts.into_iter().next();
        Ok(SentMessage {
            wamid: first.id,
            recipient_id: contact.and_then(|c| c.wa_id.or(c.user_id)),
            message_status: first.message_status,
        })
    }

    pub(crate) async fn read(
        &self,
        token: &SecretString,
        from: &PhoneNumberId,
        wamid: &str,
        typing_indicator: bool,
    ) -> Result<(), GraphError> {
        let mut body =
            json!({ "messaging_product": "whatsapp", "status": "read", "message_id": wamid });
        if typing_indicator {
            body["typing_indicator"] = json!({ "type": "text" });
        }
        let req = self
            .authed(
                Method::POST,
                &self.url(&format!("{}/messages", from.as_str())),
                token,
            )
            .json(&body);
        self.expect_success("messages.mark_read", req).await
    }
}

#[cfg(test)]
mod tests;
