//! Building the agent (rule-based, model, speech) and the media store from the settings.

use std::sync::Arc;
use std::time::Duration;

use omni_media::{ObjectMediaStore, S3Config};
use omni_openai::{OpenAiAgent, OpenAiConfig, OpenAiSpeech};
use omni_ports::{AiAgentPort, MediaStorePort, SpeechPort};
use omni_rules_agent::RulesAgent;
use omni_usecases::agent::{AgentConfig, ModelAgent};
use secrecy::ExposeSecret;

use crate::settings::Settings;

/// The agents and services the conversation handler uses.
#[derive(Clone)]
pub struct AgentWiring {
    /// The offline rule-based agent (always there).
    pub rules: Arc<dyn AiAgentPort>,
    /// The model agent, when `agent.llm_base_url` is set.
    pub model: Option<ModelAgent>,
    /// Speech, when `agent.speech_base_url` is set.
    pub speech: Option<Arc<dyn SpeechPort>>,
    /// Limits.
    pub config: AgentConfig,
}

impl std::fmt::Debug for AgentWiring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentWiring")
            .field("model", &self.model)
            .field("speech", &self.speech.is_some())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// The agent wiring from `[agent]`.
///
/// # Errors
/// When an HTTP client cannot be built.
pub fn agent(settings: &Settings) -> anyhow::Result<AgentWiring> {
    let a = &settings.agent;
    let model = match (&a.llm_base_url, &a.llm_api_key) {
        (Some(url), Some(key)) => {
            let config = OpenAiConfig::new(key.clone(), a.llm_model.clone())
                .with_base_url(url.clone())
                .with_timeout(Duration::from_secs(a.llm_timeout_secs))
                .with_max_tool_rounds(a.max_tool_rounds);
            let agent: Arc<dyn AiAgentPort> = Arc::new(OpenAiAgent::new(config)?);
            tracing::info!(model = %a.llm_model, "ordering agent: model with the rule-based agent as fallback");
            Some(ModelAgent {
                agent,
                daily_token_budget: a.daily_token_budget,
            })
        }
        _ => {
            tracing::info!("ordering agent: rule-based (no agent.llm_base_url)");
            None
        }
    };
    let speech = match (
        &a.speech_base_url,
        a.speech_api_key.as_ref().or(a.llm_api_key.as_ref()),
    ) {
        (Some(url), Some(key)) => {
            let config = OpenAiConfig::new(key.clone(), a.llm_model.clone())
                .with_base_url(url.clone())
                .with_timeout(Duration::from_secs(a.speech_timeout_secs))
                .with_transcription_model(a.transcription_model.clone())
                .with_speech(a.speech_model.clone(), a.voice.clone());
            Some(Arc::new(OpenAiSpeech::new(config)?) as Arc<dyn SpeechPort>)
        }
        _ => None,
    };
    Ok(AgentWiring {
        rules: Arc::new(RulesAgent),
        model,
        speech,
        config: AgentConfig {
            max_media_bytes: a.max_media_bytes,
            recent_messages: a.recent_messages,
        },
    })
}

/// The media store from `[media]`.
///
/// # Errors
/// When the directory cannot be created or S3 is misconfigured.
pub fn media(settings: &Settings) -> anyhow::Result<Arc<dyn MediaStorePort>> {
    let m = &settings.media;
    Ok(match m.backend.as_str() {
        "s3" => {
            let config = S3Config {
                bucket: m.s3_bucket.clone().unwrap_or_default(),
                region: m.s3_region.clone().unwrap_or_else(|| "us-east-1".into()),
                endpoint: m.s3_endpoint.clone(),
                access_key_id: m
                    .s3_access_key_id
                    .as_ref()
                    .map(|k| k.expose_secret().to_owned())
                    .unwrap_or_default(),
                secret_access_key: m
                    .s3_secret_access_key
                    .as_ref()
                    .map(|k| k.expose_secret().to_owned())
                    .unwrap_or_default(),
                allow_http: m.s3_allow_http,
            };
            Arc::new(ObjectMediaStore::s3(&config)?)
        }
        _ => {
            let dir = m
                .dir
                .clone()
                .unwrap_or_else(|| settings.database.data_dir.join("media"));
            Arc::new(ObjectMediaStore::local(&dir)?)
        }
    })
}
