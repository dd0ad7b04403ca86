//! Account and template events (`account_update`, `phone_number_quality_update`,
//! `message_template_status_update`, ...) and a number's `value_errors`: each is kept in the
//! account history, applied to the accounts it names, and passed to the
//! [`super::ManagementObserver`] (account health) when one is set.

use chrono::{DateTime, Utc};
use omni_domain::{LimitTier, QualityRating, WabaId, WhatsappAccount};
use omni_ports::meta::webhook::{ValueErrors, WebhookEvent, WebhookRoute};
use omni_ports::{AccountEvent, InboxOutcome, RepoError};

use super::processor::InboxProcessor;
use super::route::unroutable;
use crate::conversation::ProcessError;

impl InboxProcessor {
    /// A number's `value_errors`: kept in the history of its account.
    pub(super) async fn value_errors(
        &self,
        e: &ValueErrors,
        received: DateTime<Utc>,
    ) -> Result<InboxOutcome, ProcessError> {
        let Some(route) = self.router.route(&e.phone_number_id).await? else {
            return Ok(unroutable(&e.phone_number_id));
        };
        let detail = serde_json::to_value(&e.errors).unwrap_or_default();
        let at = e.origin.time().unwrap_or(received);
        self.record(
            route.account.as_ref(),
            &e.waba_id,
            "value_errors",
            detail,
            at,
        )
        .await?;
        Ok(route.done())
    }

    async fn record(
        &self,
        account: Option<&WhatsappAccount>,
        waba: &str,
        kind: &str,
        detail: serde_json::Value,
        at: DateTime<Utc>,
    ) -> Result<(), ProcessError> {
        self.history
            .record(&AccountEvent {
                account_id: account.map(|a| a.id),
                store_id: account.map(|a| a.store_id),
                waba_id: waba.to_owned(),
                kind: kind.to_owned(),
                detail,
                occurred_at: at,
                recorded_at: self.clock.now(),
            })
            .await?;
        Ok(())
    }

    pub(super) async fn management(
        &self,
        event: &WebhookEvent,
        received: DateTime<Utc>,
    ) -> Result<InboxOutcome, ProcessError> {
        let waba_raw = match event.route() {
            WebhookRoute::Waba(w) => w.to_owned(),
            WebhookRoute::PhoneNumber(p) => p.as_str().to_owned(),
        };
        let accounts = match WabaId::parse(&waba_raw) {
            Ok(waba) => self.central.list_accounts_by_waba(&waba).await?,
            Err(_) => Vec::new(),
        };
        if accounts.is_empty() {
            return Ok(InboxOutcome::Unroutable {
                reason: format!("no live account for WABA {waba_raw}"),
            });
        }
        let detail = serde_json::to_value(event).unwrap_or_default();
        let (kind, at, targets): (&str, DateTime<Utc>, Vec<&WhatsappAccount>) = match event {
            WebhookEvent::QualityUpdate(q) => {
                let digits: String = q
                    .display_phone_number
                    .chars()
                    .filter(char::is_ascii_digit)
                    .collect();
                let matching: Vec<&WhatsappAccount> = accounts
                    .iter()
                    .filter(|a| a.phone_number.as_str().trim_start_matches('+') == digits)
                    .collect();
                (
                    "quality_update",
                    q.origin.time().unwrap_or(received),
                    matching,
                )
            }
            WebhookEvent::AccountUpdate(u) => (
                "account_update",
                u.origin.time().unwrap_or(received),
                accounts.iter().collect(),
            ),
            WebhookEvent::AccountAlert(a) => (
                "account_alert",
                a.origin.time().unwrap_or(received),
                accounts.iter().collect(),
            ),
            WebhookEvent::TemplateStatus(t) => (
                "template_status",
                t.origin.time().unwrap_or(received),
                Vec::new(),
            ),
            WebhookEvent::CapabilityUpdate(c) => (
                "capability_update",
                c.origin.time().unwrap_or(received),
                accounts.iter().collect(),
            ),
            WebhookEvent::NameUpdate(n) => (
                "name_update",
                n.origin.time().unwrap_or(received),
                Vec::new(),
            ),
            WebhookEvent::ReviewUpdate(r) => (
                "review_update",
                r.origin.time().unwrap_or(received),
                Vec::new(),
            ),
            WebhookEvent::Other(o) => ("other", o.origin.time().unwrap_or(received), Vec::new()),
            WebhookEvent::Message(_) | WebhookEvent::Status(_) | WebhookEvent::ValueErrors(_) => {
                return Err(ProcessError::Permanent("not a management event".to_owned()));
            }
        };
        if targets.is_empty() {
            // A WABA-wide event (template decisions, name reviews, unknown fields): kept once.
            self.record(None, &waba_raw, kind, detail.clone(), at)
                .await?;
        }
        for account in targets {
            let mut updated = account.clone();
            apply_management(event, &mut updated);
            if updated != *account {
                updated.updated_at = self.clock.now();
                match self.central.update_account(&updated).await {
                    Ok(()) | Err(RepoError::NotFound) => {}
                    Err(e) => return Err(e.into()),
                }
                self.router.forget(&account.phone_number_id);
            }
            let change = serde_json::json!({
                "event": detail,
                "before": {
                    "status": account.status().as_str(),
                    "quality_rating": account.quality_rating.as_str(),
                    "messaging_limits": account.messaging_limits,
                },
                "after": {
                    "status": updated.status().as_str(),
                    "quality_rating": updated.quality_rating.as_str(),
                    "messaging_limits": updated.messaging_limits,
                },
            });
            self.record(Some(account), &waba_raw, kind, change, at)
                .await?;
            if let Some(observer) = &self.observer {
                observer.account_changed(account, &updated, kind, at).await;
            }
        }
        if let (Some(observer), WebhookEvent::TemplateStatus(t)) = (&self.observer, event) {
            observer.template_status(t, at).await;
        }
        Ok(InboxOutcome::Done {
            store: accounts.first().map(|a| a.store_id),
            account: None,
        })
    }
}

/// What a management event changes on an account.
fn apply_management(event: &WebhookEvent, account: &mut WhatsappAccount) {
    match event {
        WebhookEvent::QualityUpdate(q) => {
            if let Some(tier) = q.limit {
                account.messaging_limits.portfolio_tier = Some(tier);
            }
            match q.event.to_ascii_uppercase().as_str() {
                // Meta's legacy events: FLAGGED means the quality went low (red).
                "FLAGGED" => account.quality_rating = QualityRating::Red,
                "UNFLAGGED" => account.quality_rating = QualityRating::Green,
                "THROUGHPUT_UPGRADE" => {
                    account.messaging_limits.throughput = Some(omni_domain::ThroughputLevel::High);
                }
                _ => {}
            }
        }
        WebhookEvent::CapabilityUpdate(c) => {
            if let Some(tier) = c.max_daily
                && tier != LimitTier::NotSet
            {
                account.messaging_limits.portfolio_tier = Some(tier);
            }
        }
        WebhookEvent::AccountUpdate(u) => {
            if u.is_access_lost() {
                account.lose_access();
            } else if u.ban_state.as_deref() == Some("DISABLE") {
                account.ban();
            } else if u.ban_state.as_deref() == Some("REINSTATE") {
                account.reinstate();
            }
        }
        _ => {}
    }
}
