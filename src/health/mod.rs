//! The kiosk's health across boots, pure: how the boot it runs in began, the kiosk's starts in
//! this boot, its crash loops, and what to do about a crash loop (reboot once, then the out of
//! service screen). No I/O: root's state, the time and the boot come in; `cli::health` reads and
//! writes the files and acts.
//!
//! Root keeps its own state (`system/health/state.json`, which the kiosk's user cannot read)
//! and writes what the kiosk may know to `health-status.json` in the data folder, the way
//! `update-status.json` is done (docs/deploy.md, "Reading a kiosk's health from the centre").
//! Every field is a fact about the machine, never about a worker.

pub mod retry;
#[cfg(test)]
mod tests;

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The file root writes for the kiosk, in the data folder.
pub const STATUS_FILE: &str = "health-status.json";
/// Root's own state, below the data folder (`system/` is closed to the kiosk's user).
pub const STATE_FILE: &str = "system/health/state.json";
/// Root's record of an update under way (`waystation-update`'s `attempt`), read at boot.
pub const UPDATE_ATTEMPT_FILE: &str = "system/update/attempt";

/// After a crash-loop reboot, another crash loop within this time means the reboot did not
/// help: the kiosk goes out of service instead of rebooting again.
pub const REBOOT_WINDOW: Duration = Duration::from_secs(6 * 3600);
/// How long the out of service screen shows before the real kiosk is tried again.
pub const RETRY_AFTER: Duration = Duration::from_secs(3600);
/// The periods the heartbeat counts crash loops over.
pub const DAY: Duration = Duration::from_secs(86_400);
pub const WEEK: Duration = Duration::from_secs(7 * 86_400);
/// Crash loops (and crash-loop reboots) older than this are forgotten, so the state stays small.
const KEEP_MS: i64 = 30 * 86_400_000;

/// How the boot the kiosk runs in began. The names are `waystation_protocol::health::BOOT_REASONS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BootReason {
    /// The card's first boot: nothing was known before it.
    First,
    /// The boot before ended with an orderly shutdown or reboot.
    Orderly,
    /// The boot before was ended by our own reboot for a crash loop.
    CrashLoop,
    /// An orderly reboot while an image update waited for it or was being tried.
    Update,
    /// The boot before never stopped in order: a power cut, a hard reset, the watchdog.
    Unclean,
}

impl BootReason {
    pub fn name(self) -> &'static str {
        waystation_protocol::health::BOOT_REASONS[self as usize]
    }
}

/// Root's own state, kept across boots.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RootState {
    /// The boot id of the boot that started and has not stopped in order: still set at the
    /// next boot means that boot ended without a shutdown.
    pub running: Option<String>,
    /// Whether any boot was seen before (a first boot has no previous end to tell).
    pub booted_before: bool,
    /// Set just before our own reboot for a crash loop, cleared at the next boot.
    pub rebooting_for_crash_loop: bool,
    /// How this boot began, and its id.
    pub boot: Option<Boot>,
    /// The kiosk's starts in this boot (systemd's first start and every restart).
    pub starts: u32,
    /// When crash loops happened (wall ms), oldest first, the last 30 days.
    pub crash_loops: Vec<i64>,
    /// When we rebooted for a crash loop (wall ms), oldest first, the last 30 days.
    pub crash_loop_reboots: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Boot {
    pub id: String,
    pub reason: BootReason,
}

/// How the boot before ended, from root's state and whether an update waited for a reboot or
/// was being tried (root's `waystation-update` record, read before it is changed at boot).
pub fn boot_reason(state: &RootState, update_pending: bool) -> BootReason {
    if !state.booted_before {
        BootReason::First
    } else if state.running.is_some() {
        // A reboot we asked for that did not finish in order is still an unclean end.
        BootReason::Unclean
    } else if state.rebooting_for_crash_loop {
        BootReason::CrashLoop
    } else if update_pending {
        BootReason::Update
    } else {
        BootReason::Orderly
    }
}

impl RootState {
    /// At boot: how it began, and this boot marked as running until it stops in order.
    pub fn booted(&mut self, boot_id: &str, update_pending: bool) {
        if self.running.as_deref() == Some(boot_id) {
            // Started twice in one boot (the unit restarted by hand): nothing ended.
            return;
        }
        let reason = boot_reason(self, update_pending);
        self.boot = Some(Boot {
            id: boot_id.to_string(),
            reason,
        });
        self.running = Some(boot_id.to_string());
        self.booted_before = true;
        self.rebooting_for_crash_loop = false;
        self.starts = 0;
    }

    /// At an orderly shutdown or reboot.
    pub fn stopped(&mut self) {
        self.running = None;
    }

    /// systemd starts the kiosk (its first start in a boot, or a restart).
    pub fn kiosk_starting(&mut self) {
        self.starts = self.starts.saturating_add(1);
    }

    /// The kiosk hit its start limit at `now_ms`, `since_boot` into this boot: counted, and
    /// what to do decided (and a reboot remembered, so the next boot knows why it began).
    pub fn crash_loop(&mut self, now_ms: i64, since_boot: Duration) -> CrashLoopAction {
        self.forget_before(now_ms - KEEP_MS);
        self.crash_loops.push(now_ms);
        let action = decide(self, now_ms, since_boot);
        if action == CrashLoopAction::Reboot {
            self.crash_loop_reboots.push(now_ms);
            self.rebooting_for_crash_loop = true;
        }
        action
    }

    fn forget_before(&mut self, cutoff_ms: i64) {
        self.crash_loops.retain(|&t| t >= cutoff_ms);
        self.crash_loop_reboots.retain(|&t| t >= cutoff_ms);
    }

    /// What the kiosk may know, as of `now_ms`: the crash loops of the last week with their
    /// times, so the kiosk counts them over a period as of its own heartbeat.
    pub fn status(&self, now_ms: i64) -> HealthStatus {
        let from = now_ms - WEEK.as_millis() as i64;
        HealthStatus {
            boot_reason: self.boot.as_ref().map(|b| b.reason),
            starts_this_boot: self.starts,
            crash_loops: self
                .crash_loops
                .iter()
                .copied()
                .filter(|&t| t > from)
                .collect(),
        }
    }
}

/// What a crash loop leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrashLoopAction {
    /// Reboot once: it clears a wedged display driver or USB device, the usual cause.
    Reboot,
    /// A reboot did not help (or one was done lately): the out of service screen, which tries
    /// the real kiosk again later.
    OutOfService,
}

/// At most one reboot for crash loops within [`REBOOT_WINDOW`]. Two ways of knowing the last
/// one was recent, either enough: this boot began with it and is younger than the window (true
/// whatever the wall clock says: a Pi has no battery clock), or the wall clock says so.
fn decide(state: &RootState, now_ms: i64, since_boot: Duration) -> CrashLoopAction {
    let window_ms = REBOOT_WINDOW.as_millis() as i64;
    let this_boot_began_with_one = state
        .boot
        .as_ref()
        .is_some_and(|b| b.reason == BootReason::CrashLoop)
        && since_boot < REBOOT_WINDOW;
    let one_lately = state
        .crash_loop_reboots
        .iter()
        .any(|&t| t <= now_ms && now_ms - t < window_ms);
    if this_boot_began_with_one || one_lately {
        CrashLoopAction::OutOfService
    } else {
        CrashLoopAction::Reboot
    }
}

/// `health-status.json`: what root tells the kiosk, and what the heartbeat's `health` carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HealthStatus {
    /// None when root has not recorded this boot's start (no root-side unit ran).
    pub boot_reason: Option<BootReason>,
    pub starts_this_boot: u32,
    /// When the kiosk's crash loops of the last week happened (wall ms).
    pub crash_loops: Vec<i64>,
}

impl HealthStatus {
    /// The crash loops within `period` before `now_ms`.
    pub fn crash_loops_within(&self, period: Duration, now_ms: i64) -> u32 {
        let from = now_ms - period.as_millis() as i64;
        self.crash_loops
            .iter()
            .filter(|&&t| t > from && t <= now_ms)
            .count() as u32
    }

    /// The heartbeat's `health`: the boot reason's name, this boot's starts and the crash
    /// loops in the last day and week, as of `now_ms`.
    pub fn report(&self, now_ms: i64) -> serde_json::Value {
        serde_json::json!({
            "boot_reason": self.boot_reason.map(BootReason::name),
            "starts_this_boot": self.starts_this_boot,
            "crash_loops_24h": self.crash_loops_within(DAY, now_ms),
            "crash_loops_7d": self.crash_loops_within(WEEK, now_ms),
        })
    }
}

/// Reads `health-status.json`'s text; anything not as agreed is an error with its reason.
pub fn parse_status(text: &str) -> Result<HealthStatus, String> {
    serde_json::from_str(text).map_err(|e| e.to_string())
}

/// Reads root's state; anything not as agreed is an error with its reason.
pub fn parse_state(text: &str) -> Result<RootState, String> {
    serde_json::from_str(text).map_err(|e| e.to_string())
}

/// Whether root's update record (shell assignments, `STATE=...`) says an installed update waits
/// for its reboot or is being tried, so an orderly reboot now was the update's.
pub fn update_pending(attempt: &str) -> bool {
    attempt.lines().any(|line| {
        matches!(
            line.trim(),
            "STATE=awaiting_reboot" | "STATE=trying" | "STATE='awaiting_reboot'" | "STATE='trying'"
        )
    })
}

/// Whether the kiosk's failure that started the crash-loop unit is a crash loop. systemd tells
/// an `OnFailure=` unit why the kiosk failed (`$MONITOR_SERVICE_RESULT`, systemd 251 and
/// later), and starts it between restarts too (systemd issue 27594): then the kiosk is
/// `activating` (waiting to restart), and that is no crash loop. When systemd gives up
/// restarting it, the kiosk is left `failed`, and the result is not always `start-limit-hit`:
/// under trixie's systemd 257 the fifth failed start in five minutes leaves the result
/// `exit-code` (seen under QEMU, the kiosk's config spoiled: it stayed dark). So a crash loop is
/// the start limit, or a kiosk left `failed` (`kiosk_state`, its `ActiveState`), or no word
/// from systemd at all (an older systemd starts the unit only once restarts are used up).
pub fn is_crash_loop(service_result: Option<&str>, kiosk_state: Option<&str>) -> bool {
    service_result.is_none_or(|result| result == "start-limit-hit") || kiosk_state == Some("failed")
}
