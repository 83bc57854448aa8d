//! Storing mood check-ins: the outbox record and the day's counts in one transaction, the
//! personal trend rows (local only, keyed by a code's salted hash), and the week's counts.

use chrono::{DateTime, Utc};
use chrono_tz::Asia::Shanghai;
use rusqlite::OptionalExtension;

use super::{NewRecord, RecordKind, RecordStamp, Store, StoreError};
use crate::mood::week::WeekCounts;
use crate::mood::{CheckIn, Quadrant, TrendPoint};

/// How many check-ins a personal code keeps; older ones are deleted as new ones come.
pub const PERSONAL_KEPT: usize = 12;

/// The Shanghai calendar day of a moment, as `YYYY-MM-DD`.
pub fn shanghai_day(at: DateTime<Utc>) -> String {
    at.with_timezone(&Shanghai).date_naive().to_string()
}

fn sqlite(store: &Store) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
    |source| StoreError::Sqlite {
        path: store.label.clone(),
        source,
    }
}

/// Commits a check-in: the outbox record, the day's counts, and (when the worker entered a
/// personal code) the trend row, all or nothing. Returns the record's id.
pub fn commit_check_in(
    store: &mut Store,
    stamp: RecordStamp,
    check_in: &CheckIn,
    personal: Option<&[u8; 32]>,
) -> Result<uuid::Uuid, StoreError> {
    let day = shanghai_day(stamp.clock.wall);
    let id = stamp.id;
    let record = NewRecord {
        kind: RecordKind::MoodCheckIn,
        stamp,
        payload: serde_json::json!({
            "quadrant": check_in.quadrant,
            "pleasantness": check_in.pleasantness,
            "energy": check_in.energy,
            "word": check_in.word,
            "tags": check_in.tags,
        }),
    };
    store.commit_record(&record, |tx| {
        tx.execute(
            "INSERT INTO mood_daily (day, quadrant, word, count) VALUES (?1, ?2, ?3, 1)
             ON CONFLICT (day, quadrant, word) DO UPDATE SET count = count + 1",
            rusqlite::params![day, check_in.quadrant.id(), check_in.word],
        )?;
        for tag in &check_in.tags {
            tx.execute(
                "INSERT INTO mood_tag_daily (day, tag, count) VALUES (?1, ?2, 1)
                 ON CONFLICT (day, tag) DO UPDATE SET count = count + 1",
                rusqlite::params![day, tag],
            )?;
        }
        if let Some(hash) = personal {
            insert_personal(tx, hash, &day, check_in)?;
        }
        Ok(())
    })?;
    Ok(id)
}

fn insert_personal(
    tx: &rusqlite::Connection,
    hash: &[u8; 32],
    day: &str,
    c: &CheckIn,
) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO mood_personal (code_hash, day, quadrant, pleasantness, energy, word)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        rusqlite::params![
            hash.as_slice(),
            day,
            c.quadrant.id(),
            c.pleasantness,
            c.energy,
            c.word
        ],
    )?;
    tx.execute(
        "DELETE FROM mood_personal WHERE code_hash = ?1 AND id NOT IN
           (SELECT id FROM mood_personal WHERE code_hash = ?1 ORDER BY id DESC LIMIT ?2)",
        rusqlite::params![hash.as_slice(), PERSONAL_KEPT as i64],
    )?;
    Ok(())
}

/// Links a check-in already committed to a personal code taken afterwards (local only).
pub fn link_personal(
    store: &mut Store,
    hash: &[u8; 32],
    day: &str,
    check_in: &CheckIn,
) -> Result<(), StoreError> {
    let label = store.label.clone();
    let err = |source| StoreError::Sqlite {
        path: label.clone(),
        source,
    };
    let tx = store.conn.transaction().map_err(err)?;
    insert_personal(&tx, hash, day, check_in).map_err(err)?;
    tx.commit().map_err(err)
}

/// A code's check-ins, oldest first; empty when the code is unknown.
pub fn personal_trend(store: &Store, hash: &[u8; 32]) -> Result<Vec<TrendPoint>, StoreError> {
    let read = || -> rusqlite::Result<Vec<TrendPoint>> {
        let mut stmt = store.conn.prepare(
            "SELECT day, quadrant, word FROM mood_personal WHERE code_hash = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([hash.as_slice()], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get(2)?))
        })?;
        let mut points = Vec::new();
        for row in rows {
            let (day, quadrant, word) = row?;
            if let Some(quadrant) = Quadrant::from_id(&quadrant) {
                points.push(TrendPoint {
                    day,
                    quadrant,
                    word,
                });
            }
        }
        Ok(points)
    };
    read().map_err(sqlite(store))
}

/// Counts of the last closed Monday-to-Sunday week (Shanghai days) before the day of `now`:
/// never the week under way (`mood::week` says why).
pub fn week_counts(store: &Store, now: DateTime<Utc>) -> Result<WeekCounts, StoreError> {
    let today = now.with_timezone(&Shanghai).date_naive();
    let (monday, sunday) = crate::mood::week::closed_week(today);
    let (first, last) = (monday.to_string(), sunday.to_string());
    let read = || -> rusqlite::Result<WeekCounts> {
        let mut counts = WeekCounts::default();
        let mut stmt = store.conn.prepare(
            "SELECT quadrant, word, SUM(count) FROM mood_daily WHERE day BETWEEN ?1 AND ?2 GROUP BY quadrant, word",
        )?;
        for row in stmt.query_map([&first, &last], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })? {
            let (quadrant, word, n) = row?;
            let n = n.max(0) as u64;
            if let Some(q) = Quadrant::from_id(&quadrant) {
                *counts.quadrants.entry(q).or_default() += n;
            }
            *counts.words.entry(word).or_default() += n;
        }
        let mut stmt = store.conn.prepare(
            "SELECT tag, SUM(count) FROM mood_tag_daily WHERE day BETWEEN ?1 AND ?2 GROUP BY tag",
        )?;
        for row in stmt.query_map([&first, &last], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        })? {
            let (tag, n) = row?;
            counts.tags.insert(tag, n.max(0) as u64);
        }
        Ok(counts)
    };
    read().map_err(sqlite(store))
}

/// A kiosk secret (such as the personal-code salt), made by `make` the first time it is asked
/// for and kept from then on. `None` when it does not exist yet and `make` cannot make it
/// (no randomness from the operating system).
pub fn secret(
    store: &mut Store,
    name: &str,
    make: impl FnOnce() -> Option<Vec<u8>>,
) -> Result<Option<Vec<u8>>, StoreError> {
    let label = store.label.clone();
    let err = |source| StoreError::Sqlite {
        path: label.clone(),
        source,
    };
    let existing: Option<Vec<u8>> = store
        .conn
        .query_row(
            "SELECT value FROM kiosk_secret WHERE name = ?1",
            [name],
            |r| r.get(0),
        )
        .optional()
        .map_err(err)?;
    if let Some(value) = existing {
        return Ok(Some(value));
    }
    let Some(value) = make() else { return Ok(None) };
    store
        .conn
        .execute(
            "INSERT INTO kiosk_secret (name, value) VALUES (?1, ?2)",
            rusqlite::params![name, value],
        )
        .map_err(err)?;
    Ok(Some(value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, FakeClock};
    use crate::mood::Vocabulary;

    fn at(rfc3339: &str) -> FakeClock {
        FakeClock::new(DateTime::parse_from_rfc3339(rfc3339).unwrap().into(), true)
    }

    fn check_in(q: Quadrant, p: i64, e: i64, word: &str, tags: &[&str]) -> CheckIn {
        let tags: Vec<String> = tags.iter().map(|t| t.to_string()).collect();
        CheckIn::new(&Vocabulary::builtin(), q, p, e, word, &tags).unwrap()
    }

    fn stamp(clock: &FakeClock) -> RecordStamp {
        RecordStamp::now(clock)
    }

    #[test]
    fn a_check_in_is_one_record_and_its_day_counts_in_one_transaction() {
        let clock = at("2026-11-28T04:00:00Z");
        let mut store = Store::open_in_memory().unwrap();
        let c = check_in(Quadrant::Blue, -1, -2, "tired", &["sleep", "income"]);
        let id = commit_check_in(&mut store, stamp(&clock), &c, None).unwrap();
        let (kind, payload): (String, Vec<u8>) = store
            .conn
            .query_row(
                "SELECT kind, payload FROM outbox WHERE id = ?1",
                [id.to_string()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(kind, "mood_check_in");
        let json: serde_json::Value = serde_json::from_slice(&payload).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"quadrant": "blue", "pleasantness": -1, "energy": -2, "word": "tired", "tags": ["sleep", "income"]})
        );
        // Counted in its own week, which shows from the Monday after (2026-11-30).
        assert!(
            week_counts(&store, clock.read().wall)
                .unwrap()
                .quadrants
                .is_empty()
        );
        let week = week_counts(&store, at("2026-12-02T04:00:00Z").read().wall).unwrap();
        assert_eq!(week.quadrants[&Quadrant::Blue], 1);
        assert_eq!(week.tags["sleep"], 1);
        assert_eq!(week.words["tired"], 1);
    }

    #[test]
    fn the_week_is_the_last_closed_monday_to_sunday_in_shanghai_days() {
        let mut store = Store::open_in_memory().unwrap();
        // In Shanghai (UTC+8): Sunday 22nd 23:59, Monday 23rd 00:30, Sunday 29th 23:00,
        // Monday 30th 00:30. Viewed on Wednesday 2 December, the week is 23 to 29 November.
        for t in [
            "2026-11-22T15:59:00Z",
            "2026-11-22T16:30:00Z",
            "2026-11-29T15:00:00Z",
            "2026-11-29T16:30:00Z",
        ] {
            let c = check_in(Quadrant::Green, 1, -1, "calm", &[]);
            commit_check_in(&mut store, stamp(&at(t)), &c, None).unwrap();
        }
        let week = week_counts(&store, at("2026-12-02T04:00:00Z").read().wall).unwrap();
        assert_eq!(
            week.quadrants[&Quadrant::Green],
            2,
            "the 22nd and the 30th (Shanghai) are outside"
        );
    }

    /// The attacks a passer-by can run on the station view: look before and after someone's
    /// check-in, and look every day and subtract. Over three weeks of check-ins at uneven
    /// times, neither learns anything: the view never changes within a day, and from one day
    /// to the next it either stays the same or moves to a week that shares no day with the
    /// last (so a difference is of two disjoint weeks, each suppressed on its own).
    #[test]
    fn before_and_after_and_day_to_day_views_cannot_be_differenced() {
        use crate::mood::week::{closed_week, station_week};
        let mut store = Store::open_in_memory().unwrap();
        let words = [
            (Quadrant::Blue, -1, -2, "tired"),
            (Quadrant::Red, -1, 2, "stressed"),
            (Quadrant::Green, 1, -1, "calm"),
            (Quadrant::Yellow, 2, 1, "happy"),
        ];
        let start = at("2026-11-16T01:00:00Z").read().wall; // Monday 09:00 in Shanghai
        let view = |store: &Store, now| station_week(&week_counts(store, now).unwrap());
        let mut previous: Option<(chrono::NaiveDate, crate::mood::week::StationWeek)> = None;
        let mut weeks_shown = 0;
        for day in 0..28u64 {
            let morning = start + chrono::Duration::days(day as i64);
            let today = morning.with_timezone(&Shanghai).date_naive();
            let before = view(&store, morning);
            // Uneven days: some quiet (0 to 3 check-ins), some busy.
            let visits = [0, 1, 3, 14, 2, 9, 30][(day % 7) as usize] + day % 3;
            for i in 0..visits {
                let (q, p, e, w) = words[((day + i) % 4) as usize];
                let moment = morning + chrono::Duration::minutes(7 * i as i64);
                commit_check_in(
                    &mut store,
                    stamp(&FakeClock::new(moment, true)),
                    &check_in(q, p, e, w, &["sleep"]),
                    None,
                )
                .unwrap();
                // Before/after one person's check-in: the same view.
                assert_eq!(view(&store, moment), before, "day {day}, visit {i}");
            }
            let evening = morning + chrono::Duration::hours(12);
            assert_eq!(view(&store, evening), before, "day {day} evening");
            if let Some((yesterday, seen)) = &previous {
                let (a, b) = (closed_week(*yesterday), closed_week(today));
                if a == b {
                    assert_eq!(&before, seen, "day {day}: same week, same view");
                } else {
                    // Disjoint weeks: nothing in common to subtract.
                    assert!(b.0 > a.1, "day {day}: {a:?} and {b:?} overlap");
                }
            }
            weeks_shown += usize::from(before.total_about.is_some());
            previous = Some((today, before));
        }
        assert!(
            weeks_shown >= 14,
            "the busy weeks were shown: {weeks_shown} days"
        );
    }

    #[test]
    fn a_personal_trend_keeps_the_last_twelve_and_only_for_its_code() {
        let clock = at("2026-11-28T04:00:00Z");
        let mut store = Store::open_in_memory().unwrap();
        let mine = [1u8; 32];
        let theirs = [2u8; 32];
        for i in 0..15 {
            let word = if i == 14 { "happy" } else { "tired" };
            let c = if i == 14 {
                check_in(Quadrant::Yellow, 1, 1, word, &[])
            } else {
                check_in(Quadrant::Blue, -1, -1, word, &[])
            };
            commit_check_in(&mut store, stamp(&clock), &c, Some(&mine)).unwrap();
        }
        commit_check_in(
            &mut store,
            stamp(&clock),
            &check_in(Quadrant::Red, -1, 1, "tense", &[]),
            Some(&theirs),
        )
        .unwrap();
        let trend = personal_trend(&store, &mine).unwrap();
        assert_eq!(trend.len(), PERSONAL_KEPT);
        assert_eq!(trend.last().unwrap().word, "happy");
        assert_eq!(personal_trend(&store, &theirs).unwrap().len(), 1);
        assert!(personal_trend(&store, &[3u8; 32]).unwrap().is_empty());
        // The personal rows never reach the outbox.
        let outbox_text: String = store
            .conn
            .query_row(
                "SELECT group_concat(CAST(payload AS TEXT), '') FROM outbox",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(!outbox_text.contains("code"));
    }

    #[test]
    fn a_secret_is_made_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        // Nothing to make it from yet: no secret, and nothing stored.
        assert_eq!(
            secret(&mut Store::open(dir.path()).unwrap(), "salt", || None).unwrap(),
            None
        );
        let first = secret(&mut Store::open(dir.path()).unwrap(), "salt", || {
            Some(vec![9; 16])
        })
        .unwrap();
        let again = secret(&mut Store::open(dir.path()).unwrap(), "salt", || {
            Some(vec![1; 16])
        })
        .unwrap();
        assert_eq!(first, again);
        assert_eq!(first, Some(vec![9; 16]));
    }
}
