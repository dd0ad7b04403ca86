//! [`MessageRepo`] in memory: statuses never move a message backwards and are kept by wamid.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use omni_domain::{ConversationId, Message, MessageId, MessageStatus, StoreId};
use omni_ports::{MessageRepo, RepoError, StatusOutcome};

use super::{InMemoryTenantRepo, KeptStatus, cap};

#[async_trait]
impl MessageRepo for InMemoryTenantRepo {
    async fn insert_message(&self, store: StoreId, m: &Message) -> Result<(), RepoError> {
        self.with(store, |t| {
            if m.wamid.is_some() && t.messages.values().any(|x| x.wamid == m.wamid) {
                return Err(RepoError::conflict("wamid"));
            }
            if m.idempotency_key.is_some()
                && t.messages
                    .values()
                    .any(|x| x.idempotency_key == m.idempotency_key)
            {
                return Err(RepoError::conflict("idempotency key"));
            }
            if t.messages.contains_key(&m.id) {
                return Err(RepoError::conflict("message id"));
            }
            t.messages.insert(m.id, m.clone());
            Ok(())
        })
    }

    async fn list_messages(
        &self,
        store: StoreId,
        conversation: ConversationId,
        limit: u32,
    ) -> Result<Vec<Message>, RepoError> {
        self.with(store, |t| {
            let mut found: Vec<Message> = t
                .messages
                .values()
                .filter(|m| m.conversation_id == conversation)
                .cloned()
                .collect();
            found.sort_by_key(|m| (m.created_at, m.id));
            let skip = found.len().saturating_sub(cap(limit));
            found.drain(..skip);
            Ok(found)
        })
    }

    async fn find_message(
        &self,
        store: StoreId,
        id: MessageId,
    ) -> Result<Option<Message>, RepoError> {
        self.with(store, |t| Ok(t.messages.get(&id).cloned()))
    }

    async fn find_message_by_wamid(
        &self,
        store: StoreId,
        wamid: &str,
    ) -> Result<Option<Message>, RepoError> {
        self.with(store, |t| Ok(t.message_by_wamid(wamid).cloned()))
    }

    async fn apply_status(
        &self,
        store: StoreId,
        wamid: &str,
        status: MessageStatus,
        at: DateTime<Utc>,
        error: Option<&str>,
    ) -> Result<StatusOutcome, RepoError> {
        self.with(store, |t| {
            t.statuses
                .entry((wamid.to_owned(), status.as_str()))
                .or_insert_with(|| KeptStatus {
                    status,
                    at,
                    error: error.map(str::to_owned),
                });
            let Some(id) = t.message_by_wamid(wamid).map(|m| m.id) else {
                return Ok(StatusOutcome::Kept);
            };
            Ok(if t.set_status(id, status, at, error)? {
                StatusOutcome::Applied
            } else {
                StatusOutcome::Stale
            })
        })
    }

    async fn record_sent(
        &self,
        store: StoreId,
        message: MessageId,
        wamid: &str,
        at: DateTime<Utc>,
    ) -> Result<(), RepoError> {
        self.with(store, |t| {
            if !t.messages.contains_key(&message) {
                return Err(RepoError::NotFound);
            }
            if t.message_by_wamid(wamid).is_some_and(|m| m.id != message) {
                return Err(RepoError::conflict("wamid"));
            }
            if let Some(m) = t.messages.get_mut(&message) {
                m.wamid = Some(wamid.to_owned());
            }
            t.set_status(message, MessageStatus::Sent, at, None)?;
            let best = t
                .statuses
                .range((wamid.to_owned(), "")..)
                .take_while(|((w, _), _)| w == wamid)
                .map(|(_, kept)| kept.clone())
                .max_by_key(|kept| kept.status.rank());
            if let Some(kept) = best {
                t.set_status(message, kept.status, kept.at, kept.error.as_deref())?;
            }
            Ok(())
        })
    }

    async fn record_send_failure(
        &self,
        store: StoreId,
        message: MessageId,
        error: &str,
        at: DateTime<Utc>,
    ) -> Result<(), RepoError> {
        self.with(store, |t| {
            t.set_status(message, MessageStatus::Failed, at, Some(error))
                .map(|_| ())
        })
    }

    async fn reopen_failed_send(
        &self,
        store: StoreId,
        message: MessageId,
        at: DateTime<Utc>,
    ) -> Result<bool, RepoError> {
        self.with(store, |t| {
            Ok(match t.messages.get_mut(&message) {
                Some(m) if m.status == Some(MessageStatus::Failed) && m.wamid.is_none() => {
                    m.status = Some(MessageStatus::Queued);
                    m.status_at = Some(at);
                    m.error = None;
                    true
                }
                _ => false,
            })
        })
    }
}
