//! Small wire pieces the ordering sections share: money as integer paisa with the PKR text
//! beside it, and the default of a flag that is on unless a body says otherwise.

use omni_domain::{Money, MoneyError};
use serde::Serialize;
use utoipa::ToSchema;

/// An amount: integer paisa and its PKR text.
#[derive(Debug, Serialize, ToSchema)]
pub struct Amount {
    /// Minor units (paisa for PKR).
    pub paisa: i64,
    /// As shown to people ("Rs 1,250").
    pub display: String,
}

impl From<Money> for Amount {
    fn from(m: Money) -> Self {
        Self {
            paisa: m.minor(),
            display: m.to_string(),
        }
    }
}

/// An amount that may not have been computable (an overflow): `?` then, never a panic.
pub(super) fn amount(m: Result<Money, MoneyError>) -> Amount {
    m.map_or(
        Amount {
            paisa: 0,
            display: "?".into(),
        },
        Amount::from,
    )
}

/// Serde's default for a flag that is on unless the body says otherwise.
pub(super) const fn yes() -> bool {
    true
}
