//! Account health (number quality) in the app: the scheduler loop that runs the shared jobs,
//! the Prometheus metrics, and the conversation-handler wrapper that times the agent per
//! store.

pub mod metrics;
pub mod scheduler;

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use omni_usecases::inbound::{ConversationHandler, Decision, ProcessError, Turn};

/// Times the conversation handler (the agent) per store for `agent_latency_seconds`.
pub struct Timed(pub Arc<dyn ConversationHandler>);

impl std::fmt::Debug for Timed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Timed")
    }
}

#[async_trait]
impl ConversationHandler for Timed {
    async fn handle(&self, turn: &Turn<'_>) -> Result<Decision, ProcessError> {
        let start = Instant::now();
        let result = self.0.handle(turn).await;
        crate::fault_points::kill_point("agent.after_decide");
        if let Some(m) = metrics::get() {
            m.agent_seconds
                .with_label_values(&[&turn.store.to_string()])
                .observe(start.elapsed().as_secs_f64());
        }
        result
    }
}
