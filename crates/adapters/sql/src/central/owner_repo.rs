//! [`OwnerRepo`] on SQL.

use crate::db::db_run;
use crate::schema::central::owners;
use async_trait::async_trait;
use diesel::{ExpressionMethods, OptionalExtension, QueryDsl, SelectableHelper};
use diesel_async::RunQueryDsl;
use omni_domain::{Email, Owner, OwnerId};
use omni_ports::{OwnerRepo, RepoError};

use super::{OwnerRow, SqlCentralRepo};

#[async_trait]
impl OwnerRepo for SqlCentralRepo {
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
}
