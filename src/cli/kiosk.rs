//! `waystation run`: the kiosk itself, its display backend and its start record.

use std::path::{Path, PathBuf};

use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::store::{RecordStamp, Store};
use std::rc::Rc;

use slint::ComponentHandle;

use crate::config::ConfigSource;
use crate::store::{NewRecord, RecordKind};

pub(super) fn run(
    config_file: Option<&Path>,
    data_dir: Option<&Path>,
    windowed: bool,
    size: Option<(u32, u32)>,
) -> Result<(), String> {
    let (_, source) = Config::locate(config_file).map_err(|e| e.to_string())?;
    // The display first: a kiosk that cannot show anything must not log a start.
    select_backend()?;
    let (config, dir, mut store) = open_configured(config_file, data_dir)?;
    let clock: Rc<dyn Clock> = Rc::new(SystemClock::new());
    record_start(&mut store, &config, &source, clock.as_ref())?;
    tracing::info!(config = %source, data_dir = %dir.display(), "starting the kiosk");

    let printer = crate::printer::opener(&config.printer);
    let key = config
        .directory
        .public_key
        .as_deref()
        .and_then(|k| crate::directory::bundle::public_key(k).ok());
    let directory = crate::store::directory::active(Some(&dir), key.as_ref());
    if directory.expires
        < SystemClock::new()
            .read()
            .wall
            .with_timezone(&chrono_tz::Asia::Shanghai)
            .date_naive()
    {
        // Still served: an old directory is better than none. Staff see it in `status`.
        tracing::warn!(expires = %directory.expires, "the resource directory has expired; install a newer bundle");
    }
    let kiosk_config = config.clone();
    let kiosk = crate::ui::init(crate::ui::KioskParts {
        config,
        store,
        clock,
        printer,
        directory,
    })
    .map_err(|e| e.to_string())?;
    // Uploads run on their own thread; a newer directory it installs reaches the UI through a
    // channel that the event loop polls, so the thread never touches the UI's state. What the
    // hub said about a worker's call for staff comes back the same way, drained by the UI's
    // quarter-second tick.
    let (bundles, new_bundles) = std::sync::mpsc::channel();
    let (alerts, alert_answers) = std::sync::mpsc::channel();
    let worker = crate::sync::spawn_worker(&kiosk_config, &dir, bundles, alerts);
    if let Some(worker) = &worker {
        kiosk.set_sync_now(worker.wake.clone());
        kiosk.set_alert_answers(alert_answers);
    }
    kiosk.set_data_dir(dir.clone());
    kiosk.attach_board(crate::board::open(&kiosk_config.board));
    let kiosk = Rc::new(kiosk);
    let bundle_timer = slint::Timer::default();
    {
        let kiosk = Rc::downgrade(&kiosk);
        bundle_timer.start(
            slint::TimerMode::Repeated,
            std::time::Duration::from_secs(2),
            move || {
                if let (Some(kiosk), Ok(bundle)) = (kiosk.upgrade(), new_bundles.try_recv()) {
                    kiosk.replace_directory(bundle);
                }
            },
        );
    }
    let window = kiosk.window();
    if windowed {
        let (w, h) = size.unwrap_or((800, 480));
        window
            .window()
            .set_size(slint::LogicalSize::new(w as f32, h as f32));
    } else {
        window.window().set_fullscreen(true);
    }
    // systemd hears from the UI thread itself: READY once the event loop runs with the window
    // shown, then watchdog pings from a timer on the same loop, so a frozen UI stops the pings
    // and systemd restarts the kiosk. Outside systemd these calls do nothing.
    let ready_timer = slint::Timer::default();
    ready_timer.start(
        slint::TimerMode::SingleShot,
        std::time::Duration::ZERO,
        || {
            if let Err(e) = crate::systemd::ready() {
                tracing::warn!("could not tell systemd the kiosk is ready: {e}");
            }
        },
    );
    let watchdog_timer = slint::Timer::default();
    if let Some(interval) = crate::systemd::watchdog_interval() {
        tracing::info!(
            seconds = interval.as_secs_f32(),
            "feeding systemd's watchdog"
        );
        watchdog_timer.start(slint::TimerMode::Repeated, interval / 2, || {
            if let Err(e) = crate::systemd::watchdog() {
                tracing::warn!("could not ping systemd's watchdog: {e}");
            }
        });
    }
    let result = window.run().map_err(|e| format!("the UI stopped: {e}"));
    let _ = crate::systemd::stopping();
    if let Some(worker) = worker {
        worker
            .stop
            .store(true, std::sync::atomic::Ordering::Relaxed);
        drop(worker.wake);
        // A request in flight may take up to its time-out; records are safe either way.
        let _ = worker.thread.join();
    }
    result
}

/// Writes the `kiosk_started` record, so the service centre sees which version runs where.
pub(crate) fn record_start(
    store: &mut Store,
    config: &Config,
    source: &ConfigSource,
    clock: &dyn Clock,
) -> Result<(), String> {
    let record = NewRecord {
        kind: RecordKind::KioskStarted,
        stamp: RecordStamp::now(clock),
        payload: serde_json::json!({
            "version": env!("CARGO_PKG_VERSION"),
            "station": config.station.id.as_str(),
            "demo": config.station.demo,
            "config": if *source == ConfigSource::EmbeddedDemo { "demo" } else { "file" },
        }),
    };
    store
        .commit_record(&record, |_| Ok(()))
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Picks the Slint backend. `SLINT_BACKEND` in the environment wins; otherwise the Pi build
/// (feature `kms`) draws straight to the display when no desktop session is around, and
/// everything else opens a winit window. The software renderer always: it needs no GPU driver.
fn select_backend() -> Result<(), String> {
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

/// Opens the store the way `run` does (same config, same data directory rules).
pub(super) fn open_store(
    config_file: Option<&Path>,
    data_dir: Option<&Path>,
) -> Result<Store, String> {
    open_configured(config_file, data_dir).map(|(_, _, store)| store)
}

/// The config, the data directory and the store, with sealing on when the centre's key is
/// configured. Every command that writes records opens the store here, so no path can write
/// an unsealed record when a key is known.
pub(super) fn open_configured(
    config_file: Option<&Path>,
    data_dir: Option<&Path>,
) -> Result<(Config, PathBuf, Store), String> {
    let (config, source) = Config::locate(config_file).map_err(|e| e.to_string())?;
    let dir = config
        .data_dir(&source, data_dir)
        .ok_or("no data directory: set --data-dir, WAYSTATION_DATA_DIR or store.data_dir")?;
    let mut store = Store::open(&dir).map_err(|e| e.to_string())?;
    if let Some(centre) = config.hub.centre_key() {
        let sealed = store.enable_sealing(centre).map_err(|e| e.to_string())?;
        if sealed > 0 {
            tracing::info!(
                sealed,
                "sealed the records written before the centre's key was set"
            );
        }
    }
    Ok((config, dir, store))
}
