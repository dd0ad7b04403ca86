//! Meta's Graph API as the core needs it. First shape, so use cases compile against it; the
//! Meta adapter issue fills in every call and error mapping.

use std::time::Duration;

use async_trait::async_trait;
use omni_domain::{MessagingLimits, PhoneNumberId, QualityRating};
use secrecy::SecretString;

use crate::BoxError;

/// What the core can do about a Graph failure.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    /// The token is invalid or expired (190 family): the owner must reconnect.
    #[error("access token rejected")]
    TokenInvalid,
    /// Throughput or rate limited: retry after the delay.
    #[error("rate limited; retry after {0:?}")]
    RateLimited(Option<Duration>),
    /// Outside the customer's 24-hour window (131047): needs a template.
    #[error("outside the 24-hour customer service window")]
    OutsideWindow,
    /// Rejected with a Meta error code that retrying will not fix.
    #[error("rejected by Meta (code {code})")]
    Rejected {
        /// Meta's `error.code`.
        code: i64,
        /// Meta's `error.message`.
        message: String,
    },
    /// Temporary failure (5xx, timeout): retry.
    #[error("graph API unavailable")]
    Unavailable(#[source] BoxError),
}

impl GraphError {
    /// Whether retrying later can succeed.
    #[must_use]
    pub const fn is_retryable(&self) -> bool {
        matches!(self, Self::RateLimited(_) | Self::Unavailable(_))
    }
}

/// A phone number as Meta describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct PhoneNumberInfo {
    /// `id`.
    pub id: PhoneNumberId,
    /// `display_phone_number`.
    pub display_phone_number: String,
    /// `verified_name`.
    pub verified_name: Option<String>,
    /// `quality_rating`.
    pub quality_rating: QualityRating,
    /// Limits and throughput.
    pub limits: MessagingLimits,
}

/// The Graph API.
#[async_trait]
pub trait MetaGraphPort: Send + Sync {
    /// Sends a text message, returning its wamid.
    ///
    /// # Errors
    /// A [`GraphError`] saying whether to retry, reconnect or give up.
    async fn send_text(
        &self,
        token: &SecretString,
        from: &PhoneNumberId,
        to: &str,
        body: &str,
    ) -> Result<String, GraphError>;

    /// Reads one phone number.
    ///
    /// # Errors
    /// A [`GraphError`].
    async fn get_phone_number(
        &self,
        token: &SecretString,
        id: &PhoneNumberId,
    ) -> Result<PhoneNumberInfo, GraphError>;
}
