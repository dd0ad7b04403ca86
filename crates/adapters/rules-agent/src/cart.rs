//! The projected cart: the customer's open cart with this turn's actions applied, computed the
//! way the core applies them, so every total the agent quotes is the one the core will save. Also
//! the order summary text, shared with the core through [`order_summary`].

use omni_domain::{
    Currency, GeoPoint, MenuItem, Money, Order, OrderItem, OrderStatus, PaymentMethod,
    PaymentMethodId,
};
use omni_ports::AgentAction;

/// A cart as the agent expects it after its actions.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Cart {
    pub items: Vec<OrderItem>,
    pub currency: Currency,
    pub address: Option<String>,
    pub location: Option<GeoPoint>,
    pub method: Option<PaymentMethodId>,
}

impl Cart {
    /// The open cart of `order`, or an empty one when the order is not a cart (none, or placed:
    /// an `AddItem` then opens a new cart).
    pub fn of(order: Option<&Order>, currency: Currency) -> Self {
        match order.filter(|o| o.status() == OrderStatus::Cart) {
            Some(o) => Self {
                items: o.items.clone(),
                currency: o.currency,
                address: o.delivery_address.clone(),
                location: o.delivery_location.clone(),
                method: o.payment.method_id(),
            },
            None => Self {
                items: Vec::new(),
                currency,
                address: None,
                location: None,
                method: None,
            },
        }
    }

    /// Applies one action as the core would when it accepts it: an added item joins the line
    /// of the same item and variant, a quantity change touches the item's first line (0 removes
    /// it). Actions the agent cannot price (unknown ids) change nothing.
    pub fn apply(&mut self, action: &AgentAction, menu: &[MenuItem]) {
        match action {
            AgentAction::AddItem {
                item,
                quantity,
                variant,
            } => {
                let Some(menu_item) = find_item(menu, item) else {
                    return;
                };
                if let Some(line) = self
                    .items
                    .iter_mut()
                    .find(|l| l.menu_item_id == menu_item.id && l.variant == *variant)
                {
                    line.quantity = line.quantity.saturating_add(*quantity);
                    return;
                }
                let unit_price = variant
                    .as_ref()
                    .and_then(|v| menu_item.variants.iter().find(|mv| mv.name == *v))
                    .map_or(menu_item.price, |mv| mv.price);
                self.items.push(OrderItem {
                    menu_item_id: menu_item.id,
                    name: menu_item.name.clone(),
                    unit_price,
                    quantity: *quantity,
                    variant: variant.clone(),
                });
            }
            AgentAction::RemoveItem { item } => {
                if let Some(menu_item) = find_item(menu, item) {
                    self.items.retain(|l| l.menu_item_id != menu_item.id);
                }
            }
            AgentAction::SetQuantity { item, quantity } => {
                let Some(menu_item) = find_item(menu, item) else {
                    return;
                };
                if *quantity == 0 {
                    self.items.retain(|l| l.menu_item_id != menu_item.id);
                } else if let Some(line) = self
                    .items
                    .iter_mut()
                    .find(|l| l.menu_item_id == menu_item.id)
                {
                    line.quantity = *quantity;
                }
            }
            AgentAction::SetAddress { address } => self.address = Some(address.clone()),
            AgentAction::SetLocation { point } => self.location = Some(point.clone()),
            AgentAction::ChoosePayment { method } => {
                self.method = PaymentMethodId::parse(method).ok();
            }
            AgentAction::ConfirmOrder | AgentAction::CancelOrder | AgentAction::Handover { .. } => {
            }
        }
    }

    /// Sum of the lines.
    pub fn subtotal(&self) -> Option<Money> {
        subtotal(&self.items, self.currency)
    }

    /// Whether an address or a pin was given.
    pub fn has_address(&self) -> bool {
        self.address.is_some() || self.location.is_some()
    }

    /// The quantity of an item over its lines.
    pub fn quantity_of(&self, item: &MenuItem) -> u32 {
        self.items
            .iter()
            .filter(|l| l.menu_item_id == item.id)
            .map(|l| l.quantity)
            .sum()
    }

    /// "Your cart:" then the lines and the subtotal.
    pub fn text(&self) -> String {
        let mut out = String::from("Your cart:\n");
        for line in &self.items {
            out.push_str(&line_text(line));
            out.push('\n');
        }
        out.push_str(&format!("Subtotal: {}", money_or_dash(self.subtotal())));
        out
    }

    /// The full summary with a delivery fee (see [`order_summary`]).
    pub fn summary(&self, fee: Money, methods: &[PaymentMethod]) -> String {
        summary_text(&SummaryParts {
            items: &self.items,
            currency: self.currency,
            fee,
            address: self.address.as_deref(),
            location: self.location.as_ref(),
            method: self.method,
            methods,
        })
    }
}

/// Finds a menu item by the id text the agent used in an action.
pub(crate) fn find_item<'m>(menu: &'m [MenuItem], id: &str) -> Option<&'m MenuItem> {
    menu.iter().find(|m| m.id.to_string() == id)
}

fn subtotal(items: &[OrderItem], currency: Currency) -> Option<Money> {
    items.iter().try_fold(Money::zero(currency), |acc, l| {
        acc.checked_add(l.unit_price.checked_mul(l.quantity).ok()?)
            .ok()
    })
}

fn money_or_dash(m: Option<Money>) -> String {
    m.map_or_else(|| "-".to_owned(), |m| m.to_string())
}

/// "2 × Zinger Burger (Large) — Rs 1,300".
pub(crate) fn line_text(line: &OrderItem) -> String {
    let total = line.unit_price.checked_mul(line.quantity).ok();
    format!("{} — {}", line.label(), money_or_dash(total))
}

struct SummaryParts<'a> {
    items: &'a [OrderItem],
    currency: Currency,
    fee: Money,
    address: Option<&'a str>,
    location: Option<&'a GeoPoint>,
    method: Option<PaymentMethodId>,
    methods: &'a [PaymentMethod],
}

fn summary_text(p: &SummaryParts<'_>) -> String {
    let mut out = String::new();
    for line in p.items {
        out.push_str(&line_text(line));
        out.push('\n');
    }
    let sub = subtotal(p.items, p.currency);
    let total = sub.and_then(|s| s.checked_add(p.fee).ok());
    let fee = if p.fee.minor() == 0 {
        "free".to_owned()
    } else {
        p.fee.to_string()
    };
    out.push_str(&format!(
        "Subtotal: {}\nDelivery: {fee}\nTotal: {}\n",
        money_or_dash(sub),
        money_or_dash(total)
    ));
    if let Some(a) = p.address {
        out.push_str(&format!("Address: {a}\n"));
    }
    if let Some(pin) = p.location {
        out.push_str(&format!("Location: {}\n", pin.maps_url()));
    }
    if p.address.is_none() && p.location.is_none() {
        out.push_str("Address: not given yet\n");
    }
    let method = p
        .method
        .and_then(|id| p.methods.iter().find(|m| m.id == id))
        .map_or("not chosen yet", |m| m.label.as_str());
    out.push_str(&format!("Payment: {method}"));
    out
}

/// The order summary the customer sees, one fact per line, with no trailing newline:
///
/// ```text
/// 2 × Zinger Burger — Rs 1,300
/// 1 × Fries (Large) — Rs 300
/// Subtotal: Rs 1,600
/// Delivery: Rs 150
/// Total: Rs 1,750
/// Address: House 12, Street 5, DHA Phase 6
/// Location: https://maps.google.com/?q=24.860700,67.001100
/// Payment: Cash on delivery
/// ```
///
/// - One line per order line: [`OrderItem::label`], " — ", the line total (unit price ×
///   quantity).
/// - `Delivery:` is the order's `delivery_fee`, or `free` when it is zero.
/// - `Address:` appears when the order has a typed address, `Location:` (a Google Maps link)
///   when it has a pin; when it has neither, a single `Address: not given yet` line.
/// - `Payment:` is the label of the chosen method, looked up in `methods` by id, or
///   `not chosen yet`.
/// - Amounts use [`Money`]'s display ("Rs 1,250"); an amount that overflows shows as "-".
///
/// It does not name the order: prefix [`Order::reference`] yourself when you need it.
#[must_use]
pub fn order_summary(order: &Order, methods: &[PaymentMethod]) -> String {
    summary_text(&SummaryParts {
        items: &order.items,
        currency: order.currency,
        fee: order.delivery_fee,
        address: order.delivery_address.as_deref(),
        location: order.delivery_location.as_ref(),
        method: order.payment.method_id(),
        methods,
    })
}
