//! A store's payment methods (bank accounts, wallets) shown to customers.

use async_trait::async_trait;
use omni_domain::{PaymentMethod, PaymentMethodId, StoreId};

use crate::RepoError;

/// The payment methods of one store at a time.
#[async_trait]
pub trait PaymentMethodRepo: Send + Sync {
    /// Adds a payment method.
    ///
    /// # Errors
    /// `Conflict` on a duplicate id.
    async fn insert_payment_method(
        &self,
        store: StoreId,
        m: &PaymentMethod,
    ) -> Result<(), RepoError>;

    /// The payment methods, oldest first.
    ///
    /// # Errors
    /// `TenantNotFound` or storage failure.
    async fn list_payment_methods(&self, store: StoreId) -> Result<Vec<PaymentMethod>, RepoError>;

    /// A payment method.
    ///
    /// # Errors
    /// Storage failure.
    async fn find_payment_method(
        &self,
        store: StoreId,
        id: PaymentMethodId,
    ) -> Result<Option<PaymentMethod>, RepoError>;

    /// Replaces a payment method's fields.
    ///
    /// # Errors
    /// `NotFound`.
    async fn update_payment_method(
        &self,
        store: StoreId,
        method: &PaymentMethod,
    ) -> Result<(), RepoError>;

    /// Deletes a payment method.
    ///
    /// # Errors
    /// `NotFound`.
    async fn delete_payment_method(
        &self,
        store: StoreId,
        id: PaymentMethodId,
    ) -> Result<(), RepoError>;
}
