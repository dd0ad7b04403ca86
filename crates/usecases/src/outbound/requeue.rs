//! Putting parked outbox messages back in the queue, with their store copies reopened.

use chrono::{DateTime, Utc};
use omni_ports::{OutboxMessage, OutboxRepo, RepoError, RequeueFilter, TenantRepoPort};

/// Puts parked messages back in the queue (`omniportal outbox requeue`: after a long Meta
/// outage, or once a number is reconnected), with their store copies back to `queued` so the
/// owner's view shows them waiting again. The copies are reopened first: once a row is
/// pending a sender may send it at once, and a copy still `failed` then (a final status)
/// would keep showing `failed` after Meta accepted it. Returns the requeued messages and how
/// many store copies could not be reopened (logged; those keep showing `failed`).
///
/// # Errors
/// Storage failure of the outbox (nothing requeued then; copies already reopened show
/// `queued` until the command is run again, which requeues the same messages).
pub async fn requeue_failed(
    outbox: &dyn OutboxRepo,
    tenants: &dyn TenantRepoPort,
    filter: &RequeueFilter,
    now: DateTime<Utc>,
) -> Result<(Vec<OutboxMessage>, usize), RepoError> {
    let found = outbox.find_failed(filter).await?;
    let mut not_reopened = 0;
    for msg in &found {
        if let (Some(store), Some(id)) = (msg.store_id, msg.tenant_message_id) {
            match tenants.reopen_failed_send(store, id, now).await {
                Ok(true) => {}
                Ok(false) => not_reopened += 1,
                Err(e) => {
                    tracing::warn!(outbox = msg.id, error = %e, "requeued; its store copy still shows failed");
                    not_reopened += 1;
                }
            }
        }
    }
    let ids: Vec<i64> = found.iter().map(|m| m.id).collect();
    outbox.requeue_failed(&ids, now).await?;
    Ok((found, not_reopened))
}
