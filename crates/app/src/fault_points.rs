//! Kill points for the fault tests (`crates/app/tests/faults.rs`): the process dies on the
//! spot, as with SIGKILL (no destructors, no flushing, no lease given back), at a named place
//! in the webhook path. They exist only when the `fail` crate's `failpoints` feature is on,
//! which only omni-app's dev-dependency enables: `cargo test` builds have them, release builds
//! compile them to nothing. A test arms one with `FAILPOINTS="<name>=1*return"` (the first
//! time the point is reached).
//!
//! Names: `webhook.before_commit`, `webhook.after_commit`, `inbox.after_claim`,
//! `agent.after_decide`, `inbox.after_process`, and (in omni-usecases) `outbox.after_accept` and
//! `keys.after_reseal` (`omniportal keys rotate`, after one account's secrets were re-sealed).
//!
//! Delay points wait instead of dying (`FAILPOINTS="<name>=return(7000)"`: 7 s, every time):
//! `outbox.before_lease_renewal` (a sender-lease renewal that waits for a database connection).

/// Reads `FAILPOINTS` (only with the feature); keep the guard for the life of the process.
#[must_use]
pub fn setup() -> fail::FailScenario<'static> {
    fail::FailScenario::setup()
}

/// Dies here when the test armed `name`; otherwise does nothing.
pub fn kill_point(name: &str) {
    // Without the feature the macro below is empty.
    let _ = name;
    fail::fail_point!(name, |_| {
        eprintln!("fault injection: aborting at {name}");
        std::process::abort()
    });
}

/// Waits here (asynchronously: the task's other futures go on) for the milliseconds the test
/// armed `name` with; otherwise returns at once.
pub async fn delay_point(name: &str) {
    if let Some(ms) = armed_millis(name) {
        tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
    }
}

/// The argument of `return(<ms>)` when `name` is armed.
fn armed_millis(name: &str) -> Option<u64> {
    // Without the feature the macro below is empty.
    let _ = name;
    fail::fail_point!(name, |ms: Option<String>| ms.and_then(|s| s.parse().ok()));
    None
}
