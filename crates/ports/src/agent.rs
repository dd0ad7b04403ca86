//! The AI agent that answers customers. First shape; the agent issue grows the input (menu,
//! conversation, window) and the typed actions.

use async_trait::async_trait;
use omni_domain::{MessageBody, StoreId};

use crate::BoxError;

/// What the agent is asked to answer.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentInput {
    /// The store.
    pub store: StoreId,
    /// The customer's message.
    pub message: MessageBody,
    /// Whether free-form replies are allowed (24-hour window open).
    pub window_open: bool,
}

/// One reply message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentReply {
    /// Text to send.
    pub text: String,
}

/// The agent's answer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AgentOutput {
    /// Messages to send, in order.
    pub replies: Vec<AgentReply>,
}

/// The agent failed.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// Timed out or unreachable: fall back.
    #[error("agent unavailable")]
    Unavailable(#[source] BoxError),
    /// Over the store's daily budget.
    #[error("agent budget exhausted")]
    BudgetExhausted,
}

/// Answers a customer.
#[async_trait]
pub trait AiAgentPort: Send + Sync {
    /// Produces replies for one inbound message.
    ///
    /// # Errors
    /// [`AgentError`]; callers fall back to the rule-based agent.
    async fn respond(&self, input: AgentInput) -> Result<AgentOutput, AgentError>;
}
