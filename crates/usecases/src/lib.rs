//! Use cases: orchestration over the ports. No framework, driver or HTTP types here.

pub mod inbound;
pub mod outbound;
mod registry;
mod rotation;

pub use registry::{CreateOwnerError, CreateStoreError, Registry};
pub use rotation::{RotationReport, rotate_secrets};
