//! Orders and their payment. Status changes go through methods that check the transition, so an
//! illegal change (approving an unpaid order, paying twice) is an error, never a silent write.
//! `Payment`'s fields are private for that reason; storage rebuilds one with
//! [`Payment::restore`], which checks the fields agree with each other.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::commerce::{GeoPoint, Rider};
use crate::conversation::ConversationState;
use crate::enums::text_enum;
use crate::ids::{AccountId, ConversationId, CustomerId, MenuItemId, OrderId, PaymentMethodId};
use crate::money::{Currency, Money, MoneyError};

text_enum!(
    /// Payment status of an order.
    PaymentStatus, "payment status" {
        /// Nothing paid or claimed yet.
        Unpaid => "unpaid",
        /// The customer sent proof; the owner has to look.
        PendingVerification => "pending_verification",
        /// Paid (approved proof, or cash collected).
        Paid => "paid",
        /// The owner rejected the proof; the customer may send another.
        Rejected => "rejected",
    }
);

impl PaymentStatus {
    /// Whether `self -> to` is allowed.
    #[must_use]
    pub const fn can_become(self, to: PaymentStatus) -> bool {
        use PaymentStatus::{Paid, PendingVerification, Rejected, Unpaid};
        matches!(
            (self, to),
            (Unpaid | Rejected, PendingVerification)
                | (PendingVerification, Paid | Rejected)
                | (Unpaid, Paid)
        )
    }
}

/// An illegal payment status change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("payment cannot go from {from} to {to}")]
pub struct PaymentTransitionError {
    /// Status before.
    pub from: PaymentStatus,
    /// Requested status.
    pub to: PaymentStatus,
}

/// An order's payment: method, proof, status. Changed only through its transition methods.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    status: PaymentStatus,
    method_id: Option<PaymentMethodId>,
    proof_path: Option<String>,
    proof_sha256: Option<String>,
    rejection_reason: Option<String>,
}

impl Default for Payment {
    fn default() -> Self {
        Self {
            status: PaymentStatus::Unpaid,
            method_id: None,
            proof_path: None,
            proof_sha256: None,
            rejection_reason: None,
        }
    }
}

impl Payment {
    /// Rebuilds a payment read from storage.
    ///
    /// # Errors
    /// When the fields contradict each other (pending verification without a proof).
    pub fn restore(
        status: PaymentStatus,
        method_id: Option<PaymentMethodId>,
        proof_path: Option<String>,
        proof_sha256: Option<String>,
        rejection_reason: Option<String>,
    ) -> Result<Self, PaymentTransitionError> {
        if status == PaymentStatus::PendingVerification && proof_path.is_none() {
            return Err(PaymentTransitionError {
                from: PaymentStatus::Unpaid,
                to: status,
            });
        }
        Ok(Self {
            status,
            method_id,
            proof_path,
            proof_sha256,
            rejection_reason,
        })
    }

    /// Status.
    #[must_use]
    pub const fn status(&self) -> PaymentStatus {
        self.status
    }

    /// Chosen payment method.
    #[must_use]
    pub const fn method_id(&self) -> Option<PaymentMethodId> {
        self.method_id
    }

    /// Where the latest proof is stored (media store key).
    #[must_use]
    pub fn proof_path(&self) -> Option<&str> {
        self.proof_path.as_deref()
    }

    /// Hex SHA-256 of the latest proof's bytes (to spot one screenshot used twice).
    #[must_use]
    pub fn proof_sha256(&self) -> Option<&str> {
        self.proof_sha256.as_deref()
    }

    /// Why the owner rejected the last proof.
    #[must_use]
    pub fn rejection_reason(&self) -> Option<&str> {
        self.rejection_reason.as_deref()
    }

    fn become_(&mut self, to: PaymentStatus) -> Result<(), PaymentTransitionError> {
        if !self.status.can_become(to) {
            return Err(PaymentTransitionError {
                from: self.status,
                to,
            });
        }
        self.status = to;
        Ok(())
    }

    /// Chooses (or changes) the payment method; not once paid.
    ///
    /// # Errors
    /// When the order is already paid or awaiting verification.
    pub fn choose_method(&mut self, method: PaymentMethodId) -> Result<(), PaymentTransitionError> {
        if matches!(
            self.status,
            PaymentStatus::Paid | PaymentStatus::PendingVerification
        ) {
            return Err(PaymentTransitionError {
                from: self.status,
                to: self.status,
            });
        }
        self.method_id = Some(method);
        Ok(())
    }

    /// The customer sent a payment screenshot.
    ///
    /// # Errors
    /// Unless the payment is unpaid or rejected.
    pub fn submit_proof(
        &mut self,
        proof_path: String,
        sha256: String,
    ) -> Result<(), PaymentTransitionError> {
        self.become_(PaymentStatus::PendingVerification)?;
        self.proof_path = Some(proof_path);
        self.proof_sha256 = Some(sha256);
        self.rejection_reason = None;
        Ok(())
    }

    /// The owner approved the proof.
    ///
    /// # Errors
    /// Unless a proof is pending verification.
    pub fn approve(&mut self) -> Result<(), PaymentTransitionError> {
        if self.status != PaymentStatus::PendingVerification {
            return Err(PaymentTransitionError {
                from: self.status,
                to: PaymentStatus::Paid,
            });
        }
        self.become_(PaymentStatus::Paid)
    }

    /// The owner rejected the proof.
    ///
    /// # Errors
    /// Unless a proof is pending verification.
    pub fn reject(&mut self, reason: String) -> Result<(), PaymentTransitionError> {
        self.become_(PaymentStatus::Rejected)?;
        self.rejection_reason = Some(reason);
        Ok(())
    }

    /// Cash (or another method without proof) was collected.
    ///
    /// # Errors
    /// Unless the payment is unpaid.
    pub fn mark_collected(&mut self) -> Result<(), PaymentTransitionError> {
        if self.status != PaymentStatus::Unpaid {
            return Err(PaymentTransitionError {
                from: self.status,
                to: PaymentStatus::Paid,
            });
        }
        self.become_(PaymentStatus::Paid)
    }
}

text_enum!(
    /// Fulfilment status of an order.
    OrderStatus, "order status" {
        /// The cart, still being built in the conversation.
        Cart => "cart",
        /// The customer confirmed it.
        Placed => "placed",
        /// The store confirmed it.
        Confirmed => "confirmed",
        /// In the kitchen.
        Preparing => "preparing",
        /// With a rider.
        OutForDelivery => "out_for_delivery",
        /// Delivered.
        Delivered => "delivered",
        /// Cancelled.
        Cancelled => "cancelled",
    }
);

impl OrderStatus {
    /// Whether `self -> to` is allowed.
    #[must_use]
    pub const fn can_become(self, to: OrderStatus) -> bool {
        use OrderStatus::{
            Cancelled, Cart, Confirmed, Delivered, OutForDelivery, Placed, Preparing,
        };
        matches!(
            (self, to),
            (Cart, Placed)
                | (Placed, Confirmed)
                | (Confirmed, Preparing)
                | (Preparing, OutForDelivery)
                | (OutForDelivery, Delivered)
                | (Cart | Placed | Confirmed | Preparing, Cancelled)
        )
    }

    /// Delivered or cancelled: nothing more happens to it.
    #[must_use]
    pub const fn is_final(self) -> bool {
        matches!(self, Self::Delivered | Self::Cancelled)
    }
}

/// An illegal order status change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("order cannot go from {from} to {to}")]
pub struct OrderTransitionError {
    /// Status before.
    pub from: OrderStatus,
    /// Requested status.
    pub to: OrderStatus,
}

/// One line of an order, priced when it was added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderItem {
    /// The menu item.
    pub menu_item_id: MenuItemId,
    /// Its name at the time.
    pub name: String,
    /// Its unit price at the time.
    pub unit_price: Money,
    /// How many (at least 1).
    pub quantity: u32,
    /// The variant chosen ("Large"), when the item has variants.
    #[serde(default)]
    pub variant: Option<String>,
}

impl OrderItem {
    /// "2 × Zinger Burger (Large)".
    #[must_use]
    pub fn label(&self) -> String {
        match &self.variant {
            Some(v) => format!("{} × {} ({v})", self.quantity, self.name),
            None => format!("{} × {}", self.quantity, self.name),
        }
    }
}

/// An order, in a store's tenant database.
#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    /// Id.
    pub id: OrderId,
    /// Who ordered.
    pub customer_id: CustomerId,
    /// The conversation it came from.
    pub conversation_id: Option<ConversationId>,
    /// The number it came through.
    pub account_id: Option<AccountId>,
    /// Fulfilment status.
    status: OrderStatus,
    /// Lines.
    pub items: Vec<OrderItem>,
    /// Currency of every line and the total.
    pub currency: Currency,
    /// Delivery address as the customer gave it.
    pub delivery_address: Option<String>,
    /// The location pin the customer shared.
    pub delivery_location: Option<GeoPoint>,
    /// Delivery fee, fixed when the order is placed.
    pub delivery_fee: Money,
    /// Who takes it out.
    pub rider: Option<Rider>,
    /// Another order whose payment proof had the same bytes (a possible reuse).
    pub proof_reuse_of: Option<OrderId>,
    /// Payment.
    pub payment: Payment,
    /// The agent's state for this order ("collecting_items", ...).
    pub conversation_state: ConversationState,
    /// The agent's working memory for this order.
    pub conversation_context: serde_json::Value,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl Order {
    /// A new draft order.
    #[must_use]
    pub fn new(customer_id: CustomerId, currency: Currency, now: DateTime<Utc>) -> Self {
        Self {
            id: OrderId::new(),
            customer_id,
            conversation_id: None,
            account_id: None,
            status: OrderStatus::Cart,
            items: Vec::new(),
            currency,
            delivery_address: None,
            delivery_location: None,
            delivery_fee: Money::zero(currency),
            rider: None,
            proof_reuse_of: None,
            payment: Payment::default(),
            conversation_state: ConversationState::initial(),
            conversation_context: serde_json::Value::Object(serde_json::Map::new()),
            created_at: now,
            updated_at: now,
        }
    }

    /// Rebuilds the status read from storage.
    #[must_use]
    pub fn with_status(mut self, status: OrderStatus) -> Self {
        self.status = status;
        self
    }

    /// Fulfilment status.
    #[must_use]
    pub const fn status(&self) -> OrderStatus {
        self.status
    }

    /// Moves the order on.
    ///
    /// # Errors
    /// When the transition is not allowed.
    pub fn advance(
        &mut self,
        to: OrderStatus,
        now: DateTime<Utc>,
    ) -> Result<(), OrderTransitionError> {
        if !self.status.can_become(to) {
            return Err(OrderTransitionError {
                from: self.status,
                to,
            });
        }
        self.status = to;
        self.updated_at = now;
        Ok(())
    }

    /// Sum of the lines.
    ///
    /// # Errors
    /// On overflow or a line in another currency.
    pub fn subtotal(&self) -> Result<Money, MoneyError> {
        self.items
            .iter()
            .try_fold(Money::zero(self.currency), |acc, item| {
                acc.checked_add(item.unit_price.checked_mul(item.quantity)?)
            })
    }

    /// Lines plus the delivery fee: what the customer pays.
    ///
    /// # Errors
    /// On overflow or an amount in another currency.
    pub fn total(&self) -> Result<Money, MoneyError> {
        self.subtotal()?.checked_add(self.delivery_fee)
    }

    /// A short reference people can read out ("#A1B2C3"): the end of the id, which is random.
    #[must_use]
    pub fn reference(&self) -> String {
        let id = self.id.to_string().replace('-', "");
        let tail = id.get(id.len().saturating_sub(6)..).unwrap_or(&id);
        format!("#{}", tail.to_ascii_uppercase())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order() -> Order {
        Order::new(CustomerId::new(), Currency::PKR, Utc::now())
    }

    #[test]
    fn payment_transitions_follow_the_table() {
        use PaymentStatus::*;
        let allowed = [
            (Unpaid, PendingVerification),
            (Rejected, PendingVerification),
            (PendingVerification, Paid),
            (PendingVerification, Rejected),
            (Unpaid, Paid),
        ];
        for from in PaymentStatus::ALL {
            for to in PaymentStatus::ALL {
                assert_eq!(
                    from.can_become(*to),
                    allowed.contains(&(*from, *to)),
                    "{from} -> {to}"
                );
            }
        }
    }

    #[test]
    fn proof_then_approve_pays_the_order() {
        let mut o = order();
        o.payment
            .submit_proof("proofs/1.jpg".into(), "h1".into())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(o.payment.status(), PaymentStatus::PendingVerification);
        assert_eq!(o.payment.approve(), Ok(()));
        assert_eq!(o.payment.status(), PaymentStatus::Paid);
        assert!(o.payment.approve().is_err(), "paying twice is an error");
        assert!(o.payment.submit_proof("x".into(), "h".into()).is_err());
    }

    #[test]
    fn a_rejected_proof_can_be_replaced() {
        let mut o = order();
        assert!(o.payment.approve().is_err(), "nothing to approve");
        assert!(o.payment.reject("no".into()).is_err(), "nothing to reject");
        o.payment
            .submit_proof("a.jpg".into(), "ha".into())
            .unwrap_or_else(|e| panic!("{e}"));
        o.payment
            .reject("amount does not match".into())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(o.payment.rejection_reason(), Some("amount does not match"));
        o.payment
            .submit_proof("b.jpg".into(), "hb".into())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (
                o.payment.status(),
                o.payment.proof_path(),
                o.payment.rejection_reason()
            ),
            (PaymentStatus::PendingVerification, Some("b.jpg"), None)
        );
    }

    #[test]
    fn cash_is_collected_only_from_unpaid() {
        let mut o = order();
        assert_eq!(o.payment.mark_collected(), Ok(()));
        assert!(o.payment.mark_collected().is_err());
        assert!(o.payment.choose_method(PaymentMethodId::new()).is_err());
    }

    #[test]
    fn restore_rejects_pending_verification_without_proof() {
        assert!(
            Payment::restore(PaymentStatus::PendingVerification, None, None, None, None).is_err()
        );
        assert!(
            Payment::restore(
                PaymentStatus::PendingVerification,
                None,
                Some("p".into()),
                Some("h".into()),
                None
            )
            .is_ok()
        );
    }

    #[test]
    fn order_status_moves_forward_only() {
        let mut o = order();
        let now = Utc::now();
        assert!(o.advance(OrderStatus::Delivered, now).is_err());
        for s in [
            OrderStatus::Placed,
            OrderStatus::Confirmed,
            OrderStatus::Preparing,
            OrderStatus::OutForDelivery,
            OrderStatus::Delivered,
        ] {
            assert_eq!(o.advance(s, now), Ok(()));
        }
        assert!(
            o.advance(OrderStatus::Cancelled, now).is_err(),
            "delivered is final"
        );
    }

    #[test]
    fn total_sums_lines_in_paisa() {
        let mut o = order();
        o.items.push(OrderItem {
            menu_item_id: MenuItemId::new(),
            name: "Zinger".into(),
            unit_price: Money::pkr_paisa(55_000),
            quantity: 2,
            variant: None,
        });
        o.items.push(OrderItem {
            menu_item_id: MenuItemId::new(),
            name: "Fries".into(),
            unit_price: Money::pkr_paisa(25_050),
            quantity: 1,
            variant: Some("Large".into()),
        });
        assert_eq!(o.total().map(|m| m.to_string()), Ok("Rs 1,350.50".into()));
        o.delivery_fee = Money::pkr_paisa(15_000);
        assert_eq!(
            (
                o.subtotal().map(|m| m.minor()),
                o.total().map(|m| m.to_string())
            ),
            (Ok(135_050), Ok("Rs 1,500.50".into()))
        );
        assert_eq!(o.items[1].label(), "1 × Fries (Large)");
        assert_eq!(o.reference().len(), 7);
    }
}
