//! A store's own database: customers, conversations, messages, menu, payment methods, orders.
//! Every method takes the store first; an adapter resolves it to that store's database and
//! nothing else, so one store's data is never reachable through another store's id.

use async_trait::async_trait;
use omni_domain::{
    AccountId, Conversation, ConversationId, Customer, CustomerId, MenuItem, Message, Order,
    OrderId, OrderStatus, PaymentMethod, PaymentStatus, StoreId, TenantLocation,
};

use crate::RepoError;

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
}
