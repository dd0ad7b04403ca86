//! [`CustomerRepo`] on SQL.

use async_trait::async_trait;
use diesel::{ExpressionMethods, OptionalExtension, QueryDsl, SelectableHelper};
use diesel_async::pg::AsyncPgConnection;
use diesel_async::{AsyncConnection, RunQueryDsl};
use omni_domain::{Customer, CustomerId, StoreId};
use omni_ports::{CustomerRepo, RepoError};

use super::message_rows::CustomerRow;
use super::tx::write_transaction;
use crate::convert::ts;
use crate::db::{DbConn, DbError, SqliteConn, db_run, diesel_error};
use crate::schema::tenant::customers;
use crate::tenant::SqlTenantRepo;

#[async_trait]
impl CustomerRepo for SqlTenantRepo {
    async fn upsert_customer(
        &self,
        store: StoreId,
        customer: &Customer,
    ) -> Result<Customer, RepoError> {
        let new = CustomerRow {
            id: customer.id.to_string(),
            wa_id: customer.wa_id().to_owned(),
            phone: customer.phone.as_ref().map(|p| p.as_str().to_owned()),
            name: customer.name.clone(),
            created_at: ts(customer.created_at),
        };
        let mut conn = self.pool(store).await?.get().await?;
        let row = write_transaction!(conn => CustomerRow, {
            let existing: Option<CustomerRow> = customers::table
                .filter(customers::wa_id.eq(&new.wa_id))
                .select(CustomerRow::as_select())
                .first(conn)
                .await
                .optional()?;
            let Some(mut existing) = existing else {
                diesel::insert_into(customers::table).values(&new).execute(conn).await?;
                return Ok(new);
            };
            if new.name.is_some() {
                existing.name.clone_from(&new.name);
            }
            if new.phone.is_some() {
                existing.phone.clone_from(&new.phone);
            }
            diesel::update(customers::table.find(&existing.id))
                .set((customers::name.eq(&existing.name), customers::phone.eq(&existing.phone)))
                .execute(conn)
                .await?;
            Ok(existing)
        })?;
        row.into_domain()
    }

    async fn find_customer(
        &self,
        store: StoreId,
        id: CustomerId,
    ) -> Result<Option<Customer>, RepoError> {
        let mut conn = self.pool(store).await?.get().await?;
        let row: Option<CustomerRow> = db_run!(conn: {
            customers::table.find(id.to_string()).select(CustomerRow::as_select()).first(conn).await.optional()
        })
        .map_err(diesel_error)?;
        row.map(CustomerRow::into_domain).transpose()
    }

    async fn find_customers(
        &self,
        store: StoreId,
        ids: &[CustomerId],
    ) -> Result<Vec<Customer>, RepoError> {
        // The pool first, so an unknown store is `TenantNotFound` even for no ids.
        let pool = self.pool(store).await?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let keys: Vec<String> = ids.iter().map(ToString::to_string).collect();
        let mut conn = pool.get().await?;
        let rows: Vec<CustomerRow> = db_run!(conn: {
            customers::table
                .filter(customers::id.eq_any(&keys))
                .select(CustomerRow::as_select())
                .load(conn)
                .await
        })
        .map_err(diesel_error)?;
        rows.into_iter().map(CustomerRow::into_domain).collect()
    }

    async fn find_customer_by_wa_id(
        &self,
        store: StoreId,
        wa_id: &str,
    ) -> Result<Option<Customer>, RepoError> {
        let mut conn = self.pool(store).await?.get().await?;
        let row: Option<CustomerRow> = db_run!(conn: {
            customers::table
                .filter(customers::wa_id.eq(wa_id))
                .select(CustomerRow::as_select())
                .first(conn)
                .await
                .optional()
        })
        .map_err(diesel_error)?;
        row.map(CustomerRow::into_domain).transpose()
    }
}
