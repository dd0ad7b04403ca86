//! Status precedence, dedupe keys and routing of webhook events.

use super::*;

#[test]
fn statuses_only_move_forward_and_failed_is_terminal() {
    use DeliveryStatus::*;
    assert!(Delivered.supersedes(&Sent));
    assert!(Read.supersedes(&Sent), "delivered may be skipped");
    assert!(!Delivered.supersedes(&Read), "late delivered after read");
    assert!(Played.supersedes(&Read));
    assert!(Failed.supersedes(&Sent));
    assert!(!Read.supersedes(&Failed));
    assert!(!Failed.supersedes(&Failed));
    assert!(!Other("deleted".into()).supersedes(&Sent));
    assert_eq!(DeliveryStatus::from_meta("READ"), Read);
    assert_eq!(DeliveryStatus::from_meta("warning").as_str(), "warning");
}

#[test]
fn delivery_status_serializes_as_meta_text() {
    let json = serde_json::to_string(&DeliveryStatus::Played).unwrap_or_default();
    assert_eq!(json, r#""played""#);
    let back: Option<DeliveryStatus> = serde_json::from_str(r#""new_one""#).ok();
    assert_eq!(back, Some(DeliveryStatus::Other("new_one".into())));
}

#[test]
fn change_origin_keys_are_stable_and_tolerate_a_missing_time() {
    let o = ChangeOrigin {
        field: "account_update".into(),
        entry_id: "1".into(),
        entry_time: None,
        value_digest: "ab".into(),
    };
    assert_eq!(o.dedupe_key(), "account_update:1::ab");
    let t = ChangeOrigin {
        entry_time: Some(1_763_906_350),
        ..o
    };
    assert_eq!(t.dedupe_key(), "account_update:1:1763906350:ab");
    assert!(t.time().is_some());
}

#[test]
fn media_content_type_strips_parameters() {
    let m = InboundMedia {
        id: "1".into(),
        mime_type: Some("audio/ogg; codecs=opus".into()),
        sha256: None,
        url: None,
        filename: None,
        voice: true,
        animated: false,
    };
    assert_eq!(m.content_type().as_deref(), Some("audio/ogg"));
}
