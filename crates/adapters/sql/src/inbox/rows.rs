//! The inbox's rows: the insert row of a new event, the stored row and its conversion to
//! the port's [`InboxEvent`], and the claim statement.

use chrono::NaiveDateTime;
use diesel::prelude::{Insertable, Queryable, QueryableByName, Selectable};
use omni_ports::{InboxEvent, InboxRouteKind, InboxState, NewInboxEvent, RepoError};

use crate::convert::{parse, ts, utc};
use crate::schema::central::webhook_inbox as inbox;

#[derive(Insertable)]
#[diesel(table_name = inbox)]
pub(super) struct NewRow<'a> {
    pub(super) dedupe_key: &'a str,
    pub(super) field: &'a str,
    pub(super) route_kind: &'a str,
    pub(super) route_id: &'a str,
    pub(super) ordering_key: &'a str,
    pub(super) event_at: NaiveDateTime,
    pub(super) payload: &'a str,
    pub(super) state: &'a str,
    pub(super) attempts: i32,
    pub(super) available_at: NaiveDateTime,
    pub(super) last_error: Option<&'a str>,
    pub(super) received_at: NaiveDateTime,
    pub(super) processed_at: Option<NaiveDateTime>,
    pub(super) fair_at: Option<NaiveDateTime>,
}

impl<'a> NewRow<'a> {
    pub(super) fn from_port(e: &'a NewInboxEvent) -> Self {
        let finished = matches!(e.state, InboxState::Dead).then(|| ts(e.received_at));
        Self {
            dedupe_key: &e.dedupe_key,
            field: &e.field,
            route_kind: e.route_kind.as_str(),
            route_id: &e.route_id,
            ordering_key: &e.ordering_key,
            event_at: ts(e.event_at),
            payload: &e.payload,
            state: e.state.as_str(),
            attempts: 0,
            available_at: ts(e.received_at),
            last_error: e.error.as_deref(),
            received_at: ts(e.received_at),
            processed_at: finished,
            fair_at: Some(ts(e.fair_at)),
        }
    }
}

#[derive(Queryable, QueryableByName, Selectable)]
#[diesel(table_name = inbox)]
pub(super) struct Row {
    id: i64,
    dedupe_key: String,
    field: String,
    route_kind: String,
    route_id: String,
    ordering_key: String,
    event_at: NaiveDateTime,
    payload: String,
    state: String,
    attempts: i32,
    last_error: Option<String>,
    store_id: Option<String>,
    account_id: Option<String>,
    received_at: NaiveDateTime,
    processed_at: Option<NaiveDateTime>,
}

impl Row {
    fn into_port(self) -> Result<InboxEvent, RepoError> {
        Ok(InboxEvent {
            id: self.id,
            state: InboxState::parse(&self.state).ok_or_else(|| {
                RepoError::Corrupt(format!("webhook_inbox.state: {}", self.state))
            })?,
            route_kind: InboxRouteKind::parse(&self.route_kind).ok_or_else(|| {
                RepoError::Corrupt(format!("webhook_inbox.route_kind: {}", self.route_kind))
            })?,
            dedupe_key: self.dedupe_key,
            field: self.field,
            route_id: self.route_id,
            ordering_key: self.ordering_key,
            event_at: utc(self.event_at),
            payload: self.payload,
            attempts: u32::try_from(self.attempts).unwrap_or_default(),
            last_error: self.last_error,
            store_id: self
                .store_id
                .map(|s| parse("webhook_inbox.store_id", &s))
                .transpose()?,
            account_id: self
                .account_id
                .map(|s| parse("webhook_inbox.account_id", &s))
                .transpose()?,
            received_at: utc(self.received_at),
            processed_at: self.processed_at.map(utc),
        })
    }
}

pub(super) fn rows(rows: Vec<Row>) -> Result<Vec<InboxEvent>, RepoError> {
    rows.into_iter().map(Row::into_port).collect()
}

const RETURNING: &str = "RETURNING id, dedupe_key, field, route_kind, route_id, ordering_key, \
     event_at, payload, state, attempts, last_error, store_id, account_id, received_at, \
     processed_at";

/// The claim, as one statement. `{lock}` is `FOR UPDATE SKIP LOCKED` on Postgres. An event is
/// claimable when it is due (pending and available, or leased with an expired lease) and no
/// earlier unfinished event has its ordering key. Claimable events are taken in `fair_at`
/// order (start-time fair queuing across numbers, stamped at ingest), then arrival.
pub(super) fn claim_sql(placeholders: [&str; 4], lock: &str) -> String {
    let [owner, until, now, limit] = placeholders;
    format!(
        "UPDATE webhook_inbox SET state = 'leased', lease_owner = {owner}, lease_until = {until}, \
         attempts = attempts + 1 \
         WHERE id IN (SELECT e.id FROM webhook_inbox e \
           WHERE e.state IN ('pending', 'leased') \
             AND ((e.state = 'pending' AND e.available_at <= {now}) \
               OR (e.state = 'leased' AND e.lease_until < {now})) \
             AND NOT EXISTS (SELECT 1 FROM webhook_inbox p \
               WHERE p.ordering_key = e.ordering_key AND p.state IN ('pending', 'leased') \
                 AND (p.event_at < e.event_at OR (p.event_at = e.event_at AND p.id < e.id))) \
           ORDER BY e.fair_at, e.id LIMIT {limit} {lock}) \
         {RETURNING}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(route_kind: &str) -> Row {
        let at = NaiveDateTime::default();
        Row {
            id: 1,
            dedupe_key: "k".into(),
            field: "messages".into(),
            route_kind: route_kind.into(),
            route_id: "1".into(),
            ordering_key: "m:1:1".into(),
            event_at: at,
            payload: "{}".into(),
            state: "pending".into(),
            attempts: 0,
            last_error: None,
            store_id: None,
            account_id: None,
            received_at: at,
            processed_at: None,
        }
    }

    #[test]
    fn a_stored_route_kind_is_read_back_or_corrupt() {
        for kind in [
            InboxRouteKind::PhoneNumber,
            InboxRouteKind::Waba,
            InboxRouteKind::None,
        ] {
            assert_eq!(
                row(kind.as_str()).into_port().ok().map(|e| e.route_kind),
                Some(kind)
            );
        }
        assert!(matches!(
            row("sms").into_port(),
            Err(RepoError::Corrupt(m)) if m == "webhook_inbox.route_kind: sms"
        ));
    }
}
