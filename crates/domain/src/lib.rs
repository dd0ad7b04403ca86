//! OmniPortal's domain: the values and rules of stores, WhatsApp accounts, owners, orders and
//! payments. Pure: no IO, no async, no framework or driver types. Values are built valid
//! (`parse`/`new` return errors), so code holding one never re-checks it.

mod account;
mod account_rules;
mod commerce;
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
pub use account_rules::{DropKind, HealthDrop, Severity, UnknownValue, health_drops};
pub use commerce::{GeoPoint, InvalidGeoPoint, MenuVariant, Rider, StoreSettings, TemplateRef};
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
    Conversation, Customer, Direction, MenuItem, Message, MessageBody, MessageStatus,
    PaymentMethod, PaymentMethodKind,
};

/// Error for an enum value read back from text (a database column, a config value, a Meta field).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} `{value}`")]
pub struct UnknownVariant {
    /// What was being parsed ("account status", ...).
    pub kind: &'static str,
    /// The text that matched no variant.
    pub value: String,
}

/// Declares a closed enum with a stable text form used for storage and JSON.
macro_rules! text_enum {
    ($(#[$m:meta])* $name:ident, $kind:literal { $($(#[$vm:meta])* $v:ident => $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name { $($(#[$vm])* #[serde(rename = $s)] $v),+ }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$v),+];

            /// The stable text form (storage, JSON).
            #[must_use]
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$v => $s),+ }
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::UnknownVariant;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($s => Ok($name::$v),)+
                    _ => Err($crate::UnknownVariant { kind: $kind, value: s.to_owned() }),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use text_enum;
