//! `waystation run`'s UI side: the display backend, the window's size, the timers that take the
//! uploader's news in and feed systemd, and the event loop. The command line calls [`run`]
//! once; nothing outside `src/ui/` touches Slint.

use std::path::PathBuf;
use std::rc::Rc;
use std::sync::mpsc::Receiver;
use std::time::Duration;

use slint::ComponentHandle;

use super::{Kiosk, KioskParts};

/// How the window is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Display {
    /// A desktop window of `size` (800×480 when not given) instead of full screen.
    pub windowed: bool,
    pub size: Option<(u32, u32)>,
}

/// What the kiosk is connected to besides its parts: where its data is, its board, and the
/// uploader thread's channels when there is a hub.
pub struct Links {
    pub data_dir: PathBuf,
    pub board: Box<dyn crate::board::Board>,
    /// The display's backlight when the config has night hours.
    pub backlight: Option<Box<dyn crate::backlight::Backlight>>,
    pub uploader: Option<UploaderLinks>,
}

/// The uploader thread's side of the kiosk: its wake-up ("sync now"), what the hub said about
/// staff alerts, and newer directory bundles it installed.
pub struct UploaderLinks {
    pub wake: std::sync::mpsc::Sender<()>,
    pub alert_answers: Receiver<crate::staff::alert::HubAnswer>,
    pub new_bundles: Receiver<crate::directory::Bundle>,
    /// Whether a worker is using the kiosk, for the uploader's image update step.
    pub idle: crate::update::IdleSignal,
}

/// Chooses the display backend, then builds the kiosk from what `start` returns and runs its
/// event loop until the window closes. `start` runs only once a display is there, so a kiosk
/// that cannot show anything writes nothing (no start record).
pub fn run(
    display: Display,
    start: impl FnOnce() -> Result<(KioskParts, Links), String>,
) -> Result<(), String> {
    select_backend()?;
    let (parts, links) = start()?;
    let kiosk = Rc::new(super::init(parts).map_err(|e| e.to_string())?);
    kiosk.set_data_dir(links.data_dir);
    kiosk.attach_board(links.board);
    if let Some(backlight) = links.backlight {
        kiosk.attach_backlight(backlight);
    }
    let bundle_timer = slint::Timer::default();
    if let Some(uploader) = links.uploader {
        kiosk.set_sync_now(uploader.wake);
        kiosk.set_alert_answers(uploader.alert_answers);
        kiosk.set_idle_signal(uploader.idle);
        // A newer directory from the uploader reaches the UI here, on the event loop, so the
        // thread never touches the UI's state.
        let weak = Rc::downgrade(&kiosk);
        let new_bundles = uploader.new_bundles;
        bundle_timer.start(
            slint::TimerMode::Repeated,
            Duration::from_secs(2),
            move || {
                if let (Some(kiosk), Ok(bundle)) = (weak.upgrade(), new_bundles.try_recv()) {
                    kiosk.replace_directory(bundle);
                }
            },
        );
    }
    show(&kiosk, display);
    let _systemd = feed_systemd();
    kiosk
        .window()
        .run()
        .map_err(|e| format!("the UI stopped: {e}"))
}

fn show(kiosk: &Kiosk, display: Display) {
    show_window(kiosk.window().window(), display);
}

/// Full screen, or a desktop window of the size asked for.
pub(super) fn show_window(window: &slint::Window, display: Display) {
    if display.windowed {
        let (w, h) = display.size.unwrap_or((800, 480));
        window.set_size(slint::LogicalSize::new(w as f32, h as f32));
    } else {
        window.set_fullscreen(true);
    }
}

/// systemd hears from the UI thread itself: READY once the event loop runs with the window
/// shown, then watchdog pings from a timer on the same loop, so a frozen UI stops the pings and
/// systemd restarts the kiosk. Outside systemd these calls do nothing. The timers live as long
/// as what this returns.
pub(super) fn feed_systemd() -> [slint::Timer; 2] {
    let ready = slint::Timer::default();
    ready.start(slint::TimerMode::SingleShot, Duration::ZERO, || {
        if let Err(e) = crate::systemd::ready() {
            tracing::warn!("could not tell systemd the kiosk is ready: {e}");
        }
    });
    let watchdog = slint::Timer::default();
    if let Some(interval) = crate::systemd::watchdog_interval() {
        tracing::info!(
            seconds = interval.as_secs_f32(),
            "feeding systemd's watchdog"
        );
        watchdog.start(slint::TimerMode::Repeated, interval / 2, || {
            if let Err(e) = crate::systemd::watchdog() {
                tracing::warn!("could not ping systemd's watchdog: {e}");
            }
        });
    }
    [ready, watchdog]
}

/// Picks the Slint backend. `SLINT_BACKEND` in the environment wins; otherwise the Pi build
/// (feature `kms`) draws straight to the display when no desktop session is around, and
/// everything else opens a winit window. The software renderer always: it needs no GPU driver.
pub(super) fn select_backend() -> Result<(), String> {
    if std::env::var_os("SLINT_BACKEND").is_some() {
        return Ok(());
    }
    let desktop =
        std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some();
    let backend = if cfg!(feature = "kms") && !(desktop && cfg!(feature = "desktop")) {
        "linuxkms"
    } else {
        "winit"
    };
    if backend == "winit" && !cfg!(feature = "desktop") {
        return Err("this build has no desktop window (it was built without the `desktop` feature); run it on the kiosk's display, or use `waystation screenshot`".into());
    }
    if backend == "winit" && !desktop {
        return Err("no display: set DISPLAY or WAYLAND_DISPLAY, build with --features kms for the Pi's screen, or use `waystation screenshot`".into());
    }
    slint::BackendSelector::new()
        .backend_name(backend.into())
        .renderer_name("software".into())
        .select()
        .map_err(|e| format!("cannot start the {backend} display backend: {e}"))
}
