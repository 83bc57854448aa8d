//! Wrong station PINs: five tries are free, then a 30-second wait that doubles with every
//! further failure, and after ten failures a hard lock that only the field team clears
//! (`waystation staff unlock`). Time is passed in (monotonic), so the rules are tested without
//! a clock. The failure count is kept in the database, so a restart does not reset it.

use std::time::Duration;

/// Failures allowed before any wait.
pub const FREE_TRIES: u32 = 5;
/// The wait after the sixth failure; it doubles with each one after.
pub const FIRST_WAIT: Duration = Duration::from_secs(30);
/// After this many failures in a row the pad stays locked until the field team resets it.
pub const HARD_LOCK_AFTER: u32 = 10;

/// Whether a PIN may be tried now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinGate {
    Open,
    /// Whole seconds to wait.
    Wait(u64),
    /// Only the field team's reset opens it again.
    Locked,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PinThrottle {
    failures: u32,
    waiting_until: Option<Duration>,
}

impl PinThrottle {
    /// The throttle after a restart with `failures` remembered: a kiosk restarted in the middle
    /// of a wait waits again, whole, rather than letting someone skip it by pulling the plug.
    pub fn restore(failures: u32, now: Duration) -> PinThrottle {
        let mut throttle = PinThrottle {
            failures,
            waiting_until: None,
        };
        throttle.waiting_until = throttle.wait_after_failure().map(|wait| now + wait);
        throttle
    }

    pub fn failures(&self) -> u32 {
        self.failures
    }

    pub fn gate(&self, now: Duration) -> PinGate {
        if self.failures >= HARD_LOCK_AFTER {
            return PinGate::Locked;
        }
        match self.waiting_until {
            Some(until) if until > now => {
                PinGate::Wait((until - now).as_millis().div_ceil(1000) as u64)
            }
            _ => PinGate::Open,
        }
    }

    /// Counts a wrong PIN and says what follows.
    pub fn failed(&mut self, now: Duration) -> PinGate {
        self.failures = self.failures.saturating_add(1);
        self.waiting_until = self.wait_after_failure().map(|wait| now + wait);
        self.gate(now)
    }

    pub fn succeeded(&mut self) {
        *self = PinThrottle::default();
    }

    fn wait_after_failure(&self) -> Option<Duration> {
        let beyond = self.failures.checked_sub(FREE_TRIES)?;
        if beyond == 0 {
            return None;
        }
        Some(FIRST_WAIT.saturating_mul(1 << (beyond - 1).min(16)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(secs: u64) -> Duration {
        Duration::from_secs(secs)
    }

    #[test]
    fn five_tries_are_free_then_the_wait_doubles_then_it_locks() {
        let mut throttle = PinThrottle::default();
        let mut now = s(1000);
        for _ in 0..FREE_TRIES {
            assert_eq!(throttle.failed(now), PinGate::Open);
        }
        let mut waits = vec![];
        for _ in FREE_TRIES + 1..HARD_LOCK_AFTER {
            let PinGate::Wait(wait) = throttle.failed(now) else {
                panic!("a wait was expected")
            };
            waits.push(wait);
            assert_eq!(throttle.gate(now + s(wait - 1)), PinGate::Wait(1));
            now += s(wait);
            assert_eq!(throttle.gate(now), PinGate::Open);
        }
        assert_eq!(waits, [30, 60, 120, 240]);
        assert_eq!(throttle.failed(now), PinGate::Locked);
        assert_eq!(
            throttle.gate(now + s(1_000_000)),
            PinGate::Locked,
            "time never opens a hard lock"
        );
    }

    #[test]
    fn a_right_pin_clears_the_count() {
        let mut throttle = PinThrottle::default();
        for _ in 0..4 {
            throttle.failed(s(0));
        }
        throttle.succeeded();
        assert_eq!(throttle.failures(), 0);
        for _ in 0..FREE_TRIES {
            assert_eq!(throttle.failed(s(0)), PinGate::Open);
        }
    }

    #[test]
    fn a_restart_does_not_skip_a_wait_or_a_lock() {
        assert_eq!(PinThrottle::restore(3, s(5)).gate(s(5)), PinGate::Open);
        assert_eq!(PinThrottle::restore(6, s(5)).gate(s(5)), PinGate::Wait(30));
        assert_eq!(PinThrottle::restore(7, s(5)).gate(s(5)), PinGate::Wait(60));
        assert_eq!(
            PinThrottle::restore(HARD_LOCK_AFTER, s(5)).gate(s(5)),
            PinGate::Locked
        );
    }
}
