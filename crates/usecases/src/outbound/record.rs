//! Recording a delivery's outcome: the wamid and `sent` (outbox and store copy), a retry
//! with its delay, a failure; the business-initiated limit per tier, the template check, and
//! marking an account whose token Meta rejected.

use super::dispatch::{Delivery, OutboxDispatcher};
use chrono::{DateTime, Duration, Utc};
use omni_domain::WhatsappAccount;
use omni_ports::meta::OutboundContent;
use omni_ports::{OutboxMessage, RepoError, SendFailure};

impl OutboxDispatcher {
    /// Saves the wamid of an accepted message on its outbox row (state unchanged), so the
    /// message is never sent again: whoever claims it next only finishes the recording.
    ///
    /// # Errors
    /// Storage failure: the caller must retry, or the message may be sent twice.
    pub async fn keep_wamid(&self, id: i64, wamid: &str) -> Result<(), RepoError> {
        self.outbox.record_wamid(id, wamid).await.map(|_| ())
    }

    /// Records an accepted message in the store (wamid, `sent`), then in the outbox. A failure
    /// leaves the row `sending` with its wamid, and the next claim finishes it.
    ///
    /// # Errors
    /// Storage failure (retry later; nothing is sent again).
    pub async fn finish_sent(
        &self,
        worker: &str,
        msg: &OutboxMessage,
        wamid: &str,
    ) -> Result<(), RepoError> {
        let now = self.clock.now();
        if let (Some(store), Some(id)) = (msg.store_id, msg.tenant_message_id) {
            match self.tenants.record_sent(store, id, wamid, now).await {
                // A store whose message row is gone cannot be repaired by waiting.
                Ok(()) | Err(RepoError::NotFound) => {}
                Err(e) => return Err(e),
            }
        }
        if !self.outbox.mark_sent(msg.id, worker, wamid, now).await? {
            tracing::warn!(
                outbox = msg.id,
                "sent, but the message was no longer claimed"
            );
        }
        Ok(())
    }

    /// `Some(wait)` when a business-initiated message to a new recipient would exceed the
    /// number's messaging-limit tier (unique recipients in a rolling 24 hours).
    pub(super) async fn over_tier(
        &self,
        msg: &OutboxMessage,
        account: &WhatsappAccount,
        now: DateTime<Utc>,
    ) -> Result<Option<Duration>, RepoError> {
        let Some(limit) = account
            .messaging_limits
            .effective_tier()
            .and_then(omni_domain::LimitTier::daily_unique_users)
        else {
            return Ok(None);
        };
        let (count, known) = self
            .outbox
            .business_recipients_since(&msg.sender, &msg.recipient, now - Duration::hours(24))
            .await?;
        Ok((!known && count >= u64::from(limit)).then(|| Duration::minutes(30)))
    }

    /// Why a template send must not go (see [`Self::with_template_check`]).
    pub(super) async fn template_problem(
        &self,
        msg: &OutboxMessage,
        account: &WhatsappAccount,
    ) -> Result<Option<(SendFailure, String)>, RepoError> {
        let (
            Some(repo),
            OutboundContent::Template {
                name,
                language,
                components,
            },
        ) = (&self.templates, &msg.message.content)
        else {
            return Ok(None);
        };
        let Some(stored) = repo
            .find_template(account.waba_id.as_str(), name, language)
            .await?
        else {
            // Not synced here (e.g. Meta's hello_world): Meta judges it.
            return Ok(None);
        };
        Ok(
            match crate::template_params::check_parameters(&stored, components) {
                Ok(()) => None,
                Err(e @ crate::template_params::TemplateMismatch::NotApproved { .. }) => {
                    Some((SendFailure::TemplateNotApproved, e.to_string()))
                }
                Err(e) => Some((SendFailure::TemplateParametersMismatch, e.to_string())),
            },
        )
    }

    pub(super) async fn require_reauth(&self, account: &WhatsappAccount) -> Result<(), RepoError> {
        let Some(mut current) = self
            .central
            .find_account(account.store_id, account.id)
            .await?
        else {
            return Ok(());
        };
        if current.lose_access() {
            current.updated_at = self.clock.now();
            self.central.update_account(&current).await?;
        }
        Ok(())
    }

    pub(super) async fn retry(
        &self,
        worker: &str,
        msg: &OutboxMessage,
        delay: Duration,
        code: SendFailure,
        text: &str,
        count_attempt: bool,
    ) -> Result<Delivery, RepoError> {
        let at = self.clock.now() + delay;
        self.outbox
            .reschedule(msg.id, worker, at, Some((code, text)), count_attempt)
            .await?;
        Ok(Delivery::Retry { at, code })
    }

    pub(super) async fn fail(
        &self,
        worker: &str,
        msg: &OutboxMessage,
        code: SendFailure,
        text: &str,
    ) -> Result<Delivery, RepoError> {
        let now = self.clock.now();
        self.outbox
            .mark_failed(msg.id, worker, code, text, now)
            .await?;
        if let (Some(store), Some(id)) = (msg.store_id, msg.tenant_message_id)
            && let Err(e) = self
                .tenants
                .record_send_failure(store, id, &format!("{code}: {text}"), now)
                .await
        {
            tracing::warn!(outbox = msg.id, error = %e, "could not record the failure in the store");
        }
        tracing::info!(outbox = msg.id, code = %code, "outbound message parked as failed");
        Ok(Delivery::Failed { code })
    }
}
