//! Ports: the async traits the core needs from the world, in domain language. Adapters
//! implement them; use cases hold them as `Arc<dyn Port>`. Errors are port-level enums that say
//! what the caller can do about a failure, never driver types.
//!
//! Naming rule: a port that stores something is named `<Aggregate>Repo` and holds one
//! aggregate (`MenuRepo`, `OrderRepo`, `TemplateRepo`, ...), each method one transaction where
//! its contract says so; every other port has a plain name for what it does (`Clock`,
//! `TokenCipher`, `SecretTokens`) or the legacy `*Port` suffix (`MetaGraphPort`,
//! `AiAgentPort`, `SpeechPort`, `MediaStorePort`, `PasswordHasherPort`). The bundles
//! [`TenantRepoPort`], [`CommerceRepo`], [`HealthRepo`], [`CentralRepo`] and
//! [`TenantAnalyticsPort`] are the names callers held before the cut by aggregate: each is a
//! supertrait of its parts with a blanket implementation, so adapters implement only the
//! per-aggregate traits and new code should ask for those.

mod account_events;
mod agent;
mod analytics;
mod central;
mod cipher;
mod clock;
mod error;
mod health;
mod inbox;
mod media;
pub mod meta;
mod outbox;
mod owner_auth;
mod password;
mod secret_tokens;
mod send_failure;
mod tenant;

pub use account_events::{AccountEvent, AccountEventRepo};
pub use agent::{
    ActionRejected, AgentAction, AgentError, AgentInput, AgentOutput, AgentReply, AiAgentPort,
    Button, CustomerInput, ListRow, RejectReason, SpeechPort, StoreProfile,
};
pub use analytics::{AnalyticsRepo, DailyFigures, TenantAnalyticsPort};
pub use central::{AccountRepo, AccountSecrets, CentralDbRepo, CentralRepo, OwnerRepo, StoreRepo};
pub use cipher::{ACCESS_TOKEN_FIELD, CipherError, TokenCipher, VERIFY_TOKEN_FIELD, secret_aad};
pub use clock::Clock;
pub use error::{BoxError, RepoError, error_chain};
pub use health::{
    AlertNumberRepo, HealthRepo, JobRepo, JobRun, Notification, NotificationRepo, StoredTemplate,
    TemplateRepo,
};
pub use inbox::{
    AppendOutcome, InboxEvent, InboxOutcome, InboxRepo, InboxRouteKind, InboxState, NewInboxEvent,
};
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
pub use send_failure::SendFailure;
pub use tenant::{
    AgentTokenRepo, CommerceRepo, Completion, ConversationRepo, CustomerRepo, InboundRecord,
    MenuRepo, MessageRepo, OrderFilter, OrderRepo, OrderWrite, PaymentMethodRepo, RecordedInbound,
    Reply, SavedReply, StatusOutcome, StoreSettingsRepo, TenantDbRepo, TenantRepoPort,
};
