//! `TenantRepoPort` on SQL: every method resolves the store to its own pool first, so a query
//! can only ever reach that store's database. Each query is written once for both engines.

use async_trait::async_trait;
use chrono::NaiveDateTime;
use diesel::prelude::{Insertable, Queryable, Selectable};
use diesel::{ExpressionMethods, OptionalExtension, QueryDsl, SelectableHelper};
use diesel_async::{AsyncConnection, RunQueryDsl};
use omni_domain::{
    AccountId, Conversation, ConversationId, Currency, Customer, CustomerId, MenuItem, Message,
    Money, Order, OrderId, OrderItem, OrderStatus, Payment, PaymentMethod, PaymentStatus, StoreId,
    TenantLocation,
};
use omni_ports::{RepoError, TenantRepoPort};

use crate::central::parse_phone;
use crate::convert::{json, parse, to_json, ts, utc};
use crate::db::{DbError, db_run, diesel_error};
use crate::schema::tenant::{
    conversations, customers, menu_items, messages, order_items, orders, payment_methods,
};
use crate::tenant::SqlTenantRepo;

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = customers)]
struct CustomerRow {
    id: String,
    wa_id: String,
    phone: Option<String>,
    name: Option<String>,
    created_at: NaiveDateTime,
}

impl CustomerRow {
    fn into_domain(self) -> Result<Customer, RepoError> {
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
struct ConversationRow {
    id: String,
    customer_id: String,
    account_id: String,
    state: String,
    context: String,
    last_inbound_at: Option<NaiveDateTime>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl ConversationRow {
    fn from_domain(c: &Conversation) -> Self {
        Self {
            id: c.id.to_string(),
            customer_id: c.customer_id.to_string(),
            account_id: c.account_id.to_string(),
            state: c.state.clone(),
            context: to_json(&c.context),
            last_inbound_at: c.last_inbound_at.map(ts),
            created_at: ts(c.created_at),
            updated_at: ts(c.updated_at),
        }
    }

    fn into_domain(self) -> Result<Conversation, RepoError> {
        Ok(Conversation {
            id: parse("conversations.id", &self.id)?,
            customer_id: parse("conversations.customer_id", &self.customer_id)?,
            account_id: parse("conversations.account_id", &self.account_id)?,
            state: self.state,
            context: json("conversations.context", &self.context)?,
            last_inbound_at: self.last_inbound_at.map(utc),
            created_at: utc(self.created_at),
            updated_at: utc(self.updated_at),
        })
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = messages)]
struct MessageRow {
    id: String,
    conversation_id: String,
    direction: String,
    wamid: Option<String>,
    kind: String,
    body: String,
    created_at: NaiveDateTime,
}

impl MessageRow {
    fn into_domain(self) -> Result<Message, RepoError> {
        Ok(Message {
            id: parse("messages.id", &self.id)?,
            conversation_id: parse("messages.conversation_id", &self.conversation_id)?,
            direction: parse("messages.direction", &self.direction)?,
            wamid: self.wamid,
            body: json("messages.body", &self.body)?,
            created_at: utc(self.created_at),
        })
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = menu_items)]
struct MenuItemRow {
    id: String,
    name: String,
    description: Option<String>,
    category: Option<String>,
    price_minor: i64,
    currency: String,
    available: bool,
    created_at: NaiveDateTime,
}

impl MenuItemRow {
    fn into_domain(self) -> Result<MenuItem, RepoError> {
        Ok(MenuItem {
            id: parse("menu_items.id", &self.id)?,
            name: self.name,
            description: self.description,
            category: self.category,
            price: Money::from_minor(
                self.price_minor,
                currency("menu_items.currency", &self.currency)?,
            ),
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
struct PaymentMethodRow {
    id: String,
    kind: String,
    label: String,
    details: String,
    active: bool,
    created_at: NaiveDateTime,
}

impl PaymentMethodRow {
    fn into_domain(self) -> Result<PaymentMethod, RepoError> {
        Ok(PaymentMethod {
            id: parse("payment_methods.id", &self.id)?,
            kind: parse("payment_methods.kind", &self.kind)?,
            label: self.label,
            details: self.details,
            active: self.active,
            created_at: utc(self.created_at),
        })
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = orders)]
struct OrderRow {
    id: String,
    customer_id: String,
    conversation_id: Option<String>,
    account_id: Option<String>,
    status: String,
    currency: String,
    total_minor: i64,
    delivery_address: Option<String>,
    payment_status: String,
    payment_method_id: Option<String>,
    payment_proof_path: Option<String>,
    payment_rejection_reason: Option<String>,
    conversation_state: String,
    conversation_context: String,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = order_items)]
struct OrderItemRow {
    order_id: String,
    line_no: i32,
    menu_item_id: String,
    name: String,
    unit_price_minor: i64,
    quantity: i32,
}

fn order_rows(order: &Order) -> Result<(OrderRow, Vec<OrderItemRow>), RepoError> {
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
            })
        })
        .collect::<Result<Vec<_>, RepoError>>()?;
    Ok((row, items))
}

fn order_of(row: OrderRow, items: Vec<OrderItemRow>) -> Result<Order, RepoError> {
    let currency = currency("orders.currency", &row.currency)?;
    let payment = Payment::restore(
        parse("orders.payment_status", &row.payment_status)?,
        row.payment_method_id
            .map(|m| parse("orders.payment_method_id", &m))
            .transpose()?,
        row.payment_proof_path,
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
            })
        })
        .collect::<Result<_, RepoError>>()?;
    Ok(order)
}

/// Groups item rows (sorted by order id, line) under their orders, keeping the orders' order.
fn orders_of(rows: Vec<OrderRow>, items: Vec<OrderItemRow>) -> Result<Vec<Order>, RepoError> {
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
        let row = db_run!(conn: {
            conn.transaction(async |conn| -> Result<CustomerRow, DbError> {
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
            })
            .await
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
                ))
                .execute(conn)
                .await
        })
        .map_err(diesel_error)?;
        if n == 0 {
            Err(RepoError::NotFound)
        } else {
            Ok(())
        }
    }

    async fn insert_message(&self, store: StoreId, m: &Message) -> Result<(), RepoError> {
        let row = MessageRow {
            id: m.id.to_string(),
            conversation_id: m.conversation_id.to_string(),
            direction: m.direction.as_str().to_owned(),
            wamid: m.wamid.clone(),
            kind: m.body.kind().to_owned(),
            body: to_json(&m.body),
            created_at: ts(m.created_at),
        };
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
        let row = MenuItemRow {
            id: item.id.to_string(),
            name: item.name.clone(),
            description: item.description.clone(),
            category: item.category.clone(),
            price_minor: item.price.minor(),
            currency: item.price.currency().as_str().to_owned(),
            available: item.available,
            created_at: ts(item.created_at),
        };
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
        let row = PaymentMethodRow {
            id: m.id.to_string(),
            kind: m.kind.as_str().to_owned(),
            label: m.label.clone(),
            details: m.details.clone(),
            active: m.active,
            created_at: ts(m.created_at),
        };
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
                diesel::insert_into(orders::table).values(&row).execute(conn).await?;
                // One statement per line: diesel cannot batch-insert through the SQLite wrapper.
                for item in &items {
                    diesel::insert_into(order_items::table).values(item).execute(conn).await?;
                }
                Ok(())
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
                // Compare and set on the statuses: a concurrent approve/reject loses cleanly.
                let n = diesel::update(
                    orders::table
                        .filter(orders::id.eq(&row.id))
                        .filter(orders::status.eq(expected_status.as_str()))
                        .filter(orders::payment_status.eq(expected_payment.as_str())),
                )
                .set((
                    orders::conversation_id.eq(&row.conversation_id),
                    orders::account_id.eq(&row.account_id),
                    orders::status.eq(&row.status),
                    orders::total_minor.eq(row.total_minor),
                    orders::delivery_address.eq(&row.delivery_address),
                    orders::payment_status.eq(&row.payment_status),
                    orders::payment_method_id.eq(&row.payment_method_id),
                    orders::payment_proof_path.eq(&row.payment_proof_path),
                    orders::payment_rejection_reason.eq(&row.payment_rejection_reason),
                    orders::conversation_state.eq(&row.conversation_state),
                    orders::conversation_context.eq(&row.conversation_context),
                    orders::updated_at.eq(row.updated_at),
                ))
                .execute(conn)
                .await?;
                if n == 0 {
                    let exists: i64 = orders::table.find(&row.id).count().get_result(conn).await?;
                    return Err(if exists == 0 {
                        RepoError::NotFound
                    } else {
                        RepoError::conflict("order changed concurrently")
                    }
                    .into());
                }
                diesel::delete(order_items::table.filter(order_items::order_id.eq(&row.id)))
                    .execute(conn)
                    .await?;
                // One statement per line: diesel cannot batch-insert through the SQLite wrapper.
                for item in &items {
                    diesel::insert_into(order_items::table).values(item).execute(conn).await?;
                }
                Ok(())
            })
            .await
        })
        .map_err(RepoError::from)
    }
}
