//! The onboarding service: its settings, its error (with the stable codes owners see), and
//! [`Onboarding`] over its ports (the other parts of [`super`] add their methods to it).

use std::sync::Arc;
use std::time::Duration;

use omni_ports::{
    CentralRepo, Clock, GraphError, MetaGraphPort, OwnerAuthRepo, RepoError, SecretTokens,
    TokenCipher,
};

/// Bytes of randomness in a state nonce (256 bits).
pub(super) const NONCE_BYTES: usize = 32;
pub(super) const PAYLOAD_LEN: usize = NONCE_BYTES + 16 + 16 + 8;

/// The template every new WABA gets from Meta; used to verify a number when the owner's
/// 24-hour window is closed (free text would fail with 131047).
pub(super) const FALLBACK_TEMPLATE: (&str, &str) = ("hello_world", "en_US");

/// Onboarding settings.
#[derive(Debug, Clone)]
pub struct OnboardingConfig {
    /// Our Meta app id (a token of another app is refused).
    pub app_id: Option<String>,
    /// META_REDIRECT_URI, used exactly in the dialog and the code exchange.
    pub redirect_uri: Option<String>,
    /// Embedded Signup / Login for Business configuration id.
    pub config_id: Option<String>,
    /// How long a state stays usable (10 minutes).
    pub state_ttl: Duration,
}

/// Why onboarding failed. [`OnboardingError::code`] is the stable code the owner sees.
#[derive(Debug, thiserror::Error)]
pub enum OnboardingError {
    /// No Meta app is configured.
    #[error("no Meta app is configured")]
    MetaNotConfigured,
    /// META_REDIRECT_URI is not configured.
    #[error("META_REDIRECT_URI is not configured")]
    RedirectUriMissing,
    /// Missing, malformed, forged, unknown or foreign state.
    #[error("the OAuth state is invalid")]
    StateInvalid,
    /// The state expired.
    #[error("the OAuth state has expired; start again")]
    StateExpired,
    /// The state was used before.
    #[error("the OAuth state was already used; start again")]
    StateUsed,
    /// The callback came to a browser other than the one that asked for the dialog URL
    /// (its binding cookie is missing or is another flow's).
    #[error("this connection was started in another browser; start again from the owner page")]
    BrowserMismatch,
    /// The owner denied or cancelled the Meta dialog.
    #[error("the Meta dialog was cancelled or permission was denied")]
    AccessDenied,
    /// The code could not be exchanged (missing, expired, used, wrong redirect URI).
    #[error("Meta did not accept the authorization code")]
    CodeExchange(#[source] Option<GraphError>),
    /// The token is invalid or belongs to another app.
    #[error("Meta reports the token as invalid")]
    TokenInvalid,
    /// The WhatsApp permissions were not granted.
    #[error("the WhatsApp permissions were not granted")]
    PermissionsMissing,
    /// The token covers no WABA, or the WABAs have no numbers.
    #[error("no WhatsApp Business account or number was shared")]
    NoWhatsappAssets,
    /// A browser-supplied WABA or number id is not among what the token can see.
    #[error("the WhatsApp account or number was not granted to this app")]
    AssetNotGranted,
    /// Every number is already connected to another store.
    #[error("the number is already connected to another store")]
    NumberTaken,
    /// Meta failed in a way a retry may fix.
    #[error("Meta is unavailable")]
    MetaUnavailable(#[source] GraphError),
    /// Meta refused for another reason.
    #[error("Meta refused the request")]
    Meta(#[source] GraphError),
    /// A secret could not be made or sealed.
    #[error("a secret could not be made or sealed")]
    Secret,
    /// Storage failed.
    #[error(transparent)]
    Repo(#[from] RepoError),
}

impl OnboardingError {
    /// The stable snake_case code for the owner frontend.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::MetaNotConfigured => "meta_not_configured",
            Self::RedirectUriMissing => "redirect_uri_not_configured",
            Self::StateInvalid => "state_invalid",
            Self::StateExpired => "state_expired",
            Self::StateUsed => "state_used",
            Self::BrowserMismatch => "browser_mismatch",
            Self::AccessDenied => "access_denied",
            Self::CodeExchange(_) => "code_exchange_failed",
            Self::TokenInvalid => "token_invalid",
            Self::PermissionsMissing => "permissions_missing",
            Self::NoWhatsappAssets => "no_whatsapp_assets",
            Self::AssetNotGranted => "asset_not_granted",
            Self::NumberTaken => "number_taken",
            Self::MetaUnavailable(_) => "meta_unavailable",
            Self::Meta(_) => "meta_error",
            Self::Secret | Self::Repo(_) => "internal",
        }
    }
}

pub(super) fn meta_error(e: GraphError) -> OnboardingError {
    if e.kind.is_retryable() {
        OnboardingError::MetaUnavailable(e)
    } else {
        OnboardingError::Meta(e)
    }
}

/// OAuth and Embedded Signup onboarding.
#[derive(Clone)]
pub struct Onboarding {
    pub(super) central: Arc<dyn CentralRepo>,
    pub(super) states: Arc<dyn OwnerAuthRepo>,
    pub(super) tokens: Arc<dyn SecretTokens>,
    pub(super) cipher: Arc<dyn TokenCipher>,
    pub(super) graph: Option<Arc<dyn MetaGraphPort>>,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) config: OnboardingConfig,
}

impl std::fmt::Debug for Onboarding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Onboarding")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Onboarding {
    /// Wires the service.
    #[must_use]
    pub fn new(
        central: Arc<dyn CentralRepo>,
        states: Arc<dyn OwnerAuthRepo>,
        tokens: Arc<dyn SecretTokens>,
        cipher: Arc<dyn TokenCipher>,
        graph: Option<Arc<dyn MetaGraphPort>>,
        clock: Arc<dyn Clock>,
        config: OnboardingConfig,
    ) -> Self {
        Self {
            central,
            states,
            tokens,
            cipher,
            graph,
            clock,
            config,
        }
    }

    /// How long a state stays usable.
    #[must_use]
    pub fn state_ttl(&self) -> Duration {
        self.config.state_ttl
    }

    pub(super) fn graph(&self) -> Result<&Arc<dyn MetaGraphPort>, OnboardingError> {
        self.graph
            .as_ref()
            .ok_or(OnboardingError::MetaNotConfigured)
    }
}
