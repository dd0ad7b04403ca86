//! The app's integration tests, one binary (one link instead of fifteen): the owner API and
//! OAuth, the webhook pipeline, the agent, account health, the sandbox and its browser test,
//! the CLI, and the real binary killed and restarted (`faults`, `*_processes`). Everything
//! starts through the one harness in [`support`].
//!
//! Two suites have binaries of their own: `logs` installs the process-wide TRACE subscriber,
//! and `pg_restart` stops the machine's shared Postgres.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly on unexpected errors"
)]

mod support;

mod agent;
mod cli;
mod faults;
mod health;
mod health_processes;
mod migrate_legacy;
mod oauth;
mod openapi;
mod owner_api;
mod pipeline;
mod pipeline_processes;
mod sandbox;
