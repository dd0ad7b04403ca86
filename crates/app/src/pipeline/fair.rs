//! Start-time fair queuing for the inbox. Each route (a business number, or a WABA for
//! management events) has its events stamped `spacing` apart in virtual time (`fair_at`), and
//! never before they arrived; the workers claim open events in `fair_at` order (then arrival).
//! A number that floods the inbox with thousands of events has them spread into the virtual
//! future, so another number's new event sorts before most of them and is answered within a
//! bounded time. Without competition nothing waits: `fair_at` only orders the claim, it does
//! not hold an event back. Per-conversation order is untouched (the claim still takes only the
//! head of each ordering key).
//!
//! The last stamp of each route is kept in this process only: with several processes each
//! spaces what it receives, which is fair enough (Meta spreads deliveries), and a restarted
//! process starts from arrival times.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, Duration, Utc};
use omni_ports::NewInboxEvent;

/// Routes remembered before idle ones are forgotten.
const PRUNE_ABOVE: usize = 10_000;

/// Stamps `fair_at` on new inbox events.
#[derive(Debug)]
pub struct FairClock {
    spacing: Duration,
    last: Mutex<HashMap<String, DateTime<Utc>>>,
}

impl FairClock {
    /// Events of one route are stamped `spacing` apart.
    #[must_use]
    pub fn new(spacing: std::time::Duration) -> Self {
        Self {
            spacing: Duration::from_std(spacing).unwrap_or(Duration::milliseconds(50)),
            last: Mutex::new(HashMap::new()),
        }
    }

    /// Stamps each event: its route's previous stamp plus the spacing, or its arrival when
    /// that is later.
    pub fn stamp(&self, events: &mut [NewInboxEvent]) {
        let mut last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
        for e in events.iter_mut() {
            let at = last.get(&e.route_id).map_or(e.received_at, |prev| {
                (*prev + self.spacing).max(e.received_at)
            });
            e.fair_at = at;
            last.insert(e.route_id.clone(), at);
        }
        if last.len() > PRUNE_ABOVE
            && let Some(now) = events.iter().map(|e| e.received_at).max()
        {
            // A route whose next stamp would be its arrival anyway needs no memory.
            last.retain(|_, at| *at + self.spacing > now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(route: &str, at: DateTime<Utc>) -> NewInboxEvent {
        let mut e = NewInboxEvent::malformed(b"{}", "test", at);
        e.route_id = route.to_owned();
        e
    }

    #[test]
    fn a_flooding_route_is_spread_out_and_a_quiet_one_keeps_its_arrival_time() {
        let clock = FairClock::new(std::time::Duration::from_millis(50));
        let t0 = Utc::now();
        let mut flood: Vec<NewInboxEvent> = (0..100).map(|_| event("a", t0)).collect();
        clock.stamp(&mut flood);
        assert_eq!(flood[0].fair_at, t0);
        assert_eq!(flood[99].fair_at, t0 + Duration::milliseconds(99 * 50));
        let later = t0 + Duration::milliseconds(200);
        let mut quiet = [event("b", later)];
        clock.stamp(&mut quiet);
        assert_eq!(quiet[0].fair_at, later, "sorts before 95 of the flood");
        let ahead = flood
            .iter()
            .filter(|e| e.fair_at < quiet[0].fair_at)
            .count();
        assert_eq!(ahead, 4);
    }

    #[test]
    fn a_route_that_went_quiet_starts_again_from_its_arrival() {
        let clock = FairClock::new(std::time::Duration::from_millis(50));
        let t0 = Utc::now();
        let mut first = [event("a", t0), event("a", t0)];
        clock.stamp(&mut first);
        let much_later = t0 + Duration::seconds(10);
        let mut next = [event("a", much_later)];
        clock.stamp(&mut next);
        assert_eq!(next[0].fair_at, much_later);
    }
}
