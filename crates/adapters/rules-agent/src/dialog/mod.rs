//! One turn of the conversation: read the message, decide the actions, and word the replies
//! from the projected cart (the open cart with those actions applied).
//!
//! The working memory (`context`) holds two keys of ours and keeps any other key as it was:
//! `pending`, the questions still to answer (which item, which variant) with the quantity the
//! customer gave, and `new_order`, set when the customer asked to start another order while one
//! is in progress.

use omni_domain::{OrderStatus, PaymentMethod};
use omni_ports::{AgentAction, AgentInput, AgentOutput, AgentReply, CustomerInput};
use serde_json::{Map, Value, json};

use crate::cart::Cart;
use crate::parse::Index;
use crate::replies::{self, ids};
use crate::state;
use crate::text::{PRICE_WORDS, has_any, has_phrase, is_greeting, tokens};

mod checkout;
mod items;

/// A question waiting for the customer's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Ask {
    /// Which of several items.
    Item {
        candidates: Vec<String>,
        quantity: u32,
        variant: Option<String>,
        words: String,
    },
    /// Which variant of an item.
    Variant { item: String, quantity: u32 },
}

impl Ask {
    fn to_json(&self) -> Value {
        match self {
            Self::Item {
                candidates,
                quantity,
                variant,
                words,
            } => json!({"ask": "item", "candidates": candidates, "quantity": quantity,
                        "variant": variant, "words": words}),
            Self::Variant { item, quantity } => {
                json!({"ask": "variant", "item": item, "quantity": quantity})
            }
        }
    }

    fn from_json(v: &Value) -> Option<Self> {
        let quantity = u32::try_from(v.get("quantity")?.as_u64()?).ok()?;
        match v.get("ask")?.as_str()? {
            "item" => Some(Self::Item {
                candidates: v
                    .get("candidates")?
                    .as_array()?
                    .iter()
                    .filter_map(|c| c.as_str().map(str::to_owned))
                    .collect(),
                quantity,
                variant: v.get("variant").and_then(Value::as_str).map(str::to_owned),
                words: v.get("words")?.as_str()?.to_owned(),
            }),
            "variant" => Some(Self::Variant {
                item: v.get("item")?.as_str()?.to_owned(),
                quantity,
            }),
            _ => None,
        }
    }
}

/// An item request after matching: what the customer wants, before checks.
struct Want {
    candidates: Vec<usize>,
    quantity: Option<u32>,
    variant: Option<Vec<String>>,
    words: String,
}

/// The turn being built.
pub(crate) struct Turn<'a> {
    input: &'a AgentInput,
    index: Index,
    cart: Cart,
    actions: Vec<AgentAction>,
    replies: Vec<AgentReply>,
    state: String,
    asks: Vec<Ask>,
    old_asks: Vec<Ask>,
    new_order: bool,
}

const HANDOVER_WORDS: &[&str] = &[
    "human",
    "agent",
    "manager",
    "insaan",
    "insan",
    "representative",
    "staff",
];
const HANDOVER_PHRASES: &[&str] = &[
    "talk to someone",
    "speak to someone",
    "real person",
    "customer service",
    "customer care",
];
const CANCEL_WORDS: &[&str] = &["cancel", "cancle", "cancell", "cancelled"];
const CHECKOUT_WORDS: &[&str] = &[
    "checkout", "done", "bas", "confirm", "proceed", "finish", "finalize",
];
const CHECKOUT_PHRASES: &[&str] = &[
    "check out",
    "thats all",
    "that is all",
    "place order",
    "place my order",
];
const STATUS_WORDS: &[&str] = &["status", "cart", "basket", "track", "kahan", "kidhar"];
const STATUS_PHRASES: &[&str] = &["my order", "mera order", "where is", "order kahan"];
const MENU_WORDS: &[&str] = &["menu", "menue", "manu", "list", "dikhao", "options"];
const MENU_PHRASES: &[&str] = &["what do you have", "kya hai", "kya kya hai"];
const YES_WORDS: &[&str] = &[
    "yes",
    "y",
    "haan",
    "han",
    "haa",
    "ji",
    "jee",
    "ok",
    "okay",
    "confirm",
    "confirmed",
    "sure",
    "yup",
    "yeah",
    "theek",
    "thik",
    "done",
    "bilkul",
];
const NO_WORDS: &[&str] = &["no", "nahi", "nahin", "nai", "nope", "na"];
const REMOVE_WORDS: &[&str] = &[
    "remove", "delete", "hatao", "hata", "hatado", "nikalo", "nikal", "nikaal",
];
const SET_WORDS: &[&str] = &[
    "make", "kar", "karo", "kardo", "krdo", "change", "set", "update",
];
const THANKS_WORDS: &[&str] = &[
    "thanks",
    "thank",
    "thx",
    "shukriya",
    "shukria",
    "ok",
    "okay",
    "great",
    "jazakallah",
];
const ADD_WORDS: &[&str] = &["add", "more", "aur", "and", "extra"];

impl<'a> Turn<'a> {
    pub(crate) fn new(input: &'a AgentInput) -> Self {
        let old_asks = input
            .context
            .get("pending")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Ask::from_json).collect())
            .unwrap_or_default();
        let new_order = input
            .context
            .get("new_order")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        Self {
            input,
            index: Index::new(&input.menu, |_| true),
            cart: Cart::of(input.order.as_ref(), input.store.currency),
            actions: Vec::new(),
            replies: Vec::new(),
            state: input.state.clone(),
            asks: Vec::new(),
            old_asks,
            new_order,
        }
    }

    pub(crate) fn finish(self) -> AgentOutput {
        let mut context = match &self.input.context {
            Value::Object(map) => map.clone(),
            _ => Map::new(),
        };
        if self.asks.is_empty() {
            context.remove("pending");
        } else {
            let pending = self.asks.iter().map(Ask::to_json).collect();
            context.insert("pending".to_owned(), Value::Array(pending));
        }
        if self.new_order {
            context.insert("new_order".to_owned(), Value::Bool(true));
        } else {
            context.remove("new_order");
        }
        let context = Value::Object(context);
        AgentOutput {
            replies: self.replies,
            actions: self.actions,
            state: Some(self.state),
            context: (context != self.input.context).then_some(context),
            tokens_used: 0,
        }
    }

    fn act(&mut self, action: AgentAction) {
        self.cart.apply(&action, &self.input.menu);
        self.actions.push(action);
    }

    fn reply(&mut self, reply: AgentReply, state: &str) {
        self.replies.push(reply);
        state.clone_into(&mut self.state);
    }

    /// An answer that changes nothing: the state and the open questions stay.
    fn inform(&mut self, reply: AgentReply) {
        self.replies.push(reply);
        self.asks = std::mem::take(&mut self.old_asks);
    }

    fn idle_state(&self) -> &'static str {
        if self.cart.items.is_empty() {
            state::BROWSING
        } else {
            state::ORDERING
        }
    }

    /// The open order when it is placed and still going (not a cart, not final).
    fn placed(&self) -> Option<&'a omni_domain::Order> {
        self.input
            .order
            .as_ref()
            .filter(|o| o.status() != OrderStatus::Cart && !o.status().is_final())
    }

    fn has_cart(&self) -> bool {
        self.input
            .order
            .as_ref()
            .is_some_and(|o| o.status() == OrderStatus::Cart)
    }

    fn active_methods(&self) -> Vec<&'a PaymentMethod> {
        self.input
            .payment_methods
            .iter()
            .filter(|m| m.active)
            .collect()
    }

    pub(crate) fn dispatch(&mut self) {
        match &self.input.message {
            CustomerInput::Text { text } | CustomerInput::Voice { transcript: text } => {
                self.on_text(text);
            }
            CustomerInput::Choice { id, title } => self.on_choice(id, title),
            CustomerInput::Location { point } => {
                if self.has_cart() && !self.cart.items.is_empty() {
                    self.act(AgentAction::SetLocation {
                        point: point.clone(),
                    });
                    self.next_step(true, "");
                } else if let Some(order) = self.placed() {
                    self.inform(AgentReply::text(replies::cannot_change(order)));
                } else {
                    let s = self.idle_state();
                    self.reply(replies::with_menu_button(replies::LOCATION_NO_CART), s);
                }
            }
            CustomerInput::Image { .. } => self.inform(AgentReply::text(replies::IMAGE)),
            CustomerInput::Other { .. } => self.inform(AgentReply::text(replies::OTHER)),
        }
    }

    fn on_choice(&mut self, id: &str, title: &str) {
        match id {
            ids::MENU => return self.menu(),
            ids::CART => return self.my_order(),
            ids::CHECKOUT => return self.checkout(),
            ids::CANCEL => return self.cancel(),
            ids::CONFIRM => return self.confirm(),
            _ => {}
        }
        if let Some(item_id) = id.strip_prefix(ids::ITEM)
            && let Some(pos) = self
                .input
                .menu
                .iter()
                .position(|m| m.id.to_string() == item_id)
        {
            let mut quantity = None;
            let mut variant = None;
            let mut rest = std::mem::take(&mut self.old_asks);
            if let Some(Ask::Item {
                candidates,
                quantity: q,
                variant: v,
                ..
            }) = rest.first()
                && candidates.iter().any(|c| c == item_id)
            {
                quantity = Some(*q);
                variant = v.as_ref().map(|v| tokens(v));
                rest.remove(0);
            }
            let words = self.input.menu[pos].name.clone();
            return self.order_items(
                vec![Want {
                    candidates: vec![pos],
                    quantity,
                    variant,
                    words,
                }],
                false,
                rest,
            );
        }
        if let Some(rest_id) = id.strip_prefix(ids::VARIANT)
            && let Some((item_id, name)) = rest_id.split_once(':')
            && let Some(pos) = self
                .input
                .menu
                .iter()
                .position(|m| m.id.to_string() == item_id)
        {
            let mut rest = std::mem::take(&mut self.old_asks);
            let mut quantity = None;
            if let Some(Ask::Variant { item, quantity: q }) = rest.first()
                && item == item_id
            {
                quantity = Some(*q);
                rest.remove(0);
            }
            let words = self.input.menu[pos].name.clone();
            return self.order_items(
                vec![Want {
                    candidates: vec![pos],
                    quantity,
                    variant: Some(tokens(name)),
                    words,
                }],
                false,
                rest,
            );
        }
        if let Some(method_id) = id.strip_prefix(ids::PAY)
            && let Some(method) = self
                .active_methods()
                .into_iter()
                .find(|m| m.id.to_string() == method_id)
        {
            return self.choose_payment(method);
        }
        self.on_text(title);
    }

    fn on_text(&mut self, text: &str) {
        let words = tokens(text);
        if words.is_empty() {
            return self.inform(replies::with_menu_button(replies::NOT_UNDERSTOOD));
        }
        if has_any(&words, HANDOVER_WORDS) || HANDOVER_PHRASES.iter().any(|p| has_phrase(&words, p))
        {
            self.act(AgentAction::Handover {
                reason: Some(replies::HANDOVER_REASON.to_owned()),
            });
            return self.reply(AgentReply::text(replies::HANDOVER), state::HANDOVER);
        }
        if has_any(&words, CANCEL_WORDS) {
            return self.cancel();
        }
        let parsed = self.index.parse(&words);
        if self.answer_pending(&words, &parsed) {
            return;
        }
        let no_items = parsed.segments.is_empty();
        if self.state == state::AWAITING_CONFIRMATION && no_items {
            if has_any(&words, NO_WORDS) {
                let reply = AgentReply::Buttons {
                    text: replies::NO_PROBLEM.to_owned(),
                    buttons: vec![
                        replies::menu_button(),
                        replies::button(ids::CANCEL, "Cancel"),
                    ],
                };
                return self.reply(reply, state::ORDERING);
            }
            if has_any(&words, YES_WORDS) {
                return self.confirm();
            }
        }
        let choosing_payment =
            self.state == state::AWAITING_PAYMENT || self.state == state::AWAITING_CONFIRMATION;
        if choosing_payment && no_items && self.has_cart() {
            match self.named_method(&words) {
                Some(Ok(method)) => return self.choose_payment(method),
                Some(Err(kind)) => {
                    let prefix = format!("Sorry, we don't take {}. ", replies::kind_text(kind));
                    return self.next_step(false, &prefix);
                }
                None => {}
            }
        }
        let command = is_command(&words);
        if self.state == state::AWAITING_ADDRESS
            && self.has_cart()
            && !command
            && !parsed.is_clean()
        {
            let address = text.trim();
            if address.chars().count() >= 8 {
                self.act(AgentAction::SetAddress {
                    address: address.to_owned(),
                });
                return self.next_step(true, "");
            }
            return self.reply(
                AgentReply::LocationRequest {
                    text: replies::ADDRESS_TOO_SHORT.to_owned(),
                },
                state::AWAITING_ADDRESS,
            );
        }
        if has_phrase(&words, "new order") {
            self.new_order = true;
            if !no_items {
                return self.items(parsed, &words);
            }
            if self.has_cart() && !self.cart.items.is_empty() {
                return self.my_order();
            }
            return self.reply(
                replies::with_menu_button(replies::NEW_ORDER),
                state::BROWSING,
            );
        }
        if has_any(&words, REMOVE_WORDS) {
            return self.remove(parsed);
        }
        if !no_items && (has_any(&words, PRICE_WORDS) || has_phrase(&words, "how much")) {
            return self.prices(&parsed);
        }
        if !no_items {
            return self.items(parsed, &words);
        }
        if has_any(&words, CHECKOUT_WORDS) || CHECKOUT_PHRASES.iter().any(|p| has_phrase(&words, p))
        {
            return self.checkout();
        }
        if has_any(&words, STATUS_WORDS) || STATUS_PHRASES.iter().any(|p| has_phrase(&words, p)) {
            return self.my_order();
        }
        if has_any(&words, MENU_WORDS) || MENU_PHRASES.iter().any(|p| has_phrase(&words, p)) {
            return self.menu();
        }
        if words.iter().any(|w| is_greeting(w)) {
            let s = self.idle_state();
            return self.reply(
                replies::welcome(&self.input.store.name, self.input.customer_name.as_deref()),
                s,
            );
        }
        if has_any(&words, THANKS_WORDS) {
            return self.inform(AgentReply::text(replies::THANKS));
        }
        self.inform(replies::with_menu_button(replies::NOT_UNDERSTOOD));
    }

    fn menu(&mut self) {
        let s = self.idle_state();
        self.reply(replies::menu(&self.input.store.name, &self.input.menu), s);
    }
}

/// Words that make a message a command, so it is never taken for an address: asking for a
/// person or to cancel, anywhere; a short message (five words or fewer) with a menu, checkout,
/// status or remove word; only greetings; "new order". A longer text with "menu" in it ("Menu
/// Street, Block 5") is an address.
fn is_command(words: &[String]) -> bool {
    let short: [&[&str]; 4] = [CHECKOUT_WORDS, STATUS_WORDS, MENU_WORDS, REMOVE_WORDS];
    has_any(words, HANDOVER_WORDS)
        || HANDOVER_PHRASES.iter().any(|p| has_phrase(words, p))
        || has_any(words, CANCEL_WORDS)
        || (words.len() <= 5 && short.iter().any(|l| has_any(words, l)))
        || words.iter().all(|w| is_greeting(w))
        || has_phrase(words, "new order")
}

/// "2 × Zinger Burger (Large)".
fn label(quantity: u32, name: &str, variant: Option<&str>) -> String {
    match variant {
        Some(v) => format!("{quantity} × {name} ({v})"),
        None => format!("{quantity} × {name}"),
    }
}

/// "a", "a and b", "a, b and c".
fn join_and(parts: &[String]) -> String {
    join_with(parts, " and ")
}

fn join_or(parts: &[String]) -> String {
    join_with(parts, " or ")
}

fn join_with(parts: &[String], last: &str) -> String {
    match parts {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., tail] => format!("{}{last}{tail}", init.join(", ")),
    }
}
