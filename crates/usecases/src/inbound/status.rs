//! A delivery status of a message we sent, applied to the store's copy of it (never moving it
//! backwards; see `TenantRepoPort::apply_status`).

use omni_domain::MessageStatus;
use omni_ports::InboxOutcome;
use omni_ports::meta::webhook::{DeliveryStatus, StatusUpdate};

use super::processor::InboxProcessor;
use super::route::unroutable;
use crate::conversation::ProcessError;

impl InboxProcessor {
    pub(super) async fn status(&self, s: &StatusUpdate) -> Result<InboxOutcome, ProcessError> {
        let Some(route) = self.router.route(&s.phone_number_id).await? else {
            return Ok(unroutable(&s.phone_number_id));
        };
        if let Some(account) = route.live_account() {
            self.router.touch(account, self.clock.now()).await;
        }
        let Some(status) = message_status(&s.status) else {
            return Ok(route.done());
        };
        let error = s.errors.first().map(|e| {
            format!(
                "{}: {}",
                e.code,
                e.title.as_deref().or(e.message.as_deref()).unwrap_or("")
            )
        });
        self.tenants
            .apply_status(route.store, &s.wamid, status, s.timestamp, error.as_deref())
            .await?;
        Ok(route.done())
    }
}

/// Our status for Meta's (`None`: a status we do not track).
fn message_status(status: &DeliveryStatus) -> Option<MessageStatus> {
    Some(match status {
        DeliveryStatus::Sent => MessageStatus::Sent,
        DeliveryStatus::Delivered => MessageStatus::Delivered,
        DeliveryStatus::Read | DeliveryStatus::Played => MessageStatus::Read,
        DeliveryStatus::Failed => MessageStatus::Failed,
        DeliveryStatus::Other(_) => return None,
    })
}
