//! What the core itself says to customers and riders: order summaries, payment instructions,
//! proof receipts and order updates. Plain English, money as "Rs 1,250", deterministic so
//! tests can assert the exact words.

use omni_domain::{Money, Order, OrderStatus, PaymentMethod, PaymentMethodKind, Rider};

/// The lines, subtotal, delivery fee, total, where it goes and how it is paid.
///
/// ```text
/// Order #A1B2C3
/// 2 × Zinger Burger — Rs 1,300
/// Subtotal: Rs 1,300
/// Delivery: Rs 150
/// Total: Rs 1,450
/// Deliver to: House 12, Street 4, DHA Phase 5
/// Payment: JazzCash
/// ```
#[must_use]
pub fn order_summary(order: &Order, method: Option<&PaymentMethod>) -> String {
    let mut out = format!("Order {}", order.reference());
    for item in &order.items {
        let line = item
            .unit_price
            .checked_mul(item.quantity)
            .map_or_else(|_| "?".to_owned(), |m| m.to_string());
        out.push_str(&format!("\n{} — {line}", item.label()));
    }
    let money = |m: Result<Money, _>| m.map_or_else(|_| "?".to_owned(), |m: Money| m.to_string());
    out.push_str(&format!("\nSubtotal: {}", money(order.subtotal())));
    if order.delivery_fee.minor() > 0 {
        out.push_str(&format!("\nDelivery: {}", order.delivery_fee));
    }
    out.push_str(&format!("\nTotal: {}", money(order.total())));
    if let Some(to) = delivery_place(order) {
        out.push_str(&format!("\nDeliver to: {to}"));
    }
    if let Some(method) = method {
        out.push_str(&format!("\nPayment: {}", method.label));
    }
    out
}

/// Where an order goes, in words: the address, else the pin's address or name, else the pin.
#[must_use]
pub fn delivery_place(order: &Order) -> Option<String> {
    if let Some(address) = &order.delivery_address {
        return Some(address.clone());
    }
    order.delivery_location.as_ref().map(|pin| {
        pin.address
            .clone()
            .or_else(|| pin.name.clone())
            .unwrap_or_else(|| "your shared location".to_owned())
    })
}

/// Sent after the customer placed an order: the summary, then what to do about payment.
#[must_use]
pub fn order_placed(order: &Order, method: Option<&PaymentMethod>) -> Vec<String> {
    let total = order
        .total()
        .map_or_else(|_| "?".to_owned(), |m| m.to_string());
    let mut out = vec![format!(
        "Thank you! Your order is placed.\n\n{}",
        order_summary(order, method)
    )];
    match method {
        Some(m) if m.kind.needs_proof() => out.push(payment_instructions(m, &total)),
        _ => out.push(format!(
            "Please keep {total} ready in cash for the rider. We will let you know when your order is confirmed."
        )),
    }
    out
}

/// How to pay by transfer, and the exact amount.
#[must_use]
pub fn payment_instructions(method: &PaymentMethod, total: &str) -> String {
    let how = match method.kind {
        PaymentMethodKind::BankTransfer => "bank transfer",
        PaymentMethodKind::JazzCash => "JazzCash",
        PaymentMethodKind::Easypaisa => "Easypaisa",
        PaymentMethodKind::CashOnDelivery => "cash",
    };
    let mut out = format!(
        "Please pay exactly {total} by {how} to:\n{}\n{}",
        method.label, method.details
    );
    if let Some(instructions) = &method.instructions {
        out.push_str(&format!("\n{instructions}"));
    }
    out.push_str("\n\nThen send the payment screenshot here.");
    out
}

/// The proof arrived and waits for the owner.
#[must_use]
pub fn proof_received(order: &Order) -> String {
    format!(
        "Thank you! We received your payment screenshot for order {}. We are checking it and will confirm shortly.",
        order.reference()
    )
}

/// The proof could not be read (too large, corrupt, not an image).
#[must_use]
pub fn proof_unreadable() -> String {
    "Sorry, we could not open that file. Please send the payment screenshot again as a photo."
        .to_owned()
}

/// The owner approved the payment.
#[must_use]
pub fn payment_approved(order: &Order) -> String {
    let total = order
        .total()
        .map_or_else(|_| "?".to_owned(), |m| m.to_string());
    format!(
        "Payment of {total} received for order {}. Your order is confirmed and will be prepared now.",
        order.reference()
    )
}

/// The owner rejected the payment.
#[must_use]
pub fn payment_rejected(order: &Order, reason: &str) -> String {
    format!(
        "We could not verify your payment for order {}: {reason}\nPlease send a new payment screenshot here.",
        order.reference()
    )
}

/// The order moved on.
#[must_use]
pub fn status_update(order: &Order) -> String {
    let r = order.reference();
    match order.status() {
        OrderStatus::Cart | OrderStatus::Placed => format!("Your order {r} is placed."),
        OrderStatus::Confirmed => format!("Your order {r} is confirmed."),
        OrderStatus::Preparing => format!("Your order {r} is being prepared."),
        OrderStatus::OutForDelivery => format!("Your order {r} is on its way!"),
        OrderStatus::Delivered => format!("Your order {r} was delivered. Enjoy your meal!"),
        OrderStatus::Cancelled => format!("Your order {r} was cancelled."),
    }
}

/// The customer hears who brings the order.
#[must_use]
pub fn rider_for_customer(order: &Order, rider: &Rider) -> String {
    format!(
        "{} will deliver your order {}. You can reach them on {}.",
        rider.name,
        order.reference(),
        rider.phone.as_str()
    )
}

/// The rider gets the order (free-form, inside the rider's 24-hour window).
#[must_use]
pub fn order_for_rider(order: &Order, customer: &str) -> String {
    let mut out = format!(
        "New delivery: {}\nCustomer: {customer}\n{}",
        order.reference(),
        order_summary(order, None)
    );
    if let Some(pin) = &order.delivery_location {
        out.push_str(&format!("\nLocation: {}", pin.maps_url()));
    }
    out
}

/// A voice note arrived and no speech service is configured.
#[must_use]
pub fn voice_not_supported() -> String {
    "Sorry, we can't listen to voice notes here yet. Please type your message.".to_owned()
}

/// A voice note could not be transcribed just now.
#[must_use]
pub fn voice_failed() -> String {
    "Sorry, we couldn't hear that voice note clearly. Could you type it or send it again?"
        .to_owned()
}

/// The agent handed the conversation to a person.
#[must_use]
pub fn handover() -> String {
    "A team member will reply to you here shortly.".to_owned()
}

/// The customer cancelled.
#[must_use]
pub fn cancelled(order: &Order) -> String {
    format!("Your order {} is cancelled.", order.reference())
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use omni_domain::{
        Currency, CustomerId, GeoPoint, MenuItemId, OrderItem, PaymentMethodId, PhoneNumber,
    };

    use super::*;

    fn order() -> Order {
        let mut o = Order::new(CustomerId::new(), Currency::PKR, Utc::now());
        o.items.push(OrderItem {
            menu_item_id: MenuItemId::new(),
            name: "Zinger Burger".into(),
            unit_price: Money::pkr_paisa(65_000),
            quantity: 2,
            variant: None,
        });
        o.delivery_fee = Money::pkr_paisa(15_000);
        o
    }

    fn jazzcash() -> PaymentMethod {
        PaymentMethod {
            id: PaymentMethodId::new(),
            kind: PaymentMethodKind::JazzCash,
            label: "JazzCash — Ali Raza".into(),
            details: "0300 1234567".into(),
            instructions: Some("Use your order number as the reference.".into()),
            active: true,
            created_at: Utc::now(),
        }
    }

    #[test]
    fn the_summary_shows_lines_fee_total_place_and_method() {
        let mut o = order();
        o.delivery_location = GeoPoint::new(24.86, 67.0, None, Some("Clifton Block 5".into())).ok();
        let m = jazzcash();
        let r = o.reference();
        assert_eq!(
            order_summary(&o, Some(&m)),
            format!(
                "Order {r}\n2 × Zinger Burger — Rs 1,300\nSubtotal: Rs 1,300\nDelivery: Rs 150\nTotal: Rs 1,450\nDeliver to: Clifton Block 5\nPayment: JazzCash — Ali Raza"
            )
        );
    }

    #[test]
    fn a_transfer_gets_instructions_with_the_exact_amount_and_cash_does_not() {
        let o = order();
        let placed = order_placed(&o, Some(&jazzcash()));
        assert_eq!(placed.len(), 2);
        assert_eq!(
            placed[1],
            "Please pay exactly Rs 1,450 by JazzCash to:\nJazzCash — Ali Raza\n0300 1234567\nUse your order number as the reference.\n\nThen send the payment screenshot here."
        );
        let cash = order_placed(&o, None);
        assert!(
            cash[1].starts_with("Please keep Rs 1,450 ready in cash"),
            "{}",
            cash[1]
        );
    }

    #[test]
    fn the_rider_message_carries_the_pin() {
        let mut o = order();
        o.delivery_location = GeoPoint::new(24.8607, 67.0011, None, None).ok();
        let text = order_for_rider(&o, "Sara +923001234567");
        assert!(
            text.contains("https://maps.google.com/?q=24.860700,67.001100"),
            "{text}"
        );
        let rider = Rider {
            name: "Imran".into(),
            phone: PhoneNumber::parse("+923211234567").unwrap_or_else(|e| panic!("{e}")),
        };
        assert!(rider_for_customer(&o, &rider).contains("Imran will deliver"));
    }
}
