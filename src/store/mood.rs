//! Storing mood check-ins: the day's counts and, for a personal code, its trend row, in one
//! transaction; the
//! personal trend rows (local only: each row sealed to its code, found by the code's lookup
//! tag; `mood::personal`), and the week's counts.

use super::begin_write;
use chrono::{DateTime, Utc};
use rusqlite::OptionalExtension;

use waystation_protocol::Metric;
use waystation_protocol::summary::KEY_SEPARATOR;

use super::counts::Count;
use super::{Store, StoreError};
use crate::mood::personal::{CodeKeys, NONCE_LEN, PersonalRow};
use crate::mood::week::WeekCounts;
use crate::mood::{CheckIn, Quadrant, TrendPoint};

/// How many check-ins a personal code keeps; older ones are deleted as new ones come.
pub const PERSONAL_KEPT: usize = 12;

fn sqlite(store: &Store) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
    |source| StoreError::Sqlite {
        path: store.label.clone(),
        source,
    }
}

/// A trend row to write: the code's keys and a fresh random nonce for its ciphertext.
#[derive(Debug, Clone, Copy)]
pub struct Personal<'a> {
    pub keys: &'a CodeKeys,
    pub nonce: [u8; NONCE_LEN],
}

/// What a check-in adds to its day: its quadrant and word, and its quadrant with each tag.
pub fn check_in_counts(quadrant: &str, word: &str, tags: &[String]) -> Vec<Count> {
    let mut counts = vec![Count::new(Metric::MoodWord, &[quadrant, word])];
    for tag in tags {
        counts.push(Count::new(Metric::MoodTag, &[quadrant, tag]));
    }
    counts
}

/// Commits a check-in: the day's counts (with the help lines, when the done screen shows them
/// (`mood::shows_help_lines`)) and, when the worker entered a personal code, the sealed trend
/// row, all or nothing. Nothing of it waits to be uploaded: only the day's totals leave the
/// kiosk, in a day summary.
pub fn commit_check_in(
    store: &mut Store,
    wall: DateTime<Utc>,
    check_in: &CheckIn,
    help_lines: bool,
    personal: Option<Personal<'_>>,
) -> Result<(), StoreError> {
    let mut counts = check_in_counts(check_in.quadrant.id(), &check_in.word, &check_in.tags);
    if help_lines {
        counts.push(Count::new(Metric::Crisis, &["mood_help_lines"]));
    }
    let err = store.sqlite_error_fn();
    let tx = begin_write(&mut store.conn).map_err(&err)?;
    super::counts::add(&tx, wall, &counts).map_err(&err)?;
    if let Some(personal) = personal {
        let row = PersonalRow::new(&crate::station_time::day_string(wall), check_in);
        insert_personal(&tx, personal, &row).map_err(&err)?;
    }
    tx.commit().map_err(&err)
}

/// Appends a sealed row under the code's tag and keeps only the code's last `PERSONAL_KEPT`.
/// The row holds nothing in clear but the tag; `id` is the insertion order.
fn insert_personal(
    tx: &rusqlite::Connection,
    personal: Personal<'_>,
    row: &PersonalRow,
) -> rusqlite::Result<()> {
    let tag = personal.keys.tag().as_slice();
    tx.execute(
        "INSERT INTO mood_personal (tag, sealed) VALUES (?1, ?2)",
        rusqlite::params![tag, personal.keys.seal(row, personal.nonce)],
    )?;
    tx.execute(
        "DELETE FROM mood_personal WHERE tag = ?1 AND id NOT IN
           (SELECT id FROM mood_personal WHERE tag = ?1 ORDER BY id DESC LIMIT ?2)",
        rusqlite::params![tag, PERSONAL_KEPT as i64],
    )?;
    Ok(())
}

/// Links a check-in already committed to a personal code taken afterwards (local only).
pub fn link_personal(
    store: &mut Store,
    personal: Personal<'_>,
    day: &str,
    check_in: &CheckIn,
) -> Result<(), StoreError> {
    let label = store.label.clone();
    let err = |source| StoreError::Sqlite {
        path: label.clone(),
        source,
    };
    let tx = begin_write(&mut store.conn).map_err(err)?;
    insert_personal(&tx, personal, &PersonalRow::new(day, check_in)).map_err(err)?;
    tx.commit().map_err(err)
}

/// A code's check-ins, oldest first; empty when the code is unknown. A row under the code's
/// tag that does not open with its key (damaged, or not sealed by this code) is left out.
pub fn personal_trend(store: &Store, keys: &CodeKeys) -> Result<Vec<TrendPoint>, StoreError> {
    let read = || -> rusqlite::Result<Vec<Vec<u8>>> {
        let mut stmt = store
            .conn
            .prepare("SELECT sealed FROM mood_personal WHERE tag = ?1 ORDER BY id")?;
        let rows = stmt.query_map([keys.tag().as_slice()], |r| r.get(0))?;
        rows.collect()
    };
    let sealed = read().map_err(sqlite(store))?;
    let found = sealed.len();
    let points: Vec<TrendPoint> = sealed
        .iter()
        .filter_map(|s| keys.open(s).map(PersonalRow::point))
        .collect();
    if points.len() < found {
        tracing::warn!(
            "{} personal trend rows did not open and were skipped",
            found - points.len()
        );
    }
    Ok(points)
}

/// Migration 9: seals every clear row of the old `mood_personal` (whose `code_hash` is the
/// code's Argon2id hash, from which tag and key derive) into `mood_personal_sealed`, keeping
/// each row's id so the order stays. `fill` gives the nonces. Returns how many rows were
/// sealed; a row with a malformed hash or quadrant cannot have been shown and is dropped.
pub(super) fn seal_clear_rows(
    tx: &rusqlite::Connection,
    fill: &mut dyn FnMut(&mut [u8]) -> Result<(), String>,
) -> Result<usize, rusqlite_migration::HookError> {
    type Old = (i64, Vec<u8>, String, String, i64, i64, String);
    let old: Vec<Old> = {
        let mut stmt = tx.prepare(
            "SELECT id, code_hash, day, quadrant, pleasantness, energy, word
             FROM mood_personal ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            ))
        })?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let mut sealed = 0;
    for (id, hash, day, quadrant, pleasantness, energy, word) in old {
        let (Ok(hash), Some(quadrant), Ok(pleasantness), Ok(energy)) = (
            <[u8; 32]>::try_from(hash.as_slice()),
            Quadrant::from_id(&quadrant),
            i8::try_from(pleasantness),
            i8::try_from(energy),
        ) else {
            continue;
        };
        let keys = CodeKeys::derive(&hash);
        let mut nonce = [0u8; NONCE_LEN];
        fill(&mut nonce).map_err(rusqlite_migration::HookError::Hook)?;
        let row = PersonalRow {
            day,
            quadrant,
            pleasantness,
            energy,
            word,
        };
        tx.execute(
            "INSERT INTO mood_personal_sealed (id, tag, sealed) VALUES (?1, ?2, ?3)",
            rusqlite::params![id, keys.tag().as_slice(), keys.seal(&row, nonce)],
        )?;
        sealed += 1;
    }
    Ok(sealed)
}

/// Counts of the last closed Monday-to-Sunday week (Shanghai days) before the day of `now`:
/// never the week under way (`mood::week` says why).
pub fn week_counts(store: &Store, now: DateTime<Utc>) -> Result<WeekCounts, StoreError> {
    let today = crate::station_time::day_of(now);
    let (monday, sunday) = crate::mood::week::closed_week(today);
    let (first, last) = (monday.to_string(), sunday.to_string());
    let read = || -> rusqlite::Result<WeekCounts> {
        let mut counts = WeekCounts::default();
        let mut stmt = store.conn.prepare(
            "SELECT metric, key, SUM(count) FROM day_count
             WHERE metric IN ('mood_word', 'mood_tag') AND day BETWEEN ?1 AND ?2
             GROUP BY metric, key",
        )?;
        for row in stmt.query_map([&first, &last], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })? {
            let (metric, key, n) = row?;
            let n = n.max(0) as u64;
            // Keys are quadrant/word and quadrant/tag (`check_in_counts`).
            let Some((quadrant, what)) = key.split_once(KEY_SEPARATOR) else {
                continue;
            };
            if metric == Metric::MoodTag.name() {
                *counts.tags.entry(what.to_string()).or_default() += n;
                continue;
            }
            if let Some(q) = Quadrant::from_id(quadrant) {
                *counts.quadrants.entry(q).or_default() += n;
            }
            *counts.words.entry(what.to_string()).or_default() += n;
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

    fn stamp(clock: &FakeClock) -> DateTime<Utc> {
        clock.read().wall
    }

    /// A trend row for `keys` with a nonce made from `n` (distinct per call in a test).
    fn personal(keys: &CodeKeys, n: u64) -> Personal<'_> {
        let mut nonce = [0u8; NONCE_LEN];
        nonce[..8].copy_from_slice(&n.to_le_bytes());
        Personal { keys, nonce }
    }

    #[test]
    fn a_check_in_is_its_day_counts_and_nothing_that_waits_to_leave() {
        let clock = at("2026-11-28T04:00:00Z");
        let mut store = Store::open_in_memory().unwrap();
        let c = check_in(Quadrant::Blue, -1, -2, "tired", &["sleep", "income"]);
        commit_check_in(&mut store, stamp(&clock), &c, false, None).unwrap();
        assert_eq!(store.outbox_counts().unwrap().total(), 0);
        assert_eq!(
            store.day_counts("2026-11-28").unwrap(),
            [
                ("mood_tag".into(), "blue/income".into(), 1),
                ("mood_tag".into(), "blue/sleep".into(), 1),
                ("mood_word".into(), "blue/tired".into(), 1),
            ]
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
            commit_check_in(&mut store, stamp(&at(t)), &c, false, None).unwrap();
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
            let today = crate::station_time::day_of(morning);
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
                    false,
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
        let mine = CodeKeys::derive(&[1u8; 32]);
        let theirs = CodeKeys::derive(&[2u8; 32]);
        for i in 0..15 {
            let word = if i == 14 { "happy" } else { "tired" };
            let c = if i == 14 {
                check_in(Quadrant::Yellow, 1, 1, word, &[])
            } else {
                check_in(Quadrant::Blue, -1, -1, word, &[])
            };
            commit_check_in(
                &mut store,
                stamp(&clock),
                &c,
                false,
                Some(personal(&mine, i)),
            )
            .unwrap();
        }
        commit_check_in(
            &mut store,
            stamp(&clock),
            &check_in(Quadrant::Red, -1, 1, "tense", &[]),
            false,
            Some(personal(&theirs, 99)),
        )
        .unwrap();
        let trend = personal_trend(&store, &mine).unwrap();
        assert_eq!(trend.len(), PERSONAL_KEPT);
        assert_eq!(trend.last().unwrap().word, "happy");
        assert_eq!(personal_trend(&store, &theirs).unwrap().len(), 1);
        assert!(
            personal_trend(&store, &CodeKeys::derive(&[3u8; 32]))
                .unwrap()
                .is_empty()
        );
        // The personal rows never reach the outbox.
        let outbox_text: String = store
            .conn
            .query_row(
                "SELECT COALESCE(group_concat(CAST(payload AS TEXT), ''), '') FROM outbox",
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

    /// Every byte on the card for this store: the database file and its WAL.
    fn card_bytes(dir: &std::path::Path) -> Vec<u8> {
        let db = dir.join(super::super::DB_FILE);
        let mut bytes = std::fs::read(&db).unwrap();
        let wal = db.with_file_name(format!("{}-wal", super::super::DB_FILE));
        if let Ok(more) = std::fs::read(wal) {
            bytes.extend(more);
        }
        bytes
    }

    fn holds(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    fn columns(store: &Store, table: &str) -> Vec<String> {
        let mut stmt = store
            .conn
            .prepare(&format!(
                "SELECT name FROM pragma_table_info('{table}') ORDER BY cid"
            ))
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    #[test]
    fn a_trend_row_that_does_not_open_is_skipped_never_a_panic() {
        let mut store = Store::open_in_memory().unwrap();
        let mine = CodeKeys::derive(&[1u8; 32]);
        let theirs = CodeKeys::derive(&[2u8; 32]);
        let first = check_in(Quadrant::Blue, -1, -2, "tired", &[]);
        let second = check_in(Quadrant::Green, 1, -1, "calm", &[]);
        link_personal(&mut store, personal(&mine, 1), "2026-11-02", &first).unwrap();
        let raw = |store: &mut Store, tag: &[u8], sealed: &[u8]| {
            store
                .conn
                .execute(
                    "INSERT INTO mood_personal (tag, sealed) VALUES (?1, ?2)",
                    rusqlite::params![tag, sealed],
                )
                .unwrap();
        };
        // Under my tag: nothing, noise, a row sealed by another code, a row of mine altered.
        let tag = mine.tag().to_vec();
        raw(&mut store, &tag, &[]);
        raw(&mut store, &tag, &[0x5a; 92]);
        let foreign = theirs.seal(&PersonalRow::new("2026-11-03", &second), [3; NONCE_LEN]);
        raw(&mut store, &tag, &foreign);
        let mut altered = mine.seal(&PersonalRow::new("2026-11-04", &second), [4; NONCE_LEN]);
        altered[20] ^= 1;
        raw(&mut store, &tag, &altered);
        // My row copied under their tag does not open for them (the tag is bound in).
        let mine_sealed = mine.seal(&PersonalRow::new("2026-11-05", &second), [5; NONCE_LEN]);
        raw(&mut store, theirs.tag(), &mine_sealed);
        link_personal(&mut store, personal(&mine, 6), "2026-11-06", &second).unwrap();

        let trend = personal_trend(&store, &mine).unwrap();
        let days: Vec<&str> = trend.iter().map(|p| p.day.as_str()).collect();
        assert_eq!(days, ["2026-11-02", "2026-11-06"]);
        assert_eq!(trend[0].word, "tired");
        assert_eq!(trend[1].quadrant, Quadrant::Green);
        assert!(personal_trend(&store, &theirs).unwrap().is_empty());
    }

    /// Someone with the card reads every byte of the database and its WAL after linked
    /// check-ins: the personal table holds only tags and ciphertexts, and none of the linked
    /// check-ins' words or days is anywhere in the files. (Linked with `link_personal`, which
    /// writes only the personal row, so no day counter holds them legitimately.) A check-in
    /// counted in clear by the day counters shows the search does find clear text.
    #[test]
    fn the_card_holds_no_trend_row_in_clear() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let counted = check_in(Quadrant::Blue, -1, -2, "tired", &[]);
        commit_check_in(
            &mut store,
            stamp(&at("2026-11-28T04:00:00Z")),
            &counted,
            false,
            None,
        )
        .unwrap();
        let linked = [
            ("2026-10-05", Quadrant::Blue, -2, -2, "disappointed"),
            ("2026-10-06", Quadrant::Green, 2, -1, "comfortable"),
            ("2026-10-07", Quadrant::Blue, -1, -1, "discouraged"),
        ];
        let stretched = [[0xA5u8; 32], [0x3Cu8; 32]];
        let codes = stretched.map(|s| CodeKeys::derive(&s));
        let mut n = 0;
        for keys in &codes {
            for _ in 0..5 {
                for (day, q, p, e, word) in linked {
                    n += 1;
                    let c = check_in(q, p, e, word, &[]);
                    link_personal(&mut store, personal(keys, n), day, &c).unwrap();
                }
            }
        }
        assert_eq!(
            personal_trend(&store, &codes[0]).unwrap().len(),
            PERSONAL_KEPT
        );

        assert_eq!(columns(&store, "mood_personal"), ["id", "tag", "sealed"]);
        let lengths: Vec<(i64, i64)> = store
            .conn
            .prepare("SELECT DISTINCT length(tag), length(sealed) FROM mood_personal")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(
            lengths,
            [(32, 92)],
            "one tag and one padded ciphertext per row"
        );

        let bytes = card_bytes(dir.path());
        assert!(
            holds(&bytes, b"tired") && holds(&bytes, b"2026-11-28"),
            "control"
        );
        for (day, _, _, _, word) in linked {
            assert!(!holds(&bytes, word.as_bytes()), "{word} in clear");
            assert!(!holds(&bytes, day.as_bytes()), "{day} in clear");
        }
        for s in &stretched {
            assert!(!holds(&bytes, s), "an Argon2 output on the card");
        }
    }

    /// A database from before migration 9, with clear rows keyed by Argon2 hashes (and older
    /// clear rows deleted without `secure_delete`, left in free space), opens: each code's
    /// trend still shows, for its code only, and no byte of the file or WAL holds an old hash,
    /// word or day any more.
    #[test]
    fn old_clear_rows_are_sealed_and_leave_no_trace_on_the_card() {
        use crate::mood::code::PersonalCode;
        let dir = tempfile::tempdir().unwrap();
        let salt = [5u8; 16];
        let mine = PersonalCode::parse("ABCD-EFGH").unwrap();
        let theirs = PersonalCode::parse("2345-6789").unwrap();
        let (my_hash, their_hash) = (mine.hash(&salt), theirs.hash(&salt));
        let old = [
            (&my_hash, "2026-09-01", "blue", -2, -2, "disappointed"),
            (&my_hash, "2026-09-02", "green", 2, -1, "comfortable"),
            (&their_hash, "2026-09-03", "blue", -1, -1, "discouraged"),
            (&my_hash, "2026-09-04", "red", -1, 2, "overwhelmed"),
        ];
        {
            let mut conn =
                rusqlite::Connection::open(dir.path().join(super::super::DB_FILE)).unwrap();
            conn.pragma_update(None, "journal_mode", "WAL").unwrap();
            rusqlite_migration::Migrations::from_slice(
                &super::super::migrations::MIGRATIONS[..8], // the version before personal trend rows were sealed
            )
            .to_latest(&mut conn)
            .unwrap();
            let insert = "INSERT INTO mood_personal
                 (code_hash, day, quadrant, pleasantness, energy, word) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
            // Rows the old code deleted (a code's 13th row): in free pages, in clear.
            for i in 0..300 {
                conn.execute(
                    insert,
                    rusqlite::params![my_hash, "2026-08-31", "blue", -1, -1, format!("gone{i}")],
                )
                .unwrap();
            }
            conn.execute("DELETE FROM mood_personal", []).unwrap();
            for (hash, day, q, p, e, word) in old {
                conn.execute(insert, rusqlite::params![hash, day, q, p, e, word])
                    .unwrap();
            }
            // A row that cannot have been shown (no 32-byte hash) is dropped, not a failure.
            conn.execute(
                insert,
                rusqlite::params![vec![1u8; 16], "2026-09-05", "blue", -1, -1, "tired"],
            )
            .unwrap();
            conn.execute(
                "INSERT INTO kiosk_secret (name, value) VALUES ('personal_code_salt', ?1)",
                [salt.as_slice()],
            )
            .unwrap();
        }
        let before = card_bytes(dir.path());
        assert!(holds(&before, &my_hash) && holds(&before, b"disappointed"));
        assert!(holds(&before, b"gone7"), "the deleted rows are on the card");

        let store = Store::open(dir.path()).unwrap();
        assert_eq!(
            super::super::schema_version(&store.conn).unwrap(),
            super::super::latest_schema_version()
        );
        assert_eq!(columns(&store, "mood_personal"), ["id", "tag", "sealed"]);
        let trend = personal_trend(&store, &mine.keys(&salt)).unwrap();
        let seen: Vec<(&str, Quadrant, &str)> = trend
            .iter()
            .map(|p| (p.day.as_str(), p.quadrant, p.word.as_str()))
            .collect();
        assert_eq!(
            seen,
            [
                ("2026-09-01", Quadrant::Blue, "disappointed"),
                ("2026-09-02", Quadrant::Green, "comfortable"),
                ("2026-09-04", Quadrant::Red, "overwhelmed"),
            ]
        );
        let theirs_trend = personal_trend(&store, &theirs.keys(&salt)).unwrap();
        assert_eq!(theirs_trend.len(), 1);
        assert_eq!(theirs_trend[0].word, "discouraged");
        let rows: i64 = store
            .conn
            .query_row("SELECT COUNT(*) FROM mood_personal", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 4, "the malformed row is gone");

        let after = card_bytes(dir.path());
        for hash in [&my_hash, &their_hash] {
            assert!(
                !holds(&after, hash),
                "an old Argon2 hash is still on the card"
            );
        }
        for (_, day, _, _, _, word) in old {
            assert!(!holds(&after, word.as_bytes()), "{word} still on the card");
            assert!(!holds(&after, day.as_bytes()), "{day} still on the card");
        }
        assert!(!holds(&after, b"gone7") && !holds(&after, b"2026-08-31"));
        assert!(!holds(&after, b"2026-09-05"));
    }
}
