//! The JSON that travels: a batch of sealed records from a kiosk, the hub's reply per record,
//! and the export file a kiosk writes to a USB stick when it has no network.
//!
//! Only a record's id, sequence number, kind, schema version and day travel in the clear. Its
//! clock readings and its payload are inside the sealed body.

use serde::{Deserialize, Serialize};

/// The version of this protocol; a batch with another version is refused as a whole.
pub const PROTOCOL_VERSION: u32 = 1;
/// At most this many records in one batch; the hub refuses bigger batches as a whole.
pub const MAX_BATCH_RECORDS: usize = 2000;
/// At most this many bytes in one request body.
pub const MAX_BATCH_BYTES: usize = 8 * 1024 * 1024;
/// The `format` field of an export file.
pub const EXPORT_FORMAT: &str = "waystation-export-v1";
/// The path a batch is posted to; an export file is signed as if posted there.
pub const BATCH_PATH: &str = "/v1/batches";
/// The path of the signed resource bundle.
pub const BUNDLE_PATH: &str = "/v1/bundle";
/// The path an export file can be posted to (the hub's `import` command does the same).
pub const IMPORT_PATH: &str = "/v1/imports";
/// The record kind of a worker's call for station staff. A kiosk sends these before anything
/// else; the hub passes each one on to the centre's webhook once and says so in the reply
/// ([`RecordResult::forwarded`]).
pub const STAFF_ALERT_KIND: &str = "staff_alert";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WireError {
    #[error("not a valid batch: {0}")]
    Json(String),
    #[error("protocol version {0} is not supported (this hub speaks {PROTOCOL_VERSION})")]
    Version(u32),
    #[error("batch holds {0} records, more than {MAX_BATCH_RECORDS}")]
    TooMany(usize),
    #[error("batch is empty")]
    Empty,
    #[error("not an export file: {0}")]
    Export(String),
}

/// One reading of a kiosk's clocks: wall time, whether NTP had set it, and the boot it was
/// taken in with the time since that boot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockStamp {
    pub wall_ms: i64,
    pub synced: bool,
    pub boot_id: String,
    pub monotonic_ms: i64,
}

/// One record as it travels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WireRecord {
    /// The record's permanent id (a random UUIDv4; older kiosks sent UUIDv7s), with the
    /// device id the key the hub deduplicates on forever.
    pub id: String,
    /// The kiosk's sequence number for the record: its order, with no holes.
    pub seq: i64,
    pub kind: String,
    pub schema_version: u32,
    /// The day (Asia/Shanghai) by the kiosk's clock when the record was made.
    pub day: String,
    /// Base64 of the sealed [`SealedBody`].
    pub sealed: String,
}

/// What is inside a sealed record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SealedBody {
    pub created: ClockStamp,
    pub payload: serde_json::Value,
}

/// What a kiosk posts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Batch {
    pub protocol: u32,
    pub device_id: String,
    /// The kiosk's clocks when it sent (or exported) the batch, so that the hub can place
    /// records made before the clock was set.
    pub sent: ClockStamp,
    pub records: Vec<WireRecord>,
}

impl Batch {
    /// Parses and checks the parts every record shares. Problems with one record are for the
    /// hub to report per record, so that one bad record never blocks the others.
    pub fn parse(body: &[u8]) -> Result<Batch, WireError> {
        let batch: Batch =
            serde_json::from_slice(body).map_err(|e| WireError::Json(e.to_string()))?;
        if batch.protocol != PROTOCOL_VERSION {
            return Err(WireError::Version(batch.protocol));
        }
        if batch.records.is_empty() {
            return Err(WireError::Empty);
        }
        if batch.records.len() > MAX_BATCH_RECORDS {
            return Err(WireError::TooMany(batch.records.len()));
        }
        Ok(batch)
    }
}

/// What became of one record at the hub.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// Stored now.
    Stored,
    /// Already stored before (a resend); as good as stored.
    Duplicate,
    /// Can never be stored as sent (it does not open, or its id or day is malformed). The kiosk
    /// sets it aside with the reason, for staff to see; it never blocks the others. A kind the
    /// hub does not know yet is stored, not rejected: a newer kiosk may send it.
    Rejected { reason: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordResult {
    pub id: String,
    #[serde(flatten)]
    pub outcome: Outcome,
    /// For a [`STAFF_ALERT_KIND`] record only: whether the hub passed the alert on to the
    /// centre's webhook (now, or when the record first arrived, for a duplicate). Absent for
    /// every other record, and from hubs that predate alerts, so both sides stay compatible:
    /// a kiosk treats an absent value as "not forwarded".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forwarded: Option<bool>,
}

/// The hub's answer to a batch: one result for every record, in the batch's order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchReply {
    pub results: Vec<RecordResult>,
}

/// A batch frozen to a file: exactly the body and signature a kiosk would have posted to
/// [`BATCH_PATH`], so that the hub checks it the same way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportFile {
    pub format: String,
    pub device_id: String,
    /// The batch JSON, as the exact bytes that were signed.
    pub batch: String,
    pub signature: String,
}

impl ExportFile {
    pub fn parse(text: &[u8]) -> Result<ExportFile, WireError> {
        let file: ExportFile =
            serde_json::from_slice(text).map_err(|e| WireError::Export(e.to_string()))?;
        if file.format != EXPORT_FORMAT {
            return Err(WireError::Export(format!(
                "format is {:?}, not {EXPORT_FORMAT:?}",
                file.format
            )));
        }
        Ok(file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp() -> ClockStamp {
        ClockStamp {
            wall_ms: 1,
            synced: true,
            boot_id: "b".into(),
            monotonic_ms: 2,
        }
    }

    fn record() -> WireRecord {
        WireRecord {
            id: "0190a7c4-0000-7000-8000-000000000001".into(),
            seq: 1,
            kind: "mood_check_in".into(),
            schema_version: 1,
            day: "2026-11-28".into(),
            sealed: "AAAA".into(),
        }
    }

    #[test]
    fn a_batch_round_trips_and_bad_ones_are_refused() {
        let batch = Batch {
            protocol: PROTOCOL_VERSION,
            device_id: "ws-1".into(),
            sent: stamp(),
            records: vec![record()],
        };
        let body = serde_json::to_vec(&batch).unwrap();
        assert_eq!(Batch::parse(&body).unwrap(), batch);

        let old = Batch {
            protocol: 0,
            ..batch.clone()
        };
        assert_eq!(
            Batch::parse(&serde_json::to_vec(&old).unwrap()),
            Err(WireError::Version(0))
        );
        let empty = Batch {
            records: vec![],
            ..batch.clone()
        };
        assert_eq!(
            Batch::parse(&serde_json::to_vec(&empty).unwrap()),
            Err(WireError::Empty)
        );
        let big = Batch {
            records: vec![record(); MAX_BATCH_RECORDS + 1],
            ..batch.clone()
        };
        assert_eq!(
            Batch::parse(&serde_json::to_vec(&big).unwrap()),
            Err(WireError::TooMany(MAX_BATCH_RECORDS + 1))
        );
        assert!(matches!(
            Batch::parse(b"{\"protocol\":1"),
            Err(WireError::Json(_))
        ));
        let extra = String::from_utf8(body)
            .unwrap()
            .replacen('{', "{\"name\":\"x\",", 1);
        assert!(matches!(
            Batch::parse(extra.as_bytes()),
            Err(WireError::Json(_))
        ));
    }

    #[test]
    fn outcomes_are_flat_json() {
        let reply = BatchReply {
            results: vec![
                RecordResult {
                    id: "a".into(),
                    outcome: Outcome::Stored,
                    forwarded: None,
                },
                RecordResult {
                    id: "b".into(),
                    outcome: Outcome::Rejected {
                        reason: "unknown kind".into(),
                    },
                    forwarded: None,
                },
            ],
        };
        let text = serde_json::to_string(&reply).unwrap();
        assert_eq!(
            text,
            r#"{"results":[{"id":"a","outcome":"stored"},{"id":"b","outcome":"rejected","reason":"unknown kind"}]}"#
        );
        assert_eq!(serde_json::from_str::<BatchReply>(&text).unwrap(), reply);
    }

    #[test]
    fn forwarded_is_optional_both_ways() {
        // A hub that forwards says so for an alert; an older kiosk's reading ignores it.
        let text = r#"{"results":[{"id":"a","outcome":"stored","forwarded":true},{"id":"b","outcome":"duplicate","forwarded":false},{"id":"c","outcome":"stored"}]}"#;
        let reply: BatchReply = serde_json::from_str(text).unwrap();
        let forwarded: Vec<Option<bool>> = reply.results.iter().map(|r| r.forwarded).collect();
        assert_eq!(forwarded, [Some(true), Some(false), None]);
        assert_eq!(reply.results[1].outcome, Outcome::Duplicate);
        assert_eq!(serde_json::to_string(&reply).unwrap(), text);

        /// The reply as a kiosk from before alerts read it.
        #[derive(Deserialize)]
        struct OldResult {
            #[allow(dead_code)]
            id: String,
            #[serde(flatten)]
            outcome: Outcome,
        }
        #[derive(Deserialize)]
        struct OldReply {
            results: Vec<OldResult>,
        }
        let old: OldReply = serde_json::from_str(text).unwrap();
        assert_eq!(old.results[0].outcome, Outcome::Stored);
        assert_eq!(old.results[1].outcome, Outcome::Duplicate);
    }
}
