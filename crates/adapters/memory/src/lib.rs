//! In-memory fakes of the repository ports (central, tenant, health, account history, owner
//! sessions and OAuth states, the webhook inbox, the outbox, analytics, the legacy store
//! columns), and a manual clock.
//!
//! They exist so use-case and HTTP tests run in microseconds without a database, and so the
//! port contract suite in `omni-testkit` has a reference implementation that is simple enough
//! to be obviously right: plain collections behind a `std::sync::Mutex`, every rule of the
//! port's `# Errors` sections checked explicitly. The lock is never held across an `.await`
//! (no method awaits while holding it), so the adapters are safe on any Tokio runtime.

mod account_events;
mod analytics;
mod central;
mod clock;
mod health;
mod inbox;
mod legacy;
mod outbox;
mod owner_auth;
mod tenant;

pub use account_events::InMemoryAccountEventRepo;
pub use analytics::InMemoryAnalyticsRepo;
pub use central::InMemoryCentralRepo;
pub use clock::ManualClock;
pub use health::InMemoryHealthRepo;
pub use inbox::InMemoryInboxRepo;
pub use legacy::InMemoryLegacyStoreRepo;
pub use outbox::InMemoryOutboxRepo;
pub use owner_auth::InMemoryOwnerAuthRepo;
pub use tenant::InMemoryTenantRepo;

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Locks `mutex`, recovering the data if a panicking thread poisoned it.
///
/// Every method validates before it mutates and mutates with infallible operations, so the
/// data behind a poisoned lock is still consistent; refusing to serve it would only turn one
/// failed test into many.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
