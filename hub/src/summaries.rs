//! Day summaries (issue 16): a station's anonymous totals over whole days, the only record
//! about workers that a kiosk uploads (`waystation_protocol::summary`).
//!
//! The hub checks a summary as the kiosk did before sealing it, so that a summary that could
//! describe one person (too few visits) is refused here too, and it keeps nothing about a
//! summary finer than a day: the record's row holds the Shanghai midnight of its arrival and
//! of its corrected time, and the kiosk's clock stamp is cut down to its day, whatever the
//! kiosk sent.

use serde::Deserialize;
use waystation_protocol::ClockStamp;
use waystation_protocol::summary::{DAY_SUMMARY_KIND, DAY_SUMMARY_VERSION, DaySummary};

use crate::station_time::midnight;
use crate::storage::NewRecord;

/// Whether a record is a day summary. Every schema version counts: a newer kiosk's summary is
/// stored as it came, but still kept to a day.
pub(crate) fn is_summary(kind: &str) -> bool {
    kind == DAY_SUMMARY_KIND
}

/// The summary a record carries, checked. `Ok(None)` for a record of another kind, and for a
/// summary of a schema version this hub cannot read (stored like a kind it does not know, as a
/// newer kiosk may send one). The error is the one-line reason the kiosk is told.
pub(crate) fn summary_of(record: &NewRecord) -> Result<Option<DaySummary>, String> {
    if !is_summary(&record.kind) || record.schema_version != DAY_SUMMARY_VERSION {
        return Ok(None);
    }
    let summary = DaySummary::deserialize(&record.payload)
        .map_err(|e| one_line(format!("the day summary is not valid: {e}")))?;
    summary
        .check()
        .map_err(|e| one_line(format!("the day summary fails its check: {e}")))?;
    Ok(Some(summary))
}

/// The record with no time finer than a day left in it: the hub's arrival time and the
/// corrected time become the Shanghai midnight that began their day, and the kiosk's stamp
/// keeps only its day. A kiosk that follows the protocol sends a stamp like that already (a
/// midnight, no boot id, no time since boot); one that does not must still not put a time of
/// day into the hub's tables.
pub(crate) fn to_day(record: NewRecord) -> NewRecord {
    NewRecord {
        received_ms: midnight(record.received_ms),
        corrected_ms: midnight(record.corrected_ms),
        created: ClockStamp {
            wall_ms: midnight(record.created.wall_ms),
            synced: record.created.synced,
            boot_id: String::new(),
            monotonic_ms: 0,
        },
        ..record
    }
}

/// Reasons travel to the kiosk as one line.
fn one_line(reason: String) -> String {
    reason.replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use waystation_protocol::TimeSource;

    use crate::storage::Via;

    /// 2026-11-18 19:06:40 in Shanghai.
    const NOV_2026: i64 = 1_795_000_000_000;
    /// 2026-11-18 00:00 in Shanghai (2026-11-17 16:00 UTC).
    const NOV_18_MIDNIGHT: i64 = 1_794_931_200_000;

    fn record(kind: &str, schema_version: u32, payload: serde_json::Value) -> NewRecord {
        NewRecord {
            id: "a".into(),
            device_id: "ws-0011223344556677".into(),
            seq: 1,
            kind: kind.into(),
            schema_version,
            day: "2026-11-19".into(),
            payload,
            created: ClockStamp {
                wall_ms: NOV_2026,
                synced: true,
                boot_id: "boot".into(),
                monotonic_ms: 5_000,
            },
            received_ms: NOV_2026 + 1,
            corrected_ms: NOV_2026,
            time_source: TimeSource::Synced,
            via: Via::Network,
        }
    }

    fn payload(visits: u64) -> serde_json::Value {
        json!({
            "first_day": "2026-11-17",
            "last_day": "2026-11-18",
            "counts": { "visit": { "started": visits }, "band": { "phq9/mild": 3 } },
        })
    }

    #[test]
    fn a_summary_is_read_and_checked_and_other_records_are_left_alone() {
        let good = summary_of(&record(DAY_SUMMARY_KIND, 1, payload(11))).unwrap();
        assert_eq!(good.map(|s| s.visits()), Some(11));
        let too_few = summary_of(&record(DAY_SUMMARY_KIND, 1, payload(10))).unwrap_err();
        assert!(too_few.contains("10 visits"), "{too_few}");
        let mut extra = payload(11);
        extra["station"] = json!("jingan-1");
        let unknown_field = summary_of(&record(DAY_SUMMARY_KIND, 1, extra)).unwrap_err();
        assert!(unknown_field.contains("station"), "{unknown_field}");
        // Not summaries this hub reads: another kind, or a newer schema version.
        assert_eq!(summary_of(&record("heartbeat", 1, json!(1))), Ok(None));
        assert_eq!(summary_of(&record(DAY_SUMMARY_KIND, 2, json!(1))), Ok(None));
    }

    #[test]
    fn a_summary_record_keeps_only_its_days() {
        let day = to_day(record(DAY_SUMMARY_KIND, 1, payload(11)));
        assert_eq!(day.received_ms, NOV_18_MIDNIGHT);
        assert_eq!(day.corrected_ms, NOV_18_MIDNIGHT);
        assert_eq!(
            day.created,
            ClockStamp {
                wall_ms: NOV_18_MIDNIGHT,
                synced: true,
                boot_id: String::new(),
                monotonic_ms: 0,
            }
        );
        assert_eq!(day.payload, payload(11));
    }
}
