//! Customers and their conversations with a store's numbers: the agent's state label, and the
//! customer service window, which only the customer's own messages move forward.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{AccountId, ConversationId, CustomerId};
use crate::phone::PhoneNumber;

/// A customer who wrote to one of the store's numbers.
///
/// Its `wa_id` is its identity within the store (the key a message is filed under and a reply
/// addressed to), so it is private and checked once, in [`Customer::new`]: 1 to
/// [`Customer::MAX_WA_ID_LEN`] printable ASCII characters, no whitespace or control
/// characters. That is every shape Meta uses (a `wa_id` is phone digits, `923001234567`; a
/// BSUID is `CC.` and up to 128 alphanumerics, `US.13491208655302741918`, a parent BSUID
/// `US.ENT.…`) without pinning either format: a sender we refuse has its message parked, so
/// the rule keeps out only what cannot be an id. It is checked on the customer rather than
/// as a newtype because nothing else holds one: the ports look a customer up by `&str` and
/// address a reply by the webhook's own sender text, so a newtype would be unwrapped again at
/// every boundary without guarding anything more.
///
/// `phone` and `name` stay public: no rule ties them to the `wa_id` (a BSUID customer has no
/// phone, a profile name is whatever the user typed, and both are updated when a later
/// message brings them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Customer {
    /// Id.
    pub id: CustomerId,
    /// Meta's `wa_id` (or BSUID when no phone is shared): unique per store. See the type.
    wa_id: String,
    /// The phone number, when known.
    pub phone: Option<PhoneNumber>,
    /// Profile name.
    pub name: Option<String>,
    /// First seen.
    pub created_at: DateTime<Utc>,
}

/// A customer `wa_id` that is empty, too long, or holds whitespace, control or non-ASCII
/// characters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "a customer's wa_id must be 1 to {max} printable ASCII characters without spaces",
    max = Customer::MAX_WA_ID_LEN
)]
pub struct ParseWaIdError;

impl Customer {
    /// The most bytes a `wa_id` has: twice a parent BSUID's (`CC.ENT.` and 128 characters),
    /// so a longer format still fits, while a pasted body or a runaway value does not.
    pub const MAX_WA_ID_LEN: usize = 256;

    /// A customer first seen at `created_at`, with no phone or name yet.
    ///
    /// # Errors
    /// [`ParseWaIdError`] when `wa_id` is empty, longer than [`Self::MAX_WA_ID_LEN`], or holds
    /// anything but printable ASCII (`!` to `~`: no spaces, control or non-ASCII characters).
    pub fn new(
        id: CustomerId,
        wa_id: impl Into<String>,
        created_at: DateTime<Utc>,
    ) -> Result<Self, ParseWaIdError> {
        let wa_id = wa_id.into();
        let well_formed = !wa_id.is_empty()
            && wa_id.len() <= Self::MAX_WA_ID_LEN
            && wa_id.bytes().all(|b| b.is_ascii_graphic());
        if !well_formed {
            return Err(ParseWaIdError);
        }
        Ok(Self {
            id,
            wa_id,
            phone: None,
            name: None,
            created_at,
        })
    }

    /// Meta's `wa_id` or the BSUID: the customer's identity within the store.
    #[must_use]
    pub fn wa_id(&self) -> &str {
        &self.wa_id
    }
}

/// Where the agent is in a conversation ("new", "collecting_items", ...): 1 to 64 characters
/// of lowercase ASCII letters, digits and `_`, `-`, `.`, `:`. The agent picks the labels; the
/// domain only keeps them well-formed, so a stored or logged state is always one word.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ConversationState(String);

/// A conversation state label that is empty, too long or not one lowercase word.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("conversation state must be 1 to 64 characters of a-z, 0-9, '_', '-', '.', ':'")]
pub struct ParseConversationStateError;

impl ConversationState {
    /// The most characters a state has.
    pub const MAX_LEN: usize = 64;

    /// The state every conversation (and every new order) starts in.
    #[must_use]
    pub fn initial() -> Self {
        Self("new".to_owned())
    }

    /// Parses a state label.
    ///
    /// # Errors
    /// [`ParseConversationStateError`] when empty, longer than [`Self::MAX_LEN`] or holding
    /// anything but lowercase ASCII letters, digits, `_`, `-`, `.` and `:`.
    pub fn parse(raw: &str) -> Result<Self, ParseConversationStateError> {
        let well_formed = !raw.is_empty()
            && raw.len() <= Self::MAX_LEN
            && raw.bytes().all(|b| {
                b.is_ascii_lowercase()
                    || b.is_ascii_digit()
                    || matches!(b, b'_' | b'-' | b'.' | b':')
            });
        if well_formed {
            Ok(Self(raw.to_owned()))
        } else {
            Err(ParseConversationStateError)
        }
    }

    /// The label.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for ConversationState {
    fn default() -> Self {
        Self::initial()
    }
}

impl fmt::Display for ConversationState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for ConversationState {
    type Err = ParseConversationStateError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Self::parse(raw)
    }
}

impl TryFrom<String> for ConversationState {
    type Error = ParseConversationStateError;

    fn try_from(raw: String) -> Result<Self, Self::Error> {
        Self::parse(&raw)
    }
}

impl From<ConversationState> for String {
    fn from(state: ConversationState) -> Self {
        state.0
    }
}

impl PartialEq<&str> for ConversationState {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

/// A conversation between one customer and one of the store's numbers.
///
/// The customer's last message time is private: it only moves forward
/// ([`Conversation::saw_inbound`]), since the customer service window runs from it and a
/// late-delivered older message must not shorten it.
#[derive(Debug, Clone, PartialEq)]
pub struct Conversation {
    /// Id.
    pub id: ConversationId,
    /// The customer.
    pub customer_id: CustomerId,
    /// The store's number.
    pub account_id: AccountId,
    /// Where the agent is.
    pub state: ConversationState,
    /// Agent working memory.
    pub context: serde_json::Value,
    /// The customer's last message: the 24-hour window runs from here.
    last_inbound_at: Option<DateTime<Utc>>,
    /// The owner took over: nothing automatic is sent until they resume the agent.
    pub agent_paused: bool,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl Conversation {
    /// Meta's customer service window: free-form messages may go only this many hours after
    /// the customer's last message.
    pub const SERVICE_WINDOW_HOURS: i64 = 24;

    /// A conversation started at `at`: the initial state, an empty context, the agent on, and
    /// no customer message yet.
    #[must_use]
    pub fn new(
        id: ConversationId,
        customer_id: CustomerId,
        account_id: AccountId,
        at: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            customer_id,
            account_id,
            state: ConversationState::initial(),
            context: serde_json::Value::Object(serde_json::Map::new()),
            last_inbound_at: None,
            agent_paused: false,
            created_at: at,
            updated_at: at,
        }
    }

    /// The same conversation with the last customer message time as stored (adapters
    /// rebuilding a stored conversation; everything else moves it with [`Self::saw_inbound`]).
    #[must_use]
    pub fn with_last_inbound_at(mut self, at: Option<DateTime<Utc>>) -> Self {
        self.last_inbound_at = at;
        self
    }

    /// When the customer last wrote (`None`: never).
    #[must_use]
    pub fn last_inbound_at(&self) -> Option<DateTime<Utc>> {
        self.last_inbound_at
    }

    /// The customer wrote at `at`: the window moves forward to it, never back (an older
    /// message delivered late changes nothing). Returns whether it moved.
    pub fn saw_inbound(&mut self, at: DateTime<Utc>) -> bool {
        if self.last_inbound_at.is_some_and(|last| last >= at) {
            return false;
        }
        self.last_inbound_at = Some(at);
        true
    }

    /// When the customer service window closes: [`Self::SERVICE_WINDOW_HOURS`] after the
    /// customer's last message (`None`: they never wrote, so only templates may go).
    #[must_use]
    pub fn window_end(&self) -> Option<DateTime<Utc>> {
        self.last_inbound_at
            .map(|at| at + chrono::Duration::hours(Self::SERVICE_WINDOW_HOURS))
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;

    #[test]
    fn states_are_one_lowercase_word() {
        for good in [
            "new",
            "collecting_items",
            "awaiting-payment",
            "step.2",
            "menu:page:3",
        ] {
            assert_eq!(
                ConversationState::parse(good).map(|s| s.to_string()),
                Ok(good.to_owned())
            );
        }
        let long = "a".repeat(ConversationState::MAX_LEN + 1);
        for bad in [
            "",
            "Collecting",
            "two words",
            "ordering!",
            "حالت",
            long.as_str(),
        ] {
            assert_eq!(
                ConversationState::parse(bad),
                Err(ParseConversationStateError),
                "{bad:?}"
            );
        }
        assert_eq!(ConversationState::default(), "new");
        let json = serde_json::to_string(&ConversationState::initial()).unwrap_or_default();
        assert_eq!(json, r#""new""#);
        assert!(serde_json::from_str::<ConversationState>(r#""Not Valid""#).is_err());
    }

    #[test]
    fn a_customer_is_identified_by_a_wa_id_or_a_bsuid() {
        let at = DateTime::<Utc>::UNIX_EPOCH;
        let longest = "9".repeat(Customer::MAX_WA_ID_LEN);
        for good in [
            "923001234567",
            "16505551234",
            "US.13491208655302741918",
            "US.ENT.11815799212886844830",
            longest.as_str(),
        ] {
            let c = Customer::new(CustomerId::new(), good, at);
            assert_eq!(c.as_ref().map(Customer::wa_id), Ok(good), "{good:?}");
            assert_eq!(c.map(|c| (c.phone, c.name)), Ok((None, None)));
        }
        let overlong = "9".repeat(Customer::MAX_WA_ID_LEN + 1);
        for bad in [
            "",
            " ",
            "\t",
            "a\nb",
            " 923001234567",
            "923001234567\0",
            "92300 1234567",
            "٩٢٣٠٠١٢٣٤٥٦٧",
            overlong.as_str(),
        ] {
            assert_eq!(
                Customer::new(CustomerId::new(), bad, at),
                Err(ParseWaIdError),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn the_window_only_moves_forward() {
        let at = DateTime::<Utc>::UNIX_EPOCH + TimeDelta::days(20_000);
        let mut c = Conversation::new(
            ConversationId::new(),
            CustomerId::new(),
            AccountId::new(),
            at,
        );
        assert_eq!((c.last_inbound_at(), c.window_end()), (None, None));
        assert!(c.saw_inbound(at));
        assert!(!c.saw_inbound(at - TimeDelta::hours(1)), "an older message");
        assert!(!c.saw_inbound(at), "the same time");
        assert_eq!(c.window_end(), Some(at + TimeDelta::hours(24)));
        assert!(c.saw_inbound(at + TimeDelta::minutes(5)));
        assert_eq!(c.last_inbound_at(), Some(at + TimeDelta::minutes(5)));
        let restored = c.clone().with_last_inbound_at(None);
        assert_eq!(restored.window_end(), None);
    }
}
