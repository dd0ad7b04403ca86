//! Lenient readers of Meta's JSON: ids that arrive as numbers or strings, integers as digit
//! strings, and a canonical digest for dedupe keys.

use chrono::{DateTime, Utc};
use ring::digest;
use serde_json::Value;

pub(super) fn array(v: Option<&Value>) -> &[Value] {
    v.and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

/// A string, or a number's text (ids sent as JSON numbers); `None` for null and others.
pub(super) fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// An integer sent as a number or a digit string.
pub(super) fn int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

pub(super) fn float(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|f: &f64| f.is_finite())
}

/// Unix seconds (string in messages and statuses, number elsewhere).
pub(super) fn time(v: &Value) -> Option<DateTime<Utc>> {
    int(v).and_then(|secs| DateTime::<Utc>::from_timestamp(secs, 0))
}

/// Lowercase hex SHA-256 of `value` as canonical JSON: object keys sorted, no whitespace
/// (independent of serde_json's `preserve_order` feature).
pub(super) fn value_digest(value: &Value) -> String {
    let mut canonical = String::new();
    write_canonical(value, &mut canonical);
    hex::encode(digest::digest(&digest::SHA256, canonical.as_bytes()).as_ref())
}

pub(super) fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                if let Some(v) = map.get(key) {
                    write_canonical(v, out);
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(v, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}
