//! Delivering one claimed outbox message: [`OutboxDispatcher::deliver`] checks the window,
//! the account and its limits, opens the token, calls Meta, and turns Meta's answer into a
//! [`Delivery`] (sent, retried, failed).

use std::ops::ControlFlow;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use omni_domain::{AccountStatus, PhoneNumberId, WhatsappAccount};
use omni_ports::meta::{GraphError, GraphErrorKind, OutboundContent};
use omni_ports::{
    CentralRepo, Clock, Initiator, MetaGraphPort, OutboxMessage, OutboxRepo, RepoError,
    SendFailure, TenantRepoPort, TokenCipher, secret_aad,
};
use secrecy::SecretString;

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
        code: SendFailure,
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
        code: SendFailure,
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
    pub(super) outbox: Arc<dyn OutboxRepo>,
    pub(super) central: Arc<dyn CentralRepo>,
    pub(super) tenants: Arc<dyn TenantRepoPort>,
    pub(super) cipher: Arc<dyn TokenCipher>,
    pub(super) graph: Arc<dyn MetaGraphPort>,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) legacy: Option<(PhoneNumberId, SecretString)>,
    pub(super) policy: RetryPolicy,
    pub(super) templates: Option<Arc<dyn omni_ports::TemplateRepo>>,
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
    pub fn with_template_check(mut self, templates: Arc<dyn omni_ports::TemplateRepo>) -> Self {
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
                    SendFailure::OutsideWindow,
                    "the 24-hour window closed before sending",
                )
                .await;
        }
        let token = match self.sender_token(worker, msg, account, now).await? {
            ControlFlow::Continue(token) => token,
            ControlFlow::Break(delivery) => return Ok(delivery),
        };
        match self
            .graph
            .send_message(&token, &msg.sender, &msg.message)
            .await
        {
            Ok(sent) => self.accepted(worker, msg, sent.wamid).await,
            Err(e) => self.refused(worker, msg, account, &e).await,
        }
    }

    /// The token to send `msg` with: the live account's (when it is active, the template
    /// fits, and a business-initiated message is within its tier), or the legacy number's;
    /// else the recorded outcome that stops the send.
    async fn sender_token(
        &self,
        worker: &str,
        msg: &OutboxMessage,
        account: Option<&WhatsappAccount>,
        now: DateTime<Utc>,
    ) -> Result<ControlFlow<Delivery, SecretString>, RepoError> {
        let stop = ControlFlow::Break;
        let account = match (account, &self.legacy) {
            (Some(account), _) => account,
            (None, Some((number, token))) if *number == msg.sender => {
                return Ok(ControlFlow::Continue(token.clone()));
            }
            (None, _) => {
                return Ok(stop(
                    self.fail(
                        worker,
                        msg,
                        SendFailure::AccountDisconnected,
                        "no live account sends from this number",
                    )
                    .await?,
                ));
            }
        };
        match account.status() {
            AccountStatus::Active => {}
            AccountStatus::ReauthRequired => {
                return Ok(stop(
                    self.fail(
                        worker,
                        msg,
                        SendFailure::ReauthRequired,
                        "the owner must reconnect this number",
                    )
                    .await?,
                ));
            }
            _ => {
                return Ok(stop(
                    self.fail(
                        worker,
                        msg,
                        SendFailure::AccountInactive,
                        "the number is not active",
                    )
                    .await?,
                ));
            }
        }
        if let Some((code, text)) = self.template_problem(msg, account).await? {
            return Ok(stop(self.fail(worker, msg, code, &text).await?));
        }
        if msg.initiator == Initiator::Business
            && let Some(wait) = self.over_tier(msg, account, now).await?
        {
            return Ok(stop(
                self.retry(worker, msg, wait, SendFailure::MessagingLimit, "", false)
                    .await?,
            ));
        }
        match self.cipher.open(
            &account.access_token,
            &secret_aad(account.id, omni_ports::ACCESS_TOKEN_FIELD),
        ) {
            Ok(token) => Ok(ControlFlow::Continue(token)),
            Err(e) => {
                tracing::error!(account = %account.id, error = %e, "cannot open the access token");
                Ok(stop(
                    self.fail(
                        worker,
                        msg,
                        SendFailure::TokenUnreadable,
                        "the stored access token cannot be opened",
                    )
                    .await?,
                ))
            }
        }
    }

    /// Meta accepted `msg` as `wamid`: keep the wamid first, then finish the recording.
    async fn accepted(
        &self,
        worker: &str,
        msg: &OutboxMessage,
        wamid: String,
    ) -> Result<Delivery, RepoError> {
        // Fault tests (omni-app's `fault_points`): die after Meta accepted, before
        // anything is recorded: the one window where a reply can go out twice.
        fail::fail_point!("outbox.after_accept", |_| {
            eprintln!("fault injection: aborting at outbox.after_accept");
            std::process::abort()
        });
        // The wamid first: from here on this message is never sent again, only its
        // recording finished (by us now, or by whoever claims it after a crash).
        if let Err(e) = self.keep_wamid(msg.id, &wamid).await {
            tracing::warn!(outbox = msg.id, error = %e, "accepted by Meta, wamid not kept yet");
            return Ok(Delivery::Unrecorded { wamid });
        }
        self.finish_sent(worker, msg, &wamid).await?;
        Ok(Delivery::Sent { wamid })
    }

    /// Meta refused `msg`: a rejected token parks every pending message of the number (and
    /// marks its account); a closed window fails; others retry while the policy allows.
    async fn refused(
        &self,
        worker: &str,
        msg: &OutboxMessage,
        account: Option<&WhatsappAccount>,
        e: &GraphError,
    ) -> Result<Delivery, RepoError> {
        let code = SendFailure::of_graph(e);
        let text = e.to_string();
        if e.needs_reauth() {
            if let Some(account) = account {
                self.require_reauth(account).await?;
            }
            let at = self.clock.now();
            let parked = self
                .outbox
                .fail_pending_of_sender(&msg.sender, SendFailure::ReauthRequired, &text, at)
                .await?;
            tracing::warn!(sender = %msg.sender.as_str(), parked, "access token rejected; number needs reconnecting");
            return self.fail(worker, msg, code, &text).await;
        }
        if e.kind == GraphErrorKind::OutsideWindow {
            return self.fail(worker, msg, code, &text).await;
        }
        match e.retry_delay(msg.attempts.saturating_sub(1)) {
            Some(delay) if self.policy.may_retry(e.kind, msg, self.clock.now()) => {
                let delay = Duration::from_std(delay).unwrap_or(Duration::seconds(60))
                    + jitter(msg.id, msg.attempts);
                self.retry(worker, msg, delay, code, &text, true).await
            }
            _ => self.fail(worker, msg, code, &text).await,
        }
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
