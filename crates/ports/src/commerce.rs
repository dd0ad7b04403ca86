//! A store's commerce data beyond the conversation core: menu and payment-method management,
//! ordering settings, order queries, owner actions that change an order and message the
//! customer in one transaction, payment-proof lookups and the agent's token budget.
//!
//! Like the inbox and the outbox, this port has SQL adapters only (tested on SQLite and
//! Postgres): the in-memory adapter covers the conversation core that the fast unit tests use.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use omni_domain::{
    Conversation, ConversationId, Customer, MenuItem, MenuItemId, Message, Order, OrderId,
    OrderStatus, PaymentMethod, PaymentMethodId, PaymentStatus, StoreId, StoreSettings,
};

use crate::{OrderWrite, RepoError};

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

/// Commerce data of one store at a time.
#[async_trait]
pub trait CommerceRepo: Send + Sync {
    /// A menu item.
    ///
    /// # Errors
    /// Storage failure.
    async fn find_menu_item(
        &self,
        store: StoreId,
        id: MenuItemId,
    ) -> Result<Option<MenuItem>, RepoError>;

    /// Replaces a menu item's fields.
    ///
    /// # Errors
    /// `NotFound`.
    async fn update_menu_item(&self, store: StoreId, item: &MenuItem) -> Result<(), RepoError>;

    /// Deletes a menu item (order lines keep their copied name and price).
    ///
    /// # Errors
    /// `NotFound`.
    async fn delete_menu_item(&self, store: StoreId, id: MenuItemId) -> Result<(), RepoError>;

    /// A payment method.
    ///
    /// # Errors
    /// Storage failure.
    async fn find_payment_method(
        &self,
        store: StoreId,
        id: PaymentMethodId,
    ) -> Result<Option<PaymentMethod>, RepoError>;

    /// Replaces a payment method's fields.
    ///
    /// # Errors
    /// `NotFound`.
    async fn update_payment_method(
        &self,
        store: StoreId,
        method: &PaymentMethod,
    ) -> Result<(), RepoError>;

    /// Deletes a payment method.
    ///
    /// # Errors
    /// `NotFound`.
    async fn delete_payment_method(
        &self,
        store: StoreId,
        id: PaymentMethodId,
    ) -> Result<(), RepoError>;

    /// The store's ordering settings; `None` until the owner set them (the caller uses
    /// [`StoreSettings::defaults`] in the store's currency).
    ///
    /// # Errors
    /// Storage failure.
    async fn settings(&self, store: StoreId) -> Result<Option<StoreSettings>, RepoError>;

    /// Saves the store's ordering settings.
    ///
    /// # Errors
    /// Storage failure.
    async fn set_settings(
        &self,
        store: StoreId,
        settings: &StoreSettings,
        at: DateTime<Utc>,
    ) -> Result<(), RepoError>;

    /// The newest order of a conversation that is not delivered or cancelled.
    ///
    /// # Errors
    /// Storage failure.
    async fn open_order(
        &self,
        store: StoreId,
        conversation: ConversationId,
    ) -> Result<Option<Order>, RepoError>;

    /// Orders matching a filter, newest first.
    ///
    /// # Errors
    /// Storage failure.
    async fn list_orders_where(
        &self,
        store: StoreId,
        filter: &OrderFilter,
    ) -> Result<Vec<Order>, RepoError>;

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

    /// A customer by `wa_id` (riders are found this way, to see whether their window is
    /// open).
    ///
    /// # Errors
    /// Storage failure.
    async fn find_customer_by_wa_id(
        &self,
        store: StoreId,
        wa_id: &str,
    ) -> Result<Option<Customer>, RepoError>;

    /// A conversation by id.
    ///
    /// # Errors
    /// Storage failure.
    async fn find_conversation_by_id(
        &self,
        store: StoreId,
        id: ConversationId,
    ) -> Result<Option<Conversation>, RepoError>;

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

    /// Adds model tokens to the store's count for `day` and returns the new count.
    ///
    /// # Errors
    /// Storage failure.
    async fn add_agent_tokens(
        &self,
        store: StoreId,
        day: NaiveDate,
        tokens: u64,
    ) -> Result<u64, RepoError>;

    /// The store's model tokens spent on `day`.
    ///
    /// # Errors
    /// Storage failure.
    async fn agent_tokens(&self, store: StoreId, day: NaiveDate) -> Result<u64, RepoError>;
}
