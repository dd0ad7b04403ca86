//! The webhook pipeline as real `omniportal serve` processes on Postgres, under faults a
//! process-level deployment meets: SIGKILL mid-load, two processes sharing one database and
//! one number's rate limit, SIGTERM mid-load. The Meta simulator runs in the test process;
//! every end state is reconciled between what the simulator accepted and what the databases
//! hold (see `crate::support::processes::reconcile`), never read from the service's counters.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::processes::{
    Env, Load, MESSAGE_LEASE_SECS, Server, messages, reconcile, sent_by_recipient, wait_quiet,
};
use omni_meta_sim::{Endpoint, Fault, FaultRule, SimConfig};

const WABA_A: &str = "102290129340398";
const WABA_B: &str = "102290129340399";
const NUMBER_A: &str = "106540352242922";
const NUMBER_B: &str = "106540352242933";

/// The test's world, or return (with `$ret`) when Postgres is unreachable outside CI.
macro_rules! env_or_skip {
    ($env:expr) => {
        env_or_skip!($env, ())
    };
    ($env:expr, $ret:expr) => {
        match $env {
            Some(env) => env,
            None => return $ret,
        }
    };
}

async fn wait_for(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn digits(to: &str) -> String {
    to.trim_start_matches('+').to_owned()
}

/// Injected: 300 signed single-message webhooks from 300 customers to two stores, 8 in
/// flight (about 50 a second), and a SIGKILL of the only server once about a third are acknowledged; a new
/// process on the same database takes over while Meta (the test) resends everything that
/// got no 200.
///
/// Must hold: every webhook is stored exactly once in its own store's database and answered
/// there once; the simulator accepted exactly one reply per customer, except customers whose
/// reply was claimed (`sending`) at the moment of the kill (Meta may have accepted it before
/// the process could record it: the documented at-least-once window); the inbox ends with
/// every event `done`.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_under_load_loses_no_acknowledged_webhook_and_repeats_only_claimed_replies() {
    let env = env_or_skip!(Env::start(SimConfig::default()).await);
    let a = env.store("Karachi Biryani", WABA_A, NUMBER_A, "+923001112233");
    let b = env.store("Lahore Tikka", WABA_B, NUMBER_B, "+923001112244");
    let stores = [&a, &b];
    let total = 300;
    let msgs = Arc::new(messages(&env, &stores, total));
    // Each send takes 200 ms at Meta, so replies are in flight (claimed) when the kill comes.
    env.sim().inject_fault(FaultRule::always(
        Endpoint::Messages,
        Fault::Latency(Duration::from_millis(200)),
    ));
    env.mark("two stores set up through the CLI");

    let mut first = Server::start(&env, "server-1", &[]);
    env.mark("server 1 listening");
    let load = Load::new();
    load.set_targets(vec![first.webhook_url()]);
    let loader = tokio::spawn({
        let (load, msgs) = (load.clone(), msgs.clone());
        async move {
            // About 50 a second, so the kill lands while webhooks still arrive.
            load.deliver_all(
                msgs,
                8,
                Duration::from_millis(150),
                Duration::from_secs(120),
            )
            .await;
        }
    });

    // Kill once a third is acknowledged and replies are leaving, so every stage has work in
    // flight: webhooks unanswered, events claimed, replies claimed.
    let sim = env.sim();
    wait_for(
        "a third of the webhooks acknowledged and replies being sent",
        Duration::from_secs(60),
        || {
            load.acked() >= total / 3
                && sim.sent_messages().len() >= 10
                && env.central_count("SELECT count(*) FROM outbox WHERE state = 'sending'") > 0
        },
    )
    .await;
    load.set_targets(Vec::new());
    let killed = first.kill9();
    let acked_at_kill = load.acked();
    // The database as the dead process left it.
    let sending_at_kill: HashSet<String> = env
        .central("SELECT recipient FROM outbox WHERE state = 'sending'")
        .into_iter()
        .map(|r| digits(&r[0]))
        .collect();
    let inbox_at_kill = env.states("webhook_inbox");
    let outbox_at_kill = env.states("outbox");
    let sent_at_kill = env.sim().sent_messages().len();
    env.mark(&format!(
        "SIGKILL ({killed:?}) with {acked_at_kill}/{total} acknowledged: inbox {inbox_at_kill:?}, \
         outbox {outbox_at_kill:?}, {sent_at_kill} replies accepted by the simulator"
    ));
    assert!(
        acked_at_kill < total,
        "the kill came before the load was over"
    );

    let second = Server::start(&env, "server-2", &[]);
    env.mark("server 2 listening");
    load.set_targets(vec![second.webhook_url()]);
    loader.await.unwrap();
    assert_eq!(load.acked(), total);
    env.mark("every webhook acknowledged");
    // Replies claimed by the dead process are taken over once their lease runs out.
    wait_quiet(
        &env,
        &stores,
        &msgs,
        Duration::from_secs(MESSAGE_LEASE_SECS + 45),
    )
    .await;
    env.mark("quiet");

    let found = reconcile(&env, &stores, &msgs);
    let attempts = load.attempts();
    let failed = attempts.iter().filter(|a| a.status != Some(200)).count();
    eprintln!(
        "after the restart: {} webhook attempts ({failed} not 200, resent), {} replies at the \
         simulator for {total} messages; duplicated replies: {:?} (claimed at the kill: {}); {} \
         problem(s)",
        attempts.len(),
        found.replies_at_sim,
        found.duplicate_replies,
        sending_at_kill.len(),
        found.problems.len()
    );
    for (customer, n) in &found.duplicate_replies {
        assert!(
            sending_at_kill.contains(customer),
            "customer {customer} got {n} replies but their reply was not being sent at the kill"
        );
        assert_eq!(*n, 2, "customer {customer} got {n} replies");
    }
    assert!(found.duplicate_replies.len() <= sending_at_kill.len());
    found.assert_consistent();
    drop(second);
    env.cleanup().await;
}

/// Two `serve` processes on one database, each with `pipeline.default_mps = mps` and the
/// variables in `extra`; `total` webhooks from distinct customers to ONE number, even ones to
/// server 1, odd ones to server 2, every third to both at once. Checks that each message is
/// stored once and answered once, then that the number's sends, as the simulator timestamps
/// them, stay within ONE limiter's envelope: governor's `per_second(mps)` allows a burst of
/// `mps`, then one every `1/mps` s, so at most `mps + mps·T` (+3 for timing jitter) in any
/// T-second window. Returns the span from first to last send, in ms.
async fn one_number_from_two_processes(extra: &[(&str, &str)], mps: u32, total: usize) -> i64 {
    let mut env = env_or_skip!(Env::start(SimConfig::default()).await, 0);
    env.extra
        .push(("OMNI_PIPELINE__DEFAULT_MPS".into(), mps.to_string()));
    for (k, v) in extra {
        env.extra.push(((*k).to_owned(), (*v).to_owned()));
    }
    let a = env.store("Karachi Biryani", WABA_A, NUMBER_A, "+923001112233");
    let stores = [&a];
    let msgs = Arc::new(messages(&env, &stores, total));
    let (one, two) = (
        Server::start(&env, "server-1", &[]),
        Server::start(&env, "server-2", &[]),
    );
    env.mark("one store set up through the CLI, two servers listening");

    let load = Load::new();
    load.set_targets(vec![one.webhook_url(), two.webhook_url()]);
    let copies = Load::new();
    copies.set_targets(vec![two.webhook_url(), one.webhook_url()]);
    let dups: Arc<Vec<_>> = Arc::new(msgs.iter().filter(|m| m.idx % 3 == 0).cloned().collect());
    let within = Duration::from_secs(60);
    tokio::join!(
        load.deliver_all(msgs.clone(), 16, Duration::ZERO, within),
        copies.deliver_all(dups.clone(), 8, Duration::ZERO, within),
    );
    let acked_by = |load: &Load, url: &str| {
        load.attempts()
            .iter()
            .filter(|a| a.target == url && a.status == Some(200))
            .count()
    };
    let (by_one, by_two) = (
        acked_by(&load, &one.webhook_url()) + acked_by(&copies, &one.webhook_url()),
        acked_by(&load, &two.webhook_url()) + acked_by(&copies, &two.webhook_url()),
    );
    assert!(by_one > 0 && by_two > 0, "{by_one} / {by_two}");
    env.mark("every webhook acknowledged");

    wait_quiet(&env, &stores, &msgs, Duration::from_secs(60)).await;
    env.mark("quiet");
    let found = reconcile(&env, &stores, &msgs);
    found.assert_consistent();
    assert!(
        found.duplicate_replies.is_empty(),
        "{:?}",
        found.duplicate_replies
    );
    assert_eq!(found.replies_at_sim, total);

    // The number's rate, at the simulator.
    let sent = sent_by_recipient(&env.sim());
    let mut times: Vec<i64> = sent
        .values()
        .flatten()
        .map(|s| s.at.timestamp_millis())
        .collect();
    times.sort_unstable();
    let first = times[0];
    let span = times[times.len() - 1] - first;
    let mut per_second: BTreeMap<i64, usize> = BTreeMap::new();
    for t in &times {
        *per_second.entry((t - first) / 1000).or_default() += 1;
    }
    let takeovers: usize = [&one, &two]
        .iter()
        .map(|s| {
            s.log()
                .iter()
                .filter(|l| l.contains("sender lease lost to another process"))
                .count()
        })
        .sum();
    eprintln!(
        "{total} replies over {span} ms at {mps}/s (webhooks acknowledged: {by_one} by server 1, \
         {by_two} by server 2, {} sent to both); per second from the first: {per_second:?}; \
         sender leases lost to the other process: {takeovers}",
        dups.len()
    );
    let mps = i64::from(mps);
    for window in 1..=span / 1000 + 1 {
        let most = (0..times.len())
            .map(|i| {
                times[i..]
                    .iter()
                    .take_while(|t| **t < times[i] + window * 1000)
                    .count()
            })
            .max()
            .unwrap_or(0);
        let bound = usize::try_from(mps + mps * window + 3).unwrap();
        assert!(
            most <= bound,
            "{most} sends within {window} s (bound {bound}): the number's rate was exceeded \
             ({takeovers} sender lease(s) lost to the other process mid-batch)"
        );
    }
    drop((one, two));
    env.cleanup().await;
    span
}

/// Injected: two `serve` processes on one database, each with `pipeline.default_mps = 10`
/// (and the default 15 s sender lease); 60 webhooks from 60 customers to ONE number, spread
/// over both processes, every third delivered to both at once.
///
/// Must hold: each message stored once and answered once, and the number's sends within one
/// limiter's envelope (at most 10 + 10·T in any T-second window, so the 60 take at least
/// ~5 s): two processes did not double the number's rate.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_processes_share_the_work_and_do_not_double_a_numbers_rate() {
    let span =
        one_number_from_two_processes(&[("OMNI_PIPELINE__SENDER_LEASE_SECS", "15")], 10, 60).await;
    assert!(
        span == 0 || span >= 4_000,
        "60 sends at 10/s (burst 10) take about 5 s, not {span} ms"
    );
}

/// Injected: as above (80 webhooks), but with the shortest sender lease
/// (`sender_lease_secs = 3`) and 5 messages a second, so one claimed batch (up to
/// `2 × sender_concurrency` = 32 replies, about 6 s) takes longer to send than the lease
/// lasts, while more replies wait.
///
/// Must hold: the process sending the batch keeps the number's lease while it sends, so the
/// other process never sends for the number at the same time: the sends stay within one
/// limiter's envelope (5 + 5·T in any T seconds).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_number_stays_with_one_sender_through_a_batch_longer_than_its_lease() {
    one_number_from_two_processes(&[("OMNI_PIPELINE__SENDER_LEASE_SECS", "3")], 5, 80).await;
}

/// Injected: 200 webhooks from 200 customers to two stores, 16 in flight, replies limited to
/// 10 a second per number, and a SIGTERM once 100 are acknowledged; after the process exits, a new one drains the rest while Meta
/// (the test) resends what got no 200.
///
/// Must hold: the process exits cleanly within its grace period, having given back every
/// lease (no `leased` inbox event, no `sending` outbox message, no sender lease left); no
/// webhook answered 200 is lost; every message is stored once and answered exactly once (a
/// graceful stop leaves no duplicate window; only a send retried after an ambiguous failure,
/// such as a Graph timeout under load, may have gone out twice).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_under_load_gives_back_every_lease_and_loses_nothing() {
    let mut env = env_or_skip!(Env::start(SimConfig::default()).await);
    // Replies leave slower than webhooks arrive: the stop finds claimed and queued replies.
    env.extra
        .push(("OMNI_PIPELINE__DEFAULT_MPS".into(), "10".into()));
    let a = env.store("Karachi Biryani", WABA_A, NUMBER_A, "+923001112233");
    let b = env.store("Lahore Tikka", WABA_B, NUMBER_B, "+923001112244");
    let stores = [&a, &b];
    let total = 200;
    let msgs = Arc::new(messages(&env, &stores, total));

    let mut first = Server::start(&env, "server-1", &[]);
    env.mark("two stores set up through the CLI, server 1 listening");
    let load = Load::new();
    load.set_targets(vec![first.webhook_url()]);
    let loader = tokio::spawn({
        let (load, msgs) = (load.clone(), msgs.clone());
        async move {
            load.deliver_all(msgs, 16, Duration::ZERO, Duration::from_secs(120))
                .await;
        }
    });
    wait_for("100 webhooks acknowledged", Duration::from_secs(60), || {
        load.acked() >= 100
    })
    .await;
    let term_at = Instant::now();
    first.sigterm();
    let status = tokio::task::block_in_place(|| first.wait_exit(Duration::from_secs(30)));
    let stopped_in = term_at.elapsed();
    load.set_targets(Vec::new());
    let status = status.expect("the server did not exit within 30 s of SIGTERM");
    assert!(status.success(), "exit status {status:?}");
    assert!(first.log_has("pipeline stopped"), "the pipeline stopped");

    let leased = env.central_count("SELECT count(*) FROM webhook_inbox WHERE state = 'leased'");
    let sending = env.central_count("SELECT count(*) FROM outbox WHERE state = 'sending'");
    let sender_leases = env.central("SELECT sender, owner, lease_until FROM sender_leases");
    env.mark("server 1 exited");
    let after_term: Vec<_> = load
        .attempts()
        .into_iter()
        .filter(|a| a.at + a.elapsed >= term_at)
        .collect();
    let ok_after = after_term.iter().filter(|a| a.status == Some(200)).count();
    let refused = after_term.iter().filter(|a| a.status.is_none()).count();
    eprintln!(
        "SIGTERM: exited {status:?} in {stopped_in:?} with {} acknowledged; attempts ending \
         after the signal: {} ({ok_after} 200, {refused} transport errors, the rest 5xx); \
         inbox {:?}, outbox {:?}",
        load.acked(),
        after_term.len(),
        env.states("webhook_inbox"),
        env.states("outbox"),
    );
    assert!(
        env.states("outbox").get("pending").copied().unwrap_or(0) > 0,
        "the stop left queued replies for the next process (the scenario needs them)"
    );
    assert_eq!(leased, 0, "inbox leases left by the stopped process");
    assert_eq!(sending, 0, "outbox claims left by the stopped process");
    assert!(
        sender_leases.is_empty(),
        "sender leases left: {sender_leases:?}"
    );

    let second = Server::start(&env, "server-2", &[]);
    env.mark("server 2 listening");
    load.set_targets(vec![second.webhook_url()]);
    loader.await.unwrap();
    env.mark("every webhook acknowledged");
    wait_quiet(&env, &stores, &msgs, Duration::from_secs(60)).await;
    env.mark("quiet");
    let found = reconcile(&env, &stores, &msgs);
    found.assert_consistent();
    // The stop repeats nothing: every customer got exactly one reply.
    assert_eq!(found.duplicate_replies, [], "replies that went out twice");
    assert_eq!(found.replies_at_sim, total);
    drop(second);
    env.cleanup().await;
}
