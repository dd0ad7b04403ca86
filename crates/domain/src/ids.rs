//! Identifiers. Our own ids are UUIDv7 (time-ordered, so "oldest" sorts by id too, and unique
//! across every tenant database); Meta's ids are digit strings we parse once at the edge.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// An id that failed to parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind}: {reason}")]
pub struct ParseIdError {
    /// Which id.
    pub kind: &'static str,
    /// Why it was rejected.
    pub reason: &'static str,
}

macro_rules! uuid_id {
    ($(#[$m:meta])* $name:ident, $kind:literal) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A new, time-ordered id.
            #[must_use]
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            /// Wraps an existing UUID.
            #[must_use]
            pub const fn from_uuid(id: Uuid) -> Self {
                Self(id)
            }

            /// The UUID inside.
            #[must_use]
            pub const fn as_uuid(&self) -> &Uuid {
                &self.0
            }

            /// Parses the hyphenated text form.
            ///
            /// # Errors
            /// When `raw` is not a UUID.
            pub fn parse(raw: &str) -> Result<Self, ParseIdError> {
                Uuid::parse_str(raw.trim())
                    .map(Self)
                    .map_err(|_| ParseIdError { kind: $kind, reason: "not a UUID" })
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = ParseIdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }
    };
}

uuid_id!(/// A store (one tenant).
    StoreId, "store id");
uuid_id!(/// A connected WhatsApp Business number.
    AccountId, "account id");
uuid_id!(/// A store owner.
    OwnerId, "owner id");
uuid_id!(/// An order, in a store's tenant database.
    OrderId, "order id");
uuid_id!(/// A customer, in a store's tenant database.
    CustomerId, "customer id");
uuid_id!(/// A conversation with one customer on one number.
    ConversationId, "conversation id");
uuid_id!(/// A stored message (inbound or outbound).
    MessageId, "message id");
uuid_id!(/// A menu item.
    MenuItemId, "menu item id");
uuid_id!(/// A payment method offered by a store.
    PaymentMethodId, "payment method id");

macro_rules! meta_id {
    ($(#[$m:meta])* $name:ident, $kind:literal) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Parses a Meta id: 1 to 32 ASCII digits.
            ///
            /// # Errors
            /// When `raw` is empty, too long or not all digits.
            pub fn parse(raw: &str) -> Result<Self, ParseIdError> {
                let raw = raw.trim();
                if raw.is_empty() {
                    return Err(ParseIdError { kind: $kind, reason: "empty" });
                }
                if raw.len() > 32 {
                    return Err(ParseIdError { kind: $kind, reason: "longer than 32 digits" });
                }
                if !raw.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(ParseIdError { kind: $kind, reason: "not all digits" });
                }
                Ok(Self(raw.to_owned()))
            }

            /// The digits.
            #[must_use]
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl TryFrom<String> for $name {
            type Error = ParseIdError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::parse(&s)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl FromStr for $name {
            type Err = ParseIdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }
    };
}

meta_id!(/// Meta's id of a business phone number (`phone_number_id`), the routing key of webhooks.
    PhoneNumberId, "phone_number_id");
meta_id!(/// Meta's id of a WhatsApp Business Account.
    WabaId, "WABA id");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_ids_accept_digits_and_reject_everything_else() {
        assert_eq!(
            PhoneNumberId::parse(" 106540352242922 ").map(|p| p.0),
            Ok("106540352242922".into())
        );
        assert!(PhoneNumberId::parse("").is_err());
        assert!(PhoneNumberId::parse("1065x").is_err());
        assert!(WabaId::parse(&"9".repeat(33)).is_err());
        assert!(WabaId::parse("-1").is_err());
    }

    #[test]
    fn uuid_ids_round_trip_through_text_and_sort_by_creation() {
        let a = StoreId::new();
        let b = StoreId::new();
        assert_eq!(StoreId::parse(&a.to_string()), Ok(a));
        assert!(a < b, "v7 ids are time ordered");
        assert!(StoreId::parse("not-a-uuid").is_err());
    }

    #[test]
    fn meta_ids_deserialize_through_parse() {
        let ok: Result<WabaId, _> = serde_json::from_str("\"102290129340398\"");
        assert!(ok.is_ok());
        let bad: Result<WabaId, _> = serde_json::from_str("\"abc\"");
        assert!(bad.is_err());
    }
}
