//! [`JobRepo`] in memory: a lease per job row, claimed under the lock (so two callers never
//! get the same job), and the finished runs.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use omni_ports::{JobRepo, JobRun, RepoError};

use super::{InMemoryHealthRepo, Job};

#[async_trait]
impl JobRepo for InMemoryHealthRepo {
    async fn ensure_job(&self, name: &str, first_due: DateTime<Utc>) -> Result<(), RepoError> {
        self.with(|h| {
            h.jobs.entry(name.to_owned()).or_insert(Job {
                due_at: first_due,
                lease_owner: None,
                lease_until: None,
                last_started_at: None,
                last_finished_at: None,
                last_result: None,
                runs: 0,
            });
            Ok(())
        })
    }

    async fn claim_job(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease: chrono::Duration,
    ) -> Result<Option<String>, RepoError> {
        self.with(|h| {
            // The SQL claim: due, lease free or run out (strictly before now), earliest due
            // first, then by name.
            let next = h
                .jobs
                .iter()
                .filter(|(_, j)| j.due_at <= now && j.lease_until.is_none_or(|u| u < now))
                .min_by(|(a, x), (b, y)| (x.due_at, a).cmp(&(y.due_at, b)))
                .map(|(name, _)| name.clone());
            if let Some(job) = next.as_ref().and_then(|name| h.jobs.get_mut(name)) {
                job.lease_owner = Some(owner.to_owned());
                job.lease_until = Some(now + lease);
                job.last_started_at = Some(now);
            }
            Ok(next)
        })
    }

    async fn finish_job(
        &self,
        name: &str,
        owner: &str,
        started: DateTime<Utc>,
        now: DateTime<Utc>,
        next_due: DateTime<Utc>,
        result: &str,
    ) -> Result<bool, RepoError> {
        self.with(|h| {
            let Some(job) = h
                .jobs
                .get_mut(name)
                .filter(|j| j.lease_owner.as_deref() == Some(owner))
            else {
                return Ok(false);
            };
            job.due_at = next_due;
            job.lease_owner = None;
            job.lease_until = None;
            job.last_finished_at = Some(now);
            job.last_result = Some(result.to_owned());
            job.runs += 1;
            h.runs.push(JobRun {
                job: name.to_owned(),
                owner: owner.to_owned(),
                started_at: started,
                finished_at: now,
                result: result.to_owned(),
            });
            Ok(true)
        })
    }

    async fn job_runs(&self, name: &str) -> Result<Vec<JobRun>, RepoError> {
        self.with(|h| {
            let mut runs: Vec<JobRun> = h.runs.iter().filter(|r| r.job == name).cloned().collect();
            // Stable: runs started at the same time stay in the order they were recorded.
            runs.sort_by_key(|r| r.started_at);
            Ok(runs)
        })
    }
}
