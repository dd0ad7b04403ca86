//! Conversions between rows and domain values. Reading back text that no longer parses is
//! `RepoError::Corrupt`, naming the column, rather than a panic or a silent default.

use chrono::{DateTime, NaiveDateTime, Utc};
use omni_ports::RepoError;

/// UTC time to the naive TIMESTAMP both engines store.
pub(crate) fn ts(t: DateTime<Utc>) -> NaiveDateTime {
    t.naive_utc()
}

/// A stored TIMESTAMP back to UTC.
pub(crate) fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

/// Parses a column with `FromStr`, naming it on failure.
pub(crate) fn parse<T: std::str::FromStr>(column: &str, raw: &str) -> Result<T, RepoError> {
    raw.parse()
        .map_err(|_| RepoError::Corrupt(format!("{column}: `{raw}`")))
}

/// Parses a JSON column.
pub(crate) fn json<T: serde::de::DeserializeOwned>(
    column: &str,
    raw: &str,
) -> Result<T, RepoError> {
    serde_json::from_str(raw).map_err(|e| RepoError::Corrupt(format!("{column}: {e}")))
}

/// Serialises a JSON column.
pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> String {
    // Serialising our own plain data types cannot fail (no maps with non-string keys).
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}
