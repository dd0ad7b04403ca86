//! [`ConversationRepo`] on SQL: conversations, and the two transactions of an inbound message
//! (recorded on arrival with the wamid dedupe, completed with its replies and order change).

use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::{
    BoolExpressionMethods, ExpressionMethods, OptionalExtension, QueryDsl, SelectableHelper,
};
use diesel_async::pg::AsyncPgConnection;
use diesel_async::{AsyncConnection, RunQueryDsl};
use omni_domain::{
    AccountId, Conversation, ConversationId, ConversationState, CustomerId, Direction, MessageId,
    StoreId,
};
use omni_ports::{Completion, ConversationRepo, InboundRecord, RecordedInbound, Reply, RepoError};

use super::message_rows::{ConversationRow, CustomerRow, MessageRow};
use super::order_rows::{OrderItemRow, OrderRow};
use super::tx::{insert_outbound, order_write_rows, write_order, write_transaction};
use crate::convert::ts;
use crate::db::{DbConn, DbError, DbPool, SqliteConn, db_run, diesel_error, one_row};
use crate::schema::tenant::{conversations, customers, messages};
use crate::tenant::SqlTenantRepo;

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
            replies: self
                .replies
                .into_iter()
                .map(MessageRow::into_saved_reply)
                .collect::<Result<_, _>>()?,
        })
    }
}

/// The customer row an inbound message brings (stored unless its wa_id is known).
fn new_customer_row(inbound: &InboundRecord) -> CustomerRow {
    CustomerRow {
        id: inbound.customer.id.to_string(),
        wa_id: inbound.customer.wa_id().to_owned(),
        phone: inbound
            .customer
            .phone
            .as_ref()
            .map(|p| p.as_str().to_owned()),
        name: inbound.customer.name.clone(),
        created_at: ts(inbound.customer.created_at),
    }
}

/// Step 1 of `record_inbound_once`, in its transaction on `$conn`: a redelivery. Reads what the
/// first delivery of `$wamid` stored (its message, conversation, customer and, once handled,
/// replies) and writes nothing. Evaluates to `Result<Option<InboundRows>, DbError>`: `None`
/// when the wamid is new.
macro_rules! stored_delivery {
    ($conn:ident, $wamid:expr) => {{
        let wamid: &str = $wamid;
        let outcome: Result<Option<InboundRows>, DbError> = async {
            let found: Option<MessageRow> = messages::table
                .filter(messages::wamid.eq(wamid))
                .select(MessageRow::as_select())
                .first($conn)
                .await
                .optional()?;
            let Some(message) = found else {
                return Ok(None);
            };
            let conversation: ConversationRow = conversations::table
                .find(&message.conversation_id)
                .select(ConversationRow::as_select())
                .first($conn)
                .await?;
            let customer: CustomerRow = customers::table
                .find(&conversation.customer_id)
                .select(CustomerRow::as_select())
                .first($conn)
                .await?;
            let replies: Vec<MessageRow> = if message.handled_at.is_some() {
                messages::table
                    .filter(messages::in_reply_to.eq(&message.id))
                    .filter(messages::direction.eq(Direction::Outbound.as_str()))
                    .order((messages::created_at, messages::id))
                    .select(MessageRow::as_select())
                    .load($conn)
                    .await?
            } else {
                Vec::new()
            };
            Ok(Some(InboundRows {
                customer,
                conversation,
                message,
                duplicate: true,
                replies,
            }))
        }
        .await;
        outcome
    }};
}

/// Step 2, in the transaction on `$conn`: the customer by wa_id, inserted unless known (a
/// concurrent insert of the same wa_id makes this one do nothing), then the name and phone
/// refreshed when given. Evaluates to `Result<CustomerRow, DbError>`: the customer as stored.
macro_rules! find_or_create_customer {
    ($conn:ident, $new:expr) => {{
        let new_customer: &CustomerRow = $new;
        let outcome: Result<CustomerRow, DbError> = async {
            diesel::insert_into(customers::table)
                .values(new_customer)
                .on_conflict(customers::wa_id)
                .do_nothing()
                .execute($conn)
                .await?;
            let mut customer: CustomerRow = customers::table
                .filter(customers::wa_id.eq(&new_customer.wa_id))
                .select(CustomerRow::as_select())
                .first($conn)
                .await?;
            let name = new_customer.name.clone().or_else(|| customer.name.clone());
            let phone = new_customer
                .phone
                .clone()
                .or_else(|| customer.phone.clone());
            if name != customer.name || phone != customer.phone {
                diesel::update(customers::table.find(&customer.id))
                    .set((customers::name.eq(&name), customers::phone.eq(&phone)))
                    .execute($conn)
                    .await?;
                customer.name = name;
                customer.phone = phone;
            }
            Ok(customer)
        }
        .await;
        outcome
    }};
}

/// Step 3, in the transaction on `$conn`: the customer's conversation on the number
/// `$account_id`, created the same way (inserted in state `new` unless there is one). Evaluates
/// to `Result<String, DbError>`: the conversation's id.
macro_rules! find_or_create_conversation {
    ($conn:ident, $customer:expr, $account_id:expr, $at:expr) => {{
        let customer: &CustomerRow = $customer;
        let account_id: &String = $account_id;
        let at: NaiveDateTime = $at;
        let outcome: Result<String, DbError> = async {
            let fresh = ConversationRow {
                id: ConversationId::new().to_string(),
                customer_id: customer.id.clone(),
                account_id: account_id.clone(),
                state: ConversationState::initial().to_string(),
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
                .execute($conn)
                .await?;
            let conversation_id: String = conversations::table
                .filter(conversations::customer_id.eq(&customer.id))
                .filter(conversations::account_id.eq(account_id))
                .select(conversations::id)
                .first($conn)
                .await?;
            Ok(conversation_id)
        }
        .await;
        outcome
    }};
}

/// Step 4, in the transaction on `$conn`: the message inserted into conversation
/// `$conversation_id`, and the conversation's `last_inbound_at` moved forward to `$at`. Errs
/// with `Conflict` (the caller rolls back and retries) when a concurrent copy of the wamid
/// committed after the redelivery check. Evaluates to
/// `Result<(MessageRow, ConversationRow), DbError>`: the message and the conversation as stored.
macro_rules! insert_inbound_message {
    ($conn:ident, $message:expr, $conversation_id:expr, $at:expr) => {{
        let conversation_id: &String = $conversation_id;
        let at: NaiveDateTime = $at;
        let outcome: Result<(MessageRow, ConversationRow), DbError> = async {
            let mut message = MessageRow::from_domain($message);
            message.conversation_id.clone_from(conversation_id);
            let inserted = diesel::insert_into(messages::table)
                .values(&message)
                .on_conflict(messages::wamid)
                .do_nothing()
                .execute($conn)
                .await?;
            if inserted == 0 {
                // A concurrent copy committed after the redelivery check (Postgres only:
                // SQLite's write lock serialises the whole transaction). Roll back and let the
                // caller retry.
                return Err(RepoError::conflict("messages.wamid").into());
            }
            diesel::update(
                conversations::table.find(conversation_id).filter(
                    conversations::last_inbound_at
                        .is_null()
                        .or(conversations::last_inbound_at.lt(at)),
                ),
            )
            .set(conversations::last_inbound_at.eq(at))
            .execute($conn)
            .await?;
            let conversation: ConversationRow = conversations::table
                .find(conversation_id)
                .select(ConversationRow::as_select())
                .first($conn)
                .await?;
            Ok((message, conversation))
        }
        .await;
        outcome
    }};
}

/// One attempt of `record_inbound` (see there): one write transaction of the steps above, in
/// order. A redelivery reads and writes nothing; a new wamid finds or creates its customer and
/// conversation and inserts the message.
async fn record_inbound_once(
    pool: &DbPool,
    inbound: &InboundRecord,
) -> Result<RecordedInbound, RepoError> {
    let Some(wamid) = inbound.message.wamid.as_deref() else {
        return Err(RepoError::Unexpected(
            "record_inbound: the message has no wamid".into(),
        ));
    };
    let new_customer = new_customer_row(inbound);
    let account_id = inbound.account_id.to_string();
    let at = ts(inbound.at);
    let mut conn = pool.get().await?;
    let rows = write_transaction!(conn => InboundRows, {
        if let Some(stored) = stored_delivery!(conn, wamid)? {
            return Ok(stored);
        }
        let customer = find_or_create_customer!(conn, &new_customer)?;
        let conversation_id = find_or_create_conversation!(conn, &customer, &account_id, at)?;
        let (message, conversation) =
            insert_inbound_message!(conn, &inbound.message, &conversation_id, at)?;
        Ok(InboundRows { customer, conversation, message, duplicate: false, replies: Vec::new() })
    })?;
    rows.into_domain()
}

#[async_trait]
impl ConversationRepo for SqlTenantRepo {
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
    ) -> Result<Vec<Reply>, RepoError> {
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
                let mut row = MessageRow::of_reply(reply);
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
        stored
            .into_iter()
            .zip(&completion.replies)
            .map(|(row, given)| {
                let saved = row.into_saved_reply()?;
                Ok(Reply {
                    message: saved.message,
                    // A row saved before contents were kept: the content just decided.
                    content: saved.content.unwrap_or_else(|| given.content.clone()),
                })
            })
            .collect()
    }
}
