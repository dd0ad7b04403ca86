//! An order's lifecycle as the owner moves it: status changes, the payment-verification
//! queue (approve, reject, the proof itself).

use omni_domain::{OrderId, OrderStatus, PaymentStatus, StoreId};
use omni_ports::{MediaError, MediaObject, OrderFilter};

use super::orders::{ListedOrder, OrderUpdate};
use super::service::{Commerce, CommerceError, check_len, conflict};
use crate::agent::text;

impl Commerce {
    /// Moves an order on (confirmed, preparing, out for delivery, delivered, cancelled) and
    /// tells the customer.
    ///
    /// # Errors
    /// `NotFound`; `Conflict` `illegal_transition` or `order_changed`.
    pub async fn advance(
        &self,
        store: StoreId,
        id: OrderId,
        to: OrderStatus,
    ) -> Result<OrderUpdate, CommerceError> {
        let s = self.store(store).await?;
        let before = self.order(store, id).await?;
        let mut order = before.clone();
        order
            .advance(to, self.clock.now())
            .map_err(|e| conflict("illegal_transition", e.to_string()))?;
        let body = text::status_update(&order);
        let (order, customer) = self.save_and_tell(&s, &before, order, body).await?;
        Ok(OrderUpdate {
            order,
            customer,
            rider: None,
        })
    }

    /// Approves a pending payment proof: paid, a placed order is confirmed, the customer is
    /// told.
    ///
    /// # Errors
    /// `NotFound`; `Conflict` `not_pending` or `order_changed`.
    pub async fn approve_payment(
        &self,
        store: StoreId,
        id: OrderId,
    ) -> Result<OrderUpdate, CommerceError> {
        let s = self.store(store).await?;
        let before = self.order(store, id).await?;
        let mut order = before.clone();
        order
            .payment
            .approve()
            .map_err(|e| conflict("not_pending", e.to_string()))?;
        let now = self.clock.now();
        if order.status() == OrderStatus::Placed {
            order
                .advance(OrderStatus::Confirmed, now)
                .map_err(|e| conflict("illegal_transition", e.to_string()))?;
        }
        order.updated_at = now;
        let body = text::payment_approved(&order);
        let (order, customer) = self.save_and_tell(&s, &before, order, body).await?;
        Ok(OrderUpdate {
            order,
            customer,
            rider: None,
        })
    }

    /// Rejects a pending payment proof with a reason; the customer is asked for a new one.
    ///
    /// # Errors
    /// `Invalid` reason; `NotFound`; `Conflict` `not_pending` or `order_changed`.
    pub async fn reject_payment(
        &self,
        store: StoreId,
        id: OrderId,
        reason: &str,
    ) -> Result<OrderUpdate, CommerceError> {
        let reason = check_len("invalid_reason", "reason", reason, 1, 300)?;
        let s = self.store(store).await?;
        let before = self.order(store, id).await?;
        let mut order = before.clone();
        order
            .payment
            .reject(reason.clone())
            .map_err(|e| conflict("not_pending", e.to_string()))?;
        order.updated_at = self.clock.now();
        let body = text::payment_rejected(&order, &reason);
        let (order, customer) = self.save_and_tell(&s, &before, order, body).await?;
        Ok(OrderUpdate {
            order,
            customer,
            rider: None,
        })
    }

    /// Orders whose payment proof waits for the owner, oldest first.
    ///
    /// # Errors
    /// Storage.
    pub async fn pending_verifications(
        &self,
        store: StoreId,
    ) -> Result<Vec<ListedOrder>, CommerceError> {
        let mut orders = self
            .commerce
            .list_orders_where(
                store,
                &OrderFilter {
                    statuses: Vec::new(),
                    payment: Some(PaymentStatus::PendingVerification),
                    limit: 200,
                },
            )
            .await?;
        orders.reverse();
        self.with_customers(store, orders).await
    }

    /// The latest payment proof of an order.
    ///
    /// # Errors
    /// `NotFound` (no order or no proof); `Media`.
    pub async fn proof(&self, store: StoreId, id: OrderId) -> Result<MediaObject, CommerceError> {
        let order = self.order(store, id).await?;
        let key = order
            .payment
            .proof_path()
            .ok_or(CommerceError::NotFound("payment proof"))?;
        // Keys are written per store; a key of another store is never served.
        if !key.starts_with(&format!("stores/{store}/")) {
            return Err(CommerceError::NotFound("payment proof"));
        }
        match self.media.get(key).await {
            Ok(o) => Ok(o),
            Err(MediaError::NotFound) => Err(CommerceError::NotFound("payment proof")),
            Err(e) => Err(CommerceError::Media(omni_ports::error_chain(&e))),
        }
    }
}
