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
    idle_after: Duration,
    countdown: Duration,
    last_touch: Duration,
}

impl IdleTimer {
    pub fn new(idle_after: Duration, countdown: Duration, now: Duration) -> IdleTimer {
        IdleTimer {
            idle_after,
            countdown,
            last_touch: now,
        }
    }

    /// Records a touch. Time that seems to run backwards (it should not on a monotonic clock)
    /// is treated as a touch now rather than as a long absence.
    pub fn touch(&mut self, now: Duration) {
        self.last_touch = now;
    }

    pub fn phase(&self, now: Duration) -> IdlePhase {
        let idle = now.saturating_sub(self.last_touch);
        if idle < self.idle_after {
            return IdlePhase::Active;
        }
        let into_countdown = idle - self.idle_after;
        if into_countdown >= self.countdown {
            return IdlePhase::Expired;
        }
        let left = self.countdown - into_countdown;
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

    fn timer() -> IdleTimer {
        IdleTimer::new(secs(90), secs(20), secs(1000))
    }

    #[test]
    fn active_until_the_idle_time_passes() {
        let t = timer();
        assert_eq!(t.phase(secs(1000)), IdlePhase::Active);
        assert_eq!(t.phase(secs(1089)), IdlePhase::Active);
        assert_eq!(
            t.phase(secs(1090)),
            IdlePhase::Countdown { seconds_left: 20 }
        );
    }

    #[test]
    fn counts_down_whole_seconds_then_expires() {
        let t = timer();
        assert_eq!(
            t.phase(secs(1090) + Duration::from_millis(1)),
            IdlePhase::Countdown { seconds_left: 20 }
        );
        assert_eq!(
            t.phase(secs(1101)),
            IdlePhase::Countdown { seconds_left: 9 }
        );
        assert_eq!(
            t.phase(secs(1109) + Duration::from_millis(999)),
            IdlePhase::Countdown { seconds_left: 1 }
        );
        assert_eq!(t.phase(secs(1110)), IdlePhase::Expired);
        assert_eq!(t.phase(secs(99_999)), IdlePhase::Expired);
    }

    #[test]
    fn a_touch_during_the_countdown_keeps_the_session() {
        let mut t = timer();
        assert!(matches!(t.phase(secs(1105)), IdlePhase::Countdown { .. }));
        t.touch(secs(1105));
        assert_eq!(t.phase(secs(1106)), IdlePhase::Active);
        assert_eq!(
            t.phase(secs(1195)),
            IdlePhase::Countdown { seconds_left: 20 }
        );
    }

    #[test]
    fn a_clock_that_runs_backwards_counts_as_active() {
        let t = timer();
        assert_eq!(t.phase(secs(10)), IdlePhase::Active);
    }
}
