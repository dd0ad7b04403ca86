//! [`PaymentMethodRepo`] on SQL.

use async_trait::async_trait;
use diesel::{ExpressionMethods, OptionalExtension, QueryDsl, SelectableHelper};
use diesel_async::RunQueryDsl;
use omni_domain::{PaymentMethod, PaymentMethodId, StoreId};
use omni_ports::{PaymentMethodRepo, RepoError};

use super::order_rows::PaymentMethodRow;
use crate::db::{db_run, diesel_error, one_row};
use crate::schema::tenant::payment_methods;
use crate::tenant::SqlTenantRepo;

#[async_trait]
impl PaymentMethodRepo for SqlTenantRepo {
    async fn insert_payment_method(
        &self,
        store: StoreId,
        m: &PaymentMethod,
    ) -> Result<(), RepoError> {
        let row = PaymentMethodRow::from_domain(m);
        let mut conn = self.pool(store).await?.get().await?;
        db_run!(conn: {
            diesel::insert_into(payment_methods::table).values(&row).execute(conn).await
        })
        .map_err(diesel_error)?;
        Ok(())
    }

    async fn list_payment_methods(&self, store: StoreId) -> Result<Vec<PaymentMethod>, RepoError> {
        let mut conn = self.pool(store).await?.get().await?;
        let rows: Vec<PaymentMethodRow> = db_run!(conn: {
            payment_methods::table
                .order((payment_methods::created_at, payment_methods::id))
                .select(PaymentMethodRow::as_select())
                .load(conn)
                .await
        })
        .map_err(diesel_error)?;
        rows.into_iter()
            .map(PaymentMethodRow::into_domain)
            .collect()
    }

    async fn find_payment_method(
        &self,
        store: StoreId,
        id: PaymentMethodId,
    ) -> Result<Option<PaymentMethod>, RepoError> {
        let mut conn = self.pool(store).await?.get().await?;
        let row: Option<PaymentMethodRow> = db_run!(conn: {
            payment_methods::table
                .find(id.to_string())
                .select(PaymentMethodRow::as_select())
                .first(conn)
                .await
                .optional()
        })
        .map_err(diesel_error)?;
        row.map(PaymentMethodRow::into_domain).transpose()
    }

    async fn update_payment_method(
        &self,
        store: StoreId,
        method: &PaymentMethod,
    ) -> Result<(), RepoError> {
        let row = PaymentMethodRow::from_domain(method);
        let mut conn = self.pool(store).await?.get().await?;
        let n = db_run!(conn: {
            diesel::update(payment_methods::table.find(&row.id))
                .set((
                    payment_methods::kind.eq(&row.kind),
                    payment_methods::label.eq(&row.label),
                    payment_methods::details.eq(&row.details),
                    payment_methods::instructions.eq(&row.instructions),
                    payment_methods::active.eq(row.active),
                ))
                .execute(conn)
                .await
        })
        .map_err(diesel_error)?;
        one_row(n)
    }

    async fn delete_payment_method(
        &self,
        store: StoreId,
        id: PaymentMethodId,
    ) -> Result<(), RepoError> {
        let mut conn = self.pool(store).await?.get().await?;
        let n = db_run!(conn: {
            diesel::delete(payment_methods::table.find(id.to_string())).execute(conn).await
        })
        .map_err(diesel_error)?;
        one_row(n)
    }
}
