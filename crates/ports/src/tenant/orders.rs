//! A store's orders with their items: the optimistic status check on every change, order
//! queries, payment-proof lookups, and an owner action saved with its messages in one
//! transaction.

use async_trait::async_trait;
use omni_domain::{ConversationId, Message, Order, OrderId, OrderStatus, PaymentStatus, StoreId};

use crate::RepoError;

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

/// Which orders to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderFilter {
    /// Only these fulfilment statuses (all when empty).
    pub statuses: Vec<OrderStatus>,
    /// Only this payment status.
    pub payment: Option<PaymentStatus>,
    /// At most this many, newest first.
    pub limit: u32,
}

/// Orders of one store at a time.
#[async_trait]
pub trait OrderRepo: Send + Sync {
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

    /// Orders matching a filter, newest first.
    ///
    /// # Errors
    /// Storage failure.
    async fn list_orders_where(
        &self,
        store: StoreId,
        filter: &OrderFilter,
    ) -> Result<Vec<Order>, RepoError>;

    /// The newest order of a conversation that is not delivered or cancelled.
    ///
    /// # Errors
    /// Storage failure.
    async fn open_order(
        &self,
        store: StoreId,
        conversation: ConversationId,
    ) -> Result<Option<Order>, RepoError>;

    /// Other orders whose payment proof had these bytes (hex SHA-256), oldest first.
    ///
    /// # Errors
    /// Storage failure.
    async fn orders_with_proof(
        &self,
        store: StoreId,
        sha256: &str,
        except: OrderId,
    ) -> Result<Vec<OrderId>, RepoError>;

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

    /// An owner action: the order change and the messages it sends (saved as queued outbound
    /// messages, an idempotency key already stored is skipped) in one transaction. Returns
    /// the messages as stored.
    ///
    /// # Errors
    /// `Conflict` when the order changed meanwhile (see [`OrderWrite::Update`]); `NotFound`.
    async fn save_order_change(
        &self,
        store: StoreId,
        order: &OrderWrite,
        messages: &[Message],
    ) -> Result<Vec<Message>, RepoError>;
}
