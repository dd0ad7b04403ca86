//! Shapes, bytes and ids of the simulated webhook bodies.
#![expect(clippy::unwrap_used, reason = "tests")]

use super::*;

fn number() -> SimNumber {
    SimNumber::new("102290129340398", "106540352242922", "923001112233")
}

#[test]
fn a_text_payload_has_meta_shape() {
    let customer = SimCustomer::new("923214567890", "Ayesha").with_user_id("PK.1");
    let m = SimMessage::text("hi")
        .with_wamid("wamid.X")
        .at(1_763_905_200);
    let p = WebhookPayload::message(&number(), &customer, m);
    let expected = json!({
        "object": "whatsapp_business_account",
        "entry": [{ "id": "102290129340398", "changes": [{ "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": { "display_phone_number": "923001112233", "phone_number_id": "106540352242922" },
            "contacts": [{ "profile": { "name": "Ayesha" }, "wa_id": "923214567890", "user_id": "PK.1" }],
            "messages": [{ "from": "923214567890", "from_user_id": "PK.1", "id": "wamid.X",
                           "timestamp": "1763905200", "type": "text", "text": { "body": "hi" } }]
        }}]}]
    });
    assert_eq!(p.value(), &expected);
    assert_eq!(
        p.inbound_senders(),
        [("106540352242922".to_owned(), "923214567890".to_owned())]
    );
    assert_eq!(p.wamids(), ["wamid.X"]);
}

#[test]
fn escaped_bytes_are_ascii_and_mean_the_same_json() {
    let customer = SimCustomer::new("92321", "عائشہ");
    let p = WebhookPayload::text(&number(), &customer, "برگر 🍔");
    let escaped = p.to_bytes_escaped();
    assert!(escaped.is_ascii());
    let text = String::from_utf8(escaped.clone()).unwrap();
    assert!(text.contains(r"\ud83c\udf54"), "{text}");
    assert!(text.contains(r"\u0628\u0631\u06af\u0631"), "{text}");
    let back: Value = serde_json::from_slice(&escaped).unwrap();
    assert_eq!(&back, p.value());
    assert_eq!(p.bytes(), escaped, "escaped is the default");
    let utf8 = p.clone().with_encoding(BodyEncoding::Utf8).bytes();
    assert_eq!(utf8, p.to_bytes());
    assert!(String::from_utf8(utf8).unwrap().contains("برگر 🍔"));
}

#[test]
fn generated_wamids_are_unique() {
    let a = SimMessage::text("a");
    let b = SimMessage::text("a");
    assert_ne!(a.wamid(), b.wamid());
    assert!(a.wamid().starts_with("wamid."));
}

#[test]
fn username_only_customers_send_from_user_id() {
    let c = SimCustomer::username_only("PK.55", "Bilal", "@bilal");
    let p = WebhookPayload::text(&number(), &c, "menu");
    let msg = &p.value()["entry"][0]["changes"][0]["value"]["messages"][0];
    assert!(msg.get("from").is_none());
    assert_eq!(msg["from_user_id"], "PK.55");
    assert_eq!(
        p.inbound_senders(),
        [("106540352242922".to_owned(), "PK.55".to_owned())]
    );
}
