//! [`TenantRepoPort`] over one set of maps per store. Each store's data lives in its own
//! [`Tenant`] value reached only through that store's id, which is the isolation the SQL
//! adapters get from one database per store.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use async_trait::async_trait;
use omni_domain::{
    AccountId, Conversation, ConversationId, Customer, CustomerId, MenuItem, MenuItemId, Message,
    MessageId, Order, OrderId, OrderStatus, PaymentMethod, PaymentMethodId, PaymentStatus, StoreId,
    TenantLocation,
};
use omni_ports::{RepoError, TenantRepoPort};

use crate::lock;

/// One store's tenant database.
#[derive(Debug, Default)]
struct Tenant {
    customers: BTreeMap<CustomerId, Customer>,
    conversations: BTreeMap<ConversationId, Conversation>,
    messages: BTreeMap<MessageId, Message>,
    menu: BTreeMap<MenuItemId, MenuItem>,
    payment_methods: BTreeMap<PaymentMethodId, PaymentMethod>,
    orders: BTreeMap<OrderId, Order>,
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
}
