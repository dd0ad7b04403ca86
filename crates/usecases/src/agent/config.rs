//! What the agent core is built from: its ports ([`AgentPorts`], with the model agent and
//! its budget) and its limits ([`AgentConfig`]).

use std::sync::Arc;

use omni_domain::WhatsappAccount;
use omni_ports::{
    AiAgentPort, CentralRepo, Clock, CommerceRepo, MediaStorePort, MetaGraphPort, SpeechPort,
    TenantRepoPort, TokenCipher,
};
use secrecy::SecretString;

/// The model agent and its daily budget.
#[derive(Clone)]
pub struct ModelAgent {
    /// The agent (an OpenAI-compatible model).
    pub agent: Arc<dyn AiAgentPort>,
    /// Tokens a store may spend per UTC day; past it the rule-based agent answers.
    pub daily_token_budget: u64,
}

impl std::fmt::Debug for ModelAgent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelAgent")
            .field("agent", &self.agent.name())
            .field("daily_token_budget", &self.daily_token_budget)
            .finish()
    }
}

/// What the agent core needs.
#[derive(Clone)]
pub struct AgentPorts {
    /// Stores.
    pub central: Arc<dyn CentralRepo>,
    /// Conversations, menu, messages.
    pub tenants: Arc<dyn TenantRepoPort>,
    /// Orders, settings, budget.
    pub commerce: Arc<dyn CommerceRepo>,
    /// Media download and upload.
    pub graph: Arc<dyn MetaGraphPort>,
    /// Opens access tokens.
    pub cipher: Arc<dyn TokenCipher>,
    /// Keeps payment screenshots.
    pub media: Arc<dyn MediaStorePort>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// The offline agent: always there, the fallback.
    pub rules: Arc<dyn AiAgentPort>,
    /// The model agent, when configured.
    pub model: Option<ModelAgent>,
    /// Speech to text and back, when configured.
    pub speech: Option<Arc<dyn SpeechPort>>,
    /// The legacy single number and its token (WHATSAPP_PHONE_ID / WHATSAPP_TOKEN).
    pub legacy_token: Option<(omni_domain::PhoneNumberId, SecretString)>,
    /// Owner notifications (a payment screenshot used twice), when kept.
    pub notifications: Option<Arc<dyn omni_ports::HealthRepo>>,
}

impl std::fmt::Debug for AgentPorts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentPorts")
            .field("model", &self.model)
            .field("speech", &self.speech.is_some())
            .finish_non_exhaustive()
    }
}

/// Limits of the agent core.
#[derive(Debug, Clone)]
pub struct AgentConfig {
    /// Largest media download (payment screenshots, voice notes).
    pub max_media_bytes: u64,
    /// Messages of history the agent sees.
    pub recent_messages: u32,
}

impl Default for AgentConfig {
    fn default() -> Self {
        Self {
            max_media_bytes: 16 * 1024 * 1024,
            recent_messages: 12,
        }
    }
}

impl AgentPorts {
    /// The account's access token (the legacy number's configured one for its stand-in).
    pub(super) fn token(&self, account: &WhatsappAccount) -> Option<SecretString> {
        if let Some((number, token)) = &self.legacy_token
            && *number == account.phone_number_id
            && account.access_token.as_str().is_empty()
        {
            return Some(token.clone());
        }
        self.cipher
            .open(
                &account.access_token,
                &omni_ports::secret_aad(account.id, omni_ports::ACCESS_TOKEN_FIELD),
            )
            .inspect_err(|e| {
                tracing::error!(account = %account.id, error = %e, "cannot open the access token");
            })
            .ok()
    }
}
