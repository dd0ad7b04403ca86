//! The central database as a whole: checking it answers.

use async_trait::async_trait;

use crate::RepoError;

/// Liveness of the central database.
#[async_trait]
pub trait CentralDbRepo: Send + Sync {
    /// Checks the database answers.
    ///
    /// # Errors
    /// `Unavailable` when it does not.
    async fn ping(&self) -> Result<(), RepoError>;
}
