//! Outbox senders. A process sends for a number only while it holds that number's lease in
//! the database, so the number's rate limit, enforced here with `governor`, holds in total
//! however many processes run. Within a number, each recipient's messages leave in order
//! (the claim returns one message per recipient), paced by Meta's pair limit.

use std::collections::{HashMap, HashSet};
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{FutureExt, StreamExt};
use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};
use omni_domain::{PhoneNumberId, ThroughputLevel, WhatsappAccount};
use omni_ports::{CentralRepo, Clock, Initiator, OutboxMessage, OutboxRepo, SendFailure};
use omni_usecases::outbound::{Delivery, OutboxDispatcher};
use tokio::sync::{Notify, watch};

/// Rates and leases.
#[derive(Debug, Clone, Copy)]
pub struct SenderLimits {
    /// Messages per second per number at standard throughput.
    pub default_mps: u32,
    /// Messages per second per number with higher throughput.
    pub high_mps: u32,
    /// One message per recipient per this period...
    pub pair_period: Duration,
    /// ...with this burst.
    pub pair_burst: u32,
    /// Number lease.
    pub sender_lease: Duration,
    /// Message lease (longer than a send can take).
    pub message_lease: Duration,
    /// Messages in flight per number.
    pub concurrency: usize,
    /// Business-initiated messages per second from a number whose quality is RED (account
    /// health); replies to customers are not slowed.
    pub red_business_mps: f64,
}

/// The process's senders.
#[derive(Clone)]
pub struct OutboxWorkers {
    /// Lease owner name of this process.
    pub id: String,
    /// Outbox.
    pub outbox: Arc<dyn OutboxRepo>,
    /// Accounts.
    pub central: Arc<dyn CentralRepo>,
    /// The use case.
    pub dispatcher: OutboxDispatcher,
    /// Clock.
    pub clock: Arc<dyn Clock>,
    /// Woken when something is queued.
    pub wake: Arc<Notify>,
    /// Rates.
    pub limits: SenderLimits,
    running: Arc<Mutex<HashSet<PhoneNumberId>>>,
    numbers: Arc<Mutex<HashMap<PhoneNumberId, Arc<DefaultDirectRateLimiter>>>>,
    pairs: Arc<DefaultKeyedRateLimiter<(PhoneNumberId, String)>>,
    red: Arc<Mutex<HashMap<PhoneNumberId, Arc<DefaultDirectRateLimiter>>>>,
}

impl std::fmt::Debug for OutboxWorkers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboxWorkers")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN)
}

impl OutboxWorkers {
    /// The senders of one process.
    #[must_use]
    pub fn new(
        id: String,
        outbox: Arc<dyn OutboxRepo>,
        central: Arc<dyn CentralRepo>,
        dispatcher: OutboxDispatcher,
        clock: Arc<dyn Clock>,
        wake: Arc<Notify>,
        limits: SenderLimits,
    ) -> Self {
        let pair = Quota::with_period(limits.pair_period)
            .unwrap_or_else(|| Quota::per_second(nz(1)))
            .allow_burst(nz(limits.pair_burst));
        Self {
            id,
            outbox,
            central,
            dispatcher,
            clock,
            wake,
            limits,
            running: Arc::default(),
            numbers: Arc::default(),
            pairs: Arc::new(RateLimiter::keyed(pair)),
            red: Arc::default(),
        }
    }

    /// Finds numbers with work and starts a sender for each one this process can lease,
    /// until `stop`.
    pub async fn run(self, stop: watch::Receiver<bool>) {
        let mut tasks = tokio::task::JoinSet::new();
        let mut swept = tokio::time::Instant::now();
        while !*stop.borrow() {
            // Forget recipients whose pacing state is back to full (the keyed limiter would
            // otherwise keep one entry per customer ever seen).
            if swept.elapsed() > Duration::from_secs(60) {
                self.pairs.retain_recent();
                self.pairs.shrink_to_fit();
                swept = tokio::time::Instant::now();
            }
            let wake = self.wake.notified();
            match self.outbox.senders_with_work(self.clock.now(), 1000).await {
                Ok(senders) => {
                    for sender in senders {
                        if self.is_running(&sender) {
                            continue;
                        }
                        match self
                            .outbox
                            .acquire_sender(
                                &sender,
                                &self.id,
                                self.clock.now(),
                                self.limits.sender_lease,
                            )
                            .await
                        {
                            Ok(true) => {
                                self.set_running(&sender, true);
                                let (me, stop) = (self.clone(), stop.clone());
                                tasks.spawn(async move {
                                    let sending = std::panic::AssertUnwindSafe(
                                        me.clone().send_for(sender.clone(), stop),
                                    );
                                    if sending.catch_unwind().await.is_err() {
                                        // Its lease expires; the number is free to take again.
                                        tracing::error!(sender = %sender.as_str(), "sender panicked");
                                        me.set_running(&sender, false);
                                    }
                                });
                            }
                            Ok(false) => {}
                            Err(e) => tracing::warn!(error = %e, "could not take a sender lease"),
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "outbox scan failed; retrying"),
            }
            while tasks.try_join_next().is_some() {}
            let mut stop = stop.clone();
            tokio::select! {
                () = wake => {}
                () = tokio::time::sleep(Duration::from_millis(250)) => {}
                _ = stop.changed() => {}
            }
        }
        while tasks.join_next().await.is_some() {}
    }

    fn is_running(&self, sender: &PhoneNumberId) -> bool {
        self.running.lock().is_ok_and(|r| r.contains(sender))
    }

    fn set_running(&self, sender: &PhoneNumberId, on: bool) {
        if let Ok(mut r) = self.running.lock() {
            if on {
                r.insert(sender.clone());
            } else {
                r.remove(sender);
            }
        }
    }

    /// Runs `work` to its end, renewing the number's lease every third of it meanwhile.
    /// False when the lease was lost or could not be renewed; the work still finishes (its
    /// messages are claimed by this process, and stopping mid-send could repeat one).
    ///
    /// The renewal is a future of its own, polled beside `work`, never inside a `select!`
    /// branch: a renewal waiting for a database connection (up to the pool's timeout) must
    /// not stop the batch's sends from being polled, or their HTTP timeouts fire on
    /// responses that had already arrived, and the retry sends the message a second time.
    async fn renewing_lease(
        &self,
        sender: &PhoneNumberId,
        renewed: &mut tokio::time::Instant,
        work: impl Future<Output = ()>,
    ) -> bool {
        let renew_every = self.limits.sender_lease / 3;
        let renewal = async {
            loop {
                tokio::time::sleep_until(*renewed + renew_every).await;
                crate::fault_points::delay_point("outbox.before_lease_renewal").await;
                let (now, lease) = (self.clock.now(), self.limits.sender_lease);
                match self
                    .outbox
                    .acquire_sender(sender, &self.id, now, lease)
                    .await
                {
                    Ok(true) => *renewed = tokio::time::Instant::now(),
                    Ok(false) => {
                        tracing::warn!(
                            sender = %sender.as_str(),
                            "sender lease lost to another process"
                        );
                        return;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "sender lease renewal failed");
                        return;
                    }
                }
            }
        };
        tokio::pin!(work, renewal);
        let mut held = true;
        loop {
            tokio::select! {
                () = &mut work => return held,
                () = &mut renewal, if held => held = false,
            }
        }
    }

    fn number_limiter(&self, sender: &PhoneNumberId, mps: u32) -> Arc<DefaultDirectRateLimiter> {
        let Ok(mut numbers) = self.numbers.lock() else {
            return Arc::new(RateLimiter::direct(Quota::per_second(nz(mps))));
        };
        numbers
            .entry(sender.clone())
            .or_insert_with(|| Arc::new(RateLimiter::direct(Quota::per_second(nz(mps)))))
            .clone()
    }

    /// The slower limiter for business-initiated messages of a RED number.
    fn red_limiter(&self, sender: &PhoneNumberId) -> Arc<DefaultDirectRateLimiter> {
        let mps = if self.limits.red_business_mps.is_finite() && self.limits.red_business_mps > 0.0
        {
            self.limits.red_business_mps
        } else {
            1.0
        };
        let quota = Quota::with_period(Duration::from_secs_f64(1.0 / mps))
            .unwrap_or_else(|| Quota::per_second(nz(1)));
        let Ok(mut red) = self.red.lock() else {
            return Arc::new(RateLimiter::direct(quota));
        };
        red.entry(sender.clone())
            .or_insert_with(|| Arc::new(RateLimiter::direct(quota)))
            .clone()
    }

    /// Sends a number's messages while holding its lease; gives the lease back when the
    /// number has nothing left (or on stop).
    async fn send_for(self, sender: PhoneNumberId, stop: watch::Receiver<bool>) {
        let renew_every = self.limits.sender_lease / 3;
        let mut renewed = tokio::time::Instant::now();
        let mut idle_rounds = 0;
        while !*stop.borrow() {
            if renewed.elapsed() >= renew_every {
                match self
                    .outbox
                    .acquire_sender(
                        &sender,
                        &self.id,
                        self.clock.now(),
                        self.limits.sender_lease,
                    )
                    .await
                {
                    Ok(true) => renewed = tokio::time::Instant::now(),
                    Ok(false) => {
                        tracing::warn!(sender = %sender.as_str(), "sender lease lost to another process");
                        break;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "sender lease renewal failed");
                        break;
                    }
                }
            }
            let account = match self.central.find_account_by_phone_number_id(&sender).await {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(error = %e, "account lookup failed; sender pauses");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            let batch = u32::try_from(self.limits.concurrency * 2).unwrap_or(32);
            let claimed = match self
                .outbox
                .claim(
                    &sender,
                    &self.id,
                    self.clock.now(),
                    self.limits.message_lease,
                    batch,
                )
                .await
            {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "outbox claim failed");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    continue;
                }
            };
            if claimed.is_empty() {
                idle_rounds += 1;
                if idle_rounds > 4 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
            idle_rounds = 0;
            let mps = match account.as_ref().and_then(|a| a.messaging_limits.throughput) {
                Some(ThroughputLevel::High) => self.limits.high_mps,
                _ => self.limits.default_mps,
            };
            let limiter = self.number_limiter(&sender, mps);
            // Business-initiated messages go one after another: each checks the tier's count
            // of recipients already sent to, which must include the one before it.
            let (business, replies): (Vec<_>, Vec<_>) = claimed
                .into_iter()
                .partition(|m| m.initiator == Initiator::Business);
            let batch = async {
                futures_util::stream::iter(replies)
                    .for_each_concurrent(self.limits.concurrency, |msg| {
                        self.send_one(msg, account.as_ref(), &limiter)
                    })
                    .await;
                // Quality RED: business-initiated messages leave at `red_business_mps`; the
                // others wait in the queue (not here), replies above are not slowed.
                let red = account
                    .as_ref()
                    .is_some_and(|a| a.quality_rating == omni_domain::QualityRating::Red)
                    .then(|| self.red_limiter(&sender));
                for msg in business {
                    if let Some(red) = &red
                        && let Err(not_until) = red.check()
                    {
                        self.defer(
                            &msg,
                            not_until.wait_time_from(DefaultClock::default().now()),
                            "red_quality",
                        )
                        .await;
                        continue;
                    }
                    self.send_one(msg, account.as_ref(), &limiter).await;
                }
            };
            // A batch can outlast the lease (a low rate, slow sends): renew it meanwhile, or
            // another process takes the number over and both send at the full rate.
            if !self.renewing_lease(&sender, &mut renewed, batch).await {
                break;
            }
        }
        if let Err(e) = self.outbox.release_sender(&sender, &self.id).await {
            tracing::warn!(error = %e, "could not give back the sender lease; it expires");
        }
        self.set_running(&sender, false);
        // Something may have been queued for this number after the last claim.
        self.wake.notify_waiters();
    }

    /// Meta accepted `msg` but the database did not take its wamid: retry for about a minute
    /// (a database restart), since losing the wamid means sending the message again.
    async fn keep_recording(&self, msg: &OutboxMessage, wamid: &str) {
        let mut wait = Duration::from_millis(200);
        for _ in 0..12 {
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(Duration::from_secs(10));
            if self.dispatcher.keep_wamid(msg.id, wamid).await.is_ok() {
                if let Err(e) = self.dispatcher.finish_sent(&self.id, msg, wamid).await {
                    tracing::warn!(outbox = msg.id, error = %e, "wamid kept; the rest is finished on the next claim");
                }
                return;
            }
        }
        tracing::error!(
            outbox = msg.id,
            "the wamid of a message Meta accepted could not be stored; it may be sent again"
        );
    }

    /// Puts a claimed message back in the queue for `wait` (a limit, not a failure).
    async fn defer(&self, msg: &OutboxMessage, wait: Duration, limit: &str) {
        crate::account_health::metrics::rate_limited(limit);
        let at = self.clock.now()
            + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::seconds(1));
        if let Err(e) = self
            .outbox
            .reschedule(msg.id, &self.id, at, None, false)
            .await
        {
            tracing::warn!(error = %e, "could not defer a held-back message; its lease expires");
        }
    }

    async fn send_one(
        &self,
        msg: OutboxMessage,
        account: Option<&WhatsappAccount>,
        limiter: &DefaultDirectRateLimiter,
    ) {
        let clock = DefaultClock::default();
        // Meta's pair limit: when this recipient has had its burst, wait in the queue (not
        // here) so other recipients' messages go on.
        if let Err(not_until) = self
            .pairs
            .check_key(&(msg.sender.clone(), msg.recipient.clone()))
        {
            self.defer(&msg, not_until.wait_time_from(clock.now()), "pair")
                .await;
            return;
        }
        // The number's throughput: wait here (it is a short wait by construction).
        let mut waited = false;
        while let Err(not_until) = limiter.check() {
            waited = true;
            tokio::time::sleep(not_until.wait_time_from(clock.now())).await;
        }
        if waited {
            crate::account_health::metrics::rate_limited("number");
        }
        match self.dispatcher.deliver(&self.id, &msg, account).await {
            Ok(Delivery::Unrecorded { wamid }) => {
                crate::account_health::metrics::send("sent", "");
                self.keep_recording(&msg, &wamid).await;
            }
            Ok(Delivery::Sent { .. }) => crate::account_health::metrics::send("sent", ""),
            Ok(Delivery::Retry { code, .. }) => {
                if code == SendFailure::MessagingLimit {
                    crate::account_health::metrics::rate_limited("tier");
                }
                crate::account_health::metrics::send("retry", &code.code());
            }
            Ok(Delivery::Failed { code }) => {
                crate::account_health::metrics::send("failed", &code.code());
            }
            Err(e) => tracing::warn!(
                outbox = msg.id,
                error = %e,
                "could not record a send outcome; the lease expires and it is finished then"
            ),
        }
    }
}
