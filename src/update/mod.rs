//! Image updates, pure: what the root scripts' `update-status.json` says, and what the kiosk
//! should do next about the hub's offer (download a part, check the bundle, ask root to
//! install it or to reboot into it, tidy, or wait). No I/O: the files' state, the offer, the
//! time the kiosk has been idle and the time now come in; `sync::update` does what comes out.
//!
//! The kiosk never installs anything itself: it runs as an unprivileged user, and root's
//! scripts install (RAUC, into the other slot) and reboot when the kiosk asks, by files in
//! `updates/` (docs/deploy.md, "Image updates"). The kiosk asks only while nobody is using it,
//! so a worker is never cut off by an install's load or a reboot.

pub mod idle;

use std::time::Duration;

use serde::{Deserialize, Serialize};
use waystation_protocol::UpdateOffer;
use waystation_protocol::update::version_ok;

pub use idle::IdleSignal;

/// The name of the file root writes, in the data folder.
pub const STATUS_FILE: &str = "update-status.json";
/// The folder the kiosk downloads into and writes its requests in, in the data folder.
pub const UPDATES_DIR: &str = "updates";
pub const INSTALL_REQUEST: &str = "install-request";
pub const REBOOT_REQUEST: &str = "reboot-request";

/// How long the attract screen must have shown before the kiosk asks for an install: long
/// enough that the last worker has gone, not so long that a busy station never updates.
pub const INSTALL_AFTER_IDLE: Duration = Duration::from_secs(120);
/// How long before it asks for a reboot, which blanks the screen for a minute or so: a quiet
/// spell, so that nobody walks up to a black screen.
pub const REBOOT_AFTER_IDLE: Duration = Duration::from_secs(600);

/// What became of the last update, as root's scripts write it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Installed,
    Installing,
    AwaitingReboot,
    /// Booted into the new slot, not yet marked good (root's `waystation-update` waits until
    /// the kiosk has been ready and steady for a while).
    Trying,
    RolledBack,
    Failed,
}

impl Outcome {
    /// The word in the file and in the heartbeat.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Installed => "installed",
            Outcome::Installing => "installing",
            Outcome::AwaitingReboot => "awaiting_reboot",
            Outcome::Trying => "trying",
            Outcome::RolledBack => "rolled_back",
            Outcome::Failed => "failed",
        }
    }
}

/// The last update root's scripts tried.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LastUpdate {
    pub version: String,
    pub outcome: Outcome,
    /// Root's words about it, one line.
    pub detail: String,
    /// When, as root wrote it (RFC 3339).
    pub at: String,
}

/// `update-status.json`: the slot running and the last update.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateStatus {
    pub slot: String,
    pub last: Option<LastUpdate>,
}

/// The file as the kiosk finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusFile {
    /// Not installed from an A/B image: the kiosk never downloads updates.
    Absent,
    /// There, but not as agreed; the reason, one line.
    Unreadable(String),
    Read(UpdateStatus),
}

/// Reads `update-status.json`'s text. Anything not as agreed (an unknown outcome, a version
/// that could not be a file name, a field too many) is an error with its reason, never a panic.
pub fn parse_status(text: &str) -> Result<UpdateStatus, String> {
    let status: UpdateStatus = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let slot_ok = !status.slot.is_empty()
        && status.slot.len() <= 16
        && status.slot.chars().all(|c| c.is_ascii_graphic());
    if !slot_ok {
        return Err(format!("the slot {:?} is not a slot's name", status.slot));
    }
    if let Some(last) = &status.last {
        if !version_ok(&last.version) {
            return Err(format!("the version {:?} is not valid", last.version));
        }
        if last.detail.contains(['\n', '\r']) {
            return Err("the detail is more than one line".into());
        }
    }
    Ok(status)
}

/// The state of `updates/`, as it concerns the offered version.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Files {
    /// The length of `{offer}.raucb.part`, if there is one.
    pub part_len: Option<u64>,
    /// Whether `{offer}.raucb` is there: only a bundle that passed the check is renamed to it.
    pub bundle_ready: bool,
    /// The version named in `install-request` / `reboot-request`, if the file is there.
    pub install_request: Option<String>,
    pub reboot_request: Option<String>,
    /// Whether any other `*.raucb` or `*.part` lies there (all of them, when there is no offer).
    pub strays: bool,
}

/// Everything the decision needs.
#[derive(Debug, Clone, Copy)]
pub struct Situation<'a> {
    pub status: &'a UpdateStatus,
    /// The version of the image running (`/etc/waystation-image-release`).
    pub running: Option<&'a str>,
    /// The hub's offer, already checked (`UpdateOffer::parse`).
    pub offer: Option<&'a UpdateOffer>,
    pub files: &'a Files,
    /// Whether this offer's bytes already failed the size or SHA-256 check in this run.
    pub refused: bool,
    /// Whether a version whose install failed here may be tried once more: the kiosk has not
    /// asked for it again since it started. A failure is often passing (a power cut during the
    /// install); one that is not must not cost a download at every pass.
    pub retry_failed: bool,
    /// Since when (monotonic) the attract screen has shown with no visit; `None` during one.
    pub idle_since: Option<Duration>,
    pub now: Duration,
}

/// What to do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Wait(Why),
    /// Fetch the next part of the offered bundle, appending to its `.part` at `from`.
    Download {
        from: u64,
    },
    /// The `.part` holds every byte: check size and SHA-256, and rename it if they match.
    Verify,
    /// Remove every `*.raucb` and `*.part` but those of `keep`.
    Tidy {
        keep: Option<String>,
    },
    RequestInstall {
        version: String,
    },
    RequestReboot {
        version: String,
    },
}

/// Why nothing is done now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    /// No offer, or the image offered is the one running (or installed).
    UpToDate,
    /// Root is installing, or trying the new slot before marking it good.
    Installing,
    /// Root has not picked up the kiosk's install request yet.
    InstallRequested,
    /// Root has not acted on the reboot request yet.
    RebootRequested,
    /// The kiosk waits for a quiet spell (a visit, or too short a pause).
    NotIdle,
    /// This version was rolled back here, or failed to install again after a retry: a new
    /// rollout is needed (or, for a failure, a restart of the kiosk).
    FailedHere,
    /// The hub's bytes for this offer do not match its size or SHA-256.
    BadBundle,
}

/// Whether the kiosk has been idle at least `enough` by `now`.
pub fn idle_for(idle_since: Option<Duration>, now: Duration, enough: Duration) -> bool {
    idle_since.is_some_and(|since| now.saturating_sub(since) >= enough)
}

/// The next step. Root's state comes first (a reboot it awaits, an install under way), then
/// the offer: already running or failed here, tidy, ask for the install, check, download.
pub fn decide(s: &Situation<'_>) -> Action {
    let last = s.status.last.as_ref();
    match last.map(|l| l.outcome) {
        Some(Outcome::AwaitingReboot) => {
            let version = last.map(|l| l.version.clone()).unwrap_or_default();
            return if s.files.reboot_request.as_deref() == Some(version.as_str()) {
                Action::Wait(Why::RebootRequested)
            } else if idle_for(s.idle_since, s.now, REBOOT_AFTER_IDLE) {
                Action::RequestReboot { version }
            } else {
                Action::Wait(Why::NotIdle)
            };
        }
        Some(Outcome::Installing | Outcome::Trying) => return Action::Wait(Why::Installing),
        _ => {}
    }
    // Root may still be about to read the bundle an install request names: nothing is
    // removed, and nothing asked again, until it has picked the request up.
    let pending = s.files.install_request.is_some();
    let installed_here = |version: &str| {
        s.running == Some(version)
            || last.is_some_and(|l| l.version == version && l.outcome == Outcome::Installed)
    };
    let Some(offer) = s.offer.filter(|o| !installed_here(&o.version)) else {
        let any = s.files.strays || s.files.bundle_ready || s.files.part_len.is_some();
        return if any && !pending {
            Action::Tidy { keep: None }
        } else {
            Action::Wait(Why::UpToDate)
        };
    };
    // A rollback means the new slot did not come up: never again. A failed install is tried
    // once more per run of the kiosk.
    let failed_here = last.is_some_and(|l| {
        l.version == offer.version
            && (l.outcome == Outcome::RolledBack
                || (l.outcome == Outcome::Failed && !s.retry_failed))
    });
    if failed_here {
        return Action::Wait(Why::FailedHere);
    }
    if s.files.strays && !pending {
        return Action::Tidy {
            keep: Some(offer.version.clone()),
        };
    }
    if s.files.bundle_ready {
        return if pending {
            Action::Wait(Why::InstallRequested)
        } else if idle_for(s.idle_since, s.now, INSTALL_AFTER_IDLE) {
            Action::RequestInstall {
                version: offer.version.clone(),
            }
        } else {
            Action::Wait(Why::NotIdle)
        };
    }
    if s.refused {
        return Action::Wait(Why::BadBundle);
    }
    match s.files.part_len {
        Some(len) if len >= offer.size => Action::Verify,
        Some(len) => Action::Download { from: len },
        None => Action::Download { from: 0 },
    }
}

#[cfg(test)]
mod tests;
