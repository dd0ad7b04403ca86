//! The per-aggregate tenant ports on SQL, one file per port: every method resolves the store
//! to its own pool first, so a query can only ever reach that store's database. Each query is
//! written once for both engines. The rows and the shared write transaction have their own
//! files.

mod agent_tokens;
mod conversations;
mod customers;
mod db;
mod menu;
pub(crate) mod message_rows;
mod messages;
pub(crate) mod order_rows;
mod orders;
mod payment_methods;
mod settings;
pub(crate) mod tx;
