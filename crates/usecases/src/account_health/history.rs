//! An account's health history: the view (the account and its history), and a refresh from
//! Meta that records what changed and notifies drops.

use chrono::{DateTime, Utc};
use omni_domain::{AccountId, StoreId, WhatsappAccount};
use omni_ports::{AccountEvent, RepoError};
use serde_json::json;

use super::service::Health;
use super::snapshot::snapshot;
use crate::accounts::{AccountError, apply_number_info, open_token};

/// An account and its history.
#[derive(Debug, Clone)]
pub struct HealthView {
    /// The account now.
    pub account: WhatsappAccount,
    /// Its history, newest first.
    pub history: Vec<AccountEvent>,
}

impl Health {
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

    pub(super) async fn refresh_account(
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
                let ahead = account.meta.reauth_ahead;
                if !ahead {
                    account.regain_access();
                }
                Ok(())
            }
            Err(e) if e.kind == omni_ports::GraphErrorKind::TokenInvalid => {
                account.lose_access();
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
    pub(super) async fn record_change(
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
}
