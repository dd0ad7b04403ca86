//! The ordering agent's core: the [`crate::conversation::ConversationHandler`] that turns a customer's message into
//! the agent's input, asks the agent (the model when configured and within budget, else the
//! rule-based agent), validates every action against the domain, and hands back one
//! [`crate::conversation::Decision`] that the inbox processor saves in one tenant transaction: conversation state
//! and context, the order change, the replies, the transcript and the kept media.
//!
//! Voice notes are downloaded and transcribed before the agent sees them; payment screenshots
//! for an order that waits for one are downloaded, checked against Meta's SHA-256, kept in
//! the media store and put before the owner, without the agent.
//!
//! The parts: [`config`] (ports and limits), [`handler`] (the handler and what needs no
//! agent), [`turn`] (a turn the agent answers), [`ask`] (model or rules, and the second
//! ask), [`apply`] (the cart rules), [`media`], [`voice`], [`reply`] (input and output
//! conversions) and [`text`] (what the core says).

mod apply;
mod ask;
mod config;
mod handler;
mod media;
mod reply;
pub mod text;
mod turn;
mod voice;

pub use apply::{
    Cart, Effect, MAX_ADDRESS_CHARS, MAX_QUANTITY, awaits_proof, find_item, find_method,
};
pub use config::{AgentConfig, AgentPorts, ModelAgent};
pub use handler::AgentHandler;
pub use media::{proof_key, sha256_hex};
pub use reply::content_of_reply;
