//! The webhook pipeline while its Postgres server restarts under load. Its own test binary:
//! it restarts the machine's shared cluster (`pg_ctlcluster ... restart`), which would break
//! other tests running in the same binary; cargo runs test binaries one after another. The
//! cluster is left running, also when the test fails.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly on unexpected errors"
)]

mod support_processes;

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use omni_meta_sim::{Endpoint, Fault, FaultRule, SimConfig};
use support_processes::{Env, Load, MESSAGE_LEASE_SECS, Server, messages, reconcile, wait_quiet};

const WABA_A: &str = "102290129340398";
const WABA_B: &str = "102290129340399";
const NUMBER_A: &str = "106540352242922";
const NUMBER_B: &str = "106540352242933";

/// The local cluster's version directory (`/etc/postgresql/<version>`), when there is one.
fn cluster_version() -> Option<String> {
    let mut versions: Vec<String> = std::fs::read_dir("/etc/postgresql")
        .ok()?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    versions.sort();
    versions.into_iter().next()
}

fn pg_ctlcluster(version: &str, action: &str) -> std::process::Output {
    Command::new("pg_ctlcluster")
        .args(["--skip-systemctl-redirect", version, "main", action])
        .output()
        .expect("pg_ctlcluster")
}

fn pg_ready() -> bool {
    Command::new("pg_isready")
        .args(["-h", "127.0.0.1", "-p", "5432", "-t", "2"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Starts the cluster again if the test leaves it down (a panic mid-restart).
struct ClusterGuard(String);

impl Drop for ClusterGuard {
    fn drop(&mut self) {
        if !pg_ready() {
            let out = pg_ctlcluster(&self.0, "start");
            eprintln!("cluster started again after the test: {out:?}");
        }
    }
}

/// Injected: 200 signed webhooks from 200 customers to two stores, about 25 a second, replies
/// taking 200 ms each at Meta, and a restart of the Postgres cluster once 50 are acknowledged
/// (the service is configured with a 3 s ingest timeout and 2 s database timeouts). Meta (the
/// test) resends anything that gets no 200.
///
/// Must hold: while the database is down, webhooks fail fast (5xx or a transport error, no
/// attempt hangs past the ingest timeout plus slack) and none is answered 200 without being
/// committed; the same process recovers by itself (no restart of the service); afterwards
/// every message is stored exactly once and answered exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_postgres_restart_under_load_is_survived_without_loss_or_hang() {
    let Some(version) = cluster_version() else {
        assert!(
            !omni_testkit::db::in_ci(),
            "CI=true but no local Postgres cluster to restart (/etc/postgresql)"
        );
        eprintln!("SKIPPED: no local Postgres cluster to restart");
        return;
    };
    let Some(mut env) = Env::start(SimConfig::default()).await else {
        return;
    };
    env.extra
        .push(("OMNI_PIPELINE__INGEST_TIMEOUT_SECS".into(), "3".into()));
    env.extra
        .push(("OMNI_DATABASE__TIMEOUT_SECS".into(), "2".into()));
    let a = env.store("Karachi Biryani", WABA_A, NUMBER_A, "+923001112233");
    let b = env.store("Lahore Tikka", WABA_B, NUMBER_B, "+923001112244");
    let stores = [&a, &b];
    let total = 200;
    let msgs = Arc::new(messages(&env, &stores, total));
    // Each send takes 200 ms at Meta, so replies are in flight when the database goes away.
    env.sim().inject_fault(FaultRule::always(
        Endpoint::Messages,
        Fault::Latency(Duration::from_millis(200)),
    ));

    let mut server = Server::start(&env, "server", &[]);
    env.mark("two stores set up through the CLI, the server listening");
    let load = Load::new();
    load.set_targets(vec![server.webhook_url()]);
    let loader = tokio::spawn({
        let (load, msgs) = (load.clone(), msgs.clone());
        async move {
            // About 25 a second: webhooks keep arriving through the outage.
            load.deliver_all(
                msgs,
                4,
                Duration::from_millis(150),
                Duration::from_secs(120),
            )
            .await;
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    while load.acked() < 50 {
        assert!(Instant::now() < deadline, "webhooks are not acknowledged");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }

    env.mark("restarting the Postgres cluster");
    let guard = ClusterGuard(version.clone());
    let restart_at = Instant::now();
    let out = tokio::task::spawn_blocking(move || pg_ctlcluster(&version, "restart"))
        .await
        .unwrap();
    let restart_took = restart_at.elapsed();
    assert!(out.status.success(), "pg_ctlcluster restart: {out:?}");
    let acked_at_restart = load.acked();
    while !pg_ready() {
        assert!(
            restart_at.elapsed() < Duration::from_secs(60),
            "Postgres is not back"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(guard);
    env.mark("Postgres is back");

    loader.await.unwrap();
    env.mark("every webhook acknowledged");
    wait_quiet(
        &env,
        &stores,
        &msgs,
        Duration::from_secs(MESSAGE_LEASE_SECS + 45),
    )
    .await;
    env.mark("quiet");
    assert!(
        server.wait_exit(Duration::ZERO).is_none(),
        "the service kept running through the outage"
    );

    let attempts = load.attempts();
    let failed: Vec<_> = attempts.iter().filter(|a| a.status != Some(200)).collect();
    let slowest = attempts.iter().map(|a| a.elapsed).max().unwrap_or_default();
    let slowest_failure = failed.iter().map(|a| a.elapsed).max().unwrap_or_default();
    let found = reconcile(&env, &stores, &msgs);
    eprintln!(
        "restart took {restart_took:?} ({acked_at_restart} acknowledged by then); {} attempts, \
         {} not 200 (statuses {:?}), slowest attempt {slowest:?}, slowest failure \
         {slowest_failure:?}; {} replies at the simulator, duplicated: {:?}; {} problem(s)",
        attempts.len(),
        failed.len(),
        failed
            .iter()
            .map(|a| a.status)
            .collect::<std::collections::BTreeSet<_>>(),
        found.replies_at_sim,
        found.duplicate_replies,
        found.problems.len(),
    );
    assert!(
        !failed.is_empty(),
        "the outage was not seen by any webhook: the test did not test it"
    );
    for a in &failed {
        assert!(
            a.status.is_none_or(|s| s >= 500),
            "a webhook during the outage got {:?}",
            a.status
        );
    }
    assert!(
        slowest < Duration::from_secs(7),
        "a webhook took {slowest:?} (ingest timeout 3 s): it hung on the database"
    );
    // Exactly once, across the outage: no reply twice, every reply recorded in its store.
    let mut failures: Vec<String> = found
        .duplicate_replies
        .iter()
        .map(|(customer, n)| format!("customer {customer} got {n} replies"))
        .collect();
    failures.extend(found.problems.iter().cloned());
    assert!(
        failures.is_empty(),
        "{} failure(s) across the outage:\n{}",
        failures.len(),
        failures.join("\n")
    );
    drop(server);
    env.cleanup().await;
}
