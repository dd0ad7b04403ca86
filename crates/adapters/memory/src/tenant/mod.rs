//! Every per-aggregate tenant port (so both bundles, `TenantRepoPort` and `CommerceRepo`)
//! over one set of maps per store, one file per port. Each store's data lives in its own
//! [`Tenant`] value reached only through that store's id, which is the isolation the SQL
//! adapters get from one database per store.

mod agent_tokens;
mod conversations;
mod customers;
mod menu;
mod messages;
mod orders;
mod payment_methods;
mod settings;

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use omni_domain::{
    Conversation, ConversationId, Customer, CustomerId, Direction, MenuItem, MenuItemId, Message,
    MessageId, MessageStatus, Order, OrderId, OrderStatus, PaymentMethod, PaymentMethodId, StoreId,
    StoreSettings, TenantLocation,
};
use omni_ports::meta::OutboundContent;
use omni_ports::{OrderFilter, OrderWrite, RecordedInbound, RepoError, SavedReply, TenantDbRepo};

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
    /// The content each reply was queued with, by its message (the SQL `outbound_content`).
    reply_contents: BTreeMap<MessageId, OutboundContent>,
    menu: BTreeMap<MenuItemId, MenuItem>,
    payment_methods: BTreeMap<PaymentMethodId, PaymentMethod>,
    orders: BTreeMap<OrderId, Order>,
    /// Delivery statuses by (wamid, status): when and with which error.
    statuses: BTreeMap<(String, &'static str), KeptStatus>,
    auto_reply: Option<String>,
    settings: Option<StoreSettings>,
    agent_tokens: BTreeMap<NaiveDate, u64>,
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
        let mut replies: Vec<SavedReply> = if message.handled_at.is_some() {
            self.messages
                .values()
                .filter(|m| m.direction == Direction::Outbound && m.in_reply_to == Some(message.id))
                .map(|m| SavedReply {
                    message: m.clone(),
                    content: self.reply_contents.get(&m.id).cloned(),
                })
                .collect()
        } else {
            Vec::new()
        };
        replies.sort_by_key(|r| (r.message.created_at, r.message.id));
        Ok(RecordedInbound {
            customer: customer.clone(),
            conversation: conversation.clone(),
            message: message.clone(),
            duplicate: true,
            replies,
        })
    }

    /// Stores outbound messages, skipping any whose idempotency key (or id) is stored already;
    /// a message without `in_reply_to` gets `in_reply_to` (the inbound message it answers).
    /// Returns the messages as stored, in the given order.
    fn store_outbound(
        &mut self,
        messages: &[Message],
        in_reply_to: Option<MessageId>,
    ) -> Vec<Message> {
        let mut stored = Vec::with_capacity(messages.len());
        for message in messages {
            let existing = match &message.idempotency_key {
                Some(key) => self
                    .messages
                    .values()
                    .find(|m| m.idempotency_key.as_ref() == Some(key))
                    .or_else(|| self.messages.get(&message.id)),
                None => self.messages.get(&message.id),
            };
            if let Some(existing) = existing {
                stored.push(existing.clone());
                continue;
            }
            let mut message = message.clone();
            message.in_reply_to = message.in_reply_to.or(in_reply_to);
            self.messages.insert(message.id, message.clone());
            stored.push(message);
        }
        stored
    }

    /// Orders matching `filter` (and the conversation; not delivered or cancelled when
    /// `open_only`), newest first by `created_at` then id.
    fn orders_where(
        &self,
        filter: &OrderFilter,
        conversation: Option<ConversationId>,
        open_only: bool,
    ) -> Vec<Order> {
        let mut found: Vec<Order> = self
            .orders
            .values()
            .filter(|o| filter.statuses.is_empty() || filter.statuses.contains(&o.status()))
            .filter(|o| {
                !open_only || !matches!(o.status(), OrderStatus::Delivered | OrderStatus::Cancelled)
            })
            .filter(|o| filter.payment.is_none_or(|p| o.payment.status() == p))
            .filter(|o| conversation.is_none_or(|c| o.conversation_id == Some(c)))
            .cloned()
            .collect();
        found.sort_by_key(|o| std::cmp::Reverse((o.created_at, o.id)));
        found.truncate(cap(filter.limit));
        found
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
/// [`TenantDbRepo::provision`] creates a store's (empty) data without asking the central
/// repository whether the store exists; every other method returns
/// [`RepoError::TenantNotFound`] for a store that was never provisioned.
///
/// Orderings: the menu is sorted by category with uncategorised items (`None`) first, then by
/// name, then id; messages and payment methods by `created_at` then id; orders newest first by
/// `created_at` then id.
///
/// Inbound handling follows the SQL adapter's choices: a conversation created by
/// [`omni_ports::ConversationRepo::record_inbound`] starts in state `new` with an empty context; a reply
/// without `in_reply_to` is stored as answering the inbound message it completes; of the
/// statuses kept for a wamid, [`omni_ports::MessageRepo::record_sent`] applies the highest ranked.
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
impl TenantDbRepo for InMemoryTenantRepo {
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
}
