//! Behaviour tests: each message the agent understands, with the exact replies and actions.
//! `Chat` plays the core: it feeds back the state and context the agent returned and applies
//! the actions to the order the way the core would.

use chrono::{DateTime, Utc};
use omni_domain::{
    Currency, CustomerId, GeoPoint, MenuItem, MenuItemId, MenuVariant, Money, Order, OrderId,
    OrderItem, OrderStatus, PaymentMethod, PaymentMethodId, PaymentMethodKind, StoreId, StoreKind,
    StoreSettings,
};
use omni_ports::{
    ActionRejected, AgentAction, AgentInput, AgentOutput, AgentReply, AiAgentPort, Button,
    CustomerInput, ListRow, RejectReason, StoreProfile,
};
use serde_json::json;

use crate::{RulesAgent, order_summary, state};

const ZINGER: &str = "00000000-0000-0000-0000-000000000001";
const BEEF: &str = "00000000-0000-0000-0000-000000000002";
const FRIES: &str = "00000000-0000-0000-0000-000000000003";
const PIZZA: &str = "00000000-0000-0000-0000-000000000004";
const KARAHI: &str = "00000000-0000-0000-0000-000000000005";
const MARGARITA: &str = "00000000-0000-0000-0000-000000000006";
const CASH: &str = "00000000-0000-0000-0000-000000000011";
const JAZZ: &str = "00000000-0000-0000-0000-000000000012";
const BANK: &str = "00000000-0000-0000-0000-000000000013";
const ORDER: &str = "00000000-0000-0000-0000-00000000abcd";

fn epoch() -> DateTime<Utc> {
    DateTime::<Utc>::UNIX_EPOCH
}

fn rs(rupees: i64) -> Money {
    Money::pkr(rupees).unwrap_or_else(|e| panic!("{e}"))
}

fn item(id: &str, name: &str, category: &str, price: i64) -> MenuItem {
    MenuItem {
        id: MenuItemId::parse(id).unwrap_or_else(|e| panic!("{e}")),
        name: name.to_owned(),
        description: None,
        category: Some(category.to_owned()),
        price: rs(price),
        variants: Vec::new(),
        available: true,
        created_at: epoch(),
    }
}

fn menu() -> Vec<MenuItem> {
    let mut pizza = item(PIZZA, "Pizza", "Pizza", 900);
    pizza.variants = vec![
        MenuVariant {
            name: "Regular".into(),
            price: rs(900),
        },
        MenuVariant {
            name: "Large".into(),
            price: rs(1_400),
        },
    ];
    let mut karahi = item(KARAHI, "Chicken Karahi", "Mains", 1_500);
    karahi.available = false;
    vec![
        item(ZINGER, "Zinger Burger", "Burgers", 650),
        item(BEEF, "Beef Burger", "Burgers", 700),
        item(FRIES, "Fries", "Sides", 250),
        pizza,
        karahi,
        item(MARGARITA, "Mint Margarita", "Drinks", 300),
    ]
}

fn method(id: &str, kind: PaymentMethodKind, label: &str) -> PaymentMethod {
    PaymentMethod {
        id: PaymentMethodId::parse(id).unwrap_or_else(|e| panic!("{e}")),
        kind,
        label: label.to_owned(),
        details: "0300 1234567".to_owned(),
        instructions: None,
        active: true,
        created_at: epoch(),
    }
}

fn methods() -> Vec<PaymentMethod> {
    vec![
        method(CASH, PaymentMethodKind::CashOnDelivery, "Cash on delivery"),
        method(JAZZ, PaymentMethodKind::JazzCash, "JazzCash"),
        method(BANK, PaymentMethodKind::BankTransfer, "Meezan Bank"),
    ]
}

fn input(message: CustomerInput) -> AgentInput {
    AgentInput {
        store: StoreProfile {
            id: StoreId::parse("00000000-0000-0000-0000-0000000000ff")
                .unwrap_or_else(|e| panic!("{e}")),
            name: "Karachi Grill".to_owned(),
            kind: StoreKind::Restaurant,
            currency: Currency::PKR,
            settings: StoreSettings {
                delivery_fee: rs(150),
                min_order: rs(500),
                voice_replies: false,
                rider_template: None,
            },
        },
        menu: menu(),
        payment_methods: methods(),
        customer_name: None,
        state: "new".to_owned(),
        context: json!({}),
        recent: Vec::new(),
        order: None,
        message,
        window_open: true,
        feedback: Vec::new(),
    }
}

fn text(t: &str) -> CustomerInput {
    CustomerInput::Text { text: t.to_owned() }
}

fn tap(id: &str, title: &str) -> CustomerInput {
    CustomerInput::Choice {
        id: id.to_owned(),
        title: title.to_owned(),
    }
}

fn ask(message: CustomerInput) -> AgentOutput {
    RulesAgent.answer(&input(message))
}

fn add(item: &str, quantity: u32) -> AgentAction {
    AgentAction::AddItem {
        item: item.to_owned(),
        quantity,
        variant: None,
    }
}

fn button(id: &str, title: &str) -> Button {
    Button {
        id: id.to_owned(),
        title: title.to_owned(),
    }
}

fn cart_reply(text: &str) -> AgentReply {
    AgentReply::Buttons {
        text: text.to_owned(),
        buttons: vec![button("checkout", "Checkout"), button("menu", "View menu")],
    }
}

fn menu_reply(text: &str) -> AgentReply {
    AgentReply::Buttons {
        text: text.to_owned(),
        buttons: vec![button("menu", "View menu")],
    }
}

fn line(id: &str, name: &str, price: i64, quantity: u32, variant: Option<&str>) -> OrderItem {
    OrderItem {
        menu_item_id: MenuItemId::parse(id).unwrap_or_else(|e| panic!("{e}")),
        name: name.to_owned(),
        unit_price: rs(price),
        quantity,
        variant: variant.map(str::to_owned),
    }
}

fn cart(items: Vec<OrderItem>) -> Order {
    let mut o = Order::new(CustomerId::new(), Currency::PKR, epoch());
    o.id = OrderId::parse(ORDER).unwrap_or_else(|e| panic!("{e}"));
    o.items = items;
    o
}

fn pin() -> GeoPoint {
    GeoPoint::new(24.8607, 67.0011, None, None).unwrap_or_else(|e| panic!("{e}"))
}

/// Plays the core: applies accepted actions to the order like `omni_usecases::agent` does.
struct Chat {
    input: AgentInput,
}

impl Chat {
    fn new() -> Self {
        Self {
            input: input(text("")),
        }
    }

    fn send(&mut self, message: CustomerInput) -> AgentOutput {
        self.input.message = message;
        let out = RulesAgent.answer(&self.input);
        for action in &out.actions {
            self.apply(action);
        }
        if let Some(s) = &out.state {
            self.input.state.clone_from(s);
        }
        if let Some(c) = &out.context {
            self.input.context = c.clone();
        }
        out
    }

    fn say(&mut self, t: &str) -> AgentOutput {
        self.send(text(t))
    }

    fn cart_mut(&mut self) -> &mut Order {
        if self
            .input
            .order
            .as_ref()
            .is_none_or(|o| o.status() != OrderStatus::Cart)
        {
            self.input.order = Some(cart(Vec::new()));
        }
        self.input
            .order
            .as_mut()
            .unwrap_or_else(|| panic!("just opened"))
    }

    fn apply(&mut self, action: &AgentAction) {
        let menu = self.input.menu.clone();
        let find = |id: &str| {
            menu.iter()
                .find(|m| m.id.to_string() == id)
                .unwrap_or_else(|| panic!("unknown item {id}"))
                .clone()
        };
        match action {
            AgentAction::AddItem {
                item,
                quantity,
                variant,
            } => {
                let m = find(item);
                let order = self.cart_mut();
                match order
                    .items
                    .iter_mut()
                    .find(|l| l.menu_item_id == m.id && l.variant == *variant)
                {
                    Some(l) => l.quantity += quantity,
                    None => {
                        let price = variant
                            .as_ref()
                            .and_then(|v| m.variants.iter().find(|x| x.name == *v))
                            .map_or(m.price, |x| x.price);
                        order.items.push(OrderItem {
                            menu_item_id: m.id,
                            name: m.name.clone(),
                            unit_price: price,
                            quantity: *quantity,
                            variant: variant.clone(),
                        });
                    }
                }
            }
            AgentAction::RemoveItem { item } => {
                let m = find(item);
                self.cart_mut().items.retain(|l| l.menu_item_id != m.id);
            }
            AgentAction::SetQuantity { item, quantity } => {
                let m = find(item);
                for l in &mut self.cart_mut().items {
                    if l.menu_item_id == m.id {
                        l.quantity = *quantity;
                    }
                }
            }
            AgentAction::SetAddress { address } => {
                self.cart_mut().delivery_address = Some(address.clone());
            }
            AgentAction::SetLocation { point } => {
                self.cart_mut().delivery_location = Some(point.clone());
            }
            AgentAction::ChoosePayment { method } => {
                let id = PaymentMethodId::parse(method).unwrap_or_else(|e| panic!("{e}"));
                self.cart_mut()
                    .payment
                    .choose_method(id)
                    .unwrap_or_else(|e| panic!("{e}"));
            }
            AgentAction::ConfirmOrder => {
                let fee = self.input.store.settings.delivery_fee;
                let order = self.cart_mut();
                order.delivery_fee = fee;
                order
                    .advance(OrderStatus::Placed, epoch())
                    .unwrap_or_else(|e| panic!("{e}"));
            }
            AgentAction::CancelOrder => {
                if let Some(o) = self.input.order.as_mut() {
                    o.advance(OrderStatus::Cancelled, epoch())
                        .unwrap_or_else(|e| panic!("{e}"));
                }
                self.input.order = None;
            }
            AgentAction::Handover { .. } => {}
        }
    }
}

const ZINGER_ADDED: &str =
    "Added 2 × Zinger Burger.\n\nYour cart:\n2 × Zinger Burger — Rs 1,300\nSubtotal: Rs 1,300";

#[tokio::test]
async fn the_port_is_named_rules_and_answers_through_respond() {
    let agent = RulesAgent::new();
    assert_eq!(agent.name(), "rules");
    let out = agent
        .respond(&input(text("2 zinger burgers")))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.actions, [add(ZINGER, 2)]);
    assert_eq!(out.tokens_used, 0);
}

#[test]
fn a_closed_window_gets_an_empty_output() {
    let mut i = input(text("2 zinger burgers"));
    i.window_open = false;
    assert_eq!(RulesAgent.answer(&i), AgentOutput::default());
}

#[test]
fn greetings_get_the_welcome_with_menu_and_order_buttons() {
    let welcome = AgentReply::Buttons {
        text: "Assalam o Alaikum! Welcome to Karachi Grill. What would you like to order today?"
            .to_owned(),
        buttons: vec![button("menu", "View menu"), button("cart", "My order")],
    };
    for greeting in [
        "hi",
        "Hello!",
        "salam",
        "Assalam o Alaikum",
        "AOA",
        "hey there",
    ] {
        let out = ask(text(greeting));
        assert_eq!(out.replies, std::slice::from_ref(&welcome), "{greeting}");
        assert!(out.actions.is_empty(), "{greeting}");
        assert_eq!(out.state.as_deref(), Some(state::BROWSING));
    }
    let mut named = input(text("hi"));
    named.customer_name = Some("Ali".into());
    assert_eq!(
        RulesAgent.answer(&named).replies[0].body(),
        "Assalam o Alaikum, Ali! Welcome to Karachi Grill. What would you like to order today?"
    );
}

#[test]
fn the_menu_is_a_list_of_available_items_with_prices() {
    let expected = AgentReply::List {
        text: "Here is the Karachi Grill menu. Tap an item to add it, or type the item and quantity.\n\nNot available right now: Chicken Karahi".to_owned(),
        button: "Menu".to_owned(),
        rows: [
            (ZINGER, "Zinger Burger", "Rs 650"),
            (BEEF, "Beef Burger", "Rs 700"),
            (FRIES, "Fries", "Rs 250"),
            (PIZZA, "Pizza", "Regular Rs 900, Large Rs 1,400"),
            (MARGARITA, "Mint Margarita", "Rs 300"),
        ]
        .iter()
        .map(|(id, title, price)| ListRow {
            id: format!("item:{id}"),
            title: (*title).to_owned(),
            description: Some((*price).to_owned()),
        })
        .collect(),
    };
    for m in [text("menu"), text("Menu dikhao"), tap("menu", "View menu")] {
        assert_eq!(
            ask(m.clone()).replies,
            std::slice::from_ref(&expected),
            "{m:?}"
        );
    }
}

#[test]
fn a_long_menu_is_text_grouped_by_category() {
    let mut i = input(text("menu"));
    for n in 0..6 {
        let id = format!("00000000-0000-0000-0000-0000000001{n:02}");
        i.menu.push(item(&id, &format!("Shake {n}"), "Drinks", 400));
    }
    let out = RulesAgent.answer(&i);
    let expected = "Karachi Grill menu:\n\n*Burgers*\nZinger Burger — Rs 650\nBeef Burger — Rs 700\n\n*Sides*\nFries — Rs 250\n\n*Pizza*\nPizza — Regular Rs 900, Large Rs 1,400\n\n*Drinks*\nMint Margarita — Rs 300\nShake 0 — Rs 400\nShake 1 — Rs 400\nShake 2 — Rs 400\nShake 3 — Rs 400\nShake 4 — Rs 400\nShake 5 — Rs 400\n\nNot available right now: Chicken Karahi\n\nType the item and quantity to order, for example \"2 Zinger Burger\".";
    assert_eq!(out.replies, [AgentReply::text(expected)]);
}

#[test]
fn an_order_adds_the_item_and_shows_the_cart() {
    let out = ask(text("2 zinger burgers"));
    assert_eq!(out.actions, [add(ZINGER, 2)]);
    assert_eq!(out.replies, [cart_reply(ZINGER_ADDED)]);
    assert_eq!(out.state.as_deref(), Some(state::ORDERING));
    assert_eq!(out.context, None, "nothing to remember");
}

#[test]
fn order_phrases_in_english_and_roman_urdu_are_read() {
    let cases: &[(&str, &[(&str, u32)])] = &[
        ("I want to order a zinger burger", &[(ZINGER, 1)]),
        ("mujhe 2 zinger chahiye", &[(ZINGER, 2)]),
        ("do zinger aur ek fries", &[(ZINGER, 2), (FRIES, 1)]),
        ("3x fries", &[(FRIES, 3)]),
        ("fries x3 please", &[(FRIES, 3)]),
        (
            "two zinger burgers and three fries",
            &[(ZINGER, 2), (FRIES, 3)],
        ),
        ("teen fries, char margarita", &[(FRIES, 3), (MARGARITA, 4)]),
        ("paanch fries", &[(FRIES, 5)]),
        ("chhe fries", &[(FRIES, 6)]),
        ("saat fries", &[(FRIES, 7)]),
        ("aath fries", &[(FRIES, 8)]),
        ("nau fries", &[(FRIES, 9)]),
        ("das fries", &[(FRIES, 10)]),
        ("ZINGER!!!", &[(ZINGER, 1)]),
        ("zinger de do", &[(ZINGER, 1)]),
        ("2 zinger 1 fries", &[(ZINGER, 2), (FRIES, 1)]),
        ("beef", &[(BEEF, 1)]),
        ("hi, 2 zinger plz", &[(ZINGER, 2)]),
        ("2 aur zinger", &[(ZINGER, 2)]),
        ("do aur zinger", &[(ZINGER, 2)]),
        ("zinger de do aur fries bhi", &[(ZINGER, 1), (FRIES, 1)]),
        ("mujhe do", &[]),
        ("3 more fries", &[(FRIES, 3)]),
    ];
    for (phrase, want) in cases {
        let actions: Vec<AgentAction> = want.iter().map(|(id, q)| add(id, *q)).collect();
        assert_eq!(ask(text(phrase)).actions, actions, "{phrase}");
    }
}

#[test]
fn small_typos_and_plurals_still_match() {
    for phrase in [
        "zingr burger",
        "zinger burgr",
        "zigner",
        "Zinger-Burgers",
        "frys",
    ] {
        let out = ask(text(phrase));
        assert_eq!(out.actions.len(), 1, "{phrase}");
    }
    assert_eq!(ask(text("mint margaritta")).actions, [add(MARGARITA, 1)]);
    assert_eq!(ask(text("frys")).actions, [add(FRIES, 1)]);
    let out = ask(text("zngr"));
    assert!(
        out.actions.is_empty(),
        "two edits on a short word is too far"
    );
}

#[test]
fn two_items_in_one_message_are_summed_in_the_cart() {
    let out = ask(text("do zinger aur ek fries"));
    assert_eq!(
        out.replies,
        [cart_reply(
            "Added 2 × Zinger Burger and 1 × Fries.\n\nYour cart:\n2 × Zinger Burger — Rs 1,300\n1 × Fries — Rs 250\nSubtotal: Rs 1,550"
        )]
    );
}

#[test]
fn adding_to_an_item_in_the_cart_merges_the_line() {
    let mut i = input(text("2 zinger"));
    i.order = Some(cart(vec![line(ZINGER, "Zinger Burger", 650, 1, None)]));
    let out = RulesAgent.answer(&i);
    assert_eq!(out.actions, [add(ZINGER, 2)]);
    assert_eq!(
        out.replies[0].body(),
        "Added 2 × Zinger Burger.\n\nYour cart:\n3 × Zinger Burger — Rs 1,950\nSubtotal: Rs 1,950"
    );
}

#[test]
fn a_shared_word_asks_which_item_and_remembers_the_quantity() {
    let mut chat = Chat::new();
    let out = chat.say("2 burgers");
    assert!(out.actions.is_empty());
    assert_eq!(
        out.replies,
        [AgentReply::Buttons {
            text: "Which \"burgers\" would you like?\nZinger Burger — Rs 650\nBeef Burger — Rs 700"
                .to_owned(),
            buttons: vec![
                button(&format!("item:{ZINGER}"), "Zinger Burger"),
                button(&format!("item:{BEEF}"), "Beef Burger"),
            ],
        }]
    );
    assert_eq!(out.state.as_deref(), Some(state::CHOOSING));
    assert!(out.context.is_some(), "the question is remembered");

    let out = chat.send(tap(&format!("item:{BEEF}"), "Beef Burger"));
    assert_eq!(out.actions, [add(BEEF, 2)]);
    assert_eq!(
        out.replies,
        [cart_reply(
            "Added 2 × Beef Burger.\n\nYour cart:\n2 × Beef Burger — Rs 1,400\nSubtotal: Rs 1,400"
        )]
    );
    assert_eq!(out.context, Some(json!({})), "the question is answered");
}

#[test]
fn a_typed_answer_to_which_item_keeps_the_quantity() {
    let mut chat = Chat::new();
    chat.say("mujhe teen burger chahiye");
    let out = chat.say("zinger wala");
    assert_eq!(out.actions, [add(ZINGER, 3)]);
}

#[test]
fn an_unrelated_answer_drops_the_question() {
    let mut chat = Chat::new();
    chat.say("2 burgers");
    let out = chat.say("fries");
    assert_eq!(out.actions, [add(FRIES, 1)]);
    assert_eq!(out.context, Some(json!({})));
}

#[test]
fn a_variant_is_picked_by_name_or_asked_for() {
    let large = AgentAction::AddItem {
        item: PIZZA.to_owned(),
        quantity: 1,
        variant: Some("Large".to_owned()),
    };
    assert_eq!(
        ask(text("large pizza")).actions,
        std::slice::from_ref(&large)
    );
    assert_eq!(
        ask(text("pizza large")).actions,
        std::slice::from_ref(&large)
    );
    assert_eq!(
        ask(text("mujhe ek large pizza aur do fries de do")).actions,
        [large, add(FRIES, 2)]
    );
    assert_eq!(
        ask(text("large pizza")).replies[0].body(),
        "Added 1 × Pizza (Large).\n\nYour cart:\n1 × Pizza (Large) — Rs 1,400\nSubtotal: Rs 1,400"
    );

    let mut chat = Chat::new();
    let out = chat.say("2 pizza");
    assert!(out.actions.is_empty());
    assert_eq!(
        out.replies,
        [AgentReply::Buttons {
            text: "Which Pizza would you like?\nRegular — Rs 900\nLarge — Rs 1,400".to_owned(),
            buttons: vec![
                button(&format!("variant:{PIZZA}:Regular"), "Regular"),
                button(&format!("variant:{PIZZA}:Large"), "Large"),
            ],
        }]
    );
    let out = chat.say("regular");
    assert_eq!(
        out.actions,
        [AgentAction::AddItem {
            item: PIZZA.to_owned(),
            quantity: 2,
            variant: Some("Regular".to_owned()),
        }]
    );

    let mut chat = Chat::new();
    chat.say("pizza");
    let out = chat.send(tap(&format!("variant:{PIZZA}:Large"), "Large"));
    assert_eq!(
        out.actions,
        [AgentAction::AddItem {
            item: PIZZA.to_owned(),
            quantity: 1,
            variant: Some("Large".to_owned()),
        }]
    );
}

#[test]
fn several_questions_are_asked_one_after_another() {
    let mut chat = Chat::new();
    let out = chat.say("ek burger aur do pizza aur fries");
    assert_eq!(out.actions, [add(FRIES, 1)]);
    assert_eq!(
        out.replies[0],
        AgentReply::text("Added 1 × Fries.\n\nYour cart:\n1 × Fries — Rs 250\nSubtotal: Rs 250")
    );
    assert!(out.replies[1].body().starts_with("Which \"burger\""));
    let out = chat.say("beef");
    assert_eq!(out.actions, [add(BEEF, 1)]);
    assert!(out.replies[1].body().starts_with("Which Pizza"), "{out:?}");
    let out = chat.say("large");
    assert_eq!(
        out.actions[0],
        AgentAction::AddItem {
            item: PIZZA.to_owned(),
            quantity: 2,
            variant: Some("Large".to_owned()),
        }
    );
    assert_eq!(out.replies.len(), 1);
    assert_eq!(out.state.as_deref(), Some(state::ORDERING));
}

#[test]
fn an_unavailable_item_is_refused_politely() {
    let out = ask(text("1 chicken karahi"));
    assert!(out.actions.is_empty());
    assert_eq!(
        out.replies,
        [menu_reply(
            "Sorry, Chicken Karahi is not available right now."
        )]
    );
}

#[test]
fn unknown_words_get_the_did_not_understand_reply() {
    for phrase in ["asdfgh", "🙂", "what is the weather"] {
        let out = ask(text(phrase));
        assert!(out.actions.is_empty(), "{phrase}");
        assert_eq!(
            out.replies,
            [menu_reply(
                "Sorry, I didn't understand that. Type what you'd like to order (for example \"2 zinger burgers\"), or tap View menu."
            )],
            "{phrase}"
        );
        assert_eq!(out.state.as_deref(), Some("new"), "state kept");
    }
}

fn zinger_and_fries() -> Order {
    cart(vec![
        line(ZINGER, "Zinger Burger", 650, 2, None),
        line(FRIES, "Fries", 250, 1, None),
    ])
}

#[test]
fn remove_takes_an_item_out_in_both_languages() {
    for phrase in [
        "remove fries",
        "fries hatao",
        "fries nikalo",
        "delete the fries",
    ] {
        let mut i = input(text(phrase));
        i.order = Some(zinger_and_fries());
        let out = RulesAgent.answer(&i);
        assert_eq!(
            out.actions,
            [AgentAction::RemoveItem {
                item: FRIES.to_owned()
            }],
            "{phrase}"
        );
        assert_eq!(
            out.replies,
            [cart_reply(
                "Removed Fries.\n\nYour cart:\n2 × Zinger Burger — Rs 1,300\nSubtotal: Rs 1,300"
            )]
        );
    }
    let mut i = input(text("remove beef burger"));
    i.order = Some(zinger_and_fries());
    let out = RulesAgent.answer(&i);
    assert!(out.actions.is_empty());
    assert!(
        out.replies[0]
            .body()
            .starts_with("Beef Burger isn't in your cart.")
    );
    let mut i = input(text("remove burger"));
    i.order = Some(zinger_and_fries());
    assert_eq!(
        RulesAgent.answer(&i).actions,
        [AgentAction::RemoveItem {
            item: ZINGER.to_owned()
        }],
        "only one burger is in the cart"
    );
}

#[test]
fn make_it_n_sets_the_quantity_of_an_item_in_the_cart() {
    for phrase in ["make it 3 zinger", "3 zinger kar do", "zinger 3 kar do"] {
        let mut i = input(text(phrase));
        i.order = Some(zinger_and_fries());
        let out = RulesAgent.answer(&i);
        assert_eq!(
            out.actions,
            [AgentAction::SetQuantity {
                item: ZINGER.to_owned(),
                quantity: 3
            }],
            "{phrase}"
        );
        assert_eq!(
            out.replies[0].body(),
            "Updated to 3 × Zinger Burger.\n\nYour cart:\n3 × Zinger Burger — Rs 1,950\n1 × Fries — Rs 250\nSubtotal: Rs 2,200"
        );
    }
    let mut i = input(text("3 zinger aur kar do"));
    i.order = Some(zinger_and_fries());
    assert_eq!(
        RulesAgent.answer(&i).actions,
        [add(ZINGER, 3)],
        "aur means more"
    );
}

#[test]
fn checkout_checks_the_cart_and_the_minimum() {
    let out = ask(text("checkout"));
    assert!(out.actions.is_empty());
    assert_eq!(
        out.replies,
        [menu_reply(
            "Your cart is empty. What would you like to order?"
        )]
    );
    let mut i = input(text("bas"));
    i.order = Some(cart(vec![line(FRIES, "Fries", 250, 1, None)]));
    let out = RulesAgent.answer(&i);
    assert_eq!(
        out.replies,
        [menu_reply(
            "Our minimum order is Rs 500. Your subtotal is Rs 250, please add a little more."
        )]
    );
    assert_eq!(out.state.as_deref(), Some(state::ORDERING));
}

#[test]
fn checkout_words_ask_for_the_location() {
    for phrase in [
        text("checkout"),
        text("done"),
        text("bas"),
        text("that's all"),
        text("order confirm karna hai"),
        tap("checkout", "Checkout"),
    ] {
        let mut i = input(phrase.clone());
        i.order = Some(zinger_and_fries());
        let out = RulesAgent.answer(&i);
        assert_eq!(
            out.replies,
            [AgentReply::LocationRequest {
                text: "Where should we deliver? Please share your location pin, or type your full address.".to_owned()
            }],
            "{phrase:?}"
        );
        assert_eq!(out.state.as_deref(), Some(state::AWAITING_ADDRESS));
    }
}

fn awaiting(state: &str, order: Order, message: CustomerInput) -> AgentInput {
    let mut i = input(message);
    i.state = state.to_owned();
    i.order = Some(order);
    i
}

#[test]
fn a_typed_address_is_saved_and_payment_is_offered() {
    let i = awaiting(
        state::AWAITING_ADDRESS,
        zinger_and_fries(),
        text("House 12, Street 5, DHA Phase 6"),
    );
    let out = RulesAgent.answer(&i);
    assert_eq!(
        out.actions,
        [AgentAction::SetAddress {
            address: "House 12, Street 5, DHA Phase 6".to_owned()
        }]
    );
    assert_eq!(
        out.replies,
        [AgentReply::Buttons {
            text: "How would you like to pay? Your total is Rs 1,700.".to_owned(),
            buttons: vec![
                button(&format!("pay:{CASH}"), "Cash on delivery"),
                button(&format!("pay:{JAZZ}"), "JazzCash"),
                button(&format!("pay:{BANK}"), "Meezan Bank"),
            ],
        }]
    );
    assert_eq!(out.state.as_deref(), Some(state::AWAITING_PAYMENT));

    let out = RulesAgent.answer(&awaiting(
        state::AWAITING_ADDRESS,
        zinger_and_fries(),
        text("DHA"),
    ));
    assert!(out.actions.is_empty(), "too short for an address");
    assert_eq!(
        out.replies,
        [AgentReply::LocationRequest {
            text: "Please type your full address (house, street and area), or share your location pin.".to_owned()
        }]
    );
    let out = RulesAgent.answer(&awaiting(
        state::AWAITING_ADDRESS,
        zinger_and_fries(),
        text("show me the menu"),
    ));
    assert!(out.actions.is_empty(), "a command is not an address");
    assert!(matches!(out.replies[0], AgentReply::List { .. }));
}

#[test]
fn a_location_pin_is_saved_and_payment_is_offered() {
    let out = RulesAgent.answer(&awaiting(
        state::AWAITING_ADDRESS,
        zinger_and_fries(),
        CustomerInput::Location { point: pin() },
    ));
    assert_eq!(out.actions, [AgentAction::SetLocation { point: pin() }]);
    assert_eq!(out.state.as_deref(), Some(state::AWAITING_PAYMENT));
    let out = ask(CustomerInput::Location { point: pin() });
    assert!(out.actions.is_empty(), "no cart to put it on");
    assert_eq!(
        out.replies,
        [menu_reply(
            "Thanks for the location! What would you like to order?"
        )]
    );
}

fn with_address(mut o: Order) -> Order {
    o.delivery_address = Some("House 12, Street 5, DHA Phase 6".to_owned());
    o
}

const SUMMARY_CASH: &str = "Please check your order:\n\n2 × Zinger Burger — Rs 1,300\n1 × Fries — Rs 250\nSubtotal: Rs 1,550\nDelivery: Rs 150\nTotal: Rs 1,700\nAddress: House 12, Street 5, DHA Phase 6\nPayment: Cash on delivery\n\nTap Confirm order to place it.";

fn confirm_reply(text: &str) -> AgentReply {
    AgentReply::Buttons {
        text: text.to_owned(),
        buttons: vec![
            button("confirm", "Confirm order"),
            button("cancel", "Cancel"),
        ],
    }
}

#[test]
fn a_payment_method_is_chosen_by_tap_or_by_name() {
    let order = with_address(zinger_and_fries());
    for (message, id) in [
        (tap(&format!("pay:{CASH}"), "Cash on delivery"), CASH),
        (text("cash"), CASH),
        (text("jazzcash se"), JAZZ),
        (text("bank transfer"), BANK),
        (text("meezan bank"), BANK),
    ] {
        let out = RulesAgent.answer(&awaiting(
            state::AWAITING_PAYMENT,
            order.clone(),
            message.clone(),
        ));
        assert_eq!(
            out.actions,
            [AgentAction::ChoosePayment {
                method: id.to_owned()
            }],
            "{message:?}"
        );
        assert_eq!(out.state.as_deref(), Some(state::AWAITING_CONFIRMATION));
    }
    let out = RulesAgent.answer(&awaiting(
        state::AWAITING_PAYMENT,
        order.clone(),
        tap(&format!("pay:{CASH}"), "Cash on delivery"),
    ));
    assert_eq!(out.replies, [confirm_reply(SUMMARY_CASH)]);

    let out = RulesAgent.answer(&awaiting(state::AWAITING_PAYMENT, order, text("easypaisa")));
    assert!(out.actions.is_empty());
    assert_eq!(
        out.replies[0].body(),
        "Sorry, we don't take Easypaisa. How would you like to pay? Your total is Rs 1,700."
    );
}

#[test]
fn the_only_payment_method_is_chosen_automatically() {
    let mut i = awaiting(
        state::AWAITING_ADDRESS,
        zinger_and_fries(),
        text("House 12, Street 5, DHA Phase 6"),
    );
    i.payment_methods.truncate(1);
    let out = RulesAgent.answer(&i);
    assert_eq!(
        out.actions,
        [
            AgentAction::SetAddress {
                address: "House 12, Street 5, DHA Phase 6".to_owned()
            },
            AgentAction::ChoosePayment {
                method: CASH.to_owned()
            }
        ]
    );
    assert_eq!(out.replies, [confirm_reply(SUMMARY_CASH)]);
}

#[test]
fn more_than_three_methods_are_offered_as_a_list() {
    let mut i = awaiting(
        state::ORDERING,
        with_address(zinger_and_fries()),
        text("checkout"),
    );
    i.payment_methods.push(method(
        "00000000-0000-0000-0000-000000000014",
        PaymentMethodKind::Easypaisa,
        "Easypaisa",
    ));
    let out = RulesAgent.answer(&i);
    let AgentReply::List { rows, button, .. } = &out.replies[0] else {
        panic!("{out:?}");
    };
    assert_eq!(button, "Payment options");
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[2].description.as_deref(), Some("Bank transfer"));
}

#[test]
fn inactive_methods_are_not_offered() {
    let mut i = awaiting(
        state::ORDERING,
        with_address(zinger_and_fries()),
        text("checkout"),
    );
    for m in &mut i.payment_methods[1..] {
        m.active = false;
    }
    let out = RulesAgent.answer(&i);
    assert_eq!(
        out.actions,
        [AgentAction::ChoosePayment {
            method: CASH.to_owned()
        }]
    );
}

fn ready_order() -> Order {
    let mut o = with_address(zinger_and_fries());
    o.payment
        .choose_method(PaymentMethodId::parse(CASH).unwrap_or_else(|e| panic!("{e}")))
        .unwrap_or_else(|e| panic!("{e}"));
    o
}

#[test]
fn yes_confirms_only_after_the_summary() {
    for message in [
        text("yes"),
        text("haan"),
        text("ji"),
        text("confirm"),
        tap("confirm", "Confirm order"),
    ] {
        let out = RulesAgent.answer(&awaiting(
            state::AWAITING_CONFIRMATION,
            ready_order(),
            message.clone(),
        ));
        assert_eq!(out.actions, [AgentAction::ConfirmOrder], "{message:?}");
        assert!(out.replies.is_empty(), "the core sends the summary");
        assert_eq!(out.state.as_deref(), Some(state::PLACED));
    }
    let out = RulesAgent.answer(&awaiting(
        state::ORDERING,
        ready_order(),
        tap("confirm", "Confirm order"),
    ));
    assert!(
        out.actions.is_empty(),
        "an old button shows the summary first"
    );
    assert_eq!(out.replies, [confirm_reply(SUMMARY_CASH)]);
    let out = RulesAgent.answer(&awaiting(
        state::AWAITING_CONFIRMATION,
        ready_order(),
        text("nahi"),
    ));
    assert!(out.actions.is_empty());
    assert_eq!(
        out.replies[0].body(),
        "No problem. You can add or remove items, or tap Cancel to cancel the order."
    );
}

#[test]
fn cancel_cancels_the_open_order() {
    for phrase in ["cancel", "cancel karo", "Cancel my order"] {
        let out = RulesAgent.answer(&awaiting(state::ORDERING, zinger_and_fries(), text(phrase)));
        assert_eq!(out.actions, [AgentAction::CancelOrder], "{phrase}");
        assert_eq!(
            out.replies,
            [AgentReply::text(
                "Your order has been cancelled. Send \"menu\" whenever you'd like to order again."
            )]
        );
        assert_eq!(out.state.as_deref(), Some(state::CANCELLED));
    }
    let out = ask(text("cancel"));
    assert!(out.actions.is_empty());
    assert_eq!(
        out.replies,
        [AgentReply::text("You don't have an open order to cancel.")]
    );
    let out_for_delivery = ready_order().with_status(OrderStatus::OutForDelivery);
    let out = RulesAgent.answer(&awaiting(state::PLACED, out_for_delivery, text("cancel")));
    assert!(out.actions.is_empty());
    assert_eq!(
        out.replies[0].body(),
        "Sorry, your order #00ABCD can't be cancelled now. Reply \"human\" to talk to our team."
    );
}

#[test]
fn asking_for_a_person_hands_over() {
    for phrase in [
        "human",
        "talk to someone",
        "insaan se baat karni hai",
        "manager please",
        "agent",
    ] {
        let out = ask(text(phrase));
        assert_eq!(
            out.actions,
            [AgentAction::Handover {
                reason: Some("customer asked for a person".to_owned())
            }],
            "{phrase}"
        );
        assert_eq!(
            out.replies,
            [AgentReply::text(
                "A team member will reply to you here shortly."
            )]
        );
        assert_eq!(out.state.as_deref(), Some(state::HANDOVER));
    }
}

#[test]
fn a_placed_order_reports_its_status_in_plain_words() {
    let cases = [
        (
            OrderStatus::Placed,
            "Your order #00ABCD has been placed and is waiting for the restaurant to confirm it. Payment: cash on delivery.",
        ),
        (
            OrderStatus::Confirmed,
            "Your order #00ABCD has been confirmed by the restaurant. Payment: cash on delivery.",
        ),
        (
            OrderStatus::Preparing,
            "Your order #00ABCD is being prepared. Payment: cash on delivery.",
        ),
        (
            OrderStatus::OutForDelivery,
            "Your order #00ABCD is out for delivery. Payment: cash on delivery.",
        ),
    ];
    for (status, expected) in cases {
        for message in [text("status"), text("my order"), tap("cart", "My order")] {
            let out = RulesAgent.answer(&awaiting(
                state::PLACED,
                ready_order().with_status(status),
                message,
            ));
            assert_eq!(out.replies, [AgentReply::text(expected)]);
            assert!(out.actions.is_empty());
        }
    }
    let mut jazz = ready_order().with_status(OrderStatus::Placed);
    jazz.payment
        .choose_method(PaymentMethodId::parse(JAZZ).unwrap_or_else(|e| panic!("{e}")))
        .unwrap_or_else(|e| panic!("{e}"));
    let out = RulesAgent.answer(&awaiting(state::PLACED, jazz.clone(), text("status")));
    assert!(out.replies[0].body().ends_with(
        "Payment: not received yet. Please send the payment screenshot here after paying."
    ));
    jazz.payment
        .submit_proof("p.jpg".into(), "h".into())
        .unwrap_or_else(|e| panic!("{e}"));
    let out = RulesAgent.answer(&awaiting(state::PLACED, jazz.clone(), text("status")));
    assert!(
        out.replies[0]
            .body()
            .ends_with("Payment: we are checking your screenshot.")
    );
    jazz.payment.approve().unwrap_or_else(|e| panic!("{e}"));
    let out = RulesAgent.answer(&awaiting(state::PLACED, jazz, text("status")));
    assert!(
        out.replies[0]
            .body()
            .ends_with("Payment: received, thank you.")
    );
}

#[test]
fn a_new_item_while_an_order_is_in_progress_needs_new_order_first() {
    let mut chat = Chat::new();
    chat.input.order = Some(ready_order().with_status(OrderStatus::Preparing));
    chat.input.state = state::PLACED.to_owned();
    let out = chat.say("2 zinger");
    assert!(out.actions.is_empty());
    assert_eq!(
        out.replies,
        [AgentReply::text(
            "Your order #00ABCD is being prepared. Payment: cash on delivery.\nTo order something else, reply \"new order\"."
        )]
    );
    let out = chat.say("new order");
    assert_eq!(
        out.replies,
        [menu_reply("Sure! What would you like to order?")]
    );
    assert_eq!(out.context, Some(json!({"new_order": true})));
    let out = chat.say("2 zinger");
    assert_eq!(out.actions, [add(ZINGER, 2)]);
    assert_eq!(
        out.replies,
        [cart_reply(ZINGER_ADDED)],
        "the new cart starts empty"
    );
    assert_eq!(out.context, Some(json!({})));
}

#[test]
fn images_and_other_messages_get_a_polite_text() {
    let out = ask(CustomerInput::Image { caption: None });
    assert_eq!(
        out.replies,
        [AgentReply::text(
            "Thanks! If this is a payment screenshot, please first confirm your order."
        )]
    );
    assert!(out.actions.is_empty());
    let out = ask(CustomerInput::Other {
        kind: "sticker".into(),
    });
    assert_eq!(
        out.replies,
        [AgentReply::text(
            "Sorry, I can only read text, voice notes, locations and button taps. Type \"menu\" to see what we have."
        )]
    );
}

#[test]
fn voice_transcripts_are_read_like_text() {
    let out = ask(CustomerInput::Voice {
        transcript: "Mujhe do zinger burger chahiye".into(),
    });
    assert_eq!(out.actions, [add(ZINGER, 2)]);
}

#[test]
fn refused_actions_are_explained_with_the_next_step_and_no_actions() {
    let mut i = input(text("2 zinger aur fries"));
    i.order = Some(cart(vec![line(ZINGER, "Zinger Burger", 650, 2, None)]));
    i.feedback = vec![ActionRejected {
        action: add(FRIES, 1),
        reason: RejectReason::Unavailable,
        message: "Fries is not available right now.".into(),
    }];
    let out = RulesAgent.answer(&i);
    assert!(out.actions.is_empty());
    assert_eq!(
        out.replies,
        [cart_reply(
            "Sorry! Fries is not available right now.\n\nYour cart:\n2 × Zinger Burger — Rs 1,300\nSubtotal: Rs 1,300"
        )]
    );

    let mut i = awaiting(
        state::AWAITING_CONFIRMATION,
        zinger_and_fries(),
        text("yes"),
    );
    i.feedback = vec![ActionRejected {
        action: AgentAction::ConfirmOrder,
        reason: RejectReason::MissingAddress,
        message: "We need your delivery address first.".into(),
    }];
    let out = RulesAgent.answer(&i);
    assert!(out.actions.is_empty());
    assert_eq!(
        out.replies,
        [AgentReply::LocationRequest {
            text: "Sorry! We need your delivery address first.\n\nWhere should we deliver? Please share your location pin, or type your full address.".into()
        }]
    );
    assert_eq!(out.state.as_deref(), Some(state::AWAITING_ADDRESS));

    let mut i = input(text("3 zinger"));
    i.feedback = vec![ActionRejected {
        action: add(ZINGER, 3),
        reason: RejectReason::UnknownItem,
        message: "We couldn't find that item.".into(),
    }];
    let out = RulesAgent.answer(&i);
    assert!(out.actions.is_empty());
    assert_eq!(
        out.replies,
        [menu_reply(
            "Sorry! We couldn't find that item.\n\nWhat would you like to order?"
        )]
    );
}

#[test]
fn other_context_keys_are_kept() {
    let mut i = input(text("2 burgers"));
    i.context = json!({"lang": "ur"});
    let out = RulesAgent.answer(&i);
    let context = out
        .context
        .unwrap_or_else(|| panic!("a question is pending"));
    assert_eq!(context["lang"], "ur");
    assert_eq!(context["pending"][0]["quantity"], 2);
}

#[test]
fn the_whole_happy_path_across_several_messages() {
    let mut chat = Chat::new();
    let out = chat.say("Assalam o Alaikum");
    assert_eq!(
        out.replies[0].body(),
        "Assalam o Alaikum! Welcome to Karachi Grill. What would you like to order today?"
    );

    let out = chat.send(tap("menu", "View menu"));
    assert!(matches!(out.replies[0], AgentReply::List { .. }));

    let out = chat.send(tap(&format!("item:{ZINGER}"), "Zinger Burger"));
    assert_eq!(out.actions, [add(ZINGER, 1)]);

    let out = chat.say("ek aur zinger aur 1 fries");
    assert_eq!(out.actions, [add(ZINGER, 1), add(FRIES, 1)]);
    assert_eq!(
        out.replies,
        [cart_reply(
            "Added 1 × Zinger Burger and 1 × Fries.\n\nYour cart:\n2 × Zinger Burger — Rs 1,300\n1 × Fries — Rs 250\nSubtotal: Rs 1,550"
        )]
    );

    let out = chat.send(tap("checkout", "Checkout"));
    assert_eq!(out.state.as_deref(), Some(state::AWAITING_ADDRESS));
    assert!(matches!(out.replies[0], AgentReply::LocationRequest { .. }));

    let out = chat.say("House 12, Street 5, DHA Phase 6");
    assert_eq!(out.state.as_deref(), Some(state::AWAITING_PAYMENT));

    let out = chat.send(tap(&format!("pay:{CASH}"), "Cash on delivery"));
    assert_eq!(out.replies, [confirm_reply(SUMMARY_CASH)]);

    let out = chat.send(tap("confirm", "Confirm order"));
    assert_eq!(out.actions, [AgentAction::ConfirmOrder]);
    assert!(out.replies.is_empty());

    let out = chat.say("order kahan hai?");
    assert_eq!(
        out.replies,
        [AgentReply::text(
            "Your order #00ABCD has been placed and is waiting for the restaurant to confirm it. Payment: cash on delivery."
        )]
    );
}

#[test]
fn order_summary_lists_lines_totals_address_and_payment() {
    let mut o = ready_order();
    o.delivery_fee = rs(150);
    assert_eq!(
        order_summary(&o, &methods()),
        "2 × Zinger Burger — Rs 1,300\n1 × Fries — Rs 250\nSubtotal: Rs 1,550\nDelivery: Rs 150\nTotal: Rs 1,700\nAddress: House 12, Street 5, DHA Phase 6\nPayment: Cash on delivery"
    );
    let mut o = cart(vec![line(PIZZA, "Pizza", 1_400, 1, Some("Large"))]);
    o.delivery_location = Some(pin());
    assert_eq!(
        order_summary(&o, &methods()),
        "1 × Pizza (Large) — Rs 1,400\nSubtotal: Rs 1,400\nDelivery: free\nTotal: Rs 1,400\nLocation: https://maps.google.com/?q=24.860700,67.001100\nPayment: not chosen yet"
    );
    let o = cart(Vec::new());
    assert_eq!(
        order_summary(&o, &[]),
        "Subtotal: Rs 0\nDelivery: free\nTotal: Rs 0\nAddress: not given yet\nPayment: not chosen yet"
    );
}

#[test]
fn a_price_question_answers_without_adding() {
    for phrase in [
        "what is the price of zinger",
        "zinger ka rate kya hai",
        "how much is a zinger",
    ] {
        let out = ask(text(phrase));
        assert!(out.actions.is_empty(), "{phrase}");
        assert_eq!(
            out.replies,
            [menu_reply("Zinger Burger — Rs 650")],
            "{phrase}"
        );
    }
    assert_eq!(
        ask(text("burger price")).replies,
        [menu_reply("Zinger Burger — Rs 650\nBeef Burger — Rs 700")]
    );
}

#[test]
fn a_second_word_narrows_a_shared_word() {
    let out = ask(text("burger zinger"));
    assert_eq!(out.actions, [add(ZINGER, 1)]);
    assert_eq!(out.replies.len(), 1, "no question asked");
}

#[test]
fn thanks_gets_a_short_answer_and_keeps_the_state() {
    let out = RulesAgent.answer(&awaiting(
        state::ORDERING,
        zinger_and_fries(),
        text("thanks!"),
    ));
    assert_eq!(
        out.replies,
        [AgentReply::text(
            "You're welcome! Let me know if you need anything else."
        )]
    );
    assert_eq!(out.state.as_deref(), Some(state::ORDERING));
}

#[test]
fn tapping_a_menu_row_while_an_order_is_in_progress_does_not_add() {
    let mut i = awaiting(
        state::PLACED,
        ready_order().with_status(OrderStatus::Placed),
        tap(&format!("item:{FRIES}"), "Fries"),
    );
    i.payment_methods.truncate(1);
    let out = RulesAgent.answer(&i);
    assert!(out.actions.is_empty());
    assert!(out.replies[0].body().ends_with("reply \"new order\"."));
}

#[test]
fn names_with_and_and_many_candidates_are_handled() {
    let mut i = input(text("2 fish and chips aur ek fries"));
    i.menu = vec![
        item(
            "00000000-0000-0000-0000-000000000201",
            "Fish & Chips",
            "Mains",
            900,
        ),
        item(FRIES, "Fries", "Sides", 250),
    ];
    let out = RulesAgent.answer(&i);
    assert_eq!(
        out.actions,
        [
            add("00000000-0000-0000-0000-000000000201", 2),
            add(FRIES, 1)
        ]
    );

    let mut i = input(text("chicken"));
    i.menu = (1..=4)
        .map(|n| {
            item(
                &format!("00000000-0000-0000-0000-00000000030{n}"),
                &format!("Chicken Dish Number {n} Special"),
                "Mains",
                500,
            )
        })
        .collect();
    let out = RulesAgent.answer(&i);
    let AgentReply::List { text, button, rows } = &out.replies[0] else {
        panic!("{out:?}");
    };
    assert_eq!(
        (text.as_str(), button.as_str(), rows.len()),
        ("Which \"chicken\" would you like?", "Choose", 4)
    );
    assert_eq!(
        rows[0].title, "Chicken Dish Number 1 S…",
        "titles fit 24 characters"
    );
    assert_eq!(rows[0].id, "item:00000000-0000-0000-0000-000000000301");
}

#[test]
fn while_awaiting_the_address_commands_still_work() {
    let out = RulesAgent.answer(&awaiting(
        state::AWAITING_ADDRESS,
        zinger_and_fries(),
        text("I want to talk to a human please"),
    ));
    assert!(matches!(out.actions[..], [AgentAction::Handover { .. }]));
    let out = RulesAgent.answer(&awaiting(
        state::AWAITING_ADDRESS,
        zinger_and_fries(),
        text("Flat 3, Menu Street, Block 5, Clifton"),
    ));
    assert_eq!(
        out.actions,
        [AgentAction::SetAddress {
            address: "Flat 3, Menu Street, Block 5, Clifton".to_owned()
        }],
        "a long text naming a street is an address"
    );
    let out = RulesAgent.answer(&awaiting(
        state::AWAITING_ADDRESS,
        zinger_and_fries(),
        text("1 more fries"),
    ));
    assert_eq!(
        out.actions,
        [add(FRIES, 1)],
        "a clean order is not an address"
    );
}

#[test]
fn another_command_drops_an_open_question() {
    let mut chat = Chat::new();
    chat.say("2 burgers");
    let out = chat.say("menu");
    assert!(matches!(out.replies[0], AgentReply::List { .. }));
    assert_eq!(out.context, Some(json!({})));
    let out = chat.send(tap(&format!("item:{BEEF}"), "Beef Burger"));
    assert_eq!(out.actions, [add(BEEF, 1)], "the old quantity is forgotten");
}

#[test]
fn button_titles_fit_twenty_characters() {
    let mut i = input(text("pizza"));
    i.menu = vec![
        item(
            "00000000-0000-0000-0000-000000000401",
            "Chicken Tikka Pizza Family Size",
            "Pizza",
            1_800,
        ),
        item(
            "00000000-0000-0000-0000-000000000402",
            "Fajita Pizza",
            "Pizza",
            1_600,
        ),
    ];
    let out = RulesAgent.answer(&i);
    let AgentReply::Buttons { buttons, text } = &out.replies[0] else {
        panic!("{out:?}");
    };
    assert_eq!(buttons[0].title, "Chicken Tikka Pizza…");
    assert_eq!(buttons[1].title, "Fajita Pizza");
    assert!(
        text.contains("Chicken Tikka Pizza Family Size — Rs 1,800"),
        "the full name is in the text"
    );
}

#[test]
fn a_refused_payment_method_is_offered_again_without_choosing() {
    let mut i = awaiting(
        state::AWAITING_ADDRESS,
        with_address(zinger_and_fries()),
        text("House 12, Street 5, DHA Phase 6"),
    );
    i.payment_methods.truncate(1);
    i.feedback = vec![ActionRejected {
        action: AgentAction::ChoosePayment {
            method: CASH.to_owned(),
        },
        reason: RejectReason::UnknownPaymentMethod,
        message: "That payment method is not available.".into(),
    }];
    let out = RulesAgent.answer(&i);
    assert!(
        out.actions.is_empty(),
        "the same choice would be refused again"
    );
    assert_eq!(
        out.replies,
        [AgentReply::Buttons {
            text: "Sorry! That payment method is not available.\n\nHow would you like to pay? Your total is Rs 1,700.".to_owned(),
            buttons: vec![button(&format!("pay:{CASH}"), "Cash on delivery")],
        }]
    );
    assert_eq!(out.state.as_deref(), Some(state::AWAITING_PAYMENT));
}
