//! `HealthRepo` on SQL: notifications, the store's alert number, templates and the shared
//! job schedule. The tables are declared here (not in `schema.rs`) because only this file
//! uses them. A job is claimed like an inbox row: `UPDATE .. WHERE name = (SELECT .. FOR
//! UPDATE SKIP LOCKED)` on Postgres; on SQLite the same statement is atomic under its single
//! writer.

mod alert_number_repo;
mod job_repo;
mod notification_repo;
mod template_repo;

use chrono::NaiveDateTime;
use diesel::prelude::{Insertable, Queryable, QueryableByName, Selectable};
use diesel::sql_types::Text;
use omni_ports::{Notification, RepoError, StoredTemplate};

use crate::convert::{json, parse, to_json, ts, utc};
use crate::db::DbPool;

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

use tables::{message_templates, notifications};

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
