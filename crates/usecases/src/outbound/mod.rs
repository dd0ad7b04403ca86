//! Sending: [`WhatsAppService`] queues messages in the outbox (the only way anything is sent),
//! and [`OutboxDispatcher`] delivers one claimed message to Meta and records the outcome.
//! Rate limits (per number, per recipient) and the sender leases are applied by the worker
//! loop that calls the dispatcher; the rules Meta's answers imply live here.
//!
//! The parts: [`send`] (queuing), [`dispatch`] (delivering one message), [`record`]
//! (recording its outcome) and [`requeue`] (parked messages back in the queue).

mod dispatch;
mod record;
mod requeue;
mod send;

pub use dispatch::{Delivery, DispatchPorts, OutboxDispatcher, RetryPolicy};
pub use requeue::requeue_failed;
pub use send::{Queued, SendError, SendOptions, WhatsAppService};
