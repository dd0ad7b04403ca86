//! What an owner does with the store's connected numbers: list, make default, switch on and
//! off, re-read from Meta, disconnect. Every method takes the store first and finds the
//! account through `CentralRepo::find_account(store, id)`, which answers `None` for another
//! store's id: that one lookup is the cross-store guarantee, so no method touches an account
//! any other way.

use std::sync::Arc;

use omni_domain::{AccountId, AccountStatus, StoreId, WhatsappAccount};
use omni_ports::meta::PhoneNumberInfo;
use omni_ports::{
    CentralRepo, CipherError, Clock, GraphError, GraphErrorKind, MetaGraphPort, RepoError,
    TokenCipher, secret_aad,
};
use secrecy::SecretString;

pub use omni_ports::ACCESS_TOKEN_FIELD;

/// A new account of `store`, active and verified, with `token` sealed under its own id (the
/// id is part of the associated data, so the account is built before the token is sealed).
///
/// # Errors
/// When the cipher cannot seal.
pub fn sealed_account(
    cipher: &dyn TokenCipher,
    store: StoreId,
    phone: omni_domain::PhoneNumber,
    phone_number_id: omni_domain::PhoneNumberId,
    waba: omni_domain::WabaId,
    token: &SecretString,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<WhatsappAccount, CipherError> {
    let mut account = WhatsappAccount::new(
        store,
        phone,
        phone_number_id,
        waba,
        omni_domain::SealedSecret::from_ciphertext(String::new()),
        now,
    );
    account.access_token = cipher.seal(token, &secret_aad(account.id, ACCESS_TOKEN_FIELD))?;
    account.activate();
    account.mark_verified(now);
    Ok(account)
}

/// An account operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// No live account with this id in this store.
    #[error("account not found")]
    NotFound,
    /// Only an active account can be the default.
    #[error("only an active account can be the default")]
    NotActive,
    /// The status does not allow switching (pending, failed, reauth_required).
    #[error("an account in status {0} cannot be switched on or off")]
    InvalidStatus(AccountStatus),
    /// Meta rejected the token: the owner must connect the number again.
    #[error("Meta rejected the access token; connect the number again")]
    ReauthRequired,
    /// No Meta app is configured.
    #[error("no Meta app is configured")]
    MetaNotConfigured,
    /// Meta failed.
    #[error("Meta refused or failed: {0}")]
    Meta(#[source] GraphError),
    /// The stored token cannot be opened (key missing or value tampered with).
    #[error("the stored access token cannot be opened")]
    Secret(#[source] CipherError),
    /// Storage failed.
    #[error(transparent)]
    Repo(#[from] RepoError),
}

/// How tidying Meta's side went after a disconnect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetaCleanup {
    /// Nothing of ours is left on the WABA (unsubscribed, or the override removed).
    Done,
    /// Other accounts of ours still use the WABA; it stays subscribed.
    SharedWaba,
    /// No Meta app is configured; nothing was called.
    Skipped,
    /// Meta could not be tidied (logged); the local disconnect stands.
    Failed,
}

impl MetaCleanup {
    /// Stable snake_case name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Done => "done",
            Self::SharedWaba => "shared_waba",
            Self::Skipped => "skipped",
            Self::Failed => "failed",
        }
    }
}

/// A store's accounts.
#[derive(Clone)]
pub struct Accounts {
    central: Arc<dyn CentralRepo>,
    cipher: Arc<dyn TokenCipher>,
    graph: Option<Arc<dyn MetaGraphPort>>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Accounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Accounts")
    }
}

/// Copies what Meta says about a number onto the account (not its status: callers decide).
pub(crate) fn apply_number_info(account: &mut WhatsappAccount, info: &PhoneNumberInfo) {
    if let Some(name) = info.verified_name.as_ref().filter(|n| !n.trim().is_empty()) {
        account.display_name = Some(name.clone());
    }
    account.quality_rating = info.quality_rating;
    account.messaging_limits = info.limits;
    let meta = &mut account.meta;
    meta.number_status.clone_from(&info.status);
    meta.name_status.clone_from(&info.name_status);
    meta.code_verification_status
        .clone_from(&info.code_verification_status);
    meta.platform_type.clone_from(&info.platform_type);
    meta.account_mode.clone_from(&info.account_mode);
    meta.display_phone_number = Some(info.display_phone_number.clone());
    meta.can_send_message = info
        .health
        .as_ref()
        .map(|h| h.can_send_message.as_str().to_owned());
}

pub(crate) fn open_token(
    cipher: &dyn TokenCipher,
    account: &WhatsappAccount,
) -> Result<SecretString, CipherError> {
    cipher.open(
        &account.access_token,
        &secret_aad(account.id, ACCESS_TOKEN_FIELD),
    )
}

impl Accounts {
    /// Wires the service.
    #[must_use]
    pub fn new(
        central: Arc<dyn CentralRepo>,
        cipher: Arc<dyn TokenCipher>,
        graph: Option<Arc<dyn MetaGraphPort>>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            central,
            cipher,
            graph,
            clock,
        }
    }

    async fn find(&self, store: StoreId, id: AccountId) -> Result<WhatsappAccount, AccountError> {
        self.central
            .find_account(store, id)
            .await?
            .ok_or(AccountError::NotFound)
    }

    /// The store's live accounts, oldest first.
    ///
    /// # Errors
    /// Storage failure.
    pub async fn list(&self, store: StoreId) -> Result<Vec<WhatsappAccount>, AccountError> {
        Ok(self.central.list_accounts(store).await?)
    }

    /// Makes an active account the store's default.
    ///
    /// # Errors
    /// `NotFound`, `NotActive`.
    #[tracing::instrument(skip_all, fields(store = %store, account = %id))]
    pub async fn set_default(
        &self,
        store: StoreId,
        id: AccountId,
    ) -> Result<WhatsappAccount, AccountError> {
        let account = self.find(store, id).await?;
        if !account.is_active() {
            return Err(AccountError::NotActive);
        }
        self.central
            .set_default_account(store, Some(id))
            .await
            .map_err(|e| match e {
                RepoError::NotFound => AccountError::NotFound,
                e => AccountError::Repo(e),
            })?;
        tracing::info!("default account set");
        Ok(account)
    }

    /// Switches an active account off, or an inactive one back on (pending again when it was
    /// never verified).
    ///
    /// # Errors
    /// `NotFound`, `InvalidStatus` for pending, failed and reauth_required accounts.
    #[tracing::instrument(skip_all, fields(store = %store, account = %id))]
    pub async fn toggle_status(
        &self,
        store: StoreId,
        id: AccountId,
    ) -> Result<WhatsappAccount, AccountError> {
        let mut account = self.find(store, id).await?;
        account
            .toggle_active()
            .map_err(AccountError::InvalidStatus)?;
        account.updated_at = self.clock.now();
        self.central.update_account(&account).await?;
        tracing::info!(status = %account.status(), "account status switched");
        Ok(account)
    }

    /// Re-reads the number from Meta: display name, quality, limits, throughput, statuses.
    /// A rejected token (190 family) marks the account `reauth_required`; a token that works
    /// again lifts that.
    ///
    /// # Errors
    /// `NotFound`, `MetaNotConfigured`, `ReauthRequired` (after saving the status), `Meta`.
    #[tracing::instrument(skip_all, fields(store = %store, account = %id))]
    pub async fn refresh(
        &self,
        store: StoreId,
        id: AccountId,
    ) -> Result<WhatsappAccount, AccountError> {
        let mut account = self.find(store, id).await?;
        let graph = self.graph.as_ref().ok_or(AccountError::MetaNotConfigured)?;
        let token = open_token(self.cipher.as_ref(), &account).map_err(AccountError::Secret)?;
        match graph
            .get_phone_number(&token, &account.phone_number_id)
            .await
        {
            Ok(info) => {
                apply_number_info(&mut account, &info);
                account.regain_access();
                account.updated_at = self.clock.now();
                self.central.update_account(&account).await?;
                tracing::info!("account refreshed from Meta");
                Ok(account)
            }
            Err(e) if e.kind == GraphErrorKind::TokenInvalid => {
                account.lose_access();
                account.updated_at = self.clock.now();
                self.central.update_account(&account).await?;
                tracing::warn!("Meta rejected the account's token: reauth required");
                Err(AccountError::ReauthRequired)
            }
            Err(e) => Err(AccountError::Meta(e)),
        }
    }

    /// Disconnects an account (soft delete, clearing the default if it was), then tidies
    /// Meta's side best-effort: when no other live account of ours uses the WABA, the app is
    /// unsubscribed from it, which also drops any WABA-level callback override; while other
    /// accounts still use the WABA its subscription (and override) stay, since they need it.
    /// A Meta failure never undoes the local disconnect; it is logged and reported.
    ///
    /// # Errors
    /// `NotFound`; storage failure.
    #[tracing::instrument(skip_all, fields(store = %store, account = %id))]
    pub async fn disconnect(
        &self,
        store: StoreId,
        id: AccountId,
    ) -> Result<MetaCleanup, AccountError> {
        let account = self.find(store, id).await?;
        self.central
            .soft_delete_account(store, id, self.clock.now())
            .await
            .map_err(|e| match e {
                RepoError::NotFound => AccountError::NotFound,
                e => AccountError::Repo(e),
            })?;
        tracing::info!("account disconnected");
        let cleanup = self.tidy_meta(&account).await;
        if cleanup == MetaCleanup::Failed {
            tracing::warn!(waba = %account.waba_id, "Meta cleanup after disconnect failed");
        }
        Ok(cleanup)
    }

    async fn tidy_meta(&self, account: &WhatsappAccount) -> MetaCleanup {
        let Some(graph) = &self.graph else {
            return MetaCleanup::Skipped;
        };
        let others = match self.central.list_accounts_by_waba(&account.waba_id).await {
            Ok(others) => others,
            Err(e) => {
                tracing::warn!(error = %e, "cannot list the WABA's other accounts");
                return MetaCleanup::Failed;
            }
        };
        if !others.is_empty() {
            return MetaCleanup::SharedWaba;
        }
        let token = match open_token(self.cipher.as_ref(), account) {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!(error = %e, "cannot open the token for Meta cleanup");
                return MetaCleanup::Failed;
            }
        };
        // Unsubscribing removes the app's subscription, and with it any WABA-level callback
        // override we set; nothing of ours is left on the WABA.
        match graph.unsubscribe_app(&token, &account.waba_id).await {
            Ok(()) => MetaCleanup::Done,
            Err(e) => {
                tracing::warn!(error = %e, kind = %e.kind, "unsubscribe_app failed");
                MetaCleanup::Failed
            }
        }
    }
}
