//! A store's conversations: one per customer and number, with the handling of an inbound
//! message (recorded on arrival, completed with its replies and order change) as single
//! transactions.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use omni_domain::{
    AccountId, Conversation, ConversationId, Customer, CustomerId, Message, MessageId, StoreId,
};

use crate::meta::OutboundContent;
use crate::{OrderWrite, RepoError};

/// A customer's message to store.
#[derive(Debug, Clone, PartialEq)]
pub struct InboundRecord {
    /// The customer (a new id; the stored one wins when the `wa_id` is known).
    pub customer: Customer,
    /// The store's number it came to.
    pub account_id: AccountId,
    /// The message (`conversation_id` is filled in by the adapter; `wamid` is required).
    pub message: Message,
    /// Its time: the conversation's `last_inbound_at` moves forward to it.
    pub at: DateTime<Utc>,
}

/// What storing an inbound message found.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedInbound {
    /// The customer as stored.
    pub customer: Customer,
    /// The conversation as stored (after this message).
    pub conversation: Conversation,
    /// The message as stored (the earlier copy for a duplicate).
    pub message: Message,
    /// The wamid was already stored: this is a redelivery.
    pub duplicate: bool,
    /// For a duplicate already handled: the replies saved then, oldest first.
    pub replies: Vec<SavedReply>,
}

/// A reply the handler decided: the message kept in the store's history and the exact
/// content to send, saved together so a redelivery queues the same content again.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// The queued history message (with its idempotency key).
    pub message: Message,
    /// What to send.
    pub content: OutboundContent,
}

/// A reply as stored. `content` is `None` only for replies saved before contents were kept
/// (tenant migration `2026-12-07-000005_reply_content`); the caller then rebuilds what it can
/// from the message body.
#[derive(Debug, Clone, PartialEq)]
pub struct SavedReply {
    /// The history message as stored.
    pub message: Message,
    /// The content saved with it.
    pub content: Option<OutboundContent>,
}

/// Everything the handling of one inbound message saves, in one tenant transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    /// The conversation's state, context and agent pause flag.
    pub conversation: Conversation,
    /// The order change, when any.
    pub order: Option<OrderWrite>,
    /// The replies: queued outbound messages with idempotency keys, and their contents.
    pub replies: Vec<Reply>,
    /// What a voice note said.
    pub transcript: Option<String>,
    /// Where the inbound media was kept (payment screenshots).
    pub media_path: Option<String>,
}

/// Conversations of one store at a time, and the two transactions of an inbound message.
#[async_trait]
pub trait ConversationRepo: Send + Sync {
    /// Adds a conversation.
    ///
    /// # Errors
    /// `Conflict` when the customer already has one on that account.
    async fn insert_conversation(&self, store: StoreId, c: &Conversation) -> Result<(), RepoError>;

    /// The conversation of a customer on one of the store's numbers.
    ///
    /// # Errors
    /// `TenantNotFound` or storage failure.
    async fn find_conversation(
        &self,
        store: StoreId,
        customer: CustomerId,
        account: AccountId,
    ) -> Result<Option<Conversation>, RepoError>;

    /// A conversation by id.
    ///
    /// # Errors
    /// Storage failure.
    async fn find_conversation_by_id(
        &self,
        store: StoreId,
        id: ConversationId,
    ) -> Result<Option<Conversation>, RepoError>;

    /// Saves a conversation's state, context and times.
    ///
    /// # Errors
    /// `NotFound` when it does not exist.
    async fn update_conversation(&self, store: StoreId, c: &Conversation) -> Result<(), RepoError>;

    /// Pauses or resumes the agent for one conversation.
    ///
    /// # Errors
    /// `NotFound`.
    async fn set_agent_paused(
        &self,
        store: StoreId,
        conversation: ConversationId,
        paused: bool,
        at: DateTime<Utc>,
    ) -> Result<(), RepoError>;

    /// The newest conversations, newest activity first.
    ///
    /// # Errors
    /// Storage failure.
    async fn list_conversations(
        &self,
        store: StoreId,
        limit: u32,
    ) -> Result<Vec<Conversation>, RepoError>;

    /// Stores a customer's message in one transaction: the customer (by `wa_id`), the
    /// conversation on that number (created, or `last_inbound_at` moved forward), the message.
    /// A wamid already stored is not stored again: the result says `duplicate` and carries
    /// what was saved the first time.
    ///
    /// # Errors
    /// `TenantNotFound`, storage failure (nothing written).
    async fn record_inbound(
        &self,
        store: StoreId,
        inbound: &InboundRecord,
    ) -> Result<RecordedInbound, RepoError>;

    /// Finishes handling an inbound message in one transaction: saves the conversation's
    /// state, context and pause flag, the order change, the replies (an idempotency key
    /// already stored is skipped), the transcript and media path, and marks the inbound
    /// message handled. Returns one reply per given reply, in order: the message as stored
    /// and its content (for a skipped key, the stored row's own content, or the given one
    /// when that row was saved before contents were kept).
    ///
    /// # Errors
    /// `NotFound` when the inbound message or conversation does not exist; `Conflict` when
    /// the order changed meanwhile (nothing is written; the caller decides again).
    async fn complete_inbound(
        &self,
        store: StoreId,
        inbound: MessageId,
        completion: &Completion,
        at: DateTime<Utc>,
    ) -> Result<Vec<Reply>, RepoError>;
}
