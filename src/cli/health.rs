//! `waystation health …` (root's side of the kiosk's health, run by systemd units as root) and
//! `waystation out-of-service` (the screen a kiosk that keeps failing shows instead of
//! rebooting forever). Neither reads the config or the database: either may be what fails.
//! The rules are `crate::health`'s; this reads and writes the files and acts.

use std::path::{Path, PathBuf};

use clap::Subcommand;

use super::Failure;
use crate::clock::{Clock, SystemClock};
use crate::health::{self, CrashLoopAction, RootState};

#[derive(Debug, Subcommand)]
pub enum HealthAction {
    /// At boot, as root: how the boot before ended; this boot marked as running
    Boot,
    /// At an orderly shutdown or reboot, as root: this boot ended in order
    Stop,
    /// Before each start of the kiosk, as root: one more start in this boot
    Start,
    /// When the kiosk hit its start limit, as root: count it and print what to do (reboot, or
    /// out-of-service); with --act, do it
    CrashLoop {
        /// Reboot, or start waystation-out-of-service.service, as decided
        #[arg(long)]
        act: bool,
    },
    /// Print what the kiosk may know (health-status.json)
    Show,
}

/// The data folder: root's state below it, the kiosk's status file in it.
fn folder(data_dir: Option<&Path>) -> PathBuf {
    data_dir.map_or_else(|| PathBuf::from("/var/lib/waystation"), Path::to_path_buf)
}

pub(super) fn health(data_dir: Option<&Path>, action: HealthAction) -> Result<(), Failure> {
    let dir = folder(data_dir);
    let clock = SystemClock::new();
    let now = clock.read();
    let now_ms = now.wall.timestamp_millis();
    if let HealthAction::Show = action {
        let text = std::fs::read_to_string(dir.join(health::STATUS_FILE))
            .map_err(|e| format!("cannot read {}: {e}", health::STATUS_FILE))?;
        let status = health::parse_status(&text).map_err(|e| Failure {
            message: format!("{}: {e}", health::STATUS_FILE),
            code: 2,
        })?;
        outln!(
            "{}",
            serde_json::to_string_pretty(&status).unwrap_or_default()
        )?;
        return Ok(());
    }
    let mut state = read_state(&dir)?;
    let mut decided = None;
    match action {
        HealthAction::Boot => {
            let attempt =
                std::fs::read_to_string(dir.join(health::UPDATE_ATTEMPT_FILE)).unwrap_or_default();
            state.booted(&now.boot_id, health::update_pending(&attempt));
        }
        HealthAction::Stop => state.stopped(),
        HealthAction::Start => state.kiosk_starting(),
        HealthAction::CrashLoop { act } => {
            let result = std::env::var("MONITOR_SERVICE_RESULT").ok();
            let kiosk = kiosk_state();
            if !health::is_crash_loop(result.as_deref(), kiosk.as_deref()) {
                outln!("restart (the kiosk failed with {result:?}, and systemd restarts it)")?;
                return Ok(());
            }
            decided = Some((state.crash_loop(now_ms, now.since_boot), act));
        }
        HealthAction::Show => unreachable!("answered above"),
    }
    write_state(&dir, &state, now_ms)?;
    if let Some((action, act)) = decided {
        let word = match action {
            CrashLoopAction::Reboot => "reboot",
            CrashLoopAction::OutOfService => "out-of-service",
        };
        tracing::warn!(
            decided = word,
            "the kiosk hit its start limit (a crash loop)"
        );
        outln!("{word}")?;
        if act {
            perform(action)?;
        }
    }
    Ok(())
}

/// Root's state; none yet is a new card. Unreadable state is set aside, not a reason to fail a
/// boot: the next boot then counts as the first, which is what is known.
fn read_state(dir: &Path) -> Result<RootState, Failure> {
    let path = dir.join(health::STATE_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(health::parse_state(&text).unwrap_or_else(|e| {
            tracing::warn!("{}: {e}; starting afresh", path.display());
            RootState::default()
        })),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(RootState::default()),
        Err(e) => Err(format!("cannot read {}: {e}", path.display()).into()),
    }
}

/// Root's state (0600 in a 0700 folder) and the kiosk's copy (0644), each replaced whole and
/// synced: a power cut must leave either the old file or the new one.
fn write_state(dir: &Path, state: &RootState, now_ms: i64) -> Result<(), Failure> {
    let path = dir.join(health::STATE_FILE);
    let parent = path.parent().unwrap_or(dir);
    std::fs::create_dir_all(parent)
        .and_then(|()| {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(parent, std::fs::Permissions::from_mode(0o700))
        })
        .map_err(|e| format!("cannot make {}: {e}", parent.display()))?;
    let bytes = serde_json::to_vec(state).map_err(|e| e.to_string())?;
    waystation_durable::write_atomically(&path, &bytes, Some(0o600)).map_err(|e| e.to_string())?;
    let mut status = serde_json::to_vec(&state.status(now_ms)).map_err(|e| e.to_string())?;
    status.push(b'\n');
    waystation_durable::write_atomically(&dir.join(health::STATUS_FILE), &status, Some(0o644))
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// The kiosk unit's `ActiveState` as systemd says it (`failed` once it gave up restarting),
/// or None where systemctl cannot say (not under systemd).
fn kiosk_state() -> Option<String> {
    let out = std::process::Command::new("systemctl")
        .args([
            "show",
            "--property=ActiveState",
            "--value",
            "waystation.service",
        ])
        .output()
        .ok()?;
    let state = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (out.status.success() && !state.is_empty()).then_some(state)
}

/// systemd does what was decided; `--no-block`, as this runs inside a unit systemd waits for.
fn perform(action: CrashLoopAction) -> Result<(), Failure> {
    let args: &[&str] = match action {
        CrashLoopAction::Reboot => &["--no-block", "reboot"],
        CrashLoopAction::OutOfService => {
            &["--no-block", "start", "waystation-out-of-service.service"]
        }
    };
    let status = std::process::Command::new("systemctl")
        .args(args)
        .status()
        .map_err(|e| format!("cannot run systemctl: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("systemctl {} failed ({status})", args.join(" ")).into())
    }
}
