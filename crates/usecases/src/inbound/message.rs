//! A customer message: stored once per wamid, answered by the conversation handler (unless
//! the number may not answer), and its replies queued in the outbox.
//!
//! Each reply travels as a [`Reply`]: the message saved in the store's history together with
//! the content to send, stored side by side, so what is queued (also on a redelivery) is
//! exactly what the handler decided.

use chrono::{DateTime, Utc};
use omni_domain::{
    ConversationId, Customer, CustomerId, Direction, Message, MessageId, MessageStatus, PhoneNumber,
};
use omni_ports::meta::webhook::InboundMessage;
use omni_ports::meta::{OutboundContent, OutboundMessage, Recipient};
use omni_ports::{
    Completion, InboundRecord, InboxOutcome, Initiator, NewOutboxMessage, RecordedInbound, Reply,
    SavedReply,
};

use super::content::{body_of, content_of};
use super::processor::InboxProcessor;
use super::route::{Route, unroutable};
use crate::conversation::{Decision, ProcessError, Turn, window_end_after};

/// The idempotency key of the `i`th reply to an inbound message.
#[must_use]
pub fn reply_key(inbound_wamid: &str, i: usize) -> String {
    format!("reply:{inbound_wamid}:{i}")
}

impl InboxProcessor {
    pub(super) async fn message(&self, m: &InboundMessage) -> Result<InboxOutcome, ProcessError> {
        let Some(route) = self.router.route_for(&m.phone_number_id, Some(m)).await? else {
            return Ok(unroutable(&m.phone_number_id));
        };
        let now = self.clock.now();
        if let Some(account) = route.live_account() {
            self.router.touch(account, now).await;
        }
        let Some(sender) = m.sender() else {
            return Err(ProcessError::Permanent(
                "message has neither wa_id nor user id".into(),
            ));
        };
        let record = inbound_record(&route, m, sender, now)?;
        let mut stored = self.tenants.record_inbound(route.store, &record).await?;
        let replies = if stored.duplicate && stored.message.handled_at.is_some() {
            // Handled before (a redelivery, or a crash before the outbox): re-queue what was
            // saved; the outbox ignores keys it has.
            saved_replies(std::mem::take(&mut stored.replies))
        } else {
            self.answer(&route, &stored, m, now).await?
        };
        self.enqueue(&route, &stored, m, sender, replies, now)
            .await?;
        Ok(route.done())
    }

    /// Runs the handler (unless the account may not answer) and saves its replies with the
    /// conversation, marking the message handled.
    async fn answer(
        &self,
        route: &Route,
        stored: &RecordedInbound,
        m: &InboundMessage,
        now: DateTime<Utc>,
    ) -> Result<Vec<Reply>, ProcessError> {
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
        let replies: Vec<Reply> = decision
            .replies
            .into_iter()
            .enumerate()
            .map(|(i, content)| Reply {
                message: draft(stored, &m.wamid, i, &content, now),
                content,
            })
            .collect();
        let completion = Completion {
            conversation: decision.conversation,
            order: decision.order,
            replies,
            transcript: decision.transcript,
            media_path: decision.media_path,
        };
        Ok(self
            .tenants
            .complete_inbound(route.store, stored.message.id, &completion, now)
            .await?)
    }

    /// Queues the replies from the number the message came to.
    async fn enqueue(
        &self,
        route: &Route,
        stored: &RecordedInbound,
        m: &InboundMessage,
        sender: &str,
        replies: Vec<Reply>,
        now: DateTime<Utc>,
    ) -> Result<(), ProcessError> {
        let Some(account) = route.account.as_ref().filter(|_| !replies.is_empty()) else {
            return Ok(());
        };
        let to = reply_recipient(m, sender);
        let window_ends = stored
            .conversation
            .window_end()
            .or_else(|| Some(window_end_after(m.timestamp)));
        let outbox: Vec<NewOutboxMessage> = replies
            .into_iter()
            .filter_map(|Reply { message, content }| {
                let key = message.idempotency_key?;
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
                    tenant_message_id: Some(message.id),
                    created_at: now,
                })
            })
            .collect();
        self.outbox.enqueue(&outbox).await?;
        Ok(())
    }
}

/// What `record_inbound` stores for a customer message.
///
/// # Errors
/// [`ProcessError::Permanent`] when the sender is not a usable customer id (empty, spaces,
/// control characters, absurdly long): no retry will change what Meta sent.
fn inbound_record(
    route: &Route,
    m: &InboundMessage,
    sender: &str,
    now: DateTime<Utc>,
) -> Result<InboundRecord, ProcessError> {
    let account_id = route.account.as_ref().map_or_else(
        || super::route::legacy_account_id(&m.phone_number_id),
        |a| a.id,
    );
    let mut message = Message::new(
        MessageId::new(),
        ConversationId::new(),
        Direction::Inbound,
        m.body.clone(),
        m.timestamp,
    );
    message.wamid = Some(m.wamid.clone());
    let mut customer = Customer::new(CustomerId::new(), sender, now)
        .map_err(|e| ProcessError::Permanent(format!("message {}: sender: {e}", m.wamid)))?;
    customer.phone = m
        .from
        .as_deref()
        .and_then(|digits| PhoneNumber::parse(&format!("+{digits}")).ok());
    customer.name.clone_from(&m.profile_name);
    Ok(InboundRecord {
        customer,
        account_id,
        message,
        at: m.timestamp,
    })
}

/// The queued history message of the `i`th reply to the stored inbound message.
fn draft(
    stored: &RecordedInbound,
    wamid: &str,
    i: usize,
    content: &OutboundContent,
    now: DateTime<Utc>,
) -> Message {
    let mut reply = Message::new(
        MessageId::new(),
        stored.conversation.id,
        Direction::Outbound,
        body_of(content),
        now,
    );
    reply.status = Some(MessageStatus::Queued);
    reply.status_at = Some(now);
    reply.idempotency_key = Some(reply_key(wamid, i));
    reply.in_reply_to = Some(stored.message.id);
    reply
}

/// The replies saved by an earlier run, for re-queuing with the content saved beside them.
/// Only a reply saved before contents were kept has none; its content is rebuilt from the
/// message body ([`content_of`]: text round-trips exactly, richer replies keep their text).
fn saved_replies(saved: Vec<SavedReply>) -> Vec<Reply> {
    saved
        .into_iter()
        .map(|SavedReply { message, content }| Reply {
            content: content.unwrap_or_else(|| content_of(&message.body)),
            message,
        })
        .collect()
}

fn reply_recipient(m: &InboundMessage, sender: &str) -> Recipient {
    match &m.from {
        Some(digits) => Recipient::Phone(format!("+{digits}")),
        None => Recipient::UserId(sender.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use omni_domain::{MessageBody, PhoneNumberId, StoreId};

    use super::*;

    fn message(from: Option<&str>, from_user_id: Option<&str>) -> InboundMessage {
        InboundMessage {
            phone_number_id: PhoneNumberId::parse("106540352242922")
                .unwrap_or_else(|e| panic!("{e}")),
            display_phone_number: "923001112233".into(),
            waba_id: "1".into(),
            wamid: "wamid.test".into(),
            from: from.map(str::to_owned),
            from_user_id: from_user_id.map(str::to_owned),
            profile_name: Some("Ayesha".into()),
            username: None,
            timestamp: DateTime::<Utc>::UNIX_EPOCH,
            kind: "text".into(),
            body: MessageBody::Text { body: "hi".into() },
            media: None,
            context: None,
            referral: None,
            errors: Vec::new(),
        }
    }

    fn record(m: &InboundMessage) -> Result<InboundRecord, ProcessError> {
        let route = Route {
            store: StoreId::new(),
            account: None,
            legacy: true,
        };
        let sender = m.sender().unwrap_or_else(|| panic!("no sender"));
        inbound_record(&route, m, sender, DateTime::<Utc>::UNIX_EPOCH)
    }

    #[test]
    fn the_customer_is_the_sender_by_wa_id_else_bsuid() {
        let by_phone = record(&message(Some("923001234567"), Some("PK.1349")));
        let by_phone = by_phone.unwrap_or_else(|e| panic!("{e}")).customer;
        assert_eq!(by_phone.wa_id(), "923001234567");
        assert_eq!(
            by_phone.phone.as_ref().map(PhoneNumber::as_str),
            Some("+923001234567")
        );
        assert_eq!(by_phone.name.as_deref(), Some("Ayesha"));
        let by_bsuid = record(&message(None, Some("US.13491208655302741918")));
        let by_bsuid = by_bsuid.unwrap_or_else(|e| panic!("{e}")).customer;
        assert_eq!(
            (by_bsuid.wa_id(), by_bsuid.phone.as_ref()),
            ("US.13491208655302741918", None)
        );
    }

    #[test]
    fn a_sender_that_is_no_customer_id_is_permanent() {
        for (from, user_id) in [(Some(""), None), (Some(" "), None), (None, Some("a\nb"))] {
            let got = record(&message(from, user_id));
            assert!(
                matches!(&got, Err(ProcessError::Permanent(m)) if m.starts_with("message wamid.test: sender: ")),
                "{from:?} {user_id:?}: {got:?}"
            );
        }
    }
}
