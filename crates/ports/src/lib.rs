//! Ports: the async traits the core needs from the world, in domain language. Adapters
//! implement them; use cases hold them as `Arc<dyn Port>`. Errors are port-level enums that say
//! what the caller can do about a failure, never driver types.

mod account_events;
mod agent;
mod analytics;
mod central_repo;
mod cipher;
mod clock;
mod commerce;
mod error;
mod health;
mod inbox;
mod media;
pub mod meta;
mod outbox;
mod owner_auth;
mod password;
mod secret_tokens;
mod tenant_repo;

pub use account_events::{AccountEvent, AccountEventRepo};
pub use agent::{
    ActionRejected, AgentAction, AgentError, AgentInput, AgentOutput, AgentReply, AiAgentPort,
    Button, CustomerInput, ListRow, RejectReason, SpeechPort, StoreProfile,
};
pub use analytics::{DailyFigures, TenantAnalyticsPort};
pub use central_repo::{AccountSecrets, CentralRepo};
pub use cipher::{ACCESS_TOKEN_FIELD, CipherError, TokenCipher, VERIFY_TOKEN_FIELD, secret_aad};
pub use clock::Clock;
pub use commerce::{CommerceRepo, OrderFilter};
pub use error::{BoxError, RepoError, error_chain};
pub use health::{HealthRepo, JobRun, Notification, StoredTemplate};
pub use inbox::{AppendOutcome, InboxEvent, InboxOutcome, InboxRepo, InboxState, NewInboxEvent};
pub use media::{MediaError, MediaObject, MediaStorePort};
pub use meta::{GraphError, GraphErrorKind, MetaGraphPort};
pub use outbox::{
    Initiator, NewOutboxMessage, OutboxMessage, OutboxRepo, OutboxState, RequeueFilter,
};
pub use owner_auth::{
    LegacyStoreNumber, LegacyStoreRepo, OAuthState, OwnerAuthRepo, OwnerSession, StateConsumption,
};
pub use password::{PasswordError, PasswordHasherPort};
pub use secret_tokens::{RandomError, SecretTokens};
pub use tenant_repo::{
    Completion, InboundRecord, OrderWrite, RecordedInbound, StatusOutcome, TenantRepoPort,
};
