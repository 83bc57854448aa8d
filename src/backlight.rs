//! The backlight edge: the kiosk asks for a brightness, and something outside it applies it.
//! What to ask for, and when, is `crate::kiosk::backlight`'s (night hours, visits, the clock).
//!
//! The kiosk cannot write the panel's brightness itself, on purpose. Its unit
//! (`deploy/debian/waystation.service`) has `ProtectKernelTunables=yes`, which leaves all of
//! /sys read-only to it, and there is no narrow way to open only the backlight:
//! `/sys/class/backlight/NAME` is a symbolic link into `/sys/devices/…`, and systemd resolves
//! the links of `ReadWritePaths=` when the unit starts, so it would have to name the one
//! device's folder that exists at that moment (the DSI panel's, a different one for another
//! panel, none while the display is unplugged), while the folder that covers them all,
//! `/sys/devices/platform`, would also open every other device's attributes (GPIO, the
//! watchdog, thermal trips) to the kiosk. So, as with image updates and remote help, the kiosk
//! writes a request file in its data folder, `backlight/level` (a whole percentage and a
//! newline), and root's `waystation-backlight` (started by `waystation-backlight.path` on the
//! deployment image) sets every `/sys/class/backlight/*/brightness` to that share of its
//! `max_brightness`. The same path that gives the kiosk no write access to /sys keeps working
//! for any panel plugged in later: root reads the folder at every request.
//!
//! A write is a file on the SD card, so the caller writes once per change (`Dimmer`), and the
//! file is written on a thread of its own: a synced write can take a while on a slow card and
//! the UI's tick must never wait for it.

use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;

use crate::kiosk::backlight::Percent;

/// The folder, inside the data folder, that holds the request for root.
pub const FOLDER: &str = "backlight";
/// The request file in it: the wanted level, e.g. `30\n`.
pub const REQUEST_FILE: &str = "level";

/// Something that sets the display's brightness.
pub trait Backlight {
    /// Asks for `level`. It may be applied a moment later; a failure is logged, never fatal
    /// (a screen too bright is better than a kiosk that stops).
    fn set(&mut self, level: Percent);
}

/// The deployment image's backlight: a request file that root applies.
pub struct RequestFile {
    levels: Sender<Percent>,
}

impl RequestFile {
    /// Starts the thread that writes the requests into `folder`, in the order they are asked.
    pub fn start(folder: PathBuf) -> RequestFile {
        let (levels, asked) = std::sync::mpsc::channel::<Percent>();
        let spawned = std::thread::Builder::new()
            .name("backlight".into())
            .spawn(move || {
                for level in asked {
                    if let Err(e) = write_request(&folder, level) {
                        tracing::warn!("cannot ask for the backlight at {}%: {e}", level.get());
                    }
                }
            });
        if let Err(e) = spawned {
            // Without the thread every request is dropped, and the screen keeps its level.
            tracing::warn!("cannot start the backlight's thread: {e}");
        }
        RequestFile { levels }
    }
}

impl Backlight for RequestFile {
    fn set(&mut self, level: Percent) {
        let _ = self.levels.send(level);
    }
}

/// Writes the request whole (a reader never sees half a number), making its folder first.
pub fn write_request(folder: &Path, level: Percent) -> Result<(), String> {
    std::fs::create_dir_all(folder).map_err(|e| format!("{}: {e}", folder.display()))?;
    let text = format!("{}\n", level.get());
    waystation_durable::write_atomically(&folder.join(REQUEST_FILE), text.as_bytes(), Some(0o644))
        .map_err(|e| e.to_string())
}

/// The level a request file asks for, read as root's script reads it: a whole number 1 to 100
/// and a newline; anything else is no request.
pub fn read_request(folder: &Path) -> Option<Percent> {
    let text = std::fs::read_to_string(folder.join(REQUEST_FILE)).ok()?;
    let digits = text.strip_suffix('\n')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.len() > 3 {
        return None;
    }
    Percent::new(digits.parse().ok()?)
}

/// The backlight a kiosk with night hours uses: the request file in its data folder. Without
/// night hours there is none, and nothing is ever written.
pub fn open(screen: &crate::config::Screen, data_dir: &Path) -> Option<Box<dyn Backlight>> {
    screen.night?;
    Some(Box::new(RequestFile::start(data_dir.join(FOLDER))))
}

/// A backlight for tests: it remembers every level asked of it.
#[derive(Debug, Clone, Default)]
pub struct FakeBacklight {
    levels: std::rc::Rc<std::cell::RefCell<Vec<Percent>>>,
}

impl FakeBacklight {
    /// Every level asked so far, oldest first.
    pub fn levels(&self) -> Vec<u8> {
        self.levels.borrow().iter().map(|l| l.get()).collect()
    }
}

impl Backlight for FakeBacklight {
    fn set(&mut self, level: Percent) {
        self.levels.borrow_mut().push(level);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_is_written_whole_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join(FOLDER);
        assert_eq!(read_request(&folder), None);
        write_request(&folder, Percent::new(30).unwrap()).unwrap();
        assert_eq!(
            std::fs::read_to_string(folder.join(REQUEST_FILE)).unwrap(),
            "30\n"
        );
        assert_eq!(read_request(&folder), Percent::new(30));
        write_request(&folder, Percent::FULL).unwrap();
        assert_eq!(read_request(&folder), Some(Percent::FULL));
    }

    #[test]
    fn what_is_not_a_level_is_no_request() {
        let dir = tempfile::tempdir().unwrap();
        for text in [
            "", "\n", "0\n", "101\n", "30", "3 0\n", "-30\n", "0030\n", "30\n\n",
        ] {
            std::fs::write(dir.path().join(REQUEST_FILE), text).unwrap();
            assert_eq!(read_request(dir.path()), None, "{text:?}");
        }
    }

    #[test]
    fn the_thread_writes_the_requests_in_the_order_asked() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join(FOLDER);
        let mut backlight = RequestFile::start(folder.clone());
        for level in [30, 100, 45] {
            backlight.set(Percent::new(level).unwrap());
        }
        // Up to ten seconds for the thread, on a busy machine.
        let arrived = (0..1000).any(|_| {
            std::thread::sleep(std::time::Duration::from_millis(10));
            read_request(&folder) == Percent::new(45)
        });
        assert!(arrived, "the last request never arrived");
    }

    #[test]
    fn without_night_hours_there_is_no_backlight_to_write() {
        let dir = tempfile::tempdir().unwrap();
        assert!(open(&crate::config::Screen::default(), dir.path()).is_none());
        assert!(!dir.path().join(FOLDER).exists());
    }
}
