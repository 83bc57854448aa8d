//! The hub's whole ingest, through its library: an export file carrying the input as its
//! batch, correctly signed by a registered device, is imported as `waystation-hub import`
//! does. When the input's first byte is odd and the rest is a JSON object, it is made a batch
//! from the registered device and each record's plain `sealed` body is sealed for real to the
//! centre's key, so that the fuzzer also reaches what comes after opening: the sealed body's
//! parser and the clock correction.

#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use libfuzzer_sys::fuzz_target;
use waystation_protocol::wire::{BATCH_PATH, EXPORT_FORMAT};
use waystation_protocol::{CentrePublicKey, DeviceKey, ExportFile, SealBinding};

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

/// The batch from this device, with every record's `sealed` value that is not already a
/// string (the sealed body as plain JSON, which the fuzzer can mutate field by field) sealed
/// for real to the centre's key and bound to the record's id, kind and version.
fn sealed_for_real(hub: &Hub, body: &[u8]) -> Option<Vec<u8>> {
    let mut batch: serde_json::Value = serde_json::from_slice(body).ok()?;
    let object = batch.as_object_mut()?;
    object.insert("device_id".into(), hub.device_id.clone().into());
    for record in object.get_mut("records")?.as_array_mut()? {
        let Some(record) = record.as_object_mut() else {
            continue;
        };
        let Some(plain) = record.get("sealed").filter(|v| !v.is_string()) else {
            continue;
        };
        let plain = serde_json::to_vec(plain).ok()?;
        let text = |field: &str| record.get(field).and_then(|v| v.as_str()).unwrap_or("");
        let binding = SealBinding {
            record_id: text("id"),
            device_id: &hub.device_id,
            kind: text("kind"),
            schema_version: record
                .get("schema_version")
                .and_then(|v| v.as_u64())
                .and_then(|v| u32::try_from(v).ok())
                .unwrap_or(0),
        };
        let sealed = hub.centre.seal(&binding, &plain).ok()?;
        record.insert("sealed".into(), B64.encode(sealed).into());
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
