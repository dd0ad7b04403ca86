//! `TenantRepoPort` on SQL: every method resolves the store to its own pool first, so a query
//! can only ever reach that store's database. Each query is written once for both engines.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::{Insertable, Queryable, Selectable};
use diesel::{
    BoolExpressionMethods, ExpressionMethods, OptionalExtension, QueryDsl, SelectableHelper,
};
use diesel_async::pg::AsyncPgConnection;
use diesel_async::{AsyncConnection, RunQueryDsl};
use omni_domain::{
    AccountId, Conversation, ConversationId, Currency, Customer, CustomerId, Direction, MenuItem,
    Message, MessageId, MessageStatus, Money, Order, OrderId, OrderItem, OrderStatus, Payment,
    PaymentMethod, PaymentStatus, StoreId, TenantLocation,
};
use omni_ports::{
    Completion, InboundRecord, OrderWrite, RecordedInbound, RepoError, StatusOutcome,
    TenantRepoPort,
};

use crate::central::parse_phone;
use crate::convert::{json, parse, to_json, ts, utc};
use crate::db::{DbConn, DbError, DbPool, SqliteConn, db_run, diesel_error, one_row};
use crate::schema::tenant::{
    auto_reply, conversations, customers, menu_items, message_statuses, messages, order_items,
    orders, payment_methods,
};
use crate::tenant::SqlTenantRepo;

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = customers)]
pub(crate) struct CustomerRow {
    pub(crate) id: String,
    pub(crate) wa_id: String,
    pub(crate) phone: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) created_at: NaiveDateTime,
}

impl CustomerRow {
    pub(crate) fn into_domain(self) -> Result<Customer, RepoError> {
        Ok(Customer {
            id: parse("customers.id", &self.id)?,
            wa_id: self.wa_id,
            phone: self
                .phone
                .map(|p| parse_phone("customers.phone", &p))
                .transpose()?,
            name: self.name,
            created_at: utc(self.created_at),
        })
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = conversations)]
pub(crate) struct ConversationRow {
    pub(crate) id: String,
    pub(crate) customer_id: String,
    pub(crate) account_id: String,
    pub(crate) state: String,
    pub(crate) context: String,
    pub(crate) last_inbound_at: Option<NaiveDateTime>,
    pub(crate) created_at: NaiveDateTime,
    pub(crate) updated_at: NaiveDateTime,
    pub(crate) agent_paused: bool,
}

impl ConversationRow {
    pub(crate) fn from_domain(c: &Conversation) -> Self {
        Self {
            id: c.id.to_string(),
            customer_id: c.customer_id.to_string(),
            account_id: c.account_id.to_string(),
            state: c.state.clone(),
            context: to_json(&c.context),
            last_inbound_at: c.last_inbound_at.map(ts),
            created_at: ts(c.created_at),
            updated_at: ts(c.updated_at),
            agent_paused: c.agent_paused,
        }
    }

    pub(crate) fn into_domain(self) -> Result<Conversation, RepoError> {
        Ok(Conversation {
            id: parse("conversations.id", &self.id)?,
            customer_id: parse("conversations.customer_id", &self.customer_id)?,
            account_id: parse("conversations.account_id", &self.account_id)?,
            state: self.state,
            context: json("conversations.context", &self.context)?,
            last_inbound_at: self.last_inbound_at.map(utc),
            agent_paused: self.agent_paused,
            created_at: utc(self.created_at),
            updated_at: utc(self.updated_at),
        })
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = messages)]
pub(crate) struct MessageRow {
    pub(crate) id: String,
    pub(crate) conversation_id: String,
    pub(crate) direction: String,
    pub(crate) wamid: Option<String>,
    pub(crate) kind: String,
    pub(crate) body: String,
    pub(crate) created_at: NaiveDateTime,
    pub(crate) status: Option<String>,
    pub(crate) status_at: Option<NaiveDateTime>,
    pub(crate) error: Option<String>,
    pub(crate) idempotency_key: Option<String>,
    pub(crate) in_reply_to: Option<String>,
    pub(crate) handled_at: Option<NaiveDateTime>,
    pub(crate) transcript: Option<String>,
    pub(crate) media_path: Option<String>,
}

impl MessageRow {
    pub(crate) fn from_domain(m: &Message) -> Self {
        Self {
            id: m.id.to_string(),
            conversation_id: m.conversation_id.to_string(),
            direction: m.direction.as_str().to_owned(),
            wamid: m.wamid.clone(),
            kind: m.body.kind().to_owned(),
            body: to_json(&m.body),
            created_at: ts(m.created_at),
            status: m.status.map(|s| s.as_str().to_owned()),
            status_at: m.status_at.map(ts),
            error: m.error.clone(),
            idempotency_key: m.idempotency_key.clone(),
            in_reply_to: m.in_reply_to.map(|id| id.to_string()),
            handled_at: m.handled_at.map(ts),
            transcript: m.transcript.clone(),
            media_path: m.media_path.clone(),
        }
    }

    pub(crate) fn into_domain(self) -> Result<Message, RepoError> {
        Ok(Message {
            id: parse("messages.id", &self.id)?,
            conversation_id: parse("messages.conversation_id", &self.conversation_id)?,
            direction: parse("messages.direction", &self.direction)?,
            wamid: self.wamid,
            body: json("messages.body", &self.body)?,
            created_at: utc(self.created_at),
            status: self
                .status
                .map(|s| parse("messages.status", &s))
                .transpose()?,
            status_at: self.status_at.map(utc),
            error: self.error,
            idempotency_key: self.idempotency_key,
            in_reply_to: self
                .in_reply_to
                .map(|id| parse("messages.in_reply_to", &id))
                .transpose()?,
            handled_at: self.handled_at.map(utc),
            transcript: self.transcript,
            media_path: self.media_path,
        })
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = message_statuses)]
struct MessageStatusRow {
    wamid: String,
    status: String,
    occurred_at: NaiveDateTime,
    error: Option<String>,
}

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

/// What `record_inbound` read and wrote, as rows.
struct InboundRows {
    customer: CustomerRow,
    conversation: ConversationRow,
    message: MessageRow,
    duplicate: bool,
    replies: Vec<MessageRow>,
}

impl InboundRows {
    fn into_domain(self) -> Result<RecordedInbound, RepoError> {
        Ok(RecordedInbound {
            customer: self.customer.into_domain()?,
            conversation: self.conversation.into_domain()?,
            message: self.message.into_domain()?,
            duplicate: self.duplicate,
            replies: messages_of(self.replies)?,
        })
    }
}

pub(crate) fn messages_of(rows: Vec<MessageRow>) -> Result<Vec<Message>, RepoError> {
    rows.into_iter().map(MessageRow::into_domain).collect()
}

/// The only row of `auto_reply`.
const AUTO_REPLY_ROW: i32 = 1;

/// The state a conversation starts in (the same as a new order's `conversation_state`).
const NEW_CONVERSATION_STATE: &str = "new";

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

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = menu_items)]
pub(crate) struct MenuItemRow {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) description: Option<String>,
    pub(crate) category: Option<String>,
    pub(crate) price_minor: i64,
    pub(crate) currency: String,
    pub(crate) available: bool,
    pub(crate) created_at: NaiveDateTime,
    pub(crate) variants: String,
    pub(crate) updated_at: Option<NaiveDateTime>,
}

impl MenuItemRow {
    pub(crate) fn from_domain(item: &MenuItem, at: Option<DateTime<Utc>>) -> Self {
        Self {
            id: item.id.to_string(),
            name: item.name.clone(),
            description: item.description.clone(),
            category: item.category.clone(),
            price_minor: item.price.minor(),
            currency: item.price.currency().as_str().to_owned(),
            available: item.available,
            created_at: ts(item.created_at),
            variants: to_json(&item.variants),
            updated_at: at.map(ts),
        }
    }

    pub(crate) fn into_domain(self) -> Result<MenuItem, RepoError> {
        Ok(MenuItem {
            id: parse("menu_items.id", &self.id)?,
            name: self.name,
            description: self.description,
            category: self.category,
            price: Money::from_minor(
                self.price_minor,
                currency("menu_items.currency", &self.currency)?,
            ),
            variants: json("menu_items.variants", &self.variants)?,
            available: self.available,
            created_at: utc(self.created_at),
        })
    }
}

fn currency(column: &str, raw: &str) -> Result<Currency, RepoError> {
    Currency::parse(raw).map_err(|_| RepoError::Corrupt(format!("{column}: `{raw}`")))
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = payment_methods)]
pub(crate) struct PaymentMethodRow {
    pub(crate) id: String,
    pub(crate) kind: String,
    pub(crate) label: String,
    pub(crate) details: String,
    pub(crate) active: bool,
    pub(crate) created_at: NaiveDateTime,
    pub(crate) instructions: Option<String>,
}

impl PaymentMethodRow {
    pub(crate) fn from_domain(m: &PaymentMethod) -> Self {
        Self {
            id: m.id.to_string(),
            kind: m.kind.as_str().to_owned(),
            label: m.label.clone(),
            details: m.details.clone(),
            active: m.active,
            created_at: ts(m.created_at),
            instructions: m.instructions.clone(),
        }
    }

    pub(crate) fn into_domain(self) -> Result<PaymentMethod, RepoError> {
        Ok(PaymentMethod {
            id: parse("payment_methods.id", &self.id)?,
            kind: parse("payment_methods.kind", &self.kind)?,
            label: self.label,
            details: self.details,
            instructions: self.instructions,
            active: self.active,
            created_at: utc(self.created_at),
        })
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = orders)]
pub(crate) struct OrderRow {
    pub(crate) id: String,
    pub(crate) customer_id: String,
    pub(crate) conversation_id: Option<String>,
    pub(crate) account_id: Option<String>,
    pub(crate) status: String,
    pub(crate) currency: String,
    pub(crate) total_minor: i64,
    pub(crate) delivery_address: Option<String>,
    pub(crate) payment_status: String,
    pub(crate) payment_method_id: Option<String>,
    pub(crate) payment_proof_path: Option<String>,
    pub(crate) payment_rejection_reason: Option<String>,
    pub(crate) conversation_state: String,
    pub(crate) conversation_context: String,
    pub(crate) created_at: NaiveDateTime,
    pub(crate) updated_at: NaiveDateTime,
    pub(crate) delivery_location: Option<String>,
    pub(crate) delivery_fee_minor: i64,
    pub(crate) rider: Option<String>,
    pub(crate) payment_proof_sha256: Option<String>,
    pub(crate) proof_reuse_of: Option<String>,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = order_items)]
pub(crate) struct OrderItemRow {
    pub(crate) order_id: String,
    pub(crate) line_no: i32,
    pub(crate) menu_item_id: String,
    pub(crate) name: String,
    pub(crate) unit_price_minor: i64,
    pub(crate) quantity: i32,
    pub(crate) variant: Option<String>,
}

pub(crate) fn order_rows(order: &Order) -> Result<(OrderRow, Vec<OrderItemRow>), RepoError> {
    let total = order
        .total()
        .map_err(|e| RepoError::conflict(format!("order total: {e}")))?;
    let row = OrderRow {
        id: order.id.to_string(),
        customer_id: order.customer_id.to_string(),
        conversation_id: order.conversation_id.map(|c| c.to_string()),
        account_id: order.account_id.map(|a| a.to_string()),
        status: order.status().as_str().to_owned(),
        currency: order.currency.as_str().to_owned(),
        total_minor: total.minor(),
        delivery_address: order.delivery_address.clone(),
        payment_status: order.payment.status().as_str().to_owned(),
        payment_method_id: order.payment.method_id().map(|m| m.to_string()),
        payment_proof_path: order.payment.proof_path().map(str::to_owned),
        payment_rejection_reason: order.payment.rejection_reason().map(str::to_owned),
        conversation_state: order.conversation_state.clone(),
        conversation_context: to_json(&order.conversation_context),
        created_at: ts(order.created_at),
        updated_at: ts(order.updated_at),
        delivery_location: order.delivery_location.as_ref().map(to_json),
        delivery_fee_minor: order.delivery_fee.minor(),
        rider: order.rider.as_ref().map(to_json),
        payment_proof_sha256: order.payment.proof_sha256().map(str::to_owned),
        proof_reuse_of: order.proof_reuse_of.map(|o| o.to_string()),
    };
    let items = order
        .items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            Ok(OrderItemRow {
                order_id: row.id.clone(),
                line_no: i32::try_from(i)
                    .map_err(|_| RepoError::conflict("too many order lines"))?,
                menu_item_id: item.menu_item_id.to_string(),
                name: item.name.clone(),
                unit_price_minor: item.unit_price.minor(),
                quantity: i32::try_from(item.quantity)
                    .map_err(|_| RepoError::conflict("order quantity out of range"))?,
                variant: item.variant.clone(),
            })
        })
        .collect::<Result<Vec<_>, RepoError>>()?;
    Ok((row, items))
}

pub(crate) fn order_of(row: OrderRow, items: Vec<OrderItemRow>) -> Result<Order, RepoError> {
    let currency = currency("orders.currency", &row.currency)?;
    let payment = Payment::restore(
        parse("orders.payment_status", &row.payment_status)?,
        row.payment_method_id
            .map(|m| parse("orders.payment_method_id", &m))
            .transpose()?,
        row.payment_proof_path,
        row.payment_proof_sha256,
        row.payment_rejection_reason,
    )
    .map_err(|e| RepoError::Corrupt(format!("orders.payment: {e}")))?;
    let status: OrderStatus = parse("orders.status", &row.status)?;
    let mut order = Order::new(
        parse("orders.customer_id", &row.customer_id)?,
        currency,
        utc(row.created_at),
    )
    .with_status(status);
    order.id = parse("orders.id", &row.id)?;
    order.conversation_id = row
        .conversation_id
        .map(|c| parse("orders.conversation_id", &c))
        .transpose()?;
    order.account_id = row
        .account_id
        .map(|a| parse("orders.account_id", &a))
        .transpose()?;
    order.delivery_address = row.delivery_address;
    order.delivery_location = row
        .delivery_location
        .map(|l| json("orders.delivery_location", &l))
        .transpose()?;
    order.delivery_fee = Money::from_minor(row.delivery_fee_minor, currency);
    order.rider = row.rider.map(|r| json("orders.rider", &r)).transpose()?;
    order.proof_reuse_of = row
        .proof_reuse_of
        .map(|o| parse("orders.proof_reuse_of", &o))
        .transpose()?;
    order.payment = payment;
    order.conversation_state = row.conversation_state;
    order.conversation_context = json("orders.conversation_context", &row.conversation_context)?;
    order.updated_at = utc(row.updated_at);
    order.items = items
        .into_iter()
        .map(|i| {
            Ok(OrderItem {
                menu_item_id: parse("order_items.menu_item_id", &i.menu_item_id)?,
                name: i.name,
                unit_price: Money::from_minor(i.unit_price_minor, currency),
                quantity: u32::try_from(i.quantity)
                    .map_err(|_| RepoError::Corrupt("order_items.quantity".into()))?,
                variant: i.variant,
            })
        })
        .collect::<Result<_, RepoError>>()?;
    Ok(order)
}

/// Groups item rows (sorted by order id, line) under their orders, keeping the orders' order.
pub(crate) fn orders_of(
    rows: Vec<OrderRow>,
    items: Vec<OrderItemRow>,
) -> Result<Vec<Order>, RepoError> {
    let mut by_order: std::collections::HashMap<String, Vec<OrderItemRow>> =
        std::collections::HashMap::new();
    for item in items {
        by_order
            .entry(item.order_id.clone())
            .or_default()
            .push(item);
    }
    rows.into_iter()
        .map(|row| {
            let items = by_order.remove(&row.id).unwrap_or_default();
            order_of(row, items)
        })
        .collect()
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

/// One attempt of `record_inbound` (see there).
async fn record_inbound_once(
    pool: &DbPool,
    inbound: &InboundRecord,
) -> Result<RecordedInbound, RepoError> {
    let Some(wamid) = inbound.message.wamid.as_deref() else {
        return Err(RepoError::Unexpected(
            "record_inbound: the message has no wamid".into(),
        ));
    };
    let new_customer = CustomerRow {
        id: inbound.customer.id.to_string(),
        wa_id: inbound.customer.wa_id.clone(),
        phone: inbound
            .customer
            .phone
            .as_ref()
            .map(|p| p.as_str().to_owned()),
        name: inbound.customer.name.clone(),
        created_at: ts(inbound.customer.created_at),
    };
    let account_id = inbound.account_id.to_string();
    let at = ts(inbound.at);
    let mut conn = pool.get().await?;
    let rows = write_transaction!(conn => InboundRows, {
        // A redelivery: read what the first delivery stored, write nothing.
        let found: Option<MessageRow> = messages::table
            .filter(messages::wamid.eq(wamid))
            .select(MessageRow::as_select())
            .first(conn)
            .await
            .optional()?;
        if let Some(message) = found {
            let conversation: ConversationRow = conversations::table
                .find(&message.conversation_id)
                .select(ConversationRow::as_select())
                .first(conn)
                .await?;
            let customer: CustomerRow = customers::table
                .find(&conversation.customer_id)
                .select(CustomerRow::as_select())
                .first(conn)
                .await?;
            let replies: Vec<MessageRow> = if message.handled_at.is_some() {
                messages::table
                    .filter(messages::in_reply_to.eq(&message.id))
                    .filter(messages::direction.eq(Direction::Outbound.as_str()))
                    .order((messages::created_at, messages::id))
                    .select(MessageRow::as_select())
                    .load(conn)
                    .await?
            } else {
                Vec::new()
            };
            return Ok(InboundRows { customer, conversation, message, duplicate: true, replies });
        }

        // The customer by wa_id: inserted unless known (a concurrent insert of the same wa_id
        // makes this one do nothing), then the name and phone refreshed when given.
        diesel::insert_into(customers::table)
            .values(&new_customer)
            .on_conflict(customers::wa_id)
            .do_nothing()
            .execute(conn)
            .await?;
        let mut customer: CustomerRow = customers::table
            .filter(customers::wa_id.eq(&new_customer.wa_id))
            .select(CustomerRow::as_select())
            .first(conn)
            .await?;
        let name = new_customer.name.clone().or_else(|| customer.name.clone());
        let phone = new_customer.phone.clone().or_else(|| customer.phone.clone());
        if name != customer.name || phone != customer.phone {
            diesel::update(customers::table.find(&customer.id))
                .set((customers::name.eq(&name), customers::phone.eq(&phone)))
                .execute(conn)
                .await?;
            customer.name = name;
            customer.phone = phone;
        }

        // The conversation on this number, created the same way.
        let fresh = ConversationRow {
            id: ConversationId::new().to_string(),
            customer_id: customer.id.clone(),
            account_id: account_id.clone(),
            state: NEW_CONVERSATION_STATE.to_owned(),
            context: "{}".to_owned(),
            last_inbound_at: Some(at),
            agent_paused: false,
            created_at: at,
            updated_at: at,
        };
        diesel::insert_into(conversations::table)
            .values(&fresh)
            .on_conflict((conversations::customer_id, conversations::account_id))
            .do_nothing()
            .execute(conn)
            .await?;
        let conversation_id: String = conversations::table
            .filter(conversations::customer_id.eq(&customer.id))
            .filter(conversations::account_id.eq(&account_id))
            .select(conversations::id)
            .first(conn)
            .await?;

        let mut message = MessageRow::from_domain(&inbound.message);
        message.conversation_id.clone_from(&conversation_id);
        let inserted = diesel::insert_into(messages::table)
            .values(&message)
            .on_conflict(messages::wamid)
            .do_nothing()
            .execute(conn)
            .await?;
        if inserted == 0 {
            // A concurrent copy committed after the redelivery check (Postgres only: SQLite's
            // write lock serialises the whole transaction). Roll back and let the caller retry.
            return Err(RepoError::conflict("messages.wamid").into());
        }
        diesel::update(
            conversations::table.find(&conversation_id).filter(
                conversations::last_inbound_at
                    .is_null()
                    .or(conversations::last_inbound_at.lt(at)),
            ),
        )
        .set(conversations::last_inbound_at.eq(at))
        .execute(conn)
        .await?;
        let conversation: ConversationRow = conversations::table
            .find(&conversation_id)
            .select(ConversationRow::as_select())
            .first(conn)
            .await?;
        Ok(InboundRows { customer, conversation, message, duplicate: false, replies: Vec::new() })
    })?;
    rows.into_domain()
}

#[async_trait]
impl TenantRepoPort for SqlTenantRepo {
    fn new_location(&self, store: StoreId) -> TenantLocation {
        self.new_location_for(store)
    }

    async fn provision(&self, store: StoreId) -> Result<(), RepoError> {
        self.provision_store(store).await
    }

    async fn ping(&self, store: StoreId) -> Result<(), RepoError> {
        self.pool(store).await?.ping().await
    }

    async fn upsert_customer(
        &self,
        store: StoreId,
        customer: &Customer,
    ) -> Result<Customer, RepoError> {
        let new = CustomerRow {
            id: customer.id.to_string(),
            wa_id: customer.wa_id.clone(),
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

    async fn insert_conversation(&self, store: StoreId, c: &Conversation) -> Result<(), RepoError> {
        let row = ConversationRow::from_domain(c);
        let mut conn = self.pool(store).await?.get().await?;
        db_run!(conn: {
            diesel::insert_into(conversations::table).values(&row).execute(conn).await
        })
        .map_err(diesel_error)?;
        Ok(())
    }

    async fn find_conversation(
        &self,
        store: StoreId,
        customer: CustomerId,
        account: AccountId,
    ) -> Result<Option<Conversation>, RepoError> {
        let mut conn = self.pool(store).await?.get().await?;
        let row: Option<ConversationRow> = db_run!(conn: {
            conversations::table
                .filter(conversations::customer_id.eq(customer.to_string()))
                .filter(conversations::account_id.eq(account.to_string()))
                .select(ConversationRow::as_select())
                .first(conn)
                .await
                .optional()
        })
        .map_err(diesel_error)?;
        row.map(ConversationRow::into_domain).transpose()
    }

    async fn update_conversation(&self, store: StoreId, c: &Conversation) -> Result<(), RepoError> {
        let row = ConversationRow::from_domain(c);
        let mut conn = self.pool(store).await?.get().await?;
        let n = db_run!(conn: {
            diesel::update(conversations::table.find(&row.id))
                .set((
                    conversations::state.eq(&row.state),
                    conversations::context.eq(&row.context),
                    conversations::last_inbound_at.eq(row.last_inbound_at),
                    conversations::updated_at.eq(row.updated_at),
                    conversations::agent_paused.eq(row.agent_paused),
                ))
                .execute(conn)
                .await
        })
        .map_err(diesel_error)?;
        one_row(n)
    }

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

    async fn insert_menu_item(&self, store: StoreId, item: &MenuItem) -> Result<(), RepoError> {
        let row = MenuItemRow::from_domain(item, None);
        let mut conn = self.pool(store).await?.get().await?;
        db_run!(conn: {
            diesel::insert_into(menu_items::table).values(&row).execute(conn).await
        })
        .map_err(diesel_error)?;
        Ok(())
    }

    async fn list_menu_items(&self, store: StoreId) -> Result<Vec<MenuItem>, RepoError> {
        let mut conn = self.pool(store).await?.get().await?;
        let rows: Vec<MenuItemRow> = db_run!(conn: {
            menu_items::table.select(MenuItemRow::as_select()).load(conn).await
        })
        .map_err(diesel_error)?;
        let mut items = rows
            .into_iter()
            .map(MenuItemRow::into_domain)
            .collect::<Result<Vec<_>, _>>()?;
        // Sorted here, not in SQL: the engines disagree on where NULL categories sort.
        items.sort_by(|a, b| (&a.category, &a.name, a.id).cmp(&(&b.category, &b.name, b.id)));
        Ok(items)
    }

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
        let mut conn = self.pool(store).await?.get().await?;
        let (rows, items): (Vec<OrderRow>, Vec<OrderItemRow>) = db_run!(conn: {
            let rows: Vec<OrderRow> = orders::table
                .order((orders::created_at.desc(), orders::id.desc()))
                .limit(i64::from(limit))
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

    /// A new conversation starts in state `new` with an empty context; only
    /// `last_inbound_at` moves for later messages (`updated_at` is the handler's). A known
    /// customer keeps its id and creation time and takes a given name and phone.
    async fn record_inbound(
        &self,
        store: StoreId,
        inbound: &InboundRecord,
    ) -> Result<RecordedInbound, RepoError> {
        let pool = self.pool(store).await?;
        match record_inbound_once(&pool, inbound).await {
            // A concurrent copy of the wamid won the insert; now it is a plain redelivery.
            Err(RepoError::Conflict { .. }) => record_inbound_once(&pool, inbound).await,
            other => other,
        }
    }

    /// A reply without `in_reply_to` is stored as answering `inbound`; a reply whose
    /// idempotency key (or, without one, whose id) is stored already is skipped and returned as
    /// stored. `handled_at` keeps the first completion's time.
    async fn complete_inbound(
        &self,
        store: StoreId,
        inbound: MessageId,
        completion: &Completion,
        at: DateTime<Utc>,
    ) -> Result<Vec<Message>, RepoError> {
        let inbound_id = inbound.to_string();
        let conversation = ConversationRow::from_domain(&completion.conversation);
        let order = completion
            .order
            .as_ref()
            .map(order_write_rows)
            .transpose()?;
        let rows: Vec<MessageRow> = completion
            .replies
            .iter()
            .map(|reply| {
                let mut row = MessageRow::from_domain(reply);
                if row.in_reply_to.is_none() {
                    row.in_reply_to = Some(inbound_id.clone());
                }
                row
            })
            .collect();
        let at = ts(at);
        let mut conn = self.pool(store).await?.get().await?;
        let stored = write_transaction!(conn => Vec<MessageRow>, {
            let inbound_exists: i64 = messages::table
                .find(&inbound_id)
                .count()
                .get_result(conn)
                .await?;
            if inbound_exists == 0 {
                return Err(RepoError::NotFound.into());
            }
            let updated = diesel::update(conversations::table.find(&conversation.id))
                .set((
                    conversations::state.eq(&conversation.state),
                    conversations::context.eq(&conversation.context),
                    conversations::agent_paused.eq(conversation.agent_paused),
                    conversations::updated_at.eq(conversation.updated_at),
                ))
                .execute(conn)
                .await?;
            if updated == 0 {
                return Err(RepoError::NotFound.into());
            }
            if let Some((row, items, expected)) = &order {
                write_order!(conn, row, items, *expected)?;
            }
            let stored = insert_outbound!(conn, &rows)?;
            diesel::update(
                messages::table.find(&inbound_id).filter(messages::handled_at.is_null()),
            )
            .set((
                messages::handled_at.eq(at),
                messages::transcript.eq(&completion.transcript),
                messages::media_path.eq(&completion.media_path),
            ))
            .execute(conn)
            .await?;
            Ok(stored)
        })?;
        messages_of(stored)
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

    async fn auto_reply(&self, store: StoreId) -> Result<Option<String>, RepoError> {
        let mut conn = self.pool(store).await?.get().await?;
        db_run!(conn: {
            auto_reply::table
                .find(AUTO_REPLY_ROW)
                .select(auto_reply::reply)
                .first(conn)
                .await
                .optional()
        })
        .map_err(diesel_error)
    }

    async fn set_auto_reply(
        &self,
        store: StoreId,
        reply: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<(), RepoError> {
        let at = ts(at);
        let mut conn = self.pool(store).await?.get().await?;
        db_run!(conn: {
            match reply {
                Some(reply) => {
                    diesel::insert_into(auto_reply::table)
                        .values((
                            auto_reply::id.eq(AUTO_REPLY_ROW),
                            auto_reply::reply.eq(reply),
                            auto_reply::updated_at.eq(at),
                        ))
                        .on_conflict(auto_reply::id)
                        .do_update()
                        .set((auto_reply::reply.eq(reply), auto_reply::updated_at.eq(at)))
                        .execute(conn)
                        .await
                }
                None => diesel::delete(auto_reply::table.find(AUTO_REPLY_ROW)).execute(conn).await,
            }
        })
        .map_err(diesel_error)?;
        Ok(())
    }
}
