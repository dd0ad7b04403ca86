//! Rows of the commerce tables (menu items, payment methods, orders and their lines) and
//! their conversion to and from domain values.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::{Insertable, Queryable, Selectable};
use omni_domain::{
    Currency, MenuItem, Money, Order, OrderItem, OrderStatus, Payment, PaymentMethod,
};
use omni_ports::RepoError;

use crate::convert::{json, parse, to_json, ts, utc};
use crate::schema::tenant::{menu_items, order_items, orders, payment_methods};

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
        conversation_state: order.conversation_state.to_string(),
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
    order.conversation_state = parse("orders.conversation_state", &row.conversation_state)?;
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
