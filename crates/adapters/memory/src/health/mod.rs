//! The account-health ports ([`NotificationRepo`](omni_ports::NotificationRepo),
//! [`AlertNumberRepo`](omni_ports::AlertNumberRepo), [`TemplateRepo`](omni_ports::TemplateRepo),
//! [`JobRepo`](omni_ports::JobRepo), so the `HealthRepo` bundle) over plain collections, one
//! file per port. It mirrors the SQL adapter's tables: notifications and alert numbers
//! belong to a store of the central registry (the SQL foreign key, answered `NotFound`),
//! templates are keyed by WABA, name and language, and a job row carries its lease.

mod alert_numbers;
mod jobs;
mod notifications;
mod templates;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use omni_domain::StoreId;
use omni_ports::{JobRun, Notification, RepoError, StoredTemplate};

use crate::{InMemoryCentralRepo, lock};

/// A scheduled job's row.
#[derive(Debug, Clone)]
struct Job {
    due_at: DateTime<Utc>,
    lease_owner: Option<String>,
    lease_until: Option<DateTime<Utc>>,
    last_started_at: Option<DateTime<Utc>>,
    last_finished_at: Option<DateTime<Utc>>,
    last_result: Option<String>,
    runs: u64,
}

/// The health tables.
#[derive(Debug, Default)]
struct Health {
    /// By id.
    notifications: BTreeMap<String, Notification>,
    /// The alert number of each store that set one (`None` once cleared).
    alert_numbers: BTreeMap<StoreId, Option<String>>,
    /// By (WABA, name, language), so a WABA's templates iterate by name and language.
    templates: BTreeMap<(String, String, String), StoredTemplate>,
    /// By name.
    jobs: BTreeMap<String, Job>,
    /// Finished runs in the order they were recorded (the SQL adapter's UUIDv7 ids).
    runs: Vec<JobRun>,
}

/// An in-memory health repository. Cheap to create: make one per test.
///
/// Built with [`over`](Self::over) it checks stores against an in-memory central registry
/// the way the SQL tables' foreign keys do; built with [`new`](Self::new) every store exists.
#[derive(Debug, Default)]
pub struct InMemoryHealthRepo {
    state: Mutex<Health>,
    central: Option<Arc<InMemoryCentralRepo>>,
}

impl InMemoryHealthRepo {
    /// An empty repository that accepts every store id.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty repository whose notifications and alert numbers must belong to a store
    /// registered in `central` (otherwise `NotFound`, as the SQL foreign keys answer).
    #[must_use]
    pub fn over(central: Arc<InMemoryCentralRepo>) -> Self {
        Self {
            state: Mutex::default(),
            central: Some(central),
        }
    }

    /// `Ok` when `store` may own rows here.
    fn check_store(&self, store: StoreId) -> Result<(), RepoError> {
        match &self.central {
            Some(central) if !central.has_store(store) => Err(RepoError::NotFound),
            _ => Ok(()),
        }
    }

    /// Runs `f` on the tables under the lock (never held across an `.await`).
    fn with<R>(&self, f: impl FnOnce(&mut Health) -> R) -> R {
        f(&mut lock(&self.state))
    }
}
