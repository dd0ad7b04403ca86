//! [`MessageRepo`] on SQL: messages and their delivery life; a status is applied with a
//! compare-and-set so it never moves a message backwards, and kept by wamid until the message
//! is known.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::{
    BoolExpressionMethods, ExpressionMethods, OptionalExtension, QueryDsl, SelectableHelper,
};
use diesel_async::pg::AsyncPgConnection;
use diesel_async::{AsyncConnection, RunQueryDsl};
use omni_domain::{ConversationId, Message, MessageId, MessageStatus, StoreId};
use omni_ports::{MessageRepo, RepoError, StatusOutcome};

use super::message_rows::{MessageRow, MessageStatusRow};
use super::tx::{pg_advisory_lock, write_transaction};
use crate::convert::{parse, ts};
use crate::db::{DbConn, DbError, SqliteConn, db_run, diesel_error};
use crate::schema::tenant::{message_statuses, messages};
use crate::tenant::SqlTenantRepo;

/// The stored statuses `status` may replace ([`MessageStatus::supersedes`]), for a
/// compare-and-set `UPDATE .. WHERE status IS NULL OR status IN (..)`: the check and the write
/// are one statement, so concurrent statuses cannot both pass it (Postgres re-checks the
/// condition on the row a concurrent writer committed).
fn superseded_by(status: MessageStatus) -> Vec<&'static str> {
    MessageStatus::ALL
        .iter()
        .filter(|current| status.supersedes(Some(**current)))
        .map(|current| current.as_str())
        .collect()
}

/// Moves message `$id` to `$status` (at `$at`; the error too when `$error` is `Some`) if its
/// stored status is one of `$replaceable` or none; evaluates to the diesel result of the
/// `UPDATE` (rows changed).
macro_rules! set_status {
    ($conn:ident, $id:expr, $status:expr, $at:expr, $error:expr, $replaceable:expr) => {{
        let target = messages::table.filter(messages::id.eq($id)).filter(
            messages::status
                .is_null()
                .or(messages::status.eq_any($replaceable)),
        );
        match $error {
            Some(error) => {
                diesel::update(target)
                    .set((
                        messages::status.eq($status),
                        messages::status_at.eq($at),
                        messages::error.eq(error),
                    ))
                    .execute($conn)
                    .await
            }
            None => {
                diesel::update(target)
                    .set((messages::status.eq($status), messages::status_at.eq($at)))
                    .execute($conn)
                    .await
            }
        }
    }};
}

#[async_trait]
impl MessageRepo for SqlTenantRepo {
    async fn insert_message(&self, store: StoreId, m: &Message) -> Result<(), RepoError> {
        let row = MessageRow::from_domain(m);
        let mut conn = self.pool(store).await?.get().await?;
        db_run!(conn: {
            diesel::insert_into(messages::table).values(&row).execute(conn).await
        })
        .map_err(diesel_error)?;
        Ok(())
    }

    async fn list_messages(
        &self,
        store: StoreId,
        conversation: ConversationId,
        limit: u32,
    ) -> Result<Vec<Message>, RepoError> {
        let mut conn = self.pool(store).await?.get().await?;
        let mut rows: Vec<MessageRow> = db_run!(conn: {
            messages::table
                .filter(messages::conversation_id.eq(conversation.to_string()))
                .order((messages::created_at.desc(), messages::id.desc()))
                .limit(i64::from(limit))
                .select(MessageRow::as_select())
                .load(conn)
                .await
        })
        .map_err(diesel_error)?;
        rows.reverse();
        rows.into_iter().map(MessageRow::into_domain).collect()
    }

    async fn find_message(
        &self,
        store: StoreId,
        id: MessageId,
    ) -> Result<Option<Message>, RepoError> {
        let mut conn = self.pool(store).await?.get().await?;
        let row: Option<MessageRow> = db_run!(conn: {
            messages::table
                .find(id.to_string())
                .select(MessageRow::as_select())
                .first(conn)
                .await
                .optional()
        })
        .map_err(diesel_error)?;
        row.map(MessageRow::into_domain).transpose()
    }

    async fn find_message_by_wamid(
        &self,
        store: StoreId,
        wamid: &str,
    ) -> Result<Option<Message>, RepoError> {
        let mut conn = self.pool(store).await?.get().await?;
        let row: Option<MessageRow> = db_run!(conn: {
            messages::table
                .filter(messages::wamid.eq(wamid))
                .select(MessageRow::as_select())
                .first(conn)
                .await
                .optional()
        })
        .map_err(diesel_error)?;
        row.map(MessageRow::into_domain).transpose()
    }

    /// The error is saved only when given. Statuses of one wamid are serialised (SQLite's
    /// write lock; a Postgres advisory lock on the wamid, shared with `record_sent`).
    async fn apply_status(
        &self,
        store: StoreId,
        wamid: &str,
        status: MessageStatus,
        at: DateTime<Utc>,
        error: Option<&str>,
    ) -> Result<StatusOutcome, RepoError> {
        let kept = MessageStatusRow {
            wamid: wamid.to_owned(),
            status: status.as_str().to_owned(),
            occurred_at: ts(at),
            error: error.map(str::to_owned),
        };
        let replaceable = superseded_by(status);
        let mut conn = self.pool(store).await?.get().await?;
        write_transaction!(conn, lock = wamid => StatusOutcome, {
            diesel::insert_into(message_statuses::table)
                .values(&kept)
                .on_conflict_do_nothing()
                .execute(conn)
                .await?;
            let id: Option<String> = messages::table
                .filter(messages::wamid.eq(wamid))
                .select(messages::id)
                .first(conn)
                .await
                .optional()?;
            let Some(id) = id else {
                return Ok(StatusOutcome::Kept);
            };
            let changed = set_status!(
                conn,
                &id,
                &kept.status,
                kept.occurred_at,
                kept.error.as_deref(),
                &replaceable
            )?;
            Ok(if changed == 0 { StatusOutcome::Stale } else { StatusOutcome::Applied })
        })
        .map_err(RepoError::from)
    }

    /// Of the statuses kept for the wamid, the highest ranked is applied (when it supersedes
    /// `sent`).
    async fn record_sent(
        &self,
        store: StoreId,
        message: MessageId,
        wamid: &str,
        at: DateTime<Utc>,
    ) -> Result<(), RepoError> {
        let id = message.to_string();
        let at = ts(at);
        let after_sent = superseded_by(MessageStatus::Sent);
        let mut conn = self.pool(store).await?.get().await?;
        write_transaction!(conn, lock = wamid => (), {
            let updated = diesel::update(messages::table.find(&id))
                .set(messages::wamid.eq(wamid))
                .execute(conn)
                .await?;
            if updated == 0 {
                return Err(RepoError::NotFound.into());
            }
            set_status!(
                conn,
                &id,
                MessageStatus::Sent.as_str(),
                at,
                None::<&str>,
                &after_sent
            )?;
            let kept: Vec<MessageStatusRow> = message_statuses::table
                .filter(message_statuses::wamid.eq(wamid))
                .select(MessageStatusRow::as_select())
                .load(conn)
                .await?;
            let mut best: Option<(MessageStatus, MessageStatusRow)> = None;
            for row in kept {
                let status: MessageStatus = parse("message_statuses.status", &row.status)?;
                if best.as_ref().is_none_or(|(b, _)| status.rank() > b.rank()) {
                    best = Some((status, row));
                }
            }
            if let Some((status, row)) = best {
                let replaceable = superseded_by(status);
                set_status!(
                    conn,
                    &id,
                    status.as_str(),
                    row.occurred_at,
                    row.error.as_deref(),
                    &replaceable
                )?;
            }
            Ok(())
        })
        .map_err(RepoError::from)
    }

    async fn record_send_failure(
        &self,
        store: StoreId,
        message: MessageId,
        error: &str,
        at: DateTime<Utc>,
    ) -> Result<(), RepoError> {
        let id = message.to_string();
        let at = ts(at);
        let replaceable = superseded_by(MessageStatus::Failed);
        let mut conn = self.pool(store).await?.get().await?;
        let (changed, exists) = db_run!(conn: {
            let changed = set_status!(
                conn,
                &id,
                MessageStatus::Failed.as_str(),
                at,
                Some(error),
                &replaceable
            )
            .map_err(diesel_error)?;
            let exists: i64 = if changed == 0 {
                messages::table.find(&id).count().get_result(conn).await.map_err(diesel_error)?
            } else {
                1
            };
            (changed, exists)
        });
        if changed == 0 && exists == 0 {
            Err(RepoError::NotFound)
        } else {
            Ok(())
        }
    }

    async fn reopen_failed_send(
        &self,
        store: StoreId,
        message: MessageId,
        at: DateTime<Utc>,
    ) -> Result<bool, RepoError> {
        let (id, at) = (message.to_string(), ts(at));
        let mut conn = self.pool(store).await?.get().await?;
        let changed = db_run!(conn: {
            diesel::update(
                messages::table
                    .filter(messages::id.eq(&id))
                    .filter(messages::status.eq(MessageStatus::Failed.as_str()))
                    .filter(messages::wamid.is_null()),
            )
            .set((
                messages::status.eq(MessageStatus::Queued.as_str()),
                messages::status_at.eq(at),
                messages::error.eq(None::<String>),
            ))
            .execute(conn)
            .await
        })
        .map_err(diesel_error)?;
        Ok(changed == 1)
    }
}
