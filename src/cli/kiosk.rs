//! `waystation run`: the kiosk itself, its display backend and its start record.

use std::path::{Path, PathBuf};

use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::store::{RecordStamp, Store};
use std::rc::Rc;

use crate::config::ConfigSource;
use crate::store::{NewRecord, RecordKind};

pub(super) fn run(
    config_file: Option<&Path>,
    data_dir: Option<&Path>,
    windowed: bool,
    size: Option<(u32, u32)>,
) -> Result<(), String> {
    let (_, source) = Config::locate(config_file).map_err(|e| e.to_string())?;
    let mut worker = None;
    let display = crate::ui::Display { windowed, size };
    let result = crate::ui::run(display, || {
        let (config, dir, mut store) = open_configured(config_file, data_dir)?;
        let clock: Rc<dyn Clock> = Rc::new(SystemClock::new());
        let entropy: Rc<dyn crate::entropy::Entropy> = Rc::new(crate::entropy::SystemEntropy);
        record_start(
            &mut store,
            &config,
            &source,
            clock.as_ref(),
            entropy.as_ref(),
        )?;
        tracing::info!(config = %source, data_dir = %dir.display(), "starting the kiosk");
        let directory = active_directory(&config, &dir, clock.as_ref());
        // Uploads run on their own thread with their own connection; what they learn reaches
        // the UI through channels its event loop drains.
        let (bundles, new_bundles) = std::sync::mpsc::channel();
        let (alerts, alert_answers) = std::sync::mpsc::channel();
        let idle = crate::update::IdleSignal::new();
        worker = crate::sync::spawn_worker(&config, &dir, bundles, alerts, idle.clone());
        let uploader = worker.as_ref().map(|w| crate::ui::UploaderLinks {
            wake: w.wake.clone(),
            alert_answers,
            new_bundles,
            idle,
        });
        let links = crate::ui::Links {
            backlight: crate::backlight::open(&config.screen, &dir),
            data_dir: dir,
            board: crate::board::open(&config.board),
            uploader,
        };
        let printer = crate::printer::opener(&config.printer);
        let parts = crate::ui::KioskParts {
            config,
            store,
            clock,
            entropy,
            printer,
            directory,
            machine: std::sync::Arc::new(crate::machine::Host::new()),
        };
        Ok((parts, links))
    });
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

/// The directory to serve: the newest installed bundle, or the shipped one. An expired one is
/// still served (an old directory is better than none) and staff see it in `status`.
fn active_directory(config: &Config, dir: &Path, clock: &dyn Clock) -> crate::directory::Bundle {
    let key = config
        .directory
        .public_key
        .as_deref()
        .and_then(|k| crate::directory::bundle::public_key(k).ok());
    let directory = crate::store::directory::active(Some(dir), key.as_ref());
    let today = crate::station_time::day_of(clock.read().wall);
    if directory.expires < today {
        tracing::warn!(expires = %directory.expires, "the resource directory has expired; install a newer bundle");
    }
    directory
}

/// Writes the `kiosk_started` record, so the service centre sees which version runs where.
pub(crate) fn record_start(
    store: &mut Store,
    config: &Config,
    source: &ConfigSource,
    clock: &dyn Clock,
    entropy: &dyn crate::entropy::Entropy,
) -> Result<(), String> {
    let record = NewRecord {
        kind: RecordKind::KioskStarted,
        stamp: RecordStamp::now(clock, entropy).map_err(|e| e.to_string())?,
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
