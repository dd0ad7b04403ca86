//! Cart lines: adding an item of the menu (with its variant), removing a line, setting its
//! quantity.

use omni_domain::OrderItem;
use omni_ports::{ActionRejected, AgentAction, RejectReason};

use super::{Cart, Effect, MAX_QUANTITY, find_item, reject};

impl Cart<'_> {
    /// Adds an item of the menu (a variant when it has them) to the cart, or more of a line.
    pub(super) fn add_item(
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
    pub(super) fn remove_item(
        &mut self,
        action: &AgentAction,
        item: &str,
    ) -> Result<Effect, ActionRejected> {
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
    pub(super) fn set_quantity(
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
}
