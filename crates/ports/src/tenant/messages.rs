//! A store's messages: storing them (the wamid dedupe rule), reading them, and their delivery
//! life (sent, failed before Meta accepted them, reopened, statuses never moving backwards).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use omni_domain::{ConversationId, Message, MessageId, MessageStatus, StoreId};

use crate::RepoError;

/// What a status did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusOutcome {
    /// The message moved to this status.
    Applied,
    /// The message already had this or a later status: nothing changed.
    Stale,
    /// No message has this wamid yet (a status overtaking our own record of the send): kept,
    /// and applied when the wamid is recorded.
    Kept,
}

/// Messages of one store at a time.
#[async_trait]
pub trait MessageRepo: Send + Sync {
    /// Stores a message.
    ///
    /// # Errors
    /// MUST return `Conflict` when a message with the same `wamid` exists (the dedupe rule).
    async fn insert_message(&self, store: StoreId, m: &Message) -> Result<(), RepoError>;

    /// The last `limit` messages of a conversation, oldest first.
    ///
    /// # Errors
    /// `TenantNotFound` or storage failure.
    async fn list_messages(
        &self,
        store: StoreId,
        conversation: ConversationId,
        limit: u32,
    ) -> Result<Vec<Message>, RepoError>;

    /// A message by id.
    ///
    /// # Errors
    /// Storage failure.
    async fn find_message(
        &self,
        store: StoreId,
        id: MessageId,
    ) -> Result<Option<Message>, RepoError>;

    /// A message by wamid.
    ///
    /// # Errors
    /// Storage failure.
    async fn find_message_by_wamid(
        &self,
        store: StoreId,
        wamid: &str,
    ) -> Result<Option<Message>, RepoError>;

    /// Applies a delivery status to the outbound message with this wamid, never moving it
    /// backwards ([`MessageStatus::supersedes`]). Every status is also kept by
    /// `(wamid, status)`, so one that arrives before the wamid is recorded is applied then.
    ///
    /// # Errors
    /// Storage failure.
    async fn apply_status(
        &self,
        store: StoreId,
        wamid: &str,
        status: MessageStatus,
        at: DateTime<Utc>,
        error: Option<&str>,
    ) -> Result<StatusOutcome, RepoError>;

    /// Records Meta's acceptance of an outbound message: its wamid and `sent` status, then
    /// any later status already received for that wamid.
    ///
    /// # Errors
    /// `NotFound` when the message does not exist.
    async fn record_sent(
        &self,
        store: StoreId,
        message: MessageId,
        wamid: &str,
        at: DateTime<Utc>,
    ) -> Result<(), RepoError>;

    /// Marks an outbound message failed before Meta accepted it (our rule or Meta's error).
    ///
    /// # Errors
    /// `NotFound` when the message does not exist.
    async fn record_send_failure(
        &self,
        store: StoreId,
        message: MessageId,
        error: &str,
        at: DateTime<Utc>,
    ) -> Result<(), RepoError>;

    /// Puts an outbound message that failed before Meta accepted it back to `queued` with its
    /// error cleared (the operator requeued it). `Ok(false)` when it is not such a message
    /// (any other status, or it has a wamid).
    ///
    /// # Errors
    /// Storage failure.
    async fn reopen_failed_send(
        &self,
        store: StoreId,
        message: MessageId,
        at: DateTime<Utc>,
    ) -> Result<bool, RepoError>;
}
