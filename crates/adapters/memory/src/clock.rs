//! A manual clock tests set and advance so time-dependent rules (24-hour windows, expiries)
//! are checked deterministically. The production clock lives with the app's wiring.

use std::sync::Mutex;

use chrono::{DateTime, TimeDelta, Utc};
use omni_ports::Clock;

use crate::lock;

/// A clock that only moves when told to. Share it as `Arc<ManualClock>` (it holds no `Arc`
/// itself) and keep a handle to set or advance it from the test.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<DateTime<Utc>>,
}

impl ManualClock {
    /// A clock stopped at `now`.
    #[must_use]
    pub fn new(now: DateTime<Utc>) -> Self {
        Self {
            now: Mutex::new(now),
        }
    }

    /// Sets the time (it may move backwards: tests of clock skew need that).
    pub fn set(&self, now: DateTime<Utc>) {
        *lock(&self.now) = now;
    }

    /// Moves the time by `by` (negative moves it back) and returns the new time. Saturates at
    /// the bounds of [`DateTime<Utc>`] instead of overflowing.
    pub fn advance(&self, by: TimeDelta) -> DateTime<Utc> {
        let mut now = lock(&self.now);
        *now = now
            .checked_add_signed(by)
            .unwrap_or(if by < TimeDelta::zero() {
                DateTime::<Utc>::MIN_UTC
            } else {
                DateTime::<Utc>::MAX_UTC
            });
        *now
    }
}

impl Default for ManualClock {
    /// A clock stopped at the Unix epoch.
    fn default() -> Self {
        Self::new(DateTime::<Utc>::UNIX_EPOCH)
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *lock(&self.now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_manual_clock_moves_only_when_told() {
        let start = DateTime::<Utc>::UNIX_EPOCH;
        let clock = ManualClock::new(start);
        assert_eq!(clock.now(), start);
        assert_eq!(
            clock.advance(TimeDelta::seconds(90)),
            start + TimeDelta::seconds(90)
        );
        assert_eq!(clock.now(), start + TimeDelta::seconds(90));
        clock.set(start);
        assert_eq!(clock.now(), start);
        assert_eq!(
            clock.advance(TimeDelta::MIN),
            DateTime::<Utc>::MIN_UTC,
            "saturates instead of overflowing"
        );
    }
}
