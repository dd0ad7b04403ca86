//! Delivers webhook bodies the way Meta does: POST with `Content-Type: application/json` and
//! `X-Hub-Signature-256: sha256=<lowercase hex HMAC-SHA256(app secret, exact body bytes)>`
//! (plus the legacy SHA-1 `X-Hub-Signature`, which receivers must ignore), redelivered with
//! exponential backoff on anything but 200 or on a transport failure (Meta keeps trying for
//! 7 days; the schedule here is configurable so tests run in milliseconds).
//!
//! Also the delivery pathologies a receiver must survive: the same bytes twice, a batch of
//! payloads in reverse order, many concurrent copies, and raw bytes with a forged signature.
//! Every attempt is logged ([`WebhookSender::deliveries`]).
//!
//! Before a payload carrying inbound customer messages goes out, the optional
//! [`InboundHook`] is called with `(phone_number_id, sender)` for each of them, so the
//! simulated Graph API opens the 24-hour customer service window as Meta would.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::Utc;
use ring::hmac;

use super::payload::WebhookPayload;
pub use crate::delivery_log::DeliveryRecord;

/// Called with `(phone_number_id, wa_id or BSUID)` for each inbound message before delivery.
pub type InboundHook = Arc<dyn Fn(&str, &str) + Send + Sync>;

/// Called with each attempt's record as soon as the attempt ends (live progress of retries).
pub type AttemptHook = Arc<dyn Fn(&DeliveryRecord) + Send + Sync>;

/// When to redeliver: attempt 1 at once, attempt `n` after
/// `min(initial_delay * factor^(n-2), max_delay)`, at most `max_attempts` attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RetrySchedule {
    /// Wait before the first redelivery.
    pub initial_delay: Duration,
    /// Growth of the wait per attempt.
    pub factor: u32,
    /// Cap on one wait.
    pub max_delay: Duration,
    /// Attempts in all, the first included (at least 1).
    pub max_attempts: u32,
}

impl Default for RetrySchedule {
    /// 1 s, doubling, capped at 10 min, 12 attempts (a compressed version of Meta's 7 days).
    fn default() -> Self {
        Self {
            initial_delay: Duration::from_secs(1),
            factor: 2,
            max_delay: Duration::from_secs(600),
            max_attempts: 12,
        }
    }
}

impl RetrySchedule {
    /// A schedule for tests: `initial_ms` milliseconds, doubling, `max_attempts` attempts.
    #[must_use]
    pub const fn fast(initial_ms: u64, max_attempts: u32) -> Self {
        Self {
            initial_delay: Duration::from_millis(initial_ms),
            factor: 2,
            max_delay: Duration::from_secs(5),
            max_attempts,
        }
    }

    /// The wait before attempt `attempt` (1-based); zero for the first.
    #[must_use]
    pub fn delay_before(&self, attempt: u32) -> Duration {
        if attempt <= 1 {
            return Duration::ZERO;
        }
        let growth = self.factor.max(1).saturating_pow(attempt - 2);
        self.initial_delay
            .saturating_mul(growth)
            .min(self.max_delay)
    }
}

/// How a delivery ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Attempts made.
    pub attempts: u32,
    /// The last status received, `None` if the last attempt failed in transport.
    pub final_status: Option<u16>,
}

impl DeliveryReport {
    /// The receiver answered 200.
    #[must_use]
    pub fn delivered(&self) -> bool {
        self.final_status == Some(200)
    }
}

/// A delivery that did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Every attempt of the schedule failed.
    #[error("webhook not accepted after {} attempts (last status {:?})", .0.attempts, .0.final_status)]
    GaveUp(DeliveryReport),
    /// A single attempt failed in transport (connection refused, timeout...).
    #[error("webhook transport error: {0}")]
    Transport(String),
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
}

/// The `X-Hub-Signature-256` value for `body`: `sha256=` + lowercase hex HMAC-SHA256.
#[must_use]
pub fn signature_header(app_secret: &[u8], body: &[u8]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, app_secret);
    format!("sha256={}", hex::encode(hmac::sign(&key, body).as_ref()))
}

fn legacy_signature_header(app_secret: &[u8], body: &[u8]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, app_secret);
    format!("sha1={}", hex::encode(hmac::sign(&key, body).as_ref()))
}

/// The HTTP client deliveries use: Meta's user agent, 10 s timeout per attempt.
///
/// # Errors
/// [`SendError::Client`] when the client cannot be built.
pub fn http_client() -> Result<reqwest::Client, SendError> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .user_agent("facebookexternalua")
        .build()
        .map_err(|e| SendError::Client(e.to_string()))
}

/// Signs and POSTs webhook bodies to one callback URL. Cheap to clone; clones share the log.
#[derive(Clone)]
pub struct WebhookSender {
    target_url: String,
    app_secret: Vec<u8>,
    client: reqwest::Client,
    schedule: RetrySchedule,
    on_inbound: Option<InboundHook>,
    on_attempt: Option<AttemptHook>,
    log: Arc<Mutex<Vec<DeliveryRecord>>>,
    next_delivery: Arc<AtomicU64>,
}

impl std::fmt::Debug for WebhookSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookSender")
            .field("target_url", &self.target_url)
            .field("app_secret", &"..")
            .field("schedule", &self.schedule)
            .field("on_inbound", &self.on_inbound.is_some())
            .field("on_attempt", &self.on_attempt.is_some())
            .finish_non_exhaustive()
    }
}

impl WebhookSender {
    /// A sender to `target_url` signing with `app_secret`, default schedule, 10 s timeout per
    /// attempt.
    ///
    /// # Errors
    /// [`SendError::Client`] when the HTTP client cannot be built.
    pub fn new(target_url: &str, app_secret: &[u8]) -> Result<Self, SendError> {
        Ok(Self::with_client(target_url, app_secret, http_client()?))
    }

    /// A sender using a given client.
    #[must_use]
    pub fn with_client(target_url: &str, app_secret: &[u8], client: reqwest::Client) -> Self {
        Self {
            target_url: target_url.to_owned(),
            app_secret: app_secret.to_vec(),
            client,
            schedule: RetrySchedule::default(),
            on_inbound: None,
            on_attempt: None,
            log: Arc::default(),
            next_delivery: Arc::new(AtomicU64::new(1)),
        }
    }

    /// Uses this redelivery schedule.
    #[must_use]
    pub fn with_schedule(mut self, schedule: RetrySchedule) -> Self {
        self.schedule = schedule;
        self
    }

    /// Calls `hook(phone_number_id, sender)` for each inbound message before delivering it.
    #[must_use]
    pub fn with_inbound_hook(mut self, hook: InboundHook) -> Self {
        self.on_inbound = Some(hook);
        self
    }

    /// Calls `hook(record)` after each attempt, once it is logged.
    #[must_use]
    pub fn with_attempt_hook(mut self, hook: AttemptHook) -> Self {
        self.on_attempt = Some(hook);
        self
    }

    /// The callback URL.
    #[must_use]
    pub fn target_url(&self) -> &str {
        &self.target_url
    }

    /// The schedule in use.
    #[must_use]
    pub const fn schedule(&self) -> RetrySchedule {
        self.schedule
    }

    /// The header value this sender puts on `body`.
    #[must_use]
    pub fn sign(&self, body: &[u8]) -> String {
        signature_header(&self.app_secret, body)
    }

    /// Every attempt so far, in the order they started.
    #[must_use]
    pub fn deliveries(&self) -> Vec<DeliveryRecord> {
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Forgets the log.
    pub fn clear_log(&self) {
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    fn open_windows(&self, payload: &WebhookPayload) {
        if let Some(hook) = &self.on_inbound {
            for (pid, sender) in payload.inbound_senders() {
                hook(&pid, &sender);
            }
        }
    }

    fn new_delivery(&self) -> u64 {
        self.next_delivery.fetch_add(1, Ordering::Relaxed)
    }

    /// One HTTP attempt; logs it.
    async fn attempt(
        &self,
        delivery: u64,
        attempt: u32,
        body: &[u8],
        signature: Option<String>,
    ) -> Result<u16, String> {
        let at = Utc::now();
        let mut request = self
            .client
            .post(&self.target_url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_vec());
        if let Some(sig) = &signature {
            request = request.header("X-Hub-Signature-256", sig);
            request = request.header(
                "X-Hub-Signature",
                legacy_signature_header(&self.app_secret, body),
            );
        }
        let result = match request.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                // Drain the body so the connection can be reused.
                let _ = response.bytes().await;
                Ok(status)
            }
            Err(e) => Err(e.to_string()),
        };
        let record = DeliveryRecord {
            delivery,
            attempt,
            status: result.as_ref().ok().copied(),
            error: result.as_ref().err().cloned(),
            at,
            body_len: body.len(),
            signature,
        };
        if let Some(hook) = &self.on_attempt {
            hook(&record);
        }
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(record);
        if let Err(e) = &result {
            tracing::debug!(url = %self.target_url, attempt, error = %e, "webhook attempt failed");
        }
        result
    }

    /// Delivers `payload` (opening customer windows first), redelivering on any status but 200
    /// or a transport failure, per the schedule.
    ///
    /// # Errors
    /// [`SendError::GaveUp`] when no attempt got a 200.
    pub async fn send(&self, payload: &WebhookPayload) -> Result<DeliveryReport, SendError> {
        self.open_windows(payload);
        self.send_bytes(&payload.bytes()).await
    }

    /// Delivers exact bytes, correctly signed, with redelivery (no window hook).
    ///
    /// # Errors
    /// [`SendError::GaveUp`] when no attempt got a 200.
    pub async fn send_bytes(&self, body: &[u8]) -> Result<DeliveryReport, SendError> {
        let delivery = self.new_delivery();
        let signature = self.sign(body);
        let max = self.schedule.max_attempts.max(1);
        let mut report = DeliveryReport {
            attempts: 0,
            final_status: None,
        };
        for attempt in 1..=max {
            let wait = self.schedule.delay_before(attempt);
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
            report.attempts = attempt;
            report.final_status = self
                .attempt(delivery, attempt, body, Some(signature.clone()))
                .await
                .ok();
            if report.delivered() {
                return Ok(report);
            }
        }
        Err(SendError::GaveUp(report))
    }

    /// One attempt, no redelivery; the receiver's status, whatever it is.
    ///
    /// # Errors
    /// [`SendError::Transport`] when no HTTP response came back.
    pub async fn send_once(&self, payload: &WebhookPayload) -> Result<u16, SendError> {
        self.open_windows(payload);
        let body = payload.bytes();
        let signature = self.sign(&body);
        self.attempt(self.new_delivery(), 1, &body, Some(signature))
            .await
            .map_err(SendError::Transport)
    }

    /// The same bytes delivered twice (each with redelivery): a duplicate the receiver must
    /// absorb.
    ///
    /// # Errors
    /// As [`Self::send`], for either copy.
    pub async fn send_twice(
        &self,
        payload: &WebhookPayload,
    ) -> Result<(DeliveryReport, DeliveryReport), SendError> {
        let first = self.send(payload).await?;
        let second = self.send(payload).await?;
        Ok((first, second))
    }

    /// Delivers `payloads` last first (e.g. `read` before `delivered` before `sent`).
    ///
    /// # Errors
    /// As [`Self::send`], stopping at the first payload not accepted.
    pub async fn send_out_of_order(
        &self,
        payloads: Vec<WebhookPayload>,
    ) -> Result<Vec<DeliveryReport>, SendError> {
        let mut reports = Vec::with_capacity(payloads.len());
        for payload in payloads.iter().rev() {
            reports.push(self.send(payload).await?);
        }
        Ok(reports)
    }

    /// Exact bytes in one attempt with a chosen signature header: `None` signs correctly,
    /// `Some(value)` sends `value` instead, `Some("")` omits the header. For forged or
    /// tampered requests; never calls the window hook.
    ///
    /// # Errors
    /// [`SendError::Transport`] when no HTTP response came back.
    pub async fn send_raw(
        &self,
        body: &[u8],
        signature_override: Option<String>,
    ) -> Result<u16, SendError> {
        let signature = match signature_override {
            None => Some(self.sign(body)),
            Some(s) if s.is_empty() => None,
            Some(s) => Some(s),
        };
        self.attempt(self.new_delivery(), 1, body, signature)
            .await
            .map_err(SendError::Transport)
    }

    /// `copies` single-attempt deliveries of the same payload at once (Meta delivers
    /// concurrently, and retries race with late first attempts). Statuses in copy order.
    pub async fn send_concurrently(
        &self,
        payload: &WebhookPayload,
        copies: usize,
    ) -> Vec<Result<u16, SendError>> {
        self.open_windows(payload);
        let body = payload.bytes();
        let signature = self.sign(&body);
        let attempts = (0..copies).map(|_| {
            let delivery = self.new_delivery();
            let body = &body;
            let signature = signature.clone();
            async move {
                self.attempt(delivery, 1, body, Some(signature))
                    .await
                    .map_err(SendError::Transport)
            }
        });
        futures_util::future::join_all(attempts).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let s = RetrySchedule {
            initial_delay: Duration::from_millis(10),
            factor: 3,
            max_delay: Duration::from_millis(200),
            max_attempts: 6,
        };
        let waits: Vec<u128> = (1..=6).map(|a| s.delay_before(a).as_millis()).collect();
        assert_eq!(waits, [0, 10, 30, 90, 200, 200]);
        assert_eq!(
            RetrySchedule::default().delay_before(40),
            Duration::from_secs(600)
        );
    }

    #[test]
    fn signature_is_lowercase_hex_sha256() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature_header(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn debug_hides_the_secret() {
        let Ok(s) = WebhookSender::new("http://x", b"topsecret") else {
            panic!("client")
        };
        assert!(!format!("{s:?}").contains("topsecret"));
    }
}
