//! Webhooks the simulator sends on its own, the way Meta does: to the configured callback URL
//! ([`crate::SimConfig::webhook_url`], [`crate::SimHandle::set_webhook_target`]), signed with
//! the app secret, redelivered with backoff on anything but 200, always from a spawned task so
//! no request waits for the receiver.
//!
//! - **Automatic statuses**: every send the messages endpoint accepts is followed by `sent`
//!   (with pricing, §5.5), then `delivered` after [`crate::SimConfig::delivered_delay`], then,
//!   if [`crate::SimConfig::read_delay`] is set, `read`. Each status is delivered (retries
//!   included) before the next one is scheduled, so they arrive in order; they carry
//!   `biz_opaque_callback_data` when the send had it. `recipient_id` is the digits of `to`
//!   (a send to a BSUID gets `recipient_user_id` instead).
//! - **Injected events**: customer messages and raw bodies from the control API
//!   (`/_sim/webhooks/*`) or [`crate::SimHandle::deliver_webhook`].
//!
//! Every delivery is logged as a [`WebhookDelivery`] with its body and each HTTP attempt,
//! updated live while retries happen ([`crate::SimHandle::webhook_deliveries`]).

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::payload::{SimNumber, SimStatus, WebhookPayload};
use super::sender::{DeliveryRecord, RetrySchedule, WebhookSender, http_client};
use crate::SimHandle;
pub use crate::delivery_log::{DeliveryOutcome, WebhookDelivery};
use crate::state::SimState;
use crate::util::digits;
use crate::util::push_capped;

/// Why a webhook could not be queued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    /// No `url` given and no webhook target configured.
    #[error("no webhook target configured: pass \"url\" or set one (--webhook-url)")]
    NoTarget,
    /// The phone number id is not seeded.
    #[error("unknown phone_number_id {0}")]
    UnknownNumber(String),
    /// The request is incomplete or inconsistent.
    #[error("{0}")]
    Invalid(String),
    /// Not called inside a Tokio runtime (nothing could run the delivery).
    #[error("no Tokio runtime to deliver from")]
    NoRuntime,
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
    /// The webhook target is locked (`SimConfig::lock_webhook_target`, the product's
    /// sandbox): deliveries go to it alone, and it cannot be changed.
    #[error("webhook deliveries go only to the configured target here")]
    TargetLocked,
}

/// Where and how one delivery goes, captured when it is queued.
#[derive(Debug, Clone)]
struct Outgoing {
    url: String,
    secret: Vec<u8>,
    schedule: RetrySchedule,
    client: reqwest::Client,
}

fn outgoing(st: &mut SimState, url: Option<&str>) -> Result<Outgoing, WebhookError> {
    if st.config.lock_webhook_target
        && url.is_some_and(|u| Some(u) != st.config.webhook_url.as_deref())
    {
        return Err(WebhookError::TargetLocked);
    }
    let url = url
        .map(str::to_owned)
        .or_else(|| st.config.webhook_url.clone())
        .filter(|u| !u.is_empty())
        .ok_or(WebhookError::NoTarget)?;
    let client = match &st.webhooks.client {
        Some(c) => c.clone(),
        None => {
            let c = http_client().map_err(|e| WebhookError::Client(e.to_string()))?;
            st.webhooks.client = Some(c.clone());
            c
        }
    };
    Ok(Outgoing {
        url,
        secret: st.config.app_secret.clone().into_bytes(),
        schedule: st.config.webhook_retry,
        client,
    })
}

fn runtime() -> Result<tokio::runtime::Handle, WebhookError> {
    tokio::runtime::Handle::try_current().map_err(|_| WebhookError::NoRuntime)
}

impl SimHandle {
    fn begin_delivery(
        &self,
        kind: &str,
        url: &str,
        body: Value,
        wamid: Option<String>,
        status: Option<&str>,
    ) -> u64 {
        let mut st = self.lock();
        let created_at = st.now();
        st.webhooks.next_id += 1;
        let id = st.webhooks.next_id;
        push_capped(
            &mut st.webhooks.log,
            WebhookDelivery {
                id,
                kind: kind.to_owned(),
                url: url.to_owned(),
                body,
                wamid,
                status: status.map(str::to_owned),
                outcome: DeliveryOutcome::Pending,
                attempts: Vec::new(),
                created_at,
            },
        );
        id
    }

    fn update_delivery(&self, id: u64, f: impl FnOnce(&mut WebhookDelivery)) {
        if let Some(d) = self
            .lock()
            .webhooks
            .log
            .iter_mut()
            .rev()
            .find(|d| d.id == id)
        {
            f(d);
        }
    }

    /// Sends `payload` to `out` (logging it as delivery `id`); `signature` as in
    /// [`WebhookSender::send_raw`] (`Some` = one attempt with that header, no retries).
    async fn run_delivery(
        &self,
        out: Outgoing,
        id: u64,
        payload: WebhookPayload,
        signature: Option<String>,
    ) -> bool {
        let h = self.clone();
        let sender = WebhookSender::with_client(&out.url, &out.secret, out.client)
            .with_schedule(out.schedule)
            .with_attempt_hook(Arc::new(move |rec: &DeliveryRecord| {
                let mut rec = rec.clone();
                rec.delivery = id;
                h.update_delivery(id, |d| d.attempts.push(rec));
            }));
        let bytes = payload.bytes();
        let ok = match signature {
            None => sender.send_bytes(&bytes).await.is_ok(),
            Some(sig) => sender.send_raw(&bytes, Some(sig)).await == Ok(200),
        };
        self.update_delivery(id, |d| {
            d.outcome = if ok {
                DeliveryOutcome::Delivered
            } else {
                DeliveryOutcome::Failed
            };
        });
        ok
    }

    /// Queues `payload` for delivery and returns the delivery id at once.
    pub(crate) fn spawn_delivery(
        &self,
        kind: &str,
        url: Option<&str>,
        payload: WebhookPayload,
        wamid: Option<String>,
        signature: Option<String>,
    ) -> Result<u64, WebhookError> {
        let rt = runtime()?;
        let out = outgoing(&mut self.lock(), url)?;
        if signature.is_none() {
            // The customer wrote: the window opens now, whether or not the webhook gets through.
            for (pid, from) in payload.inbound_senders() {
                self.open_window(&pid, &from);
            }
        }
        let id = self.begin_delivery(kind, &out.url, payload.value().clone(), wamid, None);
        let h = self.clone();
        rt.spawn(async move { h.run_delivery(out, id, payload, signature).await });
        Ok(id)
    }

    // --- public controls -------------------------------------------------------------------

    /// Sets (or clears) the product's webhook callback URL.
    ///
    /// # Errors
    /// [`WebhookError::TargetLocked`] when the target is locked.
    pub fn set_webhook_target(&self, url: Option<String>) -> Result<(), WebhookError> {
        let mut st = self.lock();
        if st.config.lock_webhook_target {
            return Err(WebhookError::TargetLocked);
        }
        st.config.webhook_url = url.filter(|u| !u.is_empty());
        Ok(())
    }

    /// The webhook callback URL, if any.
    #[must_use]
    pub fn webhook_target(&self) -> Option<String> {
        self.lock().config.webhook_url.clone()
    }

    /// Turns automatic status webhooks for accepted sends on or off (on by default; they only
    /// go out when a webhook target is set).
    pub fn set_auto_statuses(&self, on: bool) {
        self.lock().config.auto_statuses = on;
    }

    /// The wait before `delivered`, and before `read` (`None`: no `read`).
    pub fn set_status_delays(&self, delivered: Duration, read: Option<Duration>) {
        let mut st = self.lock();
        st.config.delivered_delay = delivered;
        st.config.read_delay = read;
    }

    /// The redelivery schedule of the webhooks the simulator sends on its own.
    pub fn set_webhook_retry(&self, schedule: RetrySchedule) {
        self.lock().config.webhook_retry = schedule;
    }

    /// Every webhook the simulator sent on its own, oldest first, with each attempt.
    #[must_use]
    pub fn webhook_deliveries(&self) -> Vec<WebhookDelivery> {
        self.lock().webhooks.log.iter().cloned().collect()
    }

    /// Forgets the webhook delivery log (ids keep counting).
    pub fn clear_webhook_deliveries(&self) {
        self.lock().webhooks.log.clear();
    }

    /// Waits (polling) until at least `count` logged deliveries are no longer pending, or
    /// `timeout` passes; returns the log either way.
    pub async fn wait_webhook_deliveries(
        &self,
        count: usize,
        timeout: Duration,
    ) -> Vec<WebhookDelivery> {
        let until = tokio::time::Instant::now() + timeout;
        loop {
            let log = self.webhook_deliveries();
            let done = log
                .iter()
                .filter(|d| d.outcome != DeliveryOutcome::Pending)
                .count();
            if done >= count || tokio::time::Instant::now() >= until {
                return log;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Delivers any JSON body in the background (to `url`, else the webhook target), signed
    /// correctly with retries, or with `signature` as the `X-Hub-Signature-256` value in a
    /// single attempt (`Some("")` omits the header). Inbound messages in a correctly signed
    /// body open their customer windows. Returns the delivery id.
    ///
    /// # Errors
    /// [`WebhookError::NoTarget`] without a URL, [`WebhookError::NoRuntime`] outside Tokio.
    pub fn deliver_webhook(
        &self,
        body: Value,
        url: Option<&str>,
        signature: Option<String>,
    ) -> Result<u64, WebhookError> {
        self.spawn_delivery(
            "raw",
            url,
            WebhookPayload::from_value(body),
            None,
            signature,
        )
    }
}

// --- automatic statuses ------------------------------------------------------------------

/// Who a send went to, as statuses name them.
#[derive(Debug, Clone)]
enum Recipient {
    Phone(String),
    UserId(String),
}

/// The statuses one accepted send will produce.
#[derive(Debug)]
pub(crate) struct StatusJob {
    out: Outgoing,
    number: SimNumber,
    wamid: String,
    recipient: Recipient,
    callback: Option<String>,
    pricing: (String, String),
    delivered_delay: Duration,
    read_delay: Option<Duration>,
}

/// The status job for the send just recorded (the last of `st.sent`), when a webhook target is
/// set and automatic statuses are on.
pub(crate) fn status_job(st: &mut SimState) -> Option<StatusJob> {
    if !st.config.auto_statuses || st.config.webhook_url.is_none() {
        return None;
    }
    let sent = st.sent.back()?.clone();
    let number = st.numbers.get(&sent.phone_number_id)?;
    let waba_id = number.waba_id.clone();
    let display = digits(&number.seed.display_phone_number);
    let body = &sent.body;
    let recipient = match body.get("to").and_then(Value::as_str) {
        Some(to) => Recipient::Phone(digits(to)),
        None => Recipient::UserId(sent.to.clone()),
    };
    let pricing = if sent.kind == "template" {
        let name = body.pointer("/template/name").and_then(Value::as_str);
        let lang = body
            .pointer("/template/language/code")
            .and_then(Value::as_str);
        let category = st
            .wabas
            .get(&waba_id)
            .and_then(|w| {
                w.templates.iter().find(|t| {
                    Some(t.seed.name.as_str()) == name && Some(t.seed.language.as_str()) == lang
                })
            })
            .map_or_else(|| "utility".to_owned(), |t| t.seed.category.to_lowercase());
        (category, "regular".to_owned())
    } else {
        ("service".to_owned(), "free_customer_service".to_owned())
    };
    let out = outgoing(st, None).ok()?;
    Some(StatusJob {
        out,
        number: SimNumber::new(&waba_id, &sent.phone_number_id, &display),
        wamid: sent.wamid,
        recipient,
        callback: body
            .get("biz_opaque_callback_data")
            .and_then(Value::as_str)
            .map(str::to_owned),
        pricing,
        delivered_delay: st.config.delivered_delay,
        read_delay: st.config.read_delay,
    })
}

impl StatusJob {
    fn status(&self, status: &str, at: i64, priced: bool) -> WebhookPayload {
        let phone = match &self.recipient {
            Recipient::Phone(p) => p.as_str(),
            Recipient::UserId(_) => "",
        };
        let mut s = SimStatus::new(&self.wamid, status, phone).at(at);
        if let Recipient::UserId(u) = &self.recipient {
            s = s.with_recipient_user_id(u, true);
        }
        if priced {
            s = s.with_pricing(&self.pricing.0, &self.pricing.1);
        }
        if let Some(cb) = &self.callback {
            s = s.with_callback_data(cb);
        }
        WebhookPayload::status(&self.number, s)
    }

    async fn deliver(&self, h: &SimHandle, status: &str, priced: bool) {
        let payload = self.status(status, h.now().timestamp(), priced);
        let id = h.begin_delivery(
            "status",
            &self.out.url,
            payload.value().clone(),
            Some(self.wamid.clone()),
            Some(status),
        );
        h.run_delivery(self.out.clone(), id, payload, None).await;
    }

    /// Runs the job on the current Tokio runtime (nothing happens outside one).
    pub(crate) fn spawn(self, h: SimHandle) {
        let Ok(rt) = runtime() else {
            tracing::warn!("meta-sim: no Tokio runtime, status webhooks not sent");
            return;
        };
        rt.spawn(async move {
            self.deliver(&h, "sent", true).await;
            tokio::time::sleep(self.delivered_delay).await;
            self.deliver(&h, "delivered", true).await;
            if let Some(wait) = self.read_delay {
                tokio::time::sleep(wait).await;
                self.deliver(&h, "read", false).await;
            }
        });
    }
}
