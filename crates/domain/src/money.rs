//! Money as integer minor units (paisa for PKR). No floats anywhere: amounts add and multiply as
//! integers with overflow checked, and display formats the minor units as text.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An ISO 4217 currency code (three upper-case letters); PKR by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency([u8; 3]);

impl Currency {
    /// Pakistani rupee.
    pub const PKR: Currency = Currency(*b"PKR");

    /// Parses a three-letter code ("pkr" is accepted and upper-cased).
    ///
    /// # Errors
    /// [`MoneyError::InvalidCurrency`] for anything but three ASCII letters.
    pub fn parse(raw: &str) -> Result<Self, MoneyError> {
        let raw = raw.trim().to_ascii_uppercase();
        let bytes: [u8; 3] = raw
            .as_bytes()
            .try_into()
            .map_err(|_| MoneyError::InvalidCurrency(raw.clone()))?;
        if !bytes.iter().all(u8::is_ascii_uppercase) {
            return Err(MoneyError::InvalidCurrency(raw));
        }
        Ok(Self(bytes))
    }

    /// The code ("PKR").
    #[must_use]
    pub fn as_str(&self) -> &str {
        // Only ASCII upper-case letters are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("???")
    }

    /// The symbol shown to people: "Rs" for PKR, else the code.
    #[must_use]
    pub fn symbol(&self) -> &str {
        if *self == Self::PKR {
            "Rs"
        } else {
            self.as_str()
        }
    }
}

impl Default for Currency {
    fn default() -> Self {
        Self::PKR
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for Currency {
    type Error = MoneyError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.as_str().to_owned()
    }
}

/// Errors of money arithmetic and parsing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// Not a three-letter currency code.
    #[error("invalid currency code `{0}`")]
    InvalidCurrency(String),
    /// Adding amounts of different currencies.
    #[error("cannot combine {0} with {1}")]
    CurrencyMismatch(Currency, Currency),
    /// The result does not fit in 64 bits of minor units.
    #[error("amount out of range")]
    Overflow,
    /// A negative amount where only zero or more makes sense.
    #[error("amount must not be negative")]
    Negative,
}

/// An amount of money in minor units (1 PKR = 100 paisa).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    minor: i64,
    currency: Currency,
}

impl Money {
    /// An amount in minor units (paisa for PKR).
    #[must_use]
    pub const fn from_minor(minor: i64, currency: Currency) -> Self {
        Self { minor, currency }
    }

    /// An amount in paisa.
    #[must_use]
    pub const fn pkr_paisa(paisa: i64) -> Self {
        Self::from_minor(paisa, Currency::PKR)
    }

    /// A whole number of rupees.
    ///
    /// # Errors
    /// [`MoneyError::Overflow`] past `i64::MAX` paisa.
    pub fn pkr(rupees: i64) -> Result<Self, MoneyError> {
        rupees
            .checked_mul(100)
            .map(Self::pkr_paisa)
            .ok_or(MoneyError::Overflow)
    }

    /// Zero in a currency.
    #[must_use]
    pub const fn zero(currency: Currency) -> Self {
        Self::from_minor(0, currency)
    }

    /// The amount in minor units.
    #[must_use]
    pub const fn minor(&self) -> i64 {
        self.minor
    }

    /// The currency.
    #[must_use]
    pub const fn currency(&self) -> Currency {
        self.currency
    }

    /// Sum of two amounts of one currency.
    ///
    /// # Errors
    /// [`MoneyError::CurrencyMismatch`] or [`MoneyError::Overflow`].
    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        if self.currency != other.currency {
            return Err(MoneyError::CurrencyMismatch(self.currency, other.currency));
        }
        self.minor
            .checked_add(other.minor)
            .map(|m| Money::from_minor(m, self.currency))
            .ok_or(MoneyError::Overflow)
    }

    /// The amount times a quantity (a line total).
    ///
    /// # Errors
    /// [`MoneyError::Overflow`].
    pub fn checked_mul(self, quantity: u32) -> Result<Money, MoneyError> {
        self.minor
            .checked_mul(i64::from(quantity))
            .map(|m| Money::from_minor(m, self.currency))
            .ok_or(MoneyError::Overflow)
    }
}

impl fmt::Display for Money {
    /// "Rs 1,250" for whole amounts, "Rs 1,250.50" otherwise, "-Rs 20" for negatives.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        let (major, minor) = (abs / 100, abs % 100);
        let digits = major.to_string();
        let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
        for (i, ch) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(ch);
        }
        write!(f, "{sign}{} {grouped}", self.currency.symbol())?;
        if minor != 0 {
            write!(f, ".{minor:02}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_rupees_with_grouping_and_paisa_only_when_present() {
        assert_eq!(Money::pkr_paisa(125_000).to_string(), "Rs 1,250");
        assert_eq!(Money::pkr_paisa(125_050).to_string(), "Rs 1,250.50");
        assert_eq!(Money::pkr_paisa(5).to_string(), "Rs 0.05");
        assert_eq!(Money::pkr_paisa(0).to_string(), "Rs 0");
        assert_eq!(
            Money::pkr_paisa(12_345_678_900).to_string(),
            "Rs 123,456,789"
        );
        assert_eq!(Money::pkr_paisa(-2_000).to_string(), "-Rs 20");
        let usd = Money::from_minor(1_999, Currency::parse("usd").unwrap_or_default());
        assert_eq!(usd.to_string(), "USD 19.99");
    }

    #[test]
    fn arithmetic_is_checked() {
        let a = Money::pkr_paisa(45_000);
        assert_eq!(
            a.checked_mul(2).and_then(|x| x.checked_add(a)),
            Ok(Money::pkr_paisa(135_000))
        );
        assert_eq!(
            Money::pkr_paisa(i64::MAX).checked_add(a),
            Err(MoneyError::Overflow)
        );
        assert_eq!(
            Money::pkr_paisa(i64::MAX).checked_mul(2),
            Err(MoneyError::Overflow)
        );
        let usd = Money::zero(Currency::parse("USD").unwrap_or_default());
        assert!(matches!(
            a.checked_add(usd),
            Err(MoneyError::CurrencyMismatch(..))
        ));
        assert_eq!(Money::pkr(12), Ok(Money::pkr_paisa(1_200)));
    }

    #[test]
    fn currency_codes_are_three_letters() {
        assert_eq!(Currency::parse("pkr"), Ok(Currency::PKR));
        assert!(Currency::parse("PK").is_err());
        assert!(Currency::parse("P1R").is_err());
        assert!(Currency::parse("PKRR").is_err());
        assert_eq!(Currency::default().symbol(), "Rs");
    }
}
