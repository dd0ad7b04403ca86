//! The job scheduler: every process runs this loop, and the job table in the central
//! database decides who runs what. A due job is claimed with a lease (`FOR UPDATE SKIP
//! LOCKED` on Postgres), run, and rescheduled one interval after its start, only by the
//! lease holder; so with several processes each run happens once. A process that dies
//! mid-job leaves its lease to run out (`health.job_lease_secs`), and another one runs it.

use std::sync::Arc;
use std::time::Duration;

use omni_ports::{Clock, HealthRepo};
use omni_usecases::account_health::Health;
use tokio::sync::watch;

use super::metrics;

/// One process's scheduler.
#[derive(Clone)]
pub struct Scheduler {
    /// Lease owner name (host:pid:random).
    pub owner: String,
    /// The jobs.
    pub health: Health,
    /// The job table.
    pub repo: Arc<dyn HealthRepo>,
    /// Clock (tests move it).
    pub clock: Arc<dyn Clock>,
    /// How often to look for due jobs.
    pub poll: Duration,
    /// How long a claim holds.
    pub lease: chrono::Duration,
}

impl std::fmt::Debug for Scheduler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scheduler")
            .field("owner", &self.owner)
            .finish_non_exhaustive()
    }
}

impl Scheduler {
    /// Registers the jobs (first run: now) and runs due ones until `stop`.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        for job in Health::jobs() {
            if let Err(e) = self.repo.ensure_job(job, self.clock.now()).await {
                tracing::warn!(job, error = %e, "could not register a scheduled job");
            }
        }
        while !*stop.borrow() {
            self.run_due().await;
            tokio::select! {
                () = tokio::time::sleep(self.poll) => {}
                _ = stop.changed() => {}
            }
        }
    }

    /// Runs every job due now (one claim at a time); how many ran.
    pub async fn run_due(&self) -> usize {
        let mut ran = 0;
        loop {
            let started = self.clock.now();
            let name = match self.repo.claim_job(&self.owner, started, self.lease).await {
                Ok(Some(name)) => name,
                Ok(None) => return ran,
                Err(e) => {
                    tracing::warn!(error = %e, "job claim failed");
                    return ran;
                }
            };
            let Some(interval) = self.health.job_interval(&name) else {
                tracing::warn!(job = %name, "unknown job in the job table; postponed a day");
                let _ = self
                    .repo
                    .finish_job(
                        &name,
                        &self.owner,
                        started,
                        started,
                        started + chrono::Duration::days(1),
                        "unknown job",
                    )
                    .await;
                continue;
            };
            tracing::info!(job = %name, "scheduled job started");
            let summary = self.health.run_job(&name).await;
            let result = if summary.starts_with("error") {
                "error"
            } else {
                "ok"
            };
            if let Some(m) = metrics::get() {
                m.job_runs.with_label_values(&[&name, result]).inc();
            }
            let now = self.clock.now();
            match self
                .repo
                .finish_job(
                    &name,
                    &self.owner,
                    started,
                    now,
                    started + interval,
                    &summary,
                )
                .await
            {
                Ok(true) => tracing::info!(job = %name, %summary, "scheduled job finished"),
                Ok(false) => tracing::warn!(job = %name, "job lease lost before it finished"),
                Err(e) => tracing::warn!(job = %name, error = %e, "job result not recorded"),
            }
            ran += 1;
        }
    }
}
