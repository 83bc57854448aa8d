//! Storing self-checks: one outbox record each, and for completed ones the station's per-day
//! count, in the same transaction.

use chrono_tz::Asia::Shanghai;

use super::{NewRecord, RecordKind, RecordStamp, Store, StoreError};
use crate::screening::Score;
use crate::screening::flow::Abandoned;

/// The payload of a `screening_completed` record. No identity: the instrument, the answers
/// and what they add up to.
pub fn completed_payload(score: &Score) -> serde_json::Value {
    serde_json::json!({
        "instrument": score.instrument,
        "instrument_version": score.version,
        "answers": score.answers,
        "total": score.total,
        "band": score.band,
        "crisis": score.crisis,
        "refer": score.refer,
    })
}

/// Commits a completed self-check and counts it for its day (in Shanghai time).
pub fn commit_completed(
    store: &mut Store,
    stamp: RecordStamp,
    score: &Score,
) -> Result<i64, StoreError> {
    let day = stamp
        .clock
        .wall
        .with_timezone(&Shanghai)
        .date_naive()
        .to_string();
    let record = NewRecord {
        kind: RecordKind::ScreeningCompleted,
        stamp,
        payload: completed_payload(score),
    };
    let (_, seq) = store.commit_record(&record, |tx| {
        tx.execute(
            "INSERT INTO screening_daily (day, instrument, band, completed) VALUES (?1, ?2, ?3, 1)
             ON CONFLICT (day, instrument, band) DO UPDATE SET completed = completed + 1",
            rusqlite::params![day, score.instrument, score.band],
        )
    })?;
    Ok(seq)
}

/// Commits a self-check left before its end: only which instrument and how far.
pub fn commit_abandoned(
    store: &mut Store,
    stamp: RecordStamp,
    left: &Abandoned,
) -> Result<i64, StoreError> {
    let record = NewRecord {
        kind: RecordKind::ScreeningAbandoned,
        stamp,
        payload: serde_json::json!({
            "instrument": left.instrument,
            "instrument_version": left.version,
            "reached": left.reached,
        }),
    };
    Ok(store.commit_record(&record, |_| Ok(()))?.1)
}

/// Completed self-checks on one day, by instrument and band.
pub fn daily_counts(store: &Store, day: &str) -> Result<Vec<(String, String, u64)>, StoreError> {
    let read = || -> rusqlite::Result<Vec<(String, String, u64)>> {
        let mut stmt = store.connection().prepare(
            "SELECT instrument, band, completed FROM screening_daily WHERE day = ?1 ORDER BY instrument, band",
        )?;
        let rows = stmt.query_map([day], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)?.max(0) as u64))
        })?;
        rows.collect()
    };
    read().map_err(|source| StoreError::Sqlite {
        path: store.label.clone(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, FakeClock};
    use crate::screening::{Catalogue, score};

    fn stamp(clock: &FakeClock, n: u128) -> RecordStamp {
        RecordStamp {
            id: uuid::Uuid::from_u128(n),
            clock: clock.read(),
        }
    }

    #[test]
    fn a_completed_check_is_one_record_and_one_count_on_its_shanghai_day() {
        // 2026-11-28 17:30 UTC is already 2026-11-29 in Shanghai.
        let clock = FakeClock::new(
            chrono::DateTime::parse_from_rfc3339("2026-11-28T17:30:00Z")
                .unwrap()
                .into(),
            true,
        );
        let catalogue = Catalogue::builtin();
        let phq9 = catalogue.get("phq9").unwrap();
        let result = score(phq9, &[1, 1, 1, 1, 1, 1, 1, 1, 1], Some(10)).unwrap();
        let mut store = Store::open_in_memory().unwrap();
        commit_completed(&mut store, stamp(&clock, 1), &result).unwrap();
        commit_completed(&mut store, stamp(&clock, 2), &result).unwrap();
        assert_eq!(
            daily_counts(&store, "2026-11-29").unwrap(),
            [("phq9".into(), "mild".into(), 2)]
        );
        assert!(daily_counts(&store, "2026-11-28").unwrap().is_empty());
        assert_eq!(store.outbox_counts().unwrap().pending, 2);
        let payload: Vec<u8> = store
            .connection()
            .query_row(
                "SELECT payload FROM outbox WHERE kind = 'screening_completed' LIMIT 1",
                [],
                |r| r.get(0),
            )
            .unwrap();
        let json: serde_json::Value = serde_json::from_slice(&payload).unwrap();
        assert_eq!(
            json["answers"],
            serde_json::json!([1, 1, 1, 1, 1, 1, 1, 1, 1])
        );
        assert_eq!(json["crisis"], true);
        assert_eq!(json["band"], "mild");
    }

    #[test]
    fn a_count_and_its_record_fail_together() {
        let clock = FakeClock::new(
            chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap(),
            true,
        );
        let catalogue = Catalogue::builtin();
        let result = score(catalogue.get("gad7").unwrap(), &[0; 7], Some(10)).unwrap();
        let mut store = Store::open_in_memory().unwrap();
        commit_completed(&mut store, stamp(&clock, 5), &result).unwrap();
        // The same record id again: the outbox refuses it, so the count must not grow either.
        assert!(commit_completed(&mut store, stamp(&clock, 5), &result).is_err());
        let day = clock
            .read()
            .wall
            .with_timezone(&Shanghai)
            .date_naive()
            .to_string();
        assert_eq!(daily_counts(&store, &day).unwrap()[0].2, 1);
    }

    #[test]
    fn an_abandoned_check_keeps_no_answers() {
        let clock = FakeClock::new(
            chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap(),
            true,
        );
        let mut store = Store::open_in_memory().unwrap();
        let left = Abandoned {
            instrument: "phq9".into(),
            version: 1,
            reached: 4,
        };
        commit_abandoned(&mut store, stamp(&clock, 9), &left).unwrap();
        let payload: Vec<u8> = store
            .connection()
            .query_row("SELECT payload FROM outbox", [], |r| r.get(0))
            .unwrap();
        let json: serde_json::Value = serde_json::from_slice(&payload).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"instrument": "phq9", "instrument_version": 1, "reached": 4})
        );
    }
}
