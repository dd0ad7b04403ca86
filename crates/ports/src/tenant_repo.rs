//! A store's own database: customers, conversations, messages, menu, payment methods, orders.
//! Every method takes the store first; an adapter resolves it to that store's database and
//! nothing else, so one store's data is never reachable through another store's id.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use omni_domain::{
    AccountId, Conversation, ConversationId, Customer, CustomerId, MenuItem, Message, MessageId,
    MessageStatus, Order, OrderId, OrderStatus, PaymentMethod, PaymentStatus, StoreId,
    TenantLocation,
};

use crate::RepoError;

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
    /// For a duplicate already handled: the replies saved then.
    pub replies: Vec<Message>,
}

/// An order change saved together with something else (a turn of the conversation, an owner
/// action's messages).
#[derive(Debug, Clone, PartialEq)]
pub enum OrderWrite {
    /// A new order (a cart opened by this message).
    Insert(Order),
    /// A changed order, saved only if its stored statuses still equal these (someone else, the
    /// owner or another message, did not change it first).
    Update {
        /// The order as it should be.
        order: Order,
        /// Its fulfilment status when it was read.
        expected_status: OrderStatus,
        /// Its payment status when it was read.
        expected_payment: PaymentStatus,
    },
}

impl OrderWrite {
    /// The order written.
    #[must_use]
    pub const fn order(&self) -> &Order {
        match self {
            Self::Insert(o) | Self::Update { order: o, .. } => o,
        }
    }
}

/// Everything the handling of one inbound message saves, in one tenant transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    /// The conversation's state, context and agent pause flag.
    pub conversation: Conversation,
    /// The order change, when any.
    pub order: Option<OrderWrite>,
    /// The replies (queued outbound messages with idempotency keys).
    pub replies: Vec<Message>,
    /// What a voice note said.
    pub transcript: Option<String>,
    /// Where the inbound media was kept (payment screenshots).
    pub media_path: Option<String>,
}

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

/// Tenant data of one store at a time.
#[async_trait]
pub trait TenantRepoPort: Send + Sync {
    /// Where a new store's tenant database will live (the adapter's placement policy). The
    /// store row records it before [`TenantRepoPort::provision`] creates the database.
    fn new_location(&self, store: StoreId) -> TenantLocation;

    /// Creates the store's tenant database if it does not exist and migrates it. Idempotent.
    ///
    /// # Errors
    /// `TenantNotFound` when the store is unknown; `Unavailable` when its server is down.
    async fn provision(&self, store: StoreId) -> Result<(), RepoError>;

    /// Checks the store's tenant database answers.
    ///
    /// # Errors
    /// `TenantNotFound` or `Unavailable`.
    async fn ping(&self, store: StoreId) -> Result<(), RepoError>;

    /// Adds a customer, or returns the existing one with the same `wa_id` (updating its name
    /// and phone when the new ones are set).
    ///
    /// # Errors
    /// `TenantNotFound` or storage failure.
    async fn upsert_customer(
        &self,
        store: StoreId,
        customer: &Customer,
    ) -> Result<Customer, RepoError>;

    /// A customer by id.
    ///
    /// # Errors
    /// `TenantNotFound` or storage failure.
    async fn find_customer(
        &self,
        store: StoreId,
        id: CustomerId,
    ) -> Result<Option<Customer>, RepoError>;

    /// The customers among `ids` that exist, in no particular order (one query, for lists).
    ///
    /// # Errors
    /// `TenantNotFound` or storage failure.
    async fn find_customers(
        &self,
        store: StoreId,
        ids: &[CustomerId],
    ) -> Result<Vec<Customer>, RepoError>;

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

    /// Saves a conversation's state, context and times.
    ///
    /// # Errors
    /// `NotFound` when it does not exist.
    async fn update_conversation(&self, store: StoreId, c: &Conversation) -> Result<(), RepoError>;

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

    /// Adds a menu item.
    ///
    /// # Errors
    /// `Conflict` on a duplicate id.
    async fn insert_menu_item(&self, store: StoreId, item: &MenuItem) -> Result<(), RepoError>;

    /// The menu, by category then name.
    ///
    /// # Errors
    /// `TenantNotFound` or storage failure.
    async fn list_menu_items(&self, store: StoreId) -> Result<Vec<MenuItem>, RepoError>;

    /// Adds a payment method.
    ///
    /// # Errors
    /// `Conflict` on a duplicate id.
    async fn insert_payment_method(
        &self,
        store: StoreId,
        m: &PaymentMethod,
    ) -> Result<(), RepoError>;

    /// The payment methods, oldest first.
    ///
    /// # Errors
    /// `TenantNotFound` or storage failure.
    async fn list_payment_methods(&self, store: StoreId) -> Result<Vec<PaymentMethod>, RepoError>;

    /// Adds an order with its items.
    ///
    /// # Errors
    /// `Conflict` on a duplicate id.
    async fn insert_order(&self, store: StoreId, order: &Order) -> Result<(), RepoError>;

    /// An order with its items.
    ///
    /// # Errors
    /// `TenantNotFound` or storage failure.
    async fn find_order(&self, store: StoreId, id: OrderId) -> Result<Option<Order>, RepoError>;

    /// The newest `limit` orders, newest first.
    ///
    /// # Errors
    /// `TenantNotFound` or storage failure.
    async fn list_orders(&self, store: StoreId, limit: u32) -> Result<Vec<Order>, RepoError>;

    /// Saves an order (items replaced) if its stored statuses still equal the expected ones,
    /// in one transaction.
    ///
    /// # Errors
    /// `NotFound` when it does not exist; MUST return `Conflict` when the stored order or
    /// payment status differs from the expected one (someone else changed it first).
    async fn update_order(
        &self,
        store: StoreId,
        order: &Order,
        expected_status: OrderStatus,
        expected_payment: PaymentStatus,
    ) -> Result<(), RepoError>;

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
    /// message handled. Returns the replies as stored.
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
    ) -> Result<Vec<Message>, RepoError>;

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

    /// The store's auto-reply text, when one is set (the conversation handler before the
    /// AI agent).
    ///
    /// # Errors
    /// Storage failure.
    async fn auto_reply(&self, store: StoreId) -> Result<Option<String>, RepoError>;

    /// Sets or clears the auto-reply text.
    ///
    /// # Errors
    /// Storage failure.
    async fn set_auto_reply(
        &self,
        store: StoreId,
        reply: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<(), RepoError>;
}
