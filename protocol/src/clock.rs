//! Placing records in time when the kiosk's clock was wrong.
//!
//! A Raspberry Pi has no real-time clock: until NTP sets it, it may think it is 1970. Every
//! record carries its boot id and the time since boot; every batch carries the kiosk's clocks
//! at sending. Within one boot the time since boot is exact, so a record made before the clock
//! was set can be placed from a later reading of the same boot that is known to be right.

use crate::wire::ClockStamp;

/// Where a record's corrected time came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeSource {
    /// The kiosk's clock was set when the record was made.
    Synced,
    /// Placed from the batch's reading, taken in the same boot after the clock was set.
    Batch,
    /// Placed from the hub's own clock when the batch arrived, in the same boot; off by the
    /// network delay at most.
    HubReceipt,
    /// Made in an earlier boot before the clock was set: its time cannot be known. The
    /// kiosk's wall time is kept as it was; the order (by sequence number) is still right.
    Unknown,
}

/// The best wall time (ms since the epoch) for a record. `hub_received_ms` is the hub's own
/// clock when the batch arrived over the network; `None` for a batch imported from a file,
/// whose arrival says nothing about when it was made.
pub fn corrected_time(
    record: &ClockStamp,
    batch: &ClockStamp,
    hub_received_ms: Option<i64>,
) -> (i64, TimeSource) {
    if record.synced {
        return (record.wall_ms, TimeSource::Synced);
    }
    if record.boot_id == batch.boot_id && batch.monotonic_ms >= record.monotonic_ms {
        // Checked, because the readings come from the kiosk: ones no real clock gives (a
        // damaged kiosk's) would overflow. A time that cannot be worked out stays unknown.
        let elapsed = batch.monotonic_ms.checked_sub(record.monotonic_ms);
        let placed = |at: i64| elapsed.and_then(|elapsed| at.checked_sub(elapsed));
        if batch.synced {
            if let Some(at) = placed(batch.wall_ms) {
                return (at, TimeSource::Batch);
            }
        } else if let Some(at) = hub_received_ms.and_then(placed) {
            return (at, TimeSource::HubReceipt);
        }
    }
    (record.wall_ms, TimeSource::Unknown)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(wall_ms: i64, synced: bool, boot: &str, monotonic_ms: i64) -> ClockStamp {
        ClockStamp {
            wall_ms,
            synced,
            boot_id: boot.into(),
            monotonic_ms,
        }
    }

    const NOV_2026: i64 = 1_795_000_000_000;

    #[test]
    fn a_synced_record_keeps_its_time() {
        let record = stamp(NOV_2026, true, "a", 5_000);
        assert_eq!(
            corrected_time(&record, &stamp(0, false, "b", 1), Some(9)),
            (NOV_2026, TimeSource::Synced)
        );
    }

    #[test]
    fn a_record_from_1970_is_placed_from_a_later_synced_reading_of_the_same_boot() {
        // Made 10 s after boot while the clock said 1970; sent 70 s after boot, clock now set.
        let record = stamp(10_000, false, "a", 10_000);
        let batch = stamp(NOV_2026, true, "a", 70_000);
        assert_eq!(
            corrected_time(&record, &batch, Some(NOV_2026 + 500)),
            (NOV_2026 - 60_000, TimeSource::Batch)
        );
    }

    #[test]
    fn without_a_synced_batch_the_hub_receipt_places_it_and_an_import_cannot() {
        let record = stamp(10_000, false, "a", 10_000);
        let batch = stamp(70_000, false, "a", 70_000);
        assert_eq!(
            corrected_time(&record, &batch, Some(NOV_2026)),
            (NOV_2026 - 60_000, TimeSource::HubReceipt)
        );
        assert_eq!(
            corrected_time(&record, &batch, None),
            (10_000, TimeSource::Unknown)
        );
    }

    #[test]
    fn readings_that_would_overflow_are_left_unknown_not_a_panic() {
        // Found by the `clock` fuzz target: a monotonic reading of i64::MIN made the
        // subtraction overflow (a panic in debug builds, a wrapped time in release builds).
        let record = stamp(10_000, false, "a", i64::MIN);
        for batch in [
            stamp(NOV_2026, true, "a", 70_000),
            stamp(0, false, "a", 70_000),
        ] {
            assert_eq!(
                corrected_time(&record, &batch, Some(NOV_2026)),
                (10_000, TimeSource::Unknown)
            );
        }
        // The subtraction of the elapsed time itself overflowing is caught the same way.
        let record = stamp(10_000, false, "a", 0);
        let batch = stamp(i64::MIN, true, "a", 1);
        assert_eq!(
            corrected_time(&record, &batch, None),
            (10_000, TimeSource::Unknown)
        );
        assert_eq!(
            corrected_time(&record, &stamp(0, false, "a", 1), Some(i64::MIN)),
            (10_000, TimeSource::Unknown)
        );
    }

    #[test]
    fn an_earlier_boot_cannot_be_placed() {
        let record = stamp(10_000, false, "a", 10_000);
        let batch = stamp(NOV_2026, true, "b", 70_000);
        assert_eq!(
            corrected_time(&record, &batch, Some(NOV_2026)),
            (10_000, TimeSource::Unknown)
        );
        // A monotonic reading that went backwards means a different boot in disguise.
        let backwards = stamp(NOV_2026, true, "a", 5_000);
        assert_eq!(
            corrected_time(&record, &backwards, Some(NOV_2026)),
            (10_000, TimeSource::Unknown)
        );
    }
}
