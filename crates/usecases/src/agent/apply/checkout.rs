//! From cart to order: the delivery address or pin, the payment method, placing the order
//! (its checks) and cancelling it.

use omni_domain::{GeoPoint, OrderStatus, PaymentStatus};
use omni_ports::{ActionRejected, AgentAction, RejectReason};

use super::{Cart, Effect, MAX_ADDRESS_CHARS, find_method, reject};

impl Cart<'_> {
    /// Sets the typed delivery address.
    pub(super) fn set_address(
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
    pub(super) fn set_location(
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
    pub(super) fn choose_payment(
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
    pub(super) fn confirm_order(&mut self, action: &AgentAction) -> Result<Effect, ActionRejected> {
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
    pub(super) fn cancel_order(&mut self, action: &AgentAction) -> Result<Effect, ActionRejected> {
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
