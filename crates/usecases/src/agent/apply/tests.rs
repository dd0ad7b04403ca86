//! The cart rules against a small menu: items, variants, quantities, confirming and
//! cancelling.

use omni_domain::{GeoPoint, MenuItemId, MenuVariant, Money, PaymentMethodId, PaymentMethodKind};

use super::*;

fn item(name: &str, paisa: i64, available: bool) -> MenuItem {
    MenuItem {
        id: MenuItemId::new(),
        name: name.into(),
        description: None,
        category: Some("Burgers".into()),
        price: Money::pkr_paisa(paisa),
        variants: Vec::new(),
        available,
        created_at: Utc::now(),
    }
}

fn method(kind: PaymentMethodKind, label: &str) -> PaymentMethod {
    PaymentMethod {
        id: PaymentMethodId::new(),
        kind,
        label: label.into(),
        details: "0300 1234567".into(),
        instructions: None,
        active: true,
        created_at: Utc::now(),
    }
}

fn cart<'a>(
    menu: &'a [MenuItem],
    methods: &'a [PaymentMethod],
    settings: &'a StoreSettings,
) -> Cart<'a> {
    Cart {
        original: None,
        order: None,
        menu,
        methods,
        settings,
        currency: Currency::PKR,
        customer: CustomerId::new(),
        conversation: ConversationId::new(),
        account: AccountId::new(),
        now: Utc::now(),
    }
}

fn add(item: &str, quantity: u32) -> AgentAction {
    AgentAction::AddItem {
        item: item.into(),
        quantity,
        variant: None,
    }
}

#[test]
fn items_are_checked_against_the_menu() {
    let mut pizza = item("Pizza", 120_000, true);
    pizza.variants = vec![
        MenuVariant {
            name: "Small".into(),
            price: Money::pkr_paisa(90_000),
        },
        MenuVariant {
            name: "Large".into(),
            price: Money::pkr_paisa(150_000),
        },
    ];
    let menu = vec![
        item("Zinger Burger", 65_000, true),
        item("Fries", 25_000, false),
        pizza,
    ];
    let settings = StoreSettings::defaults(Currency::PKR);
    let mut c = cart(&menu, &[], &settings);
    let reason = |r: Result<Effect, ActionRejected>| r.err().map(|e| e.reason);
    assert_eq!(
        reason(c.apply(&add("Nihari", 1))),
        Some(RejectReason::UnknownItem)
    );
    assert_eq!(
        reason(c.apply(&add("fries", 1))),
        Some(RejectReason::Unavailable)
    );
    assert_eq!(
        reason(c.apply(&add("zinger burger", 0))),
        Some(RejectReason::InvalidQuantity)
    );
    assert_eq!(
        reason(c.apply(&add("Pizza", 1))),
        Some(RejectReason::UnknownVariant)
    );
    assert!(c.order.is_none(), "refusals open no cart");
    assert_eq!(c.apply(&add("zinger burger", 2)), Ok(Effect::Changed));
    assert_eq!(
        c.apply(&add(&menu[0].id.to_string(), 1)),
        Ok(Effect::Changed)
    );
    assert_eq!(
        c.apply(&AgentAction::AddItem {
            item: "pizza".into(),
            quantity: 1,
            variant: Some("large".into())
        }),
        Ok(Effect::Changed)
    );
    let order = c.order.clone().unwrap_or_else(|| panic!("a cart"));
    assert_eq!(order.items.len(), 2);
    assert_eq!(order.items[0].quantity, 3);
    assert_eq!(order.items[1].variant.as_deref(), Some("Large"));
    assert_eq!(
        order.subtotal().map(|m| m.minor()),
        Ok(3 * 65_000 + 150_000)
    );
    assert_eq!(
        reason(c.apply(&AgentAction::RemoveItem {
            item: "Fries".into()
        })),
        Some(RejectReason::NotInCart)
    );
    assert_eq!(
        c.apply(&AgentAction::SetQuantity {
            item: "Zinger Burger".into(),
            quantity: 0
        }),
        Ok(Effect::Changed)
    );
    assert_eq!(c.order.as_ref().map(|o| o.items.len()), Some(1));
}

#[test]
fn confirming_needs_items_minimum_address_and_payment() {
    let menu = vec![item("Zinger Burger", 65_000, true)];
    let methods = vec![
        method(PaymentMethodKind::CashOnDelivery, "Cash on delivery"),
        method(PaymentMethodKind::JazzCash, "JazzCash"),
    ];
    let mut settings = StoreSettings::defaults(Currency::PKR);
    settings.min_order = Money::pkr_paisa(100_000);
    settings.delivery_fee = Money::pkr_paisa(15_000);
    let mut c = cart(&menu, &methods, &settings);
    let reason = |r: Result<Effect, ActionRejected>| r.err().map(|e| e.reason);
    assert_eq!(
        reason(c.apply(&AgentAction::ConfirmOrder)),
        Some(RejectReason::NoOrder)
    );
    assert_eq!(c.apply(&add("Zinger Burger", 1)), Ok(Effect::Changed));
    let below = c.apply(&AgentAction::ConfirmOrder).err();
    assert_eq!(
        below.map(|e| (e.reason, e.message)),
        Some((
            RejectReason::BelowMinimum,
            "Our minimum order is Rs 1,000 (your cart is Rs 650).".into()
        ))
    );
    assert_eq!(c.apply(&add("Zinger Burger", 1)), Ok(Effect::Changed));
    assert_eq!(
        reason(c.apply(&AgentAction::ConfirmOrder)),
        Some(RejectReason::MissingAddress)
    );
    assert_eq!(
        reason(c.apply(&AgentAction::SetLocation {
            point: GeoPoint {
                latitude: 99.0,
                longitude: 0.0,
                name: None,
                address: None
            }
        })),
        Some(RejectReason::InvalidValue)
    );
    assert_eq!(
        c.apply(&AgentAction::SetLocation {
            point: GeoPoint {
                latitude: 24.86,
                longitude: 67.0,
                name: None,
                address: None
            }
        }),
        Ok(Effect::Changed)
    );
    assert_eq!(
        reason(c.apply(&AgentAction::ConfirmOrder)),
        Some(RejectReason::MissingPayment)
    );
    assert_eq!(
        reason(c.apply(&AgentAction::ChoosePayment {
            method: "bitcoin".into()
        })),
        Some(RejectReason::UnknownPaymentMethod)
    );
    assert_eq!(
        c.apply(&AgentAction::ChoosePayment {
            method: "jazzcash".into()
        }),
        Ok(Effect::Changed)
    );
    assert_eq!(c.apply(&AgentAction::ConfirmOrder), Ok(Effect::Placed));
    let order = c.order.clone().unwrap_or_else(|| panic!("order"));
    assert_eq!(order.status(), OrderStatus::Placed);
    assert_eq!(order.total().map(|m| m.minor()), Ok(130_000 + 15_000));
    assert!(awaits_proof(&order, &methods));
    assert_eq!(
        reason(c.apply(&add("Zinger Burger", 1))),
        Some(RejectReason::IllegalTransition),
        "a cart is not opened while a proof is awaited"
    );
    assert_eq!(
        reason(c.apply(&AgentAction::ConfirmOrder)),
        Some(RejectReason::IllegalTransition)
    );
    assert_eq!(c.apply(&AgentAction::CancelOrder), Ok(Effect::Cancelled));
}
