//! Applying the agent's actions to the customer's order, checking each against the domain.
//! A refused action changes nothing and comes back as an [`ActionRejected`] the agent is told
//! about; accepted ones change a working copy that is saved with the turn.

use chrono::{DateTime, Utc};
use omni_domain::{
    AccountId, ConversationId, Currency, CustomerId, MenuItem, Order, OrderStatus, PaymentMethod,
    PaymentStatus, StoreSettings,
};
use omni_ports::{ActionRejected, AgentAction, RejectReason};

mod checkout;
mod items;

/// Most of one item in a cart.
pub const MAX_QUANTITY: u32 = 99;
/// Longest delivery address kept.
pub const MAX_ADDRESS_CHARS: usize = 500;

/// What an accepted action did that the core reacts to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Nothing beyond the order change.
    Changed,
    /// The order was placed.
    Placed,
    /// The order was cancelled.
    Cancelled,
    /// The customer asked for a person.
    Handover,
}

/// The customer's order while one turn is applied.
#[derive(Debug)]
pub struct Cart<'a> {
    /// The open order as read (its statuses are the compare-and-set guard), `None` if there
    /// was none.
    pub original: Option<Order>,
    /// The working copy.
    pub order: Option<Order>,
    /// The menu.
    pub menu: &'a [MenuItem],
    /// Active payment methods.
    pub methods: &'a [PaymentMethod],
    /// Fee and minimum.
    pub settings: &'a StoreSettings,
    /// Store currency.
    pub currency: Currency,
    /// Who, where, when (for a new cart).
    pub customer: CustomerId,
    /// The conversation.
    pub conversation: ConversationId,
    /// The number.
    pub account: AccountId,
    /// Now.
    pub now: DateTime<Utc>,
}

pub(super) fn reject(
    action: &AgentAction,
    reason: RejectReason,
    message: impl Into<String>,
) -> ActionRejected {
    ActionRejected {
        action: action.clone(),
        reason,
        message: message.into(),
    }
}

/// Finds a menu item by id, else by name without case.
#[must_use]
pub fn find_item<'m>(menu: &'m [MenuItem], key: &str) -> Option<&'m MenuItem> {
    let key = key.trim();
    menu.iter()
        .find(|m| m.id.to_string() == key)
        .or_else(|| menu.iter().find(|m| m.name.eq_ignore_ascii_case(key)))
}

/// Finds an active payment method by id, kind or label without case.
#[must_use]
pub fn find_method<'m>(methods: &'m [PaymentMethod], key: &str) -> Option<&'m PaymentMethod> {
    let key = key.trim();
    methods
        .iter()
        .find(|m| m.id.to_string() == key)
        .or_else(|| {
            methods
                .iter()
                .find(|m| m.kind.as_str().eq_ignore_ascii_case(key))
        })
        .or_else(|| methods.iter().find(|m| m.label.eq_ignore_ascii_case(key)))
}

/// Whether an order waits for a payment screenshot: placed or confirmed, paid by a method that
/// needs proof, and unpaid or rejected.
#[must_use]
pub fn awaits_proof(order: &Order, methods: &[PaymentMethod]) -> bool {
    matches!(order.status(), OrderStatus::Placed | OrderStatus::Confirmed)
        && matches!(
            order.payment.status(),
            PaymentStatus::Unpaid | PaymentStatus::Rejected
        )
        && order
            .payment
            .method_id()
            .and_then(|id| methods.iter().find(|m| m.id == id))
            .is_some_and(|m| m.kind.needs_proof())
}

impl Cart<'_> {
    /// Whether anything changed from what was read.
    #[must_use]
    pub fn changed(&self) -> bool {
        self.order != self.original
    }

    /// The open cart, or an error naming why there is none to change.
    pub(super) fn cart(&mut self, action: &AgentAction) -> Result<&mut Order, ActionRejected> {
        if let Some(o) = &self.order
            && o.status() != OrderStatus::Cart
        {
            return Err(reject(
                action,
                RejectReason::IllegalTransition,
                format!(
                    "Your order {} is already placed, so it can't be changed here.",
                    o.reference()
                ),
            ));
        }
        self.order.as_mut().ok_or_else(|| {
            reject(
                action,
                RejectReason::NoOrder,
                "Your cart is empty. Tell me what you'd like to order.",
            )
        })
    }

    /// The cart to add to: the open cart, or a new one when there is no open order or the open
    /// one is already placed and does not wait for a payment screenshot.
    pub(super) fn cart_for_adding(
        &mut self,
        action: &AgentAction,
    ) -> Result<&mut Order, ActionRejected> {
        let open_new = match &self.order {
            None => true,
            Some(o) if o.status() == OrderStatus::Cart => false,
            Some(o) if awaits_proof(o, self.methods) => {
                return Err(reject(
                    action,
                    RejectReason::IllegalTransition,
                    format!(
                        "Your order {} is waiting for the payment screenshot. Please send it, or reply cancel to cancel that order first.",
                        o.reference()
                    ),
                ));
            }
            Some(_) => true,
        };
        if open_new {
            let mut order = Order::new(self.customer, self.currency, self.now);
            order.conversation_id = Some(self.conversation);
            order.account_id = Some(self.account);
            order.delivery_fee = self.settings.delivery_fee;
            // A new order is an insert, whatever was open before.
            self.original = None;
            self.order = Some(order);
        }
        self.cart(action)
    }

    /// Applies one action ([`items`] for cart lines, [`checkout`] for the rest).
    ///
    /// # Errors
    /// The refusal, with a sentence for the customer; nothing changed.
    pub fn apply(&mut self, action: &AgentAction) -> Result<Effect, ActionRejected> {
        match action {
            AgentAction::AddItem {
                item,
                quantity,
                variant,
            } => self.add_item(action, item, *quantity, variant.as_deref()),
            AgentAction::RemoveItem { item } => self.remove_item(action, item),
            AgentAction::SetQuantity { item, quantity } => {
                self.set_quantity(action, item, *quantity)
            }
            AgentAction::SetAddress { address } => self.set_address(action, address),
            AgentAction::SetLocation { point } => self.set_location(action, point),
            AgentAction::ChoosePayment { method } => self.choose_payment(action, method),
            AgentAction::ConfirmOrder => self.confirm_order(action),
            AgentAction::CancelOrder => self.cancel_order(action),
            AgentAction::Handover { .. } => Ok(Effect::Handover),
        }
    }
}

#[cfg(test)]
mod tests;
