//! [`CustomerRepo`] in memory.

use async_trait::async_trait;
use omni_domain::{Customer, CustomerId, StoreId};
use omni_ports::{CustomerRepo, RepoError};

use super::InMemoryTenantRepo;

#[async_trait]
impl CustomerRepo for InMemoryTenantRepo {
    async fn upsert_customer(
        &self,
        store: StoreId,
        customer: &Customer,
    ) -> Result<Customer, RepoError> {
        self.with(store, |t| {
            if let Some(existing) = t
                .customers
                .values_mut()
                .find(|c| c.wa_id() == customer.wa_id())
            {
                if customer.name.is_some() {
                    existing.name.clone_from(&customer.name);
                }
                if customer.phone.is_some() {
                    existing.phone.clone_from(&customer.phone);
                }
                return Ok(existing.clone());
            }
            if t.customers.contains_key(&customer.id) {
                return Err(RepoError::conflict("customer id"));
            }
            t.customers.insert(customer.id, customer.clone());
            Ok(customer.clone())
        })
    }

    async fn find_customer(
        &self,
        store: StoreId,
        id: CustomerId,
    ) -> Result<Option<Customer>, RepoError> {
        self.with(store, |t| Ok(t.customers.get(&id).cloned()))
    }

    async fn find_customers(
        &self,
        store: StoreId,
        ids: &[CustomerId],
    ) -> Result<Vec<Customer>, RepoError> {
        self.with(store, |t| {
            Ok(t.customers
                .values()
                .filter(|c| ids.contains(&c.id))
                .cloned()
                .collect())
        })
    }

    async fn find_customer_by_wa_id(
        &self,
        store: StoreId,
        wa_id: &str,
    ) -> Result<Option<Customer>, RepoError> {
        self.with(store, |t| {
            Ok(t.customers.values().find(|c| c.wa_id() == wa_id).cloned())
        })
    }
}
