//! Wrong station PINs: five tries are free, then a 30-second wait that doubles with every
//! further failure, up to an hour. There is no lock that time does not open: any passer-by
//! could otherwise lock the staff out for good with ten wrong tries. An hour between guesses
//! still makes guessing a 6-digit PIN hopeless (500,000 tries on average, at 24 a day: about
//! 57 years). The field team's `waystation staff unlock` clears the count at
//! once. Time is passed in (monotonic), so the rules are tested without a clock. The failure
//! count is kept in the database, so a restart does not reset it.

use std::time::Duration;

/// Failures allowed before any wait.
pub const FREE_TRIES: u32 = 5;
/// The wait after the sixth failure; it doubles with each one after.
pub const FIRST_WAIT: Duration = Duration::from_secs(30);
/// The longest wait between tries.
pub const LONGEST_WAIT: Duration = Duration::from_secs(3600);

/// Whether a PIN may be tried now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinGate {
    Open,
    /// Whole seconds to wait.
    Wait(u64),
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
        Some(
            FIRST_WAIT
                .saturating_mul(1 << (beyond - 1).min(16))
                .min(LONGEST_WAIT),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(secs: u64) -> Duration {
        Duration::from_secs(secs)
    }

    #[test]
    fn five_tries_are_free_then_the_wait_doubles_up_to_an_hour_and_never_locks_for_good() {
        let mut throttle = PinThrottle::default();
        let mut now = s(1000);
        for _ in 0..FREE_TRIES {
            assert_eq!(throttle.failed(now), PinGate::Open);
        }
        let mut waits = vec![];
        for _ in 0..12 {
            let PinGate::Wait(wait) = throttle.failed(now) else {
                panic!("a wait was expected")
            };
            waits.push(wait);
            assert_eq!(throttle.gate(now + s(wait - 1)), PinGate::Wait(1));
            now += s(wait);
            assert_eq!(throttle.gate(now), PinGate::Open, "time opens every wait");
        }
        assert_eq!(
            waits,
            [
                30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600, 3600, 3600
            ]
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
    fn a_restart_does_not_skip_a_wait() {
        assert_eq!(PinThrottle::restore(3, s(5)).gate(s(5)), PinGate::Open);
        assert_eq!(PinThrottle::restore(6, s(5)).gate(s(5)), PinGate::Wait(30));
        assert_eq!(PinThrottle::restore(7, s(5)).gate(s(5)), PinGate::Wait(60));
        assert_eq!(
            PinThrottle::restore(500, s(5)).gate(s(5)),
            PinGate::Wait(3600)
        );
    }
}
