//! The checks both targets run on a body that reached the parser: parsing is deterministic
//! and classifies the body right, every item of the body is accounted for, every event and its
//! inbox row hold their invariants (keys, routing, time, a payload that reads back), and two
//! events sharing a dedupe key are the same event.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use omni_domain::{MessageBody, PhoneNumberId};
use omni_meta_graph::webhook::{WebhookParseError, parse_webhook};
use omni_ports::meta::webhook::{ChangeOrigin, WebhookBatch, WebhookEvent};
use omni_ports::{InboxRouteKind, InboxState, NewInboxEvent};
use serde_json::Value;

use crate::{received_at, strict};

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
            assert_eq!(row.route_kind, InboxRouteKind::None);
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
            assert_eq!(row.route_kind, InboxRouteKind::PhoneNumber);
            assert_eq!(row.route_id, m.phone_number_id.as_str());
            let sender = m.sender().unwrap_or(&m.wamid);
            assert_eq!(
                row.ordering_key,
                format!("m:{}:{sender}", m.phone_number_id.as_str())
            );
            assert_eq!(row.event_at, m.timestamp);
        }
        WebhookEvent::Status(s) => {
            assert_eq!(row.route_kind, InboxRouteKind::PhoneNumber);
            assert_eq!(row.route_id, s.phone_number_id.as_str());
            assert_eq!(row.ordering_key, format!("s:{}:{}", s.wamid, s.status));
            assert_eq!(row.event_at, s.timestamp);
        }
        WebhookEvent::ValueErrors(e) => {
            assert_eq!(row.route_kind, InboxRouteKind::PhoneNumber);
            assert_eq!(row.route_id, e.phone_number_id.as_str());
            assert_eq!(row.ordering_key, format!("w:{}", row.route_id));
        }
        _ => {
            assert_eq!(row.route_kind, InboxRouteKind::Waba);
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

pub(crate) fn has_float(v: &Value) -> bool {
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
