//! Account health: what Meta says about a number over time, and what we do about it.
//!
//! - Every change of quality, limits or status, from a webhook (recorded by
//!   `InboxProcessor`, then passed here as a [`ManagementObserver`]) or from a refresh
//!   ([`Health::refresh`]), is in the account's history (`account_events`) with its time.
//! - A drop ([`drops`]: GREEN to YELLOW, anything to RED, a lower limit, a flagged,
//!   restricted or disabled number, lost access) becomes an owner notification and, when the
//!   store has an alert number, a WhatsApp message to it through the outbox.
//! - Scheduled jobs ([`Health::run_job`]): refresh every account from Meta, and check every
//!   token with `debug_token`, renewing a system-user token that expires soon
//!   (`fb_exchange_token` + `set_token_expires_in_60_days`) and marking an account with an
//!   expiring user token `reauth_required` ahead of time (Meta offers no refresh for those).
//! - [`Health::diagnose`] asks Meta why a number might not work.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use omni_domain::{AccountId, AccountStatus, PhoneNumber, QualityRating, StoreId, WhatsappAccount};
use omni_ports::meta::webhook::TemplateStatus;
use omni_ports::meta::{
    CanSend, OutboundContent, Recipient, SCOPE_MANAGEMENT, SCOPE_MESSAGING, TemplateComponent,
    TemplateComponentKind, TemplateParameter,
};
use omni_ports::{
    AccountEvent, AccountEventRepo, CentralRepo, Clock, DailyFigures, HealthRepo, MetaGraphPort,
    Notification, OutboxRepo, RepoError, TenantAnalyticsPort, TokenCipher, secret_aad,
};
use serde_json::{Value, json};

use crate::accounts::{ACCESS_TOKEN_FIELD, AccountError, apply_number_info, open_token};
use crate::outbound::{SendOptions, WhatsAppService};

/// The job that re-reads every account from Meta.
pub const JOB_REFRESH_ACCOUNTS: &str = "refresh_accounts";
/// The job that checks every token with `debug_token`.
pub const JOB_CHECK_TOKENS: &str = "check_tokens";

pub use crate::inbound::ManagementObserver;

/// Settings of the health use cases.
#[derive(Debug, Clone)]
pub struct HealthConfig {
    /// Our Meta app id (`debug_token.app_id` and `subscribed_apps` must name it).
    pub app_id: Option<String>,
    /// Where the owner reconnects a number (the owner frontend).
    pub reconnect_url: String,
    /// Renew (or ask the owner to reconnect) when a token expires within this.
    pub renew_before: Duration,
    /// A webhook within this counts as recent (diagnose).
    pub webhook_recent: Duration,
    /// The template sent to the owner's number when their 24-hour window is closed: name,
    /// language; it must exist on the WABA with one body parameter (the alert text).
    pub alert_template: (String, String),
    /// How often every account is refreshed.
    pub refresh_every: Duration,
    /// How often every token is checked.
    pub token_check_every: Duration,
}

impl Default for HealthConfig {
    fn default() -> Self {
        Self {
            app_id: None,
            reconnect_url: "/owner".to_owned(),
            renew_before: Duration::days(7),
            webhook_recent: Duration::hours(24),
            alert_template: ("account_alert".to_owned(), "en".to_owned()),
            refresh_every: Duration::days(7),
            token_check_every: Duration::days(1),
        }
    }
}

/// The ports account health needs.
#[derive(Clone)]
pub struct HealthPorts {
    /// Accounts and stores.
    pub central: Arc<dyn CentralRepo>,
    /// Account history.
    pub history: Arc<dyn AccountEventRepo>,
    /// Notifications, alert numbers, templates, jobs.
    pub repo: Arc<dyn HealthRepo>,
    /// Where alerts to the owner are queued.
    pub outbox: Arc<dyn OutboxRepo>,
    /// Tenant figures.
    pub analytics: Arc<dyn TenantAnalyticsPort>,
    /// Opens and seals tokens.
    pub cipher: Arc<dyn TokenCipher>,
    /// Meta, when configured.
    pub graph: Option<Arc<dyn MetaGraphPort>>,
    /// Clock.
    pub clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for HealthPorts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HealthPorts")
    }
}

/// Account health use cases.
#[derive(Clone)]
pub struct Health {
    p: HealthPorts,
    config: HealthConfig,
}

impl std::fmt::Debug for Health {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Health")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// A change worth telling the owner about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drop {
    /// `quality_drop`, `limit_drop`, `account_restricted`, `reauth_required`.
    pub kind: &'static str,
    /// `critical` or `warning`.
    pub severity: &'static str,
    /// One line for the owner.
    pub title: String,
}

fn quality_rank(q: QualityRating) -> Option<u8> {
    match q {
        QualityRating::Green => Some(3),
        QualityRating::Yellow => Some(2),
        QualityRating::Red => Some(1),
        QualityRating::Unknown => None,
    }
}

fn number_status(a: &WhatsappAccount) -> Option<String> {
    a.meta
        .get("status")
        .and_then(Value::as_str)
        .map(str::to_ascii_uppercase)
}

/// The drops between two states of an account: GREEN to YELLOW, anything to RED, a lower
/// messaging limit, a number newly FLAGGED or RESTRICTED (or the WABA disabled), access lost.
#[must_use]
pub fn drops(before: &WhatsappAccount, after: &WhatsappAccount) -> Vec<Drop> {
    let mut out = Vec::new();
    let number = after.phone_number.as_str();
    let went_red =
        after.quality_rating == QualityRating::Red && before.quality_rating != QualityRating::Red;
    let went_down = matches!(
        (quality_rank(before.quality_rating), quality_rank(after.quality_rating)),
        (Some(b), Some(a)) if a < b
    );
    if went_red || went_down {
        out.push(Drop {
            kind: "quality_drop",
            severity: if went_red { "critical" } else { "warning" },
            title: format!(
                "Quality of {number} dropped from {} to {}",
                before.quality_rating, after.quality_rating
            ),
        });
    }
    if let (Some(b), Some(a)) = (
        before.messaging_limits.effective_tier(),
        after.messaging_limits.effective_tier(),
    ) && a.rank() < b.rank()
        && a != omni_domain::LimitTier::NotSet
    {
        out.push(Drop {
            kind: "limit_drop",
            severity: "warning",
            title: format!("Messaging limit of {number} lowered from {b} to {a}"),
        });
    }
    let restricted = |a: &WhatsappAccount| {
        matches!(number_status(a).as_deref(), Some("FLAGGED" | "RESTRICTED"))
            || a.status == AccountStatus::Failed
    };
    if restricted(after) && !restricted(before) {
        out.push(Drop {
            kind: "account_restricted",
            severity: "critical",
            title: format!(
                "{number} is restricted by Meta ({})",
                number_status(after).unwrap_or_else(|| after.status.to_string())
            ),
        });
    }
    if after.status == AccountStatus::ReauthRequired
        && before.status != AccountStatus::ReauthRequired
    {
        out.push(Drop {
            kind: "reauth_required",
            severity: "critical",
            title: format!("{number} lost access to WhatsApp: reconnect it"),
        });
    }
    out
}

/// What an account looked like, for `before`/`after` in its history.
#[must_use]
pub fn snapshot(a: &WhatsappAccount) -> Value {
    json!({
        "status": a.status.as_str(),
        "quality_rating": a.quality_rating.as_str(),
        "messaging_limits": a.messaging_limits,
        "number_status": number_status(a),
        "can_send_message": a.meta.get("can_send_message"),
    })
}

/// An account and its history.
#[derive(Debug, Clone)]
pub struct HealthView {
    /// The account now.
    pub account: WhatsappAccount,
    /// Its history, newest first.
    pub history: Vec<AccountEvent>,
}

/// What a token check did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenOutcome {
    /// Valid and not expiring soon (`None`: never expires).
    Valid(Option<DateTime<Utc>>),
    /// A system-user token was exchanged for a fresh one, valid until then.
    Renewed(Option<DateTime<Utc>>),
    /// The owner must reconnect (invalid, or a user token about to expire).
    ReauthRequired(&'static str),
}

/// One diagnose check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// `token_valid`, `token_scopes`, `app_subscribed`, `number_registered`, `can_send`,
    /// `webhook_recent`.
    pub check: &'static str,
    /// Passed.
    pub pass: bool,
    /// What was found.
    pub detail: String,
    /// What to do when it failed.
    pub fix: Option<String>,
}

/// One day of analytics, with the rates worked out.
#[derive(Debug, Clone, PartialEq)]
pub struct DayAnalytics {
    /// Raw figures.
    pub figures: DailyFigures,
    /// Median seconds from a customer message to its first reply.
    pub median_response_secs: Option<i64>,
}

/// The median of whole seconds (the lower middle for an even count, so it is one observed
/// value).
#[must_use]
pub fn median(values: &[i64]) -> Option<i64> {
    let mut v = values.to_vec();
    v.sort_unstable();
    let n = v.len();
    (n > 0).then(|| v[(n - 1) / 2])
}

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
    /// Wires the service.
    #[must_use]
    pub fn new(ports: HealthPorts, config: HealthConfig) -> Self {
        Self { p: ports, config }
    }

    /// The settings.
    #[must_use]
    pub fn config(&self) -> &HealthConfig {
        &self.config
    }

    /// The storage port (templates and jobs use it too).
    #[must_use]
    pub fn repo(&self) -> &Arc<dyn HealthRepo> {
        &self.p.repo
    }

    async fn find(&self, store: StoreId, id: AccountId) -> Result<WhatsappAccount, AccountError> {
        self.p
            .central
            .find_account(store, id)
            .await?
            .ok_or(AccountError::NotFound)
    }

    fn graph(&self) -> Result<&Arc<dyn MetaGraphPort>, AccountError> {
        self.p.graph.as_ref().ok_or(AccountError::MetaNotConfigured)
    }

    fn reconnect_link(&self, account: &WhatsappAccount) -> String {
        let base = &self.config.reconnect_url;
        let sep = if base.contains('?') { '&' } else { '?' };
        format!(
            "{base}{sep}whatsapp=reconnect&store_id={}&account_id={}",
            account.store_id, account.id
        )
    }

    // --- notifications ---------------------------------------------------------------------

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
        for drop in drops(before, after) {
            let mut detail = json!({
                "source": source,
                "before": snapshot(before),
                "after": snapshot(after),
            });
            let body = if drop.kind == "reauth_required" {
                let link = self.reconnect_link(after);
                detail["reconnect_url"] = json!(link);
                format!("{}. Reconnect: {link}", drop.title)
            } else if drop.kind == "quality_drop" && after.quality_rating == QualityRating::Red {
                format!(
                    "{}. Business-initiated messages from this number are slowed until it \
                     recovers; replies to customers are not.",
                    drop.title
                )
            } else {
                drop.title.clone()
            };
            let n = self
                .notify(after, drop.kind, drop.severity, &drop.title, &body, detail)
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
        severity: &str,
        title: &str,
        body: &str,
        detail: Value,
    ) -> Result<Notification, RepoError> {
        let n = Notification {
            id: uuid_v7(),
            store_id: account.store_id,
            account_id: Some(account.id),
            kind: kind.to_owned(),
            severity: severity.to_owned(),
            title: title.to_owned(),
            body: body.to_owned(),
            detail,
            created_at: self.p.clock.now(),
            read_at: None,
        };
        self.p.repo.add_notification(&n).await?;
        tracing::info!(store = %n.store_id, account = %account.id, kind, severity, "owner notified");
        if severity != "info"
            && let Err(e) = self.alert_owner(account, &n).await
        {
            tracing::warn!(store = %n.store_id, error = %e, "alert to the owner's WhatsApp not queued");
        }
        Ok(n)
    }

    /// Queues the notification for the store's alert number: text inside the owner's 24-hour
    /// window on the sending number, else the configured alert template. Sent from the
    /// account itself when it can send, else from the store's default or any active number.
    async fn alert_owner(&self, account: &WhatsappAccount, n: &Notification) -> Result<(), String> {
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

    // --- history and refresh ---------------------------------------------------------------

    /// The account now, and its newest `limit` history entries.
    ///
    /// # Errors
    /// `NotFound`, storage failure.
    pub async fn view(
        &self,
        store: StoreId,
        id: AccountId,
        limit: u32,
    ) -> Result<HealthView, AccountError> {
        let account = self.find(store, id).await?;
        let history = self
            .p
            .history
            .list_for_account(id, limit.clamp(1, 500))
            .await?;
        Ok(HealthView { account, history })
    }

    /// Re-reads a number from Meta (as `Accounts::refresh`), records what changed in its
    /// history, and notifies drops.
    ///
    /// # Errors
    /// `NotFound`, `MetaNotConfigured`, `ReauthRequired`, `Meta`, storage failure.
    pub async fn refresh(
        &self,
        store: StoreId,
        id: AccountId,
    ) -> Result<WhatsappAccount, AccountError> {
        let account = self.find(store, id).await?;
        self.refresh_account(account).await
    }

    async fn refresh_account(
        &self,
        mut account: WhatsappAccount,
    ) -> Result<WhatsappAccount, AccountError> {
        let graph = self.graph()?.clone();
        let token = open_token(self.p.cipher.as_ref(), &account).map_err(AccountError::Secret)?;
        let result = graph
            .get_phone_number(&token, &account.phone_number_id)
            .await;
        // Read the row again after the call: a webhook may have changed it meanwhile, and
        // the whole row is written back.
        account = self.find(account.store_id, account.id).await?;
        let before = account.clone();
        let now = self.p.clock.now();
        let outcome = match result {
            Ok(info) => {
                apply_number_info(&mut account, &info);
                // An account marked ahead of an expiring user token stays so until the owner
                // reconnects, even though the old token still reads.
                let ahead = account.meta.get("reauth_ahead").is_some();
                if account.status == AccountStatus::ReauthRequired && !ahead {
                    account.status = if account.is_verified() {
                        AccountStatus::Active
                    } else {
                        AccountStatus::Pending
                    };
                }
                Ok(())
            }
            Err(e) if e.kind == omni_ports::GraphErrorKind::TokenInvalid => {
                account.status = AccountStatus::ReauthRequired;
                Err(AccountError::ReauthRequired)
            }
            Err(e) => return Err(AccountError::Meta(e)),
        };
        account.updated_at = now;
        self.p.central.update_account(&account).await?;
        self.record_change(&before, &account, "refresh", now)
            .await?;
        outcome.map(|()| account)
    }

    /// Records `before`/`after` in the history when something a health view shows changed,
    /// and notifies drops.
    async fn record_change(
        &self,
        before: &WhatsappAccount,
        after: &WhatsappAccount,
        kind: &str,
        at: DateTime<Utc>,
    ) -> Result<(), RepoError> {
        let (b, a) = (snapshot(before), snapshot(after));
        if a == b {
            return Ok(());
        }
        self.p
            .history
            .record(&AccountEvent {
                account_id: Some(after.id),
                store_id: Some(after.store_id),
                waba_id: after.waba_id.as_str().to_owned(),
                kind: kind.to_owned(),
                detail: json!({ "before": b, "after": a }),
                occurred_at: at,
                recorded_at: self.p.clock.now(),
            })
            .await?;
        self.notify_changes(before, after, kind).await?;
        Ok(())
    }

    // --- tokens ----------------------------------------------------------------------------

    /// Checks an account's token with `debug_token`: records its type and expiry; renews a
    /// system-user token expiring within `renew_before`; marks the account `reauth_required`
    /// (and notifies the owner with a reconnect link) when the token is invalid, or is a user
    /// token expiring within `renew_before` (Meta has no refresh for those).
    ///
    /// # Errors
    /// `MetaNotConfigured`, `Meta` (the call failed), `Secret`, storage failure.
    pub async fn check_token(
        &self,
        account: &WhatsappAccount,
    ) -> Result<TokenOutcome, AccountError> {
        let graph = self.graph()?.clone();
        let token = open_token(self.p.cipher.as_ref(), account).map_err(AccountError::Secret)?;
        let info = graph
            .debug_token(&token)
            .await
            .map_err(AccountError::Meta)?;
        let now = self.p.clock.now();
        // The row as it is now (a webhook may have changed it during the call); a token
        // replaced meanwhile (the owner reconnected) is not judged by the old one's answer.
        let checked = account.access_token.clone();
        let mut account = self.find(account.store_id, account.id).await?;
        if account.access_token != checked {
            return Ok(TokenOutcome::Valid(None));
        }
        let before = account.clone();
        set_meta(&mut account, "token_type", json!(info.token_type));
        set_meta(
            &mut account,
            "token_expires_at",
            json!(info.expires_at.map(|t| t.to_rfc3339())),
        );
        set_meta(&mut account, "token_checked_at", json!(now.to_rfc3339()));
        let outcome = if !info.is_valid {
            self.require_reauth(
                &before,
                &mut account,
                "token_invalid",
                "the access token is no longer valid",
            )
            .await?
        } else {
            match info.expires_at {
                Some(exp) if exp - now <= self.config.renew_before => {
                    if info.token_type.as_deref() == Some("SYSTEM_USER") {
                        match graph.exchange_long_lived(&token, true).await {
                            Ok(fresh) => {
                                let sealed = self
                                    .p
                                    .cipher
                                    .seal(&fresh.token, &secret_aad(account.id, ACCESS_TOKEN_FIELD))
                                    .map_err(AccountError::Secret)?;
                                account.access_token = sealed;
                                let until = fresh
                                    .expires_in
                                    .and_then(|d| Duration::from_std(d).ok())
                                    .map(|d| now + d);
                                set_meta(
                                    &mut account,
                                    "token_expires_at",
                                    json!(until.map(|t| t.to_rfc3339())),
                                );
                                remove_meta(&mut account, "reauth_ahead");
                                self.p
                                    .history
                                    .record(&AccountEvent {
                                        account_id: Some(account.id),
                                        store_id: Some(account.store_id),
                                        waba_id: account.waba_id.as_str().to_owned(),
                                        kind: "token_renewed".to_owned(),
                                        detail: json!({
                                            "old_expires_at": exp.to_rfc3339(),
                                            "new_expires_at": until.map(|t| t.to_rfc3339()),
                                        }),
                                        occurred_at: now,
                                        recorded_at: now,
                                    })
                                    .await?;
                                tracing::info!(account = %account.id, "system-user token renewed");
                                TokenOutcome::Renewed(until)
                            }
                            Err(e) => {
                                tracing::warn!(account = %account.id, kind = %e.kind, "token renewal failed");
                                self.require_reauth(
                                    &before,
                                    &mut account,
                                    "token_expiring",
                                    "the access token expires soon and Meta refused to renew it",
                                )
                                .await?
                            }
                        }
                    } else {
                        self.require_reauth(
                            &before,
                            &mut account,
                            "token_expiring",
                            "the access token is a user token that expires soon; Meta cannot renew it",
                        )
                        .await?
                    }
                }
                other => {
                    remove_meta(&mut account, "reauth_ahead");
                    TokenOutcome::Valid(other)
                }
            }
        };
        account.updated_at = now;
        self.p.central.update_account(&account).await?;
        Ok(outcome)
    }

    async fn require_reauth(
        &self,
        before: &WhatsappAccount,
        account: &mut WhatsappAccount,
        reason: &'static str,
        text: &str,
    ) -> Result<TokenOutcome, AccountError> {
        if account.status == AccountStatus::ReauthRequired {
            return Ok(TokenOutcome::ReauthRequired(reason));
        }
        account.status = AccountStatus::ReauthRequired;
        if reason == "token_expiring" {
            set_meta(account, "reauth_ahead", json!(true));
        }
        let now = self.p.clock.now();
        self.p
            .history
            .record(&AccountEvent {
                account_id: Some(account.id),
                store_id: Some(account.store_id),
                waba_id: account.waba_id.as_str().to_owned(),
                kind: reason.to_owned(),
                detail: json!({
                    "before": snapshot(before),
                    "after": snapshot(account),
                    "token_expires_at": account.meta.get("token_expires_at"),
                }),
                occurred_at: now,
                recorded_at: now,
            })
            .await?;
        let link = self.reconnect_link(account);
        let title = format!("Reconnect {}: {text}", account.phone_number);
        self.notify(
            account,
            if reason == "token_expiring" {
                "token_expiring"
            } else {
                "reauth_required"
            },
            "critical",
            &title,
            &format!("{title}. Reconnect: {link}"),
            json!({
                "reason": reason,
                "reconnect_url": link,
                "token_expires_at": account.meta.get("token_expires_at"),
            }),
        )
        .await?;
        Ok(TokenOutcome::ReauthRequired(reason))
    }

    // --- jobs ------------------------------------------------------------------------------

    /// How often a job runs; `None` for an unknown job.
    #[must_use]
    pub fn job_interval(&self, name: &str) -> Option<Duration> {
        match name {
            JOB_REFRESH_ACCOUNTS => Some(self.config.refresh_every),
            JOB_CHECK_TOKENS => Some(self.config.token_check_every),
            _ => None,
        }
    }

    /// Every job, by name.
    #[must_use]
    pub fn jobs() -> [&'static str; 2] {
        [JOB_REFRESH_ACCOUNTS, JOB_CHECK_TOKENS]
    }

    /// Runs one job over every live account of every store; a summary for the job's record.
    /// One account failing does not stop the others.
    pub async fn run_job(&self, name: &str) -> String {
        let accounts = match self.all_accounts().await {
            Ok(a) => a,
            Err(e) => return format!("error: cannot list accounts: {e}"),
        };
        let (mut ok, mut failed, mut skipped) = (0, 0, 0);
        for account in accounts {
            if account.status == AccountStatus::ReauthRequired
                || account.status == AccountStatus::Failed
            {
                skipped += 1;
                continue;
            }
            let result = match name {
                JOB_REFRESH_ACCOUNTS => self.refresh_account(account.clone()).await.map(|_| ()),
                JOB_CHECK_TOKENS => self.check_token(&account).await.map(|_| ()),
                other => return format!("error: unknown job {other}"),
            };
            match result {
                Ok(()) => ok += 1,
                Err(e) => {
                    tracing::warn!(job = name, account = %account.id, error = %e, "job step failed");
                    failed += 1;
                }
            }
        }
        format!("ok={ok} failed={failed} skipped={skipped}")
    }

    async fn all_accounts(&self) -> Result<Vec<WhatsappAccount>, RepoError> {
        let mut out = Vec::new();
        for store in self.p.central.list_stores().await? {
            out.extend(self.p.central.list_accounts(store.id).await?);
        }
        Ok(out)
    }

    // --- diagnose --------------------------------------------------------------------------

    /// Asks Meta, check by check, why a number might not work.
    ///
    /// # Errors
    /// `NotFound`, `MetaNotConfigured`, `Secret`, storage failure. Meta failing a check is a
    /// failed check, not an error.
    pub async fn diagnose(
        &self,
        store: StoreId,
        id: AccountId,
    ) -> Result<Vec<Check>, AccountError> {
        let account = self.find(store, id).await?;
        let graph = self.graph()?.clone();
        let token = open_token(self.p.cipher.as_ref(), &account).map_err(AccountError::Secret)?;
        let mut checks = Vec::new();
        let reconnect = format!("Reconnect the number: {}", self.reconnect_link(&account));
        match graph.debug_token(&token).await {
            Ok(info) => {
                let ours = self
                    .config
                    .app_id
                    .as_ref()
                    .is_none_or(|app| app == &info.app_id);
                let valid = info.is_valid && ours;
                checks.push(Check {
                    check: "token_valid",
                    pass: valid,
                    detail: if !info.is_valid {
                        format!(
                            "Meta says the token is not valid: {}",
                            info.error_message.as_deref().unwrap_or("no reason given")
                        )
                    } else if !ours {
                        "the token belongs to another Meta app".to_owned()
                    } else {
                        match info.expires_at {
                            Some(t) => format!("valid until {}", t.to_rfc3339()),
                            None => "valid, never expires".to_owned(),
                        }
                    },
                    fix: (!valid).then(|| reconnect.clone()),
                });
                let missing: Vec<&str> = [SCOPE_MANAGEMENT, SCOPE_MESSAGING]
                    .into_iter()
                    .filter(|s| !info.scopes.iter().any(|g| g == s))
                    .collect();
                checks.push(Check {
                    check: "token_scopes",
                    pass: missing.is_empty(),
                    detail: if missing.is_empty() {
                        "both WhatsApp permissions granted".to_owned()
                    } else {
                        format!("missing permissions: {}", missing.join(", "))
                    },
                    fix: (!missing.is_empty()).then(|| {
                        format!(
                            "Reconnect and grant both {SCOPE_MANAGEMENT} and {SCOPE_MESSAGING}: {}",
                            self.reconnect_link(&account)
                        )
                    }),
                });
            }
            Err(e) => {
                checks.push(Check {
                    check: "token_valid",
                    pass: false,
                    detail: format!("debug_token failed: {}", e.kind),
                    fix: Some(
                        "Retry shortly; if it persists, check the Meta app settings".to_owned(),
                    ),
                });
            }
        }
        match graph.subscribed_apps(&token, &account.waba_id).await {
            Ok(apps) => {
                let ours = apps
                    .iter()
                    .any(|a| self.config.app_id.as_ref().is_none_or(|id| id == &a.app_id));
                checks.push(Check {
                    check: "app_subscribed",
                    pass: ours,
                    detail: if ours {
                        "our app is subscribed to the WABA's webhooks".to_owned()
                    } else {
                        format!("our app is not among the {} subscribed app(s)", apps.len())
                    },
                    fix: (!ours).then(|| {
                        "Subscribe the app to the WABA (reconnecting the number does it)".to_owned()
                    }),
                });
            }
            Err(e) => checks.push(Check {
                check: "app_subscribed",
                pass: false,
                detail: format!("Meta refused subscribed_apps: {}", e.kind),
                fix: Some(reconnect.clone()),
            }),
        }
        match graph
            .get_phone_number(&token, &account.phone_number_id)
            .await
        {
            Ok(info) => {
                let registered = info.is_connected()
                    && info
                        .platform_type
                        .as_deref()
                        .is_none_or(|p| p == "CLOUD_API");
                checks.push(Check {
                    check: "number_registered",
                    pass: registered,
                    detail: format!(
                        "status {}, platform {}",
                        info.status.as_deref().unwrap_or("unknown"),
                        info.platform_type.as_deref().unwrap_or("unknown")
                    ),
                    fix: (!registered).then(|| {
                        "Register the number with the Cloud API (two-step PIN) in WhatsApp Manager or by reconnecting".to_owned()
                    }),
                });
                let (pass, detail) = match &info.health {
                    Some(h) => {
                        let why: Vec<String> = h
                            .entities
                            .iter()
                            .flat_map(|e| {
                                e.additional_info.iter().cloned().chain(
                                    e.errors
                                        .iter()
                                        .map(|p| format!("{} {}", p.code, p.description)),
                                )
                            })
                            .collect();
                        (
                            !matches!(h.can_send_message, CanSend::Blocked),
                            format!(
                                "can_send_message {}{}",
                                h.can_send_message.as_str(),
                                if why.is_empty() {
                                    String::new()
                                } else {
                                    format!(": {}", why.join("; "))
                                }
                            ),
                        )
                    }
                    None => (true, "Meta gave no health_status".to_owned()),
                };
                checks.push(Check {
                    check: "can_send",
                    pass,
                    detail,
                    fix: (!pass).then(|| {
                        "Meta blocks sending from this number: see the reasons, fix them in WhatsApp Manager (payment method, display name, policy)".to_owned()
                    }),
                });
            }
            Err(e) => {
                for check in ["number_registered", "can_send"] {
                    checks.push(Check {
                        check,
                        pass: false,
                        detail: format!("Meta refused the number lookup: {}", e.kind),
                        fix: Some(reconnect.clone()),
                    });
                }
            }
        }
        let now = self.p.clock.now();
        let recent = account
            .last_webhook_at
            .is_some_and(|t| now - t <= self.config.webhook_recent);
        checks.push(Check {
            check: "webhook_recent",
            pass: recent,
            detail: match account.last_webhook_at {
                Some(t) => format!("last webhook at {}", t.to_rfc3339()),
                None => "no webhook has arrived for this number".to_owned(),
            },
            fix: (!recent).then(|| {
                format!(
                    "Send a message to the number; if nothing arrives within {} hours, check the app's webhook URL and its `messages` subscription",
                    self.config.webhook_recent.num_hours()
                )
            }),
        });
        Ok(checks)
    }

    // --- analytics -------------------------------------------------------------------------

    /// Per-day figures of a number from `from` to `to` (inclusive, at most 366 days).
    ///
    /// # Errors
    /// `NotFound`, storage failure.
    pub async fn analytics(
        &self,
        store: StoreId,
        id: AccountId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<DayAnalytics>, AccountError> {
        let account = self.find(store, id).await?;
        let days = self
            .p
            .analytics
            .daily_figures(store, account.id, from, to)
            .await?;
        Ok(days
            .into_iter()
            .map(|figures| DayAnalytics {
                median_response_secs: median(&figures.response_secs),
                figures,
            })
            .collect())
    }
}

#[async_trait]
impl ManagementObserver for Health {
    async fn account_changed(
        &self,
        before: &WhatsappAccount,
        after: &WhatsappAccount,
        kind: &str,
        _at: DateTime<Utc>,
    ) {
        if let Err(e) = self.notify_changes(before, after, kind).await {
            tracing::warn!(account = %after.id, error = %e, "could not notify the owner of an account change");
        }
    }

    async fn template_status(&self, event: &TemplateStatus, at: DateTime<Utc>) {
        let (Some(name), Some(language)) = (&event.name, &event.language) else {
            return;
        };
        let reason = event
            .reason
            .as_deref()
            .filter(|r| !r.eq_ignore_ascii_case("NONE"));
        match self
            .p
            .repo
            .set_template_status(&event.waba_id, name, language, &event.event, reason, at)
            .await
        {
            Ok(true) => {
                tracing::info!(template = %name, status = %event.event, "template status updated")
            }
            Ok(false) => {
                tracing::info!(template = %name, "status of a template we have not synced")
            }
            Err(e) => tracing::warn!(error = %e, "could not store a template status"),
        }
    }
}

fn set_meta(account: &mut WhatsappAccount, key: &str, value: Value) {
    if !account.meta.is_object() {
        account.meta = Value::Object(serde_json::Map::new());
    }
    if let Value::Object(map) = &mut account.meta {
        map.insert(key.to_owned(), value);
    }
}

fn remove_meta(account: &mut WhatsappAccount, key: &str) {
    if let Value::Object(map) = &mut account.meta {
        map.remove(key);
    }
}

fn uuid_v7() -> String {
    uuid::Uuid::now_v7().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use omni_domain::{LimitTier, PhoneNumberId, SealedSecret, WabaId};

    fn account() -> WhatsappAccount {
        WhatsappAccount::new(
            StoreId::new(),
            PhoneNumber::parse("03001234567").unwrap_or_else(|e| panic!("{e}")),
            PhoneNumberId::parse("1").unwrap_or_else(|e| panic!("{e}")),
            WabaId::parse("2").unwrap_or_else(|e| panic!("{e}")),
            SealedSecret::from_ciphertext(String::new()),
            Utc::now(),
        )
    }

    #[test]
    fn green_to_yellow_and_anything_to_red_are_quality_drops() {
        let mut before = account();
        before.quality_rating = QualityRating::Green;
        let mut after = before.clone();
        after.quality_rating = QualityRating::Yellow;
        let d = drops(&before, &after);
        assert_eq!(d.len(), 1);
        assert_eq!((d[0].kind, d[0].severity), ("quality_drop", "warning"));
        before.quality_rating = QualityRating::Unknown;
        after.quality_rating = QualityRating::Red;
        assert_eq!(drops(&before, &after)[0].severity, "critical");
        // Up is not a drop.
        before.quality_rating = QualityRating::Red;
        after.quality_rating = QualityRating::Green;
        assert!(drops(&before, &after).is_empty());
    }

    #[test]
    fn a_lower_limit_and_a_flagged_number_are_drops_a_higher_limit_is_not() {
        let mut before = account();
        before.messaging_limits.portfolio_tier = Some(LimitTier::Tier2K);
        let mut after = before.clone();
        after.messaging_limits.portfolio_tier = Some(LimitTier::Tier250);
        assert_eq!(drops(&before, &after)[0].kind, "limit_drop");
        after.messaging_limits.portfolio_tier = Some(LimitTier::Tier10K);
        assert!(drops(&before, &after).is_empty());
        set_meta(&mut after, "status", json!("FLAGGED"));
        assert_eq!(drops(&before, &after)[0].kind, "account_restricted");
    }

    #[test]
    fn the_median_is_an_observed_value() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[30, 10, 20]), Some(20));
        assert_eq!(median(&[40, 10, 20, 30]), Some(20));
    }
}
