//! Login attempts per minute, counted separately per email and per client address (governor's
//! keyed GCRA limiter), so guessing one owner's password and spraying many owners from one
//! address are both slowed down.

use std::num::NonZeroU32;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Keys kept before stale ones are dropped.
const MAX_KEYS: usize = 10_000;

/// A per-email and per-address login limiter.
pub struct LoginLimiter {
    limiter: DefaultKeyedRateLimiter<String>,
}

impl std::fmt::Debug for LoginLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LoginLimiter")
    }
}

impl LoginLimiter {
    /// `per_minute` attempts per key per minute (at least one).
    #[must_use]
    pub fn new(per_minute: u32) -> Self {
        let n = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        Self {
            limiter: RateLimiter::keyed(Quota::per_minute(n)),
        }
    }

    /// Counts an attempt for the email and the address; `false` when either is over its quota.
    #[must_use]
    pub fn check(&self, email: &str, address: &str) -> bool {
        if self.limiter.len() > MAX_KEYS {
            self.limiter.retain_recent();
        }
        let email_ok = self
            .limiter
            .check_key(&format!("email:{}", email.trim().to_lowercase()))
            .is_ok();
        let address_ok = self.limiter.check_key(&format!("addr:{address}")).is_ok();
        email_ok && address_ok
    }
}
