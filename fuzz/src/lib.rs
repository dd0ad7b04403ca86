//! Invariants of the webhook entry path, shared by the two fuzz targets and by the replay
//! tests (`cargo test --manifest-path fuzz/Cargo.toml`, stable toolchain, no libFuzzer).
//!
//! The sequence mirrors `crates/app/src/http/webhook.rs` (`receive_inner`) without HTTP or a
//! database: body size cap → `verify_signature` → `parse_webhook` → one
//! `NewInboxEvent::from_event` per event (or one `NewInboxEvent::malformed` row for a signed
//! body that is not a webhook). Every check panics with a message naming the invariant, which
//! libFuzzer reports as a crash.

use std::collections::HashMap;
use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use omni_domain::{MessageBody, PhoneNumberId};
use omni_meta_graph::webhook::{
    SignatureError, WebhookParseError, escape_non_ascii, parse_webhook, sign, verify_signature,
};
use omni_ports::meta::webhook::{ChangeOrigin, WebhookBatch, WebhookEvent};
use omni_ports::{InboxState, NewInboxEvent};
use ring::hmac;
use serde_json::Value;

/// `pipeline.max_body_bytes` of `config/default.toml` (actix's `PayloadConfig` limit, applied
/// before the handler runs).
pub const MAX_BODY_BYTES: usize = 3 * 1024 * 1024;

/// The app secret the harness signs with by default (first in the list, like the current one).
pub const CURRENT_SECRET: &[u8] = b"fuzz-current-app-secret";
/// The secret of a rotation in progress (second in the list).
pub const PREVIOUS_SECRET: &[u8] = b"fuzz-previous-app-secret";

/// Whether the findings reported in docs/fuzzing.md ("Findings") are fatal: yes, since they are
/// fixed in the product (F1 serde_json `float_roundtrip`, F2 empty contact ids, F3 escaped
/// dedupe-key parts, F4 indexed contacts), so `regressions/` replays them strictly.
/// `OMNI_FUZZ_LENIENT=1` lets their exact shapes through again, for fuzzing an older tree.
/// - F1: a number re-read from the stored payload differs from the parsed one in its last
///   binary digits (serde_json without `float_roundtrip`).
/// - F2: a message whose sender identity is `Some("")` (an empty `wa_id` / `user_id` of the
///   matching contact).
/// - F3: two different events share a dedupe key because an id, field or status contains
///   `:`, the key's separator.
pub fn strict() -> bool {
    static STRICT: OnceLock<bool> = OnceLock::new();
    *STRICT.get_or_init(|| !std::env::var_os("OMNI_FUZZ_LENIENT").is_some_and(|v| v != "0"))
}

/// The fixed "now" of the harness (the handler reads its clock after the signature check).
fn received_at() -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_763_906_000, 0).unwrap_or_default()
}

// --- target 1: webhook_signature_and_parse -----------------------------------------------------

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

// --- target 2: webhook_batch_walker ------------------------------------------------------------

/// Target 2: any bytes straight into the parser (as if signed), then every check of the batch,
/// its events and their inbox rows, plus the batch-splitting equivalence.
pub fn batch_walker(data: &[u8]) {
    if data.len() > MAX_BODY_BYTES {
        return;
    }
    if let Some(batch) = check_parse_and_rows(data) {
        check_entries_are_independent(data, &batch);
    }
}

// --- shared: parse, events, rows ---------------------------------------------------------------

/// Parses like the handler and checks the result; returns the batch when the body was one.
pub fn check_parse_and_rows(body: &[u8]) -> Option<WebhookBatch> {
    let parsed = parse_webhook(body);
    assert_eq!(parsed, parse_webhook(body), "parsing is not deterministic");
    check_classification(body, &parsed);
    let received = received_at();
    match parsed {
        Ok(batch) => {
            check_accounting(body, &batch);
            let mut seen: HashMap<String, &WebhookEvent> = HashMap::new();
            for event in &batch.events {
                check_event(event);
                let row = NewInboxEvent::from_event(event, received);
                check_row(event, &row, received);
                if let Some(first) = seen.insert(row.dedupe_key.clone(), event) {
                    check_same_dedupe_key(first, event);
                }
            }
            Some(batch)
        }
        Err(e) => {
            let row = NewInboxEvent::malformed(body, &e.to_string(), received);
            assert!(row.dedupe_key.starts_with("malformed:"), "malformed key");
            assert_eq!(row.dedupe_key, row.ordering_key, "malformed ordering key");
            assert_eq!(row.state, InboxState::Dead, "malformed row not dead");
            assert_eq!(row.route_kind, "none");
            assert_eq!(
                row.payload,
                String::from_utf8_lossy(body),
                "malformed payload"
            );
            assert_eq!(row.error.as_deref(), Some(e.to_string().as_str()));
            None
        }
    }
}

/// `parse_webhook` errs exactly when the body is not a JSON object with a string `object` and
/// an `entry` array, and says which of those it is.
fn check_classification(body: &[u8], parsed: &Result<WebhookBatch, WebhookParseError>) {
    let expected = match serde_json::from_slice::<Value>(body) {
        Err(_) => {
            assert!(
                matches!(parsed, Err(WebhookParseError::NotJson(_))),
                "a body that is not JSON gave {parsed:?}"
            );
            return;
        }
        Ok(Value::Object(root)) => match (
            root.get("object").and_then(Value::as_str),
            root.get("entry").and_then(Value::as_array),
        ) {
            (None, _) => Err(WebhookParseError::MissingObject),
            (Some(_), None) => Err(WebhookParseError::MissingEntry),
            (Some(object), Some(_)) => Ok(object.to_owned()),
        },
        Ok(_) => Err(WebhookParseError::NotAnObject),
    };
    match (expected, parsed) {
        (Ok(object), Ok(batch)) => assert_eq!(batch.object, object, "batch.object"),
        (Err(want), got) => assert_eq!(got.as_ref().err(), Some(&want), "wrong parse error"),
        (Ok(_), Err(e)) => panic!("a webhook-shaped body was refused: {e:?}"),
    }
}

/// Nothing is lost silently: every entry, change, message, status and value-error list of the
/// body becomes exactly one event or one `skipped` count (a messages change without a usable
/// `phone_number_id` counts each item it carried, at least one).
fn check_accounting(body: &[u8], batch: &WebhookBatch) {
    let Ok(root) = serde_json::from_slice::<Value>(body) else {
        panic!("parsed but not JSON");
    };
    let entries = root
        .get("entry")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    let mut expected = 0_usize;
    for entry in entries {
        let Some(changes) = entry
            .as_object()
            .and_then(|e| e.get("changes"))
            .and_then(Value::as_array)
        else {
            expected += 1;
            continue;
        };
        for change in changes {
            let Some(field) = change.get("field").and_then(Value::as_str) else {
                expected += 1;
                continue;
            };
            match change.get("value") {
                Some(value @ Value::Object(_)) if field == "messages" => {
                    expected += messages_items(value);
                }
                _ => expected += 1,
            }
        }
    }
    assert_eq!(
        batch.events.len() + batch.skipped,
        expected,
        "events ({}) + skipped ({}) do not account for every item of the body",
        batch.events.len(),
        batch.skipped
    );
}

fn messages_items(value: &Value) -> usize {
    let len = |k: &str| value.get(k).and_then(Value::as_array).map_or(0, Vec::len);
    let has_errors = value
        .get("errors")
        .and_then(Value::as_array)
        .is_some_and(|a| a.iter().any(Value::is_object));
    let items = len("messages") + len("statuses") + usize::from(has_errors);
    let pid = value
        .get("metadata")
        .and_then(|m| m.get("phone_number_id"))
        .and_then(|p| match p {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        });
    if pid.is_some_and(|p| PhoneNumberId::parse(&p).is_ok()) {
        items
    } else {
        items.max(1)
    }
}

/// What every event must satisfy on its own.
fn check_event(event: &WebhookEvent) {
    assert!(
        !event.dedupe_key().is_empty(),
        "empty dedupe key: {event:?}"
    );
    match event {
        WebhookEvent::Message(m) => {
            assert!(!m.wamid.is_empty(), "message without wamid");
            assert!(!m.kind.is_empty(), "message without kind");
            // Media is attached exactly to the media bodies, with the same id.
            let media_id = match &m.body {
                MessageBody::Image { media_id, .. }
                | MessageBody::Audio { media_id, .. }
                | MessageBody::Video { media_id, .. }
                | MessageBody::Document { media_id, .. }
                | MessageBody::Sticker { media_id } => Some(media_id),
                _ => None,
            };
            assert_eq!(
                media_id,
                m.media.as_ref().map(|x| &x.id),
                "media and body disagree"
            );
            assert!(media_id.is_none_or(|id| !id.is_empty()), "empty media id");
            // The parser drops an empty `from` / `from_user_id` of the message itself, so the
            // identity it fills in from the matching contact must not be empty either: `from`
            // (else `from_user_id`) is the customer (`sender()`: ordering key, conversation).
            let empty = |f: &Option<String>| f.as_deref() == Some("");
            let known = !strict() && (empty(&m.from) || empty(&m.from_user_id)); // F2
            assert!(
                known
                    || (!empty(&m.from)
                        && !empty(&m.from_user_id)
                        && m.sender().is_some_and(|s| !s.is_empty())),
                "message with an empty sender identity: from={:?} from_user_id={:?}",
                m.from,
                m.from_user_id
            );
        }
        WebhookEvent::Status(s) => assert!(!s.wamid.is_empty(), "status without wamid"),
        other => {
            let origin = origin(other).unwrap_or_else(|| panic!("no origin: {other:?}"));
            assert_eq!(
                origin.value_digest.len(),
                64,
                "value digest is not SHA-256 hex"
            );
            assert!(
                origin
                    .value_digest
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
                "value digest is not lowercase hex"
            );
        }
    }
}

/// The inbox row of an event: keys, routing, time, and a payload that reads back as the event
/// (the inbox workers do `serde_json::from_str::<WebhookEvent>(payload)`).
fn check_row(event: &WebhookEvent, row: &NewInboxEvent, received: DateTime<Utc>) {
    assert_eq!(row.dedupe_key, event.dedupe_key());
    assert!(!row.dedupe_key.is_empty(), "empty dedupe key");
    assert!(!row.ordering_key.is_empty(), "empty ordering key");
    assert_eq!(row.field, event.field());
    assert_eq!(row.state, InboxState::Pending);
    assert_eq!(row.error, None);
    assert_eq!(row.received_at, received);
    match event {
        WebhookEvent::Message(m) => {
            assert_eq!(row.route_kind, "phone_number");
            assert_eq!(row.route_id, m.phone_number_id.as_str());
            let sender = m.sender().unwrap_or(&m.wamid);
            assert_eq!(
                row.ordering_key,
                format!("m:{}:{sender}", m.phone_number_id.as_str())
            );
            assert_eq!(row.event_at, m.timestamp);
        }
        WebhookEvent::Status(s) => {
            assert_eq!(row.route_kind, "phone_number");
            assert_eq!(row.route_id, s.phone_number_id.as_str());
            assert_eq!(row.ordering_key, format!("s:{}:{}", s.wamid, s.status));
            assert_eq!(row.event_at, s.timestamp);
        }
        WebhookEvent::ValueErrors(e) => {
            assert_eq!(row.route_kind, "phone_number");
            assert_eq!(row.route_id, e.phone_number_id.as_str());
            assert_eq!(row.ordering_key, format!("w:{}", row.route_id));
        }
        _ => {
            assert_eq!(row.route_kind, "waba");
            assert_eq!(row.ordering_key, format!("w:{}", row.route_id));
        }
    }
    if let Some(o) = origin(event) {
        assert_eq!(row.event_at, o.time().unwrap_or(received), "event_at");
    }
    assert!(
        !row.payload.is_empty(),
        "event did not serialise: {event:?}"
    );
    match serde_json::from_str::<WebhookEvent>(&row.payload) {
        Ok(back) if !strict() && back != *event && same_but_floats(&back, event) => {} // F1
        Ok(back) => assert_eq!(&back, event, "payload does not read back as the same event"),
        Err(e) => panic!(
            "payload does not read back ({e}): {}\nevent: {event:?}",
            row.payload
        ),
    }
}

/// F1: equal once every number is compared as an `f64` with a few ulps of slack.
fn same_but_floats(a: &WebhookEvent, b: &WebhookEvent) -> bool {
    fn close(x: &Value, y: &Value) -> bool {
        match (x, y) {
            (Value::Number(m), Value::Number(n)) => match (m.as_f64(), n.as_f64()) {
                (Some(p), Some(q)) if m.is_f64() || n.is_f64() => {
                    p == q || (p - q).abs() <= 4.0 * f64::EPSILON * p.abs().max(q.abs())
                }
                _ => m == n,
            },
            (Value::Array(m), Value::Array(n)) => {
                m.len() == n.len() && m.iter().zip(n).all(|(x, y)| close(x, y))
            }
            (Value::Object(m), Value::Object(n)) => {
                m.len() == n.len() && m.iter().all(|(k, x)| n.get(k).is_some_and(|y| close(x, y)))
            }
            _ => x == y,
        }
    }
    match (serde_json::to_value(a), serde_json::to_value(b)) {
        (Ok(x), Ok(y)) => close(&x, &y),
        _ => false,
    }
}

fn has_float(v: &Value) -> bool {
    match v {
        Value::Number(n) => n.is_f64(),
        Value::Array(a) => a.iter().any(has_float),
        Value::Object(o) => o.values().any(has_float),
        _ => false,
    }
}

fn origin(event: &WebhookEvent) -> Option<&ChangeOrigin> {
    use WebhookEvent as E;
    match event {
        E::Message(_) | E::Status(_) => None,
        E::ValueErrors(e) => Some(&e.origin),
        E::QualityUpdate(e) => Some(&e.origin),
        E::CapabilityUpdate(e) => Some(&e.origin),
        E::AccountUpdate(e) => Some(&e.origin),
        E::ReviewUpdate(e) => Some(&e.origin),
        E::AccountAlert(e) => Some(&e.origin),
        E::TemplateStatus(e) => Some(&e.origin),
        E::NameUpdate(e) => Some(&e.origin),
        E::Other(e) => Some(&e.origin),
    }
}

/// Two events of one batch share a dedupe key, so the inbox keeps only the first. That is
/// right only when they are the same thing: the same message (Meta's id; a retry may differ in
/// details), the same step of the same status, or, for changes, the same change (same field,
/// entry, time and value, hence the very same event).
fn check_same_dedupe_key(first: &WebhookEvent, second: &WebhookEvent) {
    use WebhookEvent as E;
    let same = match (first, second) {
        (E::Message(a), E::Message(b)) => a.wamid == b.wamid,
        (E::Status(a), E::Status(b)) => a.wamid == b.wamid && a.status == b.status,
        (a, b) => match (origin(a), origin(b)) {
            (Some(oa), Some(ob)) => oa == ob && a == b,
            _ => false,
        },
    };
    let colon = |e: &WebhookEvent| match e {
        E::Message(m) => m.wamid.contains(':'),
        E::Status(s) => s.wamid.contains(':') || s.status.as_str().contains(':'),
        other => origin(other).is_some_and(|o| o.field.contains(':') || o.entry_id.contains(':')),
    };
    let known = !strict() && (colon(first) || colon(second)); // F3
    assert!(
        same || known,
        "two different events share the dedupe key {:?}; the inbox would drop the second:\n\
         first:  {first:?}\nsecond: {second:?}",
        first.dedupe_key()
    );
}

/// The batch walker treats entries independently: the batch's events and skips are exactly the
/// concatenation of those of one-entry batches built from each entry.
fn check_entries_are_independent(body: &[u8], batch: &WebhookBatch) {
    let Ok(Value::Object(root)) = serde_json::from_slice::<Value>(body) else {
        return;
    };
    let Some(entries) = root.get("entry").and_then(Value::as_array) else {
        return;
    };
    // Splitting re-serialises the entries, which moves some floats by an ulp (F1).
    if entries.len() < 2 || (!strict() && entries.iter().any(has_float)) {
        return;
    }
    let mut events = Vec::new();
    let mut skipped = 0;
    for entry in entries {
        let single = serde_json::json!({ "object": batch.object, "entry": [entry] });
        let Ok(one) = parse_webhook(single.to_string().as_bytes()) else {
            panic!("a one-entry batch of a valid batch was refused");
        };
        events.extend(one.events);
        skipped += one.skipped;
    }
    assert_eq!(
        skipped, batch.skipped,
        "skips differ when entries are split"
    );
    assert_eq!(events, batch.events, "events differ when entries are split");
}

#[cfg(test)]
mod tests {
    //! Replays every committed regression and corpus file through both targets (stable
    //! toolchain, no libFuzzer): `cargo test --manifest-path fuzz/Cargo.toml`.

    use std::path::Path;

    /// Runs `target` on every file of `dir` (but `*.md`); returns how many ran and which failed.
    fn replay(dir: &str, target: fn(&[u8])) -> (usize, Vec<String>) {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
        let Ok(read) = std::fs::read_dir(&dir) else {
            return (0, Vec::new());
        };
        let mut files: Vec<_> = read.filter_map(Result::ok).map(|e| e.path()).collect();
        files.sort();
        let mut failed = Vec::new();
        let mut n = 0;
        for path in files.iter().filter(|p| p.is_file()) {
            if path.extension().is_some_and(|e| e == "md") {
                continue;
            }
            let Ok(data) = std::fs::read(path) else {
                continue;
            };
            n += 1;
            if std::panic::catch_unwind(|| target(&data)).is_err() {
                failed.push(path.display().to_string());
            }
        }
        (n, failed)
    }

    fn check(target_name: &str, target: fn(&[u8])) {
        let (a, mut failed) = replay(&format!("corpus/{target_name}"), target);
        let (b, more) = replay(&format!("regressions/{target_name}"), target);
        failed.extend(more);
        assert!(a + b > 0, "no input replayed");
        assert!(failed.is_empty(), "failing inputs:\n{}", failed.join("\n"));
    }

    #[test]
    fn signature_and_parse_corpus_and_regressions() {
        check("webhook_signature_and_parse", super::signature_and_parse);
    }

    #[test]
    fn batch_walker_corpus_and_regressions() {
        check("webhook_batch_walker", super::batch_walker);
    }
}
