//! The [`LegacyStoreRepo`] contract: the stores whose seed columns (legacy number and business
//! id) are both set are listed, oldest first, and no others. The port has no write (the seed
//! import wrote the columns); each adapter's `set_legacy_number` plays the import here, through
//! [`LegacyColumns`]. The rules only look at the stores they register: the registry may hold
//! others.

use std::future::{Future, ready};
use std::pin::Pin;

use chrono::TimeDelta;
use omni_domain::StoreId;
use omni_memory::InMemoryLegacyStoreRepo;
use omni_ports::{LegacyStoreNumber, LegacyStoreRepo, RepoError};
use omni_sql::SqlLegacyStoreRepo;

use super::{Repos, not_found, ok};
use crate::fixtures;

/// What [`LegacyColumns::write_columns`] returns.
pub type Written<'a> = Pin<Box<dyn Future<Output = Result<(), RepoError>> + Send + 'a>>;

/// A [`LegacyStoreRepo`] whose columns a test can write, as the seed import left them.
pub trait LegacyColumns: LegacyStoreRepo {
    /// Sets a store's `whatsapp_business_number` and `whatsapp_business_id`; `NotFound` for a
    /// store the registry does not hold.
    fn write_columns<'a>(
        &'a self,
        store: StoreId,
        business_number: Option<&'a str>,
        business_id: Option<&'a str>,
    ) -> Written<'a>;
}

impl LegacyColumns for InMemoryLegacyStoreRepo {
    fn write_columns<'a>(
        &'a self,
        store: StoreId,
        business_number: Option<&'a str>,
        business_id: Option<&'a str>,
    ) -> Written<'a> {
        Box::pin(ready(self.set_legacy_number(
            store,
            business_number,
            business_id,
        )))
    }
}

impl LegacyColumns for SqlLegacyStoreRepo {
    fn write_columns<'a>(
        &'a self,
        store: StoreId,
        business_number: Option<&'a str>,
        business_id: Option<&'a str>,
    ) -> Written<'a> {
        Box::pin(self.set_legacy_number(store, business_number, business_id))
    }
}

/// Registers a store created `minutes` after now.
async fn store_at(r: &Repos, minutes: i64) -> StoreId {
    let owner = fixtures::owner();
    ok(r.central.insert_owner(&owner).await, "insert_owner (setup)");
    let id = StoreId::new();
    let mut store = fixtures::store(id, owner.id, fixtures::sqlite_location(id));
    store.created_at += TimeDelta::minutes(minutes);
    ok(r.central.insert_store(&store).await, "insert_store (setup)");
    id
}

/// Sets the columns, which must succeed.
async fn write(r: &Repos, store: StoreId, number: Option<&str>, business: Option<&str>) {
    ok(
        r.legacy.write_columns(store, number, business).await,
        "set_legacy_number (setup)",
    );
}

/// The listed numbers of `stores`, in listing order.
async fn listed(r: &Repos, stores: &[StoreId]) -> Vec<LegacyStoreNumber> {
    ok(
        r.legacy.list_legacy_store_numbers().await,
        "list_legacy_store_numbers",
    )
    .into_iter()
    .filter(|n| stores.contains(&n.store_id))
    .collect()
}

/// A store is listed, with both columns as stored, only when both are set and not blank.
pub async fn both_columns_set(r: &Repos) {
    let full = store_at(r, 0).await;
    let no_number = store_at(r, 1).await;
    let no_business = store_at(r, 2).await;
    let blank = store_at(r, 3).await;
    let untouched = store_at(r, 4).await;
    let number = format!("0300 {}", fixtures::random_digits(7));
    let business = fixtures::waba_id().as_str().to_owned();
    write(r, full, Some(&number), Some(&business)).await;
    write(r, no_number, None, Some(&business)).await;
    write(r, no_business, Some(&number), None).await;
    write(r, blank, Some("  "), Some(&business)).await;
    let all = [full, no_number, no_business, blank, untouched];
    assert_eq!(
        listed(r, &all).await,
        vec![LegacyStoreNumber {
            store_id: full,
            business_number: number.clone(),
            business_id: business.clone(),
        }],
        "only the store with both columns set (and not blank) is listed, as written"
    );
    write(r, full, None, None).await;
    assert!(
        listed(r, &all).await.is_empty(),
        "a store whose columns were cleared is no longer listed"
    );
}

/// Stores are listed oldest first by their creation time, not by when the columns were set.
pub async fn oldest_first(r: &Repos) {
    let newer = store_at(r, 10).await;
    let older = store_at(r, -10).await;
    let middle = store_at(r, 0).await;
    for store in [newer, middle, older] {
        write(r, store, Some("+923001234567"), Some("123456789012345")).await;
    }
    let order: Vec<StoreId> = listed(r, &[newer, older, middle])
        .await
        .into_iter()
        .map(|n| n.store_id)
        .collect();
    assert_eq!(order, vec![older, middle, newer], "oldest store first");
}

/// Writing the columns of a store the registry does not hold is `NotFound`, and lists nothing.
pub async fn unknown_store(r: &Repos) {
    let unknown = StoreId::new();
    not_found(
        r.legacy
            .write_columns(unknown, Some("+923001234567"), Some("1"))
            .await,
        "set_legacy_number of an unknown store",
    );
    assert!(listed(r, &[unknown]).await.is_empty());
}
