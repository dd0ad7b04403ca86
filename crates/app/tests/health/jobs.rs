//! The job table on both engines: two schedulers racing for the same due jobs run each once,
//! a finished job is due again one interval after its start, and a job whose holder died is
//! taken over when its lease runs out.

use std::sync::Arc;

use chrono::{Duration, TimeDelta};
use omni_app::account_health::scheduler::Scheduler;
use omni_memory::ManualClock;
use omni_ports::Clock;
use omni_usecases::account_health::{Health, JOB_CHECK_TOKENS, JOB_REFRESH_ACCOUNTS};

use super::{NUMBER_A, PHONE_A};
use crate::support::health::{Engine, Harness};

fn scheduler(h: &Harness, owner: &str, clock: &Arc<ManualClock>) -> Scheduler {
    Scheduler {
        owner: owner.to_owned(),
        health: h.state.services.health.clone(),
        repo: h.state.services.ports.health_repo.clone(),
        clock: clock.clone(),
        poll: std::time::Duration::from_millis(10),
        lease: Duration::minutes(30),
    }
}

async fn race(engine: Engine) {
    let h = harness!(engine);
    let o = h.owner("Scheduled", None).await;
    h.number(&o.store, NUMBER_A, PHONE_A, None).await;
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let repo = h.state.services.ports.health_repo.clone();
    for job in Health::jobs() {
        repo.ensure_job(job, clock.now()).await.unwrap();
        // A second registration keeps the schedule.
        repo.ensure_job(job, clock.now() + Duration::days(9))
            .await
            .unwrap();
    }
    let (a, b) = (scheduler(&h, "a", &clock), scheduler(&h, "b", &clock));
    let (ran_a, ran_b) = tokio::join!(a.run_due(), b.run_due());
    assert_eq!(ran_a + ran_b, 2, "a ran {ran_a}, b ran {ran_b}");
    for job in [JOB_REFRESH_ACCOUNTS, JOB_CHECK_TOKENS] {
        let runs = repo.job_runs(job).await.unwrap();
        assert_eq!(runs.len(), 1, "{job}");
        assert_eq!(runs[0].result, "ok=1 failed=0 skipped=0");
    }
    // Nothing is due until a day has passed (check_tokens), a week (refresh_accounts).
    assert_eq!(a.run_due().await, 0);
    clock.advance(TimeDelta::hours(25));
    assert_eq!(a.run_due().await + b.run_due().await, 1);
    assert_eq!(repo.job_runs(JOB_CHECK_TOKENS).await.unwrap().len(), 2);
    assert_eq!(repo.job_runs(JOB_REFRESH_ACCOUNTS).await.unwrap().len(), 1);

    // A holder that dies keeps the job until its lease runs out.
    clock.advance(TimeDelta::days(7));
    let claimed = repo
        .claim_job("dead", clock.now(), Duration::minutes(30))
        .await
        .unwrap()
        .unwrap();
    let other = repo
        .claim_job("b", clock.now(), Duration::minutes(30))
        .await
        .unwrap()
        .unwrap();
    assert_ne!(claimed, other);
    assert!(
        repo.claim_job("b", clock.now(), Duration::minutes(30))
            .await
            .unwrap()
            .is_none()
    );
    clock.advance(TimeDelta::minutes(31));
    assert_eq!(
        repo.claim_job("b", clock.now(), Duration::minutes(30))
            .await
            .unwrap(),
        Some(claimed.clone())
    );
    // The dead holder can no longer record a run.
    let now = clock.now();
    assert!(
        !repo
            .finish_job(&claimed, "dead", now, now, now, "late")
            .await
            .unwrap()
    );
    h.stop().await;
}

#[actix_web::test]
async fn two_schedulers_run_each_due_job_once_on_postgres() {
    race(Engine::Postgres).await;
}

#[actix_web::test]
async fn two_schedulers_run_each_due_job_once_on_sqlite() {
    race(Engine::Sqlite).await;
}
