//! Meta webhook payloads: signature check and parsing into the core's events.
//!
//! The HTTP handler must verify the signature over the exact raw body bytes (before any JSON
//! parsing) with [`verify_signature`], answer 200 quickly, and hand the same bytes to
//! [`parse_webhook`], which never fails on a single bad item: it flattens every entry, change,
//! message and status into [`omni_ports::meta::webhook::WebhookEvent`]s.

mod entry;
mod json;
mod management;
pub mod parse;
pub mod signature;

pub use parse::{WebhookParseError, parse_webhook};
pub use signature::{SIGNATURE_HEADER, SignatureError, escape_non_ascii, sign, verify_signature};
