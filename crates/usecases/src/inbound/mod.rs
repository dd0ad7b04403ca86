//! Processing one inbox event: route it to its store, store it in the store's own database,
//! let the conversation handler answer, and queue the answers in the outbox.
//!
//! Exactly-once, across crashes and redeliveries, comes from three idempotent steps:
//! 1. `record_inbound` stores the message once per wamid (a redelivery finds it);
//! 2. `complete_inbound` saves the handler's replies (each history message with the exact
//!    content to send) under idempotency keys derived from the inbound wamid and marks the
//!    message handled, in one tenant transaction;
//! 3. the outbox enqueue is keyed by the same idempotency keys.
//!
//! A crash between 1 and 2 runs the handler again (nothing of the first run was kept); a
//! crash between 2 and 3 re-enqueues the saved replies with their saved contents; neither sends anything twice.
//!
//! The parts: [`route`] finds the store of a number (live accounts, cached briefly, and the
//! legacy single number); [`message`] stores a customer message, asks the handler and queues
//! its replies; [`status`] applies delivery statuses; [`management`] records and applies
//! account and template events; [`content`] converts between outbound content and stored
//! message bodies; [`processor`] holds the ports and dispatches each event. The handler types
//! live in [`crate::conversation`].

mod content;
mod management;
mod message;
mod observer;
mod processor;
mod route;
mod status;

pub use crate::conversation::{AutoReply, ConversationHandler, Decision, ProcessError, Turn};
pub use message::reply_key;
pub use observer::ManagementObserver;
pub use processor::{InboxPorts, InboxProcessor};
pub use route::LegacyRoute;
