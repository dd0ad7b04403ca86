//! [`PaymentMethodRepo`] in memory.

use async_trait::async_trait;
use omni_domain::{PaymentMethod, PaymentMethodId, StoreId};
use omni_ports::{PaymentMethodRepo, RepoError};

use super::InMemoryTenantRepo;

#[async_trait]
impl PaymentMethodRepo for InMemoryTenantRepo {
    async fn insert_payment_method(
        &self,
        store: StoreId,
        m: &PaymentMethod,
    ) -> Result<(), RepoError> {
        self.with(store, |t| {
            if t.payment_methods.contains_key(&m.id) {
                return Err(RepoError::conflict("payment method id"));
            }
            t.payment_methods.insert(m.id, m.clone());
            Ok(())
        })
    }

    async fn list_payment_methods(&self, store: StoreId) -> Result<Vec<PaymentMethod>, RepoError> {
        self.with(store, |t| {
            let mut found: Vec<PaymentMethod> = t.payment_methods.values().cloned().collect();
            found.sort_by_key(|m| (m.created_at, m.id));
            Ok(found)
        })
    }

    async fn find_payment_method(
        &self,
        store: StoreId,
        id: PaymentMethodId,
    ) -> Result<Option<PaymentMethod>, RepoError> {
        self.with(store, |t| Ok(t.payment_methods.get(&id).cloned()))
    }

    async fn update_payment_method(
        &self,
        store: StoreId,
        method: &PaymentMethod,
    ) -> Result<(), RepoError> {
        self.with(store, |t| {
            let row = t
                .payment_methods
                .get_mut(&method.id)
                .ok_or(RepoError::NotFound)?;
            *row = method.clone();
            Ok(())
        })
    }

    async fn delete_payment_method(
        &self,
        store: StoreId,
        id: PaymentMethodId,
    ) -> Result<(), RepoError> {
        self.with(store, |t| {
            t.payment_methods
                .remove(&id)
                .map(|_| ())
                .ok_or(RepoError::NotFound)
        })
    }
}
