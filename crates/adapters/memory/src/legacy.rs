//! [`LegacyStoreRepo`] in memory: the seed's single-number columns of the central registry's
//! stores, kept beside the registry it is built [`over`](InMemoryLegacyStoreRepo::over)
//! (the `Store` domain type does not carry them, as in the SQL adapter). Listed as the SQL
//! adapter lists them: both columns set and not blank, by the store's `created_at`, then id.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use omni_domain::StoreId;
use omni_ports::{LegacyStoreNumber, LegacyStoreRepo, RepoError, StoreRepo};

use crate::{InMemoryCentralRepo, lock};

/// A store's `whatsapp_business_number` and `whatsapp_business_id`, as written.
type Columns = (Option<String>, Option<String>);

/// In-memory legacy columns over an in-memory registry. Cheap to create: make one per test.
#[derive(Debug)]
pub struct InMemoryLegacyStoreRepo {
    columns: Mutex<BTreeMap<StoreId, Columns>>,
    central: Arc<InMemoryCentralRepo>,
}

impl InMemoryLegacyStoreRepo {
    /// No legacy columns set yet, for the stores of `central`.
    #[must_use]
    pub fn over(central: Arc<InMemoryCentralRepo>) -> Self {
        Self {
            columns: Mutex::default(),
            central,
        }
    }

    /// Writes a store's legacy columns, as an import from the seed would have left them (the
    /// SQL adapter's `set_legacy_number`).
    ///
    /// # Errors
    /// `NotFound` when the store is not in the registry.
    pub fn set_legacy_number(
        &self,
        store: StoreId,
        business_number: Option<&str>,
        business_id: Option<&str>,
    ) -> Result<(), RepoError> {
        if !self.central.has_store(store) {
            return Err(RepoError::NotFound);
        }
        lock(&self.columns).insert(
            store,
            (
                business_number.map(str::to_owned),
                business_id.map(str::to_owned),
            ),
        );
        Ok(())
    }
}

/// A column that counts as set: present and not blank.
fn set(column: Option<&String>) -> Option<&String> {
    column.filter(|c| !c.trim().is_empty())
}

#[async_trait]
impl LegacyStoreRepo for InMemoryLegacyStoreRepo {
    async fn list_legacy_store_numbers(&self) -> Result<Vec<LegacyStoreNumber>, RepoError> {
        let columns: Vec<(StoreId, String, String)> = lock(&self.columns)
            .iter()
            .filter_map(|(store, (number, business))| {
                Some((
                    *store,
                    set(number.as_ref())?.clone(),
                    set(business.as_ref())?.clone(),
                ))
            })
            .collect();
        // The lock is released: the registry is asked store by store for `created_at`.
        let mut found = Vec::with_capacity(columns.len());
        for (store_id, business_number, business_id) in columns {
            if let Some(store) = self.central.find_store(store_id).await? {
                found.push((
                    (store.created_at, store_id),
                    LegacyStoreNumber {
                        store_id,
                        business_number,
                        business_id,
                    },
                ));
            }
        }
        found.sort_by_key(|(key, _)| *key);
        Ok(found.into_iter().map(|(_, n)| n).collect())
    }
}
