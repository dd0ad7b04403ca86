//! [`AccountEventRepo`] in memory: the account history as a list in recording order, listed
//! as the SQL adapter lists it (newest `occurred_at` first; of equal times, the one recorded
//! later first, as its UUIDv7 id sorts).

use std::sync::Mutex;

use async_trait::async_trait;
use omni_domain::AccountId;
use omni_ports::{AccountEvent, AccountEventRepo, RepoError};

use crate::lock;

/// An in-memory account history. Cheap to create: make one per test.
#[derive(Debug, Default)]
pub struct InMemoryAccountEventRepo {
    /// Every event, in the order recorded.
    events: Mutex<Vec<AccountEvent>>,
}

impl InMemoryAccountEventRepo {
    /// An empty history.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl AccountEventRepo for InMemoryAccountEventRepo {
    async fn record(&self, event: &AccountEvent) -> Result<(), RepoError> {
        lock(&self.events).push(event.clone());
        Ok(())
    }

    async fn list_for_account(
        &self,
        account: AccountId,
        limit: u32,
    ) -> Result<Vec<AccountEvent>, RepoError> {
        let events = lock(&self.events);
        let mut found: Vec<(usize, &AccountEvent)> = events
            .iter()
            .enumerate()
            .filter(|(_, e)| e.account_id == Some(account))
            .collect();
        found.sort_by(|(i, x), (j, y)| (y.occurred_at, j).cmp(&(x.occurred_at, i)));
        Ok(found
            .into_iter()
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .map(|(_, e)| e.clone())
            .collect())
    }
}
