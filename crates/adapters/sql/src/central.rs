//! `CentralRepo` on SQL: owners, stores and WhatsApp accounts, each query written once for
//! Postgres and SQLite through `db_run!`.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::{Insertable, Queryable, Selectable};
use diesel::{
    BoolExpressionMethods, ExpressionMethods, OptionalExtension, QueryDsl, SelectableHelper,
};
use diesel_async::{AsyncConnection, RunQueryDsl};
use omni_domain::{
    AccountId, Email, Owner, OwnerId, PhoneNumberId, SealedSecret, Store, StoreId, TenantLocation,
    WabaId, WhatsappAccount,
};
use omni_ports::{AccountSecrets, CentralRepo, RepoError};

use crate::convert::{json, parse, to_json, ts, utc};
use crate::db::{DbError, DbPool, db_run, one_row};
use crate::schema::central::{owners, stores, whatsapp_accounts as accounts};

/// The central database.
#[derive(Debug, Clone)]
pub struct SqlCentralRepo {
    pool: DbPool,
}

impl SqlCentralRepo {
    /// A repo over a pool of the central database (already migrated).
    #[must_use]
    pub fn new(pool: DbPool) -> Self {
        Self { pool }
    }

    /// The pool, for health checks and shutdown.
    #[must_use]
    pub fn pool(&self) -> &DbPool {
        &self.pool
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = owners)]
struct OwnerRow {
    id: String,
    email: String,
    password_hash: String,
    whatsapp_number: Option<String>,
    created_at: NaiveDateTime,
}

impl OwnerRow {
    fn from_domain(o: &Owner) -> Self {
        Self {
            id: o.id.to_string(),
            email: o.email.as_str().to_owned(),
            password_hash: o.password_hash.clone(),
            whatsapp_number: o.whatsapp_number.as_ref().map(|p| p.as_str().to_owned()),
            created_at: ts(o.created_at),
        }
    }

    fn into_domain(self) -> Result<Owner, RepoError> {
        Ok(Owner {
            id: parse("owners.id", &self.id)?,
            email: Email::parse(&self.email)
                .map_err(|_| RepoError::Corrupt("owners.email".into()))?,
            password_hash: self.password_hash,
            whatsapp_number: self
                .whatsapp_number
                .map(|p| parse_phone("owners.whatsapp_number", &p))
                .transpose()?,
            created_at: utc(self.created_at),
        })
    }
}

pub(crate) fn parse_phone(column: &str, raw: &str) -> Result<omni_domain::PhoneNumber, RepoError> {
    omni_domain::PhoneNumber::parse(raw)
        .map_err(|_| RepoError::Corrupt(format!("{column}: `{raw}`")))
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = stores)]
struct StoreRow {
    id: String,
    owner_id: String,
    name: String,
    kind: String,
    currency: String,
    timezone: String,
    ai_enabled: bool,
    storefront_enabled: bool,
    default_account_id: Option<String>,
    tenant_backend: String,
    tenant_server: Option<String>,
    tenant_database: String,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl StoreRow {
    fn from_domain(s: &Store) -> Self {
        let (backend, server, database) = match &s.tenant {
            TenantLocation::Sqlite { file } => ("sqlite", None, file.clone()),
            TenantLocation::Postgres { server, database } => {
                ("postgres", Some(server.clone()), database.clone())
            }
        };
        Self {
            id: s.id.to_string(),
            owner_id: s.owner_id.to_string(),
            name: s.name.as_str().to_owned(),
            kind: s.kind.as_str().to_owned(),
            currency: s.currency.as_str().to_owned(),
            timezone: s.timezone.clone(),
            ai_enabled: s.ai_enabled,
            storefront_enabled: s.storefront_enabled,
            default_account_id: s.default_account_id.map(|a| a.to_string()),
            tenant_backend: backend.to_owned(),
            tenant_server: server,
            tenant_database: database,
            created_at: ts(s.created_at),
            updated_at: ts(s.updated_at),
        }
    }

    fn into_domain(self) -> Result<Store, RepoError> {
        let tenant = match (self.tenant_backend.as_str(), self.tenant_server) {
            ("sqlite", _) => TenantLocation::Sqlite {
                file: self.tenant_database,
            },
            ("postgres", Some(server)) => TenantLocation::Postgres {
                server,
                database: self.tenant_database,
            },
            (other, _) => {
                return Err(RepoError::Corrupt(format!(
                    "stores.tenant_backend: `{other}`"
                )));
            }
        };
        Ok(Store {
            id: parse("stores.id", &self.id)?,
            owner_id: parse("stores.owner_id", &self.owner_id)?,
            name: omni_domain::StoreName::parse(&self.name)
                .map_err(|_| RepoError::Corrupt("stores.name".into()))?,
            kind: parse("stores.kind", &self.kind)?,
            currency: omni_domain::Currency::parse(&self.currency)
                .map_err(|_| RepoError::Corrupt("stores.currency".into()))?,
            timezone: self.timezone,
            ai_enabled: self.ai_enabled,
            storefront_enabled: self.storefront_enabled,
            default_account_id: self
                .default_account_id
                .map(|a| parse("stores.default_account_id", &a))
                .transpose()?,
            tenant,
            created_at: utc(self.created_at),
            updated_at: utc(self.updated_at),
        })
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = accounts)]
struct AccountRow {
    id: String,
    store_id: String,
    phone_number: String,
    phone_number_id: String,
    waba_id: String,
    access_token: String,
    status: String,
    display_name: Option<String>,
    quality_rating: String,
    messaging_limits: String,
    verified_at: Option<NaiveDateTime>,
    last_webhook_at: Option<NaiveDateTime>,
    webhook_verification_token: Option<String>,
    meta: String,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    deleted_at: Option<NaiveDateTime>,
}

impl AccountRow {
    fn from_domain(a: &WhatsappAccount) -> Self {
        Self {
            id: a.id.to_string(),
            store_id: a.store_id.to_string(),
            phone_number: a.phone_number.as_str().to_owned(),
            phone_number_id: a.phone_number_id.as_str().to_owned(),
            waba_id: a.waba_id.as_str().to_owned(),
            access_token: a.access_token.as_str().to_owned(),
            status: a.status.as_str().to_owned(),
            display_name: a.display_name.clone(),
            quality_rating: a.quality_rating.as_str().to_owned(),
            messaging_limits: to_json(&a.messaging_limits),
            verified_at: a.verified_at.map(ts),
            last_webhook_at: a.last_webhook_at.map(ts),
            webhook_verification_token: a
                .webhook_verification_token
                .as_ref()
                .map(|s| s.as_str().to_owned()),
            meta: to_json(&a.meta),
            created_at: ts(a.created_at),
            updated_at: ts(a.updated_at),
            deleted_at: a.deleted_at.map(ts),
        }
    }

    fn into_domain(self) -> Result<WhatsappAccount, RepoError> {
        Ok(WhatsappAccount {
            id: parse("whatsapp_accounts.id", &self.id)?,
            store_id: parse("whatsapp_accounts.store_id", &self.store_id)?,
            phone_number: parse_phone("whatsapp_accounts.phone_number", &self.phone_number)?,
            phone_number_id: PhoneNumberId::parse(&self.phone_number_id)
                .map_err(|_| RepoError::Corrupt("whatsapp_accounts.phone_number_id".into()))?,
            waba_id: WabaId::parse(&self.waba_id)
                .map_err(|_| RepoError::Corrupt("whatsapp_accounts.waba_id".into()))?,
            access_token: SealedSecret::from_ciphertext(self.access_token),
            status: parse("whatsapp_accounts.status", &self.status)?,
            display_name: self.display_name,
            quality_rating: parse("whatsapp_accounts.quality_rating", &self.quality_rating)?,
            messaging_limits: json("whatsapp_accounts.messaging_limits", &self.messaging_limits)?,
            verified_at: self.verified_at.map(utc),
            last_webhook_at: self.last_webhook_at.map(utc),
            webhook_verification_token: self
                .webhook_verification_token
                .map(SealedSecret::from_ciphertext),
            meta: json("whatsapp_accounts.meta", &self.meta)?,
            created_at: utc(self.created_at),
            updated_at: utc(self.updated_at),
            deleted_at: self.deleted_at.map(utc),
        })
    }
}

/// Which live (not soft-deleted) accounts a lookup wants.
enum LiveAccounts<'a> {
    /// One account of one store.
    Id { store: String, id: String },
    /// The account with a Meta phone_number_id.
    PhoneNumberId(&'a str),
    /// A store's accounts.
    Store(String),
    /// A WABA's accounts, across stores.
    Waba(&'a str),
}

impl SqlCentralRepo {
    /// Live accounts matching `which`, oldest first: the one query behind every account lookup.
    async fn live_accounts(
        &self,
        which: LiveAccounts<'_>,
    ) -> Result<Vec<WhatsappAccount>, RepoError> {
        let mut conn = self.pool.get().await?;
        let rows: Vec<AccountRow> = db_run!(conn: {
            let query = accounts::table.filter(accounts::deleted_at.is_null()).into_boxed();
            let query = match &which {
                LiveAccounts::Id { store, id } => {
                    query.filter(accounts::store_id.eq(store)).filter(accounts::id.eq(id))
                }
                LiveAccounts::PhoneNumberId(pid) => query.filter(accounts::phone_number_id.eq(*pid)),
                LiveAccounts::Store(store) => query.filter(accounts::store_id.eq(store)),
                LiveAccounts::Waba(waba) => query.filter(accounts::waba_id.eq(*waba)),
            };
            query
                .order((accounts::created_at, accounts::id))
                .select(AccountRow::as_select())
                .load(conn)
                .await
        })
        .map_err(crate::db::diesel_error)?;
        rows.into_iter().map(AccountRow::into_domain).collect()
    }
}

fn stores_of(rows: Vec<StoreRow>) -> Result<Vec<Store>, RepoError> {
    rows.into_iter().map(StoreRow::into_domain).collect()
}

#[async_trait]
impl CentralRepo for SqlCentralRepo {
    async fn ping(&self) -> Result<(), RepoError> {
        self.pool.ping().await
    }

    async fn insert_owner(&self, owner: &Owner) -> Result<(), RepoError> {
        let row = OwnerRow::from_domain(owner);
        let mut conn = self.pool.get().await?;
        db_run!(conn: {
            diesel::insert_into(owners::table).values(&row).execute(conn).await
        })
        .map_err(crate::db::diesel_error)?;
        Ok(())
    }

    async fn find_owner(&self, id: OwnerId) -> Result<Option<Owner>, RepoError> {
        let mut conn = self.pool.get().await?;
        let row: Option<OwnerRow> = db_run!(conn: {
            owners::table.find(id.to_string()).select(OwnerRow::as_select()).first(conn).await.optional()
        })
        .map_err(crate::db::diesel_error)?;
        row.map(OwnerRow::into_domain).transpose()
    }

    async fn find_owner_by_email(&self, email: &Email) -> Result<Option<Owner>, RepoError> {
        let mut conn = self.pool.get().await?;
        let row: Option<OwnerRow> = db_run!(conn: {
            owners::table
                .filter(owners::email.eq(email.as_str()))
                .select(OwnerRow::as_select())
                .first(conn)
                .await
                .optional()
        })
        .map_err(crate::db::diesel_error)?;
        row.map(OwnerRow::into_domain).transpose()
    }

    async fn insert_store(&self, store: &Store) -> Result<(), RepoError> {
        let row = StoreRow {
            default_account_id: None,
            ..StoreRow::from_domain(store)
        };
        let mut conn = self.pool.get().await?;
        db_run!(conn: {
            diesel::insert_into(stores::table).values(&row).execute(conn).await
        })
        .map_err(crate::db::diesel_error)?;
        Ok(())
    }

    async fn find_store(&self, id: StoreId) -> Result<Option<Store>, RepoError> {
        let mut conn = self.pool.get().await?;
        let row: Option<StoreRow> = db_run!(conn: {
            stores::table.find(id.to_string()).select(StoreRow::as_select()).first(conn).await.optional()
        })
        .map_err(crate::db::diesel_error)?;
        row.map(StoreRow::into_domain).transpose()
    }

    async fn list_stores(&self) -> Result<Vec<Store>, RepoError> {
        let mut conn = self.pool.get().await?;
        let rows: Vec<StoreRow> = db_run!(conn: {
            stores::table.order((stores::created_at, stores::id)).select(StoreRow::as_select()).load(conn).await
        })
        .map_err(crate::db::diesel_error)?;
        stores_of(rows)
    }

    async fn list_stores_of_owner(&self, owner: OwnerId) -> Result<Vec<Store>, RepoError> {
        let mut conn = self.pool.get().await?;
        let rows: Vec<StoreRow> = db_run!(conn: {
            stores::table
                .filter(stores::owner_id.eq(owner.to_string()))
                .order((stores::created_at, stores::id))
                .select(StoreRow::as_select())
                .load(conn)
                .await
        })
        .map_err(crate::db::diesel_error)?;
        stores_of(rows)
    }

    async fn update_store(&self, store: &Store) -> Result<(), RepoError> {
        let row = StoreRow::from_domain(store);
        let mut conn = self.pool.get().await?;
        let n = db_run!(conn: {
            diesel::update(stores::table.find(&row.id))
                .set((
                    stores::name.eq(&row.name),
                    stores::kind.eq(&row.kind),
                    stores::currency.eq(&row.currency),
                    stores::timezone.eq(&row.timezone),
                    stores::ai_enabled.eq(row.ai_enabled),
                    stores::storefront_enabled.eq(row.storefront_enabled),
                    stores::updated_at.eq(row.updated_at),
                ))
                .execute(conn)
                .await
        })
        .map_err(crate::db::diesel_error)?;
        one_row(n)
    }

    async fn set_default_account(
        &self,
        store: StoreId,
        account: Option<AccountId>,
    ) -> Result<(), RepoError> {
        let (store, account) = (store.to_string(), account.map(|a| a.to_string()));
        let mut conn = self.pool.get().await?;
        db_run!(conn: {
            conn.transaction(async |conn| -> Result<(), DbError> {
                if let Some(account) = &account {
                    let live: i64 = accounts::table
                        .filter(accounts::id.eq(account))
                        .filter(accounts::store_id.eq(&store))
                        .filter(accounts::deleted_at.is_null())
                        .count()
                        .get_result(conn)
                        .await?;
                    if live == 0 {
                        return Err(RepoError::NotFound.into());
                    }
                }
                let n = diesel::update(stores::table.find(&store))
                    .set(stores::default_account_id.eq(&account))
                    .execute(conn)
                    .await?;
                if n == 0 { Err(RepoError::NotFound.into()) } else { Ok(()) }
            })
            .await
        })
        .map_err(RepoError::from)
    }

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
