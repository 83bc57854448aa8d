//! The storage test suite: every behaviour the [`Storage`] trait promises, run against both
//! implementations, SQLite in a temporary folder and a real PostgreSQL
//! (`postgres_server.rs`), each test on an empty database. What only one of them has (SQLite's
//! file modes and WAL, PostgreSQL's schema table) is tested beside it.

use chrono::{NaiveDate, TimeZone};
use postgres::{Client, NoTls};
use waystation_hub::storage::{FleetProblem, HeartbeatDay, KindCount, NewDevice, NewRecord};
use waystation_hub::users::{AuditEntry, Role, Session, User};
use waystation_hub::web::figures::{self, WeekCache};
use waystation_hub::{HubError, Place, PostgresStorage, Storage, Via, Webhook, WebhookFormat};
use waystation_protocol::wire::STAFF_ALERT_KIND;
use waystation_protocol::{ClockStamp, Metric, Outcome, TimeSource};

use crate::postgres_server::fresh_database;
use crate::support::{self, Kiosk, synced};

/// Runs each named test, a function taking the storage, on SQLite and on PostgreSQL.
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        mod on_sqlite {
            $(
                #[test]
                fn $name() {
                    let dir = tempfile::tempdir().unwrap();
                    let mut storage = waystation_hub::SqliteStorage::open(dir.path()).unwrap();
                    super::$name(&mut storage);
                }
            )*
        }
        mod on_postgres {
            $(
                #[test]
                fn $name() {
                    let database = crate::postgres_server::fresh_database();
                    let mut storage =
                        waystation_hub::PostgresStorage::connect(&database.url).unwrap();
                    super::$name(&mut storage);
                }
            )*
        }
    };
}

on_both!(
    an_account_and_its_audit_line_are_written_together_and_never_twice,
    records_are_deduplicated_by_id_within_and_across_transactions,
    a_failed_batch_leaves_nothing_behind,
    registering_again_keeps_what_is_not_given,
    a_revoked_device_stays_revoked_from_the_first_time_and_keeps_its_records,
    the_same_record_id_from_two_devices_is_two_records,
    a_new_summary_gets_its_row_with_the_station_of_the_day_and_a_duplicate_nothing,
    a_summary_that_does_not_check_is_refused_with_its_whole_slice,
    heartbeats_keep_the_newest_and_a_count_per_day,
    a_failed_batch_changes_no_heartbeat,
    weeks_are_read_by_first_day_and_late_summaries_change_no_shown_week,
    sessions_expire_and_wrong_passwords_are_kept_by_time,
    a_removed_account_is_signed_out_and_audited,
    an_alert_is_acknowledged_once_with_its_audit_line,
    the_fleet_watch_raises_each_problem_once_and_closes_it_when_gone,
    alerts_are_forwarded_once_and_read_newest_first,
    the_webhook_is_set_replaced_and_cleared,
    the_audit_log_is_newest_first_within_a_millisecond,
    the_bundle_is_replaced_whole,
    images_are_kept_once_and_rollouts_in_the_order_made,
    remote_help_is_switched_for_one_kiosk_that_can_take_it_with_its_audit_lines,
);

fn device() -> NewDevice {
    NewDevice {
        device_id: "ws-0011223344556677".into(),
        public_key: "key".into(),
        station: Some("jingan-1".into()),
        district: Some("静安区".into()),
        station_kind: Some("暖新驿站".into()),
        note: None,
        added_ms: 1,
    }
}

fn record(id: &str, kind: &str) -> NewRecord {
    NewRecord {
        id: id.into(),
        device_id: device().device_id,
        seq: 1,
        kind: kind.into(),
        schema_version: 1,
        day: "2026-11-28".into(),
        payload: serde_json::json!({ "word": "tired" }),
        created: ClockStamp {
            wall_ms: 10,
            synced: false,
            boot_id: "boot".into(),
            monotonic_ms: 10,
        },
        received_ms: 100,
        corrected_ms: 50,
        time_source: TimeSource::HubReceipt,
        via: Via::Network,
    }
}

fn summary(id: &str, first_day: &str, visits: u64) -> NewRecord {
    NewRecord {
        kind: waystation_protocol::DAY_SUMMARY_KIND.into(),
        payload: serde_json::json!({
            "first_day": first_day,
            "last_day": "2026-11-27",
            "counts": { "visit": { "started": visits }, "slip": { "crisis": 1 } },
        }),
        ..record(id, "")
    }
}

fn an_account_and_its_audit_line_are_written_together_and_never_twice(storage: &mut dyn Storage) {
    let user = User {
        name: "王芳".into(),
        role: Role::Operator,
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        added_ms: 1_795_000_000_000,
    };
    storage.add_user(&user, "command line").unwrap();
    assert_eq!(storage.user("王芳").unwrap(), Some(user.clone()));
    assert_eq!(storage.user("nobody").unwrap(), None);
    let again = User {
        role: Role::Admin,
        ..user.clone()
    };
    assert!(matches!(
        storage.add_user(&again, "command line"),
        Err(HubError::UserExists(name)) if name == "王芳"
    ));
    assert_eq!(storage.users().unwrap(), [user]);
    let log = storage.audit_log(10).unwrap();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0].action, "account added");
    assert_eq!(log[0].detail, "王芳 (operator)");
    assert!(!log[0].detail.contains("argon2"));
}

fn records_are_deduplicated_by_id_within_and_across_transactions(storage: &mut dyn Storage) {
    storage.add_device(&device()).unwrap();
    let a = record("a", "mood_check_in");
    let b = record("b", "some_kind_from_the_future");
    assert_eq!(
        storage.ingest(&[a.clone(), b.clone(), a.clone()]).unwrap(),
        [Outcome::Stored, Outcome::Stored, Outcome::Duplicate]
    );
    assert_eq!(
        storage.ingest(&[b, a]).unwrap(),
        [Outcome::Duplicate, Outcome::Duplicate]
    );
    let stored = storage.records().unwrap();
    assert_eq!(stored.len(), 2);
    assert_eq!(stored[0].payload, serde_json::json!({ "word": "tired" }));
    assert_eq!(stored[0].time_source, TimeSource::HubReceipt);
    assert_eq!(
        storage.counts().unwrap(),
        [
            KindCount {
                device_id: device().device_id,
                kind: "mood_check_in".into(),
                records: 1
            },
            KindCount {
                device_id: device().device_id,
                kind: "some_kind_from_the_future".into(),
                records: 1
            },
        ]
    );
}

fn a_failed_batch_leaves_nothing_behind(storage: &mut dyn Storage) {
    storage.add_device(&device()).unwrap();
    // The second record names an unregistered device, which the foreign key refuses.
    let stranger = NewRecord {
        device_id: "ws-ffffffffffffffff".into(),
        ..record("b", "k")
    };
    assert!(storage.ingest(&[record("a", "k"), stranger]).is_err());
    assert!(storage.records().unwrap().is_empty());
}

fn registering_again_keeps_what_is_not_given(storage: &mut dyn Storage) {
    storage.add_device(&device()).unwrap();
    storage
        .add_device(&NewDevice {
            station: None,
            note: Some("by the door".into()),
            added_ms: 2,
            ..device()
        })
        .unwrap();
    let devices = storage.devices().unwrap();
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0].station.as_deref(), Some("jingan-1"));
    assert_eq!(devices[0].note.as_deref(), Some("by the door"));
    assert_eq!(devices[0].added_ms, 1);
    let found = storage.device(&device().device_id).unwrap().unwrap();
    assert_eq!(found.public_key, "key");
    assert_eq!(found.revoked_ms, None);
    assert_eq!(storage.device("ws-none").unwrap(), None);
}

fn a_revoked_device_stays_revoked_from_the_first_time_and_keeps_its_records(
    storage: &mut dyn Storage,
) {
    storage.add_device(&device()).unwrap();
    storage.ingest(&[record("a", "k")]).unwrap();
    let id = device().device_id;
    assert_eq!(storage.revoke_device(&id, 500).unwrap(), Some(500));
    assert_eq!(storage.revoke_device(&id, 900).unwrap(), Some(500));
    assert_eq!(storage.revoke_device("ws-none", 900).unwrap(), None);
    assert_eq!(storage.device(&id).unwrap().unwrap().revoked_ms, Some(500));
    assert_eq!(storage.devices().unwrap()[0].revoked_ms, Some(500));
    assert_eq!(storage.records().unwrap().len(), 1);
}

fn the_same_record_id_from_two_devices_is_two_records(storage: &mut dyn Storage) {
    storage.add_device(&device()).unwrap();
    let other = NewDevice {
        device_id: "ws-ffffffffffffffff".into(),
        public_key: "other".into(),
        ..device()
    };
    storage.add_device(&other).unwrap();
    let mine = record("a", STAFF_ALERT_KIND);
    let theirs = NewRecord {
        device_id: other.device_id.clone(),
        ..mine.clone()
    };
    // The other device sends the id first; mine is still stored, and each resend is a
    // duplicate for its own device only.
    assert_eq!(
        storage.ingest(std::slice::from_ref(&theirs)).unwrap(),
        [Outcome::Stored]
    );
    assert_eq!(
        storage.ingest(std::slice::from_ref(&mine)).unwrap(),
        [Outcome::Stored]
    );
    assert_eq!(
        storage.ingest(&[mine.clone(), theirs.clone()]).unwrap(),
        [Outcome::Duplicate, Outcome::Duplicate]
    );
    assert_eq!(storage.records().unwrap().len(), 2);
    let mine_alert = storage.alert(&mine.device_id, "a").unwrap().unwrap();
    let their_alert = storage.alert(&other.device_id, "a").unwrap().unwrap();
    assert_eq!(mine_alert.device_id, mine.device_id);
    assert_eq!(their_alert.device_id, other.device_id);
    storage
        .note_forward(&mine.device_id, "a", 700, true, Ok(()))
        .unwrap();
    let mine_alert = storage.alert(&mine.device_id, "a").unwrap().unwrap();
    let their_alert = storage.alert(&other.device_id, "a").unwrap().unwrap();
    assert_eq!(mine_alert.forwarded_ms, Some(700));
    assert_eq!(their_alert.forwarded_ms, None);
}

fn a_new_summary_gets_its_row_with_the_station_of_the_day_and_a_duplicate_nothing(
    storage: &mut dyn Storage,
) {
    storage.add_device(&device()).unwrap();
    let later = summary("b", "2026-11-27", 11);
    let earlier = summary("a", "2026-11-20", 40);
    assert_eq!(
        storage
            .ingest(&[later.clone(), earlier.clone(), later.clone()])
            .unwrap(),
        [Outcome::Stored, Outcome::Stored, Outcome::Duplicate]
    );
    // The kiosk moves to another station: what it sent before stays with the old one,
    // and a resend writes nothing.
    storage
        .add_device(&NewDevice {
            station: Some("pudong-2".into()),
            district: Some("浦东新区".into()),
            station_kind: None,
            ..device()
        })
        .unwrap();
    assert_eq!(storage.ingest(&[earlier]).unwrap(), [Outcome::Duplicate]);
    let moved = storage.device(&device().device_id).unwrap().unwrap();
    assert_eq!(
        (moved.district.as_deref(), moved.station_kind.as_deref()),
        (Some("浦东新区"), Some("暖新驿站")),
        "a kind not given again is kept"
    );
    let there = summary("c", "2026-11-27", 13);
    storage.ingest(&[there]).unwrap();
    let other = NewDevice {
        device_id: "ws-ffffffffffffffff".into(),
        public_key: "other".into(),
        station: None,
        ..device()
    };
    storage.add_device(&other).unwrap();
    let theirs = NewRecord {
        device_id: other.device_id.clone(),
        ..summary("a", "2026-11-01", 12)
    };
    storage.ingest(&[theirs]).unwrap();

    let stored = storage.summaries().unwrap();
    type Listed<'a> = (
        &'a str,
        &'a str,
        Option<&'a str>,
        Option<&'a str>,
        &'a str,
        u64,
    );
    let listed: Vec<Listed> = stored
        .iter()
        .map(|s| {
            (
                s.device_id.as_str(),
                s.record_id.as_str(),
                s.station.as_deref(),
                s.district.as_deref(),
                s.summary.first_day.as_str(),
                s.visits,
            )
        })
        .collect();
    let mine = device().device_id;
    assert_eq!(
        listed,
        [
            (
                mine.as_str(),
                "a",
                Some("jingan-1"),
                Some("静安区"),
                "2026-11-20",
                40
            ),
            (
                mine.as_str(),
                "b",
                Some("jingan-1"),
                Some("静安区"),
                "2026-11-27",
                11
            ),
            (
                mine.as_str(),
                "c",
                Some("pudong-2"),
                Some("浦东新区"),
                "2026-11-27",
                13
            ),
            (
                other.device_id.as_str(),
                "a",
                None,
                Some("静安区"),
                "2026-11-01",
                12
            ),
        ]
    );
    assert_eq!(stored[0].station_kind.as_deref(), Some("暖新驿站"));
    assert_eq!(stored[1].summary.count(Metric::Slip, "crisis"), 1);
    assert_eq!(stored[1].summary.last_day, "2026-11-27");
    // received_ms 100 is 08:00 on the first day of 1970 in Shanghai.
    assert_eq!(stored[1].received_day, "1970-01-01");
    assert_eq!(storage.records().unwrap().len(), 4);
}

fn a_summary_that_does_not_check_is_refused_with_its_whole_slice(storage: &mut dyn Storage) {
    storage.add_device(&device()).unwrap();
    let err = storage
        .ingest(&[record("a", "k"), summary("b", "2026-11-27", 10)])
        .unwrap_err();
    assert!(err.to_string().contains("fewer than the 11"), "{err}");
    assert!(storage.records().unwrap().is_empty());
    assert!(storage.summaries().unwrap().is_empty());
}

fn heartbeat(seq: i64, day: &str, received_ms: i64) -> NewRecord {
    NewRecord {
        id: format!("beat-{seq}"),
        seq,
        day: day.into(),
        received_ms,
        payload: serde_json::json!({ "paper": "ok", "seq": seq }),
        ..record("", "heartbeat")
    }
}

fn heartbeats_keep_the_newest_and_a_count_per_day(storage: &mut dyn Storage) {
    storage.add_device(&device()).unwrap();
    assert_eq!(
        storage
            .ingest(&[
                heartbeat(5, "2026-11-27", 1_000),
                record("m", "mood_check_in"),
                heartbeat(7, "2026-11-27", 2_000),
                // Older than the newest (a repeat, or superseded): nothing changes.
                heartbeat(6, "2026-11-27", 2_500),
                heartbeat(7, "2026-11-27", 2_600),
            ])
            .unwrap(),
        [
            Outcome::Stored,
            Outcome::Stored,
            Outcome::Stored,
            Outcome::Duplicate,
            Outcome::Duplicate
        ]
    );
    assert_eq!(
        storage
            .ingest(&[heartbeat(9, "2026-11-28", 3_000)])
            .unwrap(),
        [Outcome::Stored]
    );
    let newest = storage.latest_heartbeats().unwrap();
    assert_eq!(newest.len(), 1);
    assert_eq!((newest[0].seq, newest[0].kind.as_str()), (9, "heartbeat"));
    assert_eq!(newest[0].payload["seq"], 9);
    assert_eq!(newest[0].received_ms, 3_000);
    let id = device().device_id;
    let day = |day: &str, heartbeats, first, last| HeartbeatDay {
        device_id: id.clone(),
        day: day.into(),
        heartbeats,
        first_received_ms: first,
        last_received_ms: last,
    };
    assert_eq!(
        storage.heartbeat_days("2026-11-01", "2026-11-30").unwrap(),
        [
            day("2026-11-27", 2, 1_000, 2_000),
            day("2026-11-28", 1, 3_000, 3_000)
        ]
    );
    assert_eq!(
        storage.heartbeat_days("2026-11-28", "2026-11-28").unwrap(),
        [day("2026-11-28", 1, 3_000, 3_000)]
    );
    // Counted as heartbeats received; only the newest is a record.
    let counts = storage.counts().unwrap();
    let kinds: Vec<(&str, u64)> = counts
        .iter()
        .map(|c| (c.kind.as_str(), c.records))
        .collect();
    assert_eq!(kinds, [("heartbeat", 3), ("mood_check_in", 1)]);
    let records: Vec<(String, i64)> = storage
        .records()
        .unwrap()
        .into_iter()
        .map(|r| (r.kind, r.seq))
        .collect();
    assert_eq!(
        records,
        [("mood_check_in".into(), 1), ("heartbeat".into(), 9)]
    );
}

fn a_failed_batch_changes_no_heartbeat(storage: &mut dyn Storage) {
    storage.add_device(&device()).unwrap();
    storage
        .ingest(&[heartbeat(3, "2026-11-27", 1_000)])
        .unwrap();
    let stranger = NewRecord {
        device_id: "ws-ffffffffffffffff".into(),
        ..record("b", "k")
    };
    assert!(
        storage
            .ingest(&[heartbeat(4, "2026-11-27", 2_000), stranger])
            .is_err()
    );
    assert_eq!(storage.latest_heartbeats().unwrap()[0].seq, 3);
    assert_eq!(
        storage.heartbeat_days("2026-11-27", "2026-11-27").unwrap()[0].heartbeats,
        1
    );
}

/// Noon of a Shanghai day, in ms since the epoch.
fn noon(day: &str) -> i64 {
    let date = NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap();
    chrono::FixedOffset::east_opt(8 * 3600)
        .unwrap()
        .from_local_datetime(&date.and_hms_opt(12, 0, 0).unwrap())
        .unwrap()
        .timestamp_millis()
}

/// A one-day summary of `day` with `visits` visits and `crisis` crisis routes, received at
/// noon on `received`.
fn day_summary(id: &str, day: &str, received: &str, visits: u64, crisis: u64) -> NewRecord {
    let mut counts = serde_json::json!({ "visit": { "started": visits } });
    if crisis > 0 {
        // A count of zero is left out, as the kiosk does.
        counts["crisis"] = serde_json::json!({ "reached": crisis });
    }
    NewRecord {
        kind: waystation_protocol::DAY_SUMMARY_KIND.into(),
        received_ms: noon(received),
        payload: serde_json::json!({ "first_day": day, "last_day": day, "counts": counts }),
        ..record(id, "")
    }
}

fn weeks_are_read_by_first_day_and_late_summaries_change_no_shown_week(storage: &mut dyn Storage) {
    storage.add_device(&device()).unwrap();
    storage
        .ingest(&[
            day_summary("a", "2026-11-16", "2026-11-17", 30, 4),
            day_summary("b", "2026-11-22", "2026-11-26", 20, 9),
            day_summary("c", "2026-11-23", "2026-11-24", 15, 0),
        ])
        .unwrap();
    let week: Vec<String> = storage
        .summaries_between("2026-11-16", "2026-11-22")
        .unwrap()
        .into_iter()
        .map(|s| s.record_id)
        .collect();
    assert_eq!(week, ["a", "b"]);
    assert_eq!(
        storage
            .summaries_received_after("2026-11-16", "2026-11-22", "2026-11-25")
            .unwrap(),
        1
    );

    // Friday 12-04: the week of 11-16 has been shown since 11-27, that of 11-23 since today.
    let today = NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
    let cache = WeekCache::default();
    let before = cache.overview(storage, today).unwrap();
    let (newest, older) = (&before[0], &before[1]);
    assert_eq!(newest.shown.column_totals[0], Some(15));
    assert_eq!(older.shown.column_totals[0], Some(50));
    assert_eq!(
        older.shown.column_totals[3],
        Some(13),
        "4 + 9 crisis routes"
    );
    let mondays: Vec<NaiveDate> = before.iter().map(|w| w.monday).collect();
    assert_eq!(figures::late(storage, &mondays).unwrap(), 0);

    // A summary of 11-18 arrives on 12-01, long after its week settled: kept, counted as
    // late, and in no figure, read again from storage or not.
    storage
        .ingest(&[day_summary("d", "2026-11-18", "2026-12-01", 12, 1)])
        .unwrap();
    assert_eq!(figures::late(storage, &mondays).unwrap(), 1);
    for after in [
        cache.overview(storage, today).unwrap(),
        WeekCache::default().overview(storage, today).unwrap(),
    ] {
        let shown = |weeks: &[std::sync::Arc<figures::WeekTable>]| {
            weeks.iter().map(|w| w.shown.clone()).collect::<Vec<_>>()
        };
        assert_eq!(shown(&after), shown(&before));
    }
}

fn a_removed_account_is_signed_out_and_audited(storage: &mut dyn Storage) {
    let (user, _) = account_signed_in(storage, Role::Operator);
    assert!(storage.session("t1", 10).unwrap().is_some());
    assert!(storage.remove_user("li", "王芳", 20).unwrap());
    assert_eq!(storage.user("li").unwrap(), None);
    assert_eq!(
        storage.session("t1", 30).unwrap(),
        None,
        "signed out at once"
    );
    assert!(
        !storage.remove_user("li", "王芳", 40).unwrap(),
        "gone already"
    );
    let log = storage.audit_log(10).unwrap();
    assert_eq!(
        (
            log[0].actor.as_str(),
            log[0].action.as_str(),
            log[0].detail.as_str()
        ),
        ("王芳", "account removed", "li")
    );
    assert_eq!(log.len(), 2, "the addition and the removal: {log:?}");
    // The name can be used again.
    storage.add_user(&user, "test").unwrap();
}

/// The account "li" with this role, and its session "t1" open until 1,000 ms.
fn account_signed_in(storage: &mut dyn Storage, role: Role) -> (User, Session) {
    let user = User {
        name: "li".into(),
        role,
        password_hash: "hash".into(),
        added_ms: 1,
    };
    storage.add_user(&user, "test").unwrap();
    let session = Session {
        token_hash: "t1".into(),
        user_name: "li".into(),
        csrf: "c1".into(),
        expires_ms: 1_000,
    };
    storage.add_session(&session).unwrap();
    (user, session)
}

fn sessions_expire_and_wrong_passwords_are_kept_by_time(storage: &mut dyn Storage) {
    let (user, session) = account_signed_in(storage, Role::Viewer);
    storage
        .add_session(&Session {
            token_hash: "t2".into(),
            expires_ms: 5_000,
            ..session.clone()
        })
        .unwrap();
    assert_eq!(
        storage.session("t1", 999).unwrap(),
        Some((session.clone(), user.clone()))
    );
    assert_eq!(storage.session("t1", 1_000).unwrap(), None);
    // Expired means gone, even if the clock went back.
    assert_eq!(storage.session("t1", 10).unwrap(), None);
    storage.end_session("t2").unwrap();
    assert_eq!(storage.session("t2", 10).unwrap(), None);
    assert_eq!(storage.session("nothing", 10).unwrap(), None);

    for at in [10, 20, 30] {
        storage.note_wrong_password("li", at).unwrap();
    }
    storage.note_wrong_password("someone else", 25).unwrap();
    assert_eq!(storage.wrong_passwords("li", 15).unwrap(), [20, 30]);
    assert_eq!(
        storage.wrong_passwords("nobody", 0).unwrap(),
        Vec::<i64>::new()
    );
}

fn an_alert_is_acknowledged_once_with_its_audit_line(storage: &mut dyn Storage) {
    storage.add_device(&device()).unwrap();
    let call = NewRecord {
        payload: serde_json::json!({ "kind": "staff_call" }),
        ..record("call", STAFF_ALERT_KIND)
    };
    storage.ingest(&[call]).unwrap();
    let id = device().device_id;
    let alert = storage.alert(&id, "call").unwrap().unwrap();
    assert_eq!(alert.station, "jingan-1", "the registered station");
    assert_eq!(alert.acknowledged, None);
    assert!(storage.acknowledge_alert(&id, "call", "王芳", 900).unwrap());
    assert!(!storage.acknowledge_alert(&id, "call", "li", 950).unwrap());
    assert!(!storage.acknowledge_alert(&id, "none", "li", 950).unwrap());
    let alert = storage.alert(&id, "call").unwrap().unwrap();
    assert_eq!(alert.acknowledged, Some((900, "王芳".to_string())));
    let log = storage.audit_log(10).unwrap();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(
        (log[0].actor.as_str(), log[0].action.as_str()),
        ("王芳", "alert acknowledged")
    );
    assert!(log[0].detail.contains("jingan-1"));
}

fn the_fleet_watch_raises_each_problem_once_and_closes_it_when_gone(storage: &mut dyn Storage) {
    storage.add_device(&device()).unwrap();
    let id = device().device_id;
    let problem = |kind: &'static str| FleetProblem {
        device_id: id.clone(),
        station: "jingan-1".into(),
        kind,
    };
    let kinds = |alerts: &[waystation_hub::Alert]| {
        let mut kinds: Vec<String> = alerts.iter().map(|a| a.kind.clone()).collect();
        kinds.sort();
        kinds
    };
    // The pass is given the registered devices (and their heartbeats: none yet).
    let mut seen = Vec::new();
    let raised = storage
        .watch_fleet(1_000, &mut |devices, heartbeats| {
            seen.extend(devices.iter().map(|d| d.device_id.clone()));
            assert!(heartbeats.is_empty());
            vec![problem("paper_out"), problem("kiosk_silent")]
        })
        .unwrap();
    assert_eq!(seen, std::slice::from_ref(&id));
    assert_eq!(kinds(&raised), ["kiosk_silent", "paper_out"]);
    assert!(raised.iter().all(|a| a.via == Via::Watch
        && a.at_ms == 1_000
        && a.station == "jingan-1"
        && a.cleared_ms.is_none()));
    // Seen again, the same problems raise nothing; the silence ends, so its alert closes.
    assert_eq!(
        storage
            .watch_fleet(2_000, &mut |_, _| vec![problem("paper_out")])
            .unwrap(),
        []
    );
    let all = storage.alerts(None, 10).unwrap();
    assert_eq!(all.len(), 2, "{all:?}");
    let silent = all.iter().find(|a| a.kind == "kiosk_silent").unwrap();
    assert_eq!(silent.cleared_ms, Some(2_000));
    let paper = all.iter().find(|a| a.kind == "paper_out").unwrap();
    assert_eq!(paper.cleared_ms, None);
    // A silence that comes back is a new alert; the closed one stays as it was.
    let again = storage
        .watch_fleet(3_000, &mut |_, _| {
            vec![problem("paper_out"), problem("kiosk_silent")]
        })
        .unwrap();
    assert_eq!(kinds(&again), ["kiosk_silent"]);
    assert_ne!(again[0].record_id, silent.record_id);
    assert_eq!(storage.alerts(None, 10).unwrap().len(), 3);
    // The hub's own alerts are passed on and acknowledged like a worker's call.
    storage
        .note_forward(&id, &paper.record_id, 3_500, true, Ok(()))
        .unwrap();
    assert!(
        storage
            .acknowledge_alert(&id, &paper.record_id, "王芳", 4_000)
            .unwrap()
    );
    let paper = storage.alert(&id, &paper.record_id).unwrap().unwrap();
    assert_eq!(
        (paper.forwarded_ms, paper.acknowledged),
        (Some(3_500), Some((4_000, "王芳".to_string())))
    );
    // Nothing found: every open alert closes, and nothing is raised.
    assert_eq!(
        storage.watch_fleet(5_000, &mut |_, _| Vec::new()).unwrap(),
        []
    );
    assert!(
        storage
            .alerts(None, 10)
            .unwrap()
            .iter()
            .all(|a| a.cleared_ms.is_some())
    );
}

fn alerts_are_forwarded_once_and_read_newest_first(storage: &mut dyn Storage) {
    storage.add_device(&device()).unwrap();
    let call = |id: &str, at: i64| NewRecord {
        corrected_ms: at,
        payload: serde_json::json!({ "station": "静安 1", "kind": "staff_call" }),
        ..record(id, STAFF_ALERT_KIND)
    };
    storage
        .ingest(&[call("old", 100), call("new", 300), call("mid", 200)])
        .unwrap();
    let ids = |alerts: Vec<waystation_hub::Alert>| {
        alerts.into_iter().map(|a| a.record_id).collect::<Vec<_>>()
    };
    assert_eq!(
        ids(storage.alerts(None, 10).unwrap()),
        ["new", "mid", "old"]
    );
    assert_eq!(ids(storage.alerts(Some(200), 10).unwrap()), ["new", "mid"]);
    assert_eq!(ids(storage.alerts(None, 1).unwrap()), ["new"]);
    let id = device().device_id;
    storage
        .note_forward(&id, "old", 400, true, Err("timed out"))
        .unwrap();
    storage
        .note_forward(&id, "old", 500, false, Err("no webhook"))
        .unwrap();
    let alert = storage.alert(&id, "old").unwrap().unwrap();
    assert_eq!(alert.station, "静安 1", "the station the kiosk named");
    assert_eq!(
        (
            alert.forwarded_ms,
            alert.attempts,
            alert.last_error.as_deref()
        ),
        (None, 1, Some("no webhook"))
    );
    storage.note_forward(&id, "old", 600, true, Ok(())).unwrap();
    storage
        .note_forward(&id, "old", 700, true, Err("later failure"))
        .unwrap();
    let alert = storage.alert(&id, "old").unwrap().unwrap();
    assert_eq!(
        (alert.forwarded_ms, alert.attempts, alert.last_error),
        (Some(600), 3, None),
        "once forwarded, it stays forwarded"
    );
}

fn the_webhook_is_set_replaced_and_cleared(storage: &mut dyn Storage) {
    assert_eq!(storage.webhook().unwrap(), None);
    let first = Webhook::new("https://hooks.example.org/a", WebhookFormat::Json).unwrap();
    let second = Webhook::new("https://hooks.example.org/b", WebhookFormat::Wecom).unwrap();
    storage.set_webhook(Some(&first), 1).unwrap();
    storage.set_webhook(Some(&second), 2).unwrap();
    assert_eq!(storage.webhook().unwrap(), Some(second));
    storage.set_webhook(None, 3).unwrap();
    assert_eq!(storage.webhook().unwrap(), None);
}

fn the_audit_log_is_newest_first_within_a_millisecond(storage: &mut dyn Storage) {
    for action in ["first", "second", "third"] {
        storage
            .audit(&AuditEntry {
                at_ms: 42,
                actor: "li".into(),
                action: action.into(),
                detail: String::new(),
            })
            .unwrap();
    }
    let actions: Vec<String> = storage
        .audit_log(2)
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(actions, ["third", "second"]);
}

fn the_bundle_is_replaced_whole(storage: &mut dyn Storage) {
    assert_eq!(storage.bundle().unwrap(), None);
    storage.set_bundle(b"{\"v\":1}").unwrap();
    storage.set_bundle(b"{\"v\":2}").unwrap();
    assert_eq!(storage.bundle().unwrap().unwrap(), b"{\"v\":2}");
}

/// A database a hub made at PostgreSQL schema 1, before heartbeats were rolled up: its
/// heartbeats are rolled up by the migration and everything else kept. Its rows are written
/// as that hub wrote them, in SQL: today's statements expect today's columns.
#[test]
fn a_postgres_database_of_the_previous_version_is_brought_up_to_date() {
    let database = fresh_database();
    drop(PostgresStorage::connect_at(&database.url, 1).unwrap());
    let mut client = Client::connect(&database.url, NoTls).unwrap();
    client
        .batch_execute(
            "INSERT INTO devices (device_id, public_key, station, note, added_ms)
                 VALUES ('ws-0011223344556677', 'key', 'jingan-1', NULL, 1);
             INSERT INTO records (id, device_id, seq, kind, schema_version, day, payload,
                 created_wall_ms, created_synced, created_boot_id, created_monotonic_ms,
                 received_ms, corrected_ms, time_source, via)
             VALUES ('m', 'ws-0011223344556677', 1, 'mood_check_in', 1, '2026-11-28',
                     '{\"word\":\"tired\"}', 10, false, 'boot', 10, 100, 50, 'hub_receipt',
                     'network'),
                    ('call', 'ws-0011223344556677', 5, 'staff_alert', 1, '2026-11-28',
                     '{\"kind\":\"staff_call\"}', 10, false, 'boot', 20, 100, 50, 'hub_receipt',
                     'network');
             INSERT INTO alerts (record_id, device_id, station, kind, at_ms, received_ms, via,
                 forwarded_ms, attempts, last_error)
             VALUES ('call', 'ws-0011223344556677', 'jingan-1', 'staff_call', 50, 100,
                     'network', 200, 1, NULL);",
        )
        .unwrap();
    for (id, seq, day, received) in [
        ("h1", 2, "2026-11-27", 1_000),
        ("h2", 3, "2026-11-27", 2_000),
        ("h3", 4, "2026-11-28", 3_000),
    ] {
        client
            .execute(
                "INSERT INTO records (id, device_id, seq, kind, schema_version, day, payload,
                     created_wall_ms, created_synced, created_boot_id, created_monotonic_ms,
                     received_ms, corrected_ms, time_source, via)
                 VALUES ($1, $2, $3, 'heartbeat', 1, $4, '{}', 0, false, 'b', 0, $5, $5,
                     'hub_receipt', 'network')",
                &[
                    &id,
                    &device().device_id,
                    &(seq as i64),
                    &day,
                    &(received as i64),
                ],
            )
            .unwrap();
    }
    drop(client);

    let mut storage = PostgresStorage::connect(&database.url).unwrap();
    let newest = storage.latest_heartbeats().unwrap();
    assert_eq!((newest[0].id.as_str(), newest[0].seq), ("h3", 4));
    let days = storage.heartbeat_days("2026-11-01", "2026-11-30").unwrap();
    let counted: Vec<(&str, u64)> = days
        .iter()
        .map(|d| (d.day.as_str(), d.heartbeats))
        .collect();
    assert_eq!(counted, [("2026-11-27", 2), ("2026-11-28", 1)]);
    let kinds: Vec<(String, u64)> = storage
        .counts()
        .unwrap()
        .into_iter()
        .map(|c: KindCount| (c.kind, c.records))
        .collect();
    assert_eq!(
        kinds,
        [
            ("heartbeat".into(), 3),
            ("mood_check_in".into(), 1),
            (STAFF_ALERT_KIND.into(), 1)
        ]
    );
    // The worker's call kept its alert through migration 3, which let alerts come without a
    // record.
    let call = storage.alert(&device().device_id, "call").unwrap().unwrap();
    assert_eq!(
        (
            call.station.as_str(),
            call.kind.as_str(),
            call.via,
            call.forwarded_ms,
            call.attempts,
            call.cleared_ms
        ),
        ("jingan-1", "staff_call", Via::Network, Some(200), 1, None)
    );
    // Nothing is migrated twice: opening again changes nothing.
    drop(storage);
    let mut again = PostgresStorage::connect(&database.url).unwrap();
    assert_eq!(
        again.heartbeat_days("2026-11-01", "2026-11-30").unwrap(),
        days
    );
    assert_eq!(
        again.ingest(&[heartbeat(4, "2026-11-28", 4_000)]).unwrap(),
        [Outcome::Duplicate]
    );
}

#[test]
fn a_postgres_database_from_a_newer_hub_is_refused() {
    let database = fresh_database();
    drop(PostgresStorage::connect(&database.url).unwrap());
    let mut client = Client::connect(&database.url, NoTls).unwrap();
    client
        .execute(
            "INSERT INTO schema_migrations (version, applied_ms) VALUES (99, 0)",
            &[],
        )
        .unwrap();
    let err = PostgresStorage::connect(&database.url).err().unwrap();
    assert!(matches!(err, HubError::Postgres(_)), "{err}");
    assert!(err.to_string().contains("newer than this hub"), "{err}");
}

/// The whole hub on PostgreSQL: a kiosk's batch over HTTP, the command line's accounts and
/// counts, all through `--database`.
#[test]
fn a_hub_on_postgres_receives_batches_and_the_command_line_reads_them() {
    let database = fresh_database();
    let dir = tempfile::tempdir().unwrap();
    let place = Place {
        dir: dir.path().to_path_buf(),
        database: Some(database.url.clone()),
    };
    let centre = waystation_hub::keygen(dir.path()).unwrap();
    let kiosk = Kiosk::new(1, &centre);
    waystation_hub::add_device(&place, &kiosk.key.public_base64(), Some("静安 1"), None).unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let hub = waystation_hub::start(&place, listener).unwrap();
    let now = support::NOV_2026;
    let body = kiosk.batch(
        vec![
            kiosk.record(
                1,
                "mood_check_in",
                synced(now, 1),
                serde_json::json!({ "w": 1 }),
            ),
            kiosk.record(
                2,
                "heartbeat",
                synced(now, 2),
                serde_json::json!({ "queue": 0 }),
            ),
        ],
        synced(now, 3),
    );
    let reply = kiosk.post(hub.addr(), &body).reply();
    assert_eq!(support::outcomes(&reply), ["stored", "stored"]);
    assert_eq!(
        support::outcomes(&kiosk.post(hub.addr(), &body).reply()),
        ["duplicate", "duplicate"]
    );
    hub.stop();
    // Nothing went to a hub.db in the folder.
    assert!(!dir.path().join(waystation_hub::DB_FILE).exists());
    let counts = waystation_hub::counts(&place).unwrap();
    assert_eq!(counts.len(), 2, "{counts:?}");
    assert!(waystation_hub::counts(dir.path()).unwrap().is_empty());
}

fn images_are_kept_once_and_rollouts_in_the_order_made(storage: &mut dyn Storage) {
    use waystation_hub::{Image, Scope};
    storage.add_device(&device()).unwrap();
    let image = |version: &str, added_ms| Image {
        version: version.into(),
        sha256: "ab".repeat(32),
        size: 5_000_000_000,
        file_name: format!("{version}.raucb"),
        added_ms,
    };
    assert!(storage.add_image(&image("2026.12.3", 1)).unwrap());
    assert!(
        !storage.add_image(&image("2026.12.3", 2)).unwrap(),
        "a version names one bundle for good"
    );
    assert!(storage.add_image(&image("2026.12.4", 3)).unwrap());
    assert_eq!(
        storage.images().unwrap(),
        [image("2026.12.3", 1), image("2026.12.4", 3)],
        "sizes past 4 GiB survive, the first of a version stays"
    );
    storage.add_rollout("2026.12.4", &[Scope::All], 10).unwrap();
    storage
        .add_rollout(
            "2026.12.3",
            &[
                Scope::District("静安区".into()),
                Scope::Kiosk(device().device_id),
            ],
            10,
        )
        .unwrap();
    let rollouts = storage.rollouts().unwrap();
    let seen: Vec<(&str, &Scope, i64)> = rollouts
        .iter()
        .map(|r| (r.version.as_str(), &r.scope, r.created_ms))
        .collect();
    assert_eq!(
        seen,
        [
            ("2026.12.4", &Scope::All, 10),
            ("2026.12.3", &Scope::District("静安区".into()), 10),
            ("2026.12.3", &Scope::Kiosk(device().device_id), 10),
        ]
    );
    assert!(rollouts.windows(2).all(|w| w[0].id < w[1].id));
    // The newest rollout that takes the kiosk in, among those made in the same millisecond.
    let registered = storage.device(&device().device_id).unwrap().unwrap();
    let target = waystation_hub::updates::target(&registered, &rollouts).unwrap();
    assert_eq!(target.scope, Scope::Kiosk(device().device_id));
    assert!(
        storage.add_rollout("9.9.9", &[Scope::All], 11).is_err(),
        "a rollout names an image the hub holds"
    );
    assert_eq!(storage.rollouts().unwrap().len(), 3);
}

fn remote_help_is_switched_for_one_kiosk_that_can_take_it_with_its_audit_lines(
    storage: &mut dyn Storage,
) {
    use waystation_hub::remote_help::{self, RemoteHelp};
    storage.add_device(&device()).unwrap();
    let id = device().device_id;
    let now = 1_795_000_000_000;
    let beat = |seq: i64, available: bool| NewRecord {
        seq,
        payload: serde_json::json!({ "remote_help": { "available": available, "tunnel": null } }),
        ..record(&format!("beat-{seq}"), waystation_hub::HEARTBEAT_KIND)
    };
    // No heartbeat yet, then one from a kiosk without a jump host: refused.
    let no_jump = |storage: &mut dyn Storage| {
        matches!(
            remote_help::switch_on(storage, &id, 60, "王芳", now),
            Err(HubError::NoJumpHost(_))
        )
    };
    assert!(no_jump(storage));
    storage.ingest(&[beat(1, false)]).unwrap();
    assert!(no_jump(storage));
    storage.ingest(&[beat(2, true)]).unwrap();
    for minutes in [0, 481] {
        assert!(matches!(
            remote_help::switch_on(storage, &id, minutes, "王芳", now),
            Err(HubError::BadMinutes(m)) if m == minutes
        ));
    }
    assert!(matches!(
        remote_help::switch_on(storage, "ws-ffffffffffffffff", 60, "王芳", now),
        Err(HubError::UnknownDevice(_))
    ));
    assert!(storage.remote_helps().unwrap().is_empty());
    assert!(
        storage.audit_log(10).unwrap().is_empty(),
        "refusals write nothing"
    );

    let help = remote_help::switch_on(storage, &id, 60, "王芳", now).unwrap();
    let expected = RemoteHelp {
        device_id: id.clone(),
        until_ms: now + 3_600_000,
        granted_by: "王芳".into(),
        granted_ms: now,
    };
    assert_eq!(help, expected);
    assert_eq!(
        storage.remote_helps().unwrap(),
        std::slice::from_ref(&expected)
    );
    assert_eq!(
        remote_help::in_force(storage, now + 3_599_999).unwrap(),
        [expected]
    );
    assert!(
        remote_help::in_force(storage, now + 3_600_000)
            .unwrap()
            .is_empty(),
        "ends by itself"
    );
    // Switched on again: the time and the name replaced, one row still.
    remote_help::switch_on(storage, &id, 30, "li", now + 1000).unwrap();
    let helps = storage.remote_helps().unwrap();
    assert_eq!(helps.len(), 1);
    assert_eq!(
        (helps[0].until_ms, helps[0].granted_by.as_str()),
        (now + 1000 + 1_800_000, "li")
    );

    assert!(remote_help::switch_off(storage, &id, "王芳", now + 2000).unwrap());
    assert!(!remote_help::switch_off(storage, &id, "王芳", now + 3000).unwrap());
    assert!(storage.remote_helps().unwrap().is_empty());
    let log = storage.audit_log(10).unwrap();
    let lines: Vec<(&str, &str)> = log
        .iter()
        .map(|l| (l.actor.as_str(), l.action.as_str()))
        .collect();
    assert_eq!(
        lines,
        [
            ("王芳", "remote help off"),
            ("li", "remote help on"),
            ("王芳", "remote help on"),
        ]
    );
    assert!(
        log[2].detail.starts_with(&id) && log[2].detail.contains("until"),
        "{}",
        log[2].detail
    );
    // A switch whose time is up goes quietly when switched off: no audit line for nothing.
    remote_help::switch_on(storage, &id, 1, "li", now).unwrap();
    assert!(!remote_help::switch_off(storage, &id, "li", now + 60_000).unwrap());
    assert!(storage.remote_helps().unwrap().is_empty());
    assert_eq!(storage.audit_log(10).unwrap().len(), 4);
    // A revoked kiosk is never helped again.
    storage.revoke_device(&id, now).unwrap();
    assert!(matches!(
        remote_help::switch_on(storage, &id, 60, "li", now),
        Err(HubError::DeviceRevoked(_))
    ));
}
