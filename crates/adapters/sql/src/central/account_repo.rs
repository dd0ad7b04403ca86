//! [`AccountRepo`] on SQL: live accounts (soft-deleted ones stay for history and key
//! rotation), webhook times and the sealed secrets.

use crate::convert::{parse, ts};
use crate::db::{DbError, db_run, one_row};
use crate::schema::central::{stores, whatsapp_accounts as accounts};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::{BoolExpressionMethods, ExpressionMethods, QueryDsl};
use diesel_async::{AsyncConnection, RunQueryDsl};
use omni_domain::{AccountId, PhoneNumberId, SealedSecret, StoreId, WabaId, WhatsappAccount};
use omni_ports::{AccountRepo, AccountSecrets, RepoError};

use super::{AccountRow, LiveAccounts, SqlCentralRepo};

#[async_trait]
impl AccountRepo for SqlCentralRepo {
    async fn insert_account(&self, account: &WhatsappAccount) -> Result<(), RepoError> {
        let row = AccountRow::from_domain(account);
        let mut conn = self.pool.get().await?;
        db_run!(conn: {
            diesel::insert_into(accounts::table).values(&row).execute(conn).await
        })
        .map_err(crate::db::diesel_error)?;
        Ok(())
    }

    async fn find_account(
        &self,
        store: StoreId,
        id: AccountId,
    ) -> Result<Option<WhatsappAccount>, RepoError> {
        let by = LiveAccounts::Id {
            store: store.to_string(),
            id: id.to_string(),
        };
        Ok(self.live_accounts(by).await?.into_iter().next())
    }

    async fn find_account_by_phone_number_id(
        &self,
        id: &PhoneNumberId,
    ) -> Result<Option<WhatsappAccount>, RepoError> {
        Ok(self
            .live_accounts(LiveAccounts::PhoneNumberId(id.as_str()))
            .await?
            .into_iter()
            .next())
    }

    async fn list_accounts(&self, store: StoreId) -> Result<Vec<WhatsappAccount>, RepoError> {
        self.live_accounts(LiveAccounts::Store(store.to_string()))
            .await
    }

    async fn list_accounts_by_waba(
        &self,
        waba: &WabaId,
    ) -> Result<Vec<WhatsappAccount>, RepoError> {
        self.live_accounts(LiveAccounts::Waba(waba.as_str())).await
    }

    async fn update_account(&self, account: &WhatsappAccount) -> Result<(), RepoError> {
        let row = AccountRow::from_domain(account);
        let mut conn = self.pool.get().await?;
        let n = db_run!(conn: {
            diesel::update(
                accounts::table
                    .filter(accounts::id.eq(&row.id))
                    .filter(accounts::store_id.eq(&row.store_id))
                    .filter(accounts::deleted_at.is_null()),
            )
            .set((
                accounts::phone_number.eq(&row.phone_number),
                accounts::access_token.eq(&row.access_token),
                accounts::status.eq(&row.status),
                accounts::display_name.eq(&row.display_name),
                accounts::quality_rating.eq(&row.quality_rating),
                accounts::messaging_limits.eq(&row.messaging_limits),
                accounts::verified_at.eq(row.verified_at),
                accounts::last_webhook_at.eq(row.last_webhook_at),
                accounts::webhook_verification_token.eq(&row.webhook_verification_token),
                accounts::meta.eq(&row.meta),
                accounts::updated_at.eq(row.updated_at),
            ))
            .execute(conn)
            .await
        })
        .map_err(crate::db::diesel_error)?;
        one_row(n)
    }

    async fn touch_account_webhook(
        &self,
        id: AccountId,
        at: DateTime<Utc>,
    ) -> Result<(), RepoError> {
        let (id, at) = (id.to_string(), ts(at));
        let mut conn = self.pool.get().await?;
        db_run!(conn: {
            let moved = diesel::update(
                accounts::table
                    .filter(accounts::id.eq(&id))
                    .filter(accounts::deleted_at.is_null())
                    .filter(accounts::last_webhook_at.is_null().or(accounts::last_webhook_at.lt(at))),
            )
            .set(accounts::last_webhook_at.eq(at))
            .execute(conn)
            .await
            .map_err(crate::db::diesel_error)?;
            if moved > 0 {
                return Ok(());
            }
            let live: i64 = accounts::table
                .filter(accounts::id.eq(&id))
                .filter(accounts::deleted_at.is_null())
                .count()
                .get_result(conn)
                .await
                .map_err(crate::db::diesel_error)?;
            if live == 0 { Err(RepoError::NotFound) } else { Ok(()) }
        })
    }

    async fn soft_delete_account(
        &self,
        store: StoreId,
        id: AccountId,
        at: DateTime<Utc>,
    ) -> Result<(), RepoError> {
        let (store, id, at) = (store.to_string(), id.to_string(), ts(at));
        let mut conn = self.pool.get().await?;
        db_run!(conn: {
            conn.transaction(async |conn| -> Result<(), DbError> {
                let n = diesel::update(
                    accounts::table
                        .filter(accounts::id.eq(&id))
                        .filter(accounts::store_id.eq(&store))
                        .filter(accounts::deleted_at.is_null()),
                )
                .set((accounts::deleted_at.eq(at), accounts::updated_at.eq(at)))
                .execute(conn)
                .await?;
                if n == 0 {
                    return Err(RepoError::NotFound.into());
                }
                diesel::update(
                    stores::table
                        .filter(stores::id.eq(&store))
                        .filter(stores::default_account_id.eq(&id)),
                )
                .set(stores::default_account_id.eq(None::<String>))
                .execute(conn)
                .await?;
                Ok(())
            })
            .await
        })
        .map_err(RepoError::from)
    }

    async fn list_account_secrets(
        &self,
        after: Option<AccountId>,
        limit: u32,
    ) -> Result<Vec<AccountSecrets>, RepoError> {
        let after = after.map(|a| a.to_string()).unwrap_or_default();
        let mut conn = self.pool.get().await?;
        let rows: Vec<(String, String, Option<String>)> = db_run!(conn: {
            accounts::table
                .filter(accounts::id.gt(&after))
                .order(accounts::id)
                .limit(i64::from(limit))
                .select((accounts::id, accounts::access_token, accounts::webhook_verification_token))
                .load(conn)
                .await
        })
        .map_err(crate::db::diesel_error)?;
        rows.into_iter()
            .map(|(id, token, verify)| {
                Ok(AccountSecrets {
                    account_id: parse("whatsapp_accounts.id", &id)?,
                    access_token: SealedSecret::from_ciphertext(token),
                    webhook_verification_token: verify.map(SealedSecret::from_ciphertext),
                })
            })
            .collect()
    }

    async fn replace_account_secrets(
        &self,
        old: &AccountSecrets,
        new: &AccountSecrets,
    ) -> Result<bool, RepoError> {
        let id = old.account_id.to_string();
        let old_verify = old
            .webhook_verification_token
            .as_ref()
            .map(SealedSecret::as_str);
        let new_verify = new
            .webhook_verification_token
            .as_ref()
            .map(SealedSecret::as_str);
        let mut conn = self.pool.get().await?;
        let n = db_run!(conn: {
            let target = accounts::table
                .filter(accounts::id.eq(&id))
                .filter(accounts::access_token.eq(old.access_token.as_str()));
            let set = (
                accounts::access_token.eq(new.access_token.as_str()),
                accounts::webhook_verification_token.eq(new_verify),
            );
            match old_verify {
                Some(v) => diesel::update(target.filter(accounts::webhook_verification_token.eq(v)))
                    .set(set)
                    .execute(conn)
                    .await,
                None => diesel::update(target.filter(accounts::webhook_verification_token.is_null()))
                    .set(set)
                    .execute(conn)
                    .await,
            }
        })
        .map_err(crate::db::diesel_error)?;
        Ok(n > 0)
    }
}
