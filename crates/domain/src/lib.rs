//! OmniPortal's domain: the values and rules of stores, WhatsApp accounts, owners, orders and
//! payments. Pure: no IO, no async, no framework or driver types. Values are built valid
//! (`parse`/`new` return errors), so code holding one never re-checks it.

mod account;
mod account_meta;
mod account_rules;
mod commerce;
mod conversation;
mod enums;
mod ids;
mod money;
mod order;
mod owner;
mod phone;
mod store;
mod tenant;

pub use account::{
    AccountStatus, LimitTier, MessagingLimits, QualityRating, SealedSecret, ThroughputLevel,
    WhatsappAccount,
};
pub use account_meta::AccountMeta;
pub use account_rules::{DropKind, HealthDrop, Severity, health_drops};
pub use commerce::{GeoPoint, InvalidGeoPoint, MenuVariant, Rider, StoreSettings, TemplateRef};
pub use conversation::{
    Conversation, ConversationState, Customer, ParseConversationStateError, ParseWaIdError,
};
pub use enums::UnknownVariant;
pub use ids::{
    AccountId, ConversationId, CustomerId, MenuItemId, MessageId, OrderId, OwnerId, ParseIdError,
    PaymentMethodId, PhoneNumberId, StoreId, WabaId,
};
pub use money::{Currency, Money, MoneyError};
pub use order::{
    Order, OrderItem, OrderStatus, OrderTransitionError, Payment, PaymentStatus,
    PaymentTransitionError,
};
pub use owner::{Email, Owner, ParseEmailError};
pub use phone::{ParsePhoneError, PhoneNumber};
pub use store::{ParseStoreNameError, Store, StoreKind, StoreName, TenantLocation};
pub use tenant::{
    Direction, MenuItem, Message, MessageBody, MessageStatus, PaymentMethod, PaymentMethodKind,
};
