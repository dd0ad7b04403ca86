//! A store's customers (WhatsApp users who wrote to one of its numbers, and riders).

use async_trait::async_trait;
use omni_domain::{Customer, CustomerId, StoreId};

use crate::RepoError;

/// Customers of one store at a time.
#[async_trait]
pub trait CustomerRepo: Send + Sync {
    /// Adds a customer, or returns the existing one with the same `wa_id` (updating its name
    /// and phone when the new ones are set).
    ///
    /// # Errors
    /// `TenantNotFound` or storage failure.
    async fn upsert_customer(
        &self,
        store: StoreId,
        customer: &Customer,
    ) -> Result<Customer, RepoError>;

    /// A customer by id.
    ///
    /// # Errors
    /// `TenantNotFound` or storage failure.
    async fn find_customer(
        &self,
        store: StoreId,
        id: CustomerId,
    ) -> Result<Option<Customer>, RepoError>;

    /// The customers among `ids` that exist, in no particular order (one query, for lists).
    ///
    /// # Errors
    /// `TenantNotFound` or storage failure.
    async fn find_customers(
        &self,
        store: StoreId,
        ids: &[CustomerId],
    ) -> Result<Vec<Customer>, RepoError>;

    /// A customer by `wa_id` (riders are found this way, to see whether their window is
    /// open).
    ///
    /// # Errors
    /// Storage failure.
    async fn find_customer_by_wa_id(
        &self,
        store: StoreId,
        wa_id: &str,
    ) -> Result<Option<Customer>, RepoError>;
}
