//! [`TenantRepoPort`] over one set of maps per store. Each store's data lives in its own
//! [`Tenant`] value reached only through that store's id, which is the isolation the SQL
//! adapters get from one database per store.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use omni_domain::{
    AccountId, Conversation, ConversationId, Customer, CustomerId, Direction, MenuItem, MenuItemId,
    Message, MessageId, MessageStatus, Order, OrderId, OrderStatus, PaymentMethod, PaymentMethodId,
    PaymentStatus, StoreId, TenantLocation,
};
use omni_ports::{
    Completion, InboundRecord, OrderWrite, RecordedInbound, RepoError, StatusOutcome,
    TenantRepoPort,
};

use crate::lock;

/// Whether an order write would succeed: an insert needs a new id, an update the expected
/// statuses (the SQL adapters' compare and set).
fn check_order_write(t: &Tenant, write: &OrderWrite) -> Result<(), RepoError> {
    match write {
        OrderWrite::Insert(order) if t.orders.contains_key(&order.id) => {
            Err(RepoError::conflict("order exists"))
        }
        OrderWrite::Insert(_) => Ok(()),
        OrderWrite::Update {
            order,
            expected_status,
            expected_payment,
        } => {
            let row = t.orders.get(&order.id).ok_or(RepoError::NotFound)?;
            if row.status() != *expected_status || row.payment.status() != *expected_payment {
                return Err(RepoError::conflict("order changed concurrently"));
            }
            Ok(())
        }
    }
}

/// One store's tenant database.
#[derive(Debug, Default)]
struct Tenant {
    customers: BTreeMap<CustomerId, Customer>,
    conversations: BTreeMap<ConversationId, Conversation>,
    messages: BTreeMap<MessageId, Message>,
    menu: BTreeMap<MenuItemId, MenuItem>,
    payment_methods: BTreeMap<PaymentMethodId, PaymentMethod>,
    orders: BTreeMap<OrderId, Order>,
    /// Delivery statuses by (wamid, status): when and with which error.
    statuses: BTreeMap<(String, &'static str), KeptStatus>,
    auto_reply: Option<String>,
}

/// A delivery status as kept by wamid.
#[derive(Debug, Clone)]
struct KeptStatus {
    status: MessageStatus,
    at: DateTime<Utc>,
    error: Option<String>,
}

impl Tenant {
    fn message_by_wamid(&self, wamid: &str) -> Option<&Message> {
        self.messages
            .values()
            .find(|m| m.wamid.as_deref() == Some(wamid))
    }

    /// What `record_inbound` returns for a wamid already stored.
    fn redelivery(&self, message: &Message) -> Result<RecordedInbound, RepoError> {
        let conversation = self
            .conversations
            .get(&message.conversation_id)
            .ok_or_else(|| RepoError::Corrupt("message without conversation".into()))?;
        let customer = self
            .customers
            .get(&conversation.customer_id)
            .ok_or_else(|| RepoError::Corrupt("conversation without customer".into()))?;
        let mut replies: Vec<Message> = if message.handled_at.is_some() {
            self.messages
                .values()
                .filter(|m| m.direction == Direction::Outbound && m.in_reply_to == Some(message.id))
                .cloned()
                .collect()
        } else {
            Vec::new()
        };
        replies.sort_by_key(|m| (m.created_at, m.id));
        Ok(RecordedInbound {
            customer: customer.clone(),
            conversation: conversation.clone(),
            message: message.clone(),
            duplicate: true,
            replies,
        })
    }

    /// Moves a message to `status` if that supersedes its current one; whether it did.
    fn set_status(
        &mut self,
        id: MessageId,
        status: MessageStatus,
        at: DateTime<Utc>,
        error: Option<&str>,
    ) -> Result<bool, RepoError> {
        let m = self.messages.get_mut(&id).ok_or(RepoError::NotFound)?;
        if !status.supersedes(m.status) {
            return Ok(false);
        }
        m.status = Some(status);
        m.status_at = Some(at);
        if let Some(error) = error {
            m.error = Some(error.to_owned());
        }
        Ok(true)
    }
}

/// An in-memory tenant repository: a map from store to that store's data.
///
/// [`TenantRepoPort::provision`] creates a store's (empty) data without asking the central
/// repository whether the store exists; every other method returns
/// [`RepoError::TenantNotFound`] for a store that was never provisioned.
///
/// Orderings: the menu is sorted by category with uncategorised items (`None`) first, then by
/// name, then id; messages and payment methods by `created_at` then id; orders newest first by
/// `created_at` then id.
///
/// Inbound handling follows the SQL adapter's choices: a conversation created by
/// [`TenantRepoPort::record_inbound`] starts in state `new` with an empty context; a reply
/// without `in_reply_to` is stored as answering the inbound message it completes; of the
/// statuses kept for a wamid, [`TenantRepoPort::record_sent`] applies the highest ranked.
#[derive(Debug, Default)]
pub struct InMemoryTenantRepo {
    tenants: Mutex<HashMap<StoreId, Tenant>>,
}

impl InMemoryTenantRepo {
    /// A repository with no provisioned stores.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs `f` on the store's data under the lock (never across an await).
    fn with<T>(
        &self,
        store: StoreId,
        f: impl FnOnce(&mut Tenant) -> Result<T, RepoError>,
    ) -> Result<T, RepoError> {
        let mut tenants = lock(&self.tenants);
        let tenant = tenants.get_mut(&store).ok_or(RepoError::TenantNotFound)?;
        f(tenant)
    }
}

/// `limit` as a `usize` for `take`.
fn cap(limit: u32) -> usize {
    usize::try_from(limit).unwrap_or(usize::MAX)
}

#[async_trait]
impl TenantRepoPort for InMemoryTenantRepo {
    fn new_location(&self, store: StoreId) -> TenantLocation {
        TenantLocation::Sqlite {
            file: format!("memory/{store}"),
        }
    }

    async fn provision(&self, store: StoreId) -> Result<(), RepoError> {
        lock(&self.tenants).entry(store).or_default();
        Ok(())
    }

    async fn ping(&self, store: StoreId) -> Result<(), RepoError> {
        self.with(store, |_| Ok(()))
    }

    async fn upsert_customer(
        &self,
        store: StoreId,
        customer: &Customer,
    ) -> Result<Customer, RepoError> {
        self.with(store, |t| {
            if let Some(existing) = t.customers.values_mut().find(|c| c.wa_id == customer.wa_id) {
                if customer.name.is_some() {
                    existing.name.clone_from(&customer.name);
                }
                if customer.phone.is_some() {
                    existing.phone.clone_from(&customer.phone);
                }
                return Ok(existing.clone());
            }
            if t.customers.contains_key(&customer.id) {
                return Err(RepoError::conflict("customer id"));
            }
            t.customers.insert(customer.id, customer.clone());
            Ok(customer.clone())
        })
    }

    async fn find_customer(
        &self,
        store: StoreId,
        id: CustomerId,
    ) -> Result<Option<Customer>, RepoError> {
        self.with(store, |t| Ok(t.customers.get(&id).cloned()))
    }

    async fn find_customers(
        &self,
        store: StoreId,
        ids: &[CustomerId],
    ) -> Result<Vec<Customer>, RepoError> {
        self.with(store, |t| {
            Ok(t.customers
                .values()
                .filter(|c| ids.contains(&c.id))
                .cloned()
                .collect())
        })
    }

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
            row.state.clone_from(&c.state);
            row.context.clone_from(&c.context);
            row.last_inbound_at = c.last_inbound_at;
            row.updated_at = c.updated_at;
            Ok(())
        })
    }

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

    async fn insert_menu_item(&self, store: StoreId, item: &MenuItem) -> Result<(), RepoError> {
        self.with(store, |t| {
            if t.menu.contains_key(&item.id) {
                return Err(RepoError::conflict("menu item id"));
            }
            t.menu.insert(item.id, item.clone());
            Ok(())
        })
    }

    async fn list_menu_items(&self, store: StoreId) -> Result<Vec<MenuItem>, RepoError> {
        self.with(store, |t| {
            let mut found: Vec<MenuItem> = t.menu.values().cloned().collect();
            // `None < Some(_)`: uncategorised items come first.
            found.sort_by(|a, b| (&a.category, &a.name, a.id).cmp(&(&b.category, &b.name, b.id)));
            Ok(found)
        })
    }

    async fn insert_payment_method(
        &self,
        store: StoreId,
        m: &PaymentMethod,
    ) -> Result<(), RepoError> {
        self.with(store, |t| {
            if t.payment_methods.contains_key(&m.id) {
                return Err(RepoError::conflict("payment method id"));
            }
            t.payment_methods.insert(m.id, m.clone());
            Ok(())
        })
    }

    async fn list_payment_methods(&self, store: StoreId) -> Result<Vec<PaymentMethod>, RepoError> {
        self.with(store, |t| {
            let mut found: Vec<PaymentMethod> = t.payment_methods.values().cloned().collect();
            found.sort_by_key(|m| (m.created_at, m.id));
            Ok(found)
        })
    }

    async fn insert_order(&self, store: StoreId, order: &Order) -> Result<(), RepoError> {
        self.with(store, |t| {
            if t.orders.contains_key(&order.id) {
                return Err(RepoError::conflict("order id"));
            }
            t.orders.insert(order.id, order.clone());
            Ok(())
        })
    }

    async fn find_order(&self, store: StoreId, id: OrderId) -> Result<Option<Order>, RepoError> {
        self.with(store, |t| Ok(t.orders.get(&id).cloned()))
    }

    async fn list_orders(&self, store: StoreId, limit: u32) -> Result<Vec<Order>, RepoError> {
        self.with(store, |t| {
            let mut found: Vec<Order> = t.orders.values().cloned().collect();
            found.sort_by_key(|o| std::cmp::Reverse((o.created_at, o.id)));
            found.truncate(cap(limit));
            Ok(found)
        })
    }

    /// Replaces the whole stored order except its `created_at`.
    async fn update_order(
        &self,
        store: StoreId,
        order: &Order,
        expected_status: OrderStatus,
        expected_payment: PaymentStatus,
    ) -> Result<(), RepoError> {
        self.with(store, |t| {
            let row = t.orders.get_mut(&order.id).ok_or(RepoError::NotFound)?;
            if row.status() != expected_status || row.payment.status() != expected_payment {
                return Err(RepoError::conflict("order changed concurrently"));
            }
            let created_at = row.created_at;
            *row = order.clone();
            row.created_at = created_at;
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
                .find(|c| c.wa_id == inbound.customer.wa_id)
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
                    let c = Conversation {
                        id: ConversationId::new(),
                        customer_id: customer.id,
                        account_id: inbound.account_id,
                        state: "new".into(),
                        context: serde_json::Value::Object(serde_json::Map::new()),
                        last_inbound_at: Some(inbound.at),
                        agent_paused: false,
                        created_at: inbound.at,
                        updated_at: inbound.at,
                    };
                    let id = c.id;
                    t.conversations.insert(id, c);
                    id
                }
            };
            let conversation = t
                .conversations
                .get_mut(&conversation_id)
                .ok_or(RepoError::NotFound)?;
            if conversation
                .last_inbound_at
                .is_none_or(|last| last < inbound.at)
            {
                conversation.last_inbound_at = Some(inbound.at);
            }
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
    ) -> Result<Vec<Message>, RepoError> {
        let conversation = &completion.conversation;
        let replies = &completion.replies;
        self.with(store, |t| {
            // Check everything first: nothing is written when a call fails.
            if !t.messages.contains_key(&inbound)
                || !t.conversations.contains_key(&conversation.id)
                || replies
                    .iter()
                    .any(|r| !t.conversations.contains_key(&r.conversation_id))
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

            let mut stored = Vec::with_capacity(replies.len());
            for reply in replies {
                let existing = match &reply.idempotency_key {
                    Some(key) => t
                        .messages
                        .values()
                        .find(|m| m.idempotency_key.as_ref() == Some(key))
                        .or_else(|| t.messages.get(&reply.id)),
                    None => t.messages.get(&reply.id),
                };
                if let Some(existing) = existing {
                    stored.push(existing.clone());
                    continue;
                }
                let mut reply = reply.clone();
                reply.in_reply_to = reply.in_reply_to.or(Some(inbound));
                t.messages.insert(reply.id, reply.clone());
                stored.push(reply);
            }
            if let Some(m) = t.messages.get_mut(&inbound)
                && m.handled_at.is_none()
            {
                m.handled_at = Some(at);
                m.transcript.clone_from(&completion.transcript);
                m.media_path.clone_from(&completion.media_path);
            }
            Ok(stored)
        })
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

    async fn auto_reply(&self, store: StoreId) -> Result<Option<String>, RepoError> {
        self.with(store, |t| Ok(t.auto_reply.clone()))
    }

    async fn set_auto_reply(
        &self,
        store: StoreId,
        reply: Option<&str>,
        _at: DateTime<Utc>,
    ) -> Result<(), RepoError> {
        self.with(store, |t| {
            t.auto_reply = reply.map(str::to_owned);
            Ok(())
        })
    }
}
