//! Answering one customer message: the [`Turn`] a [`ConversationHandler`] is given, the
//! [`Decision`] it hands back, and [`AutoReply`], the handler of stores without the agent.
//!
//! This is the seam between the inbox processor (`inbound`, which stores the message and
//! saves the decision) and the handlers (`agent`, [`AutoReply`]): both depend on this module,
//! neither on the other.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use omni_domain::{Conversation, Customer, Message, StoreId, WhatsappAccount};
use omni_ports::meta::OutboundContent;
use omni_ports::meta::webhook::InboundMessage;
use omni_ports::{OrderWrite, RepoError, TenantRepoPort};

/// Why an event could not be processed now.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    /// Worth retrying later (a database down, a handler timing out).
    #[error("{0}")]
    Retryable(String),
    /// Will never work (a corrupt payload): park it.
    #[error("{0}")]
    Permanent(String),
}

impl From<RepoError> for ProcessError {
    fn from(e: RepoError) -> Self {
        match e {
            RepoError::Corrupt(_) => Self::Permanent(e.to_string()),
            // A store whose database is missing may be provisioned later: retry, then park.
            other => Self::Retryable(omni_ports::error_chain(&other)),
        }
    }
}

/// One customer message, as the conversation handler sees it.
#[derive(Debug)]
pub struct Turn<'a> {
    /// The store.
    pub store: StoreId,
    /// The number it came to.
    pub account: &'a WhatsappAccount,
    /// The customer.
    pub customer: &'a Customer,
    /// The conversation, including this message's time.
    pub conversation: &'a Conversation,
    /// The message.
    pub message: &'a Message,
    /// The event as Meta sent it (media, context, referral).
    pub inbound: &'a InboundMessage,
}

/// What the handler decided.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// The conversation to save (state, context, agent pause flag).
    pub conversation: Conversation,
    /// Replies to send, in order.
    pub replies: Vec<OutboundContent>,
    /// The order change, saved in the same tenant transaction.
    pub order: Option<OrderWrite>,
    /// What a voice note said, kept with the message.
    pub transcript: Option<String>,
    /// Where the message's media was kept (payment screenshots).
    pub media_path: Option<String>,
}

impl Decision {
    /// Replies only; the conversation as it was.
    #[must_use]
    pub fn replies(conversation: Conversation, replies: Vec<OutboundContent>) -> Self {
        Self {
            conversation,
            replies,
            order: None,
            transcript: None,
            media_path: None,
        }
    }
}

/// Answers customers: the ordering agent (`agent::AgentHandler`), or [`AutoReply`] (a store's
/// fixed text).
#[async_trait]
pub trait ConversationHandler: Send + Sync {
    /// Decides the replies to one message.
    ///
    /// # Errors
    /// A failure worth retrying (the event is retried with backoff).
    async fn handle(&self, turn: &Turn<'_>) -> Result<Decision, ProcessError>;
}

/// The store-level auto-reply rule: when the store has set a text, every customer message is
/// answered with it.
#[derive(Clone)]
pub struct AutoReply {
    tenants: Arc<dyn TenantRepoPort>,
}

impl std::fmt::Debug for AutoReply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AutoReply")
    }
}

impl AutoReply {
    /// The rule over the tenant databases.
    #[must_use]
    pub fn new(tenants: Arc<dyn TenantRepoPort>) -> Self {
        Self { tenants }
    }
}

#[async_trait]
impl ConversationHandler for AutoReply {
    async fn handle(&self, turn: &Turn<'_>) -> Result<Decision, ProcessError> {
        let reply = self.tenants.auto_reply(turn.store).await?;
        Ok(Decision::replies(
            turn.conversation.clone(),
            reply
                .into_iter()
                .map(|body| OutboundContent::Text {
                    body,
                    preview_url: false,
                })
                .collect(),
        ))
    }
}

/// When the service window opened by a customer message at `at` closes: the rule of
/// [`Conversation::window_end`], for a time known without its conversation row.
#[must_use]
pub(crate) fn window_end_after(at: DateTime<Utc>) -> DateTime<Utc> {
    at + Duration::hours(Conversation::SERVICE_WINDOW_HOURS)
}
