//! The reply texts and buttons. Every sentence the agent sends is written here, so the
//! wording can be read (and asserted) in one place.

use omni_domain::{MenuItem, Order, OrderStatus, PaymentMethod, PaymentMethodKind, PaymentStatus};
use omni_ports::{AgentReply, Button, ListRow};

use crate::text::truncate;

/// Button ids the agent gives and understands.
pub(crate) mod ids {
    pub const MENU: &str = "menu";
    pub const CART: &str = "cart";
    pub const CHECKOUT: &str = "checkout";
    pub const CONFIRM: &str = "confirm";
    pub const CANCEL: &str = "cancel";
    pub const ITEM: &str = "item:";
    pub const VARIANT: &str = "variant:";
    pub const PAY: &str = "pay:";
}

pub(crate) const IMAGE: &str =
    "Thanks! If this is a payment screenshot, please first confirm your order.";
pub(crate) const OTHER: &str = "Sorry, I can only read text, voice notes, locations and button taps. Type \"menu\" to see what we have.";
pub(crate) const NOT_UNDERSTOOD: &str = "Sorry, I didn't understand that. Type what you'd like to order (for example \"2 zinger burgers\"), or tap View menu.";
pub(crate) const HANDOVER: &str = "A team member will reply to you here shortly.";
pub(crate) const HANDOVER_REASON: &str = "customer asked for a person";
pub(crate) const NO_METHODS_REASON: &str = "no payment method is active";
pub(crate) const NO_METHODS: &str = "Sorry, we can't take payment for online orders right now. A team member will reply to you here shortly.";
pub(crate) const CANCELLED: &str =
    "Your order has been cancelled. Send \"menu\" whenever you'd like to order again.";
pub(crate) const NOTHING_TO_CANCEL: &str = "You don't have an open order to cancel.";
pub(crate) const NO_ORDER: &str = "You don't have an order yet. What would you like to order?";
pub(crate) const EMPTY_CART: &str = "Your cart is empty. What would you like to order?";
pub(crate) const ASK_ADDRESS: &str =
    "Where should we deliver? Please share your location pin, or type your full address.";
pub(crate) const ADDRESS_TOO_SHORT: &str =
    "Please type your full address (house, street and area), or share your location pin.";
pub(crate) const NEW_ORDER: &str = "Sure! What would you like to order?";
pub(crate) const NOT_NOW: &str =
    "Sorry, nothing is available to order right now. Please check again later.";
pub(crate) const NO_PROBLEM: &str =
    "No problem. You can add or remove items, or tap Cancel to cancel the order.";
pub(crate) const WHICH_REMOVE: &str = "Which item should I remove?";
pub(crate) const LOCATION_NO_CART: &str = "Thanks for the location! What would you like to order?";
pub(crate) const THANKS: &str = "You're welcome! Let me know if you need anything else.";
pub(crate) const QUANTITY_RANGE: &str = "You can order 1 to 99 of an item at a time.";

pub(crate) fn button(id: &str, title: &str) -> Button {
    Button {
        id: id.to_owned(),
        title: truncate(title, 20),
    }
}

pub(crate) fn menu_button() -> Button {
    button(ids::MENU, "View menu")
}

pub(crate) fn with_menu_button(text: impl Into<String>) -> AgentReply {
    AgentReply::Buttons {
        text: text.into(),
        buttons: vec![menu_button()],
    }
}

pub(crate) fn cart_buttons(text: String) -> AgentReply {
    AgentReply::Buttons {
        text,
        buttons: vec![button(ids::CHECKOUT, "Checkout"), menu_button()],
    }
}

/// "Assalam o Alaikum, Ali! Welcome to Karachi Grill. What would you like to order today?"
pub(crate) fn welcome(store: &str, customer: Option<&str>) -> AgentReply {
    let name = customer
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| format!(", {n}"))
        .unwrap_or_default();
    AgentReply::Buttons {
        text: format!(
            "Assalam o Alaikum{name}! Welcome to {store}. What would you like to order today?"
        ),
        buttons: vec![menu_button(), button(ids::CART, "My order")],
    }
}

/// "Rs 650", or "Regular Rs 650, Large Rs 850" for an item with variants.
pub(crate) fn price_text(item: &MenuItem) -> String {
    if item.variants.is_empty() {
        return item.price.to_string();
    }
    item.variants
        .iter()
        .map(|v| format!("{} {}", v.name, v.price))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The menu: a list when it fits (ten rows), text grouped by category otherwise.
pub(crate) fn menu(store: &str, menu: &[MenuItem]) -> AgentReply {
    let available: Vec<&MenuItem> = menu.iter().filter(|m| m.available).collect();
    if available.is_empty() {
        return AgentReply::text(NOT_NOW);
    }
    let unavailable: Vec<&str> = menu
        .iter()
        .filter(|m| !m.available)
        .map(|m| m.name.as_str())
        .collect();
    let note = if unavailable.is_empty() {
        String::new()
    } else {
        format!("\n\nNot available right now: {}", unavailable.join(", "))
    };
    if available.len() <= 10 {
        return AgentReply::List {
            text: format!(
                "Here is the {store} menu. Tap an item to add it, or type the item and quantity.{note}"
            ),
            button: "Menu".to_owned(),
            rows: available
                .iter()
                .map(|m| ListRow {
                    id: format!("{}{}", ids::ITEM, m.id),
                    title: truncate(&m.name, 24),
                    description: Some(truncate(&price_text(m), 72)),
                })
                .collect(),
        };
    }
    let mut groups: Vec<(Option<&str>, Vec<&MenuItem>)> = Vec::new();
    for item in &available {
        let category = item.category.as_deref();
        match groups.iter_mut().find(|(c, _)| *c == category) {
            Some((_, list)) => list.push(item),
            None => groups.push((category, vec![item])),
        }
    }
    let any_category = groups.iter().any(|(c, _)| c.is_some());
    let mut text = format!("{store} menu:");
    for (category, items) in &groups {
        text.push('\n');
        if any_category {
            text.push_str(&format!("\n*{}*", category.unwrap_or("More")));
        }
        for item in items {
            text.push_str(&format!("\n{} — {}", item.name, price_text(item)));
        }
    }
    text.push_str(&note);
    text.push_str("\n\nType the item and quantity to order, for example \"2 ");
    text.push_str(&available[0].name);
    text.push_str("\".");
    AgentReply::Text { text }
}

/// Which of several items the customer meant.
pub(crate) fn which_item(words: &str, items: &[&MenuItem]) -> AgentReply {
    let question = format!("Which \"{words}\" would you like?");
    if items.len() <= 3 {
        let lines: Vec<String> = items
            .iter()
            .map(|m| format!("{} — {}", m.name, price_text(m)))
            .collect();
        return AgentReply::Buttons {
            text: format!("{question}\n{}", lines.join("\n")),
            buttons: items
                .iter()
                .map(|m| button(&format!("{}{}", ids::ITEM, m.id), &m.name))
                .collect(),
        };
    }
    AgentReply::List {
        text: question,
        button: "Choose".to_owned(),
        rows: items
            .iter()
            .take(10)
            .map(|m| ListRow {
                id: format!("{}{}", ids::ITEM, m.id),
                title: truncate(&m.name, 24),
                description: Some(truncate(&price_text(m), 72)),
            })
            .collect(),
    }
}

/// Which variant of an item.
pub(crate) fn which_variant(item: &MenuItem) -> AgentReply {
    let question = format!("Which {} would you like?", item.name);
    let id = |name: &str| format!("{}{}:{name}", ids::VARIANT, item.id);
    if item.variants.len() <= 3 {
        let lines: Vec<String> = item
            .variants
            .iter()
            .map(|v| format!("{} — {}", v.name, v.price))
            .collect();
        return AgentReply::Buttons {
            text: format!("{question}\n{}", lines.join("\n")),
            buttons: item
                .variants
                .iter()
                .map(|v| button(&id(&v.name), &v.name))
                .collect(),
        };
    }
    AgentReply::List {
        text: question,
        button: "Choose".to_owned(),
        rows: item
            .variants
            .iter()
            .take(10)
            .map(|v| ListRow {
                id: id(&v.name),
                title: truncate(&v.name, 24),
                description: Some(v.price.to_string()),
            })
            .collect(),
    }
}

/// "Cash on delivery", "Bank transfer", ...
pub(crate) fn kind_text(kind: PaymentMethodKind) -> &'static str {
    match kind {
        PaymentMethodKind::CashOnDelivery => "Cash on delivery",
        PaymentMethodKind::BankTransfer => "Bank transfer",
        PaymentMethodKind::Easypaisa => "Easypaisa",
        PaymentMethodKind::JazzCash => "JazzCash",
    }
}

/// How the customer wants to pay: buttons for up to three methods, a list otherwise.
pub(crate) fn which_payment(prefix: &str, total: &str, methods: &[&PaymentMethod]) -> AgentReply {
    let text = format!("{prefix}How would you like to pay? Your total is {total}.");
    let id = |m: &PaymentMethod| format!("{}{}", ids::PAY, m.id);
    if methods.len() <= 3 {
        return AgentReply::Buttons {
            text,
            buttons: methods.iter().map(|m| button(&id(m), &m.label)).collect(),
        };
    }
    AgentReply::List {
        text,
        button: "Payment options".to_owned(),
        rows: methods
            .iter()
            .take(10)
            .map(|m| ListRow {
                id: id(m),
                title: truncate(&m.label, 24),
                description: Some(kind_text(m.kind).to_owned()),
            })
            .collect(),
    }
}

/// The final check before placing the order.
pub(crate) fn confirm(summary: &str) -> AgentReply {
    AgentReply::Buttons {
        text: format!("Please check your order:\n\n{summary}\n\nTap Confirm order to place it."),
        buttons: vec![
            button(ids::CONFIRM, "Confirm order"),
            button(ids::CANCEL, "Cancel"),
        ],
    }
}

/// "Your order #A1B2C3 is being prepared. Payment: received, thank you."
pub(crate) fn status(order: &Order, methods: &[PaymentMethod]) -> String {
    let what = match order.status() {
        OrderStatus::Cart => "is not placed yet",
        OrderStatus::Placed => "has been placed and is waiting for the restaurant to confirm it",
        OrderStatus::Confirmed => "has been confirmed by the restaurant",
        OrderStatus::Preparing => "is being prepared",
        OrderStatus::OutForDelivery => "is out for delivery",
        OrderStatus::Delivered => "has been delivered",
        OrderStatus::Cancelled => "has been cancelled",
    };
    let kind = order
        .payment
        .method_id()
        .and_then(|id| methods.iter().find(|m| m.id == id))
        .map(|m| m.kind);
    let payment = match order.payment.status() {
        PaymentStatus::Unpaid => match kind {
            Some(PaymentMethodKind::CashOnDelivery) => "cash on delivery.".to_owned(),
            Some(_) => {
                "not received yet. Please send the payment screenshot here after paying.".to_owned()
            }
            None => "not received yet.".to_owned(),
        },
        PaymentStatus::PendingVerification => "we are checking your screenshot.".to_owned(),
        PaymentStatus::Paid => "received, thank you.".to_owned(),
        PaymentStatus::Rejected => match order.payment.rejection_reason() {
            Some(r) => format!("your screenshot was not accepted ({r}). Please send a new one."),
            None => "your screenshot was not accepted. Please send a new one.".to_owned(),
        },
    };
    format!(
        "Your order {} {what}. Payment: {payment}",
        order.reference()
    )
}

/// A placed order blocks a new item request until the customer asks for a new order.
pub(crate) fn in_progress(order: &Order, methods: &[PaymentMethod]) -> String {
    format!(
        "{}\nTo order something else, reply \"new order\".",
        status(order, methods)
    )
}

/// A placed order cannot be edited by the agent.
pub(crate) fn cannot_change(order: &Order) -> String {
    format!(
        "Your order {} is already placed, so it can't be changed here. Reply \"human\" to talk to our team.",
        order.reference()
    )
}

/// A placed order past the kitchen cannot be cancelled.
pub(crate) fn cannot_cancel(order: &Order) -> String {
    format!(
        "Sorry, your order {} can't be cancelled now. Reply \"human\" to talk to our team.",
        order.reference()
    )
}
