//! Shared set-up: a running simulator, a config pointed at it, and a restaurant with a small
//! menu, two payment methods and a short conversation.

use std::time::Duration;

use chrono::Utc;
use omni_domain::{
    ConversationId, Currency, Direction, MenuItem, MenuItemId, MenuVariant, Message, MessageBody,
    MessageId, Money, PaymentMethod, PaymentMethodId, PaymentMethodKind, StoreId, StoreKind,
    StoreSettings,
};
use omni_meta_sim::{MetaSim, SimConfig};
use omni_openai::OpenAiConfig;
use omni_ports::{AgentInput, CustomerInput, StoreProfile};
use secrecy::SecretString;

pub const MODEL: &str = "gpt-4o-mini";

pub async fn sim() -> MetaSim {
    let _ = rustls::crypto::ring::default_provider().install_default();
    MetaSim::start(SimConfig::default())
        .await
        .unwrap_or_else(|e| panic!("start sim: {e}"))
}

/// The adapter's config for `sim`, with its key and a short timeout.
pub fn config(sim: &MetaSim) -> OpenAiConfig {
    OpenAiConfig::new(SecretString::from(sim.handle().openai_api_key()), MODEL)
        .with_base_url(sim.openai_base_url())
        .with_timeout(Duration::from_secs(5))
}

pub struct Menu {
    pub zinger: MenuItem,
    pub pizza: MenuItem,
    pub biryani: MenuItem,
    pub cash: PaymentMethod,
    pub jazzcash: PaymentMethod,
}

fn item(name: &str, category: &str, paisa: i64, available: bool) -> MenuItem {
    MenuItem {
        id: MenuItemId::new(),
        name: name.to_owned(),
        description: None,
        category: Some(category.to_owned()),
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
        label: label.to_owned(),
        details: "0300-1234567 (Ali Khan)".to_owned(),
        instructions: None,
        active: true,
        created_at: Utc::now(),
    }
}

pub fn menu() -> Menu {
    let mut pizza = item("Chicken Tikka Pizza", "Pizza", 120_000, true);
    pizza.variants = vec![
        MenuVariant {
            name: "Small".to_owned(),
            price: Money::pkr_paisa(120_000),
        },
        MenuVariant {
            name: "Large".to_owned(),
            price: Money::pkr_paisa(210_000),
        },
    ];
    Menu {
        zinger: item("Zinger Burger", "Burgers", 65_000, true),
        pizza,
        biryani: item("Chicken Biryani", "Rice", 45_000, false),
        cash: method(PaymentMethodKind::CashOnDelivery, "Cash on delivery"),
        jazzcash: method(PaymentMethodKind::JazzCash, "JazzCash"),
    }
}

pub fn message(direction: Direction, body: MessageBody) -> Message {
    Message::new(
        MessageId::new(),
        ConversationId::new(),
        direction,
        body,
        Utc::now(),
    )
}

pub fn text(direction: Direction, body: &str) -> Message {
    message(
        direction,
        MessageBody::Text {
            body: body.to_owned(),
        },
    )
}

/// Ali writes "2 zinger burger bhej dein" after a greeting exchange.
pub fn input(menu: &Menu, words: &str) -> AgentInput {
    AgentInput {
        store: StoreProfile {
            id: StoreId::new(),
            name: "Karachi Grill".to_owned(),
            kind: StoreKind::Restaurant,
            currency: Currency::PKR,
            settings: StoreSettings {
                delivery_fee: Money::pkr_paisa(15_000),
                min_order: Money::pkr_paisa(50_000),
                voice_replies: false,
                rider_template: None,
            },
        },
        menu: vec![
            menu.zinger.clone(),
            menu.pizza.clone(),
            menu.biryani.clone(),
        ],
        payment_methods: vec![menu.cash.clone(), menu.jazzcash.clone()],
        customer_name: Some("Ali".to_owned()),
        state: "new".to_owned(),
        context: serde_json::json!({}),
        recent: vec![
            text(Direction::Inbound, "salam"),
            text(Direction::Outbound, "Wa alaikum salam! Kya order karenge?"),
            text(Direction::Inbound, words),
        ],
        order: None,
        message: CustomerInput::Text {
            text: words.to_owned(),
        },
        window_open: true,
        feedback: Vec::new(),
    }
}

/// The system prompt of a logged chat request.
pub fn system_prompt(request: &serde_json::Value) -> String {
    request["messages"][0]["content"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}
