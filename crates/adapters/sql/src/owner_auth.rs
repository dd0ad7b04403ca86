//! `OwnerAuthRepo` on SQL: owner login sessions and OAuth states. Consuming a state is a
//! single conditional `UPDATE` whose row count decides, so two callbacks racing with the same
//! state cannot both win; the follow-up read only explains a refusal.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::{Insertable, Queryable, Selectable};
use diesel::{ExpressionMethods, OptionalExtension, QueryDsl, SelectableHelper};
use diesel_async::RunQueryDsl;
use omni_domain::{OwnerId, StoreId};
use omni_ports::{OAuthState, OwnerAuthRepo, OwnerSession, RepoError, StateConsumption};

use crate::convert::{parse, ts, utc};
use crate::db::{DbPool, db_run, diesel_error};
use crate::schema::central::{oauth_states, owner_sessions};

/// Sessions and OAuth states in the central database.
#[derive(Debug, Clone)]
pub struct SqlOwnerAuthRepo {
    pool: DbPool,
}

impl SqlOwnerAuthRepo {
    /// A repo over a pool of the central database (already migrated).
    #[must_use]
    pub fn new(pool: DbPool) -> Self {
        Self { pool }
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = owner_sessions)]
struct SessionRow {
    token_hash: String,
    owner_id: String,
    created_at: NaiveDateTime,
    expires_at: NaiveDateTime,
    revoked_at: Option<NaiveDateTime>,
}

impl SessionRow {
    fn into_domain(self) -> Result<OwnerSession, RepoError> {
        Ok(OwnerSession {
            owner_id: parse("owner_sessions.owner_id", &self.owner_id)?,
            token_hash: self.token_hash,
            created_at: utc(self.created_at),
            expires_at: utc(self.expires_at),
            revoked_at: self.revoked_at.map(utc),
        })
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = oauth_states)]
struct StateRow {
    nonce_hash: String,
    owner_id: String,
    store_id: String,
    created_at: NaiveDateTime,
    expires_at: NaiveDateTime,
    consumed_at: Option<NaiveDateTime>,
}

#[async_trait]
impl OwnerAuthRepo for SqlOwnerAuthRepo {
    async fn insert_session(&self, session: &OwnerSession) -> Result<(), RepoError> {
        let row = SessionRow {
            token_hash: session.token_hash.clone(),
            owner_id: session.owner_id.to_string(),
            created_at: ts(session.created_at),
            expires_at: ts(session.expires_at),
            revoked_at: session.revoked_at.map(ts),
        };
        let mut conn = self.pool.get().await?;
        db_run!(conn: {
            diesel::insert_into(owner_sessions::table).values(&row).execute(conn).await
        })
        .map_err(diesel_error)?;
        Ok(())
    }

    async fn find_live_session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<OwnerSession>, RepoError> {
        let now = ts(now);
        let mut conn = self.pool.get().await?;
        let row: Option<SessionRow> = db_run!(conn: {
            owner_sessions::table
                .filter(owner_sessions::token_hash.eq(token_hash))
                .filter(owner_sessions::revoked_at.is_null())
                .filter(owner_sessions::expires_at.gt(now))
                .select(SessionRow::as_select())
                .first(conn)
                .await
                .optional()
        })
        .map_err(diesel_error)?;
        row.map(SessionRow::into_domain).transpose()
    }

    async fn revoke_session(&self, token_hash: &str, at: DateTime<Utc>) -> Result<bool, RepoError> {
        let at = ts(at);
        let mut conn = self.pool.get().await?;
        let n = db_run!(conn: {
            diesel::update(
                owner_sessions::table
                    .filter(owner_sessions::token_hash.eq(token_hash))
                    .filter(owner_sessions::revoked_at.is_null()),
            )
            .set(owner_sessions::revoked_at.eq(at))
            .execute(conn)
            .await
        })
        .map_err(diesel_error)?;
        Ok(n > 0)
    }

    async fn insert_oauth_state(&self, state: &OAuthState) -> Result<(), RepoError> {
        let row = StateRow {
            nonce_hash: state.nonce_hash.clone(),
            owner_id: state.owner_id.to_string(),
            store_id: state.store_id.to_string(),
            created_at: ts(state.created_at),
            expires_at: ts(state.expires_at),
            consumed_at: None,
        };
        let mut conn = self.pool.get().await?;
        db_run!(conn: {
            diesel::insert_into(oauth_states::table).values(&row).execute(conn).await
        })
        .map_err(diesel_error)?;
        Ok(())
    }

    async fn consume_oauth_state(
        &self,
        nonce_hash: &str,
        owner: OwnerId,
        store: StoreId,
        now: DateTime<Utc>,
    ) -> Result<StateConsumption, RepoError> {
        let (owner, store, now) = (owner.to_string(), store.to_string(), ts(now));
        let mut conn = self.pool.get().await?;
        let n = db_run!(conn: {
            diesel::update(
                oauth_states::table
                    .filter(oauth_states::nonce_hash.eq(nonce_hash))
                    .filter(oauth_states::owner_id.eq(&owner))
                    .filter(oauth_states::store_id.eq(&store))
                    .filter(oauth_states::consumed_at.is_null())
                    .filter(oauth_states::expires_at.gt(now)),
            )
            .set(oauth_states::consumed_at.eq(now))
            .execute(conn)
            .await
        })
        .map_err(diesel_error)?;
        if n == 1 {
            return Ok(StateConsumption::Consumed);
        }
        let row: Option<StateRow> = db_run!(conn: {
            oauth_states::table
                .filter(oauth_states::nonce_hash.eq(nonce_hash))
                .select(StateRow::as_select())
                .first(conn)
                .await
                .optional()
        })
        .map_err(diesel_error)?;
        Ok(match row {
            Some(r) if r.owner_id == owner && r.store_id == store => {
                if r.consumed_at.is_some() {
                    StateConsumption::AlreadyUsed
                } else if r.expires_at <= now {
                    StateConsumption::Expired
                } else {
                    StateConsumption::Unknown
                }
            }
            _ => StateConsumption::Unknown,
        })
    }
}
