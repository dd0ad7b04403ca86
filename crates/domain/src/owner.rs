//! A store owner: logs in with email and password (argon2id hash, made by the password port),
//! owns stores (`Store::owner_id`), and may give a WhatsApp number for notifications.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::OwnerId;
use crate::phone::PhoneNumber;

/// An email address, lower-cased: something@domain with a dot in the domain.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

/// Not an email address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid email address")]
pub struct ParseEmailError;

impl Email {
    /// Parses an address (trimmed, lower-cased).
    ///
    /// # Errors
    /// When it lacks a local part, an `@`, or a dotted domain, has spaces, or exceeds 254 bytes.
    pub fn parse(raw: &str) -> Result<Self, ParseEmailError> {
        let raw = raw.trim().to_lowercase();
        let (local, domain) = raw.rsplit_once('@').ok_or(ParseEmailError)?;
        let ok = !local.is_empty()
            && raw.len() <= 254
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !raw.chars().any(|c| c.is_whitespace() || c.is_control())
            && !local.contains('@');
        if ok {
            Ok(Self(raw))
        } else {
            Err(ParseEmailError)
        }
    }

    /// The address.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Email {
    type Error = ParseEmailError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Email> for String {
    fn from(e: Email) -> String {
        e.0
    }
}

/// A store owner.
#[derive(Clone, PartialEq)]
pub struct Owner {
    /// Id.
    pub id: OwnerId,
    /// Login email.
    pub email: Email,
    /// PHC-format argon2id hash.
    pub password_hash: String,
    /// The owner's own WhatsApp number, for notifications.
    pub whatsapp_number: Option<PhoneNumber>,
    /// Created.
    pub created_at: DateTime<Utc>,
}

impl fmt::Debug for Owner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Owner")
            .field("id", &self.id)
            .field("email", &self.email)
            .field("password_hash", &"..")
            .field("whatsapp_number", &self.whatsapp_number)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            Email::parse(" Ali@Example.PK ").map(String::from),
            Ok("ali@example.pk".into())
        );
        for bad in [
            "",
            "ali",
            "@example.pk",
            "ali@",
            "ali@pk",
            "ali @x.pk",
            "ali@.pk",
            "ali@x.pk.",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn owner_debug_hides_the_password_hash() {
        let o = Owner {
            id: OwnerId::new(),
            email: Email::parse("a@b.pk").unwrap_or_else(|e| panic!("{e}")),
            password_hash: "$argon2id$v=19$secret".into(),
            whatsapp_number: None,
            created_at: Utc::now(),
        };
        assert!(!format!("{o:?}").contains("argon2id"));
    }
}
