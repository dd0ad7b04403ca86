//! The AI agent that answers customers. It reads the store's menu and the conversation and
//! answers with reply messages and typed actions; it never writes anything itself. The core
//! (`omni_usecases::agent`) validates every action against the domain, tells the agent what it
//! refused, and saves the conversation, the order and the replies in one tenant transaction.

use async_trait::async_trait;
use omni_domain::{
    Currency, GeoPoint, MenuItem, Message, Order, PaymentMethod, StoreId, StoreKind, StoreSettings,
};
use serde::{Deserialize, Serialize};

use crate::BoxError;

/// The store as the agent sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoreProfile {
    /// Id.
    pub id: StoreId,
    /// Name ("Karachi Grill").
    pub name: String,
    /// Restaurant or shop.
    pub kind: StoreKind,
    /// Currency of every price.
    pub currency: Currency,
    /// Delivery fee, minimum order, voice replies.
    pub settings: StoreSettings,
}

/// What the customer sent, made readable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CustomerInput {
    /// A text.
    Text {
        /// The text.
        text: String,
    },
    /// A voice note, transcribed.
    Voice {
        /// What the customer said.
        transcript: String,
    },
    /// A location pin.
    Location {
        /// The pin.
        point: GeoPoint,
    },
    /// A reply button or list row the customer tapped.
    Choice {
        /// The id we gave it.
        id: String,
        /// Its title.
        title: String,
    },
    /// An image that is not a payment proof the core expected.
    Image {
        /// Its caption.
        caption: Option<String>,
    },
    /// Anything else (sticker, document, reaction).
    Other {
        /// Meta's type.
        kind: String,
    },
}

/// Everything the agent gets for one customer message.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentInput {
    /// The store.
    pub store: StoreProfile,
    /// The whole menu (unavailable items included, marked).
    pub menu: Vec<MenuItem>,
    /// The payment methods offered now.
    pub payment_methods: Vec<PaymentMethod>,
    /// The customer's profile name.
    pub customer_name: Option<String>,
    /// The conversation's state (the agent's own label, "new" at first).
    pub state: String,
    /// The conversation's working memory (the agent's own JSON object).
    pub context: serde_json::Value,
    /// The last messages of the conversation, oldest first (this one included).
    pub recent: Vec<Message>,
    /// The customer's open order (a cart, or placed and not yet delivered), when any.
    pub order: Option<Order>,
    /// This message.
    pub message: CustomerInput,
    /// Whether free-form replies are allowed (the 24-hour window is open).
    pub window_open: bool,
    /// Actions of the previous attempt at this message that the core refused, and why. Empty
    /// on the first attempt.
    pub feedback: Vec<ActionRejected>,
}

/// One row of a list reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListRow {
    /// Our id, echoed back when tapped.
    pub id: String,
    /// Title (at most 24 characters).
    pub title: String,
    /// Description (at most 72 characters).
    pub description: Option<String>,
}

/// A reply button.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Button {
    /// Our id, echoed back when tapped.
    pub id: String,
    /// Title (at most 20 characters).
    pub title: String,
}

/// One reply message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AgentReply {
    /// Text.
    Text {
        /// The text.
        text: String,
    },
    /// Text with up to three reply buttons.
    Buttons {
        /// The text.
        text: String,
        /// The buttons.
        buttons: Vec<Button>,
    },
    /// Text with a list of up to ten rows behind a button.
    List {
        /// The text.
        text: String,
        /// The button's label.
        button: String,
        /// The rows.
        rows: Vec<ListRow>,
    },
    /// Ask for the customer's location pin.
    LocationRequest {
        /// The text.
        text: String,
    },
}

impl AgentReply {
    /// A plain text reply.
    #[must_use]
    pub fn text(text: impl Into<String>) -> Self {
        Self::Text { text: text.into() }
    }

    /// The reply's text.
    #[must_use]
    pub fn body(&self) -> &str {
        match self {
            Self::Text { text }
            | Self::Buttons { text, .. }
            | Self::List { text, .. }
            | Self::LocationRequest { text } => text,
        }
    }
}

/// A change the agent asks for. Items and payment methods are named by id, or by name
/// (matched without case); the core resolves and checks them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum AgentAction {
    /// Add `quantity` of an item (to the cart; a cart is opened when there is none).
    AddItem {
        /// Menu item id or name.
        item: String,
        /// How many (1 to 99).
        quantity: u32,
        /// Variant name, for items with variants.
        #[serde(default)]
        variant: Option<String>,
    },
    /// Remove an item from the cart.
    RemoveItem {
        /// Menu item id or name.
        item: String,
    },
    /// Set an item's quantity in the cart (0 removes it).
    SetQuantity {
        /// Menu item id or name.
        item: String,
        /// New quantity (0 to 99).
        quantity: u32,
    },
    /// The delivery address as the customer wrote it.
    SetAddress {
        /// The address.
        address: String,
    },
    /// The delivery location pin.
    SetLocation {
        /// The pin.
        point: GeoPoint,
    },
    /// The payment method.
    ChoosePayment {
        /// Payment method id, kind (`cash_on_delivery`, `jazzcash`, ...) or label.
        method: String,
    },
    /// Place the order (cart -> placed). The core then sends the summary and, for a transfer,
    /// the payment instructions and the exact amount.
    ConfirmOrder,
    /// Cancel the open order.
    CancelOrder,
    /// Hand the conversation to a person: the agent pauses until the owner resumes it.
    Handover {
        /// Why, for the owner.
        #[serde(default)]
        reason: Option<String>,
    },
}

/// Why the core refused an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    /// No such menu item.
    UnknownItem,
    /// The item is not available now.
    Unavailable,
    /// The item has variants and this is none of them (or one is needed).
    UnknownVariant,
    /// Quantity out of range.
    InvalidQuantity,
    /// The item is not in the cart.
    NotInCart,
    /// There is no open order.
    NoOrder,
    /// The order can no longer change this way (placed, paid, delivered).
    IllegalTransition,
    /// The cart is empty.
    EmptyCart,
    /// The subtotal is below the store's minimum order.
    BelowMinimum,
    /// No delivery address or location yet.
    MissingAddress,
    /// No payment method chosen yet.
    MissingPayment,
    /// No such payment method.
    UnknownPaymentMethod,
    /// A bad value (coordinates, an empty address).
    InvalidValue,
}

/// An action the core refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionRejected {
    /// The action.
    pub action: AgentAction,
    /// Why.
    pub reason: RejectReason,
    /// A sentence the customer could be shown.
    pub message: String,
}

/// The agent's answer.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AgentOutput {
    /// Messages to send, in order.
    pub replies: Vec<AgentReply>,
    /// Changes to make, in order.
    pub actions: Vec<AgentAction>,
    /// The conversation's new state label; `None` keeps it.
    pub state: Option<String>,
    /// The conversation's new working memory; `None` keeps it.
    pub context: Option<serde_json::Value>,
    /// Model tokens spent (0 for an agent without a model), counted against the store's daily
    /// budget.
    pub tokens_used: u64,
}

/// The agent failed.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// Timed out, unreachable or answered nonsense: fall back.
    #[error("agent unavailable")]
    Unavailable(#[source] BoxError),
    /// Over the store's daily budget.
    #[error("agent budget exhausted")]
    BudgetExhausted,
}

/// Answers a customer.
#[async_trait]
pub trait AiAgentPort: Send + Sync {
    /// A short name for logs and metrics ("rules", "llm").
    fn name(&self) -> &'static str;

    /// Produces replies and actions for one inbound message.
    ///
    /// # Errors
    /// [`AgentError`]; the core falls back to the rule-based agent.
    async fn respond(&self, input: &AgentInput) -> Result<AgentOutput, AgentError>;
}

/// Speech to text and back (an OpenAI-compatible `/audio/transcriptions` and `/audio/speech`).
#[async_trait]
pub trait SpeechPort: Send + Sync {
    /// Transcribes a voice note.
    ///
    /// # Errors
    /// Unreachable, timed out or refused.
    async fn transcribe(&self, audio: &[u8], mime_type: &str) -> Result<String, BoxError>;

    /// Speaks a text; returns the audio bytes and their MIME type (`audio/ogg` with Opus, which
    /// WhatsApp plays as a voice note).
    ///
    /// # Errors
    /// Unreachable, timed out or refused.
    async fn synthesize(&self, text: &str) -> Result<(Vec<u8>, String), BoxError>;
}
