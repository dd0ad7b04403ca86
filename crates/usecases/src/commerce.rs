//! The owner's side of ordering: the menu, payment methods and ordering settings; orders and
//! their lifecycle; the payment-verification queue; riders; pausing the agent for one
//! conversation. Every change that tells the customer something saves the order and the
//! message in one tenant transaction, then queues the message in the outbox under the
//! message's own idempotency key.

use std::collections::HashMap;
use std::sync::Arc;

use omni_domain::{
    AccountId, Conversation, ConversationId, Customer, CustomerId, Direction, MenuItem, MenuItemId,
    MenuVariant, Message, MessageBody, MessageId, MessageStatus, Money, Order, OrderId,
    OrderStatus, PaymentMethod, PaymentMethodId, PaymentMethodKind, PaymentStatus, PhoneNumber,
    Rider, Store, StoreId, StoreSettings, TemplateRef, WhatsappAccount,
};
use omni_ports::meta::{
    OutboundContent, Recipient, TemplateComponent, TemplateComponentKind, TemplateParameter,
};
use omni_ports::{
    CentralRepo, Clock, CommerceRepo, MediaError, MediaObject, MediaStorePort, OrderFilter,
    OrderWrite, OutboxRepo, RepoError, TenantRepoPort,
};
use serde::Serialize;

use crate::agent::text;
use crate::conversation::window_end_after;
use crate::outbound::{SendError, SendOptions, WhatsAppService};

/// Why an owner action failed. `code` values are stable (the HTTP layer sends them).
#[derive(Debug, thiserror::Error)]
pub enum CommerceError {
    /// No such thing in this store.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// Bad input.
    #[error("{message}")]
    Invalid {
        /// Stable code.
        code: &'static str,
        /// What is wrong.
        message: String,
    },
    /// Not allowed in the current state (an illegal transition, a concurrent change).
    #[error("{message}")]
    Conflict {
        /// Stable code.
        code: &'static str,
        /// What is wrong.
        message: String,
    },
    /// Storage failed.
    #[error(transparent)]
    Repo(#[from] RepoError),
    /// The media store failed.
    #[error("media store: {0}")]
    Media(String),
}

fn invalid(code: &'static str, message: impl Into<String>) -> CommerceError {
    CommerceError::Invalid {
        code,
        message: message.into(),
    }
}

fn conflict(code: &'static str, message: impl Into<String>) -> CommerceError {
    CommerceError::Conflict {
        code,
        message: message.into(),
    }
}

/// A menu item as the owner writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MenuItemInput {
    /// 1 to 80 characters.
    pub name: String,
    /// Up to 300 characters.
    pub description: Option<String>,
    /// Up to 60 characters.
    pub category: Option<String>,
    /// Price in paisa, 0 or more.
    pub price_paisa: i64,
    /// Variants (name, price in paisa); names unique without case.
    pub variants: Vec<(String, i64)>,
    /// Can be ordered now.
    pub available: bool,
}

/// A payment method as the owner writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentMethodInput {
    /// Kind.
    pub kind: PaymentMethodKind,
    /// Title shown to customers, 1 to 60 characters.
    pub label: String,
    /// Account number, IBAN or wallet number; 1 to 200 characters (may be empty for cash).
    pub details: String,
    /// Instructions, up to 500 characters.
    pub instructions: Option<String>,
    /// Offered now.
    pub active: bool,
}

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

/// The owner's ordering operations.
#[derive(Clone)]
pub struct Commerce {
    central: Arc<dyn CentralRepo>,
    tenants: Arc<dyn TenantRepoPort>,
    commerce: Arc<dyn CommerceRepo>,
    outbox: Arc<dyn OutboxRepo>,
    media: Arc<dyn MediaStorePort>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Commerce {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Commerce")
    }
}

fn check_len(
    code: &'static str,
    field: &str,
    value: &str,
    min: usize,
    max: usize,
) -> Result<String, CommerceError> {
    let v = value.trim();
    let n = v.chars().count();
    if n < min || n > max || v.chars().any(char::is_control) {
        return Err(invalid(
            code,
            format!("{field} must be {min} to {max} characters"),
        ));
    }
    Ok(v.to_owned())
}

fn check_optional(
    code: &'static str,
    field: &str,
    value: Option<&str>,
    max: usize,
) -> Result<Option<String>, CommerceError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) if v.chars().count() > max => Err(invalid(
            code,
            format!("{field} must be at most {max} characters"),
        )),
        Some(v) => Ok(Some(v.to_owned())),
    }
}

fn check_paisa(field: &str, paisa: i64) -> Result<(), CommerceError> {
    // Up to Rs 10 crore: anything larger is a typo, and it keeps line totals far from overflow.
    if !(0..=10_000_000_000).contains(&paisa) {
        return Err(invalid(
            "invalid_price",
            format!("{field} must be 0 to 10,000,000,000 paisa"),
        ));
    }
    Ok(())
}

impl Commerce {
    /// The operations over their ports.
    #[must_use]
    pub fn new(
        central: Arc<dyn CentralRepo>,
        tenants: Arc<dyn TenantRepoPort>,
        commerce: Arc<dyn CommerceRepo>,
        outbox: Arc<dyn OutboxRepo>,
        media: Arc<dyn MediaStorePort>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            central,
            tenants,
            commerce,
            outbox,
            media,
            clock,
        }
    }

    async fn store(&self, store: StoreId) -> Result<Store, CommerceError> {
        self.central
            .find_store(store)
            .await?
            .ok_or(CommerceError::NotFound("store"))
    }

    // --- Menu ----------------------------------------------------------------------------

    fn menu_item(
        store: &Store,
        id: MenuItemId,
        input: &MenuItemInput,
        created_at: chrono::DateTime<chrono::Utc>,
    ) -> Result<MenuItem, CommerceError> {
        let name = check_len("invalid_name", "name", &input.name, 1, 80)?;
        let description = check_optional(
            "invalid_description",
            "description",
            input.description.as_deref(),
            300,
        )?;
        let category = check_optional(
            "invalid_category",
            "category",
            input.category.as_deref(),
            60,
        )?;
        check_paisa("price_paisa", input.price_paisa)?;
        if input.variants.len() > 10 {
            return Err(invalid("invalid_variants", "at most 10 variants"));
        }
        let mut variants: Vec<MenuVariant> = Vec::with_capacity(input.variants.len());
        for (vname, paisa) in &input.variants {
            let vname = check_len("invalid_variants", "variant name", vname, 1, 40)?;
            check_paisa("variant price", *paisa)?;
            if variants.iter().any(|v| v.name.eq_ignore_ascii_case(&vname)) {
                return Err(invalid(
                    "invalid_variants",
                    format!("variant `{vname}` appears twice"),
                ));
            }
            variants.push(MenuVariant {
                name: vname,
                price: Money::from_minor(*paisa, store.currency),
            });
        }
        Ok(MenuItem {
            id,
            name,
            description,
            category,
            // With variants, the item's price is the first variant's (what "from" shows).
            price: variants.first().map_or_else(
                || Money::from_minor(input.price_paisa, store.currency),
                |v| v.price,
            ),
            variants,
            available: input.available,
            created_at,
        })
    }

    /// The menu.
    ///
    /// # Errors
    /// Storage.
    pub async fn menu(&self, store: StoreId) -> Result<Vec<MenuItem>, CommerceError> {
        Ok(self.tenants.list_menu_items(store).await?)
    }

    /// Adds a menu item.
    ///
    /// # Errors
    /// `Invalid` input; storage.
    pub async fn add_menu_item(
        &self,
        store: StoreId,
        input: &MenuItemInput,
    ) -> Result<MenuItem, CommerceError> {
        let s = self.store(store).await?;
        let item = Self::menu_item(&s, MenuItemId::new(), input, self.clock.now())?;
        self.tenants.insert_menu_item(store, &item).await?;
        Ok(item)
    }

    /// Replaces a menu item.
    ///
    /// # Errors
    /// `NotFound`, `Invalid`; storage.
    pub async fn update_menu_item(
        &self,
        store: StoreId,
        id: MenuItemId,
        input: &MenuItemInput,
    ) -> Result<MenuItem, CommerceError> {
        let s = self.store(store).await?;
        let existing = self
            .commerce
            .find_menu_item(store, id)
            .await?
            .ok_or(CommerceError::NotFound("menu item"))?;
        let item = Self::menu_item(&s, id, input, existing.created_at)?;
        self.commerce.update_menu_item(store, &item).await?;
        Ok(item)
    }

    /// Deletes a menu item (orders keep their copied lines).
    ///
    /// # Errors
    /// `NotFound`; storage.
    pub async fn delete_menu_item(
        &self,
        store: StoreId,
        id: MenuItemId,
    ) -> Result<(), CommerceError> {
        match self.commerce.delete_menu_item(store, id).await {
            Err(RepoError::NotFound) => Err(CommerceError::NotFound("menu item")),
            other => Ok(other?),
        }
    }

    // --- Payment methods -------------------------------------------------------------------

    fn payment_method(
        id: PaymentMethodId,
        input: &PaymentMethodInput,
        created_at: chrono::DateTime<chrono::Utc>,
    ) -> Result<PaymentMethod, CommerceError> {
        let label = check_len("invalid_label", "label", &input.label, 1, 60)?;
        let min = usize::from(input.kind.needs_proof());
        let details = check_len("invalid_details", "details", &input.details, min, 200)?;
        let instructions = check_optional(
            "invalid_instructions",
            "instructions",
            input.instructions.as_deref(),
            500,
        )?;
        Ok(PaymentMethod {
            id,
            kind: input.kind,
            label,
            details,
            instructions,
            active: input.active,
            created_at,
        })
    }

    /// The payment methods.
    ///
    /// # Errors
    /// Storage.
    pub async fn payment_methods(
        &self,
        store: StoreId,
    ) -> Result<Vec<PaymentMethod>, CommerceError> {
        Ok(self.tenants.list_payment_methods(store).await?)
    }

    /// Adds a payment method.
    ///
    /// # Errors
    /// `Invalid`; storage.
    pub async fn add_payment_method(
        &self,
        store: StoreId,
        input: &PaymentMethodInput,
    ) -> Result<PaymentMethod, CommerceError> {
        self.store(store).await?;
        let m = Self::payment_method(PaymentMethodId::new(), input, self.clock.now())?;
        self.tenants.insert_payment_method(store, &m).await?;
        Ok(m)
    }

    /// Replaces a payment method.
    ///
    /// # Errors
    /// `NotFound`, `Invalid`; storage.
    pub async fn update_payment_method(
        &self,
        store: StoreId,
        id: PaymentMethodId,
        input: &PaymentMethodInput,
    ) -> Result<PaymentMethod, CommerceError> {
        let existing = self
            .commerce
            .find_payment_method(store, id)
            .await?
            .ok_or(CommerceError::NotFound("payment method"))?;
        let m = Self::payment_method(id, input, existing.created_at)?;
        self.commerce.update_payment_method(store, &m).await?;
        Ok(m)
    }

    /// Deletes a payment method.
    ///
    /// # Errors
    /// `NotFound`; storage.
    pub async fn delete_payment_method(
        &self,
        store: StoreId,
        id: PaymentMethodId,
    ) -> Result<(), CommerceError> {
        match self.commerce.delete_payment_method(store, id).await {
            Err(RepoError::NotFound) => Err(CommerceError::NotFound("payment method")),
            other => Ok(other?),
        }
    }

    // --- Settings ---------------------------------------------------------------------------

    /// The ordering settings (defaults until set).
    ///
    /// # Errors
    /// Storage.
    pub async fn settings(&self, store: StoreId) -> Result<StoreSettings, CommerceError> {
        let s = self.store(store).await?;
        Ok(self
            .commerce
            .settings(store)
            .await?
            .unwrap_or_else(|| StoreSettings::defaults(s.currency)))
    }

    /// Sets the ordering settings.
    ///
    /// # Errors
    /// `Invalid`; storage.
    pub async fn set_settings(
        &self,
        store: StoreId,
        delivery_fee_paisa: i64,
        min_order_paisa: i64,
        voice_replies: bool,
        rider_template: Option<TemplateRef>,
    ) -> Result<StoreSettings, CommerceError> {
        let s = self.store(store).await?;
        check_paisa("delivery_fee_paisa", delivery_fee_paisa)?;
        check_paisa("min_order_paisa", min_order_paisa)?;
        if let Some(t) = &rider_template {
            let ok_name = !t.name.is_empty()
                && t.name.len() <= 512
                && t.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            let ok_lang = (2..=10).contains(&t.language.len())
                && t.language
                    .chars()
                    .all(|c| c.is_ascii_alphabetic() || c == '_');
            if !ok_name || !ok_lang {
                return Err(invalid(
                    "invalid_template",
                    "rider_template needs a template name (lowercase, digits, _) and a language code like en_US",
                ));
            }
        }
        let settings = StoreSettings {
            delivery_fee: Money::from_minor(delivery_fee_paisa, s.currency),
            min_order: Money::from_minor(min_order_paisa, s.currency),
            voice_replies,
            rider_template,
        };
        self.commerce
            .set_settings(store, &settings, self.clock.now())
            .await?;
        Ok(settings)
    }

    // --- Orders -----------------------------------------------------------------------------

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
    async fn with_customers(
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

    async fn order(&self, store: StoreId, id: OrderId) -> Result<Order, CommerceError> {
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
    async fn sender(
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
    async fn save_and_tell(
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
            None => Recipient::UserId(c.wa_id.clone()),
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

    /// Moves an order on (confirmed, preparing, out for delivery, delivered, cancelled) and
    /// tells the customer.
    ///
    /// # Errors
    /// `NotFound`; `Conflict` `illegal_transition` or `order_changed`.
    pub async fn advance(
        &self,
        store: StoreId,
        id: OrderId,
        to: OrderStatus,
    ) -> Result<OrderUpdate, CommerceError> {
        let s = self.store(store).await?;
        let before = self.order(store, id).await?;
        let mut order = before.clone();
        order
            .advance(to, self.clock.now())
            .map_err(|e| conflict("illegal_transition", e.to_string()))?;
        let body = text::status_update(&order);
        let (order, customer) = self.save_and_tell(&s, &before, order, body).await?;
        Ok(OrderUpdate {
            order,
            customer,
            rider: None,
        })
    }

    /// Approves a pending payment proof: paid, a placed order is confirmed, the customer is
    /// told.
    ///
    /// # Errors
    /// `NotFound`; `Conflict` `not_pending` or `order_changed`.
    pub async fn approve_payment(
        &self,
        store: StoreId,
        id: OrderId,
    ) -> Result<OrderUpdate, CommerceError> {
        let s = self.store(store).await?;
        let before = self.order(store, id).await?;
        let mut order = before.clone();
        order
            .payment
            .approve()
            .map_err(|e| conflict("not_pending", e.to_string()))?;
        let now = self.clock.now();
        if order.status() == OrderStatus::Placed {
            order
                .advance(OrderStatus::Confirmed, now)
                .map_err(|e| conflict("illegal_transition", e.to_string()))?;
        }
        order.updated_at = now;
        let body = text::payment_approved(&order);
        let (order, customer) = self.save_and_tell(&s, &before, order, body).await?;
        Ok(OrderUpdate {
            order,
            customer,
            rider: None,
        })
    }

    /// Rejects a pending payment proof with a reason; the customer is asked for a new one.
    ///
    /// # Errors
    /// `Invalid` reason; `NotFound`; `Conflict` `not_pending` or `order_changed`.
    pub async fn reject_payment(
        &self,
        store: StoreId,
        id: OrderId,
        reason: &str,
    ) -> Result<OrderUpdate, CommerceError> {
        let reason = check_len("invalid_reason", "reason", reason, 1, 300)?;
        let s = self.store(store).await?;
        let before = self.order(store, id).await?;
        let mut order = before.clone();
        order
            .payment
            .reject(reason.clone())
            .map_err(|e| conflict("not_pending", e.to_string()))?;
        order.updated_at = self.clock.now();
        let body = text::payment_rejected(&order, &reason);
        let (order, customer) = self.save_and_tell(&s, &before, order, body).await?;
        Ok(OrderUpdate {
            order,
            customer,
            rider: None,
        })
    }

    /// Orders whose payment proof waits for the owner, oldest first.
    ///
    /// # Errors
    /// Storage.
    pub async fn pending_verifications(
        &self,
        store: StoreId,
    ) -> Result<Vec<ListedOrder>, CommerceError> {
        let mut orders = self
            .commerce
            .list_orders_where(
                store,
                &OrderFilter {
                    statuses: Vec::new(),
                    payment: Some(PaymentStatus::PendingVerification),
                    limit: 200,
                },
            )
            .await?;
        orders.reverse();
        self.with_customers(store, orders).await
    }

    /// The latest payment proof of an order.
    ///
    /// # Errors
    /// `NotFound` (no order or no proof); `Media`.
    pub async fn proof(&self, store: StoreId, id: OrderId) -> Result<MediaObject, CommerceError> {
        let order = self.order(store, id).await?;
        let key = order
            .payment
            .proof_path()
            .ok_or(CommerceError::NotFound("payment proof"))?;
        // Keys are written per store; a key of another store is never served.
        if !key.starts_with(&format!("stores/{store}/")) {
            return Err(CommerceError::NotFound("payment proof"));
        }
        match self.media.get(key).await {
            Ok(o) => Ok(o),
            Err(MediaError::NotFound) => Err(CommerceError::NotFound("payment proof")),
            Err(e) => Err(CommerceError::Media(omni_ports::error_chain(&e))),
        }
    }

    /// Assigns a rider: the customer gets the rider's name and number; the rider gets the
    /// order, the address and the pin (free-form inside the rider's own 24-hour window with
    /// the store, else the store's rider template).
    ///
    /// # Errors
    /// `Invalid` name or phone; `NotFound`; `Conflict` `illegal_transition` (delivered or
    /// cancelled) or `order_changed`.
    pub async fn assign_rider(
        &self,
        store: StoreId,
        id: OrderId,
        name: &str,
        phone: &str,
    ) -> Result<OrderUpdate, CommerceError> {
        let name = check_len("invalid_name", "name", name, 1, 80)?;
        let phone =
            PhoneNumber::parse(phone).map_err(|e| invalid("invalid_phone", e.to_string()))?;
        let s = self.store(store).await?;
        let before = self.order(store, id).await?;
        if before.status().is_final() || before.status() == OrderStatus::Cart {
            return Err(conflict(
                "illegal_transition",
                format!("a rider cannot be assigned to a {} order", before.status()),
            ));
        }
        let rider = Rider { name, phone };
        let mut order = before.clone();
        order.rider = Some(rider.clone());
        order.updated_at = self.clock.now();
        let body = text::rider_for_customer(&order, &rider);
        let (order, customer) = self.save_and_tell(&s, &before, order, body).await?;
        let rider_notice = self.tell_rider(&s, &order, &rider).await?;
        Ok(OrderUpdate {
            order,
            customer,
            rider: Some(rider_notice),
        })
    }

    async fn tell_rider(
        &self,
        store: &Store,
        order: &Order,
        rider: &Rider,
    ) -> Result<Notice, CommerceError> {
        let now = self.clock.now();
        let Some(account) = self.sender(store, order.account_id).await? else {
            return Ok(Notice::NoNumber);
        };
        let service = WhatsAppService::for_account(
            Arc::clone(&self.outbox),
            Arc::clone(&self.clock),
            &account,
        )
        .map_err(|e| conflict("number_unavailable", e.to_string()))?;
        // The rider's own window with this number, if they ever wrote to it.
        let wa_id = rider.phone.as_str().trim_start_matches('+');
        let last_inbound = match self
            .commerce
            .find_customer_by_wa_id(store.id, wa_id)
            .await?
        {
            Some(c) => self
                .tenants
                .find_conversation(store.id, c.id, account.id)
                .await?
                .and_then(|c| c.last_inbound_at),
            None => None,
        };
        let window_ends = last_inbound.map(window_end_after);
        let customer = self
            .tenants
            .find_customer(store.id, order.customer_id)
            .await?
            .map(|c| {
                let phone = c.phone.map(|p| p.as_str().to_owned()).unwrap_or_default();
                format!("{} {phone}", c.name.unwrap_or_default())
                    .trim()
                    .to_owned()
            })
            .unwrap_or_default();
        let to = Recipient::Phone(rider.phone.as_str().to_owned());
        let key = format!("rider:{}:{}", order.id, rider.phone.as_str());
        if window_ends.is_some_and(|w| now < w) {
            let options = |suffix: &str| SendOptions {
                idempotency_key: Some(format!("{key}:{suffix}")),
                window_ends_at: window_ends,
                tenant_message_id: None,
                reply_to: None,
            };
            service
                .send(
                    to.clone(),
                    OutboundContent::Text {
                        body: text::order_for_rider(order, &customer),
                        preview_url: false,
                    },
                    options("text"),
                )
                .await
                .map_err(|e| conflict("send_failed", e.to_string()))?;
            if let Some(pin) = &order.delivery_location {
                service
                    .send(
                        to,
                        OutboundContent::Location {
                            latitude: pin.latitude,
                            longitude: pin.longitude,
                            name: pin.name.clone(),
                            address: pin.address.clone(),
                        },
                        options("pin"),
                    )
                    .await
                    .map_err(|e| conflict("send_failed", e.to_string()))?;
            }
            return Ok(Notice::Queued);
        }
        let settings = self
            .commerce
            .settings(store.id)
            .await?
            .unwrap_or_else(|| StoreSettings::defaults(store.currency));
        let Some(template) = settings.rider_template else {
            return Ok(Notice::OutsideWindow);
        };
        // Template parameters may not contain new lines: one line each.
        let one_line = |s: String| s.split('\n').collect::<Vec<_>>().join("; ");
        let params = [
            order.reference(),
            one_line(text::order_summary(order, None)),
            text::delivery_place(order).unwrap_or_else(|| "-".into()),
            order
                .delivery_location
                .as_ref()
                .map_or_else(|| "-".into(), omni_domain::GeoPoint::maps_url),
        ];
        service
            .send(
                to,
                OutboundContent::Template {
                    name: template.name,
                    language: template.language,
                    components: vec![TemplateComponent {
                        kind: TemplateComponentKind::Body,
                        parameters: params
                            .into_iter()
                            .map(|text| TemplateParameter::Text { text, name: None })
                            .collect(),
                    }],
                },
                SendOptions {
                    idempotency_key: Some(format!("{key}:template")),
                    window_ends_at: None,
                    tenant_message_id: None,
                    reply_to: None,
                },
            )
            .await
            .map_err(|e| conflict("send_failed", e.to_string()))?;
        Ok(Notice::Queued)
    }

    // --- Conversations ------------------------------------------------------------------------

    /// Pauses or resumes the agent for one conversation.
    ///
    /// # Errors
    /// `NotFound`; storage.
    pub async fn set_agent_paused(
        &self,
        store: StoreId,
        conversation: ConversationId,
        paused: bool,
    ) -> Result<Conversation, CommerceError> {
        match self
            .commerce
            .set_agent_paused(store, conversation, paused, self.clock.now())
            .await
        {
            Err(RepoError::NotFound) => return Err(CommerceError::NotFound("conversation")),
            other => other?,
        }
        self.commerce
            .find_conversation_by_id(store, conversation)
            .await?
            .ok_or(CommerceError::NotFound("conversation"))
    }

    /// The newest conversations.
    ///
    /// # Errors
    /// Storage.
    pub async fn conversations(
        &self,
        store: StoreId,
        limit: u32,
    ) -> Result<Vec<Conversation>, CommerceError> {
        Ok(self.commerce.list_conversations(store, limit).await?)
    }
}
