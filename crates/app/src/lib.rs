//! The application: configuration, telemetry, CLI and HTTP. The one crate that knows every
//! adapter and wires them into the use cases ([`startup`]).

pub mod account_health;
pub mod cli;
pub mod data_files;
pub mod fault_points;
pub mod http;
pub mod keys;
pub mod ops;
pub mod pipeline;
pub mod sandbox;
pub mod settings;
pub mod startup;
pub mod telemetry;
