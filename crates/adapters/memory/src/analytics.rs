//! [`AnalyticsRepo`] in memory: the figures folded from what an [`InMemoryTenantRepo`] holds,
//! read through its own tenant ports (conversations of the number, their messages, the
//! store's orders), so they always agree with what the tenant fake stored and the fake needs
//! no data of its own. The fold is the SQL adapter's (which reads the same tables of the
//! tenant database):
//!
//! - days are UTC days of `created_at`; a day with no message and no order is absent;
//! - an outbound message counts as delivered when its status is `delivered` or `read`, as
//!   read when `read`, as failed when `failed`, its failure code being the text of its error
//!   before the first colon (`unknown` without one);
//! - a response time is from an inbound message of the range to its first reply (an
//!   outbound message whose `in_reply_to` names it), also when that reply came up to two days
//!   after the range;
//! - orders count on the day they were created, unless still a cart or cancelled.
//!
//! `last_inbound_from` is the `last_inbound_at` of the customer's conversation on the number.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeDelta, Utc};
use omni_domain::{AccountId, Direction, MessageId, MessageStatus, OrderStatus, StoreId};
use omni_ports::{
    AnalyticsRepo, ConversationRepo, CustomerRepo, DailyFigures, MessageRepo, OrderRepo, RepoError,
};

use crate::InMemoryTenantRepo;

/// How long after the range a reply still counts as the answer to a message inside it.
const REPLY_HORIZON_DAYS: i64 = 2;

/// Analytics over an in-memory tenant repository. Cheap to create: make one per test, over
/// the tenant fake the test writes to.
#[derive(Debug)]
pub struct InMemoryAnalyticsRepo {
    tenants: Arc<InMemoryTenantRepo>,
}

impl InMemoryAnalyticsRepo {
    /// Figures of what `tenants` holds.
    #[must_use]
    pub const fn over(tenants: Arc<InMemoryTenantRepo>) -> Self {
        Self { tenants }
    }
}

/// The code of a stored failure text: the part before the first colon.
fn failure_code(error: Option<&str>) -> String {
    error
        .and_then(|e| e.split(':').next())
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .unwrap_or("unknown")
        .to_owned()
}

fn day_start(d: NaiveDate) -> DateTime<Utc> {
    d.and_hms_opt(0, 0, 0)
        .unwrap_or(NaiveDateTime::MIN)
        .and_utc()
}

#[async_trait]
impl AnalyticsRepo for InMemoryAnalyticsRepo {
    async fn daily_figures(
        &self,
        store: StoreId,
        account: AccountId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<DailyFigures>, RepoError> {
        let start = day_start(from);
        let end = day_start(to) + TimeDelta::days(1);
        let horizon = end + TimeDelta::days(REPLY_HORIZON_DAYS);
        let tenants = &*self.tenants;
        let mut messages = Vec::new();
        for c in tenants.list_conversations(store, u32::MAX).await? {
            if c.account_id != account {
                continue;
            }
            messages.extend(
                tenants
                    .list_messages(store, c.id, u32::MAX)
                    .await?
                    .into_iter()
                    .filter(|m| m.created_at >= start && m.created_at < horizon),
            );
        }
        let orders = tenants.list_orders(store, u32::MAX).await?;

        let mut first_reply: HashMap<MessageId, DateTime<Utc>> = HashMap::new();
        for m in messages
            .iter()
            .filter(|m| m.direction == Direction::Outbound)
        {
            if let Some(inbound) = m.in_reply_to {
                first_reply
                    .entry(inbound)
                    .and_modify(|t| *t = (*t).min(m.created_at))
                    .or_insert(m.created_at);
            }
        }
        let mut days: BTreeMap<NaiveDate, DailyFigures> = BTreeMap::new();
        for m in messages.iter().filter(|m| m.created_at < end) {
            let day = days.entry(m.created_at.date_naive()).or_default();
            if m.direction == Direction::Inbound {
                day.messages_in += 1;
                if let Some(reply) = first_reply.get(&m.id) {
                    day.response_secs.push(
                        reply
                            .signed_duration_since(m.created_at)
                            .num_seconds()
                            .max(0),
                    );
                }
                continue;
            }
            day.messages_out += 1;
            match m.status {
                Some(MessageStatus::Delivered) => day.delivered += 1,
                Some(MessageStatus::Read) => {
                    day.delivered += 1;
                    day.read += 1;
                }
                Some(MessageStatus::Failed) => {
                    day.failed += 1;
                    *day.failures_by_code
                        .entry(failure_code(m.error.as_deref()))
                        .or_default() += 1;
                }
                _ => {}
            }
        }
        for o in orders {
            if o.account_id != Some(account)
                || o.created_at < start
                || o.created_at >= end
                || matches!(o.status(), OrderStatus::Cart | OrderStatus::Cancelled)
            {
                continue;
            }
            let total = o
                .total()
                .map_err(|e| RepoError::Corrupt(format!("order {} total: {e}", o.id)))?;
            let day = days.entry(o.created_at.date_naive()).or_default();
            day.orders += 1;
            day.revenue_minor += total.minor();
        }
        Ok(days
            .into_iter()
            .map(|(d, mut f)| {
                f.day = Some(d);
                f
            })
            .collect())
    }

    async fn last_inbound_from(
        &self,
        store: StoreId,
        account: AccountId,
        wa_id: &str,
    ) -> Result<Option<DateTime<Utc>>, RepoError> {
        // `TenantNotFound` for a store never provisioned, from the tenant fake.
        let Some(customer) = self.tenants.find_customer_by_wa_id(store, wa_id).await? else {
            return Ok(None);
        };
        Ok(self
            .tenants
            .find_conversation(store, customer.id, account)
            .await?
            .and_then(|c| c.last_inbound_at()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_codes_are_the_part_before_the_colon() {
        assert_eq!(failure_code(Some("131047: Re-engagement")), "131047");
        assert_eq!(failure_code(None), "unknown");
        assert_eq!(failure_code(Some(" : x")), "unknown");
    }
}
