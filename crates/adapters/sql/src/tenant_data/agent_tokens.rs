//! [`AgentTokenRepo`] on SQL: one row per day.

use async_trait::async_trait;
use chrono::NaiveDate;
use diesel::{ExpressionMethods, OptionalExtension, QueryDsl};
use diesel_async::RunQueryDsl;
use omni_domain::StoreId;
use omni_ports::{AgentTokenRepo, RepoError};

use crate::db::{db_run, diesel_error};
use crate::schema::tenant::agent_usage;
use crate::tenant::SqlTenantRepo;

#[async_trait]
impl AgentTokenRepo for SqlTenantRepo {
    async fn add_agent_tokens(
        &self,
        store: StoreId,
        day: NaiveDate,
        tokens: u64,
    ) -> Result<u64, RepoError> {
        let day = day.format("%Y-%m-%d").to_string();
        let add = i64::try_from(tokens).unwrap_or(i64::MAX);
        let mut conn = self.pool(store).await?.get().await?;
        let total: i64 = db_run!(conn: {
            diesel::insert_into(agent_usage::table)
                .values((agent_usage::day.eq(&day), agent_usage::tokens.eq(add)))
                .on_conflict(agent_usage::day)
                .do_update()
                .set(agent_usage::tokens.eq(agent_usage::tokens + add))
                .returning(agent_usage::tokens)
                .get_result(conn)
                .await
        })
        .map_err(diesel_error)?;
        Ok(u64::try_from(total).unwrap_or(0))
    }

    async fn agent_tokens(&self, store: StoreId, day: NaiveDate) -> Result<u64, RepoError> {
        let day = day.format("%Y-%m-%d").to_string();
        let mut conn = self.pool(store).await?.get().await?;
        let total: Option<i64> = db_run!(conn: {
            agent_usage::table
                .find(&day)
                .select(agent_usage::tokens)
                .first(conn)
                .await
                .optional()
        })
        .map_err(diesel_error)?;
        Ok(total.and_then(|t| u64::try_from(t).ok()).unwrap_or(0))
    }
}
