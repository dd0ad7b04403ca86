//! Management fields (quality, account updates, unknown fields) and failure isolation.

use std::time::Duration;

use omni_domain::{AccountStatus, LimitTier, QualityRating};
use omni_meta_sim::webhook::{
    SimChange, SimCustomer, SimEntry, SimMessage, SimNumber, WebhookPayload,
};
use omni_ports::InboxState;

use super::{CUSTOMER, NUMBER_A, NUMBER_B, WABA_A, WABA_B};
use crate::support::pipeline::{Engine, Harness, eventually};

#[actix_web::test]
async fn quality_and_account_updates_change_the_account_and_are_recorded_with_their_time() {
    let h = pg_harness!();
    let store = h.store("Quality Watch", None).await;
    let number = h.number(&store, WABA_A, NUMBER_A, "+923001112233").await;
    let time = chrono::Utc::now().timestamp() - 30;
    let quality = WebhookPayload::single(
        SimEntry::new(WABA_A).at(time),
        SimChange::quality_update("923001112233", "FLAGGED", Some("TIER_250")),
    );
    assert_eq!(
        h.sender().send(&quality).await.unwrap().final_status,
        Some(200)
    );
    let account = eventually("quality recorded", Duration::from_secs(10), || {
        let (c, id) = (h.state.services.ports.central.clone(), number.account.id);
        async move {
            c.find_account(store.id, id)
                .await
                .unwrap()
                .filter(|a| a.quality_rating == QualityRating::Red)
        }
    })
    .await;
    assert_eq!(
        account.messaging_limits.portfolio_tier,
        Some(LimitTier::Tier250)
    );
    let history = h
        .state
        .services
        .ports
        .history
        .list_for_account(number.account.id, 10)
        .await
        .unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].kind, "quality_update");
    assert_eq!(
        history[0].occurred_at.timestamp(),
        time,
        "Meta's time, not ours"
    );
    assert_eq!(history[0].detail["before"]["quality_rating"], "UNKNOWN");
    assert_eq!(history[0].detail["after"]["quality_rating"], "RED");

    let uninstalled = WebhookPayload::single(
        SimEntry::timed(WABA_A),
        SimChange::account_update("PARTNER_APP_UNINSTALLED", serde_json::json!({})),
    );
    h.sender().send(&uninstalled).await.unwrap();
    eventually("reauth_required", Duration::from_secs(10), || {
        let (c, id) = (h.state.services.ports.central.clone(), number.account.id);
        async move {
            c.find_account(store.id, id)
                .await
                .unwrap()
                .filter(|a| a.status() == AccountStatus::ReauthRequired)
        }
    })
    .await;
    assert_eq!(
        h.state
            .services
            .ports
            .history
            .list_for_account(number.account.id, 10)
            .await
            .unwrap()
            .len(),
        2
    );
    h.stop().await;
}

#[actix_web::test]
async fn an_unknown_field_is_stored_and_finished_not_an_error() {
    let h = pg_harness!();
    let store = h.store("Curious", None).await;
    h.number(&store, WABA_A, NUMBER_A, "+923001112233").await;
    let payload = WebhookPayload::single(
        SimEntry::timed(WABA_A),
        SimChange::raw(
            "some_future_field",
            serde_json::json!({"anything": [1, 2, 3]}),
        ),
    );
    assert_eq!(
        h.sender().send(&payload).await.unwrap().final_status,
        Some(200)
    );
    eventually("done", Duration::from_secs(10), || {
        let inbox = h.state.services.ports.inbox.clone();
        async move {
            let c = inbox.counts().await.unwrap();
            (c.get(&InboxState::Done) == Some(&1)).then_some(())
        }
    })
    .await;
    let counts = h.state.services.ports.inbox.counts().await.unwrap();
    assert_eq!(counts.get(&InboxState::Dead), None);
    h.stop().await;
}

#[actix_web::test]
async fn one_stores_broken_database_does_not_stop_another_store_and_its_events_park_as_dead() {
    let Some(h) = Harness::start_with(
        Engine::Postgres,
        omni_meta_sim::SimConfig::default(),
        &[("OMNI_PIPELINE__INBOX_MAX_ATTEMPTS", "2")],
    )
    .await
    else {
        return;
    };
    let (good, broken) = (
        h.store("Good", Some("fine")).await,
        h.store("Broken", Some("never")).await,
    );
    h.number(&good, WABA_A, NUMBER_A, "+923001112233").await;
    h.number(&broken, WABA_B, NUMBER_B, "+923009998877").await;
    // Break the store's own database: its messages table is gone.
    let db = h.db.as_ref().unwrap();
    let omni_sql::DbTarget::Postgres(central) = db.central_target() else {
        unreachable!()
    };
    let psql = |url: &str, sql: &str| {
        let out = std::process::Command::new("psql")
            .args([url, "-At", "-c", sql])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    let tenant_db = psql(
        &central,
        &format!(
            "SELECT tenant_database FROM stores WHERE id = '{}'",
            broken.id
        ),
    );
    psql(
        &omni_sql::database_url_with_name(&central, &tenant_db),
        "DROP TABLE messages CASCADE",
    );
    let broken_msg = SimMessage::text("to the broken store");
    let good_msg = SimMessage::text("to the good store");
    let broken_wamid = broken_msg.wamid().to_owned();
    h.sender()
        .send(&WebhookPayload::messages(
            &SimNumber::new(WABA_B, NUMBER_B, "923009998877"),
            &SimCustomer::new(CUSTOMER, "A"),
            &[broken_msg],
        ))
        .await
        .unwrap();
    h.sender()
        .send(&WebhookPayload::messages(
            &SimNumber::new(WABA_A, NUMBER_A, "923001112233"),
            &SimCustomer::new(CUSTOMER, "A"),
            &[good_msg],
        ))
        .await
        .unwrap();
    eventually("the good store answered", Duration::from_secs(10), || {
        let sim = h.sim();
        async move {
            sim.sent_messages()
                .into_iter()
                .find(|s| s.phone_number_id == NUMBER_A)
        }
    })
    .await;
    let dead = eventually(
        "the broken store's event dead after 2 attempts",
        Duration::from_secs(20),
        || {
            let inbox = h.state.services.ports.inbox.clone();
            async move {
                inbox
                    .list(InboxState::Dead, 10)
                    .await
                    .unwrap()
                    .into_iter()
                    .next()
            }
        },
    )
    .await;
    assert_eq!(dead.dedupe_key, broken_wamid);
    assert_eq!(dead.attempts, 2);
    assert!(dead.last_error.is_some());
    assert!(
        h.sim()
            .sent_messages()
            .iter()
            .all(|s| s.phone_number_id != NUMBER_B)
    );
    h.stop().await;
}
