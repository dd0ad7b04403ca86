//! Use cases: orchestration over the ports. No framework, driver or HTTP types here.

pub mod account_health;
mod accounts;
pub mod agent;
mod commerce;
pub mod conversation;
pub mod inbound;
mod legacy;
mod onboarding;
pub mod outbound;
mod owner_auth;
mod registry;
mod rotation;
mod template_params;
pub mod templates;

pub use accounts::{ACCESS_TOKEN_FIELD, AccountError, Accounts, MetaCleanup, sealed_account};
pub use commerce::{
    Commerce, CommerceError, ListedOrder, MenuItemInput, Notice, OrderDetail, OrderUpdate,
    PaymentMethodInput,
};
pub use legacy::{LegacyError, LegacyLine, LegacyOutcome, migrate_legacy};
pub use onboarding::{
    CallbackParams, ConnectOutcome, FlowStart, Onboarding, OnboardingConfig, OnboardingError,
    SignupHints,
};
pub use owner_auth::{
    AuthError, Authenticated, LoginError, LoginGrant, OwnerAuth, SESSION_TOKEN_BYTES,
};
pub use registry::{CreateOwnerError, CreateStoreError, Registry};
pub use rotation::{RotationReport, rotate_secrets};
