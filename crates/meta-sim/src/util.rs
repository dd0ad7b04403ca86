//! Small helpers shared by the routes: random identifiers shaped like Meta's, URL encoding,
//! cursor paging and hashing. Kept dependency-free (uuid randomness, ring digests).

use std::collections::VecDeque;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

/// `n` random bytes.
pub(crate) fn random_bytes(n: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(n + 16);
    while out.len() < n {
        out.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    }
    out.truncate(n);
    out
}

/// `n` random alphanumeric characters (the alphabet of Meta's tokens and codes).
pub(crate) fn random_alnum(n: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    random_bytes(n)
        .into_iter()
        .map(|b| char::from(ALPHABET[usize::from(b) % ALPHABET.len()]))
        .collect()
}

/// A Graph `fbtrace_id`.
pub(crate) fn fbtrace_id() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes(17))
}

/// A `wamid.` shaped like Meta's (base64 of a small binary envelope holding the recipient).
pub(crate) fn wamid(recipient: &str) -> String {
    let mut raw = vec![0x1c, 0x18];
    let digits: Vec<u8> = recipient.bytes().take(60).collect();
    raw.push(u8::try_from(digits.len()).unwrap_or(0));
    raw.extend_from_slice(&digits);
    raw.extend_from_slice(&[0x15, 0x02, 0x00, 0x11, 0x18, 0x12]);
    raw.extend(hex::encode_upper(random_bytes(9)).bytes());
    raw.push(0);
    format!("wamid.{}", STANDARD.encode(raw))
}

/// Base64 of the SHA-256 of `bytes`, as Meta reports media checksums.
pub(crate) fn sha256_b64(bytes: &[u8]) -> String {
    STANDARD.encode(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref())
}

/// Lowercase hex HMAC-SHA256(key, msg): `appsecret_proof` and webhook signatures.
pub(crate) fn hmac_sha256_hex(key: &[u8], msg: &[u8]) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key);
    hex::encode(ring::hmac::sign(&key, msg).as_ref())
}

/// Percent-encodes a query component (RFC 3986 unreserved characters pass through).
pub(crate) fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Appends `pairs` to `url` as query parameters (with `&` when it already has a query).
pub(crate) fn append_query(url: &str, pairs: &[(&str, &str)]) -> String {
    let mut out = url.to_owned();
    let mut sep = if url.contains('?') { '&' } else { '?' };
    for (k, v) in pairs {
        out.push(sep);
        out.push_str(&url_encode(k));
        out.push('=');
        out.push_str(&url_encode(v));
        sep = '&';
    }
    out
}

/// Escapes text for HTML.
pub(crate) fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Digits of a phone number as given (`+92 300-111 2233` → `923001112233`).
pub(crate) fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// The window / undeliverable key of a recipient: digits for a phone number, the BSUID as is.
pub(crate) fn recipient_key(s: &str) -> String {
    if s.chars().all(|c| c.is_ascii_digit() || " +-()".contains(c)) {
        digits(s)
    } else {
        s.to_owned()
    }
}

/// An opaque paging cursor for position `idx`.
pub(crate) fn cursor(idx: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("sim-cursor:{idx}"))
}

/// Reads a cursor back.
pub(crate) fn parse_cursor(c: &str) -> Option<usize> {
    let raw = URL_SAFE_NO_PAD.decode(c.trim_end_matches('=')).ok()?;
    String::from_utf8(raw)
        .ok()?
        .strip_prefix("sim-cursor:")?
        .parse()
        .ok()
}

/// Logs keep at most this many entries (oldest dropped), so a long sandbox run stays bounded.
pub(crate) const LOG_CAP: usize = 10_000;

/// Pushes to a capped log.
pub(crate) fn push_capped<T>(log: &mut VecDeque<T>, item: T) {
    if log.len() >= LOG_CAP {
        log.pop_front();
    }
    log.push_back(item);
}
