//! `CommerceRepo` on SQL: menu and payment-method management, ordering settings, order
//! queries, owner actions (order change + messages in one transaction), proof hashes and the
//! agent's token count. Every method resolves the store to its own pool first, like
//! `tenant_queries`.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::{ExpressionMethods, OptionalExtension, QueryDsl, SelectableHelper};
use diesel_async::pg::AsyncPgConnection;
use diesel_async::{AsyncConnection, RunQueryDsl};
use omni_domain::{
    Conversation, ConversationId, Currency, Customer, MenuItem, MenuItemId, Message, Money, Order,
    OrderId, PaymentMethod, PaymentMethodId, StoreId, StoreSettings,
};
use omni_ports::{CommerceRepo, OrderFilter, OrderWrite, RepoError};

use crate::convert::{json, parse, to_json, ts};
use crate::db::{DbConn, DbError, SqliteConn, db_run, diesel_error, one_row};
use crate::schema::tenant::{
    agent_usage, conversations, customers, menu_items, order_items, orders, payment_methods,
    store_settings,
};
use crate::tenant::SqlTenantRepo;
use crate::tenant_queries::{
    ConversationRow, CustomerRow, MenuItemRow, MessageRow, OrderItemRow, OrderRow,
    PaymentMethodRow, insert_outbound, messages_of, order_write_rows, orders_of, write_order,
    write_transaction,
};

/// The only row of `store_settings`.
const SETTINGS_ROW: i32 = 1;

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

fn settings_currency(raw: &str) -> Result<Currency, RepoError> {
    Currency::parse(raw)
        .map_err(|_| RepoError::Corrupt(format!("store_settings.currency: `{raw}`")))
}

#[async_trait]
impl CommerceRepo for SqlTenantRepo {
    async fn find_menu_item(
        &self,
        store: StoreId,
        id: MenuItemId,
    ) -> Result<Option<MenuItem>, RepoError> {
        let mut conn = self.pool(store).await?.get().await?;
        let row: Option<MenuItemRow> = db_run!(conn: {
            menu_items::table
                .find(id.to_string())
                .select(MenuItemRow::as_select())
                .first(conn)
                .await
                .optional()
        })
        .map_err(diesel_error)?;
        row.map(MenuItemRow::into_domain).transpose()
    }

    async fn update_menu_item(&self, store: StoreId, item: &MenuItem) -> Result<(), RepoError> {
        let row = MenuItemRow::from_domain(item, Some(Utc::now()));
        let mut conn = self.pool(store).await?.get().await?;
        let n = db_run!(conn: {
            diesel::update(menu_items::table.find(&row.id))
                .set((
                    menu_items::name.eq(&row.name),
                    menu_items::description.eq(&row.description),
                    menu_items::category.eq(&row.category),
                    menu_items::price_minor.eq(row.price_minor),
                    menu_items::currency.eq(&row.currency),
                    menu_items::available.eq(row.available),
                    menu_items::variants.eq(&row.variants),
                    menu_items::updated_at.eq(row.updated_at),
                ))
                .execute(conn)
                .await
        })
        .map_err(diesel_error)?;
        one_row(n)
    }

    async fn delete_menu_item(&self, store: StoreId, id: MenuItemId) -> Result<(), RepoError> {
        let mut conn = self.pool(store).await?.get().await?;
        let n = db_run!(conn: {
            diesel::delete(menu_items::table.find(id.to_string())).execute(conn).await
        })
        .map_err(diesel_error)?;
        one_row(n)
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

    async fn settings(&self, store: StoreId) -> Result<Option<StoreSettings>, RepoError> {
        let mut conn = self.pool(store).await?.get().await?;
        type Row = (i64, i64, String, bool, Option<String>);
        let row: Option<Row> = db_run!(conn: {
            store_settings::table
                .find(SETTINGS_ROW)
                .select((
                    store_settings::delivery_fee_minor,
                    store_settings::min_order_minor,
                    store_settings::currency,
                    store_settings::voice_replies,
                    store_settings::rider_template,
                ))
                .first(conn)
                .await
                .optional()
        })
        .map_err(diesel_error)?;
        row.map(|(fee, min, currency, voice, template)| {
            let currency = settings_currency(&currency)?;
            Ok(StoreSettings {
                delivery_fee: Money::from_minor(fee, currency),
                min_order: Money::from_minor(min, currency),
                voice_replies: voice,
                rider_template: template
                    .map(|t| json("store_settings.rider_template", &t))
                    .transpose()?,
            })
        })
        .transpose()
    }

    async fn set_settings(
        &self,
        store: StoreId,
        settings: &StoreSettings,
        at: DateTime<Utc>,
    ) -> Result<(), RepoError> {
        if settings.delivery_fee.currency() != settings.min_order.currency() {
            return Err(RepoError::conflict(
                "fee and minimum in different currencies",
            ));
        }
        let fee = settings.delivery_fee.minor();
        let min = settings.min_order.minor();
        let currency = settings.delivery_fee.currency().as_str().to_owned();
        let template = settings.rider_template.as_ref().map(to_json);
        let at = ts(at);
        let mut conn = self.pool(store).await?.get().await?;
        db_run!(conn: {
            diesel::insert_into(store_settings::table)
                .values((
                    store_settings::id.eq(SETTINGS_ROW),
                    store_settings::delivery_fee_minor.eq(fee),
                    store_settings::min_order_minor.eq(min),
                    store_settings::currency.eq(&currency),
                    store_settings::voice_replies.eq(settings.voice_replies),
                    store_settings::rider_template.eq(&template),
                    store_settings::updated_at.eq(at),
                ))
                .on_conflict(store_settings::id)
                .do_update()
                .set((
                    store_settings::delivery_fee_minor.eq(fee),
                    store_settings::min_order_minor.eq(min),
                    store_settings::currency.eq(&currency),
                    store_settings::voice_replies.eq(settings.voice_replies),
                    store_settings::rider_template.eq(&template),
                    store_settings::updated_at.eq(at),
                ))
                .execute(conn)
                .await
        })
        .map_err(diesel_error)?;
        Ok(())
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

    async fn list_orders_where(
        &self,
        store: StoreId,
        filter: &OrderFilter,
    ) -> Result<Vec<Order>, RepoError> {
        self.load_orders(store, filter, None, false).await
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

    async fn find_conversation_by_id(
        &self,
        store: StoreId,
        id: ConversationId,
    ) -> Result<Option<Conversation>, RepoError> {
        let mut conn = self.pool(store).await?.get().await?;
        let row: Option<ConversationRow> = db_run!(conn: {
            conversations::table
                .find(id.to_string())
                .select(ConversationRow::as_select())
                .first(conn)
                .await
                .optional()
        })
        .map_err(diesel_error)?;
        row.map(ConversationRow::into_domain).transpose()
    }

    async fn set_agent_paused(
        &self,
        store: StoreId,
        conversation: ConversationId,
        paused: bool,
        at: DateTime<Utc>,
    ) -> Result<(), RepoError> {
        let at = ts(at);
        let mut conn = self.pool(store).await?.get().await?;
        let n = db_run!(conn: {
            diesel::update(conversations::table.find(conversation.to_string()))
                .set((
                    conversations::agent_paused.eq(paused),
                    conversations::updated_at.eq(at),
                ))
                .execute(conn)
                .await
        })
        .map_err(diesel_error)?;
        one_row(n)
    }

    async fn list_conversations(
        &self,
        store: StoreId,
        limit: u32,
    ) -> Result<Vec<Conversation>, RepoError> {
        let mut conn = self.pool(store).await?.get().await?;
        let rows: Vec<ConversationRow> = db_run!(conn: {
            conversations::table
                .order((conversations::updated_at.desc(), conversations::id.desc()))
                .limit(i64::from(limit.max(1)))
                .select(ConversationRow::as_select())
                .load(conn)
                .await
        })
        .map_err(diesel_error)?;
        rows.into_iter().map(ConversationRow::into_domain).collect()
    }

    async fn add_agent_tokens(
        &self,
        store: StoreId,
        day: NaiveDate,
        tokens: u64,
    ) -> Result<u64, RepoError> {
        let day = day.format("%Y-%m-%d").to_string();
        let add = i64::try_from(tokens).unwrap_or(i64::MAX);
        let mut conn = self.pool(store).await?.get().await?;
        let total: i64 = db_run!(conn: {
            diesel::insert_into(agent_usage::table)
                .values((agent_usage::day.eq(&day), agent_usage::tokens.eq(add)))
                .on_conflict(agent_usage::day)
                .do_update()
                .set(agent_usage::tokens.eq(agent_usage::tokens + add))
                .returning(agent_usage::tokens)
                .get_result(conn)
                .await
        })
        .map_err(diesel_error)?;
        Ok(u64::try_from(total).unwrap_or(0))
    }

    async fn agent_tokens(&self, store: StoreId, day: NaiveDate) -> Result<u64, RepoError> {
        let day = day.format("%Y-%m-%d").to_string();
        let mut conn = self.pool(store).await?.get().await?;
        let total: Option<i64> = db_run!(conn: {
            agent_usage::table
                .find(&day)
                .select(agent_usage::tokens)
                .first(conn)
                .await
                .optional()
        })
        .map_err(diesel_error)?;
        Ok(total.and_then(|t| u64::try_from(t).ok()).unwrap_or(0))
    }
}
