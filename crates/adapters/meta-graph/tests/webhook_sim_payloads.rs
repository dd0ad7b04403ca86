//! The simulator's payload builders and the adapter's parser were written independently from
//! meta-api.md §5; every builder's body must parse into the expected event, and the
//! simulator's signatures must verify with the adapter's check (escaped and raw UTF-8 bodies).
#![expect(clippy::unwrap_used, reason = "tests")]

use omni_domain::{LimitTier, MessageBody};
use omni_meta_graph::webhook::{parse_webhook, sign, verify_signature};
use omni_meta_sim::webhook::sender::signature_header;
use omni_meta_sim::webhook::{
    BodyEncoding, SimChange, SimCustomer, SimEntry, SimMessage, SimNumber, SimStatus,
    WebhookPayload,
};
use omni_ports::meta::webhook::{
    DeliveryStatus, InboundMessage, StatusUpdate, WebhookBatch, WebhookEvent, WebhookRoute,
};
use serde_json::json;

const WABA: &str = "102290129340398";
const PID: &str = "106540352242922";
const CUSTOMER: &str = "923214567890";

fn number() -> SimNumber {
    SimNumber::new(WABA, PID, "923001112233")
}

fn customer() -> SimCustomer {
    SimCustomer::new(CUSTOMER, "Ayesha Khan").with_user_id("PK.1829374650192837465")
}

/// Parses both encodings, checks they agree and that nothing was skipped.
fn parse(p: &WebhookPayload) -> WebhookBatch {
    let escaped = parse_webhook(&p.to_bytes_escaped()).unwrap();
    let utf8 = parse_webhook(&p.to_bytes()).unwrap();
    assert_eq!(escaped, utf8);
    assert_eq!(escaped.skipped, 0, "{:?}", p.value());
    assert_eq!(escaped.object, "whatsapp_business_account");
    escaped
}

fn one(p: &WebhookPayload) -> WebhookEvent {
    let mut b = parse(p);
    assert_eq!(b.events.len(), 1, "{:?}", b.events);
    b.events.remove(0)
}

fn message(m: SimMessage) -> InboundMessage {
    let wamid = m.wamid().to_owned();
    match one(&WebhookPayload::message(
        &number(),
        &customer(),
        m.at(1_763_905_200),
    )) {
        WebhookEvent::Message(m) => {
            assert_eq!(m.wamid, wamid);
            assert_eq!(m.phone_number_id.as_str(), PID);
            assert_eq!(m.waba_id, WABA);
            assert_eq!(m.from.as_deref(), Some(CUSTOMER));
            assert_eq!(m.from_user_id.as_deref(), Some("PK.1829374650192837465"));
            assert_eq!(m.profile_name.as_deref(), Some("Ayesha Khan"));
            assert_eq!(m.timestamp.timestamp(), 1_763_905_200);
            *m
        }
        other => panic!("{other:?}"),
    }
}

fn status(s: SimStatus) -> StatusUpdate {
    match one(&WebhookPayload::status(&number(), s)) {
        WebhookEvent::Status(s) => {
            assert_eq!(s.phone_number_id.as_str(), PID);
            s
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn text_with_urdu_and_emoji() {
    let text = "مجھے 2 زنگر برگر چاہیے 🍔🍔";
    let m = message(SimMessage::text(text));
    assert_eq!(m.body, MessageBody::Text { body: text.into() });
    assert_eq!(m.kind, "text");
}

#[test]
fn image_with_media_details() {
    let m = message(SimMessage::image(
        "1003383421387256",
        "image/jpeg",
        "SfInY0gGKTsJlUWbwxC1k+FAD0FZHvzwfpvO0zX0GUI=",
        Some("Rs 1,250 بھیج دیے"),
    ));
    assert_eq!(
        m.body,
        MessageBody::Image {
            media_id: "1003383421387256".into(),
            caption: Some("Rs 1,250 بھیج دیے".into())
        }
    );
    let media = m.media.unwrap();
    assert_eq!(media.mime_type.as_deref(), Some("image/jpeg"));
    assert_eq!(
        media.sha256.as_deref(),
        Some("SfInY0gGKTsJlUWbwxC1k+FAD0FZHvzwfpvO0zX0GUI=")
    );
}

#[test]
fn voice_note() {
    let m = message(SimMessage::voice_note("1234567890987654", "m04p="));
    assert_eq!(
        m.body,
        MessageBody::Audio {
            media_id: "1234567890987654".into(),
            voice: true
        }
    );
    let media = m.media.unwrap();
    assert_eq!(media.mime_type.as_deref(), Some("audio/ogg; codecs=opus"));
    assert_eq!(media.content_type().as_deref(), Some("audio/ogg"));
}

#[test]
fn video_and_document() {
    let v = message(SimMessage::video("11", "video/mp4", "x=", Some("unboxing")));
    assert_eq!(
        v.body,
        MessageBody::Video {
            media_id: "11".into(),
            caption: Some("unboxing".into())
        }
    );
    let d = message(SimMessage::document(
        "12",
        "application/pdf",
        "y=",
        "receipt.pdf",
    ));
    assert_eq!(
        d.body,
        MessageBody::Document {
            media_id: "12".into(),
            filename: Some("receipt.pdf".into()),
            caption: None
        }
    );
}

#[test]
fn location() {
    let m = message(SimMessage::location(
        31.520_369_6,
        74.358_747_3,
        Some("Liberty Market"),
        Some("Gulberg III, Lahore"),
    ));
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
fn interactive_replies_and_template_button() {
    let b = message(
        SimMessage::button_reply("pay_jazzcash", "JazzCash").replying_to("923001112233", "wamid.S"),
    );
    assert_eq!(
        b.body,
        MessageBody::Interactive {
            id: "pay_jazzcash".into(),
            title: "JazzCash".into()
        }
    );
    assert_eq!(b.context.unwrap().replied_to.as_deref(), Some("wamid.S"));
    let l = message(SimMessage::list_reply(
        "item_zinger",
        "Zinger Burger",
        Some("Rs 650"),
    ));
    assert_eq!(
        l.body,
        MessageBody::Interactive {
            id: "item_zinger".into(),
            title: "Zinger Burger".into()
        }
    );
    let t = message(SimMessage::template_button(
        "TRACK_ORDER_123",
        "Track order",
    ));
    assert_eq!(t.kind, "button");
    assert_eq!(
        t.body,
        MessageBody::Interactive {
            id: "TRACK_ORDER_123".into(),
            title: "Track order".into()
        }
    );
}

#[test]
fn reactions_and_their_removal() {
    let r = message(SimMessage::reaction("wamid.S", "👍"));
    assert_eq!(
        r.body,
        MessageBody::Reaction {
            message_id: "wamid.S".into(),
            emoji: Some("👍".into())
        }
    );
    let removed = message(SimMessage::reaction("wamid.S", ""));
    assert_eq!(
        removed.body,
        MessageBody::Reaction {
            message_id: "wamid.S".into(),
            emoji: None
        }
    );
}

#[test]
fn unsupported_and_forwarded() {
    let u = message(SimMessage::unsupported("poll").forwarded(true));
    assert_eq!(
        u.body,
        MessageBody::Other {
            kind: "unsupported".into()
        }
    );
    assert_eq!(u.errors[0].code, 131_051);
    assert!(u.context.unwrap().frequently_forwarded);
}

#[test]
fn username_only_sender() {
    let c = SimCustomer::username_only("PK.55", "Bilal", "@bilal.eats");
    let WebhookEvent::Message(m) = one(&WebhookPayload::text(&number(), &c, "menu")) else {
        panic!()
    };
    assert_eq!(m.from, None);
    assert_eq!(m.from_user_id.as_deref(), Some("PK.55"));
    assert_eq!(m.username.as_deref(), Some("@bilal.eats"));
}

#[test]
fn statuses() {
    let sent = status(
        SimStatus::sent("wamid.OUT", CUSTOMER)
            .with_callback_data("ai-turn-42")
            .at(100),
    );
    assert_eq!(sent.status, DeliveryStatus::Sent);
    assert_eq!(sent.pricing_category.as_deref(), Some("service"));
    assert_eq!(sent.pricing_type.as_deref(), Some("free_customer_service"));
    assert_eq!(sent.biz_opaque_callback_data.as_deref(), Some("ai-turn-42"));
    assert_eq!(sent.timestamp.timestamp(), 100);
    assert_eq!(
        status(SimStatus::delivered("wamid.OUT", CUSTOMER)).status,
        DeliveryStatus::Delivered
    );
    assert_eq!(
        status(SimStatus::read("wamid.OUT", CUSTOMER)).status,
        DeliveryStatus::Read
    );
    assert_eq!(
        status(SimStatus::played("wamid.OUT", CUSTOMER)).status,
        DeliveryStatus::Played
    );
    let failed = status(SimStatus::failed(
        "wamid.OUT",
        CUSTOMER,
        131_047,
        "Re-engagement message",
        "more than 24 hours have passed",
    ));
    assert_eq!(failed.status, DeliveryStatus::Failed);
    assert_eq!(failed.errors[0].code, 131_047);
    assert_eq!(
        failed.errors[0].details.as_deref(),
        Some("more than 24 hours have passed")
    );
    let bsuid = status(SimStatus::read("wamid.OUT", CUSTOMER).with_recipient_user_id("PK.9", true));
    assert_eq!(bsuid.recipient_id, None);
    assert_eq!(bsuid.recipient_user_id.as_deref(), Some("PK.9"));
}

#[test]
fn value_error() {
    let WebhookEvent::ValueErrors(e) = one(&WebhookPayload::value_error(
        &number(),
        130_429,
        "Rate limit hit",
        "too many messages",
    )) else {
        panic!()
    };
    assert_eq!(e.phone_number_id.as_str(), PID);
    assert_eq!(e.errors[0].code, 130_429);
}

#[test]
fn management_events() {
    let WebhookEvent::QualityUpdate(q) = one(&WebhookPayload::quality_update(
        WABA,
        "923001112233",
        "FLAGGED",
        Some("TIER_2K"),
    )) else {
        panic!()
    };
    assert_eq!((q.waba_id.as_str(), q.event.as_str()), (WABA, "FLAGGED"));
    assert_eq!(q.limit, Some(LimitTier::Tier2K));
    assert!(q.origin.entry_time.is_some());

    for (max_daily, expected) in [
        (json!(2000), LimitTier::Tier2K),
        (json!("TIER_10K"), LimitTier::Tier10K),
        (json!(-1), LimitTier::Unlimited),
    ] {
        let WebhookEvent::CapabilityUpdate(c) = one(&WebhookPayload::capability_update(
            WABA,
            max_daily,
            Some(25),
        )) else {
            panic!()
        };
        assert_eq!(c.max_daily, Some(expected));
        assert_eq!(c.max_phone_numbers, Some(25));
    }

    let WebhookEvent::AccountUpdate(a) = one(&WebhookPayload::partner_app_uninstalled(
        "2949482758682047",
        WABA,
        "1284923862322270",
        "869361281603019",
    )) else {
        panic!()
    };
    assert_eq!(a.event, "PARTNER_APP_UNINSTALLED");
    assert_eq!(a.waba_id, WABA);
    assert!(a.is_access_lost());

    let WebhookEvent::AccountUpdate(d) = one(&WebhookPayload::account_disabled(
        WABA,
        "DISABLE",
        "2026-12-01",
    )) else {
        panic!()
    };
    assert_eq!(d.ban_state.as_deref(), Some("DISABLE"));

    let WebhookEvent::AccountUpdate(v) = one(&WebhookPayload::account_update(
        WABA,
        "ACCOUNT_VIOLATION",
        json!({"violation_info": {"violation_type": "SCAM"}}),
    )) else {
        panic!()
    };
    assert_eq!(v.violation_type.as_deref(), Some("SCAM"));

    let WebhookEvent::TemplateStatus(t) = one(&WebhookPayload::template_status(
        WABA,
        1_689_556_908_129_832,
        "order_out_for_delivery",
        "en",
        "REJECTED",
        Some("INVALID_FORMAT"),
    )) else {
        panic!()
    };
    assert_eq!(t.template_id, "1689556908129832");
    assert_eq!(t.reason.as_deref(), Some("INVALID_FORMAT"));
}

#[test]
fn a_batch_of_two_stores_with_messages_statuses_and_management() {
    let other = SimNumber::new("301122334455667", "209876543210987", "923334445566");
    let usman = SimCustomer::new("923009998877", "Usman");
    let p = WebhookPayload::batch(vec![
        SimEntry::new(WABA)
            .change(SimChange::messages(
                &number(),
                &customer(),
                &[
                    SimMessage::text("menu").with_wamid("wamid.A1"),
                    SimMessage::text("2 zinger").with_wamid("wamid.A2"),
                ],
            ))
            .change(SimChange::statuses(
                &number(),
                &[
                    SimStatus::delivered("wamid.OUT1", CUSTOMER),
                    SimStatus::read("wamid.OUT1", CUSTOMER),
                ],
            )),
        SimEntry::new("301122334455667").change(SimChange::messages(
            &other,
            &usman,
            &[SimMessage::text("open?").with_wamid("wamid.B1")],
        )),
        SimEntry::timed(WABA).change(SimChange::raw("some_future_field", json!({"x": 1}))),
    ]);
    let b = parse(&p);
    let keys: Vec<String> = b.events.iter().map(WebhookEvent::dedupe_key).collect();
    assert_eq!(
        keys[..5],
        [
            "wamid.A1",
            "wamid.A2",
            "wamid.OUT1:delivered",
            "wamid.OUT1:read",
            "wamid.B1"
        ]
    );
    assert_eq!(b.events.len(), 6);
    assert!(
        matches!(b.events[4].route(), WebhookRoute::PhoneNumber(p) if p.as_str() == "209876543210987")
    );
    assert!(
        matches!(&b.events[5], WebhookEvent::Other(o) if o.origin.field == "some_future_field")
    );
    assert_eq!(
        p.wamids(),
        ["wamid.A1", "wamid.A2", "wamid.B1"],
        "sim sees the same messages"
    );
}

#[test]
fn sim_signatures_verify_with_the_adapter_for_both_encodings() {
    let p = WebhookPayload::text(&number(), &customer(), "چاہیے 🍔");
    for bytes in [
        p.bytes(),
        p.clone().with_encoding(BodyEncoding::Utf8).bytes(),
    ] {
        let header = signature_header(b"app-secret", &bytes);
        assert_eq!(header, sign(b"app-secret", &bytes));
        assert_eq!(
            verify_signature(&[b"app-secret"], &bytes, Some(&header)),
            Ok(())
        );
    }
    // Meta signs the escaped form; a receiver that got it decoded to UTF-8 still verifies.
    let header = signature_header(b"app-secret", &p.to_bytes_escaped());
    assert_eq!(
        verify_signature(&[b"app-secret"], &p.to_bytes(), Some(&header)),
        Ok(())
    );
}
