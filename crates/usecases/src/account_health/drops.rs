//! The drops of an account's health worth telling the owner about (quality down, a lower
//! limit, a restricted number, lost access), and the snapshot of an account kept in its
//! history.

use omni_domain::{AccountStatus, QualityRating, WhatsappAccount};
use serde_json::{Value, json};

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

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use omni_domain::{LimitTier, PhoneNumber, PhoneNumberId, SealedSecret, StoreId, WabaId};

    use super::*;
    use crate::account_health::service::set_meta;

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
}
