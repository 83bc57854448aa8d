//! The wire formats the hub reads (a batch, an export file) and the kiosk reads (the hub's
//! reply), and the protocol's key, seal and signature checks on arbitrary bytes.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use waystation_protocol::wire::MAX_BATCH_RECORDS;
use waystation_protocol::{
    Batch, BatchReply, CentrePublicKey, CentreSecretKey, ExportFile, SealBinding, SealError,
};

fn centre() -> &'static CentreSecretKey {
    static KEY: OnceLock<CentreSecretKey> = OnceLock::new();
    KEY.get_or_init(|| CentreSecretKey::generate().0)
}

fuzz_target!(|data: &[u8]| {
    if let Ok(batch) = Batch::parse(data) {
        assert!(!batch.records.is_empty() && batch.records.len() <= MAX_BATCH_RECORDS);
    }
    let _ = ExportFile::parse(data);
    let _ = serde_json::from_slice::<BatchReply>(data);

    // Arbitrary bytes as a sealed payload, bound to a record named by the input.
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(4, '\n');
    let binding = SealBinding {
        record_id: parts.next().unwrap_or(""),
        device_id: parts.next().unwrap_or(""),
        kind: parts.next().unwrap_or(""),
        schema_version: data.len() as u32,
    };
    match centre().open(&binding, data) {
        Err(SealError::TooShort(_) | SealError::Open) => {}
        other => panic!("random bytes opened: {other:?}"),
    }
    // Arbitrary text as keys, device keys and request signatures.
    let _ = CentrePublicKey::from_base64(&text);
    let _ = CentreSecretKey::from_base64(&text);
    let _ = waystation_protocol::device_id(&text);
    let key = parts.next().unwrap_or("");
    let _ = waystation_protocol::verify_request(key, "POST", "/v1/batches", data, &text);
});
