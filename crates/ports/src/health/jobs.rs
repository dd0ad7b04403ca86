//! The recurring jobs every process shares: a row per job with its next due time and a
//! lease, and the finished runs.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::RepoError;

/// A finished run of a scheduled job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRun {
    /// The job.
    pub job: String,
    /// The process that ran it.
    pub owner: String,
    /// Start.
    pub started_at: DateTime<Utc>,
    /// End.
    pub finished_at: DateTime<Utc>,
    /// Summary.
    pub result: String,
}

/// Scheduled jobs and their runs.
#[async_trait]
pub trait JobRepo: Send + Sync {
    /// Creates a job's row when missing (first run at `first_due`); an existing row keeps
    /// its schedule.
    ///
    /// # Errors
    /// Storage failure.
    async fn ensure_job(&self, name: &str, first_due: DateTime<Utc>) -> Result<(), RepoError>;

    /// Claims one due job whose lease is free or ran out, for `owner` until `now + lease`.
    /// Concurrent callers never get the same job (Postgres: `FOR UPDATE SKIP LOCKED`;
    /// SQLite: its single writer).
    ///
    /// # Errors
    /// Storage failure.
    async fn claim_job(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease: chrono::Duration,
    ) -> Result<Option<String>, RepoError>;

    /// Records a run and schedules the next at `next_due`, only while `owner` holds the
    /// lease; false when it was lost.
    ///
    /// # Errors
    /// Storage failure.
    async fn finish_job(
        &self,
        name: &str,
        owner: &str,
        started: DateTime<Utc>,
        now: DateTime<Utc>,
        next_due: DateTime<Utc>,
        result: &str,
    ) -> Result<bool, RepoError>;

    /// A job's runs, oldest first.
    ///
    /// # Errors
    /// Storage failure.
    async fn job_runs(&self, name: &str) -> Result<Vec<JobRun>, RepoError>;
}
