//! Prometheus metrics of this process, in one registry, rendered by `GET /metrics`.
//!
//! Labels carry only stable codes and ids: results, Meta error codes, queue states, store ids.
//! Never a phone number, a wamid, a token or a message text (a test scrapes the endpoint
//! after traffic and looks for them).

use std::sync::LazyLock;
use std::time::Duration;

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGaugeVec, Opts, Registry,
    TextEncoder,
};

/// Every metric of the process.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// Signed webhook POSTs received (any outcome).
    pub webhooks_received: IntCounter,
    /// Webhook POSTs refused, by reason (`invalid_signature`, `not_configured`,
    /// `unavailable`).
    pub webhooks_rejected: IntCounterVec,
    /// Webhook events stored for the first time.
    pub webhook_events_stored: IntCounter,
    /// Webhook events that were already stored (Meta's redeliveries).
    pub webhook_events_duplicate: IntCounter,
    /// Time from a webhook's arrival to its 200 (signature, parse, durable commit).
    pub ingest_seconds: HistogramVec,
    /// Inbox rows by state, read at scrape time.
    pub inbox_depth: IntGaugeVec,
    /// Outbox rows by state, read at scrape time.
    pub outbox_depth: IntGaugeVec,
    /// Send attempts by result (`sent`, `retry`, `failed`) and code (Meta's or ours).
    pub sends: IntCounterVec,
    /// Messages held back by a limit (`number`, `pair`, `tier`, `red_quality`).
    pub rate_limit_waits: IntCounterVec,
    /// Time the conversation handler (the agent) took per customer message, by store id.
    pub agent_seconds: HistogramVec,
    /// Scheduled job runs by job and result (`ok`, `error`).
    pub job_runs: IntCounterVec,
}

fn build() -> Result<Metrics, prometheus::Error> {
    let registry = Registry::new_custom(Some("omni".to_owned()), None)?;
    let webhooks_received = IntCounter::new("webhooks_received_total", "Webhook POSTs received")?;
    let webhooks_rejected = IntCounterVec::new(
        Opts::new(
            "webhooks_rejected_total",
            "Webhook POSTs refused, by reason",
        ),
        &["reason"],
    )?;
    let webhook_events_stored =
        IntCounter::new("webhook_events_stored_total", "Webhook events stored")?;
    let webhook_events_duplicate = IntCounter::new(
        "webhook_events_duplicate_total",
        "Webhook events already stored (redeliveries)",
    )?;
    let ingest_seconds = HistogramVec::new(
        HistogramOpts::new(
            "webhook_ingest_seconds",
            "Webhook arrival to answer, by HTTP status",
        )
        .buckets(vec![
            0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
        ]),
        &["status"],
    )?;
    let inbox_depth = IntGaugeVec::new(
        Opts::new("inbox_depth", "Webhook inbox rows by state"),
        &["state"],
    )?;
    let outbox_depth = IntGaugeVec::new(
        Opts::new("outbox_depth", "Outbox rows by state"),
        &["state"],
    )?;
    let sends = IntCounterVec::new(
        Opts::new("outbox_sends_total", "Send attempts by result and code"),
        &["result", "code"],
    )?;
    let rate_limit_waits = IntCounterVec::new(
        Opts::new("rate_limit_waits_total", "Messages held back by a limit"),
        &["limit"],
    )?;
    let agent_seconds = HistogramVec::new(
        HistogramOpts::new(
            "agent_latency_seconds",
            "Conversation handler time per customer message, by store",
        )
        .buckets(vec![
            0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
        ]),
        &["store"],
    )?;
    let job_runs = IntCounterVec::new(
        Opts::new("job_runs_total", "Scheduled job runs by job and result"),
        &["job", "result"],
    )?;
    // Known limits exported at 0 from the start, so a dashboard sees them before a wait.
    for limit in ["number", "pair", "tier", "red_quality"] {
        rate_limit_waits.with_label_values(&[limit]);
    }
    registry.register(Box::new(webhooks_received.clone()))?;
    registry.register(Box::new(webhooks_rejected.clone()))?;
    registry.register(Box::new(webhook_events_stored.clone()))?;
    registry.register(Box::new(webhook_events_duplicate.clone()))?;
    registry.register(Box::new(ingest_seconds.clone()))?;
    registry.register(Box::new(inbox_depth.clone()))?;
    registry.register(Box::new(outbox_depth.clone()))?;
    registry.register(Box::new(sends.clone()))?;
    registry.register(Box::new(rate_limit_waits.clone()))?;
    registry.register(Box::new(agent_seconds.clone()))?;
    registry.register(Box::new(job_runs.clone()))?;
    Ok(Metrics {
        registry,
        webhooks_received,
        webhooks_rejected,
        webhook_events_stored,
        webhook_events_duplicate,
        ingest_seconds,
        inbox_depth,
        outbox_depth,
        sends,
        rate_limit_waits,
        agent_seconds,
        job_runs,
    })
}

static METRICS: LazyLock<Option<Metrics>> = LazyLock::new(|| match build() {
    Ok(m) => Some(m),
    Err(e) => {
        tracing::error!(error = %e, "metrics registry could not be built; /metrics is empty");
        None
    }
});

/// The process's metrics (`None` only if the registry could not be built, which is a bug).
#[must_use]
pub fn get() -> Option<&'static Metrics> {
    METRICS.as_ref()
}

/// Counts a send outcome.
pub fn send(result: &str, code: &str) {
    if let Some(m) = get() {
        m.sends.with_label_values(&[result, code]).inc();
    }
}

/// Counts a message held back by `limit`.
pub fn rate_limited(limit: &str) {
    if let Some(m) = get() {
        m.rate_limit_waits.with_label_values(&[limit]).inc();
    }
}

/// Observes a webhook's ingest time.
pub fn ingest(status: u16, took: Duration) {
    if let Some(m) = get() {
        m.ingest_seconds
            .with_label_values(&[&status.to_string()])
            .observe(took.as_secs_f64());
    }
}

/// The text exposition of every metric.
#[must_use]
pub fn render() -> String {
    let Some(m) = get() else {
        return String::new();
    };
    let mut out = Vec::new();
    if let Err(e) = TextEncoder::new().encode(&m.registry.gather(), &mut out) {
        tracing::warn!(error = %e, "metrics encoding failed");
    }
    String::from_utf8(out).unwrap_or_default()
}
