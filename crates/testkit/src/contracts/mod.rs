//! Port contract suites. Each entry point takes the adapter as a trait object and runs every
//! assertion of one port's documented contract against it, panicking with a message naming the
//! rule that broke. An adapter's test calls the entry point once; the suites only create rows
//! with fresh random keys and only assert about those, so they also pass against a database
//! shared with other tests running at the same time.

mod central;
mod commerce;
mod concurrency;
mod tenant;

use std::fmt::Debug;

use omni_ports::RepoError;

pub use central::central_repo;
pub use commerce::commerce_repo;
pub use concurrency::tenant_repo_concurrency;
pub use tenant::tenant_repo;

/// The value of a call that must succeed.
#[track_caller]
pub(crate) fn ok<T>(result: Result<T, RepoError>, what: &str) -> T {
    match result {
        Ok(value) => value,
        Err(e) => panic!("{what}: expected success, got {e:?}"),
    }
}

/// Asserts a call failed with `Conflict`.
#[track_caller]
pub(crate) fn conflict<T: Debug>(result: Result<T, RepoError>, what: &str) {
    match result {
        Err(RepoError::Conflict { .. }) => {}
        other => panic!("{what}: expected Err(Conflict), got {other:?}"),
    }
}

/// Asserts a call failed with `NotFound`.
#[track_caller]
pub(crate) fn not_found<T: Debug>(result: Result<T, RepoError>, what: &str) {
    match result {
        Err(RepoError::NotFound) => {}
        other => panic!("{what}: expected Err(NotFound), got {other:?}"),
    }
}

/// Asserts a call failed with `TenantNotFound`.
#[track_caller]
pub(crate) fn tenant_not_found<T: Debug>(result: Result<T, RepoError>, what: &str) {
    match result {
        Err(RepoError::TenantNotFound) => {}
        other => panic!("{what}: expected Err(TenantNotFound), got {other:?}"),
    }
}
