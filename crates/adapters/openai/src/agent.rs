//! [`OpenAiAgent`]: one customer message = one chat completion, plus a follow-up call per
//! round of tool calls. Tool calls are acknowledged (`{"ok":true}`) rather than executed:
//! the core validates and applies the collected actions after the turn, and tells the model
//! what it refused on the next attempt (`AgentInput::feedback`).

use async_trait::async_trait;
use omni_ports::{AgentError, AgentInput, AgentOutput, AgentReply, AiAgentPort};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::client::OpenAiClient;
use crate::tools::{self, ToolUse};
use crate::{OpenAiConfig, OpenAiError, prompt};

/// The AI agent over an OpenAI-compatible chat completions API with tool calling.
#[derive(Debug, Clone)]
pub struct OpenAiAgent {
    client: OpenAiClient,
}

#[derive(Serialize)]
struct ChatRequest<'a> {
    model: &'a str,
    messages: &'a [Value],
    tools: &'a [Value],
    tool_choice: &'static str,
}

#[derive(Deserialize)]
struct ChatResponse {
    #[serde(default)]
    choices: Vec<Choice>,
    #[serde(default)]
    usage: Option<Usage>,
}

#[derive(Deserialize)]
struct Choice {
    message: AssistantMessage,
}

#[derive(Deserialize)]
struct AssistantMessage {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    tool_calls: Option<Vec<ToolCall>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct ToolCall {
    id: String,
    #[serde(rename = "type", default = "function_type")]
    kind: String,
    function: FunctionCall,
}

fn function_type() -> String {
    "function".to_owned()
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct FunctionCall {
    name: String,
    #[serde(default)]
    arguments: String,
}

#[derive(Deserialize)]
struct Usage {
    #[serde(default)]
    total_tokens: u64,
}

impl OpenAiAgent {
    /// An agent for this API.
    ///
    /// # Errors
    /// When the HTTP client cannot be built.
    pub fn new(config: OpenAiConfig) -> Result<Self, OpenAiError> {
        Ok(Self {
            client: OpenAiClient::new(config)?,
        })
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &OpenAiConfig {
        &self.client.config
    }

    async fn chat(&self, messages: &[Value], tools: &[Value]) -> Result<ChatResponse, OpenAiError> {
        let request = ChatRequest {
            model: &self.client.config.model,
            messages,
            tools,
            tool_choice: "auto",
        };
        self.client.post_json("chat/completions", &request).await
    }

    async fn run(&self, input: &AgentInput) -> Result<AgentOutput, OpenAiError> {
        let tools = tools::definitions();
        let mut messages = prompt::messages(input);
        let mut out = AgentOutput::default();
        let mut rounds = 0_u32;
        let mut refused = 0_usize;
        loop {
            let response = self.chat(&messages, &tools).await?;
            out.tokens_used += response.usage.map_or(0, |u| u.total_tokens);
            let message = response
                .choices
                .into_iter()
                .next()
                .ok_or_else(|| OpenAiError::Malformed("no choices".to_owned()))?
                .message;
            let content = message
                .content
                .map(|c| c.trim().to_owned())
                .filter(|c| !c.is_empty());
            if let Some(text) = &content {
                out.replies.push(AgentReply::text(text.clone()));
            }
            let calls = message.tool_calls.unwrap_or_default();
            if calls.is_empty() {
                break;
            }
            let mut results = Vec::with_capacity(calls.len());
            for call in &calls {
                let result = match tools::parse(&call.function.name, &call.function.arguments) {
                    Ok(ToolUse::Action(action)) => {
                        out.actions.push(action);
                        json!({ "ok": true })
                    }
                    Ok(ToolUse::Reply(reply)) => {
                        out.replies.push(reply);
                        json!({ "ok": true })
                    }
                    Err(error) => {
                        refused += 1;
                        json!({ "ok": false, "error": error })
                    }
                };
                results.push(json!({
                    "role": "tool",
                    "tool_call_id": call.id,
                    "content": result.to_string(),
                }));
            }
            if rounds >= self.client.config.max_tool_rounds {
                tracing::debug!(rounds, "llm agent: tool round limit reached");
                break;
            }
            rounds += 1;
            messages.push(json!({
                "role": "assistant",
                "content": content,
                "tool_calls": calls,
            }));
            messages.extend(results);
        }
        tracing::debug!(
            rounds,
            actions = out.actions.len(),
            replies = out.replies.len(),
            refused_tool_calls = refused,
            tokens = out.tokens_used,
            "llm agent answered"
        );
        if out.replies.is_empty() && out.actions.is_empty() {
            return Err(OpenAiError::Empty);
        }
        Ok(out)
    }
}

#[async_trait]
impl AiAgentPort for OpenAiAgent {
    fn name(&self) -> &'static str {
        "llm"
    }

    async fn respond(&self, input: &AgentInput) -> Result<AgentOutput, AgentError> {
        self.run(input).await.map_err(|e| {
            tracing::warn!(error = %e, "llm agent unavailable; falling back");
            AgentError::Unavailable(Box::new(e))
        })
    }
}
