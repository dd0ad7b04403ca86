//! Tests of the webhook parser: what is an error, what costs only itself, sender fallbacks,
//! management fields and the value digest.
#![expect(clippy::unwrap_used, reason = "tests")]

use omni_domain::LimitTier;

use omni_domain::MessageBody;
use serde_json::Value;

use super::*;
use crate::webhook::json::value_digest;
use crate::webhook::management::tier;

fn wrap(value: &str) -> String {
    format!(
        r#"{{"object":"whatsapp_business_account","entry":[{{"id":"1","changes":[{{"field":"messages","value":{{"metadata":{{"display_phone_number":"92300","phone_number_id":"106540352242922"}},{value}}}}}]}}]}}"#
    )
}

#[test]
fn rejects_only_what_is_not_a_webhook() {
    assert!(matches!(
        parse_webhook(b"not json"),
        Err(WebhookParseError::NotJson(_))
    ));
    assert_eq!(parse_webhook(b"[]"), Err(WebhookParseError::NotAnObject));
    assert_eq!(
        parse_webhook(br#"{"entry":[]}"#),
        Err(WebhookParseError::MissingObject)
    );
    assert_eq!(
        parse_webhook(br#"{"object":"x"}"#),
        Err(WebhookParseError::MissingEntry)
    );
    let empty = parse_webhook(br#"{"object":"x","entry":[]}"#).unwrap();
    assert!(empty.events.is_empty());
}

/// Found by fuzzing (docs/fuzzing.md): F2, an empty `wa_id` in the matching contact is no
/// sender; F3, ids with the key separator cannot make two events share a dedupe key.
#[test]
fn an_empty_contact_id_is_no_sender_and_colons_cannot_merge_dedupe_keys() {
    let body = wrap(
        r#""contacts":[{"wa_id":"","user_id":"PK.1"}],"messages":[{"from_user_id":"PK.1","id":"wamid.A","timestamp":"1763906000","type":"text","text":{"body":"hi"}}],"statuses":[{"id":"x","status":"read","timestamp":"1763906000","recipient_id":"923001234567"}]"#,
    );
    let batch = parse_webhook(body.as_bytes()).unwrap();
    let WebhookEvent::Message(m) = &batch.events[0] else {
        panic!("{:?}", batch.events[0]);
    };
    assert_eq!(m.from, None);
    assert_eq!(m.from_user_id.as_deref(), Some("PK.1"));
    let colon = wrap(
        r#""messages":[{"from":"923001234567","id":"x:read","timestamp":"1763906000","type":"text","text":{"body":"hi"}}]"#,
    );
    let message = parse_webhook(colon.as_bytes()).unwrap().events.remove(0);
    assert_eq!(message.dedupe_key(), "x%3Aread");
    assert_eq!(batch.events[1].dedupe_key(), "x:read");
}

#[test]
fn a_thousand_messages_each_find_their_own_contact_in_the_index() {
    let contacts: Vec<String> = (0..1_000)
        .map(|i| format!(r#"{{"wa_id":"92300{i:07}","profile":{{"name":"C{i}"}}}}"#))
        .collect();
    let messages: Vec<String> = (0..1_000)
        .map(|i| {
            format!(
                r#"{{"from":"92300{i:07}","id":"wamid.{i}","timestamp":"1763906000","type":"text","text":{{"body":"hi"}}}}"#
            )
        })
        .collect();
    let body = wrap(&format!(
        r#""contacts":[{}],"messages":[{}]"#,
        contacts.join(","),
        messages.join(",")
    ));
    let batch = parse_webhook(body.as_bytes()).unwrap();
    assert_eq!(batch.events.len(), 1_000);
    let WebhookEvent::Message(last) = &batch.events[999] else {
        panic!("not a message");
    };
    assert_eq!(last.from.as_deref(), Some("923000000999"));
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let deep = format!(
        r#"{{"object":"x","entry":{}{}}}"#,
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    assert!(matches!(
        parse_webhook(deep.as_bytes()),
        Err(WebhookParseError::NotJson(_))
    ));
}

#[test]
fn a_malformed_message_costs_only_itself() {
    let body = wrap(
        r#""contacts":[{"profile":{"name":"A"},"wa_id":"92321"}],"messages":[
            {"from":"92321","timestamp":"1","type":"text","text":{"body":"no id"}},
            "garbage",
            {"from":"92321","id":"wamid.OK","timestamp":"1763905200","type":"text","text":{"body":"ok"}},
            {"from":"92321","id":"wamid.BADTS","timestamp":"yesterday","type":"text"}
        ],"statuses":[{"id":"wamid.S","timestamp":"1"},{"id":"wamid.S2","status":"read","timestamp":"2"}]"#,
    );
    let batch = parse_webhook(body.as_bytes()).unwrap();
    assert_eq!(batch.skipped, 4);
    let keys: Vec<_> = batch.events.iter().map(WebhookEvent::dedupe_key).collect();
    assert_eq!(keys, ["wamid.OK", "wamid.S2:read"]);
}

#[test]
fn unknown_and_odd_message_types_are_other_never_errors() {
    for (kind, part, expected) in [
        ("order", r#"{"catalog_id":"1","product_items":[]}"#, "order"),
        ("system", r#"{"type":"user_changed_number"}"#, "system"),
        ("revoke", r#"{"original_message_id":"wamid.OLD"}"#, "revoke"),
        ("request_welcome", "null", "request_welcome"),
        ("image", r#"{"caption":"no id"}"#, "image"),
        ("location", r#"{"latitude":"x"}"#, "location"),
        (
            "interactive",
            r#"{"type":"nfm_reply","nfm_reply":{}}"#,
            "interactive.nfm_reply",
        ),
        ("reaction", r#"{"emoji":"👍"}"#, "reaction"),
        ("hologram", r#"{"x":1}"#, "hologram"),
    ] {
        let body = wrap(&format!(
            r#""messages":[{{"from":"92321","id":"wamid.X","timestamp":"5","type":"{kind}","{kind}":{part}}}]"#
        ));
        let batch = parse_webhook(body.as_bytes()).unwrap();
        let Some(WebhookEvent::Message(m)) = batch.events.first() else {
            panic!("{kind}: {batch:?}")
        };
        assert_eq!(
            m.body,
            MessageBody::Other {
                kind: expected.into()
            },
            "{kind}"
        );
        assert_eq!(m.kind, kind);
    }
}

#[test]
fn sender_fields_fall_back_to_the_matching_contact() {
    let body = wrap(
        r#""contacts":[{"profile":{"name":"Other"},"wa_id":"1"},{"profile":{"name":"Me","username":"@me"},"wa_id":"92321","user_id":"PK.9"}],
           "messages":[{"from":"92321","id":"wamid.X","timestamp":"5","type":"text","text":{"body":"hi"},
                        "context":{"forwarded":true},"referral":{"source_type":"ad","ctwa_clid":"c1"}}]"#,
    );
    let batch = parse_webhook(body.as_bytes()).unwrap();
    let Some(WebhookEvent::Message(m)) = batch.events.first() else {
        panic!("{batch:?}")
    };
    assert_eq!(m.profile_name.as_deref(), Some("Me"));
    assert_eq!(m.username.as_deref(), Some("@me"));
    assert_eq!(m.from_user_id.as_deref(), Some("PK.9"));
    assert!(
        m.context
            .as_ref()
            .is_some_and(|c| c.forwarded && c.replied_to.is_none())
    );
    assert_eq!(
        m.referral.as_ref().and_then(|r| r.ctwa_clid.as_deref()),
        Some("c1")
    );
}

#[test]
fn a_messages_change_without_a_valid_number_is_skipped_and_counted() {
    let body = br#"{"object":"w","entry":[{"id":"1","changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"abc"},"messages":[{"id":"a"},{"id":"b"}]}}]}]}"#;
    let batch = parse_webhook(body).unwrap();
    assert!(batch.events.is_empty());
    assert_eq!(batch.skipped, 2);
}

#[test]
fn a_broken_entry_costs_only_itself() {
    let body = br#"{"object":"whatsapp_business_account","entry":[
        {"id":"1","changes":[{"field":"account_review_update","value":{"decision":"APPROVED"}}]},
        "garbage",
        {"id":"2"},
        {"id":"3","changes":[{"value":{}},{"field":"account_review_update","value":{"decision":"REJECTED"}}]}
    ]}"#;
    let batch = parse_webhook(body).unwrap();
    assert_eq!(
        batch.skipped, 3,
        "a string entry, an entry without changes, a change without field"
    );
    let decisions: Vec<_> = batch
        .events
        .iter()
        .map(|e| match e {
            WebhookEvent::ReviewUpdate(r) => (r.waba_id.as_str(), r.decision.as_str()),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(decisions, [("1", "APPROVED"), ("3", "REJECTED")]);
}

#[test]
fn a_value_that_is_not_an_object_is_kept_as_other() {
    let body = br#"{"object":"whatsapp_business_account","entry":[{"id":"7","time":9,"changes":[
        {"field":"account_update","value":["unexpected"]},
        {"field":"messages","value":null}
    ]}]}"#;
    let batch = parse_webhook(body).unwrap();
    assert_eq!(batch.skipped, 0);
    assert_eq!(batch.events.len(), 2, "{batch:?}");
    let WebhookEvent::Other(first) = &batch.events[0] else {
        panic!("{batch:?}")
    };
    assert_eq!(first.waba_id, "7");
    assert_eq!(first.value, serde_json::json!(["unexpected"]));
    assert_eq!(first.origin.field, "account_update");
    assert_eq!(first.origin.entry_time, Some(9));
    assert!(matches!(&batch.events[1], WebhookEvent::Other(o) if o.value.is_null()));
}

#[test]
fn a_sender_known_only_by_user_id_gets_its_phone_from_the_contact() {
    let body = wrap(
        r#""contacts":[{"profile":{"name":"Me"},"wa_id":"92321","user_id":"PK.9"}],
           "messages":[{"from_user_id":"PK.9","id":"wamid.X","timestamp":"5","type":"text","text":{"body":"hi"}}]"#,
    );
    let batch = parse_webhook(body.as_bytes()).unwrap();
    let Some(WebhookEvent::Message(m)) = batch.events.first() else {
        panic!("{batch:?}")
    };
    assert_eq!(m.from.as_deref(), Some("92321"));
    assert_eq!(m.from_user_id.as_deref(), Some("PK.9"));
    assert_eq!(m.profile_name.as_deref(), Some("Me"));
}

#[test]
fn capability_updates_read_either_phone_number_limit_field() {
    let cap = |value: &str| {
        let body = format!(
            r#"{{"object":"whatsapp_business_account","entry":[{{"id":"1","changes":[{{"field":"business_capability_update","value":{value}}}]}}]}}"#
        );
        match parse_webhook(body.as_bytes()).unwrap().events.first() {
            Some(WebhookEvent::CapabilityUpdate(c)) => (c.max_daily, c.max_phone_numbers),
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(
        cap(r#"{"max_daily_conversation_per_phone":250,"max_phone_numbers_per_business":2}"#),
        (Some(LimitTier::Tier250), Some(2))
    );
    assert_eq!(
        cap(
            r#"{"max_daily_conversations_per_business":"TIER_2K","max_phone_numbers_per_waba":25}"#
        ),
        (Some(LimitTier::Tier2K), Some(25))
    );
    assert_eq!(cap(r#"{"max_phone_numbers_per_waba":-1}"#), (None, None));
}

#[test]
fn numeric_and_string_tiers_both_map() {
    let n = |v: Value| tier(Some(&v));
    assert_eq!(n(serde_json::json!(2000)), Some(LimitTier::Tier2K));
    assert_eq!(n(serde_json::json!(-1)), Some(LimitTier::Unlimited));
    assert_eq!(n(serde_json::json!("tier_10k")), Some(LimitTier::Tier10K));
    assert_eq!(n(serde_json::json!("TIER_3K")), None);
    assert_eq!(n(serde_json::json!(7)), None);
    assert_eq!(n(Value::Null), None);
}

#[test]
fn value_digest_ignores_key_order_and_whitespace() {
    let a: Value = serde_json::from_str(r#"{"b":1,"a":{"y":[1,"é"],"x":null}}"#).unwrap();
    let b: Value =
        serde_json::from_str(r#"{ "a": {"x": null, "y": [1, "\u00e9"]}, "b": 1 }"#).unwrap();
    assert_eq!(value_digest(&a), value_digest(&b));
    assert_eq!(value_digest(&a).len(), 64);
    let c: Value = serde_json::from_str(r#"{"b":2,"a":{"y":[1,"é"],"x":null}}"#).unwrap();
    assert_ne!(value_digest(&a), value_digest(&c));
}
