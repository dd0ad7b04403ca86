//! Rows of the conversation core (customers, conversations, messages, kept statuses) and
//! their conversion to domain values.

use chrono::NaiveDateTime;
use diesel::prelude::{Insertable, Queryable, Selectable};
use omni_domain::{Conversation, Customer, Message};
use omni_ports::{Reply, RepoError, SavedReply};

use crate::central::parse_phone;
use crate::convert::{json, parse, to_json, ts, utc};
use crate::schema::tenant::{conversations, customers, message_statuses, messages};

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = customers)]
pub(crate) struct CustomerRow {
    pub(crate) id: String,
    pub(crate) wa_id: String,
    pub(crate) phone: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) created_at: NaiveDateTime,
}

impl CustomerRow {
    pub(crate) fn into_domain(self) -> Result<Customer, RepoError> {
        let mut customer = Customer::new(
            parse("customers.id", &self.id)?,
            self.wa_id,
            utc(self.created_at),
        )
        .map_err(|e| RepoError::Corrupt(format!("customers.wa_id of {}: {e}", self.id)))?;
        customer.phone = self
            .phone
            .map(|p| parse_phone("customers.phone", &p))
            .transpose()?;
        customer.name = self.name;
        Ok(customer)
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = conversations)]
pub(crate) struct ConversationRow {
    pub(crate) id: String,
    pub(crate) customer_id: String,
    pub(crate) account_id: String,
    pub(crate) state: String,
    pub(crate) context: String,
    pub(crate) last_inbound_at: Option<NaiveDateTime>,
    pub(crate) created_at: NaiveDateTime,
    pub(crate) updated_at: NaiveDateTime,
    pub(crate) agent_paused: bool,
}

impl ConversationRow {
    pub(crate) fn from_domain(c: &Conversation) -> Self {
        Self {
            id: c.id.to_string(),
            customer_id: c.customer_id.to_string(),
            account_id: c.account_id.to_string(),
            state: c.state.to_string(),
            context: to_json(&c.context),
            last_inbound_at: c.last_inbound_at().map(ts),
            created_at: ts(c.created_at),
            updated_at: ts(c.updated_at),
            agent_paused: c.agent_paused,
        }
    }

    pub(crate) fn into_domain(self) -> Result<Conversation, RepoError> {
        let mut c = Conversation::new(
            parse("conversations.id", &self.id)?,
            parse("conversations.customer_id", &self.customer_id)?,
            parse("conversations.account_id", &self.account_id)?,
            utc(self.created_at),
        )
        .with_last_inbound_at(self.last_inbound_at.map(utc));
        c.state = parse("conversations.state", &self.state)?;
        c.context = json("conversations.context", &self.context)?;
        c.agent_paused = self.agent_paused;
        c.updated_at = utc(self.updated_at);
        Ok(c)
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = messages)]
pub(crate) struct MessageRow {
    pub(crate) id: String,
    pub(crate) conversation_id: String,
    pub(crate) direction: String,
    pub(crate) wamid: Option<String>,
    pub(crate) kind: String,
    pub(crate) body: String,
    pub(crate) created_at: NaiveDateTime,
    pub(crate) status: Option<String>,
    pub(crate) status_at: Option<NaiveDateTime>,
    pub(crate) error: Option<String>,
    pub(crate) idempotency_key: Option<String>,
    pub(crate) in_reply_to: Option<String>,
    pub(crate) handled_at: Option<NaiveDateTime>,
    pub(crate) transcript: Option<String>,
    pub(crate) media_path: Option<String>,
    /// JSON of the `OutboundContent` a reply was queued with (`None` for other messages).
    pub(crate) outbound_content: Option<String>,
}

impl MessageRow {
    pub(crate) fn from_domain(m: &Message) -> Self {
        Self {
            id: m.id.to_string(),
            conversation_id: m.conversation_id.to_string(),
            direction: m.direction.as_str().to_owned(),
            wamid: m.wamid.clone(),
            kind: m.body.kind().to_owned(),
            body: to_json(&m.body),
            created_at: ts(m.created_at),
            status: m.status.map(|s| s.as_str().to_owned()),
            status_at: m.status_at.map(ts),
            error: m.error.clone(),
            idempotency_key: m.idempotency_key.clone(),
            in_reply_to: m.in_reply_to.map(|id| id.to_string()),
            handled_at: m.handled_at.map(ts),
            transcript: m.transcript.clone(),
            media_path: m.media_path.clone(),
            outbound_content: None,
        }
    }

    /// The row of a reply: its message with the content it is queued with.
    pub(crate) fn of_reply(reply: &Reply) -> Self {
        Self {
            outbound_content: Some(to_json(&reply.content)),
            ..Self::from_domain(&reply.message)
        }
    }

    /// A stored reply: its message and, unless saved before contents were kept, its content.
    pub(crate) fn into_saved_reply(self) -> Result<SavedReply, RepoError> {
        let content = self
            .outbound_content
            .as_deref()
            .map(|c| json("messages.outbound_content", c))
            .transpose()?;
        Ok(SavedReply {
            message: self.into_domain()?,
            content,
        })
    }

    pub(crate) fn into_domain(self) -> Result<Message, RepoError> {
        Ok(Message {
            id: parse("messages.id", &self.id)?,
            conversation_id: parse("messages.conversation_id", &self.conversation_id)?,
            direction: parse("messages.direction", &self.direction)?,
            wamid: self.wamid,
            body: json("messages.body", &self.body)?,
            created_at: utc(self.created_at),
            status: self
                .status
                .map(|s| parse("messages.status", &s))
                .transpose()?,
            status_at: self.status_at.map(utc),
            error: self.error,
            idempotency_key: self.idempotency_key,
            in_reply_to: self
                .in_reply_to
                .map(|id| parse("messages.in_reply_to", &id))
                .transpose()?,
            handled_at: self.handled_at.map(utc),
            transcript: self.transcript,
            media_path: self.media_path,
        })
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = message_statuses)]
pub(crate) struct MessageStatusRow {
    pub(crate) wamid: String,
    pub(crate) status: String,
    pub(crate) occurred_at: NaiveDateTime,
    pub(crate) error: Option<String>,
}

pub(crate) fn messages_of(rows: Vec<MessageRow>) -> Result<Vec<Message>, RepoError> {
    rows.into_iter().map(MessageRow::into_domain).collect()
}

#[cfg(test)]
mod tests {
    use omni_domain::CustomerId;

    use super::*;

    fn row(wa_id: &str) -> CustomerRow {
        CustomerRow {
            id: CustomerId::new().to_string(),
            wa_id: wa_id.into(),
            phone: Some("+923001234567".into()),
            name: Some("Ayesha".into()),
            created_at: NaiveDateTime::default(),
        }
    }

    #[test]
    fn a_stored_customer_is_read_back_or_corrupt() {
        let c = row("923001234567").into_domain();
        assert_eq!(
            c.as_ref().ok().map(|c| (c.wa_id(), c.name.as_deref())),
            Some(("923001234567", Some("Ayesha")))
        );
        for bad in ["", " ", "a\nb"] {
            assert!(
                matches!(row(bad).into_domain(), Err(RepoError::Corrupt(m)) if m.starts_with("customers.wa_id of ")),
                "{bad:?}"
            );
        }
    }
}
