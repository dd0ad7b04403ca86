//! [`JobRepo`] on SQL: a lease per job row (`FOR UPDATE SKIP LOCKED` on Postgres, the single
//! writer on SQLite) and the finished runs.

use crate::convert::{ts, utc};
use crate::db::{DbConn, db_run, diesel_error};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::sql_types::{Text, Timestamp};
use diesel::{ExpressionMethods, QueryDsl};
use diesel_async::RunQueryDsl;
use omni_ports::{JobRepo, JobRun, RepoError};
use tables::{job_runs, scheduled_jobs};

use super::{Claimed, SqlHealthRepo, claim_sql, tables};

#[async_trait]
impl JobRepo for SqlHealthRepo {
    async fn ensure_job(&self, name: &str, first_due: DateTime<Utc>) -> Result<(), RepoError> {
        let (name, due) = (name.to_owned(), ts(first_due));
        let mut conn = self.pool.get().await?;
        db_run!(conn: {
            diesel::insert_into(scheduled_jobs::table)
                .values((
                    scheduled_jobs::name.eq(&name),
                    scheduled_jobs::due_at.eq(due),
                    scheduled_jobs::runs.eq(0_i64),
                ))
                .on_conflict(scheduled_jobs::name)
                .do_nothing()
                .execute(conn)
                .await
        })
        .map_err(diesel_error)?;
        Ok(())
    }

    async fn claim_job(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease: chrono::Duration,
    ) -> Result<Option<String>, RepoError> {
        let (until, now) = (ts(now + lease), ts(now));
        let mut conn = self.pool.get().await?;
        let claimed: Vec<Claimed> = match &mut conn {
            DbConn::Pg(conn) => {
                diesel::sql_query(claim_sql(
                    ["$1", "$2", "$3", "$3", "$3"],
                    "FOR UPDATE SKIP LOCKED",
                ))
                .bind::<Text, _>(owner)
                .bind::<Timestamp, _>(until)
                .bind::<Timestamp, _>(now)
                .load(&mut **conn)
                .await
            }
            DbConn::Sqlite(conn) => {
                diesel::sql_query(claim_sql(["?", "?", "?", "?", "?"], ""))
                    .bind::<Text, _>(owner)
                    .bind::<Timestamp, _>(until)
                    .bind::<Timestamp, _>(now)
                    .bind::<Timestamp, _>(now)
                    .bind::<Timestamp, _>(now)
                    .load(&mut **conn)
                    .await
            }
        }
        .map_err(diesel_error)?;
        Ok(claimed.into_iter().next().map(|c| c.name))
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
        let (name, owner, result) = (name.to_owned(), owner.to_owned(), result.to_owned());
        let (started, now, next) = (ts(started), ts(now), ts(next_due));
        let mut conn = self.pool.get().await?;
        let n = db_run!(conn: {
            diesel::update(
                scheduled_jobs::table
                    .filter(scheduled_jobs::name.eq(&name))
                    .filter(scheduled_jobs::lease_owner.eq(&owner)),
            )
            .set((
                scheduled_jobs::due_at.eq(next),
                scheduled_jobs::lease_owner.eq(None::<String>),
                scheduled_jobs::lease_until.eq(None::<NaiveDateTime>),
                scheduled_jobs::last_finished_at.eq(now),
                scheduled_jobs::last_result.eq(&result),
                scheduled_jobs::runs.eq(scheduled_jobs::runs + 1_i64),
            ))
            .execute(conn)
            .await
        })
        .map_err(diesel_error)?;
        if n == 0 {
            return Ok(false);
        }
        let run = (
            job_runs::id.eq(uuid::Uuid::now_v7().to_string()),
            job_runs::job.eq(name),
            job_runs::owner.eq(owner),
            job_runs::started_at.eq(started),
            job_runs::finished_at.eq(now),
            job_runs::result.eq(result),
        );
        db_run!(conn: {
            diesel::insert_into(job_runs::table).values(run.clone()).execute(conn).await
        })
        .map_err(diesel_error)?;
        Ok(true)
    }

    async fn job_runs(&self, name: &str) -> Result<Vec<JobRun>, RepoError> {
        let name = name.to_owned();
        let mut conn = self.pool.get().await?;
        let rows: Vec<(String, String, NaiveDateTime, NaiveDateTime, String)> = db_run!(conn: {
            job_runs::table
                .filter(job_runs::job.eq(&name))
                .order((job_runs::started_at.asc(), job_runs::id.asc()))
                .select((
                    job_runs::job,
                    job_runs::owner,
                    job_runs::started_at,
                    job_runs::finished_at,
                    job_runs::result,
                ))
                .load(conn)
                .await
        })
        .map_err(diesel_error)?;
        Ok(rows
            .into_iter()
            .map(|(job, owner, s, f, result)| JobRun {
                job,
                owner,
                started_at: utc(s),
                finished_at: utc(f),
                result,
            })
            .collect())
    }
}
