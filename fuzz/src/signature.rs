//! Target 1, `webhook_signature_and_parse`: the `X-Hub-Signature-256` check on headers built
//! from the input (see [`Flags`] for the layout), what must be true of its verdict, checked
//! against an independent HMAC oracle, then the shared parse and row checks when it passes.

use omni_meta_graph::webhook::{SignatureError, escape_non_ascii, sign, verify_signature};
use ring::hmac;

use crate::invariants::check_parse_and_rows;
use crate::{CURRENT_SECRET, MAX_BODY_BYTES, PREVIOUS_SECRET};

/// How target 1 reads its input: `[flags, aux, rest...]`.
///
/// `flags & 0b11` chooses the signature header:
/// - `0`: the correct `sha256=<hex>` of the body (so parsing is reached);
/// - `1`: the correct signature of `escape_non_ascii(body)` (the decoded-proxy fallback; the
///   raw body when it has nothing to escape);
/// - `2`: a header taken from the input: the first `aux` bytes of `rest` (lossy UTF-8),
///   `sha256=` prepended when bit 5 is set; the body is what follows;
/// - `3`: no header at all.
///
/// Bit 2 signs with the previous secret (rotation), bit 3 uppercases the hex, bit 4 pads the
/// header with whitespace, bit 6 configures no secret at all, bit 7 flips one bit of the body
/// after signing (at `aux * len / 256`): the check must then fail.
#[derive(Debug, Clone, Copy)]
struct Flags(u8);

impl Flags {
    const fn mode(self) -> u8 {
        self.0 & 0b11
    }
    const fn bit(self, n: u8) -> bool {
        self.0 & (1 << n) != 0
    }
}

/// Target 1: signature check, then (when it passes) the handler's parse and inbox rows.
pub fn signature_and_parse(data: &[u8]) {
    let [flags, aux, rest @ ..] = data else {
        return;
    };
    let flags = Flags(*flags);
    let (header, body, flipped) = build_request(flags, *aux, rest);

    // 1. Size cap (actix answers 413 before the handler).
    if body.len() > MAX_BODY_BYTES {
        return;
    }
    // 2. Signature.
    let secrets: &[&[u8]] = if flags.bit(6) {
        &[]
    } else {
        &[CURRENT_SECRET, PREVIOUS_SECRET]
    };
    let verdict = verify_signature(secrets, &body, header.as_deref());
    check_verdict(flags, secrets, &body, header.as_deref(), flipped, verdict);
    if verdict.is_err() {
        return;
    }
    // 3.-5. Parse, events, inbox rows.
    check_parse_and_rows(&body);
}

fn build_request(flags: Flags, aux: u8, rest: &[u8]) -> (Option<String>, Vec<u8>, bool) {
    match flags.mode() {
        0 | 1 => {
            let mut body = rest.to_vec();
            let secret = if flags.bit(2) {
                PREVIOUS_SECRET
            } else {
                CURRENT_SECRET
            };
            let signed = if flags.mode() == 1 {
                escape_non_ascii(&body).unwrap_or_else(|| body.clone())
            } else {
                body.clone()
            };
            let mut header = sign(secret, &signed);
            if flags.bit(3) {
                header = format!("sha256={}", header["sha256=".len()..].to_ascii_uppercase());
            }
            if flags.bit(4) {
                header = format!(" \t{header}\t ");
            }
            let flipped = flags.bit(7) && !body.is_empty();
            if flipped {
                let at = usize::from(aux) * body.len() / 256;
                body[at] ^= 1;
            }
            (Some(header), body, flipped)
        }
        2 => {
            let n = usize::from(aux).min(rest.len());
            let (raw, body) = rest.split_at(n);
            let mut header = String::from_utf8_lossy(raw).into_owned();
            if flags.bit(5) {
                header.insert_str(0, "sha256=");
            }
            (Some(header), body.to_vec(), false)
        }
        _ => (None, rest.to_vec(), false),
    }
}

/// What must be true of `verify_signature`'s answer.
fn check_verdict(
    flags: Flags,
    secrets: &[&[u8]],
    body: &[u8],
    header: Option<&str>,
    flipped: bool,
    verdict: Result<(), SignatureError>,
) {
    let signed_by_us = flags.mode() <= 1;
    if signed_by_us && !secrets.is_empty() && !flipped {
        assert_eq!(
            verdict,
            Ok(()),
            "a correct signature (mode {}, flags {:#010b}) was refused",
            flags.mode(),
            flags.0
        );
    }
    if signed_by_us && flipped {
        assert_eq!(
            verdict,
            Err(SignatureError::Mismatch),
            "a body changed after signing was accepted"
        );
    }
    if secrets.is_empty() {
        assert!(
            verdict.is_err(),
            "no secret configured, yet a body verified"
        );
    }
    if flags.mode() == 3 {
        assert_eq!(verdict, Err(SignatureError::Missing), "no header");
    }
    let trimmed = header.map(str::trim);
    match verdict {
        Ok(()) => assert!(
            oracle_accepts(secrets, body, header),
            "verify_signature accepted a header that is no HMAC of the body or its escaped form"
        ),
        Err(SignatureError::Missing) => {
            assert!(
                trimmed.is_none_or(str::is_empty),
                "Missing for a non-empty header"
            );
        }
        Err(SignatureError::BadPrefix) => assert!(
            trimmed.is_some_and(|h| !h.is_empty() && !h.starts_with("sha256=")),
            "BadPrefix for a header starting with sha256="
        ),
        Err(SignatureError::BadHex | SignatureError::BadLength | SignatureError::Mismatch) => {
            assert!(
                trimmed.is_some_and(|h| h.starts_with("sha256=")),
                "a digest error for a header without the prefix"
            );
        }
    }
}

/// An independent reading of "valid": the digest after `sha256=` (trimmed, any hex case) is the
/// HMAC-SHA256 of the body, or of its `\u`-escaped form, under one of the secrets.
fn oracle_accepts(secrets: &[&[u8]], body: &[u8], header: Option<&str>) -> bool {
    let Some(digest) = header
        .map(str::trim)
        .and_then(|h| h.strip_prefix("sha256="))
        .map(|d| d.trim().to_ascii_lowercase())
    else {
        return false;
    };
    let escaped = escape_non_ascii(body);
    secrets.iter().any(|secret| {
        let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
        let raw = hex::encode(hmac::sign(&key, body).as_ref());
        let esc = escaped
            .as_deref()
            .map(|e| hex::encode(hmac::sign(&key, e).as_ref()));
        digest == raw || esc.is_some_and(|e| digest == e)
    })
}
