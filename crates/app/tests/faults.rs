//! Kill points: the real `omniportal serve` dies on the spot (abort, as abrupt as SIGKILL) at
//! each named place in the webhook path, a new process takes over on the same Postgres, and
//! the end state is reconciled between what the Meta simulator accepted and what the databases
//! hold (`support_processes::reconcile`), never read from the service's own counters.
//!
//! The points (`crates/app/src/fault_points.rs`) exist only in test builds.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly on unexpected errors"
)]

mod support_processes;

use std::os::unix::process::ExitStatusExt as _;
use std::sync::Arc;
use std::time::Duration;

use omni_meta_sim::SimConfig;
use support_processes::{Env, Load, MESSAGE_LEASE_SECS, Server, messages, reconcile, wait_quiet};

const WABA: &str = "102290129340398";
const NUMBER: &str = "106540352242922";
/// Inbox leases in these tests: how long a dead process's claimed events wait.
const INBOX_LEASE_SECS: u64 = 4;

/// Injected: ten signed webhooks from ten customers, one at a time, to a process armed to die
/// at `point` the first time it gets there; Meta (the test) resends whatever got no 200 to a
/// second process on the same database.
///
/// Must hold: every webhook is acknowledged, stored once and answered once; the simulator
/// accepted exactly one reply per customer, except replies the dead process had claimed and
/// Meta had already accepted (after `outbox.after_accept`): those go out a second time, the
/// documented window where nothing recorded the acceptance. Returns the customers who got two
/// replies.
async fn die_at(point: &str) -> Option<Vec<(String, usize)>> {
    let mut env = Env::start(SimConfig::default()).await?;
    env.extra.push((
        "OMNI_PIPELINE__INBOX_LEASE_SECS".into(),
        INBOX_LEASE_SECS.to_string(),
    ));
    let store = env.store("Karachi Biryani", WABA, NUMBER, "+923001112233");
    let stores = [&store];
    let msgs = Arc::new(messages(&env, &stores, 10));

    let armed = format!("{point}=1*return");
    let mut first = Server::start(&env, "armed", &[("FAILPOINTS", armed.as_str())]);
    env.mark(&format!("armed at {point}"));
    let load = Load::new();
    load.set_targets(vec![first.webhook_url()]);
    let loader = tokio::spawn({
        let (load, msgs) = (load.clone(), msgs.clone());
        async move {
            load.deliver_all(msgs, 1, Duration::ZERO, Duration::from_secs(150))
                .await;
        }
    });
    let status = first
        .wait_exit(Duration::from_secs(60))
        .unwrap_or_else(|| panic!("the process armed at {point} did not die"));
    assert_eq!(
        status.signal(),
        Some(6),
        "{point}: died by abort, {status:?}"
    );
    assert!(
        first.log_has(&format!("fault injection: aborting at {point}")),
        "{point}: the kill point was reached"
    );
    env.mark(&format!(
        "died at {point} with {} acknowledged",
        load.acked()
    ));
    // The replies the dead process had claimed: Meta may have accepted them already.
    let sending: Vec<String> = env
        .central("SELECT recipient FROM outbox WHERE state = 'sending'")
        .into_iter()
        .map(|r| r[0].trim_start_matches('+').to_owned())
        .collect();

    let second = Server::start(&env, "after", &[]);
    load.set_targets(vec![second.webhook_url()]);
    loader.await.unwrap();
    assert_eq!(load.acked(), msgs.len());
    let lease = if point == "outbox.after_accept" {
        MESSAGE_LEASE_SECS
    } else {
        INBOX_LEASE_SECS
    };
    wait_quiet(&env, &stores, &msgs, Duration::from_secs(lease + 45)).await;
    let found = reconcile(&env, &stores, &msgs);
    found.assert_consistent();
    for (customer, n) in &found.duplicate_replies {
        assert!(
            sending.contains(customer) && *n == 2,
            "{point}: {customer} got {n} replies; claimed at the death: {sending:?}"
        );
    }
    drop(second);
    env.cleanup().await;
    Some(found.duplicate_replies)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dying_before_the_inbox_commit_loses_nothing_meta_resends_it() {
    if let Some(dups) = die_at("webhook.before_commit").await {
        assert_eq!(dups, []);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dying_after_the_commit_before_the_200_stores_the_resend_once() {
    if let Some(dups) = die_at("webhook.after_commit").await {
        assert_eq!(dups, []);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dying_after_the_claim_hands_the_event_over_when_its_lease_ends() {
    if let Some(dups) = die_at("inbox.after_claim").await {
        assert_eq!(dups, []);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dying_after_the_agent_decided_decides_again_and_answers_once() {
    if let Some(dups) = die_at("agent.after_decide").await {
        assert_eq!(dups, []);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dying_after_the_reply_was_saved_does_not_queue_it_twice() {
    if let Some(dups) = die_at("inbox.after_process").await {
        assert_eq!(dups, []);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dying_after_meta_accepted_repeats_only_the_replies_in_flight() {
    if let Some(dups) = die_at("outbox.after_accept").await {
        // At least the reply whose acceptance triggered the death; also any other reply Meta
        // accepted concurrently (the senders work in parallel), and only those (checked in
        // `die_at`: each was claimed at the death, and went out exactly twice).
        assert!(
            !dups.is_empty(),
            "the accepted reply in flight went out again"
        );
    }
}
