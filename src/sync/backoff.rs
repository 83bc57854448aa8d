//! When to try again after a failed upload: full-jitter exponential backoff, and the hub's
//! `Retry-After`. Pure: the randomness and the time are passed in.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// The longest `Retry-After` we honour; a longer one (a misconfigured proxy) is cut to this.
const LONGEST_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// Full jitter (a random wait between zero and an exponentially growing ceiling) spreads a
/// fleet of kiosks that all lost the network at once, so they do not return in step.
#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    cap: Duration,
    failures: u32,
}

impl Backoff {
    pub fn new(base: Duration, cap: Duration) -> Backoff {
        Backoff {
            base,
            cap,
            failures: 0,
        }
    }

    /// The kiosk's defaults: 5 s doubling to at most 15 minutes.
    pub fn standard() -> Backoff {
        Backoff::new(Duration::from_secs(5), Duration::from_secs(15 * 60))
    }

    /// The ceiling for the next wait: base × 2^failures, at most the cap.
    pub fn ceiling(&self) -> Duration {
        let factor = 1u32.checked_shl(self.failures.min(31)).unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.cap)
    }

    /// Counts a failure and returns how long to wait: `random` picks a point between zero and
    /// the ceiling; a `Retry-After` from the hub is a floor.
    pub fn failed(&mut self, random: u64, retry_after: Option<Duration>) -> Duration {
        let ceiling = self.ceiling().as_millis().max(1) as u64;
        self.failures = self.failures.saturating_add(1);
        let jittered = Duration::from_millis(random % (ceiling + 1));
        match retry_after {
            Some(hub) => jittered.max(hub.min(LONGEST_RETRY_AFTER)),
            None => jittered,
        }
    }

    pub fn succeeded(&mut self) {
        self.failures = 0;
    }

    pub fn failures(&self) -> u32 {
        self.failures
    }
}

/// Reads a `Retry-After` header: a number of seconds, or an HTTP date (RFC 9110), which is
/// turned into a wait from `now`. A date in the past means "now"; anything else is ignored.
pub fn retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = DateTime::parse_from_rfc2822(value).ok()?;
    Some(
        (at.with_timezone(&Utc) - now)
            .to_std()
            .unwrap_or(Duration::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ceiling_doubles_up_to_the_cap_and_resets_on_success() {
        let mut backoff = Backoff::standard();
        let mut ceilings = vec![];
        for _ in 0..12 {
            ceilings.push(backoff.ceiling().as_secs());
            backoff.failed(0, None);
        }
        assert_eq!(
            ceilings,
            [5, 10, 20, 40, 80, 160, 320, 640, 900, 900, 900, 900]
        );
        for _ in 0..100 {
            backoff.failed(u64::MAX, None);
        }
        assert_eq!(
            backoff.ceiling(),
            Duration::from_secs(900),
            "no overflow after many failures"
        );
        backoff.succeeded();
        assert_eq!(backoff.ceiling(), Duration::from_secs(5));
    }

    #[test]
    fn the_wait_is_anywhere_between_zero_and_the_ceiling() {
        let mut backoff = Backoff::standard();
        assert_eq!(backoff.failed(0, None), Duration::ZERO);
        // Second failure: the ceiling is 10 s; 10,000 ms is the largest wait.
        assert_eq!(backoff.failed(10_000, None), Duration::from_secs(10));
        assert_eq!(
            backoff.failed(10_001 + 20_000, None),
            Duration::from_millis(10_000)
        );
        let mut fresh = Backoff::standard();
        for random in [1, 999, 4_999, 5_000, 123_456_789] {
            assert!(fresh.clone().failed(random, None) <= Duration::from_secs(5));
        }
        fresh.succeeded();
    }

    #[test]
    fn retry_after_is_a_floor_with_a_sane_limit() {
        let mut backoff = Backoff::standard();
        assert_eq!(
            backoff.failed(0, Some(Duration::from_secs(120))),
            Duration::from_secs(120)
        );
        assert_eq!(
            backoff.failed(0, Some(Duration::from_secs(999_999))),
            Duration::from_secs(3600)
        );
        assert_eq!(
            backoff.failed(20_000, Some(Duration::from_secs(1))),
            Duration::from_secs(20)
        );
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = DateTime::parse_from_rfc3339("2026-11-28T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(retry_after("120", now), Some(Duration::from_secs(120)));
        assert_eq!(retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            retry_after("Sat, 28 Nov 2026 12:01:30 GMT", now),
            Some(Duration::from_secs(90))
        );
        assert_eq!(
            retry_after("Sat, 28 Nov 2026 11:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after("soon", now), None);
        assert_eq!(retry_after("-5", now), None);
    }
}
