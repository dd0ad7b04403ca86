//! Account health in the app: the use cases' settings, the scheduler loop
//! that runs the shared jobs, the Prometheus metrics, and the conversation-handler wrapper
//! that times the agent per store.

pub mod cli;
pub mod metrics;
pub mod scheduler;
pub mod settings;

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use omni_usecases::health::HealthConfig;
use omni_usecases::inbound::{ConversationHandler, Decision, ProcessError, Turn};

use crate::settings::Settings;

/// The health use-case settings from `[health]`, `[meta]` and `[owner]`.
#[must_use]
pub fn config(settings: &Settings) -> HealthConfig {
    let h = &settings.health;
    let hours = |n: u64| chrono::Duration::hours(i64::try_from(n).unwrap_or(i64::MAX / 4_000_000));
    HealthConfig {
        app_id: settings.meta.app_id.clone(),
        reconnect_url: settings.owner_frontend_url(),
        renew_before: hours(h.token_renew_before_days.saturating_mul(24)),
        webhook_recent: hours(h.webhook_recent_hours),
        alert_template: (h.alert_template.clone(), h.alert_template_language.clone()),
        refresh_every: hours(h.refresh_every_hours.max(1)),
        token_check_every: hours(h.token_check_every_hours.max(1)),
    }
}

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
