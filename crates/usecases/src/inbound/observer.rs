//! What the inbox processor tells account health about management webhooks, as a trait so
//! the processor does not depend on the health use cases.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use omni_domain::WhatsappAccount;
use omni_ports::meta::webhook::TemplateStatus;

/// Told about account changes that management webhooks bring (after they are applied and
/// recorded). Failures are logged, never returned: the webhook is already applied.
#[async_trait]
pub trait ManagementObserver: Send + Sync {
    /// `before` and `after` one webhook of `kind`, which Meta timed `at`.
    async fn account_changed(
        &self,
        before: &WhatsappAccount,
        after: &WhatsappAccount,
        kind: &str,
        at: DateTime<Utc>,
    );

    /// A template decision (`message_template_status_update`).
    async fn template_status(&self, event: &TemplateStatus, at: DateTime<Utc>);
}
