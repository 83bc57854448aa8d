//! Storing print attempts: one `slip_printed` record each (never the person's answers), and
//! the day's paper use and faults, in one transaction.

use super::mood::shanghai_day;
use super::{NewRecord, RecordKind, RecordStamp, Store, StoreError};
use crate::printer::PrintOutcome;
use crate::slip::Slip;

/// Records one print attempt and its paper use (`paper_mm` counts only when it printed).
pub fn commit_print(
    store: &mut Store,
    stamp: RecordStamp,
    slip: &Slip,
    outcome: &PrintOutcome,
    paper_mm: f32,
) -> Result<(), StoreError> {
    let day = shanghai_day(stamp.clock.wall);
    let (result, status) = match outcome {
        PrintOutcome::Printed { after } => ("printed", after.name()),
        PrintOutcome::NotReady(s) => ("not_ready", s.name()),
        PrintOutcome::Failed(_) => ("failed", "unknown"),
        PrintOutcome::NoPrinter => ("no_printer", "unknown"),
    };
    let printed = outcome.printed();
    let record = NewRecord {
        kind: RecordKind::SlipPrinted,
        stamp,
        payload: serde_json::json!({
            "lines": slip.lines.iter().map(|l| l.number.as_str()).collect::<Vec<_>>(),
            "crisis": slip.crisis,
            "code": slip.code,
            "result": result,
            "printer_status": status,
            "paper_mm": if printed { (f64::from(paper_mm) * 10.0).round() / 10.0 } else { 0.0 },
        }),
    };
    let wall_ms = record.stamp.clock.wall.timestamp_millis();
    let fault = match outcome {
        PrintOutcome::Printed { .. } | PrintOutcome::NoPrinter => None,
        PrintOutcome::NotReady(s) => Some(s.name().to_string()),
        PrintOutcome::Failed(reason) => Some(reason.clone()),
    };
    store.commit_record(&record, |tx| {
        tx.execute(
            "INSERT INTO printer_daily (day, jobs, paper_mm, faults) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (day) DO UPDATE SET jobs = jobs + ?2, paper_mm = paper_mm + ?3, faults = faults + ?4",
            rusqlite::params![day, printed as i64, if printed { paper_mm as f64 } else { 0.0 }, (!printed) as i64],
        )?;
        // The last status for the staff screen; a fault is kept until a later one replaces it.
        tx.execute(
            "INSERT INTO printer_last (id, status, fault, wall_ms) VALUES (1, ?1, ?2, ?3)
             ON CONFLICT (id) DO UPDATE SET status = ?1, fault = COALESCE(?2, fault), wall_ms = ?3",
            rusqlite::params![status, fault, wall_ms],
        )
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FakeClock;
    use crate::printer::PrinterStatus;

    #[test]
    fn a_print_attempt_records_the_lines_and_the_outcome_never_answers() {
        let clock = FakeClock::new(
            chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap(),
            true,
        );
        let slip = Slip::new(
            crate::kiosk::Language::Chinese,
            "站",
            None,
            true,
            &crate::kiosk::emergency::builtin(),
            "ABC123".into(),
        );
        let mut store = Store::open_in_memory().unwrap();
        commit_print(
            &mut store,
            RecordStamp::now(&clock),
            &slip,
            &PrintOutcome::Printed {
                after: PrinterStatus::Ready,
            },
            112.4,
        )
        .unwrap();
        commit_print(
            &mut store,
            RecordStamp::now(&clock),
            &slip,
            &PrintOutcome::NotReady(PrinterStatus::PaperOut),
            112.4,
        )
        .unwrap();
        let payload: Vec<u8> = store
            .connection()
            .query_row("SELECT payload FROM outbox ORDER BY seq LIMIT 1", [], |r| {
                r.get(0)
            })
            .unwrap();
        let json: serde_json::Value = serde_json::from_slice(&payload).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"lines": ["12356", "12351"], "crisis": true, "code": "ABC123", "result": "printed", "printer_status": "ready", "paper_mm": 112.4})
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
