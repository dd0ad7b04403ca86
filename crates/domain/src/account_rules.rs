//! The rules of a WhatsApp account's life: its status transitions (access lost and regained,
//! banned and reinstated, switched off and on by the owner, reconnected) and the drops of its
//! health worth telling the owner about (quality down, a lower limit, a restricted number,
//! lost access). The use cases call these instead of setting `status` themselves.

use crate::account::{AccountStatus, LimitTier, QualityRating, WhatsappAccount};
use crate::enums::text_enum;

impl WhatsappAccount {
    /// Meta rejected the account's token (or the owner must reconnect ahead of its expiry):
    /// `reauth_required`. Returns whether the status changed.
    pub fn lose_access(&mut self) -> bool {
        self.set_status(AccountStatus::ReauthRequired)
    }

    /// A token that works again lifts `reauth_required`: active when Meta verified the
    /// number, else pending. Other statuses stay.
    pub fn regain_access(&mut self) {
        if self.status() == AccountStatus::ReauthRequired {
            self.status = self.ready_status();
        }
    }

    /// The owner connected the number again: a number that needed reconnecting or was
    /// failed is active again when verified, else pending. Other statuses stay.
    pub fn reconnect(&mut self) {
        if matches!(
            self.status(),
            AccountStatus::ReauthRequired | AccountStatus::Failed
        ) {
            self.status = self.ready_status();
        }
    }

    /// Meta disabled (banned) the number: `failed`.
    pub fn ban(&mut self) {
        self.status = AccountStatus::Failed;
    }

    /// Meta reinstated a banned number: a failed account is active again.
    pub fn reinstate(&mut self) {
        if self.status() == AccountStatus::Failed {
            self.status = AccountStatus::Active;
        }
    }

    /// An account whose number is known to work without the signup flow (the legacy
    /// configuration, a migrated number): active at once.
    pub fn activate(&mut self) {
        self.status = AccountStatus::Active;
    }

    /// The owner's on/off switch: active becomes inactive; inactive becomes active when
    /// verified, else pending.
    ///
    /// # Errors
    /// The current status when it is neither active nor inactive (pending, failed,
    /// `reauth_required` are Meta's or the connection's to change).
    pub fn toggle_active(&mut self) -> Result<(), AccountStatus> {
        self.status = match self.status() {
            AccountStatus::Active => AccountStatus::Inactive,
            AccountStatus::Inactive => self.ready_status(),
            other => return Err(other),
        };
        Ok(())
    }

    /// What a working number is: active when Meta verified it, else pending.
    fn ready_status(&self) -> AccountStatus {
        if self.is_verified() {
            AccountStatus::Active
        } else {
            AccountStatus::Pending
        }
    }

    /// Sets the status; whether it changed.
    fn set_status(&mut self, status: AccountStatus) -> bool {
        let changed = self.status() != status;
        self.status = status;
        changed
    }

    /// Meta's status of the number (`meta.status`, upper case), e.g. `FLAGGED`.
    #[must_use]
    pub fn number_status(&self) -> Option<String> {
        self.meta
            .number_status
            .as_deref()
            .map(str::to_ascii_uppercase)
    }

    /// Restricted by Meta: the number FLAGGED or RESTRICTED, or the account failed.
    #[must_use]
    pub fn is_restricted(&self) -> bool {
        matches!(
            self.number_status().as_deref(),
            Some("FLAGGED" | "RESTRICTED")
        ) || self.status() == AccountStatus::Failed
    }
}

text_enum! {
    /// What kind of drop of an account's health (stored as its string form).
    DropKind, "drop kind" {
        /// The quality rating went down.
        Quality => "quality_drop",
        /// The messaging limit was lowered.
        Limit => "limit_drop",
        /// Meta restricted the number.
        Restricted => "account_restricted",
        /// Access lost: the owner must reconnect.
        ReauthRequired => "reauth_required",
    }
}

text_enum! {
    /// How urgent an owner notification is (stored as its string form).
    Severity, "severity" {
        /// For the record: no WhatsApp alert.
        Info => "info",
        /// Worth a look.
        Warning => "warning",
        /// Act now.
        Critical => "critical",
    }
}

/// A drop of an account's health worth telling the owner about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthDrop {
    /// What dropped.
    pub kind: DropKind,
    /// How urgent.
    pub severity: Severity,
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

/// The drops between two states of an account: GREEN to YELLOW, anything to RED, a lower
/// messaging limit, a number newly FLAGGED or RESTRICTED (or the WABA disabled), access lost.
#[must_use]
pub fn health_drops(before: &WhatsappAccount, after: &WhatsappAccount) -> Vec<HealthDrop> {
    let number = after.phone_number.as_str();
    let mut out = Vec::new();
    let went_red =
        after.quality_rating == QualityRating::Red && before.quality_rating != QualityRating::Red;
    let went_down = matches!(
        (quality_rank(before.quality_rating), quality_rank(after.quality_rating)),
        (Some(b), Some(a)) if a < b
    );
    if went_red || went_down {
        out.push(HealthDrop {
            kind: DropKind::Quality,
            severity: if went_red {
                Severity::Critical
            } else {
                Severity::Warning
            },
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
        && a != LimitTier::NotSet
    {
        out.push(HealthDrop {
            kind: DropKind::Limit,
            severity: Severity::Warning,
            title: format!("Messaging limit of {number} lowered from {b} to {a}"),
        });
    }
    if after.is_restricted() && !before.is_restricted() {
        out.push(HealthDrop {
            kind: DropKind::Restricted,
            severity: Severity::Critical,
            title: format!(
                "{number} is restricted by Meta ({})",
                after
                    .number_status()
                    .unwrap_or_else(|| after.status().to_string())
            ),
        });
    }
    if after.status() == AccountStatus::ReauthRequired
        && before.status() != AccountStatus::ReauthRequired
    {
        out.push(HealthDrop {
            kind: DropKind::ReauthRequired,
            severity: Severity::Critical,
            title: format!("{number} lost access to WhatsApp: reconnect it"),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::account::LimitTier;
    use crate::account::tests::account;
    use crate::ids::StoreId;

    fn verified() -> WhatsappAccount {
        let mut a = account(StoreId::new(), "1", 0);
        a.mark_verified(Utc.timestamp_opt(1, 0).single().unwrap_or_default());
        a
    }

    #[test]
    fn access_is_lost_once_and_regained_as_active_or_pending() {
        let mut a = verified();
        assert!(a.lose_access());
        assert!(!a.lose_access(), "already lost");
        a.regain_access();
        assert_eq!(a.status(), AccountStatus::Active);
        let mut b = account(StoreId::new(), "2", 0);
        b.lose_access();
        b.regain_access();
        assert_eq!(b.status(), AccountStatus::Pending, "not verified yet");
    }

    #[test]
    fn a_ban_is_lifted_only_by_a_reinstatement_or_a_reconnection() {
        let mut a = verified();
        a.ban();
        a.regain_access();
        assert_eq!(a.status(), AccountStatus::Failed);
        a.reinstate();
        assert_eq!(a.status(), AccountStatus::Active);
        a.ban();
        a.reconnect();
        assert_eq!(a.status(), AccountStatus::Active);
        a.reinstate();
        assert_eq!(
            a.status(),
            AccountStatus::Active,
            "reinstating an active number"
        );
    }

    #[test]
    fn the_owner_switches_only_active_and_inactive_numbers() {
        let mut a = verified();
        assert_eq!(a.toggle_active(), Ok(()));
        assert_eq!(a.status(), AccountStatus::Inactive);
        assert_eq!(a.toggle_active(), Ok(()));
        assert_eq!(a.status(), AccountStatus::Active);
        a.lose_access();
        assert_eq!(a.toggle_active(), Err(AccountStatus::ReauthRequired));
    }

    #[test]
    fn green_to_yellow_and_anything_to_red_are_quality_drops() {
        let mut before = verified();
        before.quality_rating = QualityRating::Green;
        let mut after = before.clone();
        after.quality_rating = QualityRating::Yellow;
        let d = health_drops(&before, &after);
        assert_eq!(d.len(), 1);
        assert_eq!(
            (d[0].kind, d[0].severity),
            (DropKind::Quality, Severity::Warning)
        );
        before.quality_rating = QualityRating::Unknown;
        after.quality_rating = QualityRating::Red;
        assert_eq!(
            health_drops(&before, &after)[0].severity,
            Severity::Critical
        );
        before.quality_rating = QualityRating::Red;
        after.quality_rating = QualityRating::Green;
        assert!(health_drops(&before, &after).is_empty(), "up is not a drop");
    }

    #[test]
    fn a_lower_limit_a_flagged_number_and_lost_access_are_drops() {
        let mut before = verified();
        before.messaging_limits.portfolio_tier = Some(LimitTier::Tier2K);
        let mut after = before.clone();
        after.messaging_limits.portfolio_tier = Some(LimitTier::Tier250);
        assert_eq!(health_drops(&before, &after)[0].kind, DropKind::Limit);
        after.messaging_limits.portfolio_tier = Some(LimitTier::Tier10K);
        assert!(health_drops(&before, &after).is_empty());
        after.meta.number_status = Some("flagged".into());
        assert_eq!(health_drops(&before, &after)[0].kind, DropKind::Restricted);
        let mut lost = before.clone();
        lost.lose_access();
        assert_eq!(
            health_drops(&before, &lost)[0].kind,
            DropKind::ReauthRequired
        );
    }

    #[test]
    fn kinds_and_severities_keep_their_stored_strings() {
        for k in [
            DropKind::Quality,
            DropKind::Limit,
            DropKind::Restricted,
            DropKind::ReauthRequired,
        ] {
            assert_eq!(k.as_str().parse::<DropKind>(), Ok(k));
        }
        assert_eq!("critical".parse::<Severity>(), Ok(Severity::Critical));
        assert!("loud".parse::<Severity>().is_err());
    }
}
