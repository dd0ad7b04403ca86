//! Phone numbers, always E.164. Owners type local Pakistani forms ("0300 1234567"), Meta sends
//! digits without a plus ("923001234567"); both parse to "+923001234567" with PK as the default
//! region, using the `phonenumber` crate (libphonenumber's metadata) rather than hand-rolled rules.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A phone number in E.164 form ("+923001234567").
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneNumber(String);

/// A phone number that could not be parsed or is not a valid number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParsePhoneError {
    /// Not a phone number at all.
    #[error("not a phone number")]
    Unparseable,
    /// Parsed, but no such number can exist (wrong length for the country, ...).
    #[error("not a valid phone number")]
    Invalid,
}

impl PhoneNumber {
    /// Parses a number in any common form, with Pakistan as the region for local forms.
    ///
    /// # Errors
    /// [`ParsePhoneError`] when the text is not a valid phone number.
    pub fn parse(raw: &str) -> Result<Self, ParsePhoneError> {
        Self::parse_with_region(raw, phonenumber::country::Id::PK)
    }

    /// Parses with another default region for local forms.
    ///
    /// # Errors
    /// [`ParsePhoneError`] when the text is not a valid phone number.
    pub fn parse_with_region(
        raw: &str,
        region: phonenumber::country::Id,
    ) -> Result<Self, ParsePhoneError> {
        let raw = raw.trim();
        // Meta sends international numbers as bare digits ("923001234567"): E.164 without the
        // plus. Local numbers start with a trunk 0, so digits without one are tried as
        // international first, then as local.
        let bare_international =
            raw.len() >= 8 && !raw.starts_with('0') && raw.bytes().all(|b| b.is_ascii_digit());
        if bare_international && let Ok(p) = Self::parse_exact(&format!("+{raw}"), region) {
            return Ok(p);
        }
        Self::parse_exact(raw, region)
    }

    fn parse_exact(raw: &str, region: phonenumber::country::Id) -> Result<Self, ParsePhoneError> {
        let parsed =
            phonenumber::parse(Some(region), raw).map_err(|_| ParsePhoneError::Unparseable)?;
        if !phonenumber::is_valid(&parsed) {
            return Err(ParsePhoneError::Invalid);
        }
        Ok(Self(
            parsed.format().mode(phonenumber::Mode::E164).to_string(),
        ))
    }

    /// The E.164 text ("+923001234567").
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The digits without the plus, as Meta's `wa_id` and `to` fields use them.
    #[must_use]
    pub fn digits(&self) -> &str {
        self.0.trim_start_matches('+')
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for PhoneNumber {
    type Error = ParsePhoneError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<PhoneNumber> for String {
    fn from(p: PhoneNumber) -> String {
        p.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_pakistani_forms_become_e164() {
        for raw in [
            "0300 1234567",
            "03001234567",
            "0300-1234567",
            "+92 300 1234567",
            "923001234567",
            "+923001234567",
        ] {
            assert_eq!(
                PhoneNumber::parse(raw).map(String::from),
                Ok("+923001234567".to_owned()),
                "{raw}"
            );
        }
    }

    #[test]
    fn other_countries_keep_their_code() {
        // 555-01xx style numbers are fictional; libphonenumber calls them invalid.
        assert_eq!(
            PhoneNumber::parse("+1 555-096-7852"),
            Err(ParsePhoneError::Invalid)
        );
        assert_eq!(
            PhoneNumber::parse("+12025550173").map(String::from),
            Ok("+12025550173".into())
        );
        assert_eq!(
            PhoneNumber::parse("12025550173").map(|p| p.digits().to_owned()),
            Ok("12025550173".into())
        );
    }

    #[test]
    fn garbage_and_impossible_numbers_are_rejected() {
        assert_eq!(
            PhoneNumber::parse("hello"),
            Err(ParsePhoneError::Unparseable)
        );
        assert_eq!(PhoneNumber::parse("0300 12"), Err(ParsePhoneError::Invalid));
        assert!(PhoneNumber::parse("").is_err());
    }
}
