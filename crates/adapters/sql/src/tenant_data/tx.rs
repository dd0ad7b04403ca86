//! The write transaction shared by every tenant write (one macro for both engines), and the
//! order and outbound-message writes that run inside one.

use diesel_async::RunQueryDsl;
use diesel_async::pg::AsyncPgConnection;
use omni_domain::{OrderStatus, PaymentStatus};
use omni_ports::{OrderWrite, RepoError};

use super::order_rows::{OrderItemRow, OrderRow, order_rows};
use crate::db::DbError;

/// Runs `$body` in a transaction that writes, on either engine, with `$conn` rebound to the
/// transaction's connection. SQLite starts it with `BEGIN IMMEDIATE`: the write lock is taken
/// (waiting out `busy_timeout`) before the first read, so concurrent transactions serialise
/// instead of failing with `SQLITE_BUSY_SNAPSHOT` when a deferred reader later writes. Postgres
/// runs at READ COMMITTED; with `lock = key` it first takes a transaction-scoped advisory lock
/// on the key, so transactions about the same key (a wamid) see each other's commits (SQLite's
/// write lock already does that).
macro_rules! write_transaction {
    ($conn:ident $(, lock = $key:expr)? => $out:ty, $body:block) => {
        match &mut $conn {
            DbConn::Pg($conn) => {
                let $conn: &mut AsyncPgConnection = &mut *$conn;
                $conn
                    .transaction(async |$conn| -> Result<$out, DbError> {
                        $(pg_advisory_lock($conn, $key).await?;)?
                        $body
                    })
                    .await
            }
            DbConn::Sqlite($conn) => {
                let $conn: &mut SqliteConn = &mut *$conn;
                match $crate::db::sqlite_begin_immediate($conn).await {
                    Err(e) => Err(DbError::from(e)),
                    Ok(()) => {
                        let result: Result<$out, DbError> = async { $body }.await;
                        $crate::db::sqlite_finish($conn, result).await
                    }
                }
            }
        }
    };
}

pub(crate) use write_transaction;

/// Takes a Postgres advisory lock on `key` until the transaction ends.
pub(crate) async fn pg_advisory_lock(
    conn: &mut AsyncPgConnection,
    key: &str,
) -> Result<(), DbError> {
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind::<diesel::sql_types::Text, _>(key)
        .execute(conn)
        .await?;
    Ok(())
}

/// Writes an order inside a transaction on `$conn`: with `$expected = None` inserts it and
/// its lines; with `Some((status, payment))` updates it only if its stored statuses are still
/// those (compare and set: a concurrent change loses cleanly with `Conflict`) and replaces its
/// lines. Evaluates to `Result<(), DbError>`.
macro_rules! write_order {
    ($conn:ident, $row:expr, $items:expr, $expected:expr) => {{
        let row: &OrderRow = $row;
        let items: &[OrderItemRow] = $items;
        let expected: Option<(omni_domain::OrderStatus, omni_domain::PaymentStatus)> = $expected;
        let outcome: Result<(), crate::db::DbError> = async {
            match expected {
                None => {
                    diesel::insert_into(crate::schema::tenant::orders::table)
                        .values(row)
                        .execute($conn)
                        .await?;
                }
                Some((status, payment)) => {
                    let n = diesel::update(
                        crate::schema::tenant::orders::table
                            .filter(crate::schema::tenant::orders::id.eq(&row.id))
                            .filter(crate::schema::tenant::orders::status.eq(status.as_str()))
                            .filter(
                                crate::schema::tenant::orders::payment_status.eq(payment.as_str()),
                            ),
                    )
                    .set((
                        (
                            crate::schema::tenant::orders::conversation_id.eq(&row.conversation_id),
                            crate::schema::tenant::orders::account_id.eq(&row.account_id),
                            crate::schema::tenant::orders::status.eq(&row.status),
                            crate::schema::tenant::orders::total_minor.eq(row.total_minor),
                            crate::schema::tenant::orders::delivery_address
                                .eq(&row.delivery_address),
                            crate::schema::tenant::orders::payment_status.eq(&row.payment_status),
                            crate::schema::tenant::orders::payment_method_id
                                .eq(&row.payment_method_id),
                            crate::schema::tenant::orders::payment_proof_path
                                .eq(&row.payment_proof_path),
                            crate::schema::tenant::orders::payment_rejection_reason
                                .eq(&row.payment_rejection_reason),
                            crate::schema::tenant::orders::conversation_state
                                .eq(&row.conversation_state),
                            crate::schema::tenant::orders::conversation_context
                                .eq(&row.conversation_context),
                            crate::schema::tenant::orders::updated_at.eq(row.updated_at),
                        ),
                        (
                            crate::schema::tenant::orders::delivery_location
                                .eq(&row.delivery_location),
                            crate::schema::tenant::orders::delivery_fee_minor
                                .eq(row.delivery_fee_minor),
                            crate::schema::tenant::orders::rider.eq(&row.rider),
                            crate::schema::tenant::orders::payment_proof_sha256
                                .eq(&row.payment_proof_sha256),
                            crate::schema::tenant::orders::proof_reuse_of.eq(&row.proof_reuse_of),
                        ),
                    ))
                    .execute($conn)
                    .await?;
                    if n == 0 {
                        let exists: i64 = crate::schema::tenant::orders::table
                            .find(&row.id)
                            .count()
                            .get_result($conn)
                            .await?;
                        return Err(if exists == 0 {
                            omni_ports::RepoError::NotFound
                        } else {
                            omni_ports::RepoError::conflict("order changed concurrently")
                        }
                        .into());
                    }
                    diesel::delete(
                        crate::schema::tenant::order_items::table
                            .filter(crate::schema::tenant::order_items::order_id.eq(&row.id)),
                    )
                    .execute($conn)
                    .await?;
                }
            }
            // One statement per line: diesel cannot batch-insert through the SQLite wrapper.
            for item in items {
                diesel::insert_into(crate::schema::tenant::order_items::table)
                    .values(item)
                    .execute($conn)
                    .await?;
            }
            Ok(())
        }
        .await;
        outcome
    }};
}

/// Inserts outbound messages inside a transaction on `$conn`, skipping any whose idempotency
/// key (or id) is stored already, and evaluates to `Result<Vec<MessageRow>, crate::db::DbError>`: the
/// messages as stored, in the given order.
macro_rules! insert_outbound {
    ($conn:ident, $rows:expr) => {{
        let rows: &[MessageRow] = $rows;
        let outcome: Result<Vec<MessageRow>, crate::db::DbError> = async {
            // One statement per message: diesel cannot batch-insert through the SQLite wrapper.
            for row in rows {
                diesel::insert_into(crate::schema::tenant::messages::table)
                    .values(row)
                    .on_conflict_do_nothing()
                    .execute($conn)
                    .await?;
            }
            let mut stored = Vec::with_capacity(rows.len());
            for row in rows {
                let found: MessageRow = match &row.idempotency_key {
                    Some(key) => {
                        crate::schema::tenant::messages::table
                            .filter(crate::schema::tenant::messages::idempotency_key.eq(key))
                            .select(MessageRow::as_select())
                            .first($conn)
                            .await?
                    }
                    None => {
                        crate::schema::tenant::messages::table
                            .find(&row.id)
                            .select(MessageRow::as_select())
                            .first($conn)
                            .await?
                    }
                };
                stored.push(found);
            }
            Ok(stored)
        }
        .await;
        outcome
    }};
}
pub(crate) use {insert_outbound, write_order};

/// An order write as rows: the order, its lines and the statuses an update expects.
/// An order write's rows and the statuses an update expects (`None`: an insert).
pub(crate) type OrderWriteRows = (
    OrderRow,
    Vec<OrderItemRow>,
    Option<(OrderStatus, PaymentStatus)>,
);

pub(crate) fn order_write_rows(write: &OrderWrite) -> Result<OrderWriteRows, RepoError> {
    let (row, items) = order_rows(write.order())?;
    let expected = match write {
        OrderWrite::Insert(_) => None,
        OrderWrite::Update {
            expected_status,
            expected_payment,
            ..
        } => Some((*expected_status, *expected_payment)),
    };
    Ok((row, items, expected))
}
