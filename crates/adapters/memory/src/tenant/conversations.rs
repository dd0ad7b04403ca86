//! [`ConversationRepo`] in memory, with the two inbound transactions checked before anything
//! is written.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use omni_domain::{
    AccountId, Conversation, ConversationId, CustomerId, Message, MessageId, StoreId,
};
use omni_ports::{Completion, ConversationRepo, InboundRecord, RecordedInbound, Reply, RepoError};

use super::{InMemoryTenantRepo, cap, check_order_write};

#[async_trait]
impl ConversationRepo for InMemoryTenantRepo {
    async fn insert_conversation(&self, store: StoreId, c: &Conversation) -> Result<(), RepoError> {
        self.with(store, |t| {
            let taken = t
                .conversations
                .values()
                .any(|x| x.customer_id == c.customer_id && x.account_id == c.account_id);
            if taken {
                return Err(RepoError::conflict("conversation of customer on account"));
            }
            if t.conversations.contains_key(&c.id) {
                return Err(RepoError::conflict("conversation id"));
            }
            t.conversations.insert(c.id, c.clone());
            Ok(())
        })
    }

    async fn find_conversation(
        &self,
        store: StoreId,
        customer: CustomerId,
        account: AccountId,
    ) -> Result<Option<Conversation>, RepoError> {
        self.with(store, |t| {
            Ok(t.conversations
                .values()
                .find(|c| c.customer_id == customer && c.account_id == account)
                .cloned())
        })
    }

    /// Saves state, context, `last_inbound_at` and `updated_at`; the customer, account and
    /// `created_at` are left as stored.
    async fn update_conversation(&self, store: StoreId, c: &Conversation) -> Result<(), RepoError> {
        self.with(store, |t| {
            let row = t.conversations.get_mut(&c.id).ok_or(RepoError::NotFound)?;
            let mut saved = c.clone();
            saved.customer_id = row.customer_id;
            saved.account_id = row.account_id;
            saved.agent_paused = row.agent_paused;
            saved.created_at = row.created_at;
            *row = saved;
            Ok(())
        })
    }

    async fn record_inbound(
        &self,
        store: StoreId,
        inbound: &InboundRecord,
    ) -> Result<RecordedInbound, RepoError> {
        self.with(store, |t| {
            let Some(wamid) = inbound.message.wamid.as_deref() else {
                return Err(RepoError::Unexpected(
                    "record_inbound: the message has no wamid".into(),
                ));
            };
            if let Some(stored) = t.message_by_wamid(wamid) {
                return t.redelivery(stored);
            }
            if t.messages.contains_key(&inbound.message.id) {
                return Err(RepoError::conflict("message id"));
            }
            let known = t
                .customers
                .values()
                .find(|c| c.wa_id() == inbound.customer.wa_id())
                .map(|c| c.id);
            let customer_id = match known {
                Some(id) => id,
                None if t.customers.contains_key(&inbound.customer.id) => {
                    return Err(RepoError::conflict("customer id"));
                }
                None => {
                    t.customers
                        .insert(inbound.customer.id, inbound.customer.clone());
                    inbound.customer.id
                }
            };
            let customer = t
                .customers
                .get_mut(&customer_id)
                .ok_or(RepoError::NotFound)?;
            if inbound.customer.name.is_some() {
                customer.name.clone_from(&inbound.customer.name);
            }
            if inbound.customer.phone.is_some() {
                customer.phone.clone_from(&inbound.customer.phone);
            }
            let customer = customer.clone();

            let existing = t
                .conversations
                .values()
                .find(|c| c.customer_id == customer.id && c.account_id == inbound.account_id)
                .map(|c| c.id);
            let conversation_id = match existing {
                Some(id) => id,
                None => {
                    let c = Conversation::new(
                        ConversationId::new(),
                        customer.id,
                        inbound.account_id,
                        inbound.at,
                    );
                    let id = c.id;
                    t.conversations.insert(id, c);
                    id
                }
            };
            let conversation = t
                .conversations
                .get_mut(&conversation_id)
                .ok_or(RepoError::NotFound)?;
            conversation.saw_inbound(inbound.at);
            let conversation = conversation.clone();

            let mut message = inbound.message.clone();
            message.conversation_id = conversation.id;
            t.messages.insert(message.id, message.clone());
            Ok(RecordedInbound {
                customer,
                conversation,
                message,
                duplicate: false,
                replies: Vec::new(),
            })
        })
    }

    async fn complete_inbound(
        &self,
        store: StoreId,
        inbound: MessageId,
        completion: &Completion,
        at: DateTime<Utc>,
    ) -> Result<Vec<Reply>, RepoError> {
        let conversation = &completion.conversation;
        let replies = &completion.replies;
        self.with(store, |t| {
            // Check everything first: nothing is written when a call fails.
            if !t.messages.contains_key(&inbound)
                || !t.conversations.contains_key(&conversation.id)
                || replies
                    .iter()
                    .any(|r| !t.conversations.contains_key(&r.message.conversation_id))
            {
                return Err(RepoError::NotFound);
            }
            if let Some(write) = &completion.order {
                check_order_write(t, write)?;
            }
            let row = t
                .conversations
                .get_mut(&conversation.id)
                .ok_or(RepoError::NotFound)?;
            row.state.clone_from(&conversation.state);
            row.context.clone_from(&conversation.context);
            row.agent_paused = conversation.agent_paused;
            row.updated_at = conversation.updated_at;
            if let Some(write) = &completion.order {
                let order = write.order().clone();
                t.orders.insert(order.id, order);
            }

            let messages: Vec<Message> = replies.iter().map(|r| r.message.clone()).collect();
            let stored = t.store_outbound(&messages, Some(inbound));
            let mut saved = Vec::with_capacity(stored.len());
            for (message, given) in stored.into_iter().zip(replies) {
                // Stored just now (its id is the given one): keep the content with it. Stored
                // before under the same key: its own content, or (like a SQL row saved before
                // contents were kept) the one just given, without keeping it.
                if message.id == given.message.id {
                    t.reply_contents
                        .entry(message.id)
                        .or_insert_with(|| given.content.clone());
                }
                let content = t
                    .reply_contents
                    .get(&message.id)
                    .cloned()
                    .unwrap_or_else(|| given.content.clone());
                saved.push(Reply { message, content });
            }
            if let Some(m) = t.messages.get_mut(&inbound)
                && m.handled_at.is_none()
            {
                m.handled_at = Some(at);
                m.transcript.clone_from(&completion.transcript);
                m.media_path.clone_from(&completion.media_path);
            }
            Ok(saved)
        })
    }

    async fn find_conversation_by_id(
        &self,
        store: StoreId,
        id: ConversationId,
    ) -> Result<Option<Conversation>, RepoError> {
        self.with(store, |t| Ok(t.conversations.get(&id).cloned()))
    }

    async fn set_agent_paused(
        &self,
        store: StoreId,
        conversation: ConversationId,
        paused: bool,
        at: DateTime<Utc>,
    ) -> Result<(), RepoError> {
        self.with(store, |t| {
            let row = t
                .conversations
                .get_mut(&conversation)
                .ok_or(RepoError::NotFound)?;
            row.agent_paused = paused;
            row.updated_at = at;
            Ok(())
        })
    }

    async fn list_conversations(
        &self,
        store: StoreId,
        limit: u32,
    ) -> Result<Vec<Conversation>, RepoError> {
        self.with(store, |t| {
            let mut found: Vec<Conversation> = t.conversations.values().cloned().collect();
            found.sort_by_key(|c| std::cmp::Reverse((c.updated_at, c.id)));
            found.truncate(cap(limit));
            Ok(found)
        })
    }
}
