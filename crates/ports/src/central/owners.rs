//! Owners: the people who log in and own stores.

use async_trait::async_trait;
use omni_domain::{Email, Owner, OwnerId};

use crate::RepoError;

/// Owners in the central database.
#[async_trait]
pub trait OwnerRepo: Send + Sync {
    /// Adds an owner.
    ///
    /// # Errors
    /// MUST return `Conflict` when the email is taken.
    async fn insert_owner(&self, owner: &Owner) -> Result<(), RepoError>;

    /// An owner by id.
    ///
    /// # Errors
    /// Only on storage failure.
    async fn find_owner(&self, id: OwnerId) -> Result<Option<Owner>, RepoError>;

    /// An owner by login email.
    ///
    /// # Errors
    /// Only on storage failure.
    async fn find_owner_by_email(&self, email: &Email) -> Result<Option<Owner>, RepoError>;
}
