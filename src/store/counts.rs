//! The station's day counts, and the day summaries made from them: the only thing about
//! workers that leaves the kiosk (issue 16, docs/privacy.md).
//!
//! A visit leaves no row of its own. Each thing a worker does adds one to counts of its day
//! (Asia/Shanghai), in the same transaction as whatever else it stores. Once days have closed,
//! [`make_summaries`] turns them into sealed `day_summary` records, each covering whole days
//! and at least [`MIN_VISITS`] visits: a quiet station's days wait until together they hold
//! enough. A day once summarised is never counted into again (a count dated on or before it,
//! from a clock that went back, goes to the first open day), so nothing is counted twice or
//! left out.

use super::begin_write;
use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{OptionalExtension, Transaction};
use waystation_protocol::summary::{DaySummary, KEY_SEPARATOR, MIN_VISITS, Metric};

use super::{NewRecord, RecordKind, RecordStamp, Store, StoreError};
use crate::clock::ClockReading;
use crate::entropy::Entropy;
use crate::station_time::day_string;

/// How many days of counts are kept after they were summarised: the station week a worker
/// sees is the last closed Monday to Sunday, which reaches back up to 13 days.
pub const KEPT_DAYS: i64 = 14;

/// One thing to count: a metric and its key's parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Count {
    pub metric: Metric,
    pub key: String,
}

impl Count {
    /// A count of `metric` under these key parts. A part that is empty or holds the key
    /// separator (never the case for the kiosk's own ids and words) is mended rather than
    /// refused, so that a count is never lost to its spelling.
    pub fn new(metric: Metric, parts: &[&str]) -> Count {
        let mended: Vec<String> = parts
            .iter()
            .map(|part| match part.replace(KEY_SEPARATOR, "_") {
                empty if empty.is_empty() => "-".to_string(),
                part => part,
            })
            .collect();
        Count {
            metric,
            key: mended.join(&KEY_SEPARATOR.to_string()),
        }
    }
}

/// Adds one to each count, on the Shanghai day of `wall` or, if that day is already
/// summarised, on the first day that is not. Runs inside the caller's transaction, so a count
/// and whatever else the step stores (a staff alert, a trend row) are committed together.
pub fn add(tx: &Transaction<'_>, wall: DateTime<Utc>, counts: &[Count]) -> rusqlite::Result<()> {
    let day = open_day(tx, &day_string(wall))?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO day_count (day, metric, key, count) VALUES (?1, ?2, ?3, 1)
         ON CONFLICT (day, metric, key) DO UPDATE SET count = count + 1",
    )?;
    for count in counts {
        insert.execute(rusqlite::params![day, count.metric.name(), count.key])?;
    }
    Ok(())
}

/// The day a count made on `day` goes to: that day, or the day after the last summarised one.
fn open_day(tx: &Transaction<'_>, day: &str) -> rusqlite::Result<String> {
    match summarised_through(tx)? {
        Some(through) if day <= through.as_str() => Ok(next_day(&through)),
        _ => Ok(day.to_string()),
    }
}

fn summarised_through(conn: &rusqlite::Connection) -> rusqlite::Result<Option<String>> {
    conn.query_row(
        "SELECT summarised_through FROM summary_state WHERE id = 1",
        [],
        |r| r.get(0),
    )
    .optional()
    .map(Option::flatten)
}

fn parse_day(day: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()
}

/// The day after `day`; a day that does not parse (never written by the kiosk) stays as is.
fn next_day(day: &str) -> String {
    parse_day(day)
        .and_then(|d| d.succ_opt())
        .map(|d| d.to_string())
        .unwrap_or_else(|| day.to_string())
}

impl Store {
    /// Counts what a worker did now, in its own transaction.
    pub fn count(&mut self, wall: DateTime<Utc>, counts: &[Count]) -> Result<(), StoreError> {
        let err = self.sqlite_error_fn();
        let tx = begin_write(&mut self.conn).map_err(&err)?;
        add(&tx, wall, counts).map_err(&err)?;
        tx.commit().map_err(&err)
    }

    /// The counts of one day, by metric and key.
    pub fn day_counts(&self, day: &str) -> Result<Vec<(String, String, u64)>, StoreError> {
        let read = || -> rusqlite::Result<Vec<(String, String, u64)>> {
            let mut stmt = self.conn.prepare(
                "SELECT metric, key, count FROM day_count WHERE day = ?1 ORDER BY metric, key",
            )?;
            let rows = stmt.query_map([day], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)?.max(0) as u64))
            })?;
            rows.collect()
        };
        read().map_err(self.sqlite_error_fn())
    }

    /// The last day already released in a summary, if any.
    pub fn summarised_through(&self) -> Result<Option<String>, StoreError> {
        summarised_through(&self.conn).map_err(self.sqlite_error_fn())
    }
}

/// Makes a summary of every run of closed days (before `today`) that together hold at least
/// [`MIN_VISITS`] started visits, oldest first, and queues each as a `day_summary` record;
/// then forgets counts that are summarised and older than [`KEPT_DAYS`]. One transaction:
/// after a crash either all of it happened or none. Calling it again makes nothing new, so it
/// runs at every start and whenever the day changes. Each record's random id comes from
/// `entropy`; without randomness nothing is made (and nothing is marked summarised).
pub fn make_summaries(
    store: &mut Store,
    today: NaiveDate,
    entropy: &dyn Entropy,
) -> Result<Vec<DaySummary>, StoreError> {
    let err = store.sqlite_error_fn();
    let sealing = store.sealing.clone();
    let tx = begin_write(&mut store.conn).map_err(&err)?;
    let through = summarised_through(&tx).map_err(&err)?;
    let windows = closed_windows(&tx, through.as_deref(), today).map_err(&err)?;
    for summary in &windows {
        // The hub checks every summary by the same rule; one it would refuse is never queued.
        summary
            .check()
            .map_err(|e| StoreError::BadSummary(e.to_string()))?;
        let id = entropy.uuid().map_err(StoreError::NoRandomness)?;
        let record = summary_record(summary, id);
        super::outbox::append(&tx, &record, sealing.as_ref()).map_err(&err)?;
    }
    if let Some(last) = windows.last() {
        tx.execute(
            "UPDATE summary_state SET summarised_through = ?1 WHERE id = 1",
            [&last.last_day],
        )
        .map_err(&err)?;
    }
    let forget_before = (today - chrono::Duration::days(KEPT_DAYS)).to_string();
    tx.execute(
        "DELETE FROM day_count WHERE day < ?1
           AND day <= (SELECT summarised_through FROM summary_state WHERE id = 1)",
        [&forget_before],
    )
    .map_err(&err)?;
    tx.commit().map_err(&err)?;
    Ok(windows)
}

/// Groups the unsummarised closed days into windows of at least [`MIN_VISITS`] visits. A
/// window starts the day after the last summarised one (or on the first counted day) and ends
/// on the day its visits reached the threshold; what follows the last full window waits.
fn closed_windows(
    conn: &rusqlite::Connection,
    through: Option<&str>,
    today: NaiveDate,
) -> rusqlite::Result<Vec<DaySummary>> {
    let mut stmt = conn.prepare(
        "SELECT day, metric, key, count FROM day_count
         WHERE day > COALESCE(?1, '') AND day < ?2 ORDER BY day, metric, key",
    )?;
    let mut by_day: BTreeMap<String, Vec<(String, String, u64)>> = BTreeMap::new();
    let rows = stmt.query_map(rusqlite::params![through, today.to_string()], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, i64>(3)?.max(0) as u64,
        ))
    })?;
    for row in rows {
        let (day, metric, key, count) = row?;
        by_day.entry(day).or_default().push((metric, key, count));
    }
    let mut windows = Vec::new();
    let mut first = through.map(next_day);
    let mut counts: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    for (day, rows) in by_day {
        first.get_or_insert_with(|| day.clone());
        for (metric, key, count) in rows {
            *counts.entry(metric).or_default().entry(key).or_default() += count;
        }
        let summary = DaySummary {
            first_day: first.clone().unwrap_or_else(|| day.clone()),
            last_day: day.clone(),
            counts: std::mem::take(&mut counts),
        };
        if summary.visits() >= MIN_VISITS {
            first = Some(next_day(&day));
            windows.push(summary);
        } else {
            counts = summary.counts;
        }
    }
    Ok(windows)
}

/// A summary as a record. Its stamp holds the day after the window, at midnight in Shanghai,
/// and nothing else: no boot id and no time since boot, which could tie it to other records.
fn summary_record(summary: &DaySummary, id: uuid::Uuid) -> NewRecord {
    let made = parse_day(&summary.last_day)
        .and_then(|d| d.succ_opt())
        .map(crate::station_time::midnight_utc)
        .unwrap_or(DateTime::UNIX_EPOCH);
    NewRecord {
        kind: RecordKind::DaySummary,
        stamp: RecordStamp {
            id,
            clock: ClockReading {
                wall: made,
                synced: true,
                boot_id: String::new(),
                since_boot: std::time::Duration::ZERO,
            },
        },
        payload: serde_json::to_value(summary).unwrap_or_default(),
    }
}

/// The per-visit record kinds of versions before day summaries.
const LEGACY_KINDS: [&str; 4] = [
    "screening_completed",
    "screening_abandoned",
    "mood_check_in",
    "slip_printed",
];

/// Migration 10: the per-visit records an older version queued. Sealed ones (the kiosk cannot
/// open them) are sent as they are, and so are the days up to the last of them: those days are
/// marked summarised, so no summary counts them again. Unsealed ones (no centre key yet) are
/// added to the day counts of their day and deleted, so each is counted exactly once and none
/// leaves as a per-visit record. The old count tables are kept into `day_count` only for the
/// days that are not folded, where they feed the station week. Returns how many were folded.
pub(super) fn fold_legacy(tx: &Transaction<'_>) -> rusqlite::Result<usize> {
    let kinds = LEGACY_KINDS.map(|k| format!("'{k}'")).join(", ");
    let sent_through: Option<String> = tx.query_row(
        &format!("SELECT MAX(day) FROM outbox WHERE sealed = 1 AND kind IN ({kinds})"),
        [],
        |r| r.get(0),
    )?;
    if let Some(through) = &sent_through {
        keep_old_counts(tx, through)?;
        tx.execute(
            "UPDATE summary_state SET summarised_through = ?1 WHERE id = 1",
            [through],
        )?;
    }
    let folded: Vec<(i64, String, String, Vec<u8>)> = {
        let mut stmt = tx.prepare(&format!(
            "SELECT seq, kind, day, payload FROM outbox
             WHERE sealed = 0 AND kind IN ({kinds}) AND day > COALESCE(?1, '')"
        ))?;
        let rows = stmt.query_map([&sent_through], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let mut insert = tx.prepare(
        "INSERT INTO day_count (day, metric, key, count) VALUES (?1, ?2, ?3, 1)
         ON CONFLICT (day, metric, key) DO UPDATE SET count = count + 1",
    )?;
    for (seq, kind, day, payload) in &folded {
        let json: serde_json::Value = serde_json::from_slice(payload).unwrap_or_default();
        for count in legacy_counts(kind, &json) {
            insert.execute(rusqlite::params![day, count.metric.name(), count.key])?;
        }
        tx.execute("DELETE FROM outbox WHERE seq = ?1", [seq])?;
    }
    tx.execute_batch(
        "DROP TABLE mood_daily;
         DROP TABLE mood_tag_daily;
         DROP TABLE screening_daily;
         -- An acknowledged record is at the hub: its content has no reason to stay here.
         UPDATE outbox SET payload = x'' WHERE state = 'acked';",
    )?;
    Ok(folded.len())
}

/// The old per-day counts of the days whose records were sent as they were, for the station
/// week. Tags were counted without their quadrant then; they keep `unknown` in its place.
fn keep_old_counts(tx: &Transaction<'_>, through: &str) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO day_count (day, metric, key, count)
           SELECT day, 'mood_word', quadrant || '/' || word, count FROM mood_daily WHERE day <= ?1
           UNION ALL
           SELECT day, 'mood_tag', 'unknown/' || tag, count FROM mood_tag_daily WHERE day <= ?1
           UNION ALL
           SELECT day, 'band', instrument || '/' || band, completed FROM screening_daily
             WHERE day <= ?1",
        [through],
    )?;
    Ok(())
}

/// What one old per-visit record adds to its day, read from its payload as those versions
/// wrote it. A field that is missing counts as nothing rather than failing the migration.
fn legacy_counts(kind: &str, json: &serde_json::Value) -> Vec<Count> {
    let text = |field: &str| json[field].as_str().unwrap_or("").to_string();
    let list = |field: &str| -> Vec<String> {
        json[field]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    match kind {
        "screening_completed" => {
            let answers: Vec<u8> = json["answers"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_u64())
                        .map(|v| v as u8)
                        .collect()
                })
                .unwrap_or_default();
            let refer = json["refer"].as_bool().unwrap_or(false);
            super::screening::completed_counts(&text("instrument"), &text("band"), &answers, refer)
        }
        "screening_abandoned" => vec![Count::new(Metric::Abandoned, &[&text("instrument")])],
        "mood_check_in" => {
            super::mood::check_in_counts(&text("quadrant"), &text("word"), &list("tags"))
        }
        "slip_printed" if text("result") == "printed" => {
            let kind = if json["crisis"].as_bool() == Some(true) {
                "crisis"
            } else {
                "normal"
            };
            let mut counts = vec![Count::new(Metric::Slip, &[kind])];
            for line in list("lines") {
                counts.push(Count::new(Metric::SlipEntry, &[&line]));
            }
            counts
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Noon in Shanghai on `day` (YYYY-MM-DD).
    fn noon(day: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(&format!("{day}T12:00:00+08:00"))
            .unwrap()
            .into()
    }

    fn visits(store: &mut Store, day: &str, n: usize) {
        for _ in 0..n {
            let counts = [
                Count::new(Metric::Visit, &["started"]),
                Count::new(Metric::MoodWord, &["blue", "tired"]),
            ];
            store.count(noon(day), &counts).unwrap();
        }
    }

    fn date(day: &str) -> NaiveDate {
        parse_day(day).unwrap()
    }

    fn ids() -> crate::entropy::FakeEntropy {
        crate::entropy::FakeEntropy::new(1)
    }

    #[test]
    fn quiet_days_wait_until_together_they_hold_eleven_visits() {
        let mut store = Store::open_in_memory().unwrap();
        let ids = ids();
        visits(&mut store, "2026-11-23", 3);
        // The day is closed but holds 3 visits: nothing is released.
        let made = make_summaries(&mut store, date("2026-11-24"), &ids).unwrap();
        assert!(made.is_empty());
        assert_eq!(store.outbox_counts().unwrap().total(), 0);
        visits(&mut store, "2026-11-24", 5);
        visits(&mut store, "2026-11-26", 4);
        visits(&mut store, "2026-11-27", 20);
        // The 27th is today: it stays out.
        let made = make_summaries(&mut store, date("2026-11-27"), &ids).unwrap();
        assert_eq!(made.len(), 1);
        assert_eq!(
            (made[0].first_day.as_str(), made[0].last_day.as_str()),
            ("2026-11-23", "2026-11-26")
        );
        assert_eq!(made[0].visits(), 12);
        assert_eq!(made[0].count(Metric::MoodWord, "blue/tired"), 12);
        made[0].check().unwrap();
        // Again on the same day: nothing new, nothing twice.
        assert!(
            make_summaries(&mut store, date("2026-11-27"), &ids)
                .unwrap()
                .is_empty()
        );
        // The next day: the 27th alone is enough, and its window starts after the last one.
        let made = make_summaries(&mut store, date("2026-11-28"), &ids).unwrap();
        assert_eq!(
            (
                made[0].first_day.as_str(),
                made[0].last_day.as_str(),
                made[0].visits()
            ),
            ("2026-11-27", "2026-11-27", 20)
        );
        assert_eq!(store.outbox_counts().unwrap().pending, 2);
    }

    #[test]
    fn a_summary_record_holds_a_day_and_nothing_finer() {
        let mut store = Store::open_in_memory().unwrap();
        visits(&mut store, "2026-11-23", 11);
        make_summaries(&mut store, date("2026-11-25"), &ids()).unwrap();
        let (kind, wall_ms, boot_id, monotonic_ms, day): (String, i64, String, i64, String) = store
            .conn
            .query_row(
                "SELECT kind, created_wall_ms, boot_id, monotonic_ms, day FROM outbox",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .unwrap();
        assert_eq!(kind, "day_summary");
        // Midnight in Shanghai starting the 24th: the day after the window, to the day.
        assert_eq!(
            wall_ms,
            noon("2026-11-24").timestamp_millis() - 12 * 3_600_000
        );
        assert_eq!(
            (boot_id.as_str(), monotonic_ms, day.as_str()),
            ("", 0, "2026-11-24")
        );
    }

    #[test]
    fn a_count_from_a_clock_that_went_back_goes_to_the_first_open_day() {
        let mut store = Store::open_in_memory().unwrap();
        visits(&mut store, "2026-11-23", 11);
        make_summaries(&mut store, date("2026-11-24"), &ids()).unwrap();
        assert_eq!(
            store.summarised_through().unwrap().as_deref(),
            Some("2026-11-23")
        );
        // A count dated on the summarised day is not lost, and not added to what went.
        visits(&mut store, "2026-11-20", 1);
        assert_eq!(store.day_counts("2026-11-23").unwrap()[1].2, 11);
        assert_eq!(store.day_counts("2026-11-24").unwrap()[1].2, 1);
    }

    #[test]
    fn old_counts_are_forgotten_only_once_summarised_and_two_weeks_old() {
        let mut store = Store::open_in_memory().unwrap();
        visits(&mut store, "2026-11-01", 11);
        visits(&mut store, "2026-11-02", 2);
        make_summaries(&mut store, date("2026-11-30"), &ids()).unwrap();
        // The 1st went in a summary and is more than 14 days old; the 2nd still waits.
        assert!(store.day_counts("2026-11-01").unwrap().is_empty());
        assert_eq!(store.day_counts("2026-11-02").unwrap().len(), 2);
    }

    #[test]
    fn without_a_centre_key_a_summary_waits_unsealed_and_is_sealed_when_one_comes() {
        let mut store = Store::open_in_memory().unwrap();
        visits(&mut store, "2026-11-23", 11);
        make_summaries(&mut store, date("2026-11-24"), &ids()).unwrap();
        assert_eq!(store.unsealed_count().unwrap(), 1);
        let (_, centre) = waystation_protocol::CentreSecretKey::generate();
        assert_eq!(store.enable_sealing(centre).unwrap(), 1);
        assert_eq!(store.unsealed_count().unwrap(), 0);
    }

    #[test]
    fn a_key_part_is_mended_never_lost() {
        assert_eq!(Count::new(Metric::SlipEntry, &["a/b"]).key, "a_b");
        assert_eq!(Count::new(Metric::Band, &["phq9", ""]).key, "phq9/-");
    }

    /// A database of the version before day summaries (9), as a kiosk left it: per-visit records
    /// already sent (sealed, acked) and sealed ones still waiting, on earlier days; unsealed ones
    /// (no centre key yet) on a later day; the old per-day tables; an operational record.
    fn version_9_database(path: &std::path::Path) {
        let mut conn = rusqlite::Connection::open(path).unwrap();
        conn.pragma_update(None, "journal_mode", "WAL").unwrap();
        rusqlite_migration::Migrations::new(super::super::migrations::all()[..9].to_vec())
            .to_latest(&mut conn)
            .unwrap();
        let insert =
            |id: &str, kind: &str, payload: &[u8], sealed: bool, state: &str, day: &str| {
                conn.execute(
                    "INSERT INTO outbox (id, kind, schema_version, payload, created_wall_ms,
                     clock_synced, boot_id, monotonic_ms, sealed, state, day)
                 VALUES (?1, ?2, 1, ?3, 1795000000123, 1, 'boot-7', 4567, ?4, ?5, ?6)",
                    rusqlite::params![id, kind, payload, sealed, state, day],
                )
                .unwrap();
            };
        let sealed_bytes = b"WSv2 sealed bytes the kiosk cannot open";
        insert(
            "a1",
            "mood_check_in",
            sealed_bytes,
            true,
            "acked",
            "2026-11-20",
        );
        insert(
            "a2",
            "slip_printed",
            sealed_bytes,
            true,
            "pending",
            "2026-11-21",
        );
        let clear = [
            (
                "u1",
                "mood_check_in",
                r#"{"quadrant":"red","pleasantness":-1,"energy":2,"word":"stressed","tags":["orders"]}"#,
            ),
            (
                "u2",
                "screening_completed",
                r#"{"instrument":"phq9","instrument_version":1,"answers":[0,0,0,0,0,0,0,0,2],"total":2,"band":"minimal","crisis":true,"refer":true}"#,
            ),
            (
                "u3",
                "slip_printed",
                r#"{"lines":["12356","12351"],"crisis":true,"code":"QX7K2M","result":"printed","printer_status":"ready","paper_mm":112.4}"#,
            ),
            (
                "u4",
                "slip_printed",
                r#"{"lines":["12356"],"crisis":false,"code":"QX7K2M","result":"failed","printer_status":"unknown","paper_mm":0.0}"#,
            ),
            (
                "u5",
                "screening_abandoned",
                r#"{"instrument":"gad7","instrument_version":1,"reached":3}"#,
            ),
            ("u6", "restock", r#"{"item":"paper","kind":null,"count":1}"#),
        ];
        for (id, kind, payload) in clear {
            insert(id, kind, payload.as_bytes(), false, "pending", "2026-11-22");
        }
        conn.execute_batch(
            "INSERT INTO mood_daily VALUES ('2026-11-20', 'blue', 'tired', 1),
                                           ('2026-11-22', 'red', 'stressed', 1);
             INSERT INTO mood_tag_daily VALUES ('2026-11-20', 'sleep', 1),
                                               ('2026-11-22', 'orders', 1);
             INSERT INTO screening_daily VALUES ('2026-11-22', 'phq9', 'minimal', 1);",
        )
        .unwrap();
    }

    /// Migration 10: what was sent stays sent and is not counted again; what was queued
    /// unsealed is counted exactly once and leaves no per-visit trace, not even in free pages.
    #[test]
    fn queued_per_visit_records_are_sent_as_they_are_or_folded_never_lost_or_counted_twice() {
        let dir = tempfile::tempdir().unwrap();
        version_9_database(&dir.path().join(super::super::DB_FILE));
        let mut store = Store::open(dir.path()).unwrap();
        let rows: Vec<(String, String, i64)> = {
            let mut stmt = store
                .conn
                .prepare("SELECT id, state, length(payload) FROM outbox ORDER BY seq")
                .unwrap();
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .unwrap()
                .map(Result::unwrap)
                .collect()
        };
        // The sealed ones are sent as they are (the acked one's payload is emptied); the
        // operational record stays; the unsealed per-visit ones are gone from the outbox.
        assert_eq!(
            rows,
            [
                ("a1".to_string(), "acked".to_string(), 0),
                ("a2".into(), "pending".into(), 39),
                ("u6".into(), "pending".into(), 38),
            ]
        );
        // Days up to the last sealed record count as summarised: never counted again.
        assert_eq!(
            store.summarised_through().unwrap().as_deref(),
            Some("2026-11-21")
        );
        // Their old counts stay for the station week.
        assert!(store.day_counts("2026-11-20").unwrap().contains(&(
            "mood_word".into(),
            "blue/tired".into(),
            1
        )));
        // The folded day holds each record once (not the old tables' copy on top).
        let folded: BTreeMap<String, u64> = store
            .day_counts("2026-11-22")
            .unwrap()
            .into_iter()
            .map(|(m, k, n)| (format!("{m} {k}"), n))
            .collect();
        assert_eq!(folded["mood_word red/stressed"], 1);
        assert_eq!(folded["mood_tag red/orders"], 1);
        assert_eq!(folded["band phq9/minimal"], 1);
        assert_eq!(folded["answer phq9/9/2"], 1);
        assert_eq!(folded["referral phq9"], 1);
        assert_eq!(folded["slip crisis"], 1);
        assert_eq!(folded["slip_entry 12351"], 1);
        assert_eq!(folded["abandoned gad7"], 1);
        assert!(
            !folded.contains_key("slip normal"),
            "a failed print is no slip"
        );
        assert_eq!(folded.values().sum::<u64>(), 1 + 1 + 1 + 9 + 1 + 1 + 2 + 1);
        // A later busy day brings the window to 11: the folded counts leave in it, once.
        visits(&mut store, "2026-11-23", 11);
        let made = make_summaries(&mut store, date("2026-11-24"), &ids()).unwrap();
        assert_eq!(made.len(), 1);
        assert_eq!(
            (made[0].first_day.as_str(), made[0].last_day.as_str()),
            ("2026-11-22", "2026-11-23")
        );
        assert_eq!(made[0].count(Metric::Slip, "crisis"), 1);
        assert_eq!(made[0].count(Metric::MoodWord, "blue/tired"), 11);
        drop(store);
        // The file was rewritten: no old payload or slip number is left anywhere on the card.
        let mut bytes = Vec::new();
        for entry in std::fs::read_dir(dir.path()).unwrap() {
            bytes.extend(std::fs::read(entry.unwrap().path()).unwrap());
        }
        for gone in [&b"QX7K2M"[..], b"\"answers\""] {
            assert!(
                !bytes.windows(gone.len()).any(|w| w == gone),
                "{:?}",
                String::from_utf8_lossy(gone)
            );
        }
    }
}
