//! The durable webhook inbox in the central database. The webhook handler appends every event
//! of a signed batch (one transaction, duplicates collapsing on their dedupe key) before it
//! answers 200; workers claim events with leases, in per-conversation order, and record the
//! outcome. Nothing here knows HTTP or SQL.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use omni_domain::{AccountId, StoreId};

use crate::RepoError;
use crate::meta::webhook::{WebhookEvent, WebhookRoute};

/// Where an inbox event is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum InboxState {
    /// Waiting for a worker (possibly after a failed attempt, from `available_at`).
    Pending,
    /// Claimed by a worker until its lease ends.
    Leased,
    /// Processed.
    Done,
    /// Failed too often, or malformed: kept with its error for an operator.
    Dead,
    /// No live account has its `phone_number_id` or WABA: kept, never delivered to a store.
    Unroutable,
}

impl InboxState {
    /// Stored name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Leased => "leased",
            Self::Done => "done",
            Self::Dead => "dead",
            Self::Unroutable => "unroutable",
        }
    }

    /// From the stored name.
    #[must_use]
    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "pending" => Self::Pending,
            "leased" => Self::Leased,
            "done" => Self::Done,
            "dead" => Self::Dead,
            "unroutable" => Self::Unroutable,
            _ => return None,
        })
    }
}

/// What an inbox event is routed by: a store's number, a WABA, or nothing (a malformed body,
/// kept dead for an operator; it is never requeued).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum InboxRouteKind {
    /// `route_id` is a `phone_number_id` (messages, statuses, value errors).
    PhoneNumber,
    /// `route_id` is a WABA id (account, template and quality events).
    Waba,
    /// No route: a signed body that could not be read (`route_id` is empty).
    None,
}

impl InboxRouteKind {
    /// Stored name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::PhoneNumber => "phone_number",
            Self::Waba => "waba",
            Self::None => "none",
        }
    }

    /// From the stored name.
    #[must_use]
    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "phone_number" => Self::PhoneNumber,
            "waba" => Self::Waba,
            "none" => Self::None,
            _ => return None,
        })
    }
}

impl fmt::Display for InboxRouteKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An event to append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInboxEvent {
    /// Duplicates (Meta's retries, concurrent copies) collapse on this.
    pub dedupe_key: String,
    /// Webhook field (`messages`, `account_update`, ...).
    pub field: String,
    /// A number or a WABA; [`InboxRouteKind::None`] for a malformed body.
    pub route_kind: InboxRouteKind,
    /// The `phone_number_id` or WABA id.
    pub route_id: String,
    /// Events with the same key are processed one at a time, in `event_at` order: one
    /// customer on one number, one WABA's management events; each status is its own.
    pub ordering_key: String,
    /// When Meta says it happened (message timestamp, status timestamp, entry time).
    pub event_at: DateTime<Utc>,
    /// The event, JSON (`WebhookEvent`), or the raw body of a malformed batch.
    pub payload: String,
    /// When we received it.
    pub received_at: DateTime<Utc>,
    /// Where it sorts for the workers (start-time fair queuing): `received_at` unless the
    /// ingest spaced its route's events out (see the app's `pipeline::fair`).
    pub fair_at: DateTime<Utc>,
    /// `Pending` normally; `Dead` for a signed body that could not be read at all.
    pub state: InboxState,
    /// Why it is dead, when it is.
    pub error: Option<String>,
}

impl NewInboxEvent {
    /// The inbox row of a parsed event.
    #[must_use]
    pub fn from_event(event: &WebhookEvent, received_at: DateTime<Utc>) -> Self {
        let (route_kind, route_id) = match event.route() {
            WebhookRoute::PhoneNumber(id) => (InboxRouteKind::PhoneNumber, id.as_str().to_owned()),
            WebhookRoute::Waba(id) => (InboxRouteKind::Waba, id.to_owned()),
        };
        let (ordering_key, event_at) = match event {
            WebhookEvent::Message(m) => (
                format!(
                    "m:{}:{}",
                    m.phone_number_id.as_str(),
                    m.sender().unwrap_or(&m.wamid)
                ),
                m.timestamp,
            ),
            WebhookEvent::Status(s) => (format!("s:{}:{}", s.wamid, s.status), s.timestamp),
            other => (
                format!("w:{route_id}"),
                origin_time(other).unwrap_or(received_at),
            ),
        };
        Self {
            dedupe_key: event.dedupe_key(),
            field: event.field().to_owned(),
            route_kind,
            route_id,
            ordering_key,
            event_at,
            // Serialising our own plain data types cannot fail (no maps with non-string keys).
            payload: serde_json::to_string(event).unwrap_or_default(),
            received_at,
            fair_at: received_at,
            state: InboxState::Pending,
            error: None,
        }
    }

    /// A dead row keeping a signed body we could not read, so an operator sees it.
    #[must_use]
    pub fn malformed(raw: &[u8], error: &str, received_at: DateTime<Utc>) -> Self {
        let digest = short_digest(raw);
        Self {
            dedupe_key: format!("malformed:{digest}"),
            field: "malformed".to_owned(),
            route_kind: InboxRouteKind::None,
            route_id: String::new(),
            ordering_key: format!("malformed:{digest}"),
            event_at: received_at,
            payload: String::from_utf8_lossy(raw).into_owned(),
            received_at,
            fair_at: received_at,
            state: InboxState::Dead,
            error: Some(error.to_owned()),
        }
    }
}

fn origin_time(event: &WebhookEvent) -> Option<DateTime<Utc>> {
    use WebhookEvent as E;
    match event {
        E::ValueErrors(e) => e.origin.time(),
        E::QualityUpdate(e) => e.origin.time(),
        E::CapabilityUpdate(e) => e.origin.time(),
        E::AccountUpdate(e) => e.origin.time(),
        E::ReviewUpdate(e) => e.origin.time(),
        E::AccountAlert(e) => e.origin.time(),
        E::TemplateStatus(e) => e.origin.time(),
        E::NameUpdate(e) => e.origin.time(),
        E::Other(e) => e.origin.time(),
        E::Message(_) | E::Status(_) => None,
    }
}

/// A non-cryptographic fingerprint of a body (FNV-1a 64), only to name a malformed row.
fn short_digest(raw: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in raw {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}-{}", raw.len())
}

/// A stored event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxEvent {
    /// Sequence number (arrival order).
    pub id: i64,
    /// Dedupe key.
    pub dedupe_key: String,
    /// Webhook field.
    pub field: String,
    /// What `route_id` is.
    pub route_kind: InboxRouteKind,
    /// Routing id.
    pub route_id: String,
    /// Ordering key.
    pub ordering_key: String,
    /// Meta's time.
    pub event_at: DateTime<Utc>,
    /// The event JSON.
    pub payload: String,
    /// State.
    pub state: InboxState,
    /// Attempts so far (a claim counts as one).
    pub attempts: u32,
    /// Last error.
    pub last_error: Option<String>,
    /// The store it was routed to.
    pub store_id: Option<StoreId>,
    /// The account it was routed to.
    pub account_id: Option<AccountId>,
    /// Received.
    pub received_at: DateTime<Utc>,
    /// Finished (done, dead or unroutable).
    pub processed_at: Option<DateTime<Utc>>,
}

impl InboxEvent {
    /// The event, parsed back.
    ///
    /// # Errors
    /// When the payload is not a `WebhookEvent` (a malformed row).
    pub fn event(&self) -> Result<WebhookEvent, serde_json::Error> {
        serde_json::from_str(&self.payload)
    }
}

/// How appending a batch went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AppendOutcome {
    /// New rows.
    pub inserted: u32,
    /// Rows whose dedupe key was already stored.
    pub duplicates: u32,
}

/// How processing an event ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InboxOutcome {
    /// Processed for this store (and account).
    Done {
        /// Store.
        store: Option<StoreId>,
        /// Account.
        account: Option<AccountId>,
    },
    /// No account matches: kept as unroutable.
    Unroutable {
        /// Why.
        reason: String,
    },
}

/// The central inbox.
#[async_trait]
pub trait InboxRepo: Send + Sync {
    /// Appends a batch in one transaction; an event whose dedupe key exists is skipped.
    /// Returns only after the commit.
    ///
    /// # Errors
    /// `Unavailable` when nothing could be committed (the caller answers 5xx).
    async fn append(&self, events: &[NewInboxEvent]) -> Result<AppendOutcome, RepoError>;

    /// Claims up to `limit` events for `worker` until `now + lease`: pending ones whose time
    /// has come and leased ones whose lease ran out, only the first unfinished event of each
    /// ordering key (so one conversation is never processed in parallel or out of order),
    /// oldest first. Several processes may call this at once; an event goes to one of them.
    ///
    /// # Errors
    /// Storage failure.
    async fn claim(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<InboxEvent>, RepoError>;

    /// Finishes an event this worker holds. `Ok(false)` when the lease was lost (another
    /// worker took it over); nothing changes then.
    ///
    /// # Errors
    /// Storage failure.
    async fn complete(
        &self,
        id: i64,
        worker: &str,
        outcome: &InboxOutcome,
        at: DateTime<Utc>,
    ) -> Result<bool, RepoError>;

    /// Records a failed attempt: back to pending from `retry_at`, or dead when `retry_at`
    /// is `None`. `Ok(false)` when the lease was lost.
    ///
    /// # Errors
    /// Storage failure.
    async fn fail(
        &self,
        id: i64,
        worker: &str,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
        at: DateTime<Utc>,
    ) -> Result<bool, RepoError>;

    /// Gives back every lease of `worker` (graceful shutdown); returns how many.
    ///
    /// # Errors
    /// Storage failure.
    async fn release(&self, worker: &str) -> Result<u64, RepoError>;

    /// The newest `limit` events in a state.
    ///
    /// # Errors
    /// Storage failure.
    async fn list(&self, state: InboxState, limit: u32) -> Result<Vec<InboxEvent>, RepoError>;

    /// One event.
    ///
    /// # Errors
    /// Storage failure.
    async fn find(&self, id: i64) -> Result<Option<InboxEvent>, RepoError>;

    /// Events per state.
    ///
    /// # Errors
    /// Storage failure.
    async fn counts(&self) -> Result<BTreeMap<InboxState, u64>, RepoError>;

    /// Puts a dead or unroutable event back to pending from `now`, its attempts cleared (an
    /// operator fixed the cause). `Ok(false)` when it is in another state, or is a malformed
    /// body ([`InboxRouteKind::None`]: nothing to route it by, so it stays dead).
    ///
    /// # Errors
    /// Storage failure.
    async fn requeue(&self, id: i64, now: DateTime<Utc>) -> Result<bool, RepoError>;

    /// Deletes finished (done) events received before `before`; their dedupe keys go with
    /// them, so `before` must be at least Meta's retry horizon (7 days) ago.
    ///
    /// # Errors
    /// Storage failure.
    async fn purge_done(&self, before: DateTime<Utc>) -> Result<u64, RepoError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_kinds_keep_their_stored_names() {
        for (kind, stored) in [
            (InboxRouteKind::PhoneNumber, "phone_number"),
            (InboxRouteKind::Waba, "waba"),
            (InboxRouteKind::None, "none"),
        ] {
            assert_eq!(kind.as_str(), stored);
            assert_eq!(kind.to_string(), stored);
            assert_eq!(InboxRouteKind::parse(stored), Some(kind));
        }
        for bad in ["", "Waba", "phone", "none "] {
            assert_eq!(InboxRouteKind::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_malformed_body_has_no_route() {
        let e = NewInboxEvent::malformed(b"{", "bad", DateTime::<Utc>::UNIX_EPOCH);
        assert_eq!(
            (e.route_kind, e.route_id.as_str()),
            (InboxRouteKind::None, "")
        );
    }
}
