//! The log of the webhooks the simulator sends on its own: each delivery with its attempts
//! and outcome. Data only, so [`crate::state::SimState`] can hold it while `webhook` (which
//! works on the state) fills it, and neither module has to name the other both ways.

use std::collections::VecDeque;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

/// How a logged delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryOutcome {
    /// Attempts are still being made (or the first has not ended yet).
    Pending,
    /// The receiver answered 200.
    Delivered,
    /// Every attempt failed (or the single attempt of a forged-signature delivery did).
    Failed,
}

/// One webhook the simulator sent on its own (all its attempts).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WebhookDelivery {
    /// Delivery id, counting from 1 per simulator (the `delivery` of control API answers).
    pub id: u64,
    /// `status` (automatic status of a send), `message` (injected customer message) or `raw`.
    pub kind: String,
    /// The callback URL.
    pub url: String,
    /// The JSON body sent (its bytes are Meta's escaped-Unicode form of it).
    pub body: Value,
    /// The wamid concerned: the sent message's for statuses, the inbound one's for messages.
    pub wamid: Option<String>,
    /// For statuses: `sent`, `delivered` or `read`.
    pub status: Option<String>,
    /// Where it stands.
    pub outcome: DeliveryOutcome,
    /// Every HTTP attempt so far (`delivery` = [`Self::id`]).
    pub attempts: Vec<DeliveryRecord>,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
}

/// One HTTP attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeliveryRecord {
    /// Which delivery (one `send*` call, or one copy of a concurrent send) it belongs to,
    /// counting from 1 per sender.
    pub delivery: u64,
    /// 1 for the first attempt of that delivery.
    pub attempt: u32,
    /// The receiver's status, `None` on a transport failure.
    pub status: Option<u16>,
    /// The transport error, if any.
    pub error: Option<String>,
    /// When the attempt started.
    pub at: DateTime<Utc>,
    /// Bytes sent.
    pub body_len: usize,
    /// The `X-Hub-Signature-256` value sent (`None` when omitted).
    pub signature: Option<String>,
}

/// The delivery log and the shared HTTP client (part of [`crate::state::SimState`]).
#[derive(Debug, Default)]
pub(crate) struct WebhookLog {
    pub(crate) client: Option<reqwest::Client>,
    pub(crate) log: VecDeque<WebhookDelivery>,
    pub(crate) next_id: u64,
}

impl WebhookLog {
    /// Deliveries logged.
    pub(crate) fn len(&self) -> usize {
        self.log.len()
    }
}
