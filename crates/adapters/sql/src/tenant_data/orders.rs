//! [`OrderRepo`] on SQL: orders with their lines, the optimistic status check on every change,
//! filtered lists, proof-hash lookups and owner actions (order change and messages in one
//! transaction).

use async_trait::async_trait;
use diesel::{ExpressionMethods, OptionalExtension, QueryDsl, SelectableHelper};
use diesel_async::pg::AsyncPgConnection;
use diesel_async::{AsyncConnection, RunQueryDsl};
use omni_domain::{ConversationId, Message, Order, OrderId, OrderStatus, PaymentStatus, StoreId};
use omni_ports::{OrderFilter, OrderRepo, OrderWrite, RepoError};

use super::message_rows::{MessageRow, messages_of};
use super::order_rows::{OrderItemRow, OrderRow, order_of, order_rows, orders_of};
use super::tx::{insert_outbound, order_write_rows, write_order, write_transaction};
use crate::convert::parse;
use crate::db::{DbConn, DbError, SqliteConn, db_run, diesel_error};
use crate::schema::tenant::{order_items, orders};
use crate::tenant::SqlTenantRepo;

impl SqlTenantRepo {
    /// Orders by a filter, with their lines.
    async fn load_orders(
        &self,
        store: StoreId,
        filter: &OrderFilter,
        conversation: Option<ConversationId>,
        open_only: bool,
    ) -> Result<Vec<Order>, RepoError> {
        let statuses: Vec<&str> = filter.statuses.iter().map(|s| s.as_str()).collect();
        let finals = ["delivered", "cancelled"];
        let payment = filter.payment.map(|p| p.as_str());
        let conversation = conversation.map(|c| c.to_string());
        let mut conn = self.pool(store).await?.get().await?;
        let (rows, items): (Vec<OrderRow>, Vec<OrderItemRow>) = db_run!(conn: {
            let mut query = orders::table.into_boxed();
            if !statuses.is_empty() {
                query = query.filter(orders::status.eq_any(&statuses));
            }
            if open_only {
                query = query.filter(orders::status.ne_all(&finals));
            }
            if let Some(payment) = payment {
                query = query.filter(orders::payment_status.eq(payment));
            }
            if let Some(conversation) = &conversation {
                query = query.filter(orders::conversation_id.eq(conversation));
            }
            let rows: Vec<OrderRow> = query
                .order((orders::created_at.desc(), orders::id.desc()))
                .limit(i64::from(filter.limit.max(1)))
                .select(OrderRow::as_select())
                .load(conn)
                .await
                .map_err(diesel_error)?;
            let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
            let items: Vec<OrderItemRow> = order_items::table
                .filter(order_items::order_id.eq_any(&ids))
                .order((order_items::order_id, order_items::line_no))
                .select(OrderItemRow::as_select())
                .load(conn)
                .await
                .map_err(diesel_error)?;
            (rows, items)
        });
        orders_of(rows, items)
    }
}

#[async_trait]
impl OrderRepo for SqlTenantRepo {
    async fn insert_order(&self, store: StoreId, order: &Order) -> Result<(), RepoError> {
        let (row, items) = order_rows(order)?;
        let mut conn = self.pool(store).await?.get().await?;
        db_run!(conn: {
            conn.transaction(async |conn| -> Result<(), DbError> {
                write_order!(conn, &row, &items, None)
            })
            .await
        })
        .map_err(RepoError::from)
    }

    async fn find_order(&self, store: StoreId, id: OrderId) -> Result<Option<Order>, RepoError> {
        let id = id.to_string();
        let mut conn = self.pool(store).await?.get().await?;
        let found: Option<(OrderRow, Vec<OrderItemRow>)> = db_run!(conn: {
            let row: Option<OrderRow> = orders::table
                .find(&id)
                .select(OrderRow::as_select())
                .first(conn)
                .await
                .optional()
                .map_err(diesel_error)?;
            match row {
                None => None,
                Some(row) => {
                    let items: Vec<OrderItemRow> = order_items::table
                        .filter(order_items::order_id.eq(&id))
                        .order(order_items::line_no)
                        .select(OrderItemRow::as_select())
                        .load(conn)
                        .await
                        .map_err(diesel_error)?;
                    Some((row, items))
                }
            }
        });
        found.map(|(row, items)| order_of(row, items)).transpose()
    }

    async fn list_orders(&self, store: StoreId, limit: u32) -> Result<Vec<Order>, RepoError> {
        if limit == 0 {
            // `load_orders` reads at least one; none were asked for (an unknown store is
            // still `TenantNotFound`).
            self.pool(store).await?;
            return Ok(Vec::new());
        }
        let all = OrderFilter {
            statuses: Vec::new(),
            payment: None,
            limit,
        };
        self.load_orders(store, &all, None, false).await
    }

    async fn list_orders_where(
        &self,
        store: StoreId,
        filter: &OrderFilter,
    ) -> Result<Vec<Order>, RepoError> {
        self.load_orders(store, filter, None, false).await
    }

    async fn open_order(
        &self,
        store: StoreId,
        conversation: ConversationId,
    ) -> Result<Option<Order>, RepoError> {
        let filter = OrderFilter {
            limit: 1,
            ..OrderFilter::default()
        };
        Ok(self
            .load_orders(store, &filter, Some(conversation), true)
            .await?
            .into_iter()
            .next())
    }

    async fn orders_with_proof(
        &self,
        store: StoreId,
        sha256: &str,
        except: OrderId,
    ) -> Result<Vec<OrderId>, RepoError> {
        let except = except.to_string();
        let mut conn = self.pool(store).await?.get().await?;
        let ids: Vec<String> = db_run!(conn: {
            orders::table
                .filter(orders::payment_proof_sha256.eq(sha256))
                .filter(orders::id.ne(&except))
                .order((orders::created_at.asc(), orders::id.asc()))
                .select(orders::id)
                .load(conn)
                .await
        })
        .map_err(diesel_error)?;
        ids.iter().map(|id| parse("orders.id", id)).collect()
    }

    async fn update_order(
        &self,
        store: StoreId,
        order: &Order,
        expected_status: OrderStatus,
        expected_payment: PaymentStatus,
    ) -> Result<(), RepoError> {
        let (row, items) = order_rows(order)?;
        let mut conn = self.pool(store).await?.get().await?;
        db_run!(conn: {
            conn.transaction(async |conn| -> Result<(), DbError> {
                write_order!(conn, &row, &items, Some((expected_status, expected_payment)))
            })
            .await
        })
        .map_err(RepoError::from)
    }

    async fn save_order_change(
        &self,
        store: StoreId,
        order: &OrderWrite,
        messages: &[Message],
    ) -> Result<Vec<Message>, RepoError> {
        let (row, items, expected) = order_write_rows(order)?;
        let rows: Vec<MessageRow> = messages.iter().map(MessageRow::from_domain).collect();
        let mut conn = self.pool(store).await?.get().await?;
        let stored = write_transaction!(conn => Vec<MessageRow>, {
            write_order!(conn, &row, &items, expected)?;
            insert_outbound!(conn, &rows)
        })?;
        messages_of(stored)
    }
}
