//! Signed webhook payloads as Meta builds and delivers them.
//!
//! [`payload`] builds bodies in Meta's exact shapes (independently of the adapter's parser);
//! [`sender`] signs them with the app secret and POSTs them with Meta's delivery habits:
//! retries with exponential backoff on anything but 200, duplicates, reordering, concurrency.
//! The simulator also delivers webhooks on its own (automatic statuses of accepted sends,
//! injected customer messages and raw bodies): see [`WebhookDelivery`] and
//! [`CustomerMessage`].

mod customer;
mod deliver;
pub mod payload;
pub mod sender;

pub(crate) use customer::register as register_routes;
pub use customer::{CustomerMessage, InjectedMessage};
pub(crate) use deliver::status_job;
pub use deliver::{DeliveryOutcome, WebhookDelivery, WebhookError};

pub use payload::{
    BodyEncoding, SimChange, SimCustomer, SimEntry, SimMessage, SimNumber, SimStatus,
    WebhookPayload, new_wamid,
};
pub use sender::{
    AttemptHook, DeliveryRecord, DeliveryReport, InboundHook, RetrySchedule, SendError,
    WebhookSender, http_client,
};

impl crate::SimHandle {
    /// A sender that signs with this simulator's app secret and, like Meta, opens the
    /// 24-hour customer service window of each customer whose message it delivers.
    ///
    /// # Errors
    /// When the HTTP client cannot be built.
    pub fn webhook_sender(&self, target_url: &str) -> Result<WebhookSender, SendError> {
        let handle = self.clone();
        Ok(
            WebhookSender::new(target_url, self.app_secret().as_bytes())?.with_inbound_hook(
                std::sync::Arc::new(move |phone_number_id, wa_id| {
                    handle.open_window(phone_number_id, wa_id);
                }),
            ),
        )
    }
}
