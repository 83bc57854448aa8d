//! The kiosk's clocks, behind one small trait so every rule that needs time can be tested with
//! fixed values.
//!
//! A Raspberry Pi has no real-time clock: until NTP succeeds, the wall clock may say 1970 or
//! whatever time was saved at the last shutdown. So a record carries, next to its wall time,
//! whether the clock was synchronised, the boot id and the monotonic time since boot; with
//! those the service centre can place a record made before the first sync.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// A reading of all the clocks at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockReading {
    pub wall: DateTime<Utc>,
    /// Whether the kernel says the wall clock is synchronised (NTP).
    pub synced: bool,
    /// The kernel's random id of this boot (`/proc/sys/kernel/random/boot_id`).
    pub boot_id: String,
    /// Time since boot, including time suspended.
    pub since_boot: Duration,
}

pub trait Clock {
    fn read(&self) -> ClockReading;

    /// Monotonic time for timers (idle reset): never jumps when NTP sets the wall clock.
    fn monotonic(&self) -> Duration {
        self.read().since_boot
    }
}

/// The real clocks of a Linux machine.
pub struct SystemClock {
    boot_id: String,
}

impl SystemClock {
    pub fn new() -> SystemClock {
        // The boot id cannot change while we run, so read it once. Off Linux (or in a sandbox
        // without /proc) it is "unknown", which the service centre treats as "cannot be
        // corrected" rather than failing the record.
        let boot_id = std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
            .map(|s| s.trim().to_string())
            .unwrap_or_else(|_| "unknown".to_string());
        SystemClock { boot_id }
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        SystemClock::new()
    }
}

impl Clock for SystemClock {
    fn read(&self) -> ClockReading {
        ClockReading {
            wall: Utc::now(),
            synced: kernel_clock_synced(),
            boot_id: self.boot_id.clone(),
            since_boot: boottime(),
        }
    }

    fn monotonic(&self) -> Duration {
        boottime()
    }
}

fn boottime() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec into the valid pointer we pass.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_BOOTTIME, &mut ts) };
    if rc != 0 {
        return Duration::ZERO;
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Asks the kernel whether NTP has synchronised the clock: `adjtimex` returns `TIME_ERROR`
/// while the clock is unsynchronised (the STA_UNSYNC flag), which is what systemd-timesyncd
/// and chrony clear once they have set the time.
fn kernel_clock_synced() -> bool {
    // SAFETY: a zeroed timex with modes = 0 only reads the kernel's state.
    let mut tx: libc::timex = unsafe { std::mem::zeroed() };
    let state = unsafe { libc::adjtimex(&mut tx) };
    state >= 0 && state != libc::TIME_ERROR
}

/// A clock for tests: it reads what it was told.
#[derive(Debug, Clone)]
pub struct FakeClock {
    reading: std::rc::Rc<std::cell::RefCell<ClockReading>>,
}

impl FakeClock {
    pub fn new(wall: DateTime<Utc>, synced: bool) -> FakeClock {
        FakeClock {
            reading: std::rc::Rc::new(std::cell::RefCell::new(ClockReading {
                wall,
                synced,
                boot_id: "00000000-0000-4000-8000-000000000000".into(),
                since_boot: Duration::from_secs(100),
            })),
        }
    }

    /// Moves both the wall clock and the monotonic clock forward.
    pub fn advance(&self, by: Duration) {
        let mut r = self.reading.borrow_mut();
        r.wall += chrono::Duration::from_std(by).expect("test durations are small");
        r.since_boot += by;
    }
}

impl Clock for FakeClock {
    fn read(&self) -> ClockReading {
        self.reading.borrow().clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_clock_reads_a_boot_id_and_a_growing_monotonic_time() {
        let clock = SystemClock::new();
        let a = clock.read();
        let b = clock.read();
        assert!(b.since_boot >= a.since_boot);
        assert!(a.since_boot > Duration::ZERO);
        assert!(!a.boot_id.is_empty());
    }

    #[test]
    fn fake_clock_advances_both_clocks() {
        let clock = FakeClock::new(DateTime::from_timestamp(1_800_000_000, 0).unwrap(), false);
        clock.advance(Duration::from_secs(5));
        let r = clock.read();
        assert_eq!(r.wall.timestamp(), 1_800_000_005);
        assert_eq!(r.since_boot, Duration::from_secs(105));
        assert!(!r.synced);
    }
}
