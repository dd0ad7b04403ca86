//! `X-Hub-Signature-256` verification: HMAC-SHA256 with the app secret over the exact raw
//! body, compared in constant time (`ring::hmac::verify`).
//!
//! Several secrets may be given so an app-secret rotation does not reject webhooks signed with
//! the previous one (every tenant's webhooks are signed with the one app secret at once).
//! Meta states it signs an escaped-Unicode form of the payload; its bodies are already in that
//! form, so the raw bytes verify. As a defence against a proxy that decoded the `\uXXXX`
//! escapes, a failed check on a body with non-ASCII bytes is retried over
//! [`escape_non_ascii`] of the body (meta-api.md §4.3).

use std::fmt::Write as _;

use ring::hmac;

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "X-Hub-Signature-256";

const PREFIX: &str = "sha256=";

/// Why a signature was refused. The messages never contain the secret or the expected digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No `X-Hub-Signature-256` header.
    #[error("missing X-Hub-Signature-256 header")]
    Missing,
    /// The value does not start with `sha256=`.
    #[error("signature header does not start with sha256=")]
    BadPrefix,
    /// The digest is not hex.
    #[error("signature is not hex")]
    BadHex,
    /// The digest is not 32 bytes.
    #[error("signature is not 32 bytes")]
    BadLength,
    /// No configured secret produced this digest.
    #[error("signature does not match")]
    Mismatch,
}

/// Checks `header` (the `X-Hub-Signature-256` value) against `body` with each of `secrets`
/// (current first, then the previous one during a rotation). Uppercase hex and surrounding
/// whitespace are tolerated; a legacy `X-Hub-Signature` (SHA-1) header must be ignored by the
/// caller.
///
/// # Errors
/// A [`SignatureError`] saying what was wrong; `Mismatch` also when `secrets` is empty.
pub fn verify_signature(
    secrets: &[&[u8]],
    body: &[u8],
    header: Option<&str>,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?.trim();
    if header.is_empty() {
        return Err(SignatureError::Missing);
    }
    let digest_hex = header
        .strip_prefix(PREFIX)
        .ok_or(SignatureError::BadPrefix)?
        .trim();
    let tag = hex::decode(digest_hex).map_err(|_| SignatureError::BadHex)?;
    if tag.len() != 32 {
        return Err(SignatureError::BadLength);
    }
    if matches_any(secrets, body, &tag) {
        return Ok(());
    }
    if let Some(escaped) = escape_non_ascii(body)
        && matches_any(secrets, &escaped, &tag)
    {
        tracing::warn!(
            "webhook signature matched only the \\u-escaped body: something decoded Meta's escapes"
        );
        return Ok(());
    }
    Err(SignatureError::Mismatch)
}

fn matches_any(secrets: &[&[u8]], body: &[u8], tag: &[u8]) -> bool {
    secrets.iter().any(|secret| {
        let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
        hmac::verify(&key, body, tag).is_ok()
    })
}

/// The `X-Hub-Signature-256` value Meta would send for `body`: `sha256=` and the lowercase
/// hex HMAC-SHA256. For tests and tools.
#[must_use]
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
    let tag = hmac::sign(&key, body);
    format!("{PREFIX}{}", hex::encode(tag.as_ref()))
}

/// The defensive fallback of meta-api.md §4.3: `body` with every non-ASCII character written
/// as `\uXXXX` (UTF-16 code units, so characters beyond the BMP become a surrogate pair;
/// lowercase hex), everything else byte for byte. `None` when the body is all ASCII (nothing
/// to retry) or not UTF-8 (cannot be the decoded form of a Meta body).
#[must_use]
pub fn escape_non_ascii(body: &[u8]) -> Option<Vec<u8>> {
    if body.is_ascii() {
        return None;
    }
    let text = std::str::from_utf8(body).ok()?;
    let mut out = String::with_capacity(body.len() + body.len() / 2);
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0_u16; 2];
            for unit in c.encode_utf16(&mut units) {
                let _ = write!(out, "\\u{unit:04x}");
            }
        }
    }
    Some(out.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_bmp_and_astral_characters_as_lowercase_utf16_units() {
        let escaped = escape_non_ascii("a\"é🍔ب".as_bytes()).unwrap_or_default();
        assert_eq!(
            String::from_utf8_lossy(&escaped),
            "a\"\\u00e9\\ud83c\\udf54\\u0628"
        );
        assert_eq!(escape_non_ascii(b"plain"), None);
        assert_eq!(escape_non_ascii(&[0xff, 0xfe]), None);
    }

    #[test]
    fn a_signature_over_the_escaped_form_verifies_a_decoded_body() {
        let decoded = r#"{"t":"چاہیے 🍔"}"#.as_bytes();
        let escaped = escape_non_ascii(decoded).unwrap_or_default();
        let header = sign(b"s", &escaped);
        assert_eq!(verify_signature(&[b"s"], decoded, Some(&header)), Ok(()));
        assert_eq!(
            verify_signature(&[b"s"], b"{\"t\":\"x\"}", Some(&header)),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn empty_secret_list_never_verifies() {
        let header = sign(b"s", b"{}");
        assert_eq!(
            verify_signature(&[], b"{}", Some(&header)),
            Err(SignatureError::Mismatch)
        );
    }
}
