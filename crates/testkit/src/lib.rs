//! Shared test support: the port contract suites every repository adapter must pass
//! (in-memory, SQLite, Postgres), the backends they run on, and builders of valid domain
//! values. One suite for all backends is what keeps the fast in-memory adapters honest
//! stand-ins for the SQL ones.

pub mod backends;
pub mod contracts;
pub mod db;
pub mod fixtures;
