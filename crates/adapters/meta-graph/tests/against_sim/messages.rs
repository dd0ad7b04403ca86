//! Sending and read receipts, and the sending rules the simulator enforces like Meta.

use omni_meta_sim::SeedTemplate;
use omni_ports::meta::{
    GraphErrorKind, ListRow, ListSection, MediaKind, MediaSource, MetaGraphPort, OutboundContent,
    OutboundMessage, Recipient, ReplyButton, TemplateComponent, TemplateComponentKind,
    TemplateParameter,
};

use crate::{CUSTOMER, Fixture, NUMBER, WABA};

fn to_customer() -> Recipient {
    Recipient::Phone(format!("+{CUSTOMER}"))
}

fn msg(content: OutboundContent) -> OutboundMessage {
    OutboundMessage {
        content,
        ..OutboundMessage::text(to_customer(), "")
    }
}

fn template(params: &[&str]) -> OutboundMessage {
    msg(OutboundContent::Template {
        name: "order_update".into(),
        language: "en_US".into(),
        components: vec![TemplateComponent {
            kind: TemplateComponentKind::Body,
            parameters: params
                .iter()
                .map(|p| TemplateParameter::Text {
                    text: (*p).into(),
                    name: None,
                })
                .collect(),
        }],
    })
}

#[tokio::test]
async fn a_text_reply_is_accepted_with_a_wamid_and_recorded_as_sent() {
    let f = Fixture::new().await;
    f.sim_handle.open_window(NUMBER, CUSTOMER);
    let mut m = OutboundMessage::text(to_customer(), "Aap ka order confirm ho gaya ✅ Rs 1,250");
    m.reply_to = Some("wamid.INBOUND1".into());
    m.biz_opaque_callback_data = Some("outbox:42".into());
    let sent = f.send(&m).await.unwrap();
    assert!(sent.wamid.starts_with("wamid."), "{}", sent.wamid);
    assert_eq!(sent.recipient_id.as_deref(), Some(CUSTOMER));
    let records = f.sim_handle.sent_messages();
    assert_eq!(records.len(), 1);
    let r = &records[0];
    assert_eq!(
        (r.wamid.as_str(), r.kind.as_str()),
        (sent.wamid.as_str(), "text")
    );
    assert_eq!(r.to, format!("+{CUSTOMER}"));
    assert_eq!(
        r.body["text"]["body"],
        "Aap ka order confirm ho gaya ✅ Rs 1,250"
    );
    assert_eq!(r.body["context"]["message_id"], "wamid.INBOUND1");
    assert_eq!(r.body["biz_opaque_callback_data"], "outbox:42");
    f.assert_token_only_in_headers();
}

#[tokio::test]
async fn every_message_shape_the_product_sends_is_accepted() {
    let f = Fixture::new().await;
    f.sim_handle.open_window(NUMBER, CUSTOMER);
    f.sim_handle.seed_template(
        WABA,
        SeedTemplate::new(
            "order_update",
            "en_US",
            "Hi {{1}}, order {{2}} is on its way.",
        ),
    );
    let media_id = f
        .sim_handle
        .put_media(NUMBER, b"\x89PNG fake".to_vec(), "image/png");
    let shapes = vec![
        msg(OutboundContent::ReplyButtons {
            header: Some("Payment".into()),
            body: "Did you pay Rs 1,250?".into(),
            footer: Some("Lucky Burgers".into()),
            buttons: vec![
                ReplyButton {
                    id: "pay_yes".into(),
                    title: "Yes".into(),
                },
                ReplyButton {
                    id: "pay_no".into(),
                    title: "No".into(),
                },
            ],
        }),
        msg(OutboundContent::List {
            header: None,
            body: "Our menu".into(),
            footer: None,
            button: "Menu".into(),
            sections: vec![ListSection {
                title: Some("Burgers".into()),
                rows: vec![ListRow {
                    id: "zinger".into(),
                    title: "Zinger".into(),
                    description: Some("Rs 650".into()),
                }],
            }],
        }),
        msg(OutboundContent::Media {
            kind: MediaKind::Image,
            source: MediaSource::Id(media_id),
            caption: Some("Your receipt".into()),
            filename: None,
            voice: false,
        }),
        msg(OutboundContent::Media {
            kind: MediaKind::Document,
            source: MediaSource::Link("https://cdn.example.pk/menu.pdf".into()),
            caption: None,
            filename: Some("menu.pdf".into()),
            voice: false,
        }),
        msg(OutboundContent::LocationRequest {
            body: "Where should we deliver?".into(),
        }),
        msg(OutboundContent::Location {
            latitude: 24.86,
            longitude: 67.0,
            name: Some("Lucky Burgers".into()),
            address: Some("Clifton, Karachi".into()),
        }),
        template(&["Ali", "#123"]),
        msg(OutboundContent::Reaction {
            message_id: "wamid.INBOUND1".into(),
            emoji: "👍".into(),
        }),
    ];
    for m in &shapes {
        let sent = f.client.send_message(&f.token, &Fixture::number(), m).await;
        assert!(sent.is_ok(), "{:?}: {:?}", m.content, sent.err());
    }
    let kinds: Vec<String> = f
        .sim_handle
        .sent_messages()
        .into_iter()
        .map(|r| r.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            "interactive",
            "interactive",
            "image",
            "document",
            "interactive",
            "location",
            "template",
            "reaction"
        ]
    );
}

#[tokio::test]
async fn a_closed_window_needs_a_template_and_template_errors_are_typed() {
    let f = Fixture::new().await;
    let text = OutboundMessage::text(to_customer(), "hello?");
    let err = f.send_err(&text).await;
    assert_eq!(err.kind, GraphErrorKind::OutsideWindow, "{err}");
    assert_eq!(err.code(), Some(131_047));
    assert!(!err.is_retryable());

    let err = f.send_err(&template(&["Ali", "#1"])).await;
    assert_eq!(
        (err.kind, err.code()),
        (GraphErrorKind::Template, Some(132_001)),
        "{err}"
    );

    f.sim_handle.seed_template(
        WABA,
        SeedTemplate::new(
            "order_update",
            "en_US",
            "Hi {{1}}, order {{2}} is on its way.",
        ),
    );
    let err = f.send_err(&template(&["Ali"])).await;
    assert_eq!(
        (err.kind, err.code()),
        (GraphErrorKind::Template, Some(132_000)),
        "{err}"
    );

    // A template goes out with the window closed.
    f.send(&template(&["Ali", "#1"])).await.unwrap();
    assert_eq!(f.sim_handle.sent_messages().len(), 1);
}

#[tokio::test]
async fn the_window_closes_after_24_hours() {
    let f = Fixture::new().await;
    f.sim_handle.open_window(NUMBER, CUSTOMER);
    let text = OutboundMessage::text(to_customer(), "still there?");
    f.send(&text).await.unwrap();
    f.sim_handle
        .advance_clock(std::time::Duration::from_secs(24 * 3600 + 1));
    let err = f.send_err(&text).await;
    assert_eq!(err.kind, GraphErrorKind::OutsideWindow);
}

#[tokio::test]
async fn sending_past_the_numbers_throughput_is_refused_with_130429() {
    let f = Fixture::new().await;
    f.sim_handle.update_number(NUMBER, |n| n.max_mps = 3);
    f.sim_handle.open_window(NUMBER, CUSTOMER);
    let text = OutboundMessage::text(to_customer(), "burst");
    let started = std::time::Instant::now();
    let mut limited = 0;
    for _ in 0..9 {
        match f
            .client
            .send_message(&f.token, &Fixture::number(), &text)
            .await
        {
            Ok(_) => {}
            Err(e) => {
                assert_eq!(
                    (e.kind, e.code()),
                    (GraphErrorKind::ThroughputLimited, Some(130_429)),
                    "{e}"
                );
                assert!(e.is_retryable());
                limited += 1;
            }
        }
    }
    // Whatever the machine's speed: never more than 3 accepted in one second...
    let mut per_second = std::collections::HashMap::new();
    for r in f.sim_handle.sent_messages() {
        *per_second.entry(r.at.timestamp()).or_insert(0) += 1;
    }
    assert!(per_second.values().all(|n| *n <= 3), "{per_second:?}");
    // ...and nine sends within one second (two calendar seconds at most) cannot all have been
    // accepted.
    if started.elapsed() < std::time::Duration::from_secs(1) {
        assert!(limited >= 3, "{limited} limited");
    }
    assert_eq!(limited + f.sim_handle.sent_messages().len(), 9);
}

#[tokio::test]
async fn unreachable_users_unregistered_numbers_and_bad_payloads_are_typed() {
    let f = Fixture::new().await;
    f.sim_handle.open_window(NUMBER, CUSTOMER);
    f.sim_handle.mark_undeliverable(CUSTOMER);
    let text = OutboundMessage::text(to_customer(), "hi");
    let err = f.send_err(&text).await;
    assert_eq!(
        (err.kind, err.code()),
        (GraphErrorKind::Undeliverable, Some(131_026))
    );

    let buttons = msg(OutboundContent::ReplyButtons {
        header: None,
        body: "Pick".into(),
        footer: None,
        buttons: (0..4)
            .map(|i| ReplyButton {
                id: format!("b{i}"),
                title: format!("B{i}"),
            })
            .collect(),
    });
    let err = f.send_err(&buttons).await;
    assert_eq!(err.kind, GraphErrorKind::InvalidParameter, "{err}");

    let too_long = OutboundMessage::text(to_customer(), "x".repeat(4097));
    let err = f.send_err(&too_long).await;
    assert_eq!(err.kind, GraphErrorKind::InvalidParameter, "{err}");

    f.sim_handle.set_registered(NUMBER, false);
    let err = f.send_err(&text).await;
    assert_eq!(
        (err.kind, err.code()),
        (GraphErrorKind::NotRegistered, Some(133_010))
    );
    assert!(f.sim_handle.sent_messages().is_empty());
}

#[tokio::test]
async fn read_receipts_carry_the_typing_indicator_when_asked() {
    let f = Fixture::new().await;
    f.client
        .mark_read(&f.token, &Fixture::number(), "wamid.IN1", true)
        .await
        .unwrap();
    f.client
        .mark_read(&f.token, &Fixture::number(), "wamid.IN2", false)
        .await
        .unwrap();
    let receipts = f.sim_handle.read_receipts();
    assert_eq!(receipts.len(), 2);
    assert_eq!(
        (receipts[0].message_id.as_str(), receipts[0].typing),
        ("wamid.IN1", true)
    );
    assert_eq!(
        (receipts[1].message_id.as_str(), receipts[1].typing),
        ("wamid.IN2", false)
    );
    let err = f
        .client
        .mark_read(&f.token, &Fixture::number(), "not-a-wamid", false)
        .await
        .unwrap_err();
    assert_eq!(err.kind, GraphErrorKind::InvalidParameter);
}

#[tokio::test]
async fn a_customer_message_delivered_by_the_webhook_sender_opens_the_window() {
    use omni_meta_sim::webhook::{SimCustomer, SimNumber, WebhookPayload};
    let f = Fixture::new().await;
    let text = OutboundMessage::text(to_customer(), "Ji, menu yeh hai");
    assert!(
        f.client
            .send_message(&f.token, &Fixture::number(), &text)
            .await
            .is_err()
    );
    let sender = f
        .sim_handle
        .webhook_sender(&format!("{}/_sim/state", f.sim.base_url()))
        .unwrap();
    let payload = WebhookPayload::text(
        &SimNumber::new(WABA, NUMBER, "923001112233"),
        &SimCustomer::new(CUSTOMER, "Ali"),
        "menu bhejein",
    );
    // Where it lands does not matter here: the window opens as Meta delivers it.
    let _status = sender.send_once(&payload).await.unwrap();
    f.send(&text).await.unwrap();
}

#[tokio::test]
async fn too_many_messages_to_one_customer_hit_the_pair_rate_limit() {
    let f = Fixture::with(
        omni_meta_sim::SimConfig {
            pair_rate_burst: 2,
            ..omni_meta_sim::SimConfig::default()
        },
        |c| c,
    )
    .await;
    f.sim_handle.open_window(NUMBER, CUSTOMER);
    let text = OutboundMessage::text(to_customer(), "one more thing");
    for _ in 0..2 {
        f.send(&text).await.unwrap();
    }
    let err = f.send_err(&text).await;
    assert_eq!(
        (err.kind, err.code()),
        (GraphErrorKind::PairRateLimited, Some(131_056)),
        "{err}"
    );
    assert!(err.is_retryable());
    assert_eq!(err.retry_delay(1), Some(std::time::Duration::from_secs(4)));
}
