//! The repository error every repo port returns.

/// A boxed error from below a port, kept as a `source()` for logs.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What went wrong in a repository, in terms a use case can act on.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    /// The row to change does not exist (or is soft-deleted, or belongs to another store).
    #[error("not found")]
    NotFound,
    /// The store has no tenant database (never provisioned, or unknown store).
    #[error("no tenant database for this store")]
    TenantNotFound,
    /// A uniqueness rule or an expected version was violated; `what` names it.
    #[error("conflict: {what}")]
    Conflict {
        /// Which rule ("phone_number_id", "owner email", "order changed concurrently").
        what: String,
    },
    /// The database could not be reached or timed out: retry later.
    #[error("repository unavailable")]
    Unavailable(#[source] BoxError),
    /// A stored row no longer parses into a domain value.
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// Anything else.
    #[error("unexpected repository failure")]
    Unexpected(#[source] BoxError),
}

impl RepoError {
    /// A conflict naming its rule.
    #[must_use]
    pub fn conflict(what: impl Into<String>) -> Self {
        Self::Conflict { what: what.into() }
    }
}

/// An error and its sources in one line (`outer: cause: root cause`), for logs and stored
/// error texts where the top-level message alone says too little.
#[must_use]
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
