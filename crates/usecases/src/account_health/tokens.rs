//! Token checks: `debug_token` for an account's token, renewing a system-user token that
//! expires soon, and marking the account `reauth_required` (with a reconnect link for the
//! owner) when the token is invalid or a user token about to expire.

use chrono::{DateTime, Duration, Utc};
use omni_domain::{Severity, WhatsappAccount};
use omni_ports::{AccountEvent, secret_aad};
use serde_json::json;

use super::service::Health;
use super::snapshot::snapshot;
use crate::accounts::{ACCESS_TOKEN_FIELD, AccountError, open_token};

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

impl Health {
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
        account.meta.token_type = info.token_type.clone();
        account.meta.token_expires_at = info.expires_at.map(|t| t.to_rfc3339());
        account.meta.token_checked_at = Some(now.to_rfc3339());
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
                                account.meta.token_expires_at = until.map(|t| t.to_rfc3339());
                                account.meta.reauth_ahead = false;
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
                    account.meta.reauth_ahead = false;
                    TokenOutcome::Valid(other)
                }
            }
        };
        account.updated_at = now;
        self.p.central.update_account(&account).await?;
        Ok(outcome)
    }

    pub(super) async fn require_reauth(
        &self,
        before: &WhatsappAccount,
        account: &mut WhatsappAccount,
        reason: &'static str,
        text: &str,
    ) -> Result<TokenOutcome, AccountError> {
        if !account.lose_access() {
            return Ok(TokenOutcome::ReauthRequired(reason));
        }
        if reason == "token_expiring" {
            account.meta.reauth_ahead = true;
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
                    "token_expires_at": account.meta.token_expires_at,
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
            Severity::Critical,
            &title,
            &format!("{title}. Reconnect: {link}"),
            json!({
                "reason": reason,
                "reconnect_url": link,
                "token_expires_at": account.meta.token_expires_at,
            }),
        )
        .await?;
        Ok(TokenOutcome::ReauthRequired(reason))
    }
}
