//! [`OrderRepo`] in memory, with the same compare-and-set on statuses as the SQL adapters.

use async_trait::async_trait;
use omni_domain::{ConversationId, Message, Order, OrderId, OrderStatus, PaymentStatus, StoreId};
use omni_ports::{OrderFilter, OrderRepo, OrderWrite, RepoError};

use super::{InMemoryTenantRepo, cap, check_order_write};

#[async_trait]
impl OrderRepo for InMemoryTenantRepo {
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

    async fn list_orders_where(
        &self,
        store: StoreId,
        filter: &OrderFilter,
    ) -> Result<Vec<Order>, RepoError> {
        self.with(store, |t| Ok(t.orders_where(filter, None, false)))
    }

    async fn open_order(
        &self,
        store: StoreId,
        conversation: ConversationId,
    ) -> Result<Option<Order>, RepoError> {
        let filter = OrderFilter {
            limit: 1,
            ..OrderFilter::default()
        };
        self.with(store, |t| {
            Ok(t.orders_where(&filter, Some(conversation), true)
                .into_iter()
                .next())
        })
    }

    async fn orders_with_proof(
        &self,
        store: StoreId,
        sha256: &str,
        except: OrderId,
    ) -> Result<Vec<OrderId>, RepoError> {
        self.with(store, |t| {
            let mut found: Vec<&Order> = t
                .orders
                .values()
                .filter(|o| o.id != except && o.payment.proof_sha256() == Some(sha256))
                .collect();
            found.sort_by_key(|o| (o.created_at, o.id));
            Ok(found.into_iter().map(|o| o.id).collect())
        })
    }

    async fn save_order_change(
        &self,
        store: StoreId,
        order: &OrderWrite,
        messages: &[Message],
    ) -> Result<Vec<Message>, RepoError> {
        self.with(store, |t| {
            // Check everything first: nothing is written when a call fails.
            check_order_write(t, order)?;
            if messages
                .iter()
                .any(|m| !t.conversations.contains_key(&m.conversation_id))
            {
                return Err(RepoError::NotFound);
            }
            let written = order.order().clone();
            t.orders.insert(written.id, written);
            Ok(t.store_outbound(messages, None))
        })
    }
}
