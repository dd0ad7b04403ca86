//! End-to-end tests of the simulator over real HTTP (reqwest against `MetaSim::start`), one
//! binary so the suite links once.

#![expect(clippy::expect_used, reason = "tests fail loudly on unexpected errors")]

mod accounts;
mod auto_statuses;
mod common;
mod control;
mod customer;
mod faults;
mod media;
mod messages;
mod oauth;
#[path = "../support/receiver.rs"]
mod receiver;
mod templates;
