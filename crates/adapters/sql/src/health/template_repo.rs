//! [`TemplateRepo`] on SQL: one row per WABA, name and language.

use crate::convert::ts;
use crate::db::{db_run, diesel_error};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::upsert::excluded;
use diesel::{ExpressionMethods, QueryDsl, SelectableHelper};
use diesel_async::RunQueryDsl;
use omni_ports::{RepoError, StoredTemplate, TemplateRepo};
use tables::message_templates;

use super::{SqlHealthRepo, TemplateRow, tables};

#[async_trait]
impl TemplateRepo for SqlHealthRepo {
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
}
