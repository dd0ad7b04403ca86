//! Account health as the inbox processor's [`ManagementObserver`]: drops a management webhook
//! brings are notified, template decisions are stored.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use omni_domain::WhatsappAccount;
use omni_ports::meta::webhook::TemplateStatus;

use super::service::Health;
use crate::inbound::ManagementObserver;

#[async_trait]
impl ManagementObserver for Health {
    async fn account_changed(
        &self,
        before: &WhatsappAccount,
        after: &WhatsappAccount,
        kind: &str,
        _at: DateTime<Utc>,
    ) {
        if let Err(e) = self.notify_changes(before, after, kind).await {
            tracing::warn!(account = %after.id, error = %e, "could not notify the owner of an account change");
        }
    }

    async fn template_status(&self, event: &TemplateStatus, at: DateTime<Utc>) {
        let (Some(name), Some(language)) = (&event.name, &event.language) else {
            return;
        };
        let reason = event
            .reason
            .as_deref()
            .filter(|r| !r.eq_ignore_ascii_case("NONE"));
        match self
            .p
            .repo
            .set_template_status(&event.waba_id, name, language, &event.event, reason, at)
            .await
        {
            Ok(true) => {
                tracing::info!(template = %name, status = %event.event, "template status updated")
            }
            Ok(false) => {
                tracing::info!(template = %name, "status of a template we have not synced")
            }
            Err(e) => tracing::warn!(error = %e, "could not store a template status"),
        }
    }
}
