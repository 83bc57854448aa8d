//! The hub's clock correction on any readings a kiosk could send, in and outside the range
//! real clocks give: the hub's ingest (hub_ingest) reaches it only through JSON, where the
//! fuzzer seldom composes the extreme numbers that matter here, so this target hands it the
//! numbers directly.

#![no_main]

use libfuzzer_sys::fuzz_target;
use waystation_protocol::{ClockStamp, TimeSource, corrected_time};

type Reading = (i64, bool, bool, i64);

fn stamp((wall_ms, synced, boot_a, monotonic_ms): Reading) -> ClockStamp {
    ClockStamp {
        wall_ms,
        synced,
        // Two boots only, so that the same boot comes up half the time.
        boot_id: if boot_a { "a" } else { "b" }.into(),
        monotonic_ms,
    }
}

fuzz_target!(|input: (Reading, Reading, Option<i64>)| {
    let (record, batch) = (stamp(input.0), stamp(input.1));
    let (at, source) = corrected_time(&record, &batch, input.2);
    // Where the time came from decides what it must be, computed here without overflow.
    let elapsed = i128::from(batch.monotonic_ms) - i128::from(record.monotonic_ms);
    match source {
        TimeSource::Synced => assert!(record.synced && at == record.wall_ms),
        TimeSource::Batch => {
            assert!(batch.synced && record.boot_id == batch.boot_id && elapsed >= 0);
            assert_eq!(i128::from(at), i128::from(batch.wall_ms) - elapsed);
        }
        TimeSource::HubReceipt => {
            let received = input.2.expect("a receipt time was given");
            assert!(!batch.synced && record.boot_id == batch.boot_id && elapsed >= 0);
            assert_eq!(i128::from(at), i128::from(received) - elapsed);
        }
        TimeSource::Unknown => assert_eq!(at, record.wall_ms),
    }
});
