//! The owner's side of ordering: the menu, payment methods and ordering settings; orders and
//! their lifecycle; the payment-verification queue; riders; pausing the agent for one
//! conversation. Every change that tells the customer something saves the order and the
//! message in one tenant transaction, then queues the message in the outbox under the
//! message's own idempotency key.
//!
//! The parts: [`service`] (the service, its error and field checks), [`menu`],
//! [`payment_methods`], [`settings`], [`orders`] (lists, details, save and tell),
//! [`lifecycle`] (status and payment verification), [`riders`] and [`conversations`].

mod conversations;
mod lifecycle;
mod menu;
mod orders;
mod payment_methods;
mod riders;
mod service;
mod settings;

pub use menu::MenuItemInput;
pub use orders::{ListedOrder, Notice, OrderDetail, OrderUpdate};
pub use payment_methods::PaymentMethodInput;
pub use service::{Commerce, CommerceError};
