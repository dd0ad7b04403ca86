//! Processing one inbox event: route it to its store, store it in the store's own database,
//! let the conversation handler answer, and queue the answers in the outbox.
//!
//! Exactly-once, across crashes and redeliveries, comes from three idempotent steps:
//! 1. `record_inbound` stores the message once per wamid (a redelivery finds it);
//! 2. `complete_inbound` saves the handler's replies under idempotency keys derived from the
//!    inbound wamid and marks the message handled, in one tenant transaction;
//! 3. the outbox enqueue is keyed by the same idempotency keys.
//!
//! A crash between 1 and 2 runs the handler again (nothing of the first run was kept); a
//! crash between 2 and 3 re-enqueues the saved replies; neither sends anything twice.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use omni_domain::{
    AccountId, AccountStatus, Conversation, Customer, CustomerId, Direction, LimitTier, Message,
    MessageBody, MessageId, MessageStatus, PhoneNumber, PhoneNumberId, QualityRating, StoreId,
    WabaId, WhatsappAccount,
};
use omni_ports::meta::webhook::{DeliveryStatus, InboundMessage, StatusUpdate, WebhookEvent};
use omni_ports::meta::{MediaKind, MediaSource, OutboundContent, OutboundMessage, Recipient};
use omni_ports::{
    AccountEvent, AccountEventRepo, CentralRepo, Clock, Completion, InboundRecord, InboxEvent,
    InboxOutcome, Initiator, NewOutboxMessage, OrderWrite, OutboxRepo, RepoError, TenantRepoPort,
};

/// The customer service window: free-form messages only this long after the customer's last
/// message.
pub const SERVICE_WINDOW_HOURS: i64 = 24;

/// When the customer's service window closes, from their last message (`None`: they never
/// wrote, so only templates may go).
#[must_use]
pub fn window_end(last_inbound_at: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    last_inbound_at.map(|at| at + Duration::hours(SERVICE_WINDOW_HOURS))
}

/// Why an event could not be processed now.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    /// Worth retrying later (a database down, a handler timing out).
    #[error("{0}")]
    Retryable(String),
    /// Will never work (a corrupt payload): park it.
    #[error("{0}")]
    Permanent(String),
}

impl From<RepoError> for ProcessError {
    fn from(e: RepoError) -> Self {
        match e {
            RepoError::Corrupt(_) => Self::Permanent(e.to_string()),
            // A store whose database is missing may be provisioned later: retry, then park.
            other => Self::Retryable(omni_ports::error_chain(&other)),
        }
    }
}

/// One customer message, as the conversation handler sees it.
#[derive(Debug)]
pub struct Turn<'a> {
    /// The store.
    pub store: StoreId,
    /// The number it came to.
    pub account: &'a WhatsappAccount,
    /// The customer.
    pub customer: &'a Customer,
    /// The conversation, including this message's time.
    pub conversation: &'a Conversation,
    /// The message.
    pub message: &'a Message,
    /// The event as Meta sent it (media, context, referral).
    pub inbound: &'a InboundMessage,
}

/// What the handler decided.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// The conversation to save (state, context, agent pause flag).
    pub conversation: Conversation,
    /// Replies to send, in order.
    pub replies: Vec<OutboundContent>,
    /// The order change, saved in the same tenant transaction.
    pub order: Option<OrderWrite>,
    /// What a voice note said, kept with the message.
    pub transcript: Option<String>,
    /// Where the message's media was kept (payment screenshots).
    pub media_path: Option<String>,
}

impl Decision {
    /// Replies only; the conversation as it was.
    #[must_use]
    pub fn replies(conversation: Conversation, replies: Vec<OutboundContent>) -> Self {
        Self {
            conversation,
            replies,
            order: None,
            transcript: None,
            media_path: None,
        }
    }
}

/// Answers customers: the ordering agent (`agent::AgentHandler`), or [`AutoReply`] (a store's
/// fixed text).
#[async_trait]
pub trait ConversationHandler: Send + Sync {
    /// Decides the replies to one message.
    ///
    /// # Errors
    /// A failure worth retrying (the event is retried with backoff).
    async fn handle(&self, turn: &Turn<'_>) -> Result<Decision, ProcessError>;
}

/// The store-level auto-reply rule: when the store has set a text, every customer message is
/// answered with it.
#[derive(Clone)]
pub struct AutoReply {
    tenants: Arc<dyn TenantRepoPort>,
}

impl std::fmt::Debug for AutoReply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AutoReply")
    }
}

impl AutoReply {
    /// The rule over the tenant databases.
    #[must_use]
    pub fn new(tenants: Arc<dyn TenantRepoPort>) -> Self {
        Self { tenants }
    }
}

#[async_trait]
impl ConversationHandler for AutoReply {
    async fn handle(&self, turn: &Turn<'_>) -> Result<Decision, ProcessError> {
        let reply = self.tenants.auto_reply(turn.store).await?;
        Ok(Decision::replies(
            turn.conversation.clone(),
            reply
                .into_iter()
                .map(|body| OutboundContent::Text {
                    body,
                    preview_url: false,
                })
                .collect(),
        ))
    }
}

/// The legacy single-number configuration (WHATSAPP_PHONE_ID / WHATSAPP_TOKEN): its number
/// routes to one store even without an account row. Only that number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyRoute {
    /// The configured phone_number_id.
    pub phone_number_id: PhoneNumberId,
    /// The store it belongs to.
    pub store: StoreId,
}

/// Looked-up accounts by number, with when they were read (`None`: no live account).
type AccountCache = HashMap<PhoneNumberId, (DateTime<Utc>, Option<WhatsappAccount>)>;

/// How long a looked-up account is reused before asking the database again.
const ACCOUNT_CACHE_SECS: i64 = 5;

/// Processes inbox events.
#[derive(Clone)]
pub struct InboxProcessor {
    central: Arc<dyn CentralRepo>,
    tenants: Arc<dyn TenantRepoPort>,
    outbox: Arc<dyn OutboxRepo>,
    history: Arc<dyn AccountEventRepo>,
    handler: Arc<dyn ConversationHandler>,
    clock: Arc<dyn Clock>,
    legacy: Option<LegacyRoute>,
    accounts: Arc<Mutex<AccountCache>>,
    observer: Option<Arc<dyn crate::health::ManagementObserver>>,
}

impl std::fmt::Debug for InboxProcessor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InboxProcessor")
            .field("legacy", &self.legacy)
            .finish_non_exhaustive()
    }
}

/// The ports the processor needs.
#[derive(Clone)]
pub struct InboxPorts {
    /// Central registry.
    pub central: Arc<dyn CentralRepo>,
    /// Tenant databases.
    pub tenants: Arc<dyn TenantRepoPort>,
    /// Outbox.
    pub outbox: Arc<dyn OutboxRepo>,
    /// Account history.
    pub history: Arc<dyn AccountEventRepo>,
    /// Clock.
    pub clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for InboxPorts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InboxPorts")
    }
}

impl InboxProcessor {
    /// A processor answering through `handler`.
    #[must_use]
    pub fn new(
        ports: InboxPorts,
        handler: Arc<dyn ConversationHandler>,
        legacy: Option<LegacyRoute>,
    ) -> Self {
        Self {
            central: ports.central,
            tenants: ports.tenants,
            outbox: ports.outbox,
            history: ports.history,
            handler,
            clock: ports.clock,
            legacy,
            accounts: Arc::default(),
            observer: None,
        }
    }

    /// Also tells `observer` (account health) about every account change and template
    /// decision a management webhook brings.
    #[must_use]
    pub fn with_observer(mut self, observer: Arc<dyn crate::health::ManagementObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Processes one event.
    ///
    /// # Errors
    /// [`ProcessError::Retryable`] to retry with backoff, [`ProcessError::Permanent`] to park.
    pub async fn process(&self, row: &InboxEvent) -> Result<InboxOutcome, ProcessError> {
        let event = row
            .event()
            .map_err(|e| ProcessError::Permanent(format!("unreadable event payload: {e}")))?;
        match event {
            WebhookEvent::Message(m) => self.message(&m).await,
            WebhookEvent::Status(s) => self.status(&s).await,
            WebhookEvent::ValueErrors(e) => {
                let Some(route) = self.route(&e.phone_number_id).await? else {
                    return Ok(unroutable(&e.phone_number_id));
                };
                let detail = serde_json::to_value(&e.errors).unwrap_or_default();
                let at = e.origin.time().unwrap_or(row.received_at);
                self.record(
                    route.account.as_ref(),
                    &e.waba_id,
                    "value_errors",
                    detail,
                    at,
                )
                .await?;
                Ok(route.done())
            }
            other => self.management(&other, row.received_at).await,
        }
    }

    async fn account(&self, id: &PhoneNumberId) -> Result<Option<WhatsappAccount>, RepoError> {
        let now = self.clock.now();
        if let Ok(cache) = self.accounts.lock()
            && let Some((at, account)) = cache.get(id)
            && now - *at < Duration::seconds(ACCOUNT_CACHE_SECS)
        {
            return Ok(account.clone());
        }
        let account = self.central.find_account_by_phone_number_id(id).await?;
        // Only found accounts are cached: a number connected a moment ago must not stay
        // unroutable for the cache's lifetime.
        if account.is_some()
            && let Ok(mut cache) = self.accounts.lock()
        {
            if cache.len() > 10_000 {
                cache.clear();
            }
            cache.insert(id.clone(), (now, account.clone()));
        }
        Ok(account)
    }

    fn forget(&self, id: &PhoneNumberId) {
        if let Ok(mut cache) = self.accounts.lock() {
            cache.remove(id);
        }
    }

    async fn route(&self, id: &PhoneNumberId) -> Result<Option<Route>, ProcessError> {
        self.route_for(id, None).await
    }

    /// The route of a number; a customer message `m` lets the legacy number answer as a
    /// stand-in account (its number and WABA come from the webhook).
    async fn route_for(
        &self,
        id: &PhoneNumberId,
        m: Option<&InboundMessage>,
    ) -> Result<Option<Route>, ProcessError> {
        if let Some(account) = self.account(id).await? {
            return Ok(Some(Route {
                store: account.store_id,
                account: Some(account),
                legacy: false,
            }));
        }
        Ok(self
            .legacy
            .as_ref()
            .filter(|l| &l.phone_number_id == id)
            .map(|l| Route {
                store: l.store,
                account: m.and_then(|m| legacy_account(l, m, self.clock.now())),
                legacy: true,
            }))
    }

    async fn touch(&self, account: &WhatsappAccount, now: DateTime<Utc>) {
        // At most once a second per account: it is a hint for owners, not a counter.
        if account
            .last_webhook_at
            .is_some_and(|t| now - t < Duration::seconds(1))
        {
            return;
        }
        if let Err(e) = self.central.touch_account_webhook(account.id, now).await {
            tracing::warn!(account = %account.id, error = %e, "could not record last_webhook_at");
        }
        if let Ok(mut cache) = self.accounts.lock()
            && let Some((_, Some(cached))) = cache.get_mut(&account.phone_number_id)
        {
            cached.last_webhook_at = Some(now);
        }
    }

    async fn message(&self, m: &InboundMessage) -> Result<InboxOutcome, ProcessError> {
        let Some(route) = self.route_for(&m.phone_number_id, Some(m)).await? else {
            return Ok(unroutable(&m.phone_number_id));
        };
        let now = self.clock.now();
        if let Some(account) = route.account.as_ref().filter(|_| !route.legacy) {
            self.touch(account, now).await;
        }
        let Some(sender) = m.sender() else {
            return Err(ProcessError::Permanent(
                "message has neither wa_id nor user id".into(),
            ));
        };
        let account_id = route
            .account
            .as_ref()
            .map_or_else(|| legacy_account_id(&m.phone_number_id), |a| a.id);
        let mut message = Message::new(
            MessageId::new(),
            omni_domain::ConversationId::new(),
            Direction::Inbound,
            m.body.clone(),
            m.timestamp,
        );
        message.wamid = Some(m.wamid.clone());
        let record = InboundRecord {
            customer: Customer {
                id: CustomerId::new(),
                wa_id: sender.to_owned(),
                phone: m
                    .from
                    .as_deref()
                    .and_then(|digits| PhoneNumber::parse(&format!("+{digits}")).ok()),
                name: m.profile_name.clone(),
                created_at: now,
            },
            account_id,
            message,
            at: m.timestamp,
        };
        let stored = self.tenants.record_inbound(route.store, &record).await?;
        let replies: Vec<(Message, OutboundContent)> =
            if stored.duplicate && stored.message.handled_at.is_some() {
                // Handled before (a redelivery, or a crash before the outbox): re-queue what
                // was saved; the outbox ignores keys it has.
                stored
                    .replies
                    .into_iter()
                    .map(|r| {
                        let content = content_of(&r.body);
                        (r, content)
                    })
                    .collect()
            } else {
                self.answer(&route, &stored, m, now).await?
            };
        if let Some(account) = route.account.as_ref().filter(|_| !replies.is_empty()) {
            let to = reply_recipient(m, sender);
            let window_ends = window_end(Some(
                stored.conversation.last_inbound_at.unwrap_or(m.timestamp),
            ));
            let outbox: Vec<NewOutboxMessage> = replies
                .into_iter()
                .filter_map(|(reply, content)| {
                    let key = reply.idempotency_key?;
                    Some(NewOutboxMessage {
                        idempotency_key: key,
                        store_id: Some(route.store),
                        account_id: (!route.legacy).then_some(account.id),
                        sender: account.phone_number_id.clone(),
                        message: OutboundMessage {
                            to: to.clone(),
                            content,
                            reply_to: None,
                            biz_opaque_callback_data: None,
                        },
                        initiator: Initiator::Customer,
                        window_ends_at: window_ends,
                        tenant_message_id: Some(reply.id),
                        created_at: now,
                    })
                })
                .collect();
            self.outbox.enqueue(&outbox).await?;
        }
        Ok(route.done())
    }

    /// Runs the handler (unless the account may not answer) and saves its replies with the
    /// conversation, marking the message handled.
    async fn answer(
        &self,
        route: &Route,
        stored: &omni_ports::RecordedInbound,
        m: &InboundMessage,
        now: DateTime<Utc>,
    ) -> Result<Vec<(Message, OutboundContent)>, ProcessError> {
        let decision = match route.account.as_ref().filter(|a| a.is_active()) {
            Some(account) => {
                let turn = Turn {
                    store: route.store,
                    account,
                    customer: &stored.customer,
                    conversation: &stored.conversation,
                    message: &stored.message,
                    inbound: m,
                };
                self.handler.handle(&turn).await?
            }
            // Inactive, or the legacy number without an account: kept, not answered.
            None => Decision::replies(stored.conversation.clone(), Vec::new()),
        };
        let drafts: Vec<Message> = decision
            .replies
            .iter()
            .enumerate()
            .map(|(i, content)| {
                let mut reply = Message::new(
                    MessageId::new(),
                    stored.conversation.id,
                    Direction::Outbound,
                    body_of(content),
                    now,
                );
                reply.status = Some(MessageStatus::Queued);
                reply.status_at = Some(now);
                reply.idempotency_key = Some(reply_key(&m.wamid, i));
                reply.in_reply_to = Some(stored.message.id);
                reply
            })
            .collect();
        let completion = Completion {
            conversation: decision.conversation,
            order: decision.order,
            replies: drafts,
            transcript: decision.transcript,
            media_path: decision.media_path,
        };
        let saved = self
            .tenants
            .complete_inbound(route.store, stored.message.id, &completion, now)
            .await?;
        let drafts = completion.replies;
        Ok(saved
            .into_iter()
            .map(|s| {
                let content = drafts
                    .iter()
                    .position(|d| d.idempotency_key == s.idempotency_key)
                    .and_then(|i| decision.replies.get(i).cloned())
                    .unwrap_or_else(|| content_of(&s.body));
                (s, content)
            })
            .collect())
    }

    async fn status(&self, s: &StatusUpdate) -> Result<InboxOutcome, ProcessError> {
        let Some(route) = self.route(&s.phone_number_id).await? else {
            return Ok(unroutable(&s.phone_number_id));
        };
        if let Some(account) = route.account.as_ref().filter(|_| !route.legacy) {
            self.touch(account, self.clock.now()).await;
        }
        let status = match &s.status {
            DeliveryStatus::Sent => MessageStatus::Sent,
            DeliveryStatus::Delivered => MessageStatus::Delivered,
            DeliveryStatus::Read | DeliveryStatus::Played => MessageStatus::Read,
            DeliveryStatus::Failed => MessageStatus::Failed,
            DeliveryStatus::Other(_) => return Ok(route.done()),
        };
        let error = s.errors.first().map(|e| {
            format!(
                "{}: {}",
                e.code,
                e.title.as_deref().or(e.message.as_deref()).unwrap_or("")
            )
        });
        self.tenants
            .apply_status(route.store, &s.wamid, status, s.timestamp, error.as_deref())
            .await?;
        Ok(route.done())
    }

    async fn record(
        &self,
        account: Option<&WhatsappAccount>,
        waba: &str,
        kind: &str,
        detail: serde_json::Value,
        at: DateTime<Utc>,
    ) -> Result<(), ProcessError> {
        self.history
            .record(&AccountEvent {
                account_id: account.map(|a| a.id),
                store_id: account.map(|a| a.store_id),
                waba_id: waba.to_owned(),
                kind: kind.to_owned(),
                detail,
                occurred_at: at,
                recorded_at: self.clock.now(),
            })
            .await?;
        Ok(())
    }

    async fn management(
        &self,
        event: &WebhookEvent,
        received: DateTime<Utc>,
    ) -> Result<InboxOutcome, ProcessError> {
        let waba_raw = match event.route() {
            omni_ports::meta::webhook::WebhookRoute::Waba(w) => w.to_owned(),
            omni_ports::meta::webhook::WebhookRoute::PhoneNumber(p) => p.as_str().to_owned(),
        };
        let accounts = match WabaId::parse(&waba_raw) {
            Ok(waba) => self.central.list_accounts_by_waba(&waba).await?,
            Err(_) => Vec::new(),
        };
        if accounts.is_empty() {
            return Ok(InboxOutcome::Unroutable {
                reason: format!("no live account for WABA {waba_raw}"),
            });
        }
        let detail = serde_json::to_value(event).unwrap_or_default();
        let (kind, at, targets): (&str, DateTime<Utc>, Vec<&WhatsappAccount>) = match event {
            WebhookEvent::QualityUpdate(q) => {
                let digits: String = q
                    .display_phone_number
                    .chars()
                    .filter(char::is_ascii_digit)
                    .collect();
                let matching: Vec<&WhatsappAccount> = accounts
                    .iter()
                    .filter(|a| a.phone_number.as_str().trim_start_matches('+') == digits)
                    .collect();
                (
                    "quality_update",
                    q.origin.time().unwrap_or(received),
                    matching,
                )
            }
            WebhookEvent::AccountUpdate(u) => (
                "account_update",
                u.origin.time().unwrap_or(received),
                accounts.iter().collect(),
            ),
            WebhookEvent::AccountAlert(a) => (
                "account_alert",
                a.origin.time().unwrap_or(received),
                accounts.iter().collect(),
            ),
            WebhookEvent::TemplateStatus(t) => (
                "template_status",
                t.origin.time().unwrap_or(received),
                Vec::new(),
            ),
            WebhookEvent::CapabilityUpdate(c) => (
                "capability_update",
                c.origin.time().unwrap_or(received),
                accounts.iter().collect(),
            ),
            WebhookEvent::NameUpdate(n) => (
                "name_update",
                n.origin.time().unwrap_or(received),
                Vec::new(),
            ),
            WebhookEvent::ReviewUpdate(r) => (
                "review_update",
                r.origin.time().unwrap_or(received),
                Vec::new(),
            ),
            WebhookEvent::Other(o) => ("other", o.origin.time().unwrap_or(received), Vec::new()),
            WebhookEvent::Message(_) | WebhookEvent::Status(_) | WebhookEvent::ValueErrors(_) => {
                return Err(ProcessError::Permanent("not a management event".to_owned()));
            }
        };
        if targets.is_empty() {
            // A WABA-wide event (template decisions, name reviews, unknown fields): kept once.
            self.record(None, &waba_raw, kind, detail.clone(), at)
                .await?;
        }
        for account in targets {
            let mut updated = account.clone();
            apply_management(event, &mut updated);
            if updated != *account {
                updated.updated_at = self.clock.now();
                match self.central.update_account(&updated).await {
                    Ok(()) | Err(RepoError::NotFound) => {}
                    Err(e) => return Err(e.into()),
                }
                self.forget(&account.phone_number_id);
            }
            let change = serde_json::json!({
                "event": detail,
                "before": {
                    "status": account.status.as_str(),
                    "quality_rating": account.quality_rating.as_str(),
                    "messaging_limits": account.messaging_limits,
                },
                "after": {
                    "status": updated.status.as_str(),
                    "quality_rating": updated.quality_rating.as_str(),
                    "messaging_limits": updated.messaging_limits,
                },
            });
            self.record(Some(account), &waba_raw, kind, change, at)
                .await?;
            if let Some(observer) = &self.observer {
                observer.account_changed(account, &updated, kind, at).await;
            }
        }
        if let (Some(observer), WebhookEvent::TemplateStatus(t)) = (&self.observer, event) {
            observer.template_status(t, at).await;
        }
        Ok(InboxOutcome::Done {
            store: accounts.first().map(|a| a.store_id),
            account: None,
        })
    }
}

/// What a management event changes on an account.
fn apply_management(event: &WebhookEvent, account: &mut WhatsappAccount) {
    match event {
        WebhookEvent::QualityUpdate(q) => {
            if let Some(tier) = q.limit {
                account.messaging_limits.portfolio_tier = Some(tier);
            }
            match q.event.to_ascii_uppercase().as_str() {
                // Meta's legacy events: FLAGGED means the quality went low (red).
                "FLAGGED" => account.quality_rating = QualityRating::Red,
                "UNFLAGGED" => account.quality_rating = QualityRating::Green,
                "THROUGHPUT_UPGRADE" => {
                    account.messaging_limits.throughput = Some(omni_domain::ThroughputLevel::High);
                }
                _ => {}
            }
        }
        WebhookEvent::CapabilityUpdate(c) => {
            if let Some(tier) = c.max_daily
                && tier != LimitTier::NotSet
            {
                account.messaging_limits.portfolio_tier = Some(tier);
            }
        }
        WebhookEvent::AccountUpdate(u) => {
            if u.is_access_lost() {
                account.status = AccountStatus::ReauthRequired;
            } else if u.ban_state.as_deref() == Some("DISABLE") {
                account.status = AccountStatus::Failed;
            } else if u.ban_state.as_deref() == Some("REINSTATE")
                && account.status == AccountStatus::Failed
            {
                account.status = AccountStatus::Active;
            }
        }
        _ => {}
    }
}

struct Route {
    store: StoreId,
    /// The live account; for the legacy number, a stand-in built from the configuration (it
    /// has no row, and is never written).
    account: Option<WhatsappAccount>,
    /// The legacy single-number configuration: sent with WHATSAPP_TOKEN, no account id.
    legacy: bool,
}

impl Route {
    fn done(&self) -> InboxOutcome {
        InboxOutcome::Done {
            store: Some(self.store),
            account: self.account.as_ref().filter(|_| !self.legacy).map(|a| a.id),
        }
    }
}

/// The stand-in account of the legacy number: active, so the store answers on it.
fn legacy_account(
    legacy: &LegacyRoute,
    m: &InboundMessage,
    now: DateTime<Utc>,
) -> Option<WhatsappAccount> {
    let digits = m.display_phone_number.trim_start_matches('+');
    let phone = PhoneNumber::parse(&format!("+{digits}")).ok()?;
    let waba = WabaId::parse(&m.waba_id).ok()?;
    let mut account = WhatsappAccount::new(
        legacy.store,
        phone,
        legacy.phone_number_id.clone(),
        waba,
        omni_domain::SealedSecret::from_ciphertext(String::new()),
        now,
    );
    account.id = legacy_account_id(&legacy.phone_number_id);
    account.status = AccountStatus::Active;
    Some(account)
}

fn unroutable(id: &PhoneNumberId) -> InboxOutcome {
    tracing::warn!(phone_number_id = %id.as_str(), "webhook for an unknown phone_number_id kept as unroutable");
    InboxOutcome::Unroutable {
        reason: format!("no live account has phone_number_id {}", id.as_str()),
    }
}

/// The account id conversations of the legacy number are filed under: derived from the
/// phone_number_id, so it is the same in every process and on every run.
fn legacy_account_id(id: &PhoneNumberId) -> AccountId {
    let mut bytes = [0u8; 16];
    for (i, b) in id.as_str().bytes().enumerate() {
        bytes[i % 16] = bytes[i % 16].rotate_left(3) ^ b;
    }
    // Version 8 (custom) UUID, RFC 4122 variant.
    bytes[6] = (bytes[6] & 0x0f) | 0x80;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let text = format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    );
    AccountId::parse(&text).unwrap_or_default()
}

/// The idempotency key of the `i`th reply to an inbound message.
#[must_use]
pub fn reply_key(inbound_wamid: &str, i: usize) -> String {
    format!("reply:{inbound_wamid}:{i}")
}

fn reply_recipient(m: &InboundMessage, sender: &str) -> Recipient {
    match &m.from {
        Some(digits) => Recipient::Phone(format!("+{digits}")),
        None => Recipient::UserId(sender.to_owned()),
    }
}

/// How an outbound content is kept in the conversation history.
fn body_of(content: &OutboundContent) -> MessageBody {
    match content {
        OutboundContent::Text { body, .. }
        | OutboundContent::ReplyButtons { body, .. }
        | OutboundContent::List { body, .. }
        | OutboundContent::LocationRequest { body } => MessageBody::Text { body: body.clone() },
        OutboundContent::Location {
            latitude,
            longitude,
            name,
            address,
        } => MessageBody::Location {
            latitude: *latitude,
            longitude: *longitude,
            name: name.clone(),
            address: address.clone(),
        },
        OutboundContent::Reaction { message_id, emoji } => MessageBody::Reaction {
            message_id: message_id.clone(),
            emoji: Some(emoji.clone()),
        },
        OutboundContent::Media {
            kind: MediaKind::Audio,
            source: MediaSource::Id(media_id),
            voice,
            ..
        } => MessageBody::Audio {
            media_id: media_id.clone(),
            voice: *voice,
        },
        OutboundContent::Media {
            kind: MediaKind::Image,
            source: MediaSource::Id(media_id),
            caption,
            ..
        } => MessageBody::Image {
            media_id: media_id.clone(),
            caption: caption.clone(),
        },
        OutboundContent::Media { kind, .. } => MessageBody::Other {
            kind: kind.as_str().to_owned(),
        },
        OutboundContent::Template { name, .. } => MessageBody::Other {
            kind: format!("template:{name}"),
        },
    }
}

/// The content to send for a stored reply (re-queued after a crash): text replies round-trip
/// exactly; richer replies keep their text.
fn content_of(body: &MessageBody) -> OutboundContent {
    match body {
        MessageBody::Text { body } => OutboundContent::Text {
            body: body.clone(),
            preview_url: false,
        },
        MessageBody::Location {
            latitude,
            longitude,
            name,
            address,
        } => OutboundContent::Location {
            latitude: *latitude,
            longitude: *longitude,
            name: name.clone(),
            address: address.clone(),
        },
        MessageBody::Reaction { message_id, emoji } => OutboundContent::Reaction {
            message_id: message_id.clone(),
            emoji: emoji.clone().unwrap_or_default(),
        },
        MessageBody::Audio { media_id, voice } => OutboundContent::Media {
            kind: MediaKind::Audio,
            source: MediaSource::Id(media_id.clone()),
            caption: None,
            filename: None,
            voice: *voice,
        },
        MessageBody::Image { media_id, caption } => OutboundContent::Media {
            kind: MediaKind::Image,
            source: MediaSource::Id(media_id.clone()),
            caption: caption.clone(),
            filename: None,
            voice: false,
        },
        other => OutboundContent::Text {
            body: format!("[{}]", other.kind()),
            preview_url: false,
        },
    }
}
