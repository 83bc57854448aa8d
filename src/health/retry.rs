//! The out of service screen's one rule, pure: when to hand the display back to the real
//! kiosk. After [`super::RETRY_AFTER`] by itself, or when someone asks for it and confirms
//! within [`CONFIRM_WITHIN`] (so a passing brush against the screen does not start a kiosk
//! that may fail again at once). Times are monotonic, passed in.

use std::time::Duration;

/// How long the "try again?" question waits for its confirmation.
pub const CONFIRM_WITHIN: Duration = Duration::from_secs(15);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retry {
    shown_at: Duration,
    asked_at: Option<Duration>,
}

impl Retry {
    pub fn new(now: Duration) -> Retry {
        Retry {
            shown_at: now,
            asked_at: None,
        }
    }

    /// Someone touched "try again": the screen asks to confirm.
    pub fn ask(&mut self, now: Duration) {
        self.asked_at = Some(now);
    }

    /// Whether the question is showing at `now`.
    pub fn asking(&self, now: Duration) -> bool {
        self.asked_at
            .is_some_and(|at| now.saturating_sub(at) < CONFIRM_WITHIN)
    }

    /// The confirmation: true when it answers a question still showing.
    pub fn confirm(&mut self, now: Duration) -> bool {
        let confirmed = self.asking(now);
        self.asked_at = None;
        confirmed
    }

    /// "No": the question goes away.
    pub fn cancel(&mut self) {
        self.asked_at = None;
    }

    /// Whether the time to try the real kiosk again by itself has come.
    pub fn due(&self, now: Duration) -> bool {
        now.saturating_sub(self.shown_at) >= super::RETRY_AFTER
    }

    /// How many whole minutes until it is due, for the screen.
    pub fn minutes_left(&self, now: Duration) -> u64 {
        let left = super::RETRY_AFTER.saturating_sub(now.saturating_sub(self.shown_at));
        left.as_secs().div_ceil(60)
    }
}
