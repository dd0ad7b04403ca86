//! `HealthRepo` on SQL: notifications, the store's alert number, templates and the shared
//! job schedule. The tables are declared here (not in `schema.rs`) because only this file
//! uses them. A job is claimed like an inbox row: `UPDATE .. WHERE name = (SELECT .. FOR
//! UPDATE SKIP LOCKED)` on Postgres; on SQLite the same statement is atomic under its single
//! writer.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::{Insertable, Queryable, QueryableByName, Selectable};
use diesel::sql_types::{Text, Timestamp};
use diesel::upsert::excluded;
use diesel::{ExpressionMethods, QueryDsl, SelectableHelper};
use diesel_async::RunQueryDsl;
use omni_domain::StoreId;
use omni_ports::{HealthRepo, JobRun, Notification, RepoError, StoredTemplate};

use crate::convert::{json, parse, to_json, ts, utc};
use crate::db::{DbConn, DbPool, db_run, diesel_error};

mod tables {
    diesel::table! {
        notifications (id) {
            id -> Text,
            store_id -> Text,
            account_id -> Nullable<Text>,
            kind -> Text,
            severity -> Text,
            title -> Text,
            body -> Text,
            detail -> Text,
            created_at -> Timestamp,
            read_at -> Nullable<Timestamp>,
        }
    }

    diesel::table! {
        store_alert_settings (store_id) {
            store_id -> Text,
            owner_whatsapp -> Nullable<Text>,
            updated_at -> Timestamp,
        }
    }

    diesel::table! {
        message_templates (id) {
            id -> Text,
            waba_id -> Text,
            meta_id -> Text,
            name -> Text,
            language -> Text,
            status -> Text,
            category -> Text,
            components -> Text,
            parameter_format -> Nullable<Text>,
            rejected_reason -> Nullable<Text>,
            updated_at -> Timestamp,
        }
    }

    diesel::table! {
        scheduled_jobs (name) {
            name -> Text,
            due_at -> Timestamp,
            lease_owner -> Nullable<Text>,
            lease_until -> Nullable<Timestamp>,
            last_started_at -> Nullable<Timestamp>,
            last_finished_at -> Nullable<Timestamp>,
            last_result -> Nullable<Text>,
            runs -> BigInt,
        }
    }

    diesel::table! {
        job_runs (id) {
            id -> Text,
            job -> Text,
            owner -> Text,
            started_at -> Timestamp,
            finished_at -> Timestamp,
            result -> Text,
        }
    }
}

use tables::{job_runs, message_templates, notifications, scheduled_jobs, store_alert_settings};

/// Health storage in the central database.
#[derive(Debug, Clone)]
pub struct SqlHealthRepo {
    pool: DbPool,
}

impl SqlHealthRepo {
    /// A repo over the central pool.
    #[must_use]
    pub fn new(pool: DbPool) -> Self {
        Self { pool }
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = notifications)]
struct NotificationRow {
    id: String,
    store_id: String,
    account_id: Option<String>,
    kind: String,
    severity: String,
    title: String,
    body: String,
    detail: String,
    created_at: NaiveDateTime,
    read_at: Option<NaiveDateTime>,
}

impl NotificationRow {
    fn into_domain(self) -> Result<Notification, RepoError> {
        Ok(Notification {
            id: self.id,
            store_id: parse("notifications.store_id", &self.store_id)?,
            account_id: self
                .account_id
                .map(|a| parse("notifications.account_id", &a))
                .transpose()?,
            kind: self.kind,
            severity: self.severity,
            title: self.title,
            body: self.body,
            detail: json("notifications.detail", &self.detail)?,
            created_at: utc(self.created_at),
            read_at: self.read_at.map(utc),
        })
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = message_templates)]
struct TemplateRow {
    id: String,
    waba_id: String,
    meta_id: String,
    name: String,
    language: String,
    status: String,
    category: String,
    components: String,
    parameter_format: Option<String>,
    rejected_reason: Option<String>,
    updated_at: NaiveDateTime,
}

impl TemplateRow {
    fn from_domain(t: &StoredTemplate) -> Self {
        Self {
            id: uuid::Uuid::now_v7().to_string(),
            waba_id: t.waba_id.clone(),
            meta_id: t.meta_id.clone(),
            name: t.name.clone(),
            language: t.language.clone(),
            status: t.status.clone(),
            category: t.category.clone(),
            components: to_json(&t.components),
            parameter_format: t.parameter_format.clone(),
            rejected_reason: t.rejected_reason.clone(),
            updated_at: ts(t.updated_at),
        }
    }

    fn into_domain(self) -> Result<StoredTemplate, RepoError> {
        Ok(StoredTemplate {
            waba_id: self.waba_id,
            meta_id: self.meta_id,
            name: self.name,
            language: self.language,
            status: self.status,
            category: self.category,
            components: json("message_templates.components", &self.components)?,
            parameter_format: self.parameter_format,
            rejected_reason: self.rejected_reason,
            updated_at: utc(self.updated_at),
        })
    }
}

#[derive(QueryableByName)]
struct Claimed {
    #[diesel(sql_type = Text)]
    name: String,
}

/// The claim; `p` are the placeholders of owner, lease end, and three times now (SQLite's `?`
/// are positional, so each use needs its own).
fn claim_sql(p: [&str; 5], lock: &str) -> String {
    format!(
        "UPDATE scheduled_jobs SET lease_owner = {}, lease_until = {}, last_started_at = {} \
         WHERE name = (SELECT name FROM scheduled_jobs \
             WHERE due_at <= {} AND (lease_until IS NULL OR lease_until < {}) \
             ORDER BY due_at, name LIMIT 1 {lock}) \
         RETURNING name",
        p[0], p[1], p[2], p[3], p[4],
    )
}

#[async_trait]
impl HealthRepo for SqlHealthRepo {
    async fn add_notification(&self, n: &Notification) -> Result<(), RepoError> {
        let row = NotificationRow {
            id: n.id.clone(),
            store_id: n.store_id.to_string(),
            account_id: n.account_id.map(|a| a.to_string()),
            kind: n.kind.clone(),
            severity: n.severity.clone(),
            title: n.title.clone(),
            body: n.body.clone(),
            detail: to_json(&n.detail),
            created_at: ts(n.created_at),
            read_at: n.read_at.map(ts),
        };
        let mut conn = self.pool.get().await?;
        db_run!(conn: {
            diesel::insert_into(notifications::table).values(&row).execute(conn).await
        })
        .map_err(diesel_error)?;
        Ok(())
    }

    async fn list_notifications(
        &self,
        store: StoreId,
        unread_only: bool,
        limit: u32,
    ) -> Result<Vec<Notification>, RepoError> {
        let store = store.to_string();
        let mut conn = self.pool.get().await?;
        let rows = db_run!(conn: {
            let mut q = notifications::table
                .filter(notifications::store_id.eq(&store))
                .into_boxed();
            if unread_only {
                q = q.filter(notifications::read_at.is_null());
            }
            q.order((notifications::created_at.desc(), notifications::id.desc()))
                .limit(i64::from(limit))
                .select(NotificationRow::as_select())
                .load::<NotificationRow>(conn)
                .await
        })
        .map_err(diesel_error)?;
        rows.into_iter().map(NotificationRow::into_domain).collect()
    }

    async fn mark_notifications_read(
        &self,
        store: StoreId,
        ids: Option<&[String]>,
        at: DateTime<Utc>,
    ) -> Result<u64, RepoError> {
        let (store, at) = (store.to_string(), ts(at));
        let ids: Option<Vec<String>> = ids.map(<[String]>::to_vec);
        let mut conn = self.pool.get().await?;
        let n = db_run!(conn: {
            let target = notifications::table
                .filter(notifications::store_id.eq(&store))
                .filter(notifications::read_at.is_null());
            match &ids {
                Some(ids) => diesel::update(target.filter(notifications::id.eq_any(ids)))
                    .set(notifications::read_at.eq(at))
                    .execute(conn)
                    .await,
                None => diesel::update(target)
                    .set(notifications::read_at.eq(at))
                    .execute(conn)
                    .await,
            }
        })
        .map_err(diesel_error)?;
        Ok(n as u64)
    }

    async fn alert_number(&self, store: StoreId) -> Result<Option<String>, RepoError> {
        let store = store.to_string();
        let mut conn = self.pool.get().await?;
        let found: Vec<Option<String>> = db_run!(conn: {
            store_alert_settings::table
                .filter(store_alert_settings::store_id.eq(&store))
                .select(store_alert_settings::owner_whatsapp)
                .load(conn)
                .await
        })
        .map_err(diesel_error)?;
        Ok(found.into_iter().next().flatten())
    }

    async fn set_alert_number(
        &self,
        store: StoreId,
        number: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<(), RepoError> {
        let (store, at) = (store.to_string(), ts(at));
        let number = number.map(str::to_owned);
        let mut conn = self.pool.get().await?;
        db_run!(conn: {
            diesel::insert_into(store_alert_settings::table)
                .values((
                    store_alert_settings::store_id.eq(&store),
                    store_alert_settings::owner_whatsapp.eq(&number),
                    store_alert_settings::updated_at.eq(at),
                ))
                .on_conflict(store_alert_settings::store_id)
                .do_update()
                .set((
                    store_alert_settings::owner_whatsapp.eq(&number),
                    store_alert_settings::updated_at.eq(at),
                ))
                .execute(conn)
                .await
        })
        .map_err(diesel_error)?;
        Ok(())
    }

    async fn upsert_template(&self, t: &StoredTemplate) -> Result<(), RepoError> {
        let row = TemplateRow::from_domain(t);
        let mut conn = self.pool.get().await?;
        db_run!(conn: {
            diesel::insert_into(message_templates::table)
                .values(&row)
                .on_conflict((
                    message_templates::waba_id,
                    message_templates::name,
                    message_templates::language,
                ))
                .do_update()
                .set((
                    message_templates::meta_id.eq(excluded(message_templates::meta_id)),
                    message_templates::status.eq(excluded(message_templates::status)),
                    message_templates::category.eq(excluded(message_templates::category)),
                    message_templates::components.eq(excluded(message_templates::components)),
                    message_templates::parameter_format
                        .eq(excluded(message_templates::parameter_format)),
                    message_templates::rejected_reason
                        .eq(excluded(message_templates::rejected_reason)),
                    message_templates::updated_at.eq(excluded(message_templates::updated_at)),
                ))
                .execute(conn)
                .await
        })
        .map_err(diesel_error)?;
        Ok(())
    }

    async fn replace_templates(
        &self,
        waba: &str,
        templates: &[StoredTemplate],
    ) -> Result<(), RepoError> {
        for t in templates {
            self.upsert_template(t).await?;
        }
        // Then drop what Meta no longer has: the list is never empty halfway through a sync.
        let keep: Vec<String> = templates
            .iter()
            .map(|t| format!("{}\u{1f}{}", t.name, t.language))
            .collect();
        let stored = self.list_templates(waba).await?;
        for gone in stored
            .iter()
            .filter(|s| !keep.contains(&format!("{}\u{1f}{}", s.name, s.language)))
        {
            let (waba, name, lang) = (waba.to_owned(), gone.name.clone(), gone.language.clone());
            let mut conn = self.pool.get().await?;
            db_run!(conn: {
                diesel::delete(
                    message_templates::table
                        .filter(message_templates::waba_id.eq(&waba))
                        .filter(message_templates::name.eq(&name))
                        .filter(message_templates::language.eq(&lang)),
                )
                .execute(conn)
                .await
            })
            .map_err(diesel_error)?;
        }
        Ok(())
    }

    async fn list_templates(&self, waba: &str) -> Result<Vec<StoredTemplate>, RepoError> {
        let waba = waba.to_owned();
        let mut conn = self.pool.get().await?;
        let rows = db_run!(conn: {
            message_templates::table
                .filter(message_templates::waba_id.eq(&waba))
                .order((message_templates::name.asc(), message_templates::language.asc()))
                .select(TemplateRow::as_select())
                .load::<TemplateRow>(conn)
                .await
        })
        .map_err(diesel_error)?;
        rows.into_iter().map(TemplateRow::into_domain).collect()
    }

    async fn find_template(
        &self,
        waba: &str,
        name: &str,
        language: &str,
    ) -> Result<Option<StoredTemplate>, RepoError> {
        let (waba, name, language) = (waba.to_owned(), name.to_owned(), language.to_owned());
        let mut conn = self.pool.get().await?;
        let rows = db_run!(conn: {
            message_templates::table
                .filter(message_templates::waba_id.eq(&waba))
                .filter(message_templates::name.eq(&name))
                .filter(message_templates::language.eq(&language))
                .select(TemplateRow::as_select())
                .load::<TemplateRow>(conn)
                .await
        })
        .map_err(diesel_error)?;
        rows.into_iter()
            .next()
            .map(TemplateRow::into_domain)
            .transpose()
    }

    async fn delete_template(&self, waba: &str, name: &str) -> Result<u64, RepoError> {
        let (waba, name) = (waba.to_owned(), name.to_owned());
        let mut conn = self.pool.get().await?;
        let n = db_run!(conn: {
            diesel::delete(
                message_templates::table
                    .filter(message_templates::waba_id.eq(&waba))
                    .filter(message_templates::name.eq(&name)),
            )
            .execute(conn)
            .await
        })
        .map_err(diesel_error)?;
        Ok(n as u64)
    }

    async fn set_template_status(
        &self,
        waba: &str,
        name: &str,
        language: &str,
        status: &str,
        reason: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<bool, RepoError> {
        let (waba, name, language) = (waba.to_owned(), name.to_owned(), language.to_owned());
        let (status, reason, at) = (status.to_owned(), reason.map(str::to_owned), ts(at));
        let mut conn = self.pool.get().await?;
        let n = db_run!(conn: {
            diesel::update(
                message_templates::table
                    .filter(message_templates::waba_id.eq(&waba))
                    .filter(message_templates::name.eq(&name))
                    .filter(message_templates::language.eq(&language)),
            )
            .set((
                message_templates::status.eq(&status),
                message_templates::rejected_reason.eq(&reason),
                message_templates::updated_at.eq(at),
            ))
            .execute(conn)
            .await
        })
        .map_err(diesel_error)?;
        Ok(n > 0)
    }

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
