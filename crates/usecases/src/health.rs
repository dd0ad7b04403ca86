//! The old name of [`crate::account_health`] (a number's quality and limits, not liveness),
//! kept for code outside this crate.

pub use crate::account_health::*;
