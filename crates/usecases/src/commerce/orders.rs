//! Orders for the owner: lists and details with their customers, the sending number of an
//! order, and saving an order change with the message that tells its customer.

use std::collections::HashMap;
use std::sync::Arc;

use omni_domain::{
    AccountId, Conversation, Customer, CustomerId, Direction, Message, MessageBody, MessageId,
    MessageStatus, Order, OrderId, Store, StoreId, WhatsappAccount,
};
use omni_ports::meta::{OutboundContent, Recipient};
use omni_ports::{OrderFilter, OrderWrite, RepoError};
use serde::Serialize;

use super::service::{Commerce, CommerceError, conflict};
use crate::outbound::{SendError, SendOptions, WhatsAppService};

/// Whether the customer (or rider) was messaged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Notice {
    /// Queued for sending.
    Queued,
    /// Their 24-hour window is closed and no template applies: not sent.
    OutsideWindow,
    /// The store has no number that can send now.
    NoNumber,
    /// Nobody to tell (no customer number).
    NoRecipient,
}

/// An order after an owner action, and who was told.
#[derive(Debug, Clone)]
pub struct OrderUpdate {
    /// The order as saved.
    pub order: Order,
    /// The customer's message.
    pub customer: Notice,
    /// The rider's message (rider assignment only).
    pub rider: Option<Notice>,
}

/// An order with its customer and conversation, for the owner.
#[derive(Debug, Clone)]
pub struct OrderDetail {
    /// The order.
    pub order: Order,
    /// The customer.
    pub customer: Option<Customer>,
    /// The conversation.
    pub conversation: Option<Conversation>,
    /// The conversation's last messages, oldest first.
    pub messages: Vec<Message>,
}

/// An order in a list, with its customer (when the customer row exists).
#[derive(Debug, Clone)]
pub struct ListedOrder {
    /// The order.
    pub order: Order,
    /// Who ordered.
    pub customer: Option<Customer>,
}

impl Commerce {
    /// Orders by filter, newest first, each with its customer.
    ///
    /// # Errors
    /// Storage.
    pub async fn orders(
        &self,
        store: StoreId,
        filter: &OrderFilter,
    ) -> Result<Vec<ListedOrder>, CommerceError> {
        let orders = self.commerce.list_orders_where(store, filter).await?;
        self.with_customers(store, orders).await
    }

    /// Pairs each order with its customer, read in one query.
    pub(super) async fn with_customers(
        &self,
        store: StoreId,
        orders: Vec<Order>,
    ) -> Result<Vec<ListedOrder>, CommerceError> {
        let mut ids: Vec<CustomerId> = orders.iter().map(|o| o.customer_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let customers: HashMap<CustomerId, Customer> = self
            .tenants
            .find_customers(store, &ids)
            .await?
            .into_iter()
            .map(|c| (c.id, c))
            .collect();
        Ok(orders
            .into_iter()
            .map(|order| ListedOrder {
                customer: customers.get(&order.customer_id).cloned(),
                order,
            })
            .collect())
    }

    pub(super) async fn order(&self, store: StoreId, id: OrderId) -> Result<Order, CommerceError> {
        self.tenants
            .find_order(store, id)
            .await?
            .ok_or(CommerceError::NotFound("order"))
    }

    /// One order with its customer and conversation.
    ///
    /// # Errors
    /// `NotFound`; storage.
    pub async fn order_detail(
        &self,
        store: StoreId,
        id: OrderId,
    ) -> Result<OrderDetail, CommerceError> {
        let order = self.order(store, id).await?;
        let customer = self.tenants.find_customer(store, order.customer_id).await?;
        let conversation = match order.conversation_id {
            Some(c) => self.commerce.find_conversation_by_id(store, c).await?,
            None => None,
        };
        let messages = match &conversation {
            Some(c) => self.tenants.list_messages(store, c.id, 50).await?,
            None => Vec::new(),
        };
        Ok(OrderDetail {
            order,
            customer,
            conversation,
            messages,
        })
    }

    /// The sending account for an order: its own number when it can send, else the store's.
    pub(super) async fn sender(
        &self,
        store: &Store,
        account: Option<AccountId>,
    ) -> Result<Option<WhatsappAccount>, CommerceError> {
        if let Some(id) = account
            && let Some(a) = self.central.find_account(store.id, id).await?
            && a.is_active()
        {
            return Ok(Some(a));
        }
        let accounts = self.central.list_accounts(store.id).await?;
        Ok(store.active_whatsapp_account(&accounts).cloned())
    }

    /// Saves `order` (compare and set against `before`) with one text to its customer, then
    /// queues it. The customer is told only inside their 24-hour window.
    pub(super) async fn save_and_tell(
        &self,
        store: &Store,
        before: &Order,
        order: Order,
        body: String,
    ) -> Result<(Order, Notice), CommerceError> {
        let now = self.clock.now();
        let write = OrderWrite::Update {
            expected_status: before.status(),
            expected_payment: before.payment.status(),
            order: order.clone(),
        };
        let customer = self
            .tenants
            .find_customer(store.id, before.customer_id)
            .await?;
        let conversation = match before.conversation_id {
            Some(c) => self.commerce.find_conversation_by_id(store.id, c).await?,
            None => None,
        };
        let window_ends = conversation.as_ref().and_then(Conversation::window_end);
        let account = self.sender(store, before.account_id).await?;
        let recipient = customer.as_ref().map(|c| match &c.phone {
            Some(p) => Recipient::Phone(p.as_str().to_owned()),
            None => Recipient::UserId(c.wa_id().to_owned()),
        });
        let notice = match (&conversation, &account, &recipient) {
            (_, _, None) | (None, _, _) => Notice::NoRecipient,
            (_, None, _) => Notice::NoNumber,
            _ if window_ends.is_none_or(|w| now >= w) => Notice::OutsideWindow,
            _ => Notice::Queued,
        };
        let mut messages = Vec::new();
        if notice == Notice::Queued
            && let Some(c) = &conversation
        {
            let id = MessageId::new();
            let mut m = Message::new(
                id,
                c.id,
                Direction::Outbound,
                MessageBody::Text { body: body.clone() },
                now,
            );
            m.status = Some(MessageStatus::Queued);
            m.status_at = Some(now);
            m.idempotency_key = Some(format!("owner:{id}"));
            messages.push(m);
        }
        let stored = match self
            .commerce
            .save_order_change(store.id, &write, &messages)
            .await
        {
            Err(RepoError::Conflict { .. }) => {
                return Err(conflict(
                    "order_changed",
                    "the order changed meanwhile; reload it and try again",
                ));
            }
            other => other?,
        };
        if let (Some(m), Some(account), Some(to)) = (stored.first(), &account, recipient) {
            let service = WhatsAppService::for_account(
                Arc::clone(&self.outbox),
                Arc::clone(&self.clock),
                account,
            )
            .map_err(|e| conflict("number_unavailable", e.to_string()))?;
            match service
                .send(
                    to,
                    OutboundContent::Text {
                        body,
                        preview_url: false,
                    },
                    SendOptions {
                        idempotency_key: m.idempotency_key.clone(),
                        window_ends_at: window_ends,
                        tenant_message_id: Some(m.id),
                        reply_to: None,
                    },
                )
                .await
            {
                Ok(_) => {}
                Err(SendError::Repo(e)) => return Err(e.into()),
                Err(e) => {
                    tracing::warn!(store = %store.id, order = %order.id, error = %e, "customer not messaged");
                    return Ok((order, Notice::OutsideWindow));
                }
            }
        }
        Ok((order, notice))
    }
}
