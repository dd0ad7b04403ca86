//! The job scheduler across real `omniportal serve` processes on one Postgres database: the
//! jobs are due at once in both, and again several times while both poll every 20 ms; each
//! due run happens exactly once (one `job_runs` row, one refresh call per number at Meta).

use std::time::{Duration, Instant};

use crate::support::processes::{Env, Server};
use omni_meta_sim::SimConfig;

const WABA: &str = "102290129340398";
const NUMBER: &str = "106540352242922";

fn runs(env: &Env, job: &str) -> usize {
    env.central_count(&format!(
        "SELECT count(*) FROM job_runs WHERE job = '{job}'"
    ))
}

fn refresh_calls(env: &Env) -> usize {
    env.sim()
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path.ends_with(&format!("/{NUMBER}")))
        .count()
}

async fn wait_for(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn with_two_processes_each_due_job_runs_exactly_once() {
    let Some(env) = Env::start(SimConfig::default()).await else {
        return;
    };
    env.store("Twice Checked", WABA, NUMBER, "+923001112233");
    env.sim().clear_requests();
    let fast = [("OMNI_HEALTH__SCHEDULER_POLL_MS", "20")];
    let a = Server::start(&env, "a", &fast);
    let b = Server::start(&env, "b", &fast);
    wait_for("the first runs", Duration::from_secs(30), || {
        runs(&env, "refresh_accounts") >= 1 && runs(&env, "check_tokens") >= 1
    })
    .await;
    for round in 2..=4 {
        // Both jobs due again, while both processes poll.
        env.central(
            "UPDATE scheduled_jobs SET due_at = (now() AT TIME ZONE 'UTC') - interval '1 second'",
        );
        wait_for("the next runs", Duration::from_secs(30), || {
            runs(&env, "refresh_accounts") >= round && runs(&env, "check_tokens") >= round
        })
        .await;
        // Time for a second run, were the claim not exclusive.
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(runs(&env, "refresh_accounts"), round, "round {round}");
        assert_eq!(runs(&env, "check_tokens"), round, "round {round}");
    }
    assert_eq!(refresh_calls(&env), 4, "one Meta refresh per run");
    assert_eq!(
        env.central_scalar(
            "SELECT string_agg(name || '=' || runs, ',' ORDER BY name) FROM scheduled_jobs"
        ),
        "check_tokens=4,refresh_accounts=4"
    );
    let owners = env.central_count("SELECT count(DISTINCT owner) FROM job_runs");
    eprintln!("runs were shared by {owners} process(es)");
    let results = env.central("SELECT DISTINCT result FROM job_runs ORDER BY result");
    assert_eq!(results, vec![vec!["ok=1 failed=0 skipped=0".to_owned()]]);
    // The operator's view of the same runs, and a run by hand.
    let listed = env.cli(&["jobs", "runs", "refresh_accounts"]);
    assert_eq!(listed.lines().count(), 4, "{listed}");
    assert!(
        listed
            .lines()
            .all(|l| l.ends_with("ok=1 failed=0 skipped=0"))
    );
    assert_eq!(
        env.cli(&["jobs", "run", "check_tokens"]).trim(),
        "ok=1 failed=0 skipped=0"
    );
    drop((a, b));
    env.cleanup().await;
}
