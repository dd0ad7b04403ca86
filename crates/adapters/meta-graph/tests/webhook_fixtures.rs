//! Every real-shaped payload in `tests/fixtures/webhooks` parses into the expected events, and
//! signatures over their exact bytes (Urdu, emoji) verify. The directory is iterated, so a new
//! fixture is covered by the "parses and signs" checks without touching this file.
#![expect(clippy::unwrap_used, reason = "tests")]

use std::collections::BTreeMap;
use std::path::PathBuf;

use omni_domain::{LimitTier, MessageBody};
use omni_meta_graph::webhook::{
    SignatureError, escape_non_ascii, parse_webhook, sign, verify_signature,
};
use omni_ports::meta::webhook::{
    DeliveryStatus, InboundMessage, StatusUpdate, WebhookBatch, WebhookEvent, WebhookRoute,
};

const SECRET: &[u8] = b"omni-test-app-secret";

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../tests/fixtures/webhooks")
}

/// Every `*.json` fixture: name (without extension) → bytes.
fn fixtures() -> BTreeMap<String, Vec<u8>> {
    let mut all = BTreeMap::new();
    for entry in std::fs::read_dir(fixture_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            all.insert(name, std::fs::read(&path).unwrap());
        }
    }
    assert!(all.len() >= 25, "fixtures not found in {:?}", fixture_dir());
    all
}

fn batch(name: &str) -> WebhookBatch {
    let bytes = std::fs::read(fixture_dir().join(format!("{name}.json"))).unwrap();
    parse_webhook(&bytes).unwrap()
}

fn only(name: &str) -> WebhookEvent {
    let b = batch(name);
    assert_eq!(b.events.len(), 1, "{name}: {:?}", b.events);
    assert_eq!(b.skipped, 0, "{name}");
    b.events.into_iter().next().unwrap()
}

fn message(name: &str) -> InboundMessage {
    match only(name) {
        WebhookEvent::Message(m) => *m,
        other => panic!("{name}: not a message: {other:?}"),
    }
}

fn status(name: &str) -> StatusUpdate {
    match only(name) {
        WebhookEvent::Status(s) => s,
        other => panic!("{name}: not a status: {other:?}"),
    }
}

const PID: &str = "106540352242922";
const WABA: &str = "102290129340398";

#[test]
fn every_fixture_parses_completely_and_its_events_have_keys_and_routes() {
    for (name, bytes) in fixtures() {
        let b = parse_webhook(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(b.object, "whatsapp_business_account", "{name}");
        assert_eq!(b.skipped, 0, "{name} skipped something");
        assert!(!b.events.is_empty(), "{name} gave no event");
        for e in &b.events {
            assert!(!e.dedupe_key().is_empty(), "{name}");
            match e.route() {
                WebhookRoute::PhoneNumber(p) => assert!(!p.as_str().is_empty()),
                WebhookRoute::Waba(w) => assert!(!w.is_empty(), "{name}"),
            }
        }
        // Parsing is deterministic: the same bytes give the same keys (dedupe of retries).
        let again = parse_webhook(&bytes).unwrap();
        let keys = |b: &WebhookBatch| {
            b.events
                .iter()
                .map(WebhookEvent::dedupe_key)
                .collect::<Vec<_>>()
        };
        assert_eq!(keys(&b), keys(&again), "{name}");
    }
}

#[test]
fn every_fixture_signed_verifies_and_one_flipped_byte_fails() {
    for (name, bytes) in fixtures() {
        let header = sign(SECRET, &bytes);
        assert_eq!(
            verify_signature(&[SECRET], &bytes, Some(&header)),
            Ok(()),
            "{name}"
        );
        for at in [0, bytes.len() / 2, bytes.len() - 1] {
            let mut tampered = bytes.clone();
            tampered[at] ^= 0x01;
            assert_eq!(
                verify_signature(&[SECRET], &tampered, Some(&header)),
                Err(SignatureError::Mismatch),
                "{name} byte {at}"
            );
        }
    }
}

// --- signatures -------------------------------------------------------------------------------

/// `{"text":{"body":"مجھے 2 زنگر برگر چاہیے 🍔🍔"}}`, 68 bytes of UTF-8; expected values computed
/// with `/work/shared/tools/sign-webhook.py FILE --secret omni-test-app-secret` (Python's hmac).
const VECTOR_BODY: &str = r#"{"text":{"body":"مجھے 2 زنگر برگر چاہیے 🍔🍔"}}"#;
const VECTOR_SIG: &str = "sha256=8d955c1503dcc8996e6cc7083cd78711a10792a88ab76ebb3cfbc90050c277f8";
/// The same, over Python's `json.dumps(..., separators=(',',':'))` (ensure_ascii) form.
const VECTOR_ESCAPED_SIG: &str =
    "sha256=74892d9dbe5e1bb0783bc6f420982a5fa6a46516b78fc4b9161cfd599335c064";
/// The fixture file `text_urdu_emoji.json` as it is on disk, same secret.
const FIXTURE_URDU_SIG: &str =
    "sha256=186a4bfbf3d7307e56c5e600f75649bf83aa9ef4bd7eedc4887afc6f07708a9f";

#[test]
fn known_vector_over_urdu_and_emoji_matches_python_hmac() {
    assert_eq!(VECTOR_BODY.len(), 68);
    assert_eq!(sign(SECRET, VECTOR_BODY.as_bytes()), VECTOR_SIG);
    assert_eq!(
        verify_signature(&[SECRET], VECTOR_BODY.as_bytes(), Some(VECTOR_SIG)),
        Ok(())
    );
    let fixture = std::fs::read(fixture_dir().join("text_urdu_emoji.json")).unwrap();
    assert_eq!(sign(SECRET, &fixture), FIXTURE_URDU_SIG);
}

#[test]
fn escaped_form_matches_python_and_the_fallback_accepts_a_decoded_body() {
    let escaped = escape_non_ascii(VECTOR_BODY.as_bytes()).unwrap();
    assert_eq!(
        String::from_utf8(escaped.clone()).unwrap(),
        r#"{"text":{"body":"\u0645\u062c\u06be\u06d2 2 \u0632\u0646\u06af\u0631 \u0628\u0631\u06af\u0631 \u0686\u0627\u06c1\u06cc\u06d2 \ud83c\udf54\ud83c\udf54"}}"#
    );
    assert_eq!(sign(SECRET, &escaped), VECTOR_ESCAPED_SIG);
    // Meta signed the escaped form; a proxy decoded it: still accepted.
    assert_eq!(
        verify_signature(&[SECRET], VECTOR_BODY.as_bytes(), Some(VECTOR_ESCAPED_SIG)),
        Ok(())
    );
    // And the escaped bytes themselves verify directly.
    assert_eq!(
        verify_signature(&[SECRET], &escaped, Some(VECTOR_ESCAPED_SIG)),
        Ok(())
    );
}

#[test]
fn header_format_is_tolerant_of_case_and_whitespace_only() {
    let body = VECTOR_BODY.as_bytes();
    let upper = format!("sha256={}", VECTOR_SIG["sha256=".len()..].to_uppercase());
    let padded = format!("  {VECTOR_SIG}\t");
    assert_eq!(verify_signature(&[SECRET], body, Some(&upper)), Ok(()));
    assert_eq!(verify_signature(&[SECRET], body, Some(&padded)), Ok(()));

    let cases: [(Option<&str>, SignatureError); 7] = [
        (None, SignatureError::Missing),
        (Some(""), SignatureError::Missing),
        (
            Some(&VECTOR_SIG["sha256=".len()..]),
            SignatureError::BadPrefix,
        ),
        (
            Some("sha1=8d955c1503dcc8996e6cc7083cd78711a10792a8"),
            SignatureError::BadPrefix,
        ),
        (
            Some("sha256=zz955c1503dcc8996e6cc7083cd78711a10792a88ab76ebb3cfbc90050c277f8"),
            SignatureError::BadHex,
        ),
        (Some("sha256=8d955c"), SignatureError::BadLength),
        (
            Some("sha256=8d955c1503dcc8996e6cc7083cd78711a10792a88ab76ebb3cfbc90050c277f9"),
            SignatureError::Mismatch,
        ),
    ];
    for (header, expected) in cases {
        assert_eq!(
            verify_signature(&[SECRET], body, header),
            Err(expected),
            "{header:?}"
        );
    }
}

#[test]
fn rotation_accepts_any_listed_secret_and_nothing_else() {
    let body = VECTOR_BODY.as_bytes();
    let old: &[u8] = b"previous-secret";
    let new: &[u8] = b"current-secret";
    let by_old = sign(old, body);
    assert_eq!(verify_signature(&[new, old], body, Some(&by_old)), Ok(()));
    assert_eq!(
        verify_signature(&[new], body, Some(&by_old)),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        verify_signature(&[new, old], body, Some(&sign(new, body))),
        Ok(())
    );
}

#[test]
fn tampered_body_fails() {
    let mut body = VECTOR_BODY.as_bytes().to_vec();
    body[20] ^= 0x20;
    assert_eq!(
        verify_signature(&[SECRET], &body, Some(VECTOR_SIG)),
        Err(SignatureError::Mismatch)
    );
}

// --- per-fixture events -----------------------------------------------------------------------

#[test]
fn text() {
    let m = message("text");
    assert_eq!(m.phone_number_id.as_str(), PID);
    assert_eq!(m.display_phone_number, "923001112233");
    assert_eq!(m.waba_id, WABA);
    assert_eq!(
        m.wamid,
        "wamid.HBgMOTIzMjE0NTY3ODkwFQIAEhgUM0E0QjJGRkQ4QzlBMDE2RTc3NjcA"
    );
    assert_eq!(m.from.as_deref(), Some("923214567890"));
    assert_eq!(m.from_user_id.as_deref(), Some("PK.1829374650192837465"));
    assert_eq!(m.profile_name.as_deref(), Some("Ayesha Khan"));
    assert_eq!(m.timestamp.timestamp(), 1_763_905_200);
    assert_eq!(
        m.body,
        MessageBody::Text {
            body: "I want to order a burger".into()
        }
    );
    assert!(m.context.is_none() && m.errors.is_empty() && m.media.is_none());
    assert_eq!(
        WebhookEvent::Message(Box::new(m.clone())).dedupe_key(),
        m.wamid
    );
}

#[test]
fn text_urdu_emoji_keeps_the_exact_text() {
    let m = message("text_urdu_emoji");
    assert_eq!(
        m.body,
        MessageBody::Text {
            body: "مجھے 2 زنگر برگر چاہیے 🍔🍔 mujhe 2 zinger burger chahiye".into()
        }
    );
}

#[test]
fn image_payment_proof_keeps_media_details() {
    let m = message("image_payment_proof");
    assert_eq!(
        m.body,
        MessageBody::Image {
            media_id: "1003383421387256".into(),
            caption: Some("Rs 1,250 sent via JazzCash".into())
        }
    );
    let media = m.media.unwrap();
    assert_eq!(media.id, "1003383421387256");
    assert_eq!(media.mime_type.as_deref(), Some("image/jpeg"));
    assert_eq!(
        media.sha256.as_deref(),
        Some("SfInY0gGKTsJlUWbwxC1k+FAD0FZHvzwfpvO0zX0GUI=")
    );
    assert!(media.url.is_none());
}

#[test]
fn audio_voice_note() {
    let m = message("audio_voice_note");
    assert_eq!(
        m.body,
        MessageBody::Audio {
            media_id: "1234567890987654".into(),
            voice: true
        }
    );
    let media = m.media.unwrap();
    assert!(media.voice);
    assert_eq!(media.content_type().as_deref(), Some("audio/ogg"));
    // The message has no from_user_id; the contact's BSUID fills it.
    assert_eq!(m.from_user_id.as_deref(), Some("PK.1829374650192837465"));
}

#[test]
fn location_pin() {
    let m = message("location_pin");
    assert_eq!(
        m.body,
        MessageBody::Location {
            latitude: 31.520_369_6,
            longitude: 74.358_747_3,
            name: Some("Liberty Market".into()),
            address: Some("Gulberg III, Lahore".into())
        }
    );
}

#[test]
fn interactive_replies_and_template_buttons_are_interactive() {
    let b = message("interactive_button_reply");
    assert_eq!(
        b.body,
        MessageBody::Interactive {
            id: "pay_jazzcash".into(),
            title: "JazzCash".into()
        }
    );
    assert_eq!(
        b.context.unwrap().replied_to.as_deref(),
        Some("wamid.HBgMOTIzMDAxMTEyMjMzFQIAERgSQjA1NUU5QkI4RTk2MkU1RDAA")
    );
    let l = message("interactive_list_reply");
    assert_eq!(
        l.body,
        MessageBody::Interactive {
            id: "item_zinger".into(),
            title: "Zinger Burger".into()
        }
    );
    let t = message("template_button");
    assert_eq!(t.kind, "button");
    assert_eq!(
        t.body,
        MessageBody::Interactive {
            id: "TRACK_ORDER_123".into(),
            title: "Track order".into()
        }
    );
    assert_eq!(
        t.context.unwrap().replied_to.as_deref(),
        Some("wamid.TEMPLATESENT0001")
    );
}

#[test]
fn reaction() {
    let m = message("reaction");
    assert_eq!(
        m.body,
        MessageBody::Reaction {
            message_id: "wamid.HBgMOTIzMDAxMTEyMjMzFQIAERgSQjA1NUU5QkI4RTk2MkU1RDAA".into(),
            emoji: Some("👍".into())
        }
    );
}

#[test]
fn unsupported_poll_is_other_with_its_error() {
    let m = message("unsupported_poll");
    assert_eq!(
        m.body,
        MessageBody::Other {
            kind: "unsupported".into()
        }
    );
    assert_eq!(m.errors.len(), 1);
    assert_eq!(m.errors[0].code, 131_051);
    assert_eq!(
        m.errors[0].details.as_deref(),
        Some("Message type is currently not supported.")
    );
}

#[test]
fn bsuid_only_sender_has_no_wa_id() {
    let m = message("bsuid_only_sender");
    assert_eq!(m.from, None);
    assert_eq!(m.from_user_id.as_deref(), Some("PK.5566778899001122334"));
    assert_eq!(m.sender(), Some("PK.5566778899001122334"));
    assert_eq!(m.profile_name.as_deref(), Some("Bilal"));
    assert_eq!(m.username.as_deref(), Some("@bilal.eats"));
}

#[test]
fn unknown_phone_number_id_still_parses_for_the_router_to_drop() {
    let m = message("unknown_phone_number_id");
    assert_eq!(m.phone_number_id.as_str(), "999999999999999");
}

#[test]
fn statuses_sent_delivered_read() {
    let sent = status("status_sent");
    assert_eq!(sent.status, DeliveryStatus::Sent);
    assert_eq!(sent.pricing_category.as_deref(), Some("service"));
    assert_eq!(sent.pricing_type.as_deref(), Some("free_customer_service"));
    assert_eq!(sent.pricing_model.as_deref(), Some("PMP"));
    assert_eq!(sent.recipient_id.as_deref(), Some("923214567890"));
    let delivered = status("status_delivered");
    let read = status("status_read");
    assert_eq!(delivered.wamid, sent.wamid);
    assert_eq!(read.status, DeliveryStatus::Read);
    assert!(read.status.supersedes(&delivered.status));
    assert!(!delivered.status.supersedes(&read.status));
    let keys = [sent, delivered, read].map(|s| WebhookEvent::Status(s).dedupe_key());
    assert_eq!(
        keys[2],
        "wamid.HBgMOTIzMDAxMTEyMjMzFQIAERgSQjA1NUU5QkI4RTk2MkU1RDAA:read"
    );
    assert!(keys[0] != keys[1] && keys[1] != keys[2]);
}

#[test]
fn status_failed_131047() {
    let s = status("status_failed_131047");
    assert_eq!(s.status, DeliveryStatus::Failed);
    assert_eq!(s.errors.len(), 1);
    assert_eq!(s.errors[0].code, 131_047);
    assert_eq!(s.errors[0].title.as_deref(), Some("Re-engagement message"));
    assert!(s.errors[0].details.as_deref().unwrap().contains("24 hours"));
}

#[test]
fn value_error_130429() {
    match only("value_error_130429") {
        WebhookEvent::ValueErrors(e) => {
            assert_eq!(e.phone_number_id.as_str(), PID);
            assert_eq!(e.errors[0].code, 130_429);
            assert_eq!(e.errors[0].title.as_deref(), Some("Rate limit hit"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn batch_two_stores_yields_every_event_for_both_numbers() {
    let b = batch("batch_two_stores");
    assert_eq!(b.skipped, 0);
    let keys: Vec<String> = b.events.iter().map(WebhookEvent::dedupe_key).collect();
    assert_eq!(
        keys,
        [
            "wamid.BATCH.A1",
            "wamid.BATCH.A2",
            "wamid.BATCH.A3",
            "wamid.HBgMOTIzMDAxMTEyMjMzFQIAERgSQjA1NUU5QkI4RTk2MkU1RDAA:delivered",
            "wamid.BATCH.B1",
        ]
    );
    let routes: Vec<String> = b
        .events
        .iter()
        .map(|e| match e.route() {
            WebhookRoute::PhoneNumber(p) => p.to_string(),
            WebhookRoute::Waba(w) => panic!("unexpected WABA route {w}"),
        })
        .collect();
    assert_eq!(routes[..4], [PID, PID, PID, PID]);
    assert_eq!(routes[4], "209876543210987");
    let WebhookEvent::Message(a3) = &b.events[2] else {
        panic!()
    };
    // A3's sender has no contacts entry: no profile name, but the message is kept.
    assert_eq!(a3.from.as_deref(), Some("923451112222"));
    assert_eq!(a3.profile_name, None);
    let WebhookEvent::Message(b1) = &b.events[4] else {
        panic!()
    };
    assert_eq!(b1.waba_id, "301122334455667");
    assert_eq!(b1.profile_name.as_deref(), Some("Usman"));
}

#[test]
fn quality_update_flagged_maps_the_portfolio_limit() {
    match only("quality_update_flagged") {
        WebhookEvent::QualityUpdate(q) => {
            assert_eq!(q.waba_id, WABA);
            assert_eq!(q.display_phone_number, "923001112233");
            assert_eq!(q.event, "FLAGGED");
            // max_daily_conversations_per_business wins over the deprecated current_limit.
            assert_eq!(q.limit, Some(LimitTier::Tier2K));
            assert_eq!(q.old_limit, None);
            assert_eq!(q.origin.entry_time, Some(1_763_906_100));
        }
        other => panic!("{other:?}"),
    }
    match only("quality_update_throughput_upgrade") {
        WebhookEvent::QualityUpdate(q) => {
            assert_eq!(q.event, "THROUGHPUT_UPGRADE");
            assert_eq!(q.limit, Some(LimitTier::Tier10K));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn business_capability_update_reads_an_integer_limit() {
    match only("business_capability_update") {
        WebhookEvent::CapabilityUpdate(c) => {
            assert_eq!(c.waba_id, WABA);
            assert_eq!(c.max_daily, Some(LimitTier::Tier2K));
            assert_eq!(c.max_phone_numbers, Some(25));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn account_updates_route_partner_events_by_waba_info() {
    match only("account_update_partner_app_uninstalled") {
        WebhookEvent::AccountUpdate(a) => {
            assert_eq!(a.event, "PARTNER_APP_UNINSTALLED");
            assert_eq!(
                a.waba_id, WABA,
                "waba_info.waba_id, not the partner's entry.id"
            );
            assert_eq!(a.origin.entry_id, "2949482758682047");
            assert_eq!(a.owner_business_id.as_deref(), Some("1284923862322270"));
            assert!(a.is_access_lost());
        }
        other => panic!("{other:?}"),
    }
    match only("account_update_disabled") {
        WebhookEvent::AccountUpdate(a) => {
            assert_eq!(a.waba_id, WABA);
            assert_eq!(a.event, "DISABLED_UPDATE");
            assert_eq!(a.ban_state.as_deref(), Some("SCHEDULE_FOR_DISABLE"));
            assert_eq!(a.ban_date.as_deref(), Some("2026-12-01"));
            assert!(!a.is_access_lost());
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn template_status_update_reads_a_numeric_id() {
    match only("template_status_update") {
        WebhookEvent::TemplateStatus(t) => {
            assert_eq!(t.template_id, "1689556908129832");
            assert_eq!(t.name.as_deref(), Some("order_out_for_delivery"));
            assert_eq!(t.language.as_deref(), Some("en"));
            assert_eq!(t.category.as_deref(), Some("UTILITY"));
            assert_eq!(t.event, "APPROVED");
            assert_eq!(t.reason, None);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn unknown_field_is_kept_as_other() {
    let e = only("unknown_field");
    assert_eq!(e.field(), "some_future_field");
    match &e {
        WebhookEvent::Other(o) => {
            assert_eq!(o.waba_id, WABA);
            assert_eq!(o.value, serde_json::json!({"anything": [1, 2, 3]}));
            let key = e.dedupe_key();
            assert!(
                key.starts_with("some_future_field:102290129340398:1763906500:"),
                "{key}"
            );
            assert_eq!(key.rsplit(':').next().unwrap().len(), 64);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn events_survive_a_serde_round_trip() {
    for (name, bytes) in fixtures() {
        let b = parse_webhook(&bytes).unwrap();
        let json = serde_json::to_string(&b).unwrap();
        let back: WebhookBatch = serde_json::from_str(&json).unwrap();
        assert_eq!(back, b, "{name}");
    }
}

// --- robustness -------------------------------------------------------------------------------

/// Every path to a leaf (scalar or empty container) of `v`.
fn leaf_paths(v: &serde_json::Value, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    match v {
        serde_json::Value::Object(m) if !m.is_empty() => {
            for (k, child) in m {
                path.push(k.clone());
                leaf_paths(child, path, out);
                path.pop();
            }
        }
        serde_json::Value::Array(a) if !a.is_empty() => {
            for (i, child) in a.iter().enumerate() {
                path.push(i.to_string());
                leaf_paths(child, path, out);
                path.pop();
            }
        }
        _ => out.push(path.clone()),
    }
}

fn at_path<'a>(v: &'a mut serde_json::Value, path: &[String]) -> Option<&'a mut serde_json::Value> {
    path.iter().try_fold(v, |v, key| match v {
        serde_json::Value::Object(m) => m.get_mut(key),
        serde_json::Value::Array(a) => key.parse::<usize>().ok().and_then(|i| a.get_mut(i)),
        _ => None,
    })
}

#[test]
fn no_input_derived_from_the_fixtures_panics() {
    let replacements = [
        serde_json::json!(null),
        serde_json::json!(0),
        serde_json::json!(-1),
        serde_json::json!(1e300),
        serde_json::json!(""),
        serde_json::json!("x"),
        serde_json::json!(true),
        serde_json::json!([]),
        serde_json::json!({}),
        serde_json::json!([{"id": 1}]),
    ];
    let mut parsed = 0_usize;
    for (name, bytes) in fixtures() {
        // Every truncation.
        for end in 0..bytes.len() {
            let _ = parse_webhook(&bytes[..end]);
        }
        // Every leaf swapped for every other JSON type; and every leaf removed.
        let original: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        let mut paths = Vec::new();
        leaf_paths(&original, &mut Vec::new(), &mut paths);
        for path in &paths {
            for r in &replacements {
                let mut v = original.clone();
                if let Some(slot) = at_path(&mut v, path) {
                    *slot = r.clone();
                }
                let _ = parse_webhook(v.to_string().as_bytes());
                parsed += 1;
            }
            if let Some((last, parent)) = path.split_last() {
                let mut v = original.clone();
                if let Some(serde_json::Value::Object(m)) = at_path(&mut v, parent) {
                    m.remove(last);
                }
                let b = parse_webhook(v.to_string().as_bytes());
                assert!(b.is_ok() || path.len() <= 1, "{name}: removing {path:?}");
            }
        }
    }
    assert!(parsed > 1_000);
}
