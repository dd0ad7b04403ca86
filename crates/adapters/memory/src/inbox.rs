//! [`InboxRepo`] in memory: the central webhook inbox as rows by sequence number, each with
//! its lease, claimed under the lock (so two workers never get the same event). It mirrors
//! the SQL adapter where the port leaves a choice: claims take events in `fair_at` order, then
//! arrival, and return them by id; a lease is taken over only once it has ended strictly
//! before `now`; `release` does not count the given-back attempt; `requeue` refuses a
//! malformed row (route kind `none`: there is nothing to route it by) and starts its attempts
//! again from zero; errors are kept to their first 2,000 characters.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use omni_ports::{
    AppendOutcome, InboxEvent, InboxOutcome, InboxRepo, InboxRouteKind, InboxState, NewInboxEvent,
    RepoError,
};

use crate::lock;

/// One stored event with what the port does not show: when it is due, where it sorts, and
/// its lease.
#[derive(Debug, Clone)]
struct Row {
    event: InboxEvent,
    available_at: DateTime<Utc>,
    fair_at: DateTime<Utc>,
    lease_owner: Option<String>,
    lease_until: Option<DateTime<Utc>>,
}

impl Row {
    /// Pending or leased: it still blocks later events of its ordering key.
    fn unfinished(&self) -> bool {
        matches!(self.event.state, InboxState::Pending | InboxState::Leased)
    }

    /// Claimable at `now`: pending and due, or leased with a lease that ended before `now`.
    fn due(&self, now: DateTime<Utc>) -> bool {
        match self.event.state {
            InboxState::Pending => self.available_at <= now,
            InboxState::Leased => self.lease_until.is_some_and(|u| u < now),
            _ => false,
        }
    }

    /// Held by `worker`.
    fn held_by(&self, worker: &str) -> bool {
        self.event.state == InboxState::Leased && self.lease_owner.as_deref() == Some(worker)
    }

    fn drop_lease(&mut self) {
        self.lease_owner = None;
        self.lease_until = None;
    }
}

/// The inbox table.
#[derive(Debug, Default)]
struct Inbox {
    /// The last id given out.
    last_id: i64,
    /// By id (arrival order).
    rows: BTreeMap<i64, Row>,
    /// Id by dedupe key.
    keys: HashMap<String, i64>,
}

/// An in-memory webhook inbox. Cheap to create: make one per test.
#[derive(Debug, Default)]
pub struct InMemoryInboxRepo {
    state: Mutex<Inbox>,
}

impl InMemoryInboxRepo {
    /// An empty inbox.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }
}

/// `lease` as a chrono duration (a minute when it does not fit, as the SQL adapter does).
fn lease_span(lease: Duration) -> TimeDelta {
    TimeDelta::from_std(lease).unwrap_or_else(|_| TimeDelta::seconds(60))
}

/// `limit` as a `usize` for `take`.
fn cap(limit: u32) -> usize {
    usize::try_from(limit).unwrap_or(usize::MAX)
}

#[async_trait]
impl InboxRepo for InMemoryInboxRepo {
    async fn append(&self, events: &[NewInboxEvent]) -> Result<AppendOutcome, RepoError> {
        let mut inbox = lock(&self.state);
        let mut outcome = AppendOutcome::default();
        for e in events {
            if inbox.keys.contains_key(&e.dedupe_key) {
                outcome.duplicates += 1;
                continue;
            }
            inbox.last_id += 1;
            let id = inbox.last_id;
            let event = InboxEvent {
                id,
                dedupe_key: e.dedupe_key.clone(),
                field: e.field.clone(),
                route_kind: e.route_kind,
                route_id: e.route_id.clone(),
                ordering_key: e.ordering_key.clone(),
                event_at: e.event_at,
                payload: e.payload.clone(),
                state: e.state,
                attempts: 0,
                last_error: e.error.clone(),
                store_id: None,
                account_id: None,
                received_at: e.received_at,
                // A row appended dead is finished on arrival, as the SQL adapter stores it.
                processed_at: (e.state == InboxState::Dead).then_some(e.received_at),
            };
            inbox.keys.insert(e.dedupe_key.clone(), id);
            inbox.rows.insert(
                id,
                Row {
                    event,
                    available_at: e.received_at,
                    fair_at: e.fair_at,
                    lease_owner: None,
                    lease_until: None,
                },
            );
            outcome.inserted += 1;
        }
        Ok(outcome)
    }

    async fn claim(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<InboxEvent>, RepoError> {
        let until = now + lease_span(lease);
        let mut inbox = lock(&self.state);
        // The head of each ordering key: its unfinished event earliest by (event_at, id).
        let mut heads: HashMap<&str, (DateTime<Utc>, i64)> = HashMap::new();
        for row in inbox.rows.values().filter(|r| r.unfinished()) {
            let key = (row.event.event_at, row.event.id);
            heads
                .entry(row.event.ordering_key.as_str())
                .and_modify(|head| *head = (*head).min(key))
                .or_insert(key);
        }
        let mut ready: Vec<(DateTime<Utc>, i64)> = inbox
            .rows
            .values()
            .filter(|r| r.due(now))
            .filter(|r| heads.get(r.event.ordering_key.as_str()).map(|h| h.1) == Some(r.event.id))
            .map(|r| (r.fair_at, r.event.id))
            .collect();
        ready.sort_unstable();
        let mut ids: Vec<i64> = ready
            .into_iter()
            .take(cap(limit))
            .map(|(_, id)| id)
            .collect();
        ids.sort_unstable();
        let mut claimed = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(row) = inbox.rows.get_mut(&id) {
                row.event.state = InboxState::Leased;
                row.event.attempts += 1;
                row.lease_owner = Some(worker.to_owned());
                row.lease_until = Some(until);
                claimed.push(row.event.clone());
            }
        }
        Ok(claimed)
    }

    async fn complete(
        &self,
        id: i64,
        worker: &str,
        outcome: &InboxOutcome,
        at: DateTime<Utc>,
    ) -> Result<bool, RepoError> {
        let mut inbox = lock(&self.state);
        let Some(row) = inbox.rows.get_mut(&id).filter(|r| r.held_by(worker)) else {
            return Ok(false);
        };
        match outcome {
            InboxOutcome::Done { store, account } => {
                row.event.state = InboxState::Done;
                row.event.store_id = *store;
                row.event.account_id = *account;
                row.event.last_error = None;
            }
            InboxOutcome::Unroutable { reason } => {
                row.event.state = InboxState::Unroutable;
                row.event.store_id = None;
                row.event.account_id = None;
                row.event.last_error = Some(reason.clone());
            }
        }
        row.event.processed_at = Some(at);
        row.drop_lease();
        Ok(true)
    }

    async fn fail(
        &self,
        id: i64,
        worker: &str,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
        at: DateTime<Utc>,
    ) -> Result<bool, RepoError> {
        let mut inbox = lock(&self.state);
        let Some(row) = inbox.rows.get_mut(&id).filter(|r| r.held_by(worker)) else {
            return Ok(false);
        };
        match retry_at {
            Some(t) => {
                row.event.state = InboxState::Pending;
                row.available_at = t;
                row.event.processed_at = None;
            }
            None => {
                row.event.state = InboxState::Dead;
                row.available_at = at;
                row.event.processed_at = Some(at);
            }
        }
        row.event.last_error = Some(error.chars().take(2000).collect());
        row.drop_lease();
        Ok(true)
    }

    async fn release(&self, worker: &str) -> Result<u64, RepoError> {
        let mut inbox = lock(&self.state);
        let mut n = 0;
        for row in inbox.rows.values_mut().filter(|r| r.held_by(worker)) {
            row.event.state = InboxState::Pending;
            row.event.attempts = row.event.attempts.saturating_sub(1);
            row.drop_lease();
            n += 1;
        }
        Ok(n)
    }

    async fn list(&self, state: InboxState, limit: u32) -> Result<Vec<InboxEvent>, RepoError> {
        Ok(lock(&self.state)
            .rows
            .values()
            .rev()
            .filter(|r| r.event.state == state)
            .take(cap(limit))
            .map(|r| r.event.clone())
            .collect())
    }

    async fn find(&self, id: i64) -> Result<Option<InboxEvent>, RepoError> {
        Ok(lock(&self.state).rows.get(&id).map(|r| r.event.clone()))
    }

    async fn counts(&self) -> Result<BTreeMap<InboxState, u64>, RepoError> {
        // Like the SQL `GROUP BY`: a state with no events is absent.
        let mut counts = BTreeMap::new();
        for row in lock(&self.state).rows.values() {
            *counts.entry(row.event.state).or_insert(0) += 1;
        }
        Ok(counts)
    }

    async fn requeue(&self, id: i64, now: DateTime<Utc>) -> Result<bool, RepoError> {
        let mut inbox = lock(&self.state);
        let Some(row) = inbox.rows.get_mut(&id).filter(|r| {
            matches!(r.event.state, InboxState::Dead | InboxState::Unroutable)
                && r.event.route_kind != InboxRouteKind::None
        }) else {
            return Ok(false);
        };
        row.event.state = InboxState::Pending;
        row.event.attempts = 0;
        row.event.processed_at = None;
        row.available_at = now;
        Ok(true)
    }

    async fn purge_done(&self, before: DateTime<Utc>) -> Result<u64, RepoError> {
        let mut inbox = lock(&self.state);
        let purged: Vec<(i64, String)> = inbox
            .rows
            .values()
            .filter(|r| r.event.state == InboxState::Done && r.event.received_at < before)
            .map(|r| (r.event.id, r.event.dedupe_key.clone()))
            .collect();
        for (id, key) in &purged {
            inbox.rows.remove(id);
            inbox.keys.remove(key);
        }
        Ok(u64::try_from(purged.len()).unwrap_or(u64::MAX))
    }
}
