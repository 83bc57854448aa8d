//! Staff mode's "Export to a USB stick" screen's adapter: the Start button runs the export
//! (`crate::sync::export::export_to_stick`, as `waystation queue export-usb` does) on a thread
//! of its own, which tells this side each step through a channel; the quarter-second tick
//! takes them in and the screen shows where the export is.
//!
//! The export is kiosk-wide, not the staff visit's: it runs to its end (root's side unmounts
//! the stick on every way out) even if staff mode is left meanwhile. While it runs on screen,
//! staff mode does not time out under it: waiting for a stick is not being away.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, TryRecvError};

use slint::{ComponentHandle, Global};

use super::{AppWindow, KioskState, StaffUsbAdapter, UsbFailure, UsbStep};
use crate::kiosk::Screen;
use crate::store::staff::Action;
use crate::usb_stick::{Export, Why};

/// What the screen shows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) enum Shown {
    /// Nothing running: the steps to follow and the Start button.
    #[default]
    Ready,
    /// A step of a running export.
    Running(Export),
    Done {
        records: usize,
    },
    /// It did not work: why (None: before a stick was asked for), and the technical detail.
    Failed {
        why: Option<Why>,
        detail: String,
    },
}

/// What the export's thread says.
enum Progress {
    Step(Export),
    Finished(Result<usize, String>),
}

/// The export's state, kept by the kiosk.
pub(crate) struct UsbExport {
    /// Where root's side mounts the stick (`usb_stick::MOUNT_POINT`; tests point elsewhere).
    pub(crate) mount: PathBuf,
    pub(crate) shown: Shown,
    running: Option<Receiver<Progress>>,
}

impl Default for UsbExport {
    fn default() -> Self {
        UsbExport {
            mount: PathBuf::from(crate::usb_stick::MOUNT_POINT),
            shown: Shown::Ready,
            running: None,
        }
    }
}

impl UsbExport {
    pub(crate) fn is_running(&self) -> bool {
        self.running.is_some()
    }
}

pub(super) fn connect(window: &AppWindow, state: &std::rc::Rc<std::cell::RefCell<KioskState>>) {
    let (w, s) = (window.as_weak(), state.clone());
    StaffUsbAdapter::get(window).on_start(move || {
        super::runtime::update(&w, &s, |st| {
            if st.session.staff.signed_in {
                start(st);
            }
        })
    });
}

/// Opens the screen: a finished export's outcome is not shown again, a running one is.
pub(super) fn open(st: &mut KioskState) {
    if !st.usb_export.is_running() {
        st.usb_export.shown = Shown::Ready;
    }
    st.session.navigation.open(Screen::StaffUsb);
}

/// Starts an export on its own thread, unless one is running.
fn start(st: &mut KioskState) {
    if st.usb_export.is_running() {
        return;
    }
    let Some(data_dir) = st.data_dir.clone() else {
        // Tests and screenshots only: a kiosk in the field always has its data folder.
        st.usb_export.shown = Shown::Failed {
            why: None,
            detail: "this kiosk keeps its records in memory only".into(),
        };
        return;
    };
    let mount = st.usb_export.mount.clone();
    let centre = st.config.hub.centre_key();
    let per_file = st.config.hub.batch_records();
    let (tell, told) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let step = tell.clone();
        let outcome =
            crate::sync::export::export_to_stick(&data_dir, &mount, centre, per_file, &mut |s| {
                let _ = step.send(Progress::Step(s));
            });
        let _ = tell.send(Progress::Finished(outcome.map(|summary| summary.records)));
    });
    st.usb_export.running = Some(told);
    st.usb_export.shown = Shown::Running(Export::Waiting {
        request: 0,
        since: st.clock.monotonic(),
    });
}

/// Takes in the export thread's news; returns whether the screen needs rendering.
pub(super) fn tick(st: &mut KioskState) -> bool {
    let Some(running) = &st.usb_export.running else {
        return false;
    };
    let mut changed = false;
    let mut finished = None;
    loop {
        match running.try_recv() {
            Ok(Progress::Step(step)) => {
                st.usb_export.shown = Shown::Running(step);
                changed = true;
            }
            Ok(Progress::Finished(outcome)) => {
                finished = Some(outcome);
                break;
            }
            Err(TryRecvError::Empty) => break,
            Err(TryRecvError::Disconnected) => {
                finished = Some(Err("the export stopped unexpectedly".into()));
                break;
            }
        }
    }
    if st.session.navigation.current() == Screen::StaffUsb {
        // Staff waiting for the stick are not away.
        let now = st.clock.monotonic();
        st.idle.touch(now);
    }
    if let Some(outcome) = finished {
        st.usb_export.running = None;
        finish(st, outcome);
        changed = true;
    }
    changed
}

/// The export's end: shown, and written to the staff audit log.
fn finish(st: &mut KioskState, outcome: Result<usize, String>) {
    let (shown, detail) = match outcome {
        Ok(records) => (Shown::Done { records }, format!("{records} records")),
        Err(detail) => {
            let why = match st.usb_export.shown {
                Shown::Running(Export::Failed(why)) => Some(why),
                _ => None,
            };
            tracing::warn!("the export to a USB stick did not work: {detail}");
            let audit = format!("failed: {}", why_name(why));
            (Shown::Failed { why, detail }, audit)
        }
    };
    st.usb_export.shown = shown;
    if let Err(e) = st
        .stamp()
        .and_then(|stamp| st.store.audit(stamp, Action::UsbExport, Some(&detail)))
    {
        tracing::error!("cannot write the staff audit log: {e}");
    }
}

/// The failure's name in the audit log (no path, no device name: a short fixed word).
fn why_name(why: Option<Why>) -> &'static str {
    match why {
        None => "cannot_start",
        Some(Why::NoStick) => "no_stick",
        Some(Why::NotMountable) => "not_mountable",
        Some(Why::WriteFailed) => "write_failed",
        Some(Why::NotUnmounted) => "not_unmounted",
    }
}

pub(super) fn render(window: &AppWindow, st: &KioskState) {
    if st.session.navigation.current() != Screen::StaffUsb {
        return;
    }
    let adapter = StaffUsbAdapter::get(window);
    let (step, records, failure, detail) = match &st.usb_export.shown {
        Shown::Ready => (UsbStep::Ready, 0, UsbFailure::None, ""),
        Shown::Running(Export::Waiting { .. }) => (UsbStep::Waiting, 0, UsbFailure::None, ""),
        Shown::Running(Export::Writing { .. }) => (UsbStep::Writing, 0, UsbFailure::None, ""),
        Shown::Running(Export::Unmounting { .. }) => (UsbStep::Unmounting, 0, UsbFailure::None, ""),
        // The thread's last word is still on its way: the step before it stays.
        Shown::Running(Export::Done { .. } | Export::Failed(_)) => {
            (UsbStep::Unmounting, 0, UsbFailure::None, "")
        }
        Shown::Done { records } => (UsbStep::Done, *records, UsbFailure::None, ""),
        Shown::Failed { why, detail } => (
            UsbStep::Failed,
            0,
            match why {
                None => UsbFailure::CannotStart,
                Some(Why::NoStick) => UsbFailure::NoStick,
                Some(Why::NotMountable) => UsbFailure::NotMountable,
                Some(Why::WriteFailed) => UsbFailure::WriteFailed,
                Some(Why::NotUnmounted) => UsbFailure::NotUnmounted,
            },
            detail.as_str(),
        ),
    };
    adapter.set_step(step);
    adapter.set_records(i32::try_from(records).unwrap_or(i32::MAX));
    adapter.set_failure(failure);
    adapter.set_detail(detail.into());
}
