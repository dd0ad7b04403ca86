//! A store's own database, one port per aggregate: the database itself, customers,
//! conversations (with the inbound transactions), messages, menu, payment methods, orders,
//! settings and the agent's token count. Every method takes the store first; an adapter
//! resolves it to that store's database and nothing else, so one store's data is never
//! reachable through another store's id.
//!
//! [`TenantRepoPort`] and [`CommerceRepo`] are the bundles the use cases held before the
//! split; each is implemented for every type that implements its parts, so an adapter only
//! implements the per-aggregate traits.

mod agent_tokens;
mod conversations;
mod customers;
mod db;
mod menu;
mod messages;
mod orders;
mod payment_methods;
mod settings;

pub use agent_tokens::AgentTokenRepo;
pub use conversations::{
    Completion, ConversationRepo, InboundRecord, RecordedInbound, Reply, SavedReply,
};
pub use customers::CustomerRepo;
pub use db::TenantDbRepo;
pub use menu::MenuRepo;
pub use messages::{MessageRepo, StatusOutcome};
pub use orders::{OrderFilter, OrderRepo, OrderWrite};
pub use payment_methods::PaymentMethodRepo;
pub use settings::StoreSettingsRepo;

/// The conversation core of a store's database: what the inbound pipeline, the outbound
/// sender and the registry use. A bundle: implemented for every type with all its parts.
pub trait TenantRepoPort:
    TenantDbRepo
    + CustomerRepo
    + ConversationRepo
    + MessageRepo
    + MenuRepo
    + PaymentMethodRepo
    + OrderRepo
    + StoreSettingsRepo
{
}

impl<T> TenantRepoPort for T where
    T: TenantDbRepo
        + CustomerRepo
        + ConversationRepo
        + MessageRepo
        + MenuRepo
        + PaymentMethodRepo
        + OrderRepo
        + StoreSettingsRepo
        + ?Sized
{
}

/// The commerce side of a store's database: menu and payment-method management, settings,
/// orders, customers and conversations the owner console reads, the agent's token budget. A
/// bundle: implemented for every type with all its parts.
pub trait CommerceRepo:
    MenuRepo
    + PaymentMethodRepo
    + StoreSettingsRepo
    + OrderRepo
    + CustomerRepo
    + ConversationRepo
    + AgentTokenRepo
{
}

impl<T> CommerceRepo for T where
    T: MenuRepo
        + PaymentMethodRepo
        + StoreSettingsRepo
        + OrderRepo
        + CustomerRepo
        + ConversationRepo
        + AgentTokenRepo
        + ?Sized
{
}
