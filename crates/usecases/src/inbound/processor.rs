//! The inbox processor: the ports it works over, and [`InboxProcessor::process`], which sends
//! each event kind to its handler (in [`super::message`], [`super::status`] and
//! [`super::management`], which add their methods to the processor).

use std::sync::Arc;

use omni_ports::meta::webhook::WebhookEvent;
use omni_ports::{
    AccountEventRepo, CentralRepo, Clock, InboxEvent, InboxOutcome, OutboxRepo, TenantRepoPort,
};

use super::observer::ManagementObserver;
use super::route::{LegacyRoute, Router};
use crate::conversation::{ConversationHandler, ProcessError};

/// Processes inbox events.
#[derive(Clone)]
pub struct InboxProcessor {
    pub(super) central: Arc<dyn CentralRepo>,
    pub(super) tenants: Arc<dyn TenantRepoPort>,
    pub(super) outbox: Arc<dyn OutboxRepo>,
    pub(super) history: Arc<dyn AccountEventRepo>,
    pub(super) handler: Arc<dyn ConversationHandler>,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) router: Router,
    pub(super) observer: Option<Arc<dyn ManagementObserver>>,
}

impl std::fmt::Debug for InboxProcessor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InboxProcessor")
            .field("legacy", &self.router.legacy())
            .finish_non_exhaustive()
    }
}

/// The ports the processor needs.
#[derive(Clone)]
pub struct InboxPorts {
    /// Central registry.
    pub central: Arc<dyn CentralRepo>,
    /// Tenant databases.
    pub tenants: Arc<dyn TenantRepoPort>,
    /// Outbox.
    pub outbox: Arc<dyn OutboxRepo>,
    /// Account history.
    pub history: Arc<dyn AccountEventRepo>,
    /// Clock.
    pub clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for InboxPorts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InboxPorts")
    }
}

impl InboxProcessor {
    /// A processor answering through `handler`.
    #[must_use]
    pub fn new(
        ports: InboxPorts,
        handler: Arc<dyn ConversationHandler>,
        legacy: Option<LegacyRoute>,
    ) -> Self {
        Self {
            router: Router::new(ports.central.clone(), ports.clock.clone(), legacy),
            central: ports.central,
            tenants: ports.tenants,
            outbox: ports.outbox,
            history: ports.history,
            handler,
            clock: ports.clock,
            observer: None,
        }
    }

    /// Also tells `observer` (account health) about every account change and template
    /// decision a management webhook brings.
    #[must_use]
    pub fn with_observer(mut self, observer: Arc<dyn ManagementObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Processes one event.
    ///
    /// # Errors
    /// [`ProcessError::Retryable`] to retry with backoff, [`ProcessError::Permanent`] to park.
    pub async fn process(&self, row: &InboxEvent) -> Result<InboxOutcome, ProcessError> {
        let event = row
            .event()
            .map_err(|e| ProcessError::Permanent(format!("unreadable event payload: {e}")))?;
        match event {
            WebhookEvent::Message(m) => self.message(&m).await,
            WebhookEvent::Status(s) => self.status(&s).await,
            WebhookEvent::ValueErrors(e) => self.value_errors(&e, row.received_at).await,
            other => self.management(&other, row.received_at).await,
        }
    }
}
