//! Creating owners and stores. A store's row is written first (recording where its tenant
//! database will live), then the database is provisioned; provisioning is idempotent, so a
//! failure there is repaired by running it again (`TenantRepoPort::provision`) rather than
//! leaving a database no row points to.

use std::sync::Arc;

use omni_domain::{Email, Owner, OwnerId, PhoneNumber, Store, StoreId, StoreKind, StoreName};
use omni_ports::{
    CentralRepo, Clock, PasswordError, PasswordHasherPort, RepoError, TenantRepoPort,
};
use secrecy::SecretString;

/// Creating an owner failed.
#[derive(Debug, thiserror::Error)]
pub enum CreateOwnerError {
    /// The email is taken.
    #[error("an owner with this email already exists")]
    EmailTaken,
    /// The password breaks the policy.
    #[error(transparent)]
    Password(#[from] PasswordError),
    /// Storage failed.
    #[error(transparent)]
    Repo(RepoError),
}

/// Creating a store failed.
#[derive(Debug, thiserror::Error)]
pub enum CreateStoreError {
    /// No such owner.
    #[error("owner not found")]
    OwnerNotFound,
    /// The store row was written but its database could not be provisioned; run again.
    #[error("store {0} was created but its tenant database could not be provisioned")]
    Provision(StoreId, #[source] RepoError),
    /// Storage failed.
    #[error(transparent)]
    Repo(RepoError),
}

/// Owners and stores.
#[derive(Clone)]
pub struct Registry {
    central: Arc<dyn CentralRepo>,
    tenants: Arc<dyn TenantRepoPort>,
    passwords: Arc<dyn PasswordHasherPort>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Registry")
    }
}

impl Registry {
    /// Wires the use cases to their ports.
    #[must_use]
    pub fn new(
        central: Arc<dyn CentralRepo>,
        tenants: Arc<dyn TenantRepoPort>,
        passwords: Arc<dyn PasswordHasherPort>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            central,
            tenants,
            passwords,
            clock,
        }
    }

    /// Creates an owner with an argon2id password hash.
    ///
    /// # Errors
    /// [`CreateOwnerError`].
    #[tracing::instrument(skip_all, fields(email = %email))]
    pub async fn create_owner(
        &self,
        email: Email,
        password: &SecretString,
        whatsapp_number: Option<PhoneNumber>,
    ) -> Result<Owner, CreateOwnerError> {
        let owner = Owner {
            id: OwnerId::new(),
            email,
            password_hash: self.passwords.hash(password)?,
            whatsapp_number,
            created_at: self.clock.now(),
        };
        match self.central.insert_owner(&owner).await {
            Ok(()) => Ok(owner),
            Err(RepoError::Conflict { .. }) => Err(CreateOwnerError::EmailTaken),
            Err(e) => Err(CreateOwnerError::Repo(e)),
        }
    }

    /// Creates a store for an owner and provisions its tenant database.
    ///
    /// # Errors
    /// [`CreateStoreError`].
    #[tracing::instrument(skip_all, fields(owner = %owner))]
    pub async fn create_store(
        &self,
        owner: OwnerId,
        name: StoreName,
        kind: StoreKind,
    ) -> Result<Store, CreateStoreError> {
        let id = StoreId::new();
        let store = Store::new(
            id,
            owner,
            name,
            kind,
            self.tenants.new_location(id),
            self.clock.now(),
        );
        self.central
            .insert_store(&store)
            .await
            .map_err(|e| match e {
                RepoError::NotFound => CreateStoreError::OwnerNotFound,
                e => CreateStoreError::Repo(e),
            })?;
        self.tenants
            .provision(id)
            .await
            .map_err(|e| CreateStoreError::Provision(id, e))?;
        tracing::info!(store = %id, "store created");
        Ok(store)
    }
}
