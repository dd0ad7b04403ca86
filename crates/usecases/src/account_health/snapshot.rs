//! The snapshot of an account kept in its history (`before`/`after`): what a health view
//! shows. The drops between two snapshots are the domain's ([`omni_domain::health_drops`]).

use omni_domain::WhatsappAccount;
use serde_json::{Value, json};

/// What an account looked like, for `before`/`after` in its history.
#[must_use]
pub fn snapshot(a: &WhatsappAccount) -> Value {
    json!({
        "status": a.status().as_str(),
        "quality_rating": a.quality_rating.as_str(),
        "messaging_limits": a.messaging_limits,
        "number_status": a.number_status(),
        "can_send_message": a.meta.can_send_message,
    })
}
