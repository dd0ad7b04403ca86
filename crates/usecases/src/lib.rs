//! Use cases: orchestration over the ports. No framework, driver or HTTP types here.

mod registry;
mod rotation;

pub use registry::{CreateOwnerError, CreateStoreError, Registry};
pub use rotation::{RotationReport, rotate_secrets};
