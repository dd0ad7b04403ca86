//! A connected WhatsApp Business number ("account"), with Meta's view of it: quality rating,
//! messaging limits, throughput. Secrets (access token, webhook verify token) are held only as
//! [`SealedSecret`] ciphertexts: the domain never sees plaintext, the `TokenCipher` port opens
//! them where a use case needs to call Meta.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::account_meta::AccountMeta;
use crate::enums::text_enum;
use crate::ids::{AccountId, PhoneNumberId, StoreId, WabaId};
use crate::phone::PhoneNumber;

text_enum!(
    /// Where an account is in its life.
    AccountStatus, "account status" {
        /// Connected, not yet verified with Meta.
        Pending => "pending",
        /// Verified and in use.
        Active => "active",
        /// Switched off by the owner; traffic is kept but not answered.
        Inactive => "inactive",
        /// Onboarding failed.
        Failed => "failed",
        /// Meta rejected the token (190 family): the owner must reconnect.
        ReauthRequired => "reauth_required",
    }
);

text_enum!(
    /// Meta's quality rating of a number.
    QualityRating, "quality rating" {
        /// High quality.
        Green => "GREEN",
        /// Medium quality.
        Yellow => "YELLOW",
        /// Low quality.
        Red => "RED",
        /// Not yet rated (Meta's UNKNOWN, or NA on the number node).
        Unknown => "UNKNOWN",
    }
);

impl QualityRating {
    /// Reads Meta's value; anything unrated or unexpected ("NA", "") is `Unknown`.
    #[must_use]
    pub fn from_meta(raw: &str) -> Self {
        raw.trim()
            .to_ascii_uppercase()
            .parse()
            .unwrap_or(Self::Unknown)
    }

    /// The colour the owner sees.
    #[must_use]
    pub const fn color(self) -> &'static str {
        match self {
            Self::Green => "green",
            Self::Yellow => "yellow",
            Self::Red => "red",
            Self::Unknown => "gray",
        }
    }
}

text_enum!(
    /// A messaging limit tier: unique users reached outside a customer service window per 24 h.
    /// Covers both the portfolio-level `whatsapp_business_manager_messaging_limit` and the
    /// deprecated per-number `messaging_limit_tier`.
    LimitTier, "messaging limit tier" {
        /// 50 (legacy per-number).
        Tier50 => "TIER_50",
        /// 250.
        Tier250 => "TIER_250",
        /// 1,000 (legacy; became 2K).
        Tier1K => "TIER_1K",
        /// 2,000.
        Tier2K => "TIER_2K",
        /// 10,000.
        Tier10K => "TIER_10K",
        /// 100,000.
        Tier100K => "TIER_100K",
        /// No limit.
        Unlimited => "TIER_UNLIMITED",
        /// Meta has not set one.
        NotSet => "TIER_NOT_SET",
    }
);

impl LimitTier {
    /// The number of unique users per 24 h, `None` for unlimited or not set.
    #[must_use]
    pub const fn daily_unique_users(self) -> Option<u32> {
        match self {
            Self::Tier50 => Some(50),
            Self::Tier250 => Some(250),
            Self::Tier1K => Some(1_000),
            Self::Tier2K => Some(2_000),
            Self::Tier10K => Some(10_000),
            Self::Tier100K => Some(100_000),
            Self::Unlimited | Self::NotSet => None,
        }
    }

    /// Ordering rank for "was this a drop?": higher is more.
    #[must_use]
    pub const fn rank(self) -> u8 {
        match self {
            Self::NotSet => 0,
            Self::Tier50 => 1,
            Self::Tier250 => 2,
            Self::Tier1K => 3,
            Self::Tier2K => 4,
            Self::Tier10K => 5,
            Self::Tier100K => 6,
            Self::Unlimited => 7,
        }
    }
}

text_enum!(
    /// Meta's `throughput.level` of a number.
    ThroughputLevel, "throughput level" {
        /// 80 messages/s.
        Standard => "STANDARD",
        /// 1,000 messages/s.
        High => "HIGH",
        /// Not registered.
        NotApplicable => "NOT_APPLICABLE",
    }
);

/// The messaging limits Meta reports for a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MessagingLimits {
    /// Portfolio-level limit (`whatsapp_business_manager_messaging_limit`), the one that counts.
    pub portfolio_tier: Option<LimitTier>,
    /// Deprecated per-number `messaging_limit_tier`, kept while Meta still sends it.
    pub legacy_tier: Option<LimitTier>,
    /// `throughput.level`.
    pub throughput: Option<ThroughputLevel>,
}

impl MessagingLimits {
    /// The tier in force: the portfolio tier, else the legacy one.
    #[must_use]
    pub fn effective_tier(&self) -> Option<LimitTier> {
        self.portfolio_tier.or(self.legacy_tier)
    }
}

/// A secret sealed by the `TokenCipher` port (versioned, key-id-tagged AES-GCM ciphertext).
/// Opaque here; `Debug` shows only that a value is present.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SealedSecret(String);

impl SealedSecret {
    /// Wraps ciphertext produced by a cipher (or read back from storage).
    #[must_use]
    pub fn from_ciphertext(text: String) -> Self {
        Self(text)
    }

    /// The ciphertext, for storage.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SealedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SealedSecret(..)")
    }
}

/// A WhatsApp Business number connected to a store.
#[derive(Debug, Clone, PartialEq)]
pub struct WhatsappAccount {
    /// Our id.
    pub id: AccountId,
    /// The owning store.
    pub store_id: StoreId,
    /// The number, E.164.
    pub phone_number: PhoneNumber,
    /// Meta's id of the number: unique across all stores (routing key).
    pub phone_number_id: PhoneNumberId,
    /// The WABA that owns the number.
    pub waba_id: WabaId,
    /// The access token, sealed.
    pub access_token: SealedSecret,
    /// Life-cycle status: read with [`Self::status`], changed only by the transitions
    /// (`lose_access`, `ban`, ...) or, for an account read back from storage,
    /// [`Self::with_status`].
    pub(crate) status: AccountStatus,
    /// Verified name shown to customers.
    pub display_name: Option<String>,
    /// Meta's quality rating.
    pub quality_rating: QualityRating,
    /// Meta's messaging limits.
    pub messaging_limits: MessagingLimits,
    /// When Meta verified the number for us.
    pub verified_at: Option<DateTime<Utc>>,
    /// Last webhook seen for this number.
    pub last_webhook_at: Option<DateTime<Utc>>,
    /// Per-account webhook verify token, sealed.
    pub webhook_verification_token: Option<SealedSecret>,
    /// Whatever else Meta told us (number and name status, health status, the token check).
    pub meta: AccountMeta,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Soft-deleted (disconnected) at.
    pub deleted_at: Option<DateTime<Utc>>,
}

impl WhatsappAccount {
    /// A newly connected account: pending, unrated, no limits known yet.
    #[must_use]
    pub fn new(
        store_id: StoreId,
        phone_number: PhoneNumber,
        phone_number_id: PhoneNumberId,
        waba_id: WabaId,
        access_token: SealedSecret,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id: AccountId::new(),
            store_id,
            phone_number,
            phone_number_id,
            waba_id,
            access_token,
            status: AccountStatus::Pending,
            display_name: None,
            quality_rating: QualityRating::Unknown,
            messaging_limits: MessagingLimits::default(),
            verified_at: None,
            last_webhook_at: None,
            webhook_verification_token: None,
            meta: AccountMeta::default(),
            created_at: now,
            updated_at: now,
            deleted_at: None,
        }
    }

    /// Life-cycle status.
    #[must_use]
    pub const fn status(&self) -> AccountStatus {
        self.status
    }

    /// The account with the status read from storage. For adapters rebuilding a stored account
    /// and for tests; the use cases move an account with its transitions instead.
    #[must_use]
    pub const fn with_status(mut self, status: AccountStatus) -> Self {
        self.status = status;
        self
    }

    /// Active and not disconnected: the only state in which the agent answers from this number.
    #[must_use]
    pub fn is_active(&self) -> bool {
        self.status == AccountStatus::Active && self.deleted_at.is_none()
    }

    /// Meta has verified the number.
    #[must_use]
    pub fn is_verified(&self) -> bool {
        self.verified_at.is_some()
    }

    /// Records Meta's verification; a pending account becomes active.
    pub fn mark_verified(&mut self, now: DateTime<Utc>) {
        self.verified_at = Some(now);
        if self.status == AccountStatus::Pending {
            self.status = AccountStatus::Active;
        }
        self.updated_at = now;
    }

    /// Records that a webhook for this number arrived.
    pub fn touch_webhook(&mut self, now: DateTime<Utc>) {
        self.last_webhook_at = Some(now);
    }

    /// The number in E.164 form ("+923001234567").
    #[must_use]
    pub fn formatted_phone(&self) -> &str {
        self.phone_number.as_str()
    }

    /// "green", "yellow", "red" or "gray".
    #[must_use]
    pub fn quality_color(&self) -> &'static str {
        self.quality_rating.color()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use chrono::TimeZone;

    pub(crate) fn account(store: StoreId, pid: &str, at: i64) -> WhatsappAccount {
        let now = Utc.timestamp_opt(at, 0).single().unwrap_or_default();
        WhatsappAccount::new(
            store,
            PhoneNumber::parse("03001234567").unwrap_or_else(|e| panic!("{e}")),
            PhoneNumberId::parse(pid).unwrap_or_else(|e| panic!("{e}")),
            WabaId::parse("102290129340398").unwrap_or_else(|e| panic!("{e}")),
            SealedSecret::from_ciphertext("v1.k.x".into()),
            now,
        )
    }

    #[test]
    fn a_new_account_is_pending_and_becomes_active_when_verified() {
        let mut a = account(StoreId::new(), "1", 0);
        assert!(!a.is_active() && !a.is_verified());
        let now = Utc::now();
        a.mark_verified(now);
        assert!(a.is_active() && a.is_verified());
        assert_eq!(a.verified_at, Some(now));
    }

    #[test]
    fn verifying_does_not_reactivate_a_deactivated_account() {
        let mut a = account(StoreId::new(), "1", 0);
        a.status = AccountStatus::Inactive;
        a.mark_verified(Utc::now());
        assert_eq!(a.status, AccountStatus::Inactive);
        assert!(!a.is_active());
    }

    #[test]
    fn a_soft_deleted_account_is_not_active() {
        let mut a = account(StoreId::new(), "1", 0);
        a.mark_verified(Utc::now());
        a.deleted_at = Some(Utc::now());
        assert!(!a.is_active());
    }

    #[test]
    fn touch_webhook_records_the_time() {
        let mut a = account(StoreId::new(), "1", 0);
        let now = Utc::now();
        a.touch_webhook(now);
        assert_eq!(a.last_webhook_at, Some(now));
    }

    #[test]
    fn formatted_phone_is_e164_and_colors_follow_quality() {
        let mut a = account(StoreId::new(), "1", 0);
        assert_eq!(a.formatted_phone(), "+923001234567");
        let expected = [
            ("GREEN", "green"),
            ("YELLOW", "yellow"),
            ("RED", "red"),
            ("UNKNOWN", "gray"),
            ("NA", "gray"),
            ("green", "green"),
        ];
        for (meta, color) in expected {
            a.quality_rating = QualityRating::from_meta(meta);
            assert_eq!(a.quality_color(), color, "{meta}");
        }
    }

    #[test]
    fn limit_tiers_parse_meta_values_and_rank() {
        assert_eq!("TIER_2K".parse(), Ok(LimitTier::Tier2K));
        assert!("TIER_3K".parse::<LimitTier>().is_err());
        assert!(LimitTier::Tier250.rank() < LimitTier::Tier2K.rank());
        assert_eq!(LimitTier::Tier10K.daily_unique_users(), Some(10_000));
        let limits = MessagingLimits {
            portfolio_tier: None,
            legacy_tier: Some(LimitTier::Tier1K),
            throughput: None,
        };
        assert_eq!(limits.effective_tier(), Some(LimitTier::Tier1K));
    }

    #[test]
    fn sealed_secrets_do_not_print() {
        let s = SealedSecret::from_ciphertext("v1.abc.secretbytes".into());
        assert_eq!(format!("{s:?}"), "SealedSecret(..)");
    }
}
