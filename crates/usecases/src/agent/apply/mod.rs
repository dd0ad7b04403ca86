//! Applying the agent's actions to the customer's order, checking each against the domain.
//! A refused action changes nothing and comes back as an [`ActionRejected`] the agent is told
//! about; accepted ones change a working copy that is saved with the turn.

use chrono::{DateTime, Utc};
use omni_domain::{
    AccountId, ConversationId, Currency, CustomerId, GeoPoint, MenuItem, Order, OrderItem,
    OrderStatus, PaymentMethod, PaymentStatus, StoreSettings,
};
use omni_ports::{ActionRejected, AgentAction, RejectReason};

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

fn reject(
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
    fn cart(&mut self, action: &AgentAction) -> Result<&mut Order, ActionRejected> {
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
    fn cart_for_adding(&mut self, action: &AgentAction) -> Result<&mut Order, ActionRejected> {
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

    /// Applies one action.
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

    /// Adds an item of the menu (a variant when it has them) to the cart, or more of a line.
    fn add_item(
        &mut self,
        action: &AgentAction,
        item: &str,
        quantity: u32,
        variant: Option<&str>,
    ) -> Result<Effect, ActionRejected> {
        let now = self.now;
        let menu = self.menu;
        let Some(found) = find_item(menu, item) else {
            return Err(reject(
                action,
                RejectReason::UnknownItem,
                format!("Sorry, we don't have \"{item}\" on our menu."),
            ));
        };
        if !found.available {
            return Err(reject(
                action,
                RejectReason::Unavailable,
                format!("Sorry, {} is not available right now.", found.name),
            ));
        }
        if !(1..=MAX_QUANTITY).contains(&quantity) {
            return Err(reject(
                action,
                RejectReason::InvalidQuantity,
                format!("Please choose between 1 and {MAX_QUANTITY}."),
            ));
        }
        let (variant, price) = if found.variants.is_empty() {
            (None, found.price)
        } else {
            let names: Vec<&str> = found.variants.iter().map(|v| v.name.as_str()).collect();
            match variant.and_then(|v| {
                found
                    .variants
                    .iter()
                    .find(|x| x.name.eq_ignore_ascii_case(v.trim()))
            }) {
                Some(v) => (Some(v.name.clone()), v.price),
                None => {
                    return Err(reject(
                        action,
                        RejectReason::UnknownVariant,
                        format!(
                            "{} comes in {}. Which one would you like?",
                            found.name,
                            names.join(", ")
                        ),
                    ));
                }
            }
        };
        let cart = self.cart_for_adding(action)?;
        if let Some(line) = cart
            .items
            .iter_mut()
            .find(|l| l.menu_item_id == found.id && l.variant == variant)
        {
            let total = line.quantity.saturating_add(quantity);
            if total > MAX_QUANTITY {
                return Err(reject(
                    action,
                    RejectReason::InvalidQuantity,
                    format!("Please choose between 1 and {MAX_QUANTITY}."),
                ));
            }
            line.quantity = total;
        } else {
            cart.items.push(OrderItem {
                menu_item_id: found.id,
                name: found.name.clone(),
                unit_price: price,
                quantity,
                variant,
            });
        }
        cart.updated_at = now;
        Ok(Effect::Changed)
    }

    /// Removes a line from the cart.
    fn remove_item(&mut self, action: &AgentAction, item: &str) -> Result<Effect, ActionRejected> {
        let now = self.now;
        let id = find_item(self.menu, item).map(|m| m.id);
        let cart = self.cart(action)?;
        let before = cart.items.len();
        cart.items
            .retain(|l| Some(l.menu_item_id) != id && !l.name.eq_ignore_ascii_case(item.trim()));
        if cart.items.len() == before {
            return Err(reject(
                action,
                RejectReason::NotInCart,
                format!("\"{item}\" is not in your cart."),
            ));
        }
        cart.updated_at = now;
        Ok(Effect::Changed)
    }

    /// Sets a line's quantity (0 removes it).
    fn set_quantity(
        &mut self,
        action: &AgentAction,
        item: &str,
        quantity: u32,
    ) -> Result<Effect, ActionRejected> {
        let now = self.now;
        if quantity > MAX_QUANTITY {
            return Err(reject(
                action,
                RejectReason::InvalidQuantity,
                format!("Please choose between 1 and {MAX_QUANTITY}."),
            ));
        }
        let id = find_item(self.menu, item).map(|m| m.id);
        let cart = self.cart(action)?;
        let Some(pos) = cart
            .items
            .iter()
            .position(|l| Some(l.menu_item_id) == id || l.name.eq_ignore_ascii_case(item.trim()))
        else {
            return Err(reject(
                action,
                RejectReason::NotInCart,
                format!("\"{item}\" is not in your cart."),
            ));
        };
        if quantity == 0 {
            cart.items.remove(pos);
        } else if let Some(line) = cart.items.get_mut(pos) {
            line.quantity = quantity;
        }
        cart.updated_at = now;
        Ok(Effect::Changed)
    }

    /// Sets the typed delivery address.
    fn set_address(
        &mut self,
        action: &AgentAction,
        address: &str,
    ) -> Result<Effect, ActionRejected> {
        let now = self.now;
        let address = address.trim();
        if address.is_empty() || address.chars().count() > MAX_ADDRESS_CHARS {
            return Err(reject(
                action,
                RejectReason::InvalidValue,
                "Please send your full delivery address.",
            ));
        }
        let cart = self.cart(action)?;
        cart.delivery_address = Some(address.to_owned());
        cart.updated_at = now;
        Ok(Effect::Changed)
    }

    /// Sets the delivery pin.
    fn set_location(
        &mut self,
        action: &AgentAction,
        point: &GeoPoint,
    ) -> Result<Effect, ActionRejected> {
        let now = self.now;
        let Ok(point) = GeoPoint::new(
            point.latitude,
            point.longitude,
            point.name.clone(),
            point.address.clone(),
        ) else {
            return Err(reject(
                action,
                RejectReason::InvalidValue,
                "That location could not be read. Please share it again.",
            ));
        };
        let cart = self.cart(action)?;
        cart.delivery_location = Some(point);
        cart.updated_at = now;
        Ok(Effect::Changed)
    }

    /// Chooses a payment method for the cart or a placed order.
    fn choose_payment(
        &mut self,
        action: &AgentAction,
        method: &str,
    ) -> Result<Effect, ActionRejected> {
        let now = self.now;
        let Some(found) = find_method(self.methods, method) else {
            let offered: Vec<&str> = self.methods.iter().map(|m| m.label.as_str()).collect();
            return Err(reject(
                action,
                RejectReason::UnknownPaymentMethod,
                format!("We accept: {}.", offered.join(", ")),
            ));
        };
        let id = found.id;
        let order = match &mut self.order {
            Some(o) if matches!(o.status(), OrderStatus::Cart | OrderStatus::Placed) => o,
            _ => {
                return Err(reject(
                    action,
                    RejectReason::NoOrder,
                    "There is no order to pay for yet.",
                ));
            }
        };
        order.payment.choose_method(id).map_err(|_| {
            reject(
                action,
                RejectReason::IllegalTransition,
                "This order's payment is already being checked.",
            )
        })?;
        order.updated_at = now;
        Ok(Effect::Changed)
    }

    /// Places the cart: items, the minimum, an address and a payment method (the only one, when there is one).
    fn confirm_order(&mut self, action: &AgentAction) -> Result<Effect, ActionRejected> {
        let now = self.now;
        let settings = self.settings;
        let methods = self.methods;
        let cart = self.cart(action)?;
        if cart.items.is_empty() {
            return Err(reject(
                action,
                RejectReason::EmptyCart,
                "Your cart is empty. Tell me what you'd like to order.",
            ));
        }
        let subtotal = cart.subtotal().map_err(|_| {
            reject(
                action,
                RejectReason::InvalidValue,
                "That order is too large.",
            )
        })?;
        if subtotal.minor() < settings.min_order.minor() {
            return Err(reject(
                action,
                RejectReason::BelowMinimum,
                format!(
                    "Our minimum order is {} (your cart is {}).",
                    settings.min_order, subtotal
                ),
            ));
        }
        if cart.delivery_address.is_none() && cart.delivery_location.is_none() {
            return Err(reject(
                action,
                RejectReason::MissingAddress,
                "Please share your location pin or type your delivery address.",
            ));
        }
        if cart.payment.method_id().is_none() {
            match methods {
                [] => {}
                [only] => {
                    let _ = cart.payment.choose_method(only.id);
                }
                _ => {
                    return Err(reject(
                        action,
                        RejectReason::MissingPayment,
                        "How would you like to pay?",
                    ));
                }
            }
        }
        cart.delivery_fee = settings.delivery_fee;
        cart.advance(OrderStatus::Placed, now).map_err(|_| {
            reject(
                action,
                RejectReason::IllegalTransition,
                "This order can't be placed.",
            )
        })?;
        Ok(Effect::Placed)
    }

    /// Cancels the open order, unless it is paid or too far along.
    fn cancel_order(&mut self, action: &AgentAction) -> Result<Effect, ActionRejected> {
        let now = self.now;
        let Some(order) = &mut self.order else {
            return Err(reject(
                action,
                RejectReason::NoOrder,
                "There is no order to cancel.",
            ));
        };
        if order.payment.status() == PaymentStatus::Paid
            || !order.status().can_become(OrderStatus::Cancelled)
        {
            return Err(reject(
                action,
                RejectReason::IllegalTransition,
                format!(
                    "Order {} can't be cancelled here any more. A team member will help you.",
                    order.reference()
                ),
            ));
        }
        order.advance(OrderStatus::Cancelled, now).map_err(|_| {
            reject(
                action,
                RejectReason::IllegalTransition,
                "This order can't be cancelled.",
            )
        })?;
        Ok(Effect::Cancelled)
    }
}

#[cfg(test)]
mod tests;
