//! The webhook pipeline while its Postgres server goes away under load: restarted, stopped for
//! a minute, or hung (every process SIGSTOPped) for half a minute. Its own test binary: it
//! stops and freezes the machine's shared cluster, which would break other tests running in
//! the same binary; cargo runs test binaries one after another, and the harness runs this
//! binary's tests one at a time. A guard leaves the cluster running and unfrozen, also when a
//! test fails.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly on unexpected errors"
)]

mod support;

use std::collections::BTreeSet;
use std::os::unix::process::CommandExt as _;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use omni_meta_sim::{Endpoint, Fault, FaultRule, SimConfig};
use support::processes::{
    Attempt, Env, Load, MESSAGE_LEASE_SECS, Server, messages, psql, reconcile, wait_quiet,
};

const WABA_A: &str = "102290129340398";
const WABA_B: &str = "102290129340399";
const NUMBER_A: &str = "106540352242922";
const NUMBER_B: &str = "106540352242933";

/// `pipeline.ingest_timeout_secs` of the service under test.
const INGEST_TIMEOUT: Duration = Duration::from_secs(3);
/// `database.timeout_secs` (pool wait, connect and recycle) of the service under test.
const DB_TIMEOUT_SECS: u64 = 2;
/// Longest any webhook attempt may take, outage or not: the ingest timeout plus slack for a
/// loaded two-core machine. Past it the request hung on the database.
const ATTEMPT_BOUND: Duration = Duration::from_secs(7);
/// From the database's return to the first 200: the same process reconnects by itself.
const RECOVERY_BOUND: Duration = Duration::from_secs(10);
/// From the database's return until every message is answered and nothing is open: the rest
/// of the load (about 6 s), an inbox or outbox lease that ran out during the outage (15 s),
/// and margin.
const DRAIN_BOUND: Duration = Duration::from_secs(40);
/// Longest stretch of an outage without a new attempt: 4 senders, each waiting at most an
/// attempt (the ingest timeout) plus an 800 ms backoff before the next.
const TRAFFIC_GAP: Duration = Duration::from_secs(5);

/// What happens to the cluster once traffic flows.
#[derive(Debug, Clone, Copy)]
enum Outage {
    /// `pg_ctlcluster restart`: down for the second or two a fast restart takes.
    Restart,
    /// `pg_ctlcluster stop` (fast mode: backends terminated, new connections refused), then
    /// `start` after this long.
    Stop(Duration),
    /// SIGSTOP to the postmaster and every backend, SIGCONT after this long. The kernel still
    /// accepts connections and buffers queries, but nothing answers: clients hang rather than
    /// fail, unless they time out themselves.
    Freeze(Duration),
}

impl Outage {
    fn length(self) -> Duration {
        match self {
            Self::Restart => Duration::ZERO,
            Self::Stop(d) | Self::Freeze(d) => d,
        }
    }
}

/// When the database was away, as seen from the test.
struct Away {
    /// The fault was started.
    began: Instant,
    /// The stretch in which nothing could commit: after the stop or the SIGSTOPs took
    /// effect, before the start or the SIGCONTs. `None` for a restart, whose down time is
    /// somewhere inside the `pg_ctlcluster` call.
    down: Option<(Instant, Instant)>,
    /// `pg_isready` answered again.
    ready: Instant,
}

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

/// Whether the server answers within 2 s (a frozen one does not).
fn pg_ready() -> bool {
    Command::new("pg_isready")
        .args(["-h", "127.0.0.1", "-p", "5432", "-t", "2"])
        .output()
        .is_ok_and(|o| o.status.success())
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

/// Sends `kill -<sig>` to `pids`; whether every one got it.
fn signal(sig: &str, pids: &[u32]) -> bool {
    pids.is_empty()
        || Command::new("kill")
            .arg(format!("-{sig}"))
            .args(pids.iter().map(u32::to_string))
            .status()
            .is_ok_and(|s| s.success())
}

/// The cluster's data directory, as the server reports it.
fn data_directory() -> String {
    psql(&omni_testkit::db::pg_server_url(), "SHOW data_directory")[0][0].clone()
}

/// The postmaster's pid: the first line of `postmaster.pid` in the data directory.
fn postmaster_pid(data_dir: &str) -> u32 {
    let file = std::fs::read_to_string(format!("{data_dir}/postmaster.pid"))
        .unwrap_or_else(|e| panic!("{data_dir}/postmaster.pid: {e}"));
    file.lines()
        .next()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or_else(|| panic!("no pid in {data_dir}/postmaster.pid: {file:?}"))
}

/// Every process the postmaster forked (backends, checkpointer, walwriter, ...).
fn children_of(pid: u32) -> Vec<u32> {
    let out = Command::new("pgrep")
        .args(["-P", &pid.to_string()])
        .output()
        .expect("pgrep");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect()
}

/// Leaves the shared cluster usable whatever happens to the test: SIGCONT to whatever it
/// froze, then a start if the server still does not answer (a panic mid-stop or mid-restart).
struct ClusterGuard {
    version: String,
    data_dir: String,
    /// Processes sent SIGSTOP and not yet SIGCONT.
    frozen: Vec<u32>,
    /// A shell in its own process group that does the same after the outage plus a minute,
    /// for when this process dies without unwinding (SIGKILL, a CI timeout); killed on drop.
    watchdog: Option<Child>,
}

impl ClusterGuard {
    fn new(version: String, outage: Outage) -> Self {
        let data_dir = data_directory();
        let script = format!(
            "sleep {}; pm=$(head -n1 '{data_dir}/postmaster.pid' 2>/dev/null); \
             [ -n \"$pm\" ] && kill -CONT $(pgrep -P \"$pm\") \"$pm\" 2>/dev/null; sleep 5; \
             pg_isready -q -h 127.0.0.1 -p 5432 -t 2 || \
             pg_ctlcluster --skip-systemctl-redirect {version} main start",
            (outage.length() + Duration::from_secs(60)).as_secs()
        );
        let watchdog = Command::new("sh")
            .args(["-c", &script])
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn the cluster watchdog");
        Self {
            version,
            data_dir,
            frozen: Vec::new(),
            watchdog: Some(watchdog),
        }
    }

    /// SIGSTOP to the postmaster first (so it forks nothing more), then to its children.
    fn freeze(&mut self) {
        let postmaster = postmaster_pid(&self.data_dir);
        self.frozen.push(postmaster);
        assert!(
            signal("STOP", &[postmaster]),
            "kill -STOP {postmaster} (the postmaster)"
        );
        let children = children_of(postmaster);
        assert!(!children.is_empty(), "the postmaster has no children");
        self.frozen.extend(&children);
        assert!(signal("STOP", &children), "kill -STOP {children:?}");
    }

    fn thaw(&mut self) {
        // Children first, so the postmaster wakes to running children.
        let frozen: Vec<u32> = std::mem::take(&mut self.frozen).into_iter().rev().collect();
        if !signal("CONT", &frozen) {
            // One pid failed (gone?): make sure every other one got its SIGCONT.
            for pid in frozen {
                signal("CONT", &[pid]);
            }
        }
    }
}

impl Drop for ClusterGuard {
    fn drop(&mut self) {
        if !self.frozen.is_empty() {
            eprintln!("sending SIGCONT to the frozen cluster: {:?}", self.frozen);
            self.thaw();
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while !pg_ready() {
            if Instant::now() > deadline {
                let out = pg_ctlcluster(&self.version, "start");
                eprintln!("cluster started again after the test: {out:?}");
                break;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        if let Some(mut watchdog) = self.watchdog.take() {
            // The whole group: the shell and its `sleep`.
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", watchdog.id())])
                .status();
            let _ = watchdog.wait();
        }
    }
}

/// Waits (up to 60 s) for the server to answer again.
async fn wait_ready() -> Instant {
    let since = Instant::now();
    while !blocking(pg_ready).await {
        assert!(
            since.elapsed() < Duration::from_secs(60),
            "Postgres is not back"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Instant::now()
}

/// Does `outage` to the cluster; when the database was away.
async fn inflict(env: &Env, guard: &mut ClusterGuard, outage: Outage) -> Away {
    let version = guard.version.clone();
    let began = Instant::now();
    let down = match outage {
        Outage::Restart => {
            let out = blocking(move || pg_ctlcluster(&version, "restart")).await;
            assert!(out.status.success(), "pg_ctlcluster restart: {out:?}");
            env.mark(&format!(
                "pg_ctlcluster restart returned after {:?}",
                began.elapsed()
            ));
            None
        }
        Outage::Stop(length) => {
            let v = version.clone();
            let out = blocking(move || pg_ctlcluster(&v, "stop")).await;
            assert!(out.status.success(), "pg_ctlcluster stop: {out:?}");
            let gone = Instant::now();
            env.mark(&format!("cluster stopped (took {:?})", gone - began));
            assert!(!blocking(pg_ready).await, "the stopped cluster answers");
            tokio::time::sleep_until((gone + length).into()).await;
            let back = Instant::now();
            env.mark("starting the cluster");
            let out = blocking(move || pg_ctlcluster(&version, "start")).await;
            assert!(out.status.success(), "pg_ctlcluster start: {out:?}");
            Some((gone, back))
        }
        Outage::Freeze(length) => {
            guard.freeze();
            let gone = Instant::now();
            env.mark(&format!(
                "cluster frozen: SIGSTOP to {} processes",
                guard.frozen.len()
            ));
            assert!(!blocking(pg_ready).await, "the frozen cluster answers");
            tokio::time::sleep_until((gone + length).into()).await;
            let back = Instant::now();
            guard.thaw();
            env.mark("cluster thawed: SIGCONT sent");
            Some((gone, back))
        }
    };
    let ready = wait_ready().await;
    env.mark("Postgres answers again");
    Away { began, down, ready }
}

/// Injected: 200 signed webhooks from 200 customers to two stores, about 25 a second, replies
/// taking 200 ms each at Meta, and `outage` once 50 are acknowledged (the service is configured
/// with a 3 s ingest timeout and 2 s database timeouts). Meta (the test) resends anything that
/// gets no 200, so traffic keeps arriving through the outage.
///
/// Must hold, reconciled against the simulator and the databases (never the service's own
/// counters): every attempt, during the outage or not, ends within `ATTEMPT_BOUND` and every
/// non-200 is a 5xx (no hang, no transport error); no attempt made wholly while the database
/// could not commit got a 200; the same process (never restarted) answers 200 again within
/// `RECOVERY_BOUND` of the database's return, and is quiet within `DRAIN_BOUND`; afterwards
/// every message is stored exactly once and answered exactly once.
async fn scenario(outage: Outage) {
    let Some(version) = cluster_version() else {
        assert!(
            !omni_testkit::db::in_ci(),
            "CI=true but no local Postgres cluster to stop (/etc/postgresql)"
        );
        eprintln!("SKIPPED: no local Postgres cluster to stop");
        return;
    };
    let Some(mut env) = Env::start(SimConfig::default()).await else {
        return;
    };
    env.extra.push((
        "OMNI_PIPELINE__INGEST_TIMEOUT_SECS".into(),
        INGEST_TIMEOUT.as_secs().to_string(),
    ));
    env.extra.push((
        "OMNI_DATABASE__TIMEOUT_SECS".into(),
        DB_TIMEOUT_SECS.to_string(),
    ));
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
    let pid = server.pid;
    env.mark("two stores set up through the CLI, the server listening");
    let load = Load::new();
    load.set_targets(vec![server.webhook_url()]);
    let loader = tokio::spawn({
        let (load, msgs) = (load.clone(), msgs.clone());
        let within = outage.length() + Duration::from_secs(120);
        async move {
            // About 25 a second, 4 at a time, each retried until a 200.
            load.deliver_all(msgs, 4, Duration::from_millis(150), within)
                .await;
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    while load.acked() < 50 {
        assert!(Instant::now() < deadline, "webhooks are not acknowledged");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }

    env.mark(&format!("{outage:?} of the Postgres cluster"));
    let mut guard = ClusterGuard::new(version, outage);
    let away = inflict(&env, &mut guard, outage).await;
    drop(guard);

    loader.await.unwrap();
    env.mark("every webhook acknowledged");
    wait_quiet(
        &env,
        &stores,
        &msgs,
        Duration::from_secs(MESSAGE_LEASE_SECS + 45),
    )
    .await;
    let drained = away.ready.elapsed();
    env.mark("quiet");
    assert!(
        server.wait_exit(Duration::ZERO).is_none(),
        "the service (pid {pid}, never restarted) kept running through the outage"
    );

    let attempts = load.attempts();
    let during: Vec<&Attempt> = attempts
        .iter()
        .filter(|a| a.at >= away.began && a.at <= away.ready)
        .collect();
    let failed: Vec<&Attempt> = attempts.iter().filter(|a| a.status != Some(200)).collect();
    let slowest = attempts.iter().map(|a| a.elapsed).max().unwrap_or_default();
    let slowest_during = during.iter().map(|a| a.elapsed).max().unwrap_or_default();
    let statuses: BTreeSet<Option<u16>> = failed.iter().map(|a| a.status).collect();
    let recovered = attempts
        .iter()
        .filter(|a| a.status == Some(200) && a.at + a.elapsed >= away.ready)
        .map(|a| (a.at + a.elapsed) - away.ready)
        .min();
    // While nothing could commit: the attempts made wholly inside that stretch, those of
    // them answered 200, and the longest stretch without a new attempt.
    let down = away.down.map(|(gone, back)| {
        let wholly: Vec<&Attempt> = attempts
            .iter()
            .filter(|a| a.at >= gone && a.at + a.elapsed <= back)
            .collect();
        let acked: Vec<usize> = wholly
            .iter()
            .filter(|a| a.status == Some(200))
            .map(|a| a.idx)
            .collect();
        let mut starts: Vec<Instant> = attempts
            .iter()
            .map(|a| a.at)
            .filter(|at| (gone..=back).contains(at))
            .collect();
        starts.sort();
        let gap = std::iter::once(gone)
            .chain(starts)
            .chain(std::iter::once(back))
            .collect::<Vec<_>>()
            .windows(2)
            .map(|w| w[1] - w[0])
            .max()
            .unwrap_or_default();
        (back - gone, wholly.len(), acked, gap)
    });
    let found = reconcile(&env, &stores, &msgs);
    if let Some((length, wholly, acked, gap)) = &down {
        env.mark(&format!(
            "{outage:?}: database unable to commit for {length:?}: {wholly} attempts made \
             wholly inside it, {} of them 200, longest stretch without a new attempt {gap:?}",
            acked.len()
        ));
    }
    env.mark(&format!(
        "{outage:?}: {} attempts from the fault to Postgres answering again ({} not 200), \
         slowest of them {slowest_during:?}; {} attempts in all, {} not 200 (statuses \
         {statuses:?}), slowest {slowest:?}; first 200 {recovered:?} after Postgres answered \
         again; quiet {drained:?} after it; {} replies at the simulator, duplicated: {:?}; {} \
         problem(s)",
        during.len(),
        during.iter().filter(|a| a.status != Some(200)).count(),
        attempts.len(),
        failed.len(),
        found.replies_at_sim,
        found.duplicate_replies,
        found.problems.len(),
    ));

    assert!(
        !failed.is_empty(),
        "the outage was not seen by any webhook: the test did not test it"
    );
    for a in &failed {
        assert!(
            a.status.is_some_and(|s| s >= 500),
            "webhook {} got {:?} ({:?}) after {:?}",
            a.idx,
            a.status,
            a.error,
            a.elapsed
        );
    }
    assert!(
        slowest < ATTEMPT_BOUND,
        "a webhook took {slowest:?} (ingest timeout {INGEST_TIMEOUT:?}, bound \
         {ATTEMPT_BOUND:?}): it hung on the database"
    );
    if let Some((_, wholly, acked, gap)) = &down {
        assert!(
            acked.is_empty(),
            "webhooks {acked:?} got 200 while the database could not commit"
        );
        // Meta kept resending through the whole outage.
        assert!(
            *wholly > 0 && *gap < TRAFFIC_GAP,
            "{wholly} attempts wholly inside the outage, longest stretch without a new one \
             {gap:?} (bound {TRAFFIC_GAP:?}): traffic did not continue through it"
        );
    }
    if let Outage::Freeze(_) = outage {
        // Nothing refused: the frozen server made the commits hang until the ingest timeout.
        assert!(
            slowest_during >= INGEST_TIMEOUT,
            "no webhook waited for the ingest timeout: the freeze was not seen as a hang"
        );
    }
    let recovered = recovered.expect("no 200 after the database came back");
    assert!(
        recovered < RECOVERY_BOUND,
        "the first 200 came {recovered:?} after the database returned (bound \
         {RECOVERY_BOUND:?})"
    );
    assert!(
        drained < DRAIN_BOUND,
        "the backlog drained {drained:?} after the database returned (bound {DRAIN_BOUND:?})"
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

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_postgres_restart_under_load_is_survived_without_loss_or_hang() {
    scenario(Outage::Restart).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_stopped_for_60_s_under_load_gets_fast_5xx_then_recovers_and_drains() {
    scenario(Outage::Stop(Duration::from_secs(60))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_hung_by_sigstop_for_30_s_under_load_gets_bounded_5xx_then_recovers_and_drains() {
    scenario(Outage::Freeze(Duration::from_secs(30))).await;
}
