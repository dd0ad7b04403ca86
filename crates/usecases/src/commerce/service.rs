//! The ordering service: [`Commerce`] over its ports (the other parts of [`super`] add their
//! methods to it), its error, and the field checks they share.

use std::sync::Arc;

use omni_domain::{Store, StoreId};
use omni_ports::{
    CentralRepo, Clock, CommerceRepo, MediaStorePort, OutboxRepo, RepoError, TenantRepoPort,
};

/// Why an owner action failed. `code` values are stable (the HTTP layer sends them).
#[derive(Debug, thiserror::Error)]
pub enum CommerceError {
    /// No such thing in this store.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// Bad input.
    #[error("{message}")]
    Invalid {
        /// Stable code.
        code: &'static str,
        /// What is wrong.
        message: String,
    },
    /// Not allowed in the current state (an illegal transition, a concurrent change).
    #[error("{message}")]
    Conflict {
        /// Stable code.
        code: &'static str,
        /// What is wrong.
        message: String,
    },
    /// Storage failed.
    #[error(transparent)]
    Repo(#[from] RepoError),
    /// The media store failed.
    #[error("media store: {0}")]
    Media(String),
}

pub(super) fn invalid(code: &'static str, message: impl Into<String>) -> CommerceError {
    CommerceError::Invalid {
        code,
        message: message.into(),
    }
}

pub(super) fn conflict(code: &'static str, message: impl Into<String>) -> CommerceError {
    CommerceError::Conflict {
        code,
        message: message.into(),
    }
}

/// The owner's ordering operations.
#[derive(Clone)]
pub struct Commerce {
    pub(super) central: Arc<dyn CentralRepo>,
    pub(super) tenants: Arc<dyn TenantRepoPort>,
    pub(super) commerce: Arc<dyn CommerceRepo>,
    pub(super) outbox: Arc<dyn OutboxRepo>,
    pub(super) media: Arc<dyn MediaStorePort>,
    pub(super) clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Commerce {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Commerce")
    }
}

pub(super) fn check_len(
    code: &'static str,
    field: &str,
    value: &str,
    min: usize,
    max: usize,
) -> Result<String, CommerceError> {
    let v = value.trim();
    let n = v.chars().count();
    if n < min || n > max || v.chars().any(char::is_control) {
        return Err(invalid(
            code,
            format!("{field} must be {min} to {max} characters"),
        ));
    }
    Ok(v.to_owned())
}

pub(super) fn check_optional(
    code: &'static str,
    field: &str,
    value: Option<&str>,
    max: usize,
) -> Result<Option<String>, CommerceError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) if v.chars().count() > max => Err(invalid(
            code,
            format!("{field} must be at most {max} characters"),
        )),
        Some(v) => Ok(Some(v.to_owned())),
    }
}

pub(super) fn check_paisa(field: &str, paisa: i64) -> Result<(), CommerceError> {
    // Up to Rs 10 crore: anything larger is a typo, and it keeps line totals far from overflow.
    if !(0..=10_000_000_000).contains(&paisa) {
        return Err(invalid(
            "invalid_price",
            format!("{field} must be 0 to 10,000,000,000 paisa"),
        ));
    }
    Ok(())
}

impl Commerce {
    /// The operations over their ports.
    #[must_use]
    pub fn new(
        central: Arc<dyn CentralRepo>,
        tenants: Arc<dyn TenantRepoPort>,
        commerce: Arc<dyn CommerceRepo>,
        outbox: Arc<dyn OutboxRepo>,
        media: Arc<dyn MediaStorePort>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            central,
            tenants,
            commerce,
            outbox,
            media,
            clock,
        }
    }

    pub(super) async fn store(&self, store: StoreId) -> Result<Store, CommerceError> {
        self.central
            .find_store(store)
            .await?
            .ok_or(CommerceError::NotFound("store"))
    }
}
