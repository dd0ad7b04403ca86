//! Owner notifications of account health: one per drop, stored for the store and, when the
//! store has an alert number, sent to it through the outbox (text inside the owner's window,
//! else the alert template); listing and reading them; the alert number itself.

use omni_domain::{
    DropKind, PhoneNumber, QualityRating, Severity, StoreId, WhatsappAccount, health_drops,
};
use omni_ports::meta::{
    OutboundContent, Recipient, TemplateComponent, TemplateComponentKind, TemplateParameter,
};
use omni_ports::{Notification, RepoError};
use serde_json::{Value, json};

use super::service::{Health, uuid_v7};
use super::snapshot::snapshot;
use crate::outbound::{SendOptions, WhatsAppService};

/// Why an alert number was refused.
#[derive(Debug, thiserror::Error)]
pub enum AlertNumberError {
    /// Not a phone number.
    #[error("not a phone number: {0}")]
    Invalid(String),
    /// Storage failed.
    #[error(transparent)]
    Repo(#[from] RepoError),
}

impl Health {
    /// Notifies the owner of every drop between `before` and `after`.
    ///
    /// # Errors
    /// Storage failure.
    pub async fn notify_changes(
        &self,
        before: &WhatsappAccount,
        after: &WhatsappAccount,
        source: &str,
    ) -> Result<Vec<Notification>, RepoError> {
        let mut out = Vec::new();
        for drop in health_drops(before, after) {
            let mut detail = json!({
                "source": source,
                "before": snapshot(before),
                "after": snapshot(after),
            });
            let body = if drop.kind == DropKind::ReauthRequired {
                let link = self.reconnect_link(after);
                detail["reconnect_url"] = json!(link);
                format!("{}. Reconnect: {link}", drop.title)
            } else if drop.kind == DropKind::Quality && after.quality_rating == QualityRating::Red {
                format!(
                    "{}. Business-initiated messages from this number are slowed until it \
                     recovers; replies to customers are not.",
                    drop.title
                )
            } else {
                drop.title.clone()
            };
            let n = self
                .notify(
                    after,
                    drop.kind.as_str(),
                    drop.severity,
                    &drop.title,
                    &body,
                    detail,
                )
                .await?;
            out.push(n);
        }
        Ok(out)
    }

    /// Stores a notification for the account's store and, for warnings and critical ones,
    /// messages the store's alert number.
    ///
    /// # Errors
    /// Storage failure (the WhatsApp message is best-effort and only logged).
    pub async fn notify(
        &self,
        account: &WhatsappAccount,
        kind: &str,
        severity: Severity,
        title: &str,
        body: &str,
        detail: Value,
    ) -> Result<Notification, RepoError> {
        let n = Notification {
            id: uuid_v7(),
            store_id: account.store_id,
            account_id: Some(account.id),
            kind: kind.to_owned(),
            severity: severity.as_str().to_owned(),
            title: title.to_owned(),
            body: body.to_owned(),
            detail,
            created_at: self.p.clock.now(),
            read_at: None,
        };
        self.p.repo.add_notification(&n).await?;
        tracing::info!(store = %n.store_id, account = %account.id, kind, severity = severity.as_str(), "owner notified");
        if severity != Severity::Info
            && let Err(e) = self.alert_owner(account, &n).await
        {
            tracing::warn!(store = %n.store_id, error = %e, "alert to the owner's WhatsApp not queued");
        }
        Ok(n)
    }

    /// Queues the notification for the store's alert number: text inside the owner's 24-hour
    /// window on the sending number, else the configured alert template. Sent from the
    /// account itself when it can send, else from the store's default or any active number.
    pub(super) async fn alert_owner(
        &self,
        account: &WhatsappAccount,
        n: &Notification,
    ) -> Result<(), String> {
        let Some(to) = self
            .p
            .repo
            .alert_number(account.store_id)
            .await
            .map_err(|e| e.to_string())?
        else {
            return Ok(());
        };
        let to = PhoneNumber::parse(&to).map_err(|e| e.to_string())?;
        let from = if account.is_active() {
            Some(account.clone())
        } else {
            let store = self
                .p
                .central
                .find_store(account.store_id)
                .await
                .map_err(|e| e.to_string())?;
            let all = self
                .p
                .central
                .list_accounts(account.store_id)
                .await
                .map_err(|e| e.to_string())?;
            store.and_then(|s| s.active_whatsapp_account(&all).cloned())
        };
        let Some(from) = from else {
            return Err("no active number in the store to send the alert from".to_owned());
        };
        let wa_id = to.as_str().trim_start_matches('+').to_owned();
        let last_in = self
            .p
            .analytics
            .last_inbound_from(from.store_id, from.id, &wa_id)
            .await
            .map_err(|e| e.to_string())?;
        let window_ends = last_in.map(crate::conversation::window_end_after);
        let now = self.p.clock.now();
        let text = format!("OmniPortal alert: {}", n.body);
        let content = if window_ends.is_some_and(|w| now < w) {
            OutboundContent::Text {
                body: text,
                preview_url: false,
            }
        } else {
            OutboundContent::Template {
                name: self.config.alert_template.0.clone(),
                language: self.config.alert_template.1.clone(),
                components: vec![TemplateComponent {
                    kind: TemplateComponentKind::Body,
                    parameters: vec![TemplateParameter::Text {
                        text: n.title.clone(),
                        name: None,
                    }],
                }],
            }
        };
        let service =
            WhatsAppService::for_account(self.p.outbox.clone(), self.p.clock.clone(), &from)
                .map_err(|e| e.to_string())?;
        service
            .send(
                Recipient::Phone(to.as_str().to_owned()),
                content,
                SendOptions {
                    idempotency_key: Some(format!("alert:{}", n.id)),
                    window_ends_at: window_ends,
                    ..SendOptions::default()
                },
            )
            .await
            .map_err(|e| e.to_string())?;
        Ok(())
    }

    /// A store's notifications, newest first.
    ///
    /// # Errors
    /// Storage failure.
    pub async fn notifications(
        &self,
        store: StoreId,
        unread_only: bool,
        limit: u32,
    ) -> Result<Vec<Notification>, RepoError> {
        self.p
            .repo
            .list_notifications(store, unread_only, limit.clamp(1, 500))
            .await
    }

    /// Marks notifications read (the given ids, or all).
    ///
    /// # Errors
    /// Storage failure.
    pub async fn mark_read(
        &self,
        store: StoreId,
        ids: Option<&[String]>,
    ) -> Result<u64, RepoError> {
        self.p
            .repo
            .mark_notifications_read(store, ids, self.p.clock.now())
            .await
    }

    /// The store's alert number.
    ///
    /// # Errors
    /// Storage failure.
    pub async fn alert_number(&self, store: StoreId) -> Result<Option<String>, RepoError> {
        self.p.repo.alert_number(store).await
    }

    /// Sets (or clears, with `None`) the store's alert number; any Pakistani or E.164 form.
    ///
    /// # Errors
    /// `Invalid` when it is not a phone number.
    pub async fn set_alert_number(
        &self,
        store: StoreId,
        raw: Option<&str>,
    ) -> Result<Option<String>, AlertNumberError> {
        let number = match raw.map(str::trim).filter(|s| !s.is_empty()) {
            Some(raw) => Some(
                PhoneNumber::parse(raw)
                    .map_err(|_| AlertNumberError::Invalid(raw.to_owned()))?
                    .as_str()
                    .to_owned(),
            ),
            None => None,
        };
        self.p
            .repo
            .set_alert_number(store, number.as_deref(), self.p.clock.now())
            .await?;
        Ok(number)
    }
}
