//! The staff's export to a USB stick, pure: the files the kiosk and root's side exchange, and
//! the steps of one export. Nothing mounts a USB stick by itself; the kiosk (unprivileged, with
//! no block devices in its unit) asks root to mount the first stick's partition at a fixed
//! folder by writing `usb-stick/request`, root answers in `usb-stick/status`, the kiosk writes
//! the same export files as `waystation queue export`, and removes its request, upon which root
//! syncs and unmounts the stick (or does so by itself after a few minutes).
//!
//! `waystation queue export-usb` drives these steps today (`crate::sync::export::to_stick`),
//! and root's `waystation-usb-stick` (on the deployment image) answers. The staff screen's
//! button for it is not built yet.
//!
//! A request carries a number of the kiosk's choosing and root's status repeats it, so that a
//! status left from an earlier export is never read as the answer to this one.

use std::time::Duration;

use serde::Deserialize;

/// The folder, inside the data folder, shared with root's side.
pub const FOLDER: &str = "usb-stick";
/// What the kiosk writes to ask for the stick: `export N\n`.
pub const REQUEST_FILE: &str = "request";
/// What root writes back (JSON, `RootStatus`).
pub const STATUS_FILE: &str = "status";
/// Where root mounts the stick, writable by the kiosk's user only.
pub const MOUNT_POINT: &str = "/media/waystation-usb";
/// How long the kiosk waits for a stick to be put in and mounted before it gives up.
pub const WAIT_FOR_STICK: Duration = Duration::from_secs(120);

/// The request file's text for request number `id`.
pub fn request_text(id: u32) -> String {
    format!("export {id}\n")
}

/// The number for a new request: one more than root's last answer, so that it never repeats
/// the request that answer was for.
pub fn next_request(last: Option<&RootStatus>) -> u32 {
    last.map_or(1, |s| s.request.wrapping_add(1).max(1))
}

/// The request number a request file holds, read as root's side reads it.
pub fn parse_request(text: &str) -> Option<u32> {
    let digits = text.strip_prefix("export ")?.strip_suffix('\n')?;
    if digits.is_empty() || digits.len() > 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// What root says about the stick.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stick {
    /// Waiting for a stick to be put in.
    Waiting,
    /// Mounted at the export folder, writable by the kiosk.
    Mounted,
    /// Synced and unmounted: safe to pull out.
    Unmounted,
    /// No stick was put in while root waited for one.
    Missing,
    /// No stick could be mounted (`detail` says why).
    Failed,
}

/// Root's `usb-stick/status`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RootStatus {
    pub request: u32,
    pub stick: Stick,
    #[serde(default)]
    pub detail: String,
}

impl RootStatus {
    /// Root's status file read; anything unreadable is no status (root has not answered).
    pub fn parse(text: &str) -> Option<RootStatus> {
        serde_json::from_str(text).ok()
    }
}

/// Why an export did not reach the stick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// No stick was put in while root waited, or none was mounted within [`WAIT_FOR_STICK`].
    NoStick,
    /// Root found a stick but could not mount it (an unknown file system, say).
    NotMountable,
    /// The export files could not be written (the stick full or pulled out).
    WriteFailed,
    /// Written, but root never said the stick was unmounted (its side stopped): the records
    /// may be on it; wait before pulling it out.
    NotUnmounted,
}

/// Where one export is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Export {
    /// Asked root for the stick at `since` (monotonic time); waiting for it to be mounted.
    Waiting { request: u32, since: Duration },
    /// Writing the export files to the mounted stick.
    Writing { request: u32 },
    /// Written; the request is gone and root is unmounting.
    Unmounting {
        request: u32,
        records: usize,
        since: Duration,
    },
    /// Unmounted: safe to remove, with this many records on it.
    Done { records: usize },
    /// It did not work; once root has unmounted (or never mounted), the stick may be pulled.
    Failed(Why),
}

/// What the kiosk must do after a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Nothing,
    /// Run the export (on a thread: it reads the store and writes to a slow stick).
    StartExport,
    /// Remove the request: root unmounts.
    RemoveRequest,
}

impl Export {
    /// The next step from root's status (if any) at `now`.
    pub fn on_status(self, status: Option<&RootStatus>, now: Duration) -> (Export, Action) {
        let answer = |request| status.filter(|s| s.request == request).map(|s| s.stick);
        match self {
            Export::Waiting { request, since } => match answer(request) {
                Some(Stick::Mounted) => (Export::Writing { request }, Action::StartExport),
                Some(Stick::Failed) => (Export::Failed(Why::NotMountable), Action::RemoveRequest),
                Some(Stick::Missing) => (Export::Failed(Why::NoStick), Action::RemoveRequest),
                _ if now.saturating_sub(since) >= WAIT_FOR_STICK => {
                    (Export::Failed(Why::NoStick), Action::RemoveRequest)
                }
                _ => (self, Action::Nothing),
            },
            Export::Unmounting {
                request,
                records,
                since,
            } => match answer(request) {
                Some(Stick::Unmounted) => (Export::Done { records }, Action::Nothing),
                // Root syncs and unmounts within seconds; the same bound as the wait for a
                // stick keeps a kiosk whose root side stopped from waiting for ever.
                _ if now.saturating_sub(since) >= WAIT_FOR_STICK => {
                    (Export::Failed(Why::NotUnmounted), Action::Nothing)
                }
                _ => (self, Action::Nothing),
            },
            _ => (self, Action::Nothing),
        }
    }

    /// The next step once the export files are written (`Ok(records)`) or could not be.
    pub fn on_exported(self, outcome: Result<usize, ()>, now: Duration) -> (Export, Action) {
        match (self, outcome) {
            (Export::Writing { request }, Ok(records)) => (
                Export::Unmounting {
                    request,
                    records,
                    since: now,
                },
                Action::RemoveRequest,
            ),
            (Export::Writing { .. }, Err(())) => {
                (Export::Failed(Why::WriteFailed), Action::RemoveRequest)
            }
            _ => (self, Action::Nothing),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(request: u32, stick: Stick) -> RootStatus {
        RootStatus {
            request,
            stick,
            detail: String::new(),
        }
    }

    const T0: Duration = Duration::from_secs(1000);

    #[test]
    fn an_export_waits_writes_unmounts_and_is_then_safe_to_remove() {
        let start = Export::Waiting {
            request: 7,
            since: T0,
        };
        let (step, act) = start.on_status(Some(&status(7, Stick::Waiting)), T0);
        assert_eq!((step, act), (start, Action::Nothing));
        let (step, act) = step.on_status(Some(&status(7, Stick::Mounted)), T0);
        assert_eq!(
            (step, act),
            (Export::Writing { request: 7 }, Action::StartExport)
        );
        let (step, act) = step.on_exported(Ok(42), T0);
        assert_eq!(act, Action::RemoveRequest);
        // Still mounted as far as root has said: not yet safe.
        let (step, _) = step.on_status(Some(&status(7, Stick::Mounted)), T0);
        assert_eq!(
            step,
            Export::Unmounting {
                request: 7,
                records: 42,
                since: T0
            }
        );
        let (step, _) = step.on_status(Some(&status(7, Stick::Unmounted)), T0);
        assert_eq!(step, Export::Done { records: 42 });
        // Root never answering about the unmount ends the wait too, saying so.
        let unmounting = Export::Unmounting {
            request: 7,
            records: 42,
            since: T0,
        };
        let almost = T0 + WAIT_FOR_STICK - Duration::from_secs(1);
        assert_eq!(unmounting.on_status(None, almost).0, unmounting);
        assert_eq!(
            unmounting.on_status(None, T0 + WAIT_FOR_STICK).0,
            Export::Failed(Why::NotUnmounted)
        );
    }

    #[test]
    fn a_status_left_from_an_earlier_export_is_not_an_answer() {
        let start = Export::Waiting {
            request: 8,
            since: T0,
        };
        for stick in [
            Stick::Mounted,
            Stick::Failed,
            Stick::Missing,
            Stick::Unmounted,
        ] {
            assert_eq!(start.on_status(Some(&status(7, stick)), T0).0, start);
        }
        let unmounting = Export::Unmounting {
            request: 8,
            records: 1,
            since: T0,
        };
        assert_eq!(
            unmounting
                .on_status(Some(&status(7, Stick::Unmounted)), T0)
                .0,
            unmounting
        );
    }

    #[test]
    fn no_stick_within_two_minutes_or_one_root_cannot_mount_fails_and_withdraws_the_request() {
        let start = Export::Waiting {
            request: 1,
            since: T0,
        };
        let almost = T0 + WAIT_FOR_STICK - Duration::from_secs(1);
        assert_eq!(start.on_status(None, almost).0, start);
        assert_eq!(
            start.on_status(None, T0 + WAIT_FOR_STICK),
            (Export::Failed(Why::NoStick), Action::RemoveRequest)
        );
        assert_eq!(
            start.on_status(Some(&status(1, Stick::Failed)), T0),
            (Export::Failed(Why::NotMountable), Action::RemoveRequest)
        );
        // Root gave up waiting for a stick before the kiosk did: no stick, not a bad one.
        assert_eq!(
            start.on_status(Some(&status(1, Stick::Missing)), T0),
            (Export::Failed(Why::NoStick), Action::RemoveRequest)
        );
        let writing = Export::Writing { request: 1 };
        assert_eq!(
            writing.on_exported(Err(()), T0),
            (Export::Failed(Why::WriteFailed), Action::RemoveRequest)
        );
    }

    #[test]
    fn a_new_request_never_repeats_the_last_answered_one() {
        assert_eq!(next_request(None), 1);
        assert_eq!(next_request(Some(&status(41, Stick::Unmounted))), 42);
        assert_eq!(next_request(Some(&status(u32::MAX, Stick::Failed))), 1);
    }

    #[test]
    fn request_and_status_files_are_read_strictly() {
        assert_eq!(parse_request(&request_text(12)), Some(12));
        for bad in [
            "export 12",
            "export \n",
            "export -1\n",
            "export 1 2\n",
            "mount 1\n",
            "",
        ] {
            assert_eq!(parse_request(bad), None, "{bad:?}");
        }
        let text = r#"{"request": 3, "stick": "mounted", "detail": "/dev/sda1 vfat"}"#;
        assert_eq!(RootStatus::parse(text).unwrap().stick, Stick::Mounted);
        assert_eq!(
            RootStatus::parse(r#"{"request": 3, "stick": "lost"}"#),
            None
        );
        assert_eq!(RootStatus::parse("not json"), None);
    }
}
