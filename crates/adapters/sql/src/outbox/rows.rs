//! The outbox's rows: the insert row of a new message, the stored row and its conversion to
//! the port's [`OutboxMessage`], and the statements of a claim and of a sender lease.

use chrono::NaiveDateTime;
use diesel::prelude::{Insertable, Queryable, QueryableByName, Selectable};
use omni_domain::PhoneNumberId;
use omni_ports::meta::{OutboundMessage, Recipient};
use omni_ports::{Initiator, NewOutboxMessage, OutboxMessage, OutboxState, RepoError, SendFailure};

use crate::convert::{json, parse, to_json, ts, utc};
use crate::schema::central::outbox;

fn recipient_key(to: &Recipient) -> &str {
    match to {
        Recipient::Phone(p) | Recipient::UserId(p) => p,
    }
}

#[derive(Insertable)]
#[diesel(table_name = outbox)]
pub(super) struct NewRow {
    idempotency_key: String,
    store_id: Option<String>,
    account_id: Option<String>,
    sender: String,
    recipient: String,
    message: String,
    initiator: &'static str,
    window_ends_at: Option<NaiveDateTime>,
    tenant_message_id: Option<String>,
    state: &'static str,
    attempts: i32,
    available_at: NaiveDateTime,
    created_at: NaiveDateTime,
}

impl NewRow {
    pub(super) fn from_port(m: &NewOutboxMessage) -> Self {
        Self {
            idempotency_key: m.idempotency_key.clone(),
            store_id: m.store_id.map(|s| s.to_string()),
            account_id: m.account_id.map(|a| a.to_string()),
            sender: m.sender.as_str().to_owned(),
            recipient: recipient_key(&m.message.to).to_owned(),
            message: to_json(&m.message),
            initiator: m.initiator.as_str(),
            window_ends_at: m.window_ends_at.map(ts),
            tenant_message_id: m.tenant_message_id.map(|t| t.to_string()),
            state: OutboxState::Pending.as_str(),
            attempts: 0,
            available_at: ts(m.created_at),
            created_at: ts(m.created_at),
        }
    }
}

#[derive(Queryable, QueryableByName, Selectable)]
#[diesel(table_name = outbox)]
pub(super) struct Row {
    id: i64,
    idempotency_key: String,
    store_id: Option<String>,
    account_id: Option<String>,
    sender: String,
    recipient: String,
    message: String,
    initiator: String,
    window_ends_at: Option<NaiveDateTime>,
    tenant_message_id: Option<String>,
    state: String,
    attempts: i32,
    wamid: Option<String>,
    error_code: Option<String>,
    error: Option<String>,
    created_at: NaiveDateTime,
    sent_at: Option<NaiveDateTime>,
}

impl Row {
    fn into_port(self) -> Result<OutboxMessage, RepoError> {
        let message: OutboundMessage = json("outbox.message", &self.message)?;
        Ok(OutboxMessage {
            id: self.id,
            idempotency_key: self.idempotency_key,
            store_id: self
                .store_id
                .map(|s| parse("outbox.store_id", &s))
                .transpose()?,
            account_id: self
                .account_id
                .map(|s| parse("outbox.account_id", &s))
                .transpose()?,
            sender: PhoneNumberId::parse(&self.sender)
                .map_err(|_| RepoError::Corrupt(format!("outbox.sender: {}", self.sender)))?,
            recipient: self.recipient,
            message,
            initiator: match self.initiator.as_str() {
                "business" => Initiator::Business,
                "customer" => Initiator::Customer,
                other => return Err(RepoError::Corrupt(format!("outbox.initiator: {other}"))),
            },
            window_ends_at: self.window_ends_at.map(utc),
            tenant_message_id: self
                .tenant_message_id
                .map(|s| parse("outbox.tenant_message_id", &s))
                .transpose()?,
            state: OutboxState::parse(&self.state)
                .ok_or_else(|| RepoError::Corrupt(format!("outbox.state: {}", self.state)))?,
            attempts: u32::try_from(self.attempts).unwrap_or_default(),
            wamid: self.wamid,
            error_code: self
                .error_code
                .map(|c| {
                    SendFailure::parse(&c)
                        .ok_or_else(|| RepoError::Corrupt(format!("outbox.error_code: {c}")))
                })
                .transpose()?,
            error: self.error,
            created_at: utc(self.created_at),
            sent_at: self.sent_at.map(utc),
        })
    }
}

pub(super) fn rows(rows: Vec<Row>) -> Result<Vec<OutboxMessage>, RepoError> {
    rows.into_iter().map(Row::into_port).collect()
}

const RETURNING: &str = "RETURNING id, idempotency_key, store_id, account_id, sender, recipient, \
     message, initiator, window_ends_at, tenant_message_id, state, attempts, wamid, error_code, \
     error, created_at, sent_at";

pub(super) fn claim_sql(p: [&str; 5], lock: &str) -> String {
    let [owner, until, sender, now, limit] = p;
    format!(
        "UPDATE outbox SET state = 'sending', lease_owner = {owner}, lease_until = {until}, \
         attempts = attempts + 1 \
         WHERE id IN (SELECT o.id FROM outbox o \
           WHERE o.sender = {sender} AND o.state IN ('pending', 'sending') \
             AND ((o.state = 'pending' AND o.available_at <= {now}) \
               OR (o.state = 'sending' AND o.lease_until < {now})) \
             AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.sender = o.sender \
               AND p.recipient = o.recipient AND p.state IN ('pending', 'sending') \
               AND p.id < o.id) \
           ORDER BY o.id LIMIT {limit} {lock}) \
         {RETURNING}"
    )
}

pub(super) fn acquire_sql(p: [&str; 4]) -> String {
    let [sender, owner, until, now] = p;
    format!(
        "INSERT INTO sender_leases (sender, owner, lease_until) VALUES ({sender}, {owner}, {until}) \
         ON CONFLICT (sender) DO UPDATE SET owner = excluded.owner, \
           lease_until = excluded.lease_until \
         WHERE sender_leases.owner = excluded.owner OR sender_leases.lease_until < {now}"
    )
}
