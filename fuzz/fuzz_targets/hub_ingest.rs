//! The hub's whole ingest, through its library: an export file carrying the input as its
//! batch, correctly signed by a registered device, is imported as `waystation-hub import`
//! does. When the input's first byte is odd and the rest parses as a batch, each record's
//! `sealed` text is first sealed for real to the centre's key (as the record's plaintext
//! body), so that the fuzzer also reaches what comes after opening: the sealed body's parser
//! and the clock correction.

#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use libfuzzer_sys::fuzz_target;
use waystation_protocol::wire::{BATCH_PATH, EXPORT_FORMAT};
use waystation_protocol::{Batch, CentrePublicKey, DeviceKey, ExportFile, SealBinding};

struct Hub {
    /// Kept so the folders live as long as the process.
    _dirs: (tempfile::TempDir, tempfile::TempDir),
    data: PathBuf,
    inbox: PathBuf,
    centre: CentrePublicKey,
    device: DeviceKey,
    device_id: String,
}

fn hub() -> &'static Hub {
    static HUB: OnceLock<Hub> = OnceLock::new();
    HUB.get_or_init(|| {
        // On tmpfs when there is one: the hub syncs every commit, and the fuzzer commits often.
        let scratch = if std::path::Path::new("/dev/shm").is_dir() {
            "/dev/shm"
        } else {
            "/tmp"
        };
        let data = tempfile::tempdir_in(scratch).unwrap();
        let inbox = tempfile::tempdir_in(scratch).unwrap();
        let centre = waystation_hub::keygen(data.path()).unwrap();
        let device = DeviceKey::from_secret([7; 32]);
        let device_id =
            waystation_hub::add_device(data.path(), &device.public_base64(), None, None).unwrap();
        Hub {
            data: data.path().to_path_buf(),
            inbox: inbox.path().to_path_buf(),
            _dirs: (data, inbox),
            centre: CentrePublicKey::from_base64(&centre).unwrap(),
            device,
            device_id,
        }
    })
}

/// The batch with every record's `sealed` text sealed for real, from this device.
fn sealed_for_real(hub: &Hub, body: &[u8]) -> Option<Vec<u8>> {
    let mut batch: Batch = serde_json::from_slice(body).ok()?;
    batch.device_id = hub.device_id.clone();
    for record in &mut batch.records {
        let binding = SealBinding {
            record_id: &record.id,
            device_id: &batch.device_id,
            kind: &record.kind,
            schema_version: record.schema_version,
        };
        let sealed = hub.centre.seal(&binding, record.sealed.as_bytes()).ok()?;
        record.sealed = B64.encode(sealed);
    }
    serde_json::to_vec(&batch).ok()
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, body)) = data.split_first() else {
        return;
    };
    let hub = hub();
    let body = match mode & 1 {
        1 => sealed_for_real(hub, body).unwrap_or_else(|| body.to_vec()),
        _ => body.to_vec(),
    };
    let batch = String::from_utf8_lossy(&body).into_owned();
    let file = ExportFile {
        format: EXPORT_FORMAT.into(),
        device_id: hub.device_id.clone(),
        signature: waystation_protocol::sign_request(
            &hub.device,
            "POST",
            BATCH_PATH,
            batch.as_bytes(),
        ),
        batch,
    };
    std::fs::write(
        hub.inbox.join("export.json"),
        serde_json::to_vec(&file).unwrap(),
    )
    .unwrap();
    let summary = waystation_hub::import_dir(&hub.data, &hub.inbox)
        .expect("a malformed batch is refused or rejected, never a storage failure");
    assert_eq!(summary.files + summary.refused.len(), 1, "{summary:?}");
});
