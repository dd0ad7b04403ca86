//! [`OutboxRepo`] in memory: the central outbox as rows by id, each with its lease, and the
//! sender leases, all decided under one lock (so a number has one holder and a message one
//! sender). It mirrors the SQL adapter where the port leaves a choice:
//!
//! - a lease (a number's or a message's) is taken over only once it ended strictly before
//!   `now`; a claim does not itself check the sender lease (holding it is the caller's part);
//! - `mark_sent` records Meta's acceptance on any message still `sending` or `pending`,
//!   whoever holds it (Meta accepted it, so the wamid must be kept);
//! - `reschedule` replaces the error with the one given (clearing it when `None`);
//! - `mark_failed` and `fail_pending_of_sender` stamp the failure time where
//!   [`RequeueFilter::failed_since`] looks (the row's `available_at`);
//! - `release_sender` does not count the given-back attempts;
//! - `senders_with_work` lists a number once, in id order, when it has a `pending` or
//!   `sending` message available at `now`;
//! - errors are kept to their first 2,000 characters.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use omni_domain::PhoneNumberId;
use omni_ports::meta::Recipient;
use omni_ports::{
    Initiator, NewOutboxMessage, OutboxMessage, OutboxRepo, OutboxState, RepoError, RequeueFilter,
    SendFailure,
};

use crate::lock;

/// One saved message with what the port does not show: when it is due and its lease.
#[derive(Debug, Clone)]
struct Row {
    message: OutboxMessage,
    available_at: DateTime<Utc>,
    lease_owner: Option<String>,
    lease_until: Option<DateTime<Utc>>,
}

impl Row {
    /// Pending or sending: it still holds back later messages to its recipient.
    fn unfinished(&self) -> bool {
        matches!(
            self.message.state,
            OutboxState::Pending | OutboxState::Sending
        )
    }

    /// Claimable at `now`: pending and due, or sending under a lease that ended before `now`.
    fn due(&self, now: DateTime<Utc>) -> bool {
        match self.message.state {
            OutboxState::Pending => self.available_at <= now,
            OutboxState::Sending => self.lease_until.is_some_and(|u| u < now),
            _ => false,
        }
    }

    /// Being sent by `worker`.
    fn held_by(&self, worker: &str) -> bool {
        self.message.state == OutboxState::Sending && self.lease_owner.as_deref() == Some(worker)
    }

    fn drop_lease(&mut self) {
        self.lease_owner = None;
        self.lease_until = None;
    }
}

/// The outbox and sender-lease tables.
#[derive(Debug, Default)]
struct Outbox {
    /// The last id given out.
    last_id: i64,
    /// By id (saving order).
    rows: BTreeMap<i64, Row>,
    /// Id by idempotency key.
    keys: HashMap<String, i64>,
    /// Holder and lease end by number.
    senders: HashMap<String, (String, DateTime<Utc>)>,
}

/// An in-memory outbox. Cheap to create: make one per test.
#[derive(Debug, Default)]
pub struct InMemoryOutboxRepo {
    state: Mutex<Outbox>,
}

impl InMemoryOutboxRepo {
    /// An empty outbox.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }
}

/// `lease` as a chrono duration (30 seconds when it does not fit, as the SQL adapter does).
fn lease_span(lease: Duration) -> TimeDelta {
    TimeDelta::from_std(lease).unwrap_or_else(|_| TimeDelta::seconds(30))
}

/// `limit` as a `usize` for `take`.
fn cap(limit: u32) -> usize {
    usize::try_from(limit).unwrap_or(usize::MAX)
}

/// The recipient as stored: the phone number or the BSUID.
fn recipient_key(to: &Recipient) -> &str {
    match to {
        Recipient::Phone(p) | Recipient::UserId(p) => p,
    }
}

/// An error text as kept.
fn bounded(error: &str) -> String {
    error.chars().take(2000).collect()
}

#[async_trait]
impl OutboxRepo for InMemoryOutboxRepo {
    async fn enqueue(&self, messages: &[NewOutboxMessage]) -> Result<u32, RepoError> {
        let mut outbox = lock(&self.state);
        let mut n: u32 = 0;
        for m in messages {
            if outbox.keys.contains_key(&m.idempotency_key) {
                continue;
            }
            outbox.last_id += 1;
            let id = outbox.last_id;
            let message = OutboxMessage {
                id,
                idempotency_key: m.idempotency_key.clone(),
                store_id: m.store_id,
                account_id: m.account_id,
                sender: m.sender.clone(),
                recipient: recipient_key(&m.message.to).to_owned(),
                message: m.message.clone(),
                initiator: m.initiator,
                window_ends_at: m.window_ends_at,
                tenant_message_id: m.tenant_message_id,
                state: OutboxState::Pending,
                attempts: 0,
                wamid: None,
                error_code: None,
                error: None,
                created_at: m.created_at,
                sent_at: None,
            };
            outbox.keys.insert(m.idempotency_key.clone(), id);
            outbox.rows.insert(
                id,
                Row {
                    message,
                    available_at: m.created_at,
                    lease_owner: None,
                    lease_until: None,
                },
            );
            n = n.saturating_add(1);
        }
        Ok(n)
    }

    async fn senders_with_work(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<PhoneNumberId>, RepoError> {
        let outbox = lock(&self.state);
        let mut seen = BTreeSet::new();
        let mut found = Vec::new();
        for row in outbox.rows.values() {
            if found.len() >= cap(limit) {
                break;
            }
            if row.unfinished()
                && row.available_at <= now
                && seen.insert(row.message.sender.as_str().to_owned())
            {
                found.push(row.message.sender.clone());
            }
        }
        Ok(found)
    }

    async fn acquire_sender(
        &self,
        sender: &PhoneNumberId,
        worker: &str,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<bool, RepoError> {
        let until = now + lease_span(lease);
        let mut outbox = lock(&self.state);
        let free = outbox
            .senders
            .get(sender.as_str())
            .is_none_or(|(owner, ends)| owner == worker || *ends < now);
        if free {
            outbox
                .senders
                .insert(sender.as_str().to_owned(), (worker.to_owned(), until));
        }
        Ok(free)
    }

    async fn release_sender(&self, sender: &PhoneNumberId, worker: &str) -> Result<(), RepoError> {
        let mut outbox = lock(&self.state);
        for row in outbox
            .rows
            .values_mut()
            .filter(|r| r.message.sender == *sender && r.held_by(worker))
        {
            row.message.state = OutboxState::Pending;
            row.message.attempts = row.message.attempts.saturating_sub(1);
            row.drop_lease();
        }
        if outbox
            .senders
            .get(sender.as_str())
            .is_some_and(|(owner, _)| owner == worker)
        {
            outbox.senders.remove(sender.as_str());
        }
        Ok(())
    }

    async fn claim(
        &self,
        sender: &PhoneNumberId,
        worker: &str,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>, RepoError> {
        let until = now + lease_span(lease);
        let mut outbox = lock(&self.state);
        // The oldest unfinished message of each of the number's recipients.
        let mut heads: HashMap<&str, i64> = HashMap::new();
        for row in outbox
            .rows
            .values()
            .filter(|r| r.message.sender == *sender && r.unfinished())
        {
            heads
                .entry(row.message.recipient.as_str())
                .or_insert(row.message.id);
        }
        let ids: Vec<i64> = outbox
            .rows
            .values()
            .filter(|r| r.message.sender == *sender && r.due(now))
            .filter(|r| heads.get(r.message.recipient.as_str()) == Some(&r.message.id))
            .take(cap(limit))
            .map(|r| r.message.id)
            .collect();
        let mut claimed = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(row) = outbox.rows.get_mut(&id) {
                row.message.state = OutboxState::Sending;
                row.message.attempts += 1;
                row.lease_owner = Some(worker.to_owned());
                row.lease_until = Some(until);
                claimed.push(row.message.clone());
            }
        }
        Ok(claimed)
    }

    async fn record_wamid(&self, id: i64, wamid: &str) -> Result<bool, RepoError> {
        let mut outbox = lock(&self.state);
        match outbox
            .rows
            .get_mut(&id)
            .filter(|r| r.message.state == OutboxState::Sending && r.message.wamid.is_none())
        {
            Some(row) => {
                row.message.wamid = Some(wamid.to_owned());
                Ok(true)
            }
            None => Ok(false),
        }
    }

    async fn mark_sent(
        &self,
        id: i64,
        _worker: &str,
        wamid: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, RepoError> {
        let mut outbox = lock(&self.state);
        let Some(row) = outbox.rows.get_mut(&id).filter(|r| r.unfinished()) else {
            return Ok(false);
        };
        row.message.state = OutboxState::Sent;
        row.message.wamid = Some(wamid.to_owned());
        row.message.sent_at = Some(at);
        row.message.error_code = None;
        row.message.error = None;
        row.drop_lease();
        Ok(true)
    }

    async fn reschedule(
        &self,
        id: i64,
        worker: &str,
        retry_at: DateTime<Utc>,
        error: Option<(SendFailure, &str)>,
        count_attempt: bool,
    ) -> Result<bool, RepoError> {
        let mut outbox = lock(&self.state);
        let Some(row) = outbox.rows.get_mut(&id).filter(|r| r.held_by(worker)) else {
            return Ok(false);
        };
        row.message.state = OutboxState::Pending;
        row.available_at = retry_at;
        row.message.error_code = error.map(|(code, _)| code);
        row.message.error = error.map(|(_, text)| bounded(text));
        if !count_attempt {
            row.message.attempts = row.message.attempts.saturating_sub(1);
        }
        row.drop_lease();
        Ok(true)
    }

    async fn mark_failed(
        &self,
        id: i64,
        worker: &str,
        code: SendFailure,
        error: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, RepoError> {
        let mut outbox = lock(&self.state);
        let Some(row) = outbox.rows.get_mut(&id).filter(|r| r.held_by(worker)) else {
            return Ok(false);
        };
        row.message.state = OutboxState::Failed;
        row.message.error_code = Some(code);
        row.message.error = Some(bounded(error));
        row.available_at = at;
        row.drop_lease();
        Ok(true)
    }

    async fn fail_pending_of_sender(
        &self,
        sender: &PhoneNumberId,
        code: SendFailure,
        error: &str,
        at: DateTime<Utc>,
    ) -> Result<u64, RepoError> {
        let mut outbox = lock(&self.state);
        let mut n = 0;
        for row in outbox
            .rows
            .values_mut()
            .filter(|r| r.message.sender == *sender && r.message.state == OutboxState::Pending)
        {
            row.message.state = OutboxState::Failed;
            row.message.error_code = Some(code);
            row.message.error = Some(error.to_owned());
            row.available_at = at;
            n += 1;
        }
        Ok(n)
    }

    async fn business_recipients_since(
        &self,
        sender: &PhoneNumberId,
        recipient: &str,
        since: DateTime<Utc>,
    ) -> Result<(u64, bool), RepoError> {
        let outbox = lock(&self.state);
        let recipients: BTreeSet<&str> = outbox
            .rows
            .values()
            .map(|r| &r.message)
            .filter(|m| {
                m.sender == *sender
                    && m.initiator == Initiator::Business
                    && m.state == OutboxState::Sent
                    && m.sent_at.is_some_and(|t| t >= since)
            })
            .map(|m| m.recipient.as_str())
            .collect();
        Ok((
            u64::try_from(recipients.len()).unwrap_or(u64::MAX),
            recipients.contains(recipient),
        ))
    }

    async fn find_by_key(&self, key: &str) -> Result<Option<OutboxMessage>, RepoError> {
        let outbox = lock(&self.state);
        Ok(outbox
            .keys
            .get(key)
            .and_then(|id| outbox.rows.get(id))
            .map(|r| r.message.clone()))
    }

    async fn list(
        &self,
        sender: Option<&PhoneNumberId>,
        state: Option<OutboxState>,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>, RepoError> {
        Ok(lock(&self.state)
            .rows
            .values()
            .rev()
            .map(|r| &r.message)
            .filter(|m| sender.is_none_or(|s| m.sender == *s))
            .filter(|m| state.is_none_or(|s| m.state == s))
            .take(cap(limit))
            .cloned()
            .collect())
    }

    async fn counts(&self) -> Result<BTreeMap<OutboxState, u64>, RepoError> {
        // Like the SQL `GROUP BY`: a state with no messages is absent.
        let mut counts = BTreeMap::new();
        for row in lock(&self.state).rows.values() {
            *counts.entry(row.message.state).or_insert(0) += 1;
        }
        Ok(counts)
    }

    async fn find_failed(&self, filter: &RequeueFilter) -> Result<Vec<OutboxMessage>, RepoError> {
        Ok(lock(&self.state)
            .rows
            .values()
            .filter(|r| r.message.state == OutboxState::Failed && r.message.wamid.is_none())
            .filter(|r| filter.id.is_none_or(|id| r.message.id == id))
            .filter(|r| {
                filter
                    .sender
                    .as_ref()
                    .is_none_or(|s| r.message.sender == *s)
            })
            .filter(|r| {
                filter
                    .error_code
                    .as_ref()
                    .is_none_or(|c| r.message.error_code.as_ref() == Some(c))
            })
            .filter(|r| filter.failed_since.is_none_or(|t| r.available_at >= t))
            .take(10_000)
            .map(|r| r.message.clone())
            .collect())
    }

    async fn requeue_failed(&self, ids: &[i64], now: DateTime<Utc>) -> Result<u64, RepoError> {
        let mut outbox = lock(&self.state);
        let mut n = 0;
        for id in ids.iter().collect::<BTreeSet<_>>() {
            if let Some(row) = outbox
                .rows
                .get_mut(id)
                .filter(|r| r.message.state == OutboxState::Failed && r.message.wamid.is_none())
            {
                row.message.state = OutboxState::Pending;
                row.message.attempts = 0;
                row.message.error_code = None;
                row.message.error = None;
                row.available_at = now;
                n += 1;
            }
        }
        Ok(n)
    }
}
