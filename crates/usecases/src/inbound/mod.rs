//! Processing one inbox event: route it to its store, store it in the store's own database,
//! let the conversation handler answer, and queue the answers in the outbox.
//!
//! Exactly-once, across crashes and redeliveries, comes from three idempotent steps:
//! 1. `record_inbound` stores the message once per wamid (a redelivery finds it);
//! 2. `complete_inbound` saves the handler's replies under idempotency keys derived from the
//!    inbound wamid and marks the message handled, in one tenant transaction;
//! 3. the outbox enqueue is keyed by the same idempotency keys.
//!
//! A crash between 1 and 2 runs the handler again (nothing of the first run was kept); a
//! crash between 2 and 3 re-enqueues the saved replies; neither sends anything twice.
//!
//! The parts: [`route`] finds the store of a number (live accounts, cached briefly, and the
//! legacy single number); [`message`] stores a customer message, asks the handler and queues
//! its replies; [`status`] applies delivery statuses; [`management`] records and applies
//! account and template events; [`content`] converts between outbound content and stored
//! message bodies. The handler types live in [`crate::conversation`].

mod content;
mod management;
mod message;
mod route;
mod status;

use std::sync::Arc;

use omni_ports::meta::webhook::WebhookEvent;
use omni_ports::{
    AccountEventRepo, CentralRepo, Clock, InboxEvent, InboxOutcome, OutboxRepo, TenantRepoPort,
};

pub use crate::conversation::{AutoReply, ConversationHandler, Decision, ProcessError, Turn};
pub use management::ManagementObserver;
pub use message::reply_key;
pub use route::LegacyRoute;

/// Processes inbox events.
#[derive(Clone)]
pub struct InboxProcessor {
    central: Arc<dyn CentralRepo>,
    tenants: Arc<dyn TenantRepoPort>,
    outbox: Arc<dyn OutboxRepo>,
    history: Arc<dyn AccountEventRepo>,
    handler: Arc<dyn ConversationHandler>,
    clock: Arc<dyn Clock>,
    router: route::Router,
    observer: Option<Arc<dyn ManagementObserver>>,
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
            router: route::Router::new(ports.central.clone(), ports.clock.clone(), legacy),
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
