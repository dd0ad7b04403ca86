//! The webhook pipeline end to end, in process: signed webhooks from the Meta simulator into
//! `/api/webhooks/whatsapp`, through the inbox and the workers into each store's database,
//! replies through the outbox back to the simulator. Postgres unless a test says SQLite.

pub const WABA_A: &str = "102290129340398";
pub const WABA_B: &str = "102290129340399";
pub const NUMBER_A: &str = "106540352242922";
pub const NUMBER_B: &str = "106540352242933";
pub const CUSTOMER: &str = "923001234567";

/// Starts a Postgres harness, or returns from the test when Postgres is unreachable outside CI.
macro_rules! pg_harness {
    () => {
        match $crate::support::pipeline::Harness::start($crate::support::pipeline::Engine::Postgres)
            .await
        {
            Some(h) => h,
            None => return,
        }
    };
}

mod basics;
mod management;
mod routing;
mod sending;
