//! A store (one tenant): its settings and where its tenant database lives.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::account::WhatsappAccount;
use crate::enums::text_enum;
use crate::ids::{AccountId, OwnerId, StoreId};
use crate::money::Currency;

text_enum!(
    /// What kind of business a store is.
    StoreKind, "store kind" {
        /// Takes delivery orders from a menu.
        Restaurant => "restaurant",
        /// Sells products.
        Shop => "shop",
    }
);

/// A store's name: 1 to 120 characters, trimmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct StoreName(String);

/// A store name that is empty or too long.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("store name must be 1 to 120 characters")]
pub struct ParseStoreNameError;

impl StoreName {
    /// Parses a name.
    ///
    /// # Errors
    /// When empty after trimming or longer than 120 characters.
    pub fn parse(raw: &str) -> Result<Self, ParseStoreNameError> {
        let raw = raw.trim();
        if raw.is_empty() || raw.chars().count() > 120 || raw.chars().any(char::is_control) {
            return Err(ParseStoreNameError);
        }
        Ok(Self(raw.to_owned()))
    }

    /// The name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for StoreName {
    type Error = ParseStoreNameError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<StoreName> for String {
    fn from(n: StoreName) -> String {
        n.0
    }
}

/// Where a store's tenant database lives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "backend", rename_all = "snake_case")]
pub enum TenantLocation {
    /// A SQLite file, relative to the data directory.
    Sqlite {
        /// File name under the data directory.
        file: String,
    },
    /// A database on a Postgres server. `server` names a server from configuration, so no
    /// credentials are stored in the central database and stores can live on different servers.
    Postgres {
        /// Configured server name.
        server: String,
        /// Database name on that server.
        database: String,
    },
}

/// A store.
#[derive(Debug, Clone, PartialEq)]
pub struct Store {
    /// Id.
    pub id: StoreId,
    /// Owner.
    pub owner_id: OwnerId,
    /// Name.
    pub name: StoreName,
    /// Restaurant or shop.
    pub kind: StoreKind,
    /// Currency of prices and orders.
    pub currency: Currency,
    /// IANA time zone name.
    pub timezone: String,
    /// Whether the AI agent answers customers.
    pub ai_enabled: bool,
    /// Whether the public storefront is on.
    pub storefront_enabled: bool,
    /// The account used for business-initiated messages, when set.
    pub default_account_id: Option<AccountId>,
    /// Where the tenant database lives.
    pub tenant: TenantLocation,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl Store {
    /// Default time zone of a new store.
    pub const DEFAULT_TIMEZONE: &'static str = "Asia/Karachi";

    /// A new store with the defaults: PKR, Asia/Karachi, AI on, storefront off.
    #[must_use]
    pub fn new(
        id: StoreId,
        owner_id: OwnerId,
        name: StoreName,
        kind: StoreKind,
        tenant: TenantLocation,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            owner_id,
            name,
            kind,
            currency: Currency::PKR,
            timezone: Self::DEFAULT_TIMEZONE.to_owned(),
            ai_enabled: true,
            storefront_enabled: false,
            default_account_id: None,
            tenant,
            created_at: now,
            updated_at: now,
        }
    }

    /// The account to send from: the default account when it is active, else the oldest
    /// active account, else none. Accounts of other stores are ignored.
    #[must_use]
    pub fn active_whatsapp_account<'a>(
        &self,
        accounts: &'a [WhatsappAccount],
    ) -> Option<&'a WhatsappAccount> {
        let mine = || {
            accounts
                .iter()
                .filter(|a| a.store_id == self.id && a.is_active())
        };
        if let Some(default) = self.default_account_id
            && let Some(account) = mine().find(|a| a.id == default)
        {
            return Some(account);
        }
        mine().min_by_key(|a| (a.created_at, a.id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::AccountStatus;
    use crate::account::tests::account;
    use chrono::Utc;

    fn store() -> Store {
        Store::new(
            StoreId::new(),
            OwnerId::new(),
            StoreName::parse("Karachi Grill").unwrap_or_else(|e| panic!("{e}")),
            StoreKind::Restaurant,
            TenantLocation::Sqlite {
                file: "t.sqlite".into(),
            },
            Utc::now(),
        )
    }

    fn active(store: &Store, pid: &str, at: i64) -> WhatsappAccount {
        let mut a = account(store.id, pid, at);
        a.status = AccountStatus::Active;
        a
    }

    #[test]
    fn a_new_store_has_the_documented_defaults() {
        let s = store();
        assert_eq!(
            (
                s.currency,
                s.timezone.as_str(),
                s.ai_enabled,
                s.storefront_enabled
            ),
            (Currency::PKR, "Asia/Karachi", true, false)
        );
        assert_eq!(s.default_account_id, None);
    }

    #[test]
    fn the_default_account_wins_when_it_is_active() {
        let mut s = store();
        let accounts = vec![active(&s, "1", 10), active(&s, "2", 20)];
        s.default_account_id = Some(accounts[1].id);
        assert_eq!(
            s.active_whatsapp_account(&accounts).map(|a| a.id),
            Some(accounts[1].id)
        );
    }

    #[test]
    fn an_inactive_default_falls_back_to_the_oldest_active_account() {
        let mut s = store();
        let mut accounts = vec![
            active(&s, "3", 30),
            active(&s, "1", 10),
            active(&s, "2", 20),
        ];
        accounts[0].status = AccountStatus::Inactive;
        s.default_account_id = Some(accounts[0].id);
        assert_eq!(
            s.active_whatsapp_account(&accounts).map(|a| a.id),
            Some(accounts[1].id)
        );
    }

    #[test]
    fn a_deleted_default_falls_back_too() {
        let mut s = store();
        let mut accounts = vec![active(&s, "1", 10), active(&s, "2", 20)];
        accounts[0].deleted_at = Some(Utc::now());
        s.default_account_id = Some(accounts[0].id);
        assert_eq!(
            s.active_whatsapp_account(&accounts).map(|a| a.id),
            Some(accounts[1].id)
        );
    }

    #[test]
    fn no_default_picks_the_oldest_active_account() {
        let s = store();
        let accounts = vec![active(&s, "2", 20), active(&s, "1", 10)];
        assert_eq!(
            s.active_whatsapp_account(&accounts).map(|a| a.id),
            Some(accounts[1].id)
        );
    }

    #[test]
    fn no_active_account_gives_none() {
        let s = store();
        let mut pending = account(s.id, "1", 10);
        pending.status = AccountStatus::Pending;
        let mut reauth = account(s.id, "2", 5);
        reauth.status = AccountStatus::ReauthRequired;
        assert!(s.active_whatsapp_account(&[pending, reauth]).is_none());
        assert!(s.active_whatsapp_account(&[]).is_none());
    }

    #[test]
    fn another_stores_account_is_never_chosen_even_as_default() {
        let mut s = store();
        let other = store();
        let foreign = active(&other, "9", 1);
        s.default_account_id = Some(foreign.id);
        assert!(
            s.active_whatsapp_account(std::slice::from_ref(&foreign))
                .is_none()
        );
    }

    #[test]
    fn store_names_are_trimmed_and_bounded() {
        assert_eq!(
            StoreName::parse("  Biryani House ").map(|n| n.as_str().to_owned()),
            Ok("Biryani House".into())
        );
        assert!(StoreName::parse("   ").is_err());
        assert!(StoreName::parse(&"x".repeat(121)).is_err());
        assert!(StoreName::parse("a\u{0}b").is_err());
        assert!(StoreName::parse("کراچی بریانی").is_ok());
    }
}
