//! Routing, dedupe and ordering.

use std::time::Duration;

use omni_domain::{AccountStatus, Direction, MessageBody, MessageStatus};
use omni_meta_sim::webhook::{
    SimChange, SimCustomer, SimEntry, SimMessage, SimNumber, SimStatus, WebhookPayload,
};
use omni_ports::InboxState;

use super::{CUSTOMER, NUMBER_A, NUMBER_B, WABA_A, WABA_B};
use crate::support::pipeline::{Engine, Harness, eventually};

fn number_a() -> SimNumber {
    SimNumber::new(WABA_A, NUMBER_A, "923001112233")
}

#[actix_web::test]
async fn twenty_concurrent_copies_make_one_message_and_one_reply() {
    // No automatic status webhooks: the inbox then holds only the message's own row.
    let config = omni_meta_sim::SimConfig {
        auto_statuses: false,
        ..Default::default()
    };
    let Some(h) = Harness::start_with(Engine::Postgres, config, &[]).await else {
        return;
    };
    let store = h.store("Burger Hub", Some("Ji, order bata dein")).await;
    h.number(&store, WABA_A, NUMBER_A, "+923001112233").await;
    let message = SimMessage::text("burger");
    let wamid = message.wamid().to_owned();
    let payload =
        WebhookPayload::messages(&number_a(), &SimCustomer::new(CUSTOMER, "Ali"), &[message]);
    let results = h.sender().send_concurrently(&payload, 20).await;
    assert!(results.iter().all(|r| matches!(r, Ok(200))), "{results:?}");
    eventually("one reply", Duration::from_secs(10), || {
        let sim = h.sim();
        async move { (sim.sent_messages().len() == 1).then_some(()) }
    })
    .await;
    // Give any second processing the chance to show itself.
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(h.sim().sent_messages().len(), 1, "exactly one reply");
    let inbound = h
        .state
        .services
        .ports
        .tenants
        .find_message_by_wamid(store.id, &wamid)
        .await
        .unwrap()
        .unwrap();
    let all = h
        .state
        .services
        .ports
        .tenants
        .list_messages(store.id, inbound.conversation_id, 100)
        .await
        .unwrap();
    assert_eq!(
        all.iter()
            .filter(|m| m.direction == Direction::Inbound)
            .count(),
        1
    );
    assert_eq!(
        all.iter()
            .filter(|m| m.direction == Direction::Outbound)
            .count(),
        1
    );
    let counts = h.state.services.ports.inbox.counts().await.unwrap();
    assert_eq!(counts.values().sum::<u64>(), 1, "one inbox row: {counts:?}");
    h.stop().await;
}

#[actix_web::test]
async fn a_batch_with_several_entries_changes_and_messages_reaches_both_stores() {
    let h = pg_harness!();
    let (a, b) = (
        h.store("Store A", Some("A here")).await,
        h.store("Store B", Some("B here")).await,
    );
    h.number(&a, WABA_A, NUMBER_A, "+923001112233").await;
    h.number(&b, WABA_B, NUMBER_B, "+923009998877").await;
    let nb = SimNumber::new(WABA_B, NUMBER_B, "923009998877");
    let (m1, m2, m3) = (
        SimMessage::text("one"),
        SimMessage::text("two"),
        SimMessage::text("three"),
    );
    let (m4, m5) = (SimMessage::text("four"), SimMessage::text("five"));
    let payload = WebhookPayload::batch(vec![
        SimEntry::new(WABA_A)
            .change(SimChange::messages(
                &number_a(),
                &SimCustomer::new(CUSTOMER, "Ali"),
                &[m1.clone(), m2.clone()],
            ))
            .change(SimChange::messages(
                &number_a(),
                &SimCustomer::new("923005550000", "Sara"),
                std::slice::from_ref(&m3),
            )),
        SimEntry::new(WABA_B).change(SimChange::messages(
            &nb,
            &SimCustomer::new("923007770000", "Bilal"),
            &[m4.clone(), m5.clone()],
        )),
    ]);
    assert_eq!(
        h.sender().send(&payload).await.unwrap().final_status,
        Some(200)
    );
    for (store, m) in [(&a, &m1), (&a, &m2), (&a, &m3), (&b, &m4), (&b, &m5)] {
        let wamid = m.wamid().to_owned();
        eventually(
            "every message in its store",
            Duration::from_secs(10),
            || {
                let (t, w, s) = (
                    h.state.services.ports.tenants.clone(),
                    wamid.clone(),
                    store.id,
                );
                async move { t.find_message_by_wamid(s, &w).await.unwrap() }
            },
        )
        .await;
        // ... and only there.
        let other = if store.id == a.id { &b } else { &a };
        assert!(
            h.state
                .services
                .ports
                .tenants
                .find_message_by_wamid(other.id, &wamid)
                .await
                .unwrap()
                .is_none()
        );
    }
    eventually("five replies", Duration::from_secs(15), || {
        let sim = h.sim();
        async move { (sim.sent_messages().len() == 5).then_some(()) }
    })
    .await;
    let sent = h.sim().sent_messages();
    assert_eq!(
        sent.iter()
            .filter(|s| s.phone_number_id == NUMBER_A)
            .count(),
        3
    );
    assert_eq!(
        sent.iter()
            .filter(|s| s.phone_number_id == NUMBER_B && s.body["text"]["body"] == "B here")
            .count(),
        2
    );
    h.stop().await;
}

#[actix_web::test]
async fn an_unknown_phone_number_id_is_kept_unroutable_and_reaches_no_store() {
    let h = pg_harness!();
    let store = h.store("Store A", Some("hi")).await;
    h.number(&store, WABA_A, NUMBER_A, "+923001112233").await;
    let stranger = SimNumber::new("999000111222333", "555000111222333", "15550001111");
    let message = SimMessage::text("who gets this?");
    let wamid = message.wamid().to_owned();
    let res = h
        .sender()
        .send_once(&WebhookPayload::messages(
            &stranger,
            &SimCustomer::new(CUSTOMER, "X"),
            &[message],
        ))
        .await
        .unwrap();
    assert_eq!(res, 200, "answered 200 so Meta stops retrying");
    let row = eventually("the unroutable row", Duration::from_secs(10), || {
        let inbox = h.state.services.ports.inbox.clone();
        async move {
            inbox
                .list(InboxState::Unroutable, 10)
                .await
                .unwrap()
                .into_iter()
                .next()
        }
    })
    .await;
    assert_eq!(row.dedupe_key, wamid);
    assert_eq!(row.route_id, "555000111222333");
    assert!(row.last_error.unwrap().contains("555000111222333"));
    assert!(
        h.state
            .services
            .ports
            .tenants
            .find_message_by_wamid(store.id, &wamid)
            .await
            .unwrap()
            .is_none()
    );
    assert!(h.sim().sent_messages().is_empty());
    h.stop().await;
}

#[actix_web::test]
async fn an_inactive_accounts_traffic_is_kept_but_not_answered() {
    let h = pg_harness!();
    let store = h
        .store("Closed Today", Some("we should not say this"))
        .await;
    let mut number = h.number(&store, WABA_A, NUMBER_A, "+923001112233").await;
    number.account = number.account.clone().with_status(AccountStatus::Inactive);
    h.state
        .services
        .ports
        .central
        .update_account(&number.account)
        .await
        .unwrap();
    let message = SimMessage::text("are you open?");
    let wamid = message.wamid().to_owned();
    h.sender()
        .send(&WebhookPayload::messages(
            &number_a(),
            &SimCustomer::new(CUSTOMER, "Ali"),
            &[message],
        ))
        .await
        .unwrap();
    let stored = eventually("the message kept", Duration::from_secs(10), || {
        let (t, w) = (h.state.services.ports.tenants.clone(), wamid.clone());
        async move {
            t.find_message_by_wamid(store.id, &w)
                .await
                .unwrap()
                .filter(|m| m.handled_at.is_some())
        }
    })
    .await;
    assert_eq!(
        stored.body,
        MessageBody::Text {
            body: "are you open?".into()
        }
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        h.sim().sent_messages().is_empty(),
        "no reply from an inactive number"
    );
    h.stop().await;
}

#[actix_web::test]
async fn the_legacy_number_routes_to_its_store_and_catches_no_other_number() {
    let Some(h) = Harness::start_legacy(NUMBER_B).await else {
        return;
    };
    let store = h
        .state
        .services
        .ports
        .central
        .list_stores()
        .await
        .unwrap()
        .remove(0);
    h.state
        .services
        .ports
        .tenants
        .set_auto_reply(store.id, Some("legacy says hi"), chrono::Utc::now())
        .await
        .unwrap();
    let legacy = SimNumber::new(WABA_B, NUMBER_B, "923009998877");
    let m_legacy = SimMessage::text("old number");
    let m_other = SimMessage::text("unknown number");
    let (w_legacy, w_other) = (m_legacy.wamid().to_owned(), m_other.wamid().to_owned());
    let sender = h.sender();
    sender
        .send(&WebhookPayload::messages(
            &legacy,
            &SimCustomer::new(CUSTOMER, "A"),
            &[m_legacy],
        ))
        .await
        .unwrap();
    sender
        .send(&WebhookPayload::messages(
            &SimNumber::new("999000111222333", "555000111222333", "15550001111"),
            &SimCustomer::new(CUSTOMER, "A"),
            &[m_other],
        ))
        .await
        .unwrap();
    eventually(
        "the legacy message in the store",
        Duration::from_secs(10),
        || {
            let (t, w) = (h.state.services.ports.tenants.clone(), w_legacy.clone());
            async move { t.find_message_by_wamid(store.id, &w).await.unwrap() }
        },
    )
    .await;
    let unroutable = eventually(
        "the other number unroutable",
        Duration::from_secs(10),
        || {
            let inbox = h.state.services.ports.inbox.clone();
            async move {
                let rows = inbox.list(InboxState::Unroutable, 10).await.unwrap();
                (!rows.is_empty()).then_some(rows)
            }
        },
    )
    .await;
    assert_eq!(unroutable.len(), 1);
    assert_eq!(unroutable[0].dedupe_key, w_other);
    assert!(
        h.state
            .services
            .ports
            .tenants
            .find_message_by_wamid(store.id, &w_other)
            .await
            .unwrap()
            .is_none()
    );
    h.stop().await;
}

#[actix_web::test]
async fn one_customers_messages_are_processed_in_metas_timestamp_order() {
    let h = pg_harness!();
    let store = h.store("Order Matters", Some("noted")).await;
    h.number(&store, WABA_A, NUMBER_A, "+923001112233").await;
    let base = chrono::Utc::now().timestamp() - 60;
    let msgs: Vec<SimMessage> = (0..6)
        .map(|i| SimMessage::text(&format!("msg {i}")).at(base + i))
        .collect();
    // Delivered in one batch in reverse order, and again shuffled in a second batch.
    let mut reversed = msgs.clone();
    reversed.reverse();
    let customer = SimCustomer::new(CUSTOMER, "Ali");
    h.sender()
        .send(&WebhookPayload::messages(&number_a(), &customer, &reversed))
        .await
        .unwrap();
    let conversation = eventually(
        "all six stored and handled",
        Duration::from_secs(15),
        || {
            let (t, w) = (
                h.state.services.ports.tenants.clone(),
                msgs[5].wamid().to_owned(),
            );
            async move {
                t.find_message_by_wamid(store.id, &w)
                    .await
                    .unwrap()
                    .filter(|m| m.handled_at.is_some())
            }
        },
    )
    .await
    .conversation_id;
    let stored = h
        .state
        .services
        .ports
        .tenants
        .list_messages(store.id, conversation, 100)
        .await
        .unwrap();
    let mut inbound: Vec<_> = stored
        .iter()
        .filter(|m| m.direction == Direction::Inbound)
        .collect();
    assert_eq!(inbound.len(), 6);
    // Message ids are time-ordered UUIDs minted when each was processed: processing order.
    inbound.sort_by_key(|m| m.id);
    let order: Vec<_> = inbound.iter().map(|m| m.body.clone()).collect();
    let expected: Vec<_> = (0..6)
        .map(|i| MessageBody::Text {
            body: format!("msg {i}"),
        })
        .collect();
    assert_eq!(
        order, expected,
        "processed in timestamp order, not arrival order"
    );
    // The replies left in the same order (the outbox keeps one recipient's messages in order).
    let sent = eventually("six replies", Duration::from_secs(15), || {
        let sim = h.sim();
        async move {
            let s = sim.sent_messages();
            (s.len() == 6).then_some(s)
        }
    })
    .await;
    // The last wamid may reach the outbox row a moment after Meta answered: wait for all six.
    let replied_to: Vec<String> = eventually("six wamids kept", Duration::from_secs(15), || {
        let (outbox, sent) = (h.state.services.ports.outbox.clone(), sent.clone());
        async move {
            let rows = outbox.list(None, None, 100).await.unwrap();
            sent.iter()
                .map(|s| {
                    rows.iter()
                        .find(|o| o.wamid.as_deref() == Some(s.wamid.as_str()))
                        .map(|o| o.idempotency_key.clone())
                })
                .collect::<Option<Vec<String>>>()
        }
    })
    .await;
    let expected_keys: Vec<String> = msgs
        .iter()
        .map(|m| omni_usecases::inbound::reply_key(m.wamid(), 0))
        .collect();
    assert_eq!(replied_to, expected_keys);
    h.stop().await;
}

#[actix_web::test]
async fn statuses_out_of_order_never_move_a_message_backwards() {
    let h = Harness::start_with(
        Engine::Postgres,
        omni_meta_sim::SimConfig {
            auto_statuses: false,
            ..Default::default()
        },
        &[],
    )
    .await;
    let Some(h) = h else { return };
    let store = h.store("Status Shop", Some("ok")).await;
    h.number(&store, WABA_A, NUMBER_A, "+923001112233").await;
    h.sender()
        .send(&WebhookPayload::messages(
            &number_a(),
            &SimCustomer::new(CUSTOMER, "Ali"),
            &[SimMessage::text("hi")],
        ))
        .await
        .unwrap();
    let sent = eventually("the reply", Duration::from_secs(10), || {
        let sim = h.sim();
        async move { sim.sent_messages().into_iter().next() }
    })
    .await;
    eventually("the wamid recorded", Duration::from_secs(10), || {
        let (t, w) = (h.state.services.ports.tenants.clone(), sent.wamid.clone());
        async move { t.find_message_by_wamid(store.id, &w).await.unwrap() }
    })
    .await;
    // read, then delivered, then sent: read stays.
    let statuses = [
        SimStatus::read(&sent.wamid, CUSTOMER),
        SimStatus::delivered(&sent.wamid, CUSTOMER),
        SimStatus::sent(&sent.wamid, CUSTOMER),
    ];
    for s in statuses {
        h.sender()
            .send(&WebhookPayload::statuses(&number_a(), &[s]))
            .await
            .unwrap();
    }
    tokio::time::sleep(Duration::from_millis(800)).await;
    let m = h
        .state
        .services
        .ports
        .tenants
        .find_message_by_wamid(store.id, &sent.wamid)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(m.status, Some(MessageStatus::Read));
    // A failed status with Meta's error, on another reply, is kept with the error.
    let failed = SimStatus::failed(
        &sent.wamid,
        CUSTOMER,
        131047,
        "Re-engagement message",
        "window closed",
    );
    h.sender()
        .send(&WebhookPayload::statuses(&number_a(), &[failed]))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let m = h
        .state
        .services
        .ports
        .tenants
        .find_message_by_wamid(store.id, &sent.wamid)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(m.status, Some(MessageStatus::Read), "read is final");
    h.stop().await;
}

/// Injected: store A gets 1,000 messages from 1,000 customers at once (10 batches of 100);
/// right after, store B gets ten messages, one every 200 ms.
///
/// Must hold: every message of both stores is answered once, and each of store B's customers
/// has their reply accepted by Meta within 8 s of their webhook's 200 while most of A's backlog
/// is still waiting (without fair queuing they waited behind all of it: over 30 s). Prints
/// the figures.
#[actix_web::test]
async fn a_noisy_store_does_not_hold_up_another_stores_replies() {
    let h = pg_harness!();
    let noisy = h.store("Noisy Burger", Some("Shukriya!")).await;
    h.number(&noisy, WABA_A, NUMBER_A, "+923001112233").await;
    let quiet = h.store("Quiet Tikka", Some("Ji, zaroor")).await;
    h.number(&quiet, WABA_B, NUMBER_B, "+923001112244").await;
    let number_b = SimNumber::new(WABA_B, NUMBER_B, "923001112244");

    let flood_started = std::time::Instant::now();
    for batch in 0..10 {
        let changes: Vec<SimEntry> = (0..100)
            .map(|i| {
                let customer = format!("92311{:07}", batch * 100 + i);
                SimEntry::new(WABA_A).change(SimChange::messages(
                    &number_a(),
                    &SimCustomer::new(&customer, "Noisy"),
                    &[SimMessage::text("burger")],
                ))
            })
            .collect();
        let status = h
            .sender()
            .send(&WebhookPayload::batch(changes))
            .await
            .unwrap();
        assert!(status.delivered(), "{status:?}");
    }
    let flood_acked = flood_started.elapsed();

    let mut acked_at = Vec::new();
    for i in 0..10 {
        let customer = format!("92322{i:07}");
        let status = h
            .sender()
            .send(&WebhookPayload::messages(
                &number_b,
                &SimCustomer::new(&customer, "Quiet"),
                &[SimMessage::text("tikka")],
            ))
            .await
            .unwrap();
        assert!(status.delivered(), "{status:?}");
        acked_at.push((customer, std::time::Instant::now()));
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mut waits = Vec::new();
    for (customer, acked) in &acked_at {
        eventually("the quiet store's reply", Duration::from_secs(30), || {
            let done = h
                .sim()
                .sent_messages()
                .iter()
                .any(|s| s.to.trim_start_matches('+') == customer);
            async move { done.then_some(()) }
        })
        .await;
        waits.push(acked.elapsed());
    }
    let noisy_sent_meanwhile = h
        .sim()
        .sent_messages()
        .iter()
        .filter(|s| s.phone_number_id == NUMBER_A)
        .count();
    eprintln!(
        "noisy store: 1,000 messages acknowledged in {flood_acked:?}; quiet store's reply \
         waits: {waits:?}; noisy replies accepted by then: {noisy_sent_meanwhile}"
    );
    let worst = waits.iter().max().copied().unwrap_or_default();
    assert!(
        worst < Duration::from_secs(8),
        "a quiet customer waited {worst:?}"
    );
    assert!(
        noisy_sent_meanwhile < 500,
        "the noisy backlog was still there when the quiet store was answered \
         ({noisy_sent_meanwhile} of 1,000 answered), so the bound means something"
    );
    let distinct = |h: &Harness| {
        let mut by: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        for s in h.sim().sent_messages() {
            *by.entry(s.to.trim_start_matches('+').to_owned())
                .or_default() += 1;
        }
        by
    };
    eventually(
        "every noisy customer answered",
        Duration::from_secs(180),
        || {
            let n = distinct(&h).len();
            async move { (n >= 1_010).then_some(n) }
        },
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Each customer answered exactly once: no crash here, so no window for a second copy
    // (a sender lease renewal waiting for a connection once left sends unpolled until their
    // timeout fired, and the retry repeated them; faults.rs tests that alone).
    let by = distinct(&h);
    assert_eq!(by.len(), 1_010, "every customer answered");
    let twice: Vec<_> = by.iter().filter(|(_, n)| **n > 1).collect();
    assert_eq!(
        twice,
        Vec::<(&String, &usize)>::new(),
        "customers answered twice"
    );
    h.stop().await;
}
