//! Asking the agent: the model while the store's daily token budget lasts (else, or when it
//! fails, the rule-based agent), and applying its actions to the cart, with one second ask
//! when some were refused.

use std::sync::Arc;

use omni_domain::StoreId;
use omni_ports::{ActionRejected, AgentAction, AgentInput, AgentOutput, AiAgentPort};

use super::apply::{Cart, Effect};
use super::handler::AgentHandler;

/// What the agent said, what its accepted actions did, and what is still refused.
pub(super) struct Answer {
    /// The agent's output (state and context of the first ask kept when the second has none).
    pub(super) output: AgentOutput,
    /// The effects of the accepted actions, in order.
    pub(super) effects: Vec<Effect>,
    /// The actions refused after the second ask.
    pub(super) refused: Vec<ActionRejected>,
}

impl AgentHandler {
    /// Asks the model (within budget) or the rule-based agent.
    pub(super) async fn ask(
        &self,
        store: StoreId,
        input: &AgentInput,
        prefer_rules: bool,
    ) -> (Arc<dyn AiAgentPort>, AgentOutput) {
        let p = &self.ports;
        if let Some(model) = p.model.as_ref().filter(|_| !prefer_rules) {
            let today = p.clock.now().date_naive();
            let spent = p
                .commerce
                .agent_tokens(store, today)
                .await
                .unwrap_or(u64::MAX);
            if spent < model.daily_token_budget {
                match model.agent.respond(input).await {
                    Ok(out) => {
                        if out.tokens_used > 0
                            && let Err(e) = p
                                .commerce
                                .add_agent_tokens(store, today, out.tokens_used)
                                .await
                        {
                            tracing::warn!(store = %store, error = %e, "could not count agent tokens");
                        }
                        return (Arc::clone(&model.agent), out);
                    }
                    Err(e) => {
                        tracing::warn!(store = %store, agent = model.agent.name(), error = %omni_ports::error_chain(&e), "model agent failed; the rule-based agent answers");
                    }
                }
            } else {
                tracing::info!(store = %store, spent, budget = model.daily_token_budget, "daily token budget spent; the rule-based agent answers");
            }
        }
        let out = match p.rules.respond(input).await {
            Ok(out) => out,
            Err(e) => {
                tracing::error!(store = %store, error = %omni_ports::error_chain(&e), "rule-based agent failed");
                AgentOutput::default()
            }
        };
        (Arc::clone(&p.rules), out)
    }

    /// Asks the agent and applies its actions to `cart`; when some are refused, tells the agent
    /// what was refused, with the order as it now is, and asks once more.
    pub(super) async fn run(
        &self,
        store: StoreId,
        input: &mut AgentInput,
        cart: &mut Cart<'_>,
    ) -> Answer {
        let (agent, first) = self.ask(store, input, false).await;
        let mut effects = Vec::new();
        let refused = apply_all(cart, &first.actions, &mut effects);
        if refused.is_empty() {
            return Answer {
                output: first,
                effects,
                refused,
            };
        }
        input.feedback.clone_from(&refused);
        input.order.clone_from(&cart.order);
        let prefer_rules = agent.name() == self.ports.rules.name();
        let (_, second) = self.ask(store, input, prefer_rules).await;
        let refused = apply_all(cart, &second.actions, &mut effects);
        Answer {
            output: AgentOutput {
                state: second.state.or(first.state),
                context: second.context.or(first.context),
                ..second
            },
            effects,
            refused,
        }
    }
}

/// Applies `actions` in order, adding the effects of accepted ones; the refused ones back.
fn apply_all(
    cart: &mut Cart<'_>,
    actions: &[AgentAction],
    effects: &mut Vec<Effect>,
) -> Vec<ActionRejected> {
    let mut refused = Vec::new();
    for action in actions {
        match cart.apply(action) {
            Ok(e) => effects.push(e),
            Err(r) => refused.push(r),
        }
    }
    refused
}
