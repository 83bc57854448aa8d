//! When an unattended session is wiped.
//!
//! After `idle_after` without a touch the kiosk asks "还在吗？" and counts down `countdown`;
//! a touch during the countdown keeps the session, and when the countdown runs out the session
//! is wiped. Time is passed in from the caller's monotonic clock.

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdlePhase {
    /// Someone touched the screen recently.
    Active,
    /// The "are you still there?" countdown is showing, with whole seconds left (at least 1).
    Countdown { seconds_left: u64 },
    /// The countdown ran out: wipe the session.
    Expired,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdleTimer {
    last_touch: Duration,
}

/// How long without a touch before the countdown, and how long the countdown lasts. The crisis
/// screen uses longer limits than the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdleLimits {
    pub idle_after: Duration,
    pub countdown: Duration,
}

impl IdleTimer {
    pub fn new(now: Duration) -> IdleTimer {
        IdleTimer { last_touch: now }
    }

    /// Records a touch. Time that seems to run backwards (it should not on a monotonic clock)
    /// is treated as a touch now rather than as a long absence.
    pub fn touch(&mut self, now: Duration) {
        self.last_touch = now;
    }

    pub fn phase(&self, now: Duration, limits: IdleLimits) -> IdlePhase {
        let idle = now.saturating_sub(self.last_touch);
        if idle < limits.idle_after {
            return IdlePhase::Active;
        }
        let into_countdown = idle - limits.idle_after;
        if into_countdown >= limits.countdown {
            return IdlePhase::Expired;
        }
        let left = limits.countdown - into_countdown;
        // Round up so the countdown shows 20 … 1 and never 0 while still counting.
        let seconds_left = left.as_millis().div_ceil(1000) as u64;
        IdlePhase::Countdown {
            seconds_left: seconds_left.max(1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    const LIMITS: IdleLimits = IdleLimits {
        idle_after: Duration::from_secs(90),
        countdown: Duration::from_secs(20),
    };

    fn timer() -> IdleTimer {
        IdleTimer::new(secs(1000))
    }

    #[test]
    fn active_until_the_idle_time_passes() {
        let t = timer();
        assert_eq!(t.phase(secs(1000), LIMITS), IdlePhase::Active);
        assert_eq!(t.phase(secs(1089), LIMITS), IdlePhase::Active);
        assert_eq!(
            t.phase(secs(1090), LIMITS),
            IdlePhase::Countdown { seconds_left: 20 }
        );
    }

    #[test]
    fn counts_down_whole_seconds_then_expires() {
        let t = timer();
        assert_eq!(
            t.phase(secs(1090) + Duration::from_millis(1), LIMITS),
            IdlePhase::Countdown { seconds_left: 20 }
        );
        assert_eq!(
            t.phase(secs(1101), LIMITS),
            IdlePhase::Countdown { seconds_left: 9 }
        );
        assert_eq!(
            t.phase(secs(1109) + Duration::from_millis(999), LIMITS),
            IdlePhase::Countdown { seconds_left: 1 }
        );
        assert_eq!(t.phase(secs(1110), LIMITS), IdlePhase::Expired);
        assert_eq!(t.phase(secs(99_999), LIMITS), IdlePhase::Expired);
    }

    #[test]
    fn a_touch_during_the_countdown_keeps_the_session() {
        let mut t = timer();
        assert!(matches!(
            t.phase(secs(1105), LIMITS),
            IdlePhase::Countdown { .. }
        ));
        t.touch(secs(1105));
        assert_eq!(t.phase(secs(1106), LIMITS), IdlePhase::Active);
        assert_eq!(
            t.phase(secs(1195), LIMITS),
            IdlePhase::Countdown { seconds_left: 20 }
        );
    }

    #[test]
    fn longer_limits_keep_the_same_touch_active_longer() {
        let t = timer();
        let crisis = IdleLimits {
            idle_after: secs(300),
            countdown: secs(60),
        };
        assert!(matches!(
            t.phase(secs(1100), LIMITS),
            IdlePhase::Countdown { .. }
        ));
        assert_eq!(t.phase(secs(1100), crisis), IdlePhase::Active);
        assert_eq!(
            t.phase(secs(1300), crisis),
            IdlePhase::Countdown { seconds_left: 60 }
        );
        assert_eq!(t.phase(secs(1360), crisis), IdlePhase::Expired);
    }

    #[test]
    fn a_clock_that_runs_backwards_counts_as_active() {
        let t = timer();
        assert_eq!(t.phase(secs(10), LIMITS), IdlePhase::Active);
    }
}
