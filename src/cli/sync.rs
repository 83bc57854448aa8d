//! `waystation sync`, `waystation queue` and `waystation device`: the uploader in the
//! foreground, the queue for staff and the field team, and the device's identity for
//! registering it at the hub.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use super::kiosk::{open_configured, open_store};
use super::{Failure, QueueAction, bad_input};
use crate::clock::SystemClock;
use crate::config::Config;
use crate::store::{RecordState, Store};
use crate::sync::link::HttpsLink;
use crate::sync::{Drained, SyncSettings, Syncer};
use waystation_protocol::DeviceKey;

/// Exit status of `sync --once` when records are still waiting because the hub could not be
/// reached or refused them for now.
const EXIT_HUB_UNREACHABLE: u8 = 3;

/// How many times `sync --once` waits out a busy hub before giving up.
const BUSY_RETRIES: u32 = 5;

pub(super) fn sync(
    config_file: Option<&Path>,
    data_dir: Option<&Path>,
    once: bool,
) -> Result<(), Failure> {
    let (config, dir, store) = open_configured(config_file, data_dir)?;
    if config.hub.url.is_none() {
        return Err(bad_input(
            "no hub is configured: set [hub] url in the config (or use `waystation queue export`)"
                .into(),
        ));
    }
    if !store.sealing_enabled() {
        return Err(bad_input(
            "no centre key is configured: set [hub] public_key in the config; nothing is uploaded unsealed".into(),
        ));
    }
    let link = HttpsLink::new(&config.hub).map_err(bad_input)?;
    let settings = SyncSettings::from_config(&config, dir);
    let mut syncer =
        Syncer::new(store, link, SystemClock::new(), settings).map_err(|e| e.to_string())?;
    if !once {
        tracing::info!("uploading; stop with Ctrl-C");
        // Nobody sends wake-ups to a foreground uploader; the sender lives as long as it runs.
        let (_wake_sender, wake) = std::sync::mpsc::channel();
        syncer.run(wake, Arc::new(AtomicBool::new(false)));
        return Ok(());
    }
    let (mut acked, mut quarantined, mut busy) = (0, 0, 0);
    loop {
        match syncer.drain().map_err(|e| e.to_string())? {
            Drained::Empty {
                acked: a,
                quarantined: q,
            } => {
                acked += a;
                quarantined += q;
                outln!("queue empty: {acked} record(s) delivered, {quarantined} set aside")?;
                return Ok(());
            }
            Drained::Stopped {
                failure,
                acked: a,
                quarantined: q,
            } => {
                acked += a;
                quarantined += q;
                let waiting = syncer.store().outbox_counts().map_err(|e| e.to_string())?;
                if let crate::sync::uploader::Failure::Busy { .. } = failure
                    && busy < BUSY_RETRIES
                {
                    busy += 1;
                    let wait = syncer.wait_after(&failure).min(Duration::from_secs(60));
                    tracing::info!(seconds = wait.as_secs(), "the hub is busy; waiting");
                    std::thread::sleep(wait);
                    continue;
                }
                return Err(Failure {
                    message: format!(
                        "{}; {acked} delivered, {} still waiting",
                        failure.message(),
                        waiting.pending + waiting.in_flight
                    ),
                    code: EXIT_HUB_UNREACHABLE,
                });
            }
        }
    }
}

/// `waystation queue ...`.
pub(super) fn queue(
    config_file: Option<&Path>,
    data_dir: Option<&Path>,
    action: QueueAction,
) -> Result<(), Failure> {
    match action {
        QueueAction::Status { json } => queue_status(config_file, data_dir, json),
        QueueAction::List { state, limit, json } => {
            let state = state.as_deref().map(state_named).transpose()?;
            let store = open_store(config_file, data_dir)?;
            let entries = store
                .queue_entries(state, 0, limit)
                .map_err(|e| e.to_string())?;
            print_entries(&entries, json)
        }
        QueueAction::Retry { id } => {
            let mut store = open_store(config_file, data_dir)?;
            if store.retry_quarantined(&id).map_err(|e| e.to_string())? {
                outln!("{id}: back in the queue")?;
                Ok(())
            } else {
                Err(bad_input(format!("no quarantined record has the id {id}")))
            }
        }
        QueueAction::Export { dir, json } => export(config_file, data_dir, &dir, json),
        QueueAction::ExportUsb { json } => export_usb(config_file, data_dir, json),
    }
}

/// `queue status`: the outbox's counts by state and the uploader's state.
fn queue_status(
    config_file: Option<&Path>,
    data_dir: Option<&Path>,
    json: bool,
) -> Result<(), Failure> {
    let clock = crate::clock::Clock::read(&crate::clock::SystemClock::new());
    let status = crate::status::Status::gather(config_file, data_dir, &clock)?;
    if json {
        let body = serde_json::json!({
            "outbox": status.database.as_ref().map(|db| db.outbox),
            "uploads": status.uploads,
        });
        outln!(
            "{}",
            serde_json::to_string_pretty(&body).map_err(|e| e.to_string())?
        )?;
        return Ok(());
    }
    match &status.database {
        Some(db) => {
            let counts: Vec<String> = RecordState::ALL
                .iter()
                .map(|s| format!("{} {}", db.outbox.get(*s), s))
                .collect();
            outln!("outbox       {}", counts.join(", "))?;
        }
        None => outln!("outbox       no data directory")?,
    }
    out!("{}", status.uploads.to_text())?;
    Ok(())
}

/// The record state `--state` names.
fn state_named(name: &str) -> Result<RecordState, Failure> {
    RecordState::ALL
        .into_iter()
        .find(|s| s.name() == name)
        .ok_or_else(|| {
            bad_input(format!(
                "unknown state '{name}' (pending, in_flight, acked, quarantined)"
            ))
        })
}

/// `queue list`: one line (or JSON object) per queued record.
fn print_entries(entries: &[crate::store::sync::QueueEntry], json: bool) -> Result<(), Failure> {
    if json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&entries).map_err(|e| e.to_string())?
        )?;
        return Ok(());
    }
    for e in entries {
        let sealed = if e.sealed { "" } else { " (unsealed)" };
        let error = e
            .last_error
            .as_deref()
            .map(|r| format!("  {r}"))
            .unwrap_or_default();
        outln!(
            "{:>8}  {}  {:<20} {}  {:<11} tries {}{sealed}{error}",
            e.seq,
            e.id,
            e.kind,
            e.day,
            e.state,
            e.attempts
        )?;
    }
    Ok(())
}

/// The configured store for an export, and the device key its files are signed with; refused
/// before anything is written when records cannot be sealed to the centre.
fn open_for_export(
    config_file: Option<&Path>,
    data_dir: Option<&Path>,
) -> Result<(Config, PathBuf, Store, DeviceKey), Failure> {
    let (config, dir, mut store) = open_configured(config_file, data_dir)?;
    if !store.sealing_enabled() {
        return Err(bad_input(
            "no centre key is configured ([hub] public_key): records cannot be sealed for export"
                .into(),
        ));
    }
    let key = store.device_key().map_err(|e| e.to_string())?;
    Ok((config, dir, store, key))
}

/// `queue export`: the sealed records written to export files for a USB stick.
fn export(
    config_file: Option<&Path>,
    data_dir: Option<&Path>,
    dir: &Path,
    json: bool,
) -> Result<(), Failure> {
    let (config, _, store, key) = open_for_export(config_file, data_dir)?;
    let summary = crate::sync::export::export(
        &store,
        &key,
        &SystemClock::new(),
        dir,
        config.hub.batch_records(),
    )?;
    if json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&summary).map_err(|e| e.to_string())?
        )?;
    } else {
        outln!(
            "{} record(s) in {} file(s) in {}; import them with `waystation-hub import`",
            summary.records,
            summary.files.len(),
            dir.display()
        )?;
    }
    Ok(())
}

/// `queue export-usb`: the same export files, on a USB stick that root's side mounts for the
/// length of the export (`crate::sync::export::export_to_stick`, as the staff screen's button).
fn export_usb(
    config_file: Option<&Path>,
    data_dir: Option<&Path>,
    json: bool,
) -> Result<(), Failure> {
    let (config, dir, _, _) = open_for_export(config_file, data_dir)?;
    let summary = crate::sync::export::export_to_stick(
        &dir,
        Path::new(crate::usb_stick::MOUNT_POINT),
        config.hub.centre_key(),
        config.hub.batch_records(),
        &mut |step| {
            if !json && matches!(step, crate::usb_stick::Export::Waiting { .. }) {
                let _ =
                    outln!("put the USB stick in (FAT or exFAT); waiting for it to be mounted…");
            }
        },
    )?;
    if json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&summary).map_err(|e| e.to_string())?
        )?;
    } else {
        outln!(
            "{} record(s) in {} file(s) on the stick's {} folder; it is unmounted and safe to remove",
            summary.records,
            summary.files.len(),
            crate::sync::export::STICK_FOLDER
        )?;
    }
    Ok(())
}

pub(super) fn device(
    config_file: Option<&Path>,
    data_dir: Option<&Path>,
    json: bool,
) -> Result<(), Failure> {
    let (config, _): (Config, _) = Config::locate(config_file).map_err(|e| e.to_string())?;
    let mut store = open_store(config_file, data_dir)?;
    let key = store.device_key().map_err(|e| e.to_string())?;
    // The id every record is sealed with, to compare with `waystation-hub keys list` when the
    // centre rolls out a new key.
    let centre_key_id = config.hub.centre_key().map(|k| k.key_id().to_string());
    if json {
        let body = serde_json::json!({
            "device_id": key.device_id(),
            "public_key": key.public_base64(),
            "station": config.station.id.as_str(),
            "centre_key_id": centre_key_id,
        });
        outln!(
            "{}",
            serde_json::to_string_pretty(&body).map_err(|e| e.to_string())?
        )?;
    } else {
        outln!("device       {}", key.device_id())?;
        outln!("public key   {}", key.public_base64())?;
        outln!("station      {}", config.station.id.as_str())?;
        outln!(
            "seals to     {}",
            centre_key_id.as_deref().map_or_else(
                || "no centre key configured ([hub] public_key)".to_string(),
                |id| format!("centre key {id}"),
            )
        )?;
        outln!(
            "register it at the hub with: waystation-hub devices add --data DIR --key {} --station {}",
            key.public_base64(),
            config.station.id.as_str()
        )?;
    }
    Ok(())
}
