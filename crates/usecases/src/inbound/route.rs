//! Which store an event of a number belongs to: the live account with that
//! phone_number_id (looked up in the central database, reused for a few seconds), or the
//! legacy single-number configuration, whose number has no account row.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use omni_domain::{
    AccountId, PhoneNumber, PhoneNumberId, SealedSecret, StoreId, WabaId, WhatsappAccount,
};
use omni_ports::meta::webhook::InboundMessage;
use omni_ports::{CentralRepo, Clock, InboxOutcome, RepoError};

use crate::conversation::ProcessError;

/// The legacy single-number configuration (WHATSAPP_PHONE_ID / WHATSAPP_TOKEN): its number
/// routes to one store even without an account row. Only that number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyRoute {
    /// The configured phone_number_id.
    pub phone_number_id: PhoneNumberId,
    /// The store it belongs to.
    pub store: StoreId,
}

/// Looked-up accounts by number, with when they were read (`None`: no live account).
type AccountCache = HashMap<PhoneNumberId, (DateTime<Utc>, Option<WhatsappAccount>)>;

/// How long a looked-up account is reused before asking the database again.
const ACCOUNT_CACHE_SECS: i64 = 5;

/// Where an event goes.
pub(super) struct Route {
    pub(super) store: StoreId,
    /// The live account; for the legacy number, a stand-in built from the configuration (it
    /// has no row, and is never written).
    pub(super) account: Option<WhatsappAccount>,
    /// The legacy single-number configuration: sent with WHATSAPP_TOKEN, no account id.
    pub(super) legacy: bool,
}

impl Route {
    /// The account, when it is a live row (not the legacy stand-in).
    pub(super) fn live_account(&self) -> Option<&WhatsappAccount> {
        self.account.as_ref().filter(|_| !self.legacy)
    }

    /// The outcome of an event handled on this route.
    pub(super) fn done(&self) -> InboxOutcome {
        InboxOutcome::Done {
            store: Some(self.store),
            account: self.live_account().map(|a| a.id),
        }
    }
}

/// Finds routes, with a short-lived cache of the accounts it found.
#[derive(Clone)]
pub(super) struct Router {
    central: Arc<dyn CentralRepo>,
    clock: Arc<dyn Clock>,
    legacy: Option<LegacyRoute>,
    accounts: Arc<Mutex<AccountCache>>,
}

impl Router {
    pub(super) fn new(
        central: Arc<dyn CentralRepo>,
        clock: Arc<dyn Clock>,
        legacy: Option<LegacyRoute>,
    ) -> Self {
        Self {
            central,
            clock,
            legacy,
            accounts: Arc::default(),
        }
    }

    /// The legacy configuration, if any.
    pub(super) fn legacy(&self) -> Option<&LegacyRoute> {
        self.legacy.as_ref()
    }

    async fn account(&self, id: &PhoneNumberId) -> Result<Option<WhatsappAccount>, RepoError> {
        let now = self.clock.now();
        if let Ok(cache) = self.accounts.lock()
            && let Some((at, account)) = cache.get(id)
            && now - *at < Duration::seconds(ACCOUNT_CACHE_SECS)
        {
            return Ok(account.clone());
        }
        let account = self.central.find_account_by_phone_number_id(id).await?;
        // Only found accounts are cached: a number connected a moment ago must not stay
        // unroutable for the cache's lifetime.
        if account.is_some()
            && let Ok(mut cache) = self.accounts.lock()
        {
            if cache.len() > 10_000 {
                cache.clear();
            }
            cache.insert(id.clone(), (now, account.clone()));
        }
        Ok(account)
    }

    /// Drops a cached account (it was just changed).
    pub(super) fn forget(&self, id: &PhoneNumberId) {
        if let Ok(mut cache) = self.accounts.lock() {
            cache.remove(id);
        }
    }

    /// The route of a number.
    pub(super) async fn route(&self, id: &PhoneNumberId) -> Result<Option<Route>, ProcessError> {
        self.route_for(id, None).await
    }

    /// The route of a number; a customer message `m` lets the legacy number answer as a
    /// stand-in account (its number and WABA come from the webhook).
    pub(super) async fn route_for(
        &self,
        id: &PhoneNumberId,
        m: Option<&InboundMessage>,
    ) -> Result<Option<Route>, ProcessError> {
        if let Some(account) = self.account(id).await? {
            return Ok(Some(Route {
                store: account.store_id,
                account: Some(account),
                legacy: false,
            }));
        }
        Ok(self
            .legacy
            .as_ref()
            .filter(|l| &l.phone_number_id == id)
            .map(|l| Route {
                store: l.store,
                account: m.and_then(|m| legacy_account(l, m, self.clock.now())),
                legacy: true,
            }))
    }

    /// Records that a webhook for `account` arrived at `now` (owners see it as a hint).
    pub(super) async fn touch(&self, account: &WhatsappAccount, now: DateTime<Utc>) {
        // At most once a second per account: it is a hint for owners, not a counter.
        if account
            .last_webhook_at
            .is_some_and(|t| now - t < Duration::seconds(1))
        {
            return;
        }
        if let Err(e) = self.central.touch_account_webhook(account.id, now).await {
            tracing::warn!(account = %account.id, error = %e, "could not record last_webhook_at");
        }
        if let Ok(mut cache) = self.accounts.lock()
            && let Some((_, Some(cached))) = cache.get_mut(&account.phone_number_id)
        {
            cached.last_webhook_at = Some(now);
        }
    }
}

/// The outcome of an event for a number no live account has.
pub(super) fn unroutable(id: &PhoneNumberId) -> InboxOutcome {
    tracing::warn!(phone_number_id = %id.as_str(), "webhook for an unknown phone_number_id kept as unroutable");
    InboxOutcome::Unroutable {
        reason: format!("no live account has phone_number_id {}", id.as_str()),
    }
}

/// The stand-in account of the legacy number: active, so the store answers on it.
fn legacy_account(
    legacy: &LegacyRoute,
    m: &InboundMessage,
    now: DateTime<Utc>,
) -> Option<WhatsappAccount> {
    let digits = m.display_phone_number.trim_start_matches('+');
    let phone = PhoneNumber::parse(&format!("+{digits}")).ok()?;
    let waba = WabaId::parse(&m.waba_id).ok()?;
    let mut account = WhatsappAccount::new(
        legacy.store,
        phone,
        legacy.phone_number_id.clone(),
        waba,
        SealedSecret::from_ciphertext(String::new()),
        now,
    );
    account.id = legacy_account_id(&legacy.phone_number_id);
    account.activate();
    Some(account)
}

/// The account id conversations of the legacy number are filed under: a version 8 (custom)
/// UUID derived from the phone_number_id, so it is the same in every process and on every
/// run (and the same as before `uuid` built it: stored conversations keep their account).
pub(super) fn legacy_account_id(id: &PhoneNumberId) -> AccountId {
    let mut bytes = [0u8; 16];
    for (i, b) in id.as_str().bytes().enumerate() {
        bytes[i % 16] = bytes[i % 16].rotate_left(3) ^ b;
    }
    AccountId::from_uuid(uuid::Builder::from_custom_bytes(bytes).into_uuid())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The id as the hand-built version made it (hex text, version and variant bits set by
    /// hand, parsed back): the `uuid` builder must give the same id, or conversations already
    /// filed under the legacy number would lose their account.
    fn hand_built(id: &PhoneNumberId) -> AccountId {
        let mut bytes = [0u8; 16];
        for (i, b) in id.as_str().bytes().enumerate() {
            bytes[i % 16] = bytes[i % 16].rotate_left(3) ^ b;
        }
        bytes[6] = (bytes[6] & 0x0f) | 0x80;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let text = format!(
            "{}-{}-{}-{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..32]
        );
        AccountId::parse(&text).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_legacy_account_id_is_stable_and_unchanged_by_the_uuid_builder() {
        for raw in ["1", "106540352242922", "123456789012345678901234567890"] {
            let id = PhoneNumberId::parse(raw).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(legacy_account_id(&id), hand_built(&id), "{raw}");
            assert_eq!(
                legacy_account_id(&id).as_uuid().get_version(),
                Some(uuid::Version::Custom)
            );
        }
    }
}
