//! Day summaries (issue 16) over real HTTP and export files: checked like the kiosk checks
//! them, stored once with a row of their own, and kept to a day.

use rusqlite::types::Value as Sql;
use serde_json::{Value, json};
use waystation_hub::KindCount;
use waystation_protocol::wire::IMPORT_PATH;
use waystation_protocol::{DAY_SUMMARY_KIND, Metric, Outcome, SealedBody, WireRecord};

use crate::support::{
    Kiosk, NOV_28_MIDNIGHT, NOV_2026, Setup, day_stamp, outcomes, request, summary_payload, synced,
    unsynced,
};

const DAY_MS: i64 = 86_400_000;
const SHANGHAI_MS: i64 = 8 * 3600 * 1000;

fn summary(kiosk: &Kiosk, n: u64, payload: Value) -> WireRecord {
    kiosk.record(n, DAY_SUMMARY_KIND, day_stamp(NOV_28_MIDNIGHT), payload)
}

/// Today's date in Shanghai, by this machine's clock.
fn today() -> String {
    chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
        .format("%Y-%m-%d")
        .to_string()
}

/// The reason a record was rejected.
fn reason(outcome: &Outcome) -> &str {
    match outcome {
        Outcome::Rejected { reason } => reason,
        other => panic!("not rejected: {other:?}"),
    }
}

#[test]
fn a_day_summary_is_stored_once_with_its_row_and_counted_among_the_records() {
    let setup = Setup::new();
    let kiosk = &setup.kiosk;
    let records = vec![
        summary(kiosk, 1, summary_payload(14)),
        kiosk.record(2, "heartbeat", synced(NOV_2026, 2), json!({ "queue": 0 })),
    ];
    let body = kiosk.batch(records, synced(NOV_2026 + 10, 10));
    let today_before = today();
    assert_eq!(
        outcomes(&kiosk.post(setup.addr(), &body).reply()),
        ["stored", "stored"]
    );
    assert_eq!(
        outcomes(&kiosk.post(setup.addr(), &body).reply()),
        ["duplicate", "duplicate"]
    );

    let summaries = waystation_hub::summaries(setup.data()).unwrap();
    assert_eq!(summaries.len(), 1, "{summaries:?}");
    let stored = &summaries[0];
    assert_eq!(stored.device_id, kiosk.id());
    assert_eq!(stored.record_id, kiosk.record_id(1));
    assert_eq!(stored.station.as_deref(), Some("jingan-1"));
    assert_eq!(stored.visits, 14);
    assert_eq!(
        (
            stored.summary.first_day.as_str(),
            stored.summary.last_day.as_str()
        ),
        ("2026-11-26", "2026-11-27")
    );
    assert_eq!(stored.summary.total(Metric::MoodWord), 5);
    assert_eq!(
        serde_json::to_value(&stored.summary.counts).unwrap(),
        summary_payload(14)["counts"]
    );
    // The day it arrived: today, by the hub's clock, in Shanghai (read before and after, in
    // case the test runs across midnight).
    assert!(
        [today_before, today()].contains(&stored.received_day),
        "{}",
        stored.received_day
    );
    let kinds: Vec<KindCount> = waystation_hub::counts(setup.data()).unwrap();
    let kinds: Vec<(&str, u64)> = kinds.iter().map(|c| (c.kind.as_str(), c.records)).collect();
    assert_eq!(kinds, [(DAY_SUMMARY_KIND, 1), ("heartbeat", 1)]);
}

#[test]
fn a_summary_that_does_not_check_is_rejected_with_its_reason_and_the_rest_is_stored() {
    let setup = Setup::new();
    let kiosk = &setup.kiosk;
    let mut bad_key = summary_payload(20);
    bad_key["counts"]["answer"] = json!({ "phq9/9": 1 });
    let mut extra_field = summary_payload(20);
    extra_field["first_visit_ms"] = json!(NOV_2026);
    // A newer kiosk's summary of a schema version this hub does not read: stored as it came,
    // like a kind the hub does not know.
    let id = kiosk.record_id(7);
    let body = serde_json::to_vec(&SealedBody {
        created: day_stamp(NOV_28_MIDNIGHT),
        payload: json!({ "v2": true }),
    })
    .unwrap();
    let version_2 = WireRecord {
        sealed: kiosk.seal(&id, DAY_SUMMARY_KIND, 2, &body),
        id,
        seq: 7,
        kind: DAY_SUMMARY_KIND.into(),
        schema_version: 2,
        day: "2026-11-28".into(),
    };
    let records = vec![
        // An older kiosk's per-visit record, still stored as before.
        kiosk.record(
            1,
            "mood_check_in",
            synced(NOV_2026, 1),
            json!({ "word": "calm" }),
        ),
        summary(kiosk, 2, summary_payload(10)),
        summary(kiosk, 3, bad_key),
        summary(kiosk, 4, extra_field),
        summary(kiosk, 5, json!([1, 2, 3])),
        summary(kiosk, 6, summary_payload(11)),
        version_2,
    ];
    let reply = kiosk
        .post(setup.addr(), &kiosk.batch(records, synced(NOV_2026, 9)))
        .reply();
    assert_eq!(
        outcomes(&reply),
        [
            "stored", "rejected", "rejected", "rejected", "rejected", "stored", "stored"
        ]
    );
    let reasons: Vec<&str> = reply.results[1..5]
        .iter()
        .map(|r| reason(&r.outcome))
        .collect();
    for (reason, expected) in reasons.iter().zip([
        "10 visits, fewer than the 11",
        "\"phq9/9\"",
        "first_visit_ms",
        "not valid",
    ]) {
        assert!(reason.contains(expected), "{reason:?} lacks {expected:?}");
        assert!(!reason.contains('\n'), "{reason:?}");
    }

    let summaries = waystation_hub::summaries(setup.data()).unwrap();
    let ids: Vec<&str> = summaries.iter().map(|s| s.record_id.as_str()).collect();
    assert_eq!(ids, [kiosk.record_id(6)]);
    let kinds: Vec<(String, u64)> = waystation_hub::counts(setup.data())
        .unwrap()
        .into_iter()
        .map(|c| (c.kind, c.records))
        .collect();
    assert_eq!(
        kinds,
        [
            (DAY_SUMMARY_KIND.to_string(), 2),
            ("mood_check_in".to_string(), 1)
        ]
    );
}

/// Whether `ms` is a Shanghai midnight.
fn is_midnight(ms: i64) -> bool {
    (ms + SHANGHAI_MS) % DAY_MS == 0
}

fn is_day_text(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// Judges one stored value about a summary: no column may hold a time finer than a day. A
/// column this test does not know fails it, so that whoever adds one decides here what it
/// may hold.
fn assert_no_finer_than_a_day(table: &str, column: &str, value: &Sql, ids: &[String]) {
    let at = format!("{table}.{column} = {value:?}");
    match (column, value) {
        ("created_monotonic_ms", Sql::Integer(ms)) => assert_eq!(*ms, 0, "{at}"),
        (name, Sql::Integer(ms)) if name.ends_with("_ms") => {
            assert!(is_midnight(*ms), "{at} is not a Shanghai midnight")
        }
        ("day" | "first_day" | "last_day" | "received_day", Sql::Text(day)) => {
            assert!(is_day_text(day), "{at}")
        }
        ("created_boot_id", Sql::Text(boot)) => assert_eq!(boot, "", "{at}"),
        ("id" | "record_id", Sql::Text(id)) => assert!(ids.contains(id), "{at}"),
        ("payload" | "counts", Sql::Text(json)) => {
            let value: Value = serde_json::from_str(json).unwrap();
            let expected = summary_payload(12);
            let expected = if column == "counts" {
                &expected["counts"]
            } else {
                &expected
            };
            assert_eq!(&value, expected, "{at}");
        }
        // Who sent it, in what order, of what kind, how it came, and counts: no times.
        (
            "device_id" | "kind" | "time_source" | "via" | "station" | "district" | "station_kind",
            Sql::Text(_) | Sql::Null,
        )
        | ("seq" | "schema_version" | "created_synced" | "visits", Sql::Integer(_)) => {}
        _ => panic!("{at}: a column this test does not know; judge whether it holds a time"),
    }
}

#[test]
fn nothing_finer_than_a_day_is_kept_about_a_summary() {
    let setup = Setup::new();
    let kiosk = &setup.kiosk;
    let as_sent = summary(kiosk, 1, summary_payload(12));
    let posted = kiosk.post(
        setup.addr(),
        &kiosk.batch(vec![as_sent], synced(NOV_2026 + 1_234, 51_234)),
    );
    assert_eq!(outcomes(&posted.reply()), ["stored"]);
    // A kiosk that breaks the protocol and stamps its summary to the millisecond, in a boot,
    // delivered on a USB stick.
    let careless = kiosk.record(
        2,
        DAY_SUMMARY_KIND,
        unsynced(NOV_2026 + 7, "boot-9", 42_017),
        summary_payload(12),
    );
    let export = kiosk.export(&kiosk.batch(vec![careless], unsynced(NOV_2026, "boot-9", 50_000)));
    let imported = request(setup.addr(), "POST", IMPORT_PATH, &[], &export);
    assert_eq!(outcomes(&imported.reply()), ["stored"]);
    drop(setup.hub);

    let ids = [kiosk.record_id(1), kiosk.record_id(2)];
    let db = rusqlite::Connection::open(setup.dir.path().join(waystation_hub::DB_FILE)).unwrap();
    let tables: Vec<String> = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut rows_seen = Vec::new();
    // Every table but the devices (registered by the field team, before any summary): only
    // the two summaries have been sent, so every row there is about them.
    for table in tables.iter().filter(|t| *t != "devices") {
        let mut stmt = db.prepare(&format!("SELECT * FROM {table}")).unwrap();
        let columns: Vec<String> = stmt.column_names().into_iter().map(String::from).collect();
        let rows: Vec<Vec<Sql>> = stmt
            .query_map([], |row| (0..columns.len()).map(|i| row.get(i)).collect())
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for row in &rows {
            for (column, value) in columns.iter().zip(row) {
                assert_no_finer_than_a_day(table, column, value, &ids);
            }
        }
        rows_seen.push((table.clone(), rows.len()));
    }
    rows_seen.retain(|(_, n)| *n > 0);
    rows_seen.sort();
    assert_eq!(
        rows_seen,
        [("day_summaries".to_string(), 2), ("records".to_string(), 2)]
    );
}
