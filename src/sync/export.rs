//! Carrying records on a USB stick: the waiting sealed records are written as export files,
//! each exactly the body and signature the kiosk would have posted, so the hub checks them the
//! same way (`waystation-hub import DIR`).

use std::path::{Path, PathBuf};

use waystation_protocol::wire::{BATCH_PATH, EXPORT_FORMAT};
use waystation_protocol::{DAY_SUMMARY_KIND, DeviceKey, ExportFile};

use super::uploader::{batch_body, sent_stamp};
use crate::clock::Clock;
use crate::store::Store;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ExportSummary {
    pub files: Vec<PathBuf>,
    pub records: usize,
}

/// Writes every waiting sealed record to `dir`, `per_file` records a file. Records stay in the
/// queue: the hub stores each once however often it arrives.
pub fn export(
    store: &Store,
    key: &DeviceKey,
    clock: &dyn Clock,
    dir: &Path,
    per_file: usize,
) -> Result<ExportSummary, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let device_id = key.device_id();
    let mut summary = ExportSummary {
        files: Vec::new(),
        records: 0,
    };
    let mut after = 0;
    loop {
        let records = store
            .waiting_sealed(after, per_file.max(1))
            .map_err(|e| e.to_string())?;
        let Some(first) = records.first() else {
            break;
        };
        // Day summaries go in files of their own, as they go in batches of their own, so
        // the other records keep the clock readings the hub places them in time with.
        let summaries = first.kind == DAY_SUMMARY_KIND;
        let run = records
            .iter()
            .take_while(|r| (r.kind == DAY_SUMMARY_KIND) == summaries)
            .count();
        let records = &records[..run];
        let last = &records[run - 1];
        let body = batch_body(&device_id, sent_stamp(&clock.read(), records), records);
        let file = ExportFile {
            format: EXPORT_FORMAT.into(),
            device_id: device_id.clone(),
            signature: waystation_protocol::sign_request(key, "POST", BATCH_PATH, &body),
            batch: String::from_utf8(body).expect("JSON is UTF-8"),
        };
        let path = dir.join(format!(
            "waystation-{device_id}-{:010}-{:010}.json",
            first.seq, last.seq
        ));
        // Whole or absent after a power cut or a pulled stick, which is most likely FAT.
        waystation_durable::write_atomically(
            &path,
            &serde_json::to_vec(&file).expect("serialises"),
            None,
        )
        .map_err(|e| e.to_string())?;
        summary.records += records.len();
        summary.files.push(path);
        after = last.seq;
    }
    Ok(summary)
}
