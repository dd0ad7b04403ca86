//! Sending: [`WhatsAppService`] queues messages in the outbox (the only way anything is sent),
//! and [`OutboxDispatcher`] delivers one claimed message to Meta and records the outcome.
//! Rate limits (per number, per recipient) and the sender leases are applied by the worker
//! loop that calls the dispatcher; the rules Meta's answers imply live here.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use omni_domain::{
    AccountId, AccountStatus, MessageId, PhoneNumber, PhoneNumberId, StoreId, WhatsappAccount,
};
use omni_ports::meta::{GraphErrorKind, OutboundContent, OutboundMessage, Recipient};
use omni_ports::{
    CentralRepo, Clock, Initiator, MetaGraphPort, NewOutboxMessage, OutboxMessage, OutboxRepo,
    RepoError, RequeueFilter, TenantRepoPort, TokenCipher, secret_aad,
};
use secrecy::SecretString;

/// Why a message was not queued.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Free-form content outside the customer's 24-hour window: send an approved template.
    #[error(
        "the customer's 24-hour service window is closed; only an approved template can be sent"
    )]
    OutsideWindow,
    /// The account may not send (disconnected, inactive, or waiting for the owner to reconnect).
    #[error("this WhatsApp number cannot send now: {0}")]
    AccountUnavailable(&'static str),
    /// Storage failed; nothing was queued.
    #[error(transparent)]
    Repo(#[from] RepoError),
}

/// Who sends.
#[derive(Debug, Clone, PartialEq, Eq)]
enum From {
    Account {
        store: StoreId,
        account: AccountId,
        number: PhoneNumberId,
    },
    Legacy {
        number: PhoneNumberId,
    },
}

/// How to queue one message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SendOptions {
    /// Same key, one message (default: a new unique key).
    pub idempotency_key: Option<String>,
    /// When the customer's window closes (their last message + 24 h); `None` when they never
    /// wrote, so only templates may go.
    pub window_ends_at: Option<DateTime<Utc>>,
    /// The tenant message recording it.
    pub tenant_message_id: Option<MessageId>,
    /// Quote this wamid.
    pub reply_to: Option<String>,
}

/// A message that was queued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queued {
    /// Its idempotency key (to find it in the outbox).
    pub idempotency_key: String,
    /// False when the key was already queued (nothing new).
    pub new: bool,
}

/// Sending through one number: an account of a store, or the legacy single-number
/// configuration (WHATSAPP_PHONE_ID / WHATSAPP_TOKEN) when there is no account.
#[derive(Clone)]
pub struct WhatsAppService {
    outbox: Arc<dyn OutboxRepo>,
    clock: Arc<dyn Clock>,
    from: From,
}

impl std::fmt::Debug for WhatsAppService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WhatsAppService")
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

impl WhatsAppService {
    /// Sends from a store's account.
    ///
    /// # Errors
    /// [`SendError::AccountUnavailable`] when the account is disconnected, inactive or needs
    /// the owner to reconnect.
    pub fn for_account(
        outbox: Arc<dyn OutboxRepo>,
        clock: Arc<dyn Clock>,
        account: &WhatsappAccount,
    ) -> Result<Self, SendError> {
        if account.deleted_at.is_some() {
            return Err(SendError::AccountUnavailable("disconnected"));
        }
        match account.status {
            AccountStatus::Active => {}
            AccountStatus::ReauthRequired => {
                return Err(SendError::AccountUnavailable("reconnect required"));
            }
            _ => return Err(SendError::AccountUnavailable("not active")),
        }
        Ok(Self {
            outbox,
            clock,
            from: From::Account {
                store: account.store_id,
                account: account.id,
                number: account.phone_number_id.clone(),
            },
        })
    }

    /// Sends from the legacy configured number (no account row).
    #[must_use]
    pub fn legacy(
        outbox: Arc<dyn OutboxRepo>,
        clock: Arc<dyn Clock>,
        number: PhoneNumberId,
    ) -> Self {
        Self {
            outbox,
            clock,
            from: From::Legacy { number },
        }
    }

    /// Queues a text.
    ///
    /// # Errors
    /// [`SendError::OutsideWindow`] when the window is closed.
    pub async fn send_text(
        &self,
        to: &PhoneNumber,
        body: &str,
        options: SendOptions,
    ) -> Result<Queued, SendError> {
        self.send(
            Recipient::Phone(to.as_str().to_owned()),
            OutboundContent::Text {
                body: body.to_owned(),
                preview_url: false,
            },
            options,
        )
        .await
    }

    /// Queues any message kind. Free-form content needs an open window; a template may go
    /// any time (business-initiated outside the window, counted against the tier).
    ///
    /// # Errors
    /// [`SendError::OutsideWindow`], or storage failure.
    pub async fn send(
        &self,
        to: Recipient,
        content: OutboundContent,
        options: SendOptions,
    ) -> Result<Queued, SendError> {
        let now = self.clock.now();
        let open = options.window_ends_at.is_some_and(|w| now < w);
        let template = matches!(content, OutboundContent::Template { .. });
        if !open && !template {
            return Err(SendError::OutsideWindow);
        }
        let key = options
            .idempotency_key
            .unwrap_or_else(|| format!("send:{}", MessageId::new()));
        let (store, account, number) = match &self.from {
            From::Account {
                store,
                account,
                number,
            } => (Some(*store), Some(*account), number.clone()),
            From::Legacy { number } => (None, None, number.clone()),
        };
        let new = self
            .outbox
            .enqueue(&[NewOutboxMessage {
                idempotency_key: key.clone(),
                store_id: store,
                account_id: account,
                sender: number,
                message: OutboundMessage {
                    to,
                    content,
                    reply_to: options.reply_to,
                    biz_opaque_callback_data: None,
                },
                initiator: if open {
                    Initiator::Customer
                } else {
                    Initiator::Business
                },
                window_ends_at: options.window_ends_at,
                tenant_message_id: options.tenant_message_id,
                created_at: now,
            }])
            .await?;
        Ok(Queued {
            idempotency_key: key,
            new: new == 1,
        })
    }
}

/// What happened to one claimed message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Meta accepted it.
    Sent {
        /// Meta's id.
        wamid: String,
    },
    /// Back in the queue until `at` (a retryable error, or a limit that will lift).
    Retry {
        /// When.
        at: DateTime<Utc>,
        /// Why (Meta's code or ours).
        code: String,
    },
    /// Meta accepted it but the wamid could not be saved (the database is away): the caller
    /// must keep retrying [`OutboxDispatcher::keep_wamid`] and
    /// [`OutboxDispatcher::finish_sent`], or the message may be sent again.
    Unrecorded {
        /// Meta's id.
        wamid: String,
    },
    /// Parked as failed.
    Failed {
        /// Meta's code or ours (`outside_window`, `reauth_required`, ...).
        code: String,
    },
}

/// Retry bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts before a retryable failure (5xx, timeout, broken connection) is parked.
    pub max_attempts: u32,
    /// Meta's rate limits (429 and its codes) are waited out, as long as Meta asks, however
    /// many times: they are limits, not failures, and a minute of short `Retry-After`s must
    /// not use up `max_attempts` and park replies for good. A message still rate-limited this
    /// long after it was queued is parked.
    pub rate_limited_max_age: std::time::Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            rate_limited_max_age: std::time::Duration::from_secs(24 * 3600),
        }
    }
}

impl RetryPolicy {
    /// Whether a message that failed with `kind` on its attempt number `msg.attempts` may be
    /// tried again at `now`.
    fn may_retry(&self, kind: GraphErrorKind, msg: &OutboxMessage, now: DateTime<Utc>) -> bool {
        if kind.is_rate_limit() {
            let age = (now - msg.created_at).to_std().unwrap_or_default();
            age < self.rate_limited_max_age
        } else {
            msg.attempts < self.max_attempts
        }
    }
}

/// Delivers claimed outbox messages.
#[derive(Clone)]
pub struct OutboxDispatcher {
    outbox: Arc<dyn OutboxRepo>,
    central: Arc<dyn CentralRepo>,
    tenants: Arc<dyn TenantRepoPort>,
    cipher: Arc<dyn TokenCipher>,
    graph: Arc<dyn MetaGraphPort>,
    clock: Arc<dyn Clock>,
    legacy: Option<(PhoneNumberId, SecretString)>,
    policy: RetryPolicy,
    templates: Option<Arc<dyn omni_ports::HealthRepo>>,
}

impl std::fmt::Debug for OutboxDispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboxDispatcher")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

/// The ports the dispatcher needs.
#[derive(Clone)]
pub struct DispatchPorts {
    /// Outbox.
    pub outbox: Arc<dyn OutboxRepo>,
    /// Central registry (accounts).
    pub central: Arc<dyn CentralRepo>,
    /// Tenant databases (message records).
    pub tenants: Arc<dyn TenantRepoPort>,
    /// Opens access tokens.
    pub cipher: Arc<dyn TokenCipher>,
    /// Meta.
    pub graph: Arc<dyn MetaGraphPort>,
    /// Clock.
    pub clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for DispatchPorts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DispatchPorts")
    }
}

impl OutboxDispatcher {
    /// A dispatcher; `legacy` is the configured single number and its token.
    #[must_use]
    pub fn new(
        ports: DispatchPorts,
        legacy: Option<(PhoneNumberId, SecretString)>,
        policy: RetryPolicy,
    ) -> Self {
        Self {
            outbox: ports.outbox,
            central: ports.central,
            tenants: ports.tenants,
            cipher: ports.cipher,
            graph: ports.graph,
            clock: ports.clock,
            legacy,
            policy,
            templates: None,
        }
    }

    /// Checks every template send against the WABA's stored template (when one is stored)
    /// before calling Meta; a mismatch fails with `template_not_approved` or
    /// `template_parameters_mismatch` instead of Meta's 132000.
    #[must_use]
    pub fn with_template_check(mut self, templates: Arc<dyn omni_ports::HealthRepo>) -> Self {
        self.templates = Some(templates);
        self
    }

    /// Delivers one message claimed by `worker` and records the outcome in the outbox (and
    /// the store's message record). `account` is the sending number's live account, `None`
    /// when it has none (the legacy number, or a disconnected one).
    ///
    /// # Errors
    /// Storage failure while recording; the message stays claimed and is retried when the
    /// lease runs out.
    pub async fn deliver(
        &self,
        worker: &str,
        msg: &OutboxMessage,
        account: Option<&WhatsappAccount>,
    ) -> Result<Delivery, RepoError> {
        if let Some(wamid) = &msg.wamid {
            // Meta accepted it before a crash or a failed recording: finish, never resend.
            self.finish_sent(worker, msg, wamid).await?;
            return Ok(Delivery::Sent {
                wamid: wamid.clone(),
            });
        }
        let now = self.clock.now();
        let template = matches!(msg.message.content, OutboundContent::Template { .. });
        if !template && msg.window_ends_at.is_some_and(|w| now >= w) {
            return self
                .fail(
                    worker,
                    msg,
                    "outside_window",
                    "the 24-hour window closed before sending",
                )
                .await;
        }
        let token = match (account, &self.legacy) {
            (Some(account), _) => {
                match account.status {
                    AccountStatus::Active => {}
                    AccountStatus::ReauthRequired => {
                        return self
                            .fail(
                                worker,
                                msg,
                                "reauth_required",
                                "the owner must reconnect this number",
                            )
                            .await;
                    }
                    _ => {
                        return self
                            .fail(worker, msg, "account_inactive", "the number is not active")
                            .await;
                    }
                }
                if let Some((code, text)) = self.template_problem(msg, account).await? {
                    return self.fail(worker, msg, code, &text).await;
                }
                if msg.initiator == Initiator::Business
                    && let Some(wait) = self.over_tier(msg, account, now).await?
                {
                    return self
                        .retry(worker, msg, wait, "messaging_limit", "", false)
                        .await;
                }
                match self.cipher.open(
                    &account.access_token,
                    &secret_aad(account.id, omni_ports::ACCESS_TOKEN_FIELD),
                ) {
                    Ok(token) => token,
                    Err(e) => {
                        tracing::error!(account = %account.id, error = %e, "cannot open the access token");
                        return self
                            .fail(
                                worker,
                                msg,
                                "token_unreadable",
                                "the stored access token cannot be opened",
                            )
                            .await;
                    }
                }
            }
            (None, Some((number, token))) if *number == msg.sender => token.clone(),
            (None, _) => {
                return self
                    .fail(
                        worker,
                        msg,
                        "account_disconnected",
                        "no live account sends from this number",
                    )
                    .await;
            }
        };
        match self
            .graph
            .send_message(&token, &msg.sender, &msg.message)
            .await
        {
            Ok(sent) => {
                // Fault tests (omni-app's `fault_points`): die after Meta accepted, before
                // anything is recorded: the one window where a reply can go out twice.
                fail::fail_point!("outbox.after_accept", |_| {
                    eprintln!("fault injection: aborting at outbox.after_accept");
                    std::process::abort()
                });
                // The wamid first: from here on this message is never sent again, only its
                // recording finished (by us now, or by whoever claims it after a crash).
                if let Err(e) = self.keep_wamid(msg.id, &sent.wamid).await {
                    tracing::warn!(outbox = msg.id, error = %e, "accepted by Meta, wamid not kept yet");
                    return Ok(Delivery::Unrecorded { wamid: sent.wamid });
                }
                self.finish_sent(worker, msg, &sent.wamid).await?;
                Ok(Delivery::Sent { wamid: sent.wamid })
            }
            Err(e) => {
                let code = e
                    .code()
                    .map_or_else(|| e.kind.as_str().to_owned(), |c| c.to_string());
                let text = e.to_string();
                if e.needs_reauth() {
                    if let Some(account) = account {
                        self.require_reauth(account).await?;
                    }
                    let at = self.clock.now();
                    let parked = self
                        .outbox
                        .fail_pending_of_sender(&msg.sender, "reauth_required", &text, at)
                        .await?;
                    tracing::warn!(sender = %msg.sender.as_str(), parked, "access token rejected; number needs reconnecting");
                    return self.fail(worker, msg, &code, &text).await;
                }
                if e.kind == GraphErrorKind::OutsideWindow {
                    return self.fail(worker, msg, &code, &text).await;
                }
                match e.retry_delay(msg.attempts.saturating_sub(1)) {
                    Some(delay) if self.policy.may_retry(e.kind, msg, self.clock.now()) => {
                        let delay = Duration::from_std(delay).unwrap_or(Duration::seconds(60))
                            + jitter(msg.id, msg.attempts);
                        self.retry(worker, msg, delay, &code, &text, true).await
                    }
                    _ => self.fail(worker, msg, &code, &text).await,
                }
            }
        }
    }

    /// Saves the wamid of an accepted message on its outbox row (state unchanged), so the
    /// message is never sent again: whoever claims it next only finishes the recording.
    ///
    /// # Errors
    /// Storage failure: the caller must retry, or the message may be sent twice.
    pub async fn keep_wamid(&self, id: i64, wamid: &str) -> Result<(), RepoError> {
        self.outbox.record_wamid(id, wamid).await.map(|_| ())
    }

    /// Records an accepted message in the store (wamid, `sent`), then in the outbox. A failure
    /// leaves the row `sending` with its wamid, and the next claim finishes it.
    ///
    /// # Errors
    /// Storage failure (retry later; nothing is sent again).
    pub async fn finish_sent(
        &self,
        worker: &str,
        msg: &OutboxMessage,
        wamid: &str,
    ) -> Result<(), RepoError> {
        let now = self.clock.now();
        if let (Some(store), Some(id)) = (msg.store_id, msg.tenant_message_id) {
            match self.tenants.record_sent(store, id, wamid, now).await {
                // A store whose message row is gone cannot be repaired by waiting.
                Ok(()) | Err(RepoError::NotFound) => {}
                Err(e) => return Err(e),
            }
        }
        if !self.outbox.mark_sent(msg.id, worker, wamid, now).await? {
            tracing::warn!(
                outbox = msg.id,
                "sent, but the message was no longer claimed"
            );
        }
        Ok(())
    }

    /// `Some(wait)` when a business-initiated message to a new recipient would exceed the
    /// number's messaging-limit tier (unique recipients in a rolling 24 hours).
    async fn over_tier(
        &self,
        msg: &OutboxMessage,
        account: &WhatsappAccount,
        now: DateTime<Utc>,
    ) -> Result<Option<Duration>, RepoError> {
        let Some(limit) = account
            .messaging_limits
            .effective_tier()
            .and_then(omni_domain::LimitTier::daily_unique_users)
        else {
            return Ok(None);
        };
        let (count, known) = self
            .outbox
            .business_recipients_since(&msg.sender, &msg.recipient, now - Duration::hours(24))
            .await?;
        Ok((!known && count >= u64::from(limit)).then(|| Duration::minutes(30)))
    }

    /// Why a template send must not go (see [`Self::with_template_check`]).
    async fn template_problem(
        &self,
        msg: &OutboxMessage,
        account: &WhatsappAccount,
    ) -> Result<Option<(&'static str, String)>, RepoError> {
        let (
            Some(repo),
            OutboundContent::Template {
                name,
                language,
                components,
            },
        ) = (&self.templates, &msg.message.content)
        else {
            return Ok(None);
        };
        let Some(stored) = repo
            .find_template(account.waba_id.as_str(), name, language)
            .await?
        else {
            // Not synced here (e.g. Meta's hello_world): Meta judges it.
            return Ok(None);
        };
        Ok(
            match crate::template_params::check_parameters(&stored, components) {
                Ok(()) => None,
                Err(e @ crate::template_params::TemplateMismatch::NotApproved { .. }) => {
                    Some(("template_not_approved", e.to_string()))
                }
                Err(e) => Some(("template_parameters_mismatch", e.to_string())),
            },
        )
    }

    async fn require_reauth(&self, account: &WhatsappAccount) -> Result<(), RepoError> {
        let Some(mut current) = self
            .central
            .find_account(account.store_id, account.id)
            .await?
        else {
            return Ok(());
        };
        if current.status != AccountStatus::ReauthRequired {
            current.status = AccountStatus::ReauthRequired;
            current.updated_at = self.clock.now();
            self.central.update_account(&current).await?;
        }
        Ok(())
    }

    async fn retry(
        &self,
        worker: &str,
        msg: &OutboxMessage,
        delay: Duration,
        code: &str,
        text: &str,
        count_attempt: bool,
    ) -> Result<Delivery, RepoError> {
        let at = self.clock.now() + delay;
        self.outbox
            .reschedule(msg.id, worker, at, Some((code, text)), count_attempt)
            .await?;
        Ok(Delivery::Retry {
            at,
            code: code.to_owned(),
        })
    }

    async fn fail(
        &self,
        worker: &str,
        msg: &OutboxMessage,
        code: &str,
        text: &str,
    ) -> Result<Delivery, RepoError> {
        let now = self.clock.now();
        self.outbox
            .mark_failed(msg.id, worker, code, text, now)
            .await?;
        if let (Some(store), Some(id)) = (msg.store_id, msg.tenant_message_id)
            && let Err(e) = self
                .tenants
                .record_send_failure(store, id, &format!("{code}: {text}"), now)
                .await
        {
            tracing::warn!(outbox = msg.id, error = %e, "could not record the failure in the store");
        }
        tracing::info!(outbox = msg.id, code, "outbound message parked as failed");
        Ok(Delivery::Failed {
            code: code.to_owned(),
        })
    }
}

/// Up to a quarter second more, different per message and attempt, so retries of messages
/// that failed together do not arrive together (no randomness source needed in the core).
fn jitter(id: i64, attempt: u32) -> Duration {
    let mut h = u64::from_ne_bytes(id.to_ne_bytes()) ^ (u64::from(attempt) << 32);
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    Duration::milliseconds(i64::try_from(h % 250).unwrap_or(0))
}

/// Puts parked messages back in the queue (`omniportal outbox requeue`: after a long Meta
/// outage, or once a number is reconnected), with their store copies back to `queued` so the
/// owner's view shows them waiting again. The copies are reopened first: once a row is
/// pending a sender may send it at once, and a copy still `failed` then (a final status)
/// would keep showing `failed` after Meta accepted it. Returns the requeued messages and how
/// many store copies could not be reopened (logged; those keep showing `failed`).
///
/// # Errors
/// Storage failure of the outbox (nothing requeued then; copies already reopened show
/// `queued` until the command is run again, which requeues the same messages).
pub async fn requeue_failed(
    outbox: &dyn OutboxRepo,
    tenants: &dyn TenantRepoPort,
    filter: &RequeueFilter,
    now: DateTime<Utc>,
) -> Result<(Vec<OutboxMessage>, usize), RepoError> {
    let found = outbox.find_failed(filter).await?;
    let mut not_reopened = 0;
    for msg in &found {
        if let (Some(store), Some(id)) = (msg.store_id, msg.tenant_message_id) {
            match tenants.reopen_failed_send(store, id, now).await {
                Ok(true) => {}
                Ok(false) => not_reopened += 1,
                Err(e) => {
                    tracing::warn!(outbox = msg.id, error = %e, "requeued; its store copy still shows failed");
                    not_reopened += 1;
                }
            }
        }
    }
    let ids: Vec<i64> = found.iter().map(|m| m.id).collect();
    outbox.requeue_failed(&ids, now).await?;
    Ok((found, not_reopened))
}
