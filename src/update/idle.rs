//! Whether a worker is using the kiosk, told by the UI thread to the uploader's thread, which
//! decides when to ask for an install or a reboot.
//!
//! The UI's quarter-second tick says `idle(now)` while the attract screen shows (no visit: the
//! same test, `Session::is_active`, that the idle countdown uses) and `busy()` otherwise.
//! The signal keeps the monotonic time the attract screen came up; the uploader reads it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The value while a visit is on.
const BUSY: u64 = u64::MAX;

/// Shared between the UI thread and the uploader's. Cloning shares it.
#[derive(Debug, Clone)]
pub struct IdleSignal(Arc<AtomicU64>);

impl IdleSignal {
    /// A signal that says "busy" until the UI says otherwise: a kiosk that never told is never
    /// taken for idle.
    pub fn new() -> IdleSignal {
        IdleSignal(Arc::new(AtomicU64::new(BUSY)))
    }

    /// The attract screen shows at `now` (monotonic). Keeps the earliest such time since the
    /// last visit.
    pub fn idle(&self, now: Duration) {
        let ms = u64::try_from(now.as_millis())
            .unwrap_or(BUSY - 1)
            .min(BUSY - 1);
        let _ = self
            .0
            .compare_exchange(BUSY, ms, Ordering::Relaxed, Ordering::Relaxed);
    }

    /// A visit (or staff mode) is on.
    pub fn busy(&self) {
        self.0.store(BUSY, Ordering::Relaxed);
    }

    /// Since when the kiosk has been idle, or `None` during a visit.
    pub fn since(&self) -> Option<Duration> {
        match self.0.load(Ordering::Relaxed) {
            BUSY => None,
            ms => Some(Duration::from_millis(ms)),
        }
    }
}

impl Default for IdleSignal {
    fn default() -> IdleSignal {
        IdleSignal::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_keeps_its_first_time_until_a_visit() {
        let signal = IdleSignal::new();
        assert_eq!(signal.since(), None, "busy until told");
        let shared = signal.clone();
        shared.idle(Duration::from_secs(10));
        shared.idle(Duration::from_secs(20));
        assert_eq!(signal.since(), Some(Duration::from_secs(10)));
        shared.busy();
        assert_eq!(signal.since(), None);
        shared.idle(Duration::from_secs(30));
        assert_eq!(signal.since(), Some(Duration::from_secs(30)));
    }
}
