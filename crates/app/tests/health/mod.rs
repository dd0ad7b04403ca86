//! Account health end to end, in process: the real `AppState`, HTTP routes and pipeline
//! workers on Postgres (and SQLite where noted), the Meta simulator as Meta. Quality and
//! limit history with notifications and the owner's WhatsApp alert, the RED slow-down, token
//! expiry and renewal on a controlled clock, diagnose, templates, analytics, `/metrics`.

pub const WABA_A: &str = "102290129340398";
pub const NUMBER_A: &str = "106540352242922";
pub const NUMBER_B: &str = "106540352242933";
pub const NUMBER_C: &str = "106540352242944";
pub const PHONE_A: &str = "+923001112233";
pub const PHONE_B: &str = "+923001112244";
pub const PHONE_C: &str = "+923001112255";
pub const OWNER_PHONE: &str = "+923005550000";

/// Starts a harness, or returns from the test when Postgres is unreachable outside CI.
macro_rules! harness {
    ($engine:expr) => {
        harness!($engine, &[])
    };
    ($engine:expr, $env:expr) => {
        match $crate::support::health::Harness::start($engine, $env, false).await {
            Some(h) => h,
            None => return,
        }
    };
}

mod analytics;
mod diagnose;
mod history;
mod jobs;
mod metrics;
mod red;
mod templates;
mod tokens;
