//! The outbox in the central database: every message we send is saved here, with an
//! idempotency key, before anything is sent. A sender process owns a number (a lease on its
//! `phone_number_id`) while it sends for it, so the number's rate limit holds across
//! processes; within a number, each recipient's messages go out in order.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use omni_domain::{AccountId, MessageId, PhoneNumberId, StoreId};

use crate::meta::OutboundMessage;
use crate::{RepoError, SendFailure};

/// Where an outbox message is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OutboxState {
    /// Waiting (possibly after a retryable failure, from `available_at`).
    Pending,
    /// Being sent by the lease holder.
    Sending,
    /// Accepted by Meta (it has a wamid).
    Sent,
    /// Will not be sent: a permanent Meta error, outside the window, out of retries.
    Failed,
}

impl OutboxState {
    /// Stored name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sending => "sending",
            Self::Sent => "sent",
            Self::Failed => "failed",
        }
    }

    /// From the stored name.
    #[must_use]
    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "pending" => Self::Pending,
            "sending" => Self::Sending,
            "sent" => Self::Sent,
            "failed" => Self::Failed,
            _ => return None,
        })
    }
}

/// Who started the exchange: replies ride the customer's 24-hour window; business-initiated
/// messages count against the number's messaging-limit tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Initiator {
    /// Answering a customer within their window.
    Customer,
    /// We start it (order updates outside the window, rider messages, verification).
    Business,
}

impl Initiator {
    /// Stored name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Customer => "customer",
            Self::Business => "business",
        }
    }
}

/// A message to save for sending.
#[derive(Debug, Clone, PartialEq)]
pub struct NewOutboxMessage {
    /// Same key, same message: a second enqueue is ignored.
    pub idempotency_key: String,
    /// The store (none for the legacy single-number configuration).
    pub store_id: Option<StoreId>,
    /// The account sending (none for legacy).
    pub account_id: Option<AccountId>,
    /// The number sending: the rate-limit unit.
    pub sender: PhoneNumberId,
    /// The message (recipient inside).
    pub message: OutboundMessage,
    /// Who started it.
    pub initiator: Initiator,
    /// Free-form content may go only before this (the customer's last message + 24 h).
    pub window_ends_at: Option<DateTime<Utc>>,
    /// The tenant message recording it, updated with the wamid and statuses.
    pub tenant_message_id: Option<MessageId>,
    /// Saved.
    pub created_at: DateTime<Utc>,
}

/// A saved message.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxMessage {
    /// Row id.
    pub id: i64,
    /// Idempotency key.
    pub idempotency_key: String,
    /// Store.
    pub store_id: Option<StoreId>,
    /// Account.
    pub account_id: Option<AccountId>,
    /// Sending number.
    pub sender: PhoneNumberId,
    /// The recipient, as stored (`+923...` or a BSUID).
    pub recipient: String,
    /// The message.
    pub message: OutboundMessage,
    /// Who started it.
    pub initiator: Initiator,
    /// End of the customer's window.
    pub window_ends_at: Option<DateTime<Utc>>,
    /// Tenant message.
    pub tenant_message_id: Option<MessageId>,
    /// State.
    pub state: OutboxState,
    /// Send attempts so far.
    pub attempts: u32,
    /// Meta's id once accepted.
    pub wamid: Option<String>,
    /// Why it last failed (Meta's numeric code, or ours such as `outside_window`).
    pub error_code: Option<SendFailure>,
    /// Last error, readable.
    pub error: Option<String>,
    /// Saved.
    pub created_at: DateTime<Utc>,
    /// Accepted by Meta.
    pub sent_at: Option<DateTime<Utc>>,
}

/// The outbox.
#[async_trait]
pub trait OutboxRepo: Send + Sync {
    /// Saves messages in one transaction; a message whose idempotency key exists is skipped.
    /// Returns how many were new.
    ///
    /// # Errors
    /// Storage failure (nothing saved).
    async fn enqueue(&self, messages: &[NewOutboxMessage]) -> Result<u32, RepoError>;

    /// Numbers with messages ready to send at `now` (at most `limit`).
    ///
    /// # Errors
    /// Storage failure.
    async fn senders_with_work(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<PhoneNumberId>, RepoError>;

    /// Takes or renews the lease on sending for a number until `now + lease`. `Ok(true)`
    /// when `worker` holds it now; another live holder means `Ok(false)`.
    ///
    /// # Errors
    /// Storage failure.
    async fn acquire_sender(
        &self,
        sender: &PhoneNumberId,
        worker: &str,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<bool, RepoError>;

    /// Gives back a number's lease (and any of its messages left `sending` by `worker`).
    ///
    /// # Errors
    /// Storage failure.
    async fn release_sender(&self, sender: &PhoneNumberId, worker: &str) -> Result<(), RepoError>;

    /// Claims up to `limit` ready messages of a number for `worker` (who must hold its
    /// lease): pending ones due at `now`, and ones left `sending` by a worker whose lease
    /// ran out; only the oldest unfinished message of each recipient, oldest first.
    ///
    /// # Errors
    /// Storage failure.
    async fn claim(
        &self,
        sender: &PhoneNumberId,
        worker: &str,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>, RepoError>;

    /// Keeps the wamid Meta returned on a message still `sending` (any worker's: Meta
    /// accepted it), before anything else is recorded, so a message that has a wamid is never
    /// sent again: whoever claims it next only finishes the recording. `Ok(false)` when the
    /// message is not `sending` or already has a wamid.
    ///
    /// # Errors
    /// Storage failure.
    async fn record_wamid(&self, id: i64, wamid: &str) -> Result<bool, RepoError>;

    /// Records Meta's acceptance, whoever holds the message now: one still `sending` (also
    /// after its lease passed to another worker) or back to `pending` is marked sent, since
    /// Meta accepted it. `Ok(false)` when it is already sent or failed.
    ///
    /// # Errors
    /// Storage failure.
    async fn mark_sent(
        &self,
        id: i64,
        worker: &str,
        wamid: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, RepoError>;

    /// Back to pending from `retry_at` (a retryable failure, or a rate limit wait), with
    /// `error` (code, text) as its last error (`None` clears it). `count_attempt` false for
    /// waits that are not failures. `Ok(false)` when the message is not `sending` for
    /// `worker`.
    ///
    /// # Errors
    /// Storage failure.
    async fn reschedule(
        &self,
        id: i64,
        worker: &str,
        retry_at: DateTime<Utc>,
        error: Option<(SendFailure, &str)>,
        count_attempt: bool,
    ) -> Result<bool, RepoError>;

    /// Parks a message as failed with its error code and text, parked at `at` (what
    /// [`RequeueFilter::failed_since`] compares). `Ok(false)` when the message is not
    /// `sending` for `worker`.
    ///
    /// # Errors
    /// Storage failure.
    async fn mark_failed(
        &self,
        id: i64,
        worker: &str,
        code: SendFailure,
        error: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, RepoError>;

    /// Fails every pending message of a number at once (its account lost access), returning
    /// how many.
    ///
    /// # Errors
    /// Storage failure.
    async fn fail_pending_of_sender(
        &self,
        sender: &PhoneNumberId,
        code: SendFailure,
        error: &str,
        at: DateTime<Utc>,
    ) -> Result<u64, RepoError>;

    /// How many distinct recipients got a business-initiated message from this number
    /// since `since`, and whether `recipient` is one of them (the messaging-limit tier
    /// counts unique recipients in a rolling 24 hours).
    ///
    /// # Errors
    /// Storage failure.
    async fn business_recipients_since(
        &self,
        sender: &PhoneNumberId,
        recipient: &str,
        since: DateTime<Utc>,
    ) -> Result<(u64, bool), RepoError>;

    /// A message by idempotency key.
    ///
    /// # Errors
    /// Storage failure.
    async fn find_by_key(&self, key: &str) -> Result<Option<OutboxMessage>, RepoError>;

    /// The newest `limit` messages, optionally of one number or state.
    ///
    /// # Errors
    /// Storage failure.
    async fn list(
        &self,
        sender: Option<&PhoneNumberId>,
        state: Option<OutboxState>,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>, RepoError>;

    /// Messages per state.
    ///
    /// # Errors
    /// Storage failure.
    async fn counts(&self) -> Result<BTreeMap<OutboxState, u64>, RepoError>;

    /// The parked (`failed`) messages matching `filter` that Meta never accepted (no wamid),
    /// oldest first, at most 10,000.
    ///
    /// # Errors
    /// Storage failure.
    async fn find_failed(&self, filter: &RequeueFilter) -> Result<Vec<OutboxMessage>, RepoError>;

    /// Puts these messages back in the queue from `now`, with their attempts and error
    /// cleared, where they are still parked without a wamid; returns how many.
    ///
    /// # Errors
    /// Storage failure (nothing is changed then).
    async fn requeue_failed(&self, ids: &[i64], now: DateTime<Utc>) -> Result<u64, RepoError>;
}

/// Which parked messages [`OutboxRepo::requeue_failed`] takes; every field set must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequeueFilter {
    /// One message.
    pub id: Option<i64>,
    /// From one number.
    pub sender: Option<PhoneNumberId>,
    /// Parked for this reason (`130429`, `timeout`, `reauth_required`, ...).
    pub error_code: Option<SendFailure>,
    /// Parked at or after this time.
    pub failed_since: Option<DateTime<Utc>>,
}
