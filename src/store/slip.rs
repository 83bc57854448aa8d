//! Storing print attempts. A slip that printed adds to its day's counts (normal or crisis,
//! and the lines and services it carried); a slip's number is stored nowhere. A printer fault
//! is an operational `printer_fault` record (the printer's status and the reason, nothing
//! about the slip). The day's paper use and the printer's last status are kept for staff.

use super::begin_write;
use waystation_protocol::Metric;

use super::counts::Count;
use super::{NewRecord, RecordKind, RecordStamp, Store, StoreError};
use crate::printer::PrintOutcome;
use crate::slip::Slip;
use crate::station_time::day_string;

/// What a printed slip adds to its day: one slip, normal or crisis, and one for each line and
/// service it carried (by number, or by name where a service has none).
pub fn printed_counts(slip: &Slip) -> Vec<Count> {
    let kind = if slip.crisis { "crisis" } else { "normal" };
    let mut counts = vec![Count::new(Metric::Slip, &[kind])];
    for line in slip.lines.iter().chain(&slip.services) {
        let entry = if line.number.is_empty() {
            &line.name
        } else {
            &line.number
        };
        counts.push(Count::new(Metric::SlipEntry, &[entry]));
    }
    counts
}

/// Records one print attempt: its counts when it printed, a `printer_fault` record when the
/// printer was not ready or failed, and the paper use, in one transaction.
pub fn commit_print(
    store: &mut Store,
    stamp: RecordStamp,
    slip: &Slip,
    outcome: &PrintOutcome,
    paper_mm: f32,
) -> Result<(), StoreError> {
    commit_job(store, stamp, &printed_counts(slip), outcome, paper_mm)
}

/// Records the print attempt of a tree-hole page: `writing printed` when it printed, and the
/// printer's fault and paper use as for a slip. Nothing of the page: it is not even passed in.
pub fn commit_page_print(
    store: &mut Store,
    stamp: RecordStamp,
    outcome: &PrintOutcome,
    paper_mm: f32,
) -> Result<(), StoreError> {
    let counts = [Count::new(Metric::Writing, &["printed"])];
    commit_job(store, stamp, &counts, outcome, paper_mm)
}

/// One print attempt, whatever was printed: `counts` when it printed.
fn commit_job(
    store: &mut Store,
    stamp: RecordStamp,
    counts: &[Count],
    outcome: &PrintOutcome,
    paper_mm: f32,
) -> Result<(), StoreError> {
    let day = day_string(stamp.clock.wall);
    let wall = stamp.clock.wall;
    let wall_ms = wall.timestamp_millis();
    let printed = outcome.printed();
    let (status, fault) = match outcome {
        PrintOutcome::Printed { after } => (after.name(), None),
        PrintOutcome::NoPrinter => ("unknown", None),
        PrintOutcome::NotReady(s) => (s.name(), Some(s.name().to_string())),
        PrintOutcome::Failed(reason) => ("unknown", Some(reason.clone())),
    };
    let paper = if printed { f64::from(paper_mm) } else { 0.0 };
    let local = |tx: &rusqlite::Transaction<'_>| -> rusqlite::Result<()> {
        tx.execute(
            "INSERT INTO printer_daily (day, jobs, paper_mm, faults) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (day) DO UPDATE SET jobs = jobs + ?2, paper_mm = paper_mm + ?3, faults = faults + ?4",
            rusqlite::params![day, printed as i64, paper, fault.is_some() as i64],
        )?;
        // The last status for the staff screen. Only a fault keeps its time (for "paper out
        // since"): the time of a slip that printed is kept nowhere.
        tx.execute(
            "INSERT INTO printer_last (id, status, fault, wall_ms) VALUES (1, ?1, ?2, ?3)
             ON CONFLICT (id) DO UPDATE SET status = ?1, fault = COALESCE(?2, fault),
                wall_ms = CASE WHEN ?2 IS NULL THEN wall_ms ELSE ?3 END",
            rusqlite::params![status, fault, if fault.is_some() { wall_ms } else { 0 }],
        )?;
        if printed {
            super::counts::add(tx, wall, counts)?;
        }
        Ok(())
    };
    match &fault {
        Some(reason) => {
            let record = NewRecord {
                kind: RecordKind::PrinterFault,
                stamp,
                payload: serde_json::json!({ "status": status, "reason": reason }),
            };
            store.commit_record(&record, local)?;
        }
        None => {
            let err = store.sqlite_error_fn();
            let tx = begin_write(&mut store.conn).map_err(&err)?;
            local(&tx).map_err(&err)?;
            tx.commit().map_err(&err)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, FakeClock};
    use crate::printer::PrinterStatus;

    fn holds(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn a_printed_slip_is_counted_and_a_fault_is_an_operational_record_without_the_slip() {
        let clock = FakeClock::new(
            chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap(),
            true,
        );
        let slip = Slip::new(
            crate::language::Language::Chinese,
            "站",
            None,
            true,
            &crate::kiosk::emergency::builtin(),
            "ABC123".into(),
        );
        let mut store = Store::open_in_memory().unwrap();
        let day = day_string(clock.read().wall);
        commit_print(
            &mut store,
            RecordStamp::now(&clock, &crate::entropy::FakeEntropy::new(1)).unwrap(),
            &slip,
            &PrintOutcome::Printed {
                after: PrinterStatus::Ready,
            },
            112.4,
        )
        .unwrap();
        assert_eq!(store.outbox_counts().unwrap().total(), 0);
        assert_eq!(
            store.day_counts(&day).unwrap(),
            [
                ("slip".into(), "crisis".into(), 1),
                ("slip_entry".into(), "12351".into(), 1),
                ("slip_entry".into(), "12356".into(), 1),
            ]
        );
        commit_print(
            &mut store,
            RecordStamp::now(&clock, &crate::entropy::FakeEntropy::new(2)).unwrap(),
            &slip,
            &PrintOutcome::NotReady(PrinterStatus::PaperOut),
            112.4,
        )
        .unwrap();
        let payload: Vec<u8> = store
            .connection()
            .query_row(
                "SELECT payload FROM outbox WHERE kind = 'printer_fault'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        let json: serde_json::Value = serde_json::from_slice(&payload).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"status": "paper out", "reason": "paper out"})
        );
        assert!(!holds(&payload, b"ABC123") && !holds(&payload, b"12356"));
        // The failed attempt added no slip to the day.
        assert_eq!(
            store.day_counts(&day).unwrap()[0],
            ("slip".into(), "crisis".into(), 1)
        );
        let (jobs, mm, faults): (i64, f64, i64) = store
            .connection()
            .query_row(
                "SELECT jobs, paper_mm, faults FROM printer_daily",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!((jobs, faults), (1, 1));
        assert!((mm - 112.4).abs() < 0.01);
    }
}
