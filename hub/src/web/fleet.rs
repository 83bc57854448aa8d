//! The fleet page's rules, pure: each kiosk's newest heartbeat read into what the centre
//! needs to see, and the problems that need someone, each in plain words with what to do
//! (`words.rs`).
//!
//! A heartbeat is what a kiosk sends every quarter hour about itself (never about a worker;
//! the fields are listed in the kiosk's data inventory, `src/inventory.rs`).

use serde_json::Value;

use crate::storage::{Device, StoredRecord};

/// Silent for longer than this, a kiosk needs a look.
pub const SILENT_MS: i64 = 86_400_000;
/// Uploads waiting longer than this mean the kiosk cannot reach the hub.
pub const WAITING_S: i64 = 86_400;
/// Less free space than this and the kiosk's queue may soon have nowhere to go.
pub const DISK_LOW_BYTES: u64 = 500_000_000;
/// Less paper than this (a slip is about 11 cm) and the roll should be changed soon.
pub const PAPER_LOW_MM: f64 = 3_000.0;
/// From this board temperature (°C) a kiosk needs its vents looked at: the staff screen turns
/// amber here too, and a Pi 4 slows itself down from 80 °C.
pub const WARM_C: i64 = 70;

/// What needs someone, most urgent first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Problem {
    NeverHeard,
    Silent,
    PaperOut,
    PrinterFault,
    /// The kiosk hit its start limit (a crash loop) in the last day.
    CrashLoop,
    Hot,
    PaperLow,
    BrochuresDue,
    UploadsWaiting,
    DirectoryExpired,
    /// The last image update failed or was rolled back, or root's status file is unreadable.
    UpdateFailed,
    DiskLow,
    ClockNotSynced,
}

impl Problem {
    /// The problems that cannot wait for someone to open the fleet page: each raises an
    /// alert (passed on to the webhook once) under this kind while it lasts.
    pub const ALERTED: [Problem; 4] = [
        Problem::Silent,
        Problem::PaperOut,
        Problem::PrinterFault,
        Problem::DirectoryExpired,
    ];

    /// The kind of alert the problem raises, if it raises one.
    pub fn alert_kind(self) -> Option<&'static str> {
        Some(match self {
            Problem::Silent => "kiosk_silent",
            Problem::PaperOut => "paper_out",
            Problem::PrinterFault => "printer_fault",
            Problem::DirectoryExpired => "directory_expired",
            _ => return None,
        })
    }

    /// The problem an alert of this kind was raised for.
    pub fn of_alert_kind(kind: &str) -> Option<Problem> {
        Problem::ALERTED
            .into_iter()
            .find(|p| p.alert_kind() == Some(kind))
    }
}

/// One kiosk as the fleet page shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Kiosk {
    pub device_id: String,
    pub station: String,
    pub revoked: bool,
    /// When its newest heartbeat arrived.
    pub last_seen_ms: Option<i64>,
    pub version: Option<String>,
    /// The system image's version; None off Waystation's image (or from a kiosk too old to
    /// say).
    pub image_version: Option<String>,
    pub printer: Option<String>,
    pub paper_left_mm: Option<f64>,
    /// The brochures due a restock, each named in Chinese and English as the station's
    /// config names them.
    pub brochures_due: Vec<(String, String)>,
    pub oldest_waiting_s: Option<i64>,
    pub directory_version: Option<String>,
    pub directory_expires: Option<String>,
    pub disk_free_bytes: Option<u64>,
    pub clock_synced: Option<bool>,
    pub temperature_c: Option<i64>,
    /// The image update's state; None on a kiosk not installed from an A/B image.
    pub update: Option<Update>,
    /// Boot reason, starts and crash loops; None where root keeps no health record.
    pub health: Option<Health>,
    /// The image version the rollouts say it should run (`updates::target`), set by the page.
    pub target_version: Option<String>,
    pub problems: Vec<Problem>,
}

/// A kiosk's image update, from its heartbeat's `update`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Update {
    pub slot: Option<String>,
    /// The last update root tried: version, outcome (`installed`, `installing`,
    /// `awaiting_reboot`, `trying`, `rolled_back`, `failed`) and root's words.
    pub last: Option<(String, String, String)>,
    /// A download under way: version, bytes so far, of how many.
    pub downloading: Option<(String, u64, u64)>,
    /// Why root's status file could not be read, if it could not.
    pub unreadable: Option<String>,
}

impl Update {
    fn read(value: &Value) -> Option<Update> {
        let field = |path: &[&str]| -> Option<&Value> {
            path.iter()
                .try_fold(value, |v, key| v.get(key))
                .filter(|v| !v.is_null())
        };
        let last = field(&["last"]).and_then(|last| {
            let part = |name: &str| last.get(name).and_then(text);
            Some((
                part("version")?,
                part("outcome")?,
                part("detail").unwrap_or_default(),
            ))
        });
        let downloading = field(&["downloading"]).and_then(|d| {
            Some((
                d.get("version").and_then(text)?,
                d.get("bytes").and_then(Value::as_u64)?,
                d.get("of").and_then(Value::as_u64)?,
            ))
        });
        value.is_object().then(|| Update {
            slot: field(&["slot"]).and_then(text),
            last,
            downloading,
            unreadable: field(&["unreadable"]).and_then(text),
        })
    }

    /// Whether someone should look: the last update failed or was rolled back, or the kiosk
    /// cannot read root's status file.
    pub fn failed(&self) -> bool {
        self.unreadable.is_some()
            || self
                .last
                .as_ref()
                .is_some_and(|(_, outcome, _)| matches!(outcome.as_str(), "failed" | "rolled_back"))
    }
}

/// A kiosk's health, from its heartbeat's `health`: operational facts about the machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Health {
    /// One of `waystation_protocol::health::BOOT_REASONS`, or a newer kiosk's word as it came.
    pub boot_reason: Option<String>,
    pub starts_this_boot: Option<u64>,
    pub crash_loops_24h: Option<u64>,
    pub crash_loops_7d: Option<u64>,
    /// Why root's health file could not be read, if it could not.
    pub unreadable: Option<String>,
}

impl Health {
    fn read(value: &Value) -> Option<Health> {
        let field = |name: &str| value.get(name).filter(|v| !v.is_null());
        value.is_object().then(|| Health {
            boot_reason: field("boot_reason").and_then(text),
            starts_this_boot: field("starts_this_boot").and_then(Value::as_u64),
            crash_loops_24h: field("crash_loops_24h").and_then(Value::as_u64),
            crash_loops_7d: field("crash_loops_7d").and_then(Value::as_u64),
            unreadable: field("unreadable").and_then(text),
        })
    }

    /// A crash loop in the last day: the kiosk rebooted itself or showed out of service.
    pub fn crash_looped(&self) -> bool {
        self.crash_loops_24h.is_some_and(|n| n > 0)
    }
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A brochure's names from the heartbeat, in Chinese and English.
fn brochure_names(brochure: &Value) -> Option<(String, String)> {
    let name = |language: &str| brochure.get(language).and_then(text);
    Some((name("zh")?, name("en")?))
}

/// A kiosk from its registration and its newest heartbeat, as of `now_ms` (and `today`, the
/// Shanghai day as `YYYY-MM-DD`, for the directory's expiry).
pub fn kiosk(device: &Device, heartbeat: Option<&StoredRecord>, now_ms: i64, today: &str) -> Kiosk {
    let beat = heartbeat.map(|h| &h.payload);
    let field = |path: &[&str]| -> Option<&Value> {
        path.iter()
            .try_fold(beat?, |v, key| v.get(key))
            .filter(|v| !v.is_null())
    };
    let mut kiosk = Kiosk {
        device_id: device.device_id.clone(),
        station: device.station.clone().unwrap_or_default(),
        revoked: device.revoked_ms.is_some(),
        last_seen_ms: heartbeat.map(|h| h.received_ms),
        version: field(&["version"]).and_then(text),
        image_version: field(&["image_version"]).and_then(text),
        printer: field(&["printer", "last_status"]).and_then(text),
        paper_left_mm: field(&["printer", "paper_left_mm"]).and_then(Value::as_f64),
        brochures_due: field(&["brochures_due"])
            .and_then(Value::as_array)
            .map(|due| due.iter().filter_map(brochure_names).collect())
            .unwrap_or_default(),
        oldest_waiting_s: field(&["queue", "oldest_waiting_age_s"]).and_then(Value::as_i64),
        directory_version: field(&["directory", "version"]).and_then(text),
        directory_expires: field(&["directory", "expires"]).and_then(text),
        disk_free_bytes: field(&["disk_free_bytes"]).and_then(Value::as_u64),
        clock_synced: field(&["clock_synced"]).and_then(Value::as_bool),
        temperature_c: field(&["temperature_c"]).and_then(Value::as_i64),
        update: field(&["update"]).and_then(Update::read),
        health: field(&["health"]).and_then(Health::read),
        target_version: None,
        problems: Vec::new(),
    };
    kiosk.problems = problems(&kiosk, now_ms, today);
    kiosk
}

/// Every registered kiosk with its newest heartbeat, as of `now_ms`.
pub fn kiosks(devices: &[Device], heartbeats: &[StoredRecord], now_ms: i64) -> Vec<Kiosk> {
    let today = crate::station_time::day(now_ms);
    let newest: std::collections::HashMap<&str, &StoredRecord> = heartbeats
        .iter()
        .map(|h| (h.device_id.as_str(), h))
        .collect();
    devices
        .iter()
        .map(|d| kiosk(d, newest.get(d.device_id.as_str()).copied(), now_ms, &today))
        .collect()
}

fn problems(k: &Kiosk, now_ms: i64, today: &str) -> Vec<Problem> {
    // A revoked kiosk is out of service on purpose: nothing about it needs anyone.
    if k.revoked {
        return Vec::new();
    }
    let Some(seen) = k.last_seen_ms else {
        return vec![Problem::NeverHeard];
    };
    let printer = k.printer.as_deref();
    let checks = [
        (now_ms - seen > SILENT_MS, Problem::Silent),
        (printer == Some("paper out"), Problem::PaperOut),
        (
            matches!(printer, Some("cover open" | "offline" | "unknown")),
            Problem::PrinterFault,
        ),
        (
            k.health.as_ref().is_some_and(Health::crash_looped),
            Problem::CrashLoop,
        ),
        (k.temperature_c.is_some_and(|c| c >= WARM_C), Problem::Hot),
        (
            printer == Some("paper near end")
                || k.paper_left_mm.is_some_and(|mm| mm < PAPER_LOW_MM),
            Problem::PaperLow,
        ),
        (!k.brochures_due.is_empty(), Problem::BrochuresDue),
        (
            k.oldest_waiting_s.is_some_and(|s| s > WAITING_S),
            Problem::UploadsWaiting,
        ),
        (
            k.directory_expires.as_deref().is_some_and(|e| e < today),
            Problem::DirectoryExpired,
        ),
        (
            k.update.as_ref().is_some_and(Update::failed),
            Problem::UpdateFailed,
        ),
        (
            k.disk_free_bytes.is_some_and(|b| b < DISK_LOW_BYTES),
            Problem::DiskLow,
        ),
        (k.clock_synced == Some(false), Problem::ClockNotSynced),
    ];
    checks
        .into_iter()
        .filter(|(found, _)| *found)
        .map(|(_, problem)| problem)
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use waystation_protocol::{ClockStamp, TimeSource};

    use super::*;
    use crate::storage::Via;

    const NOW: i64 = 1_795_000_000_000;

    fn device(revoked: bool) -> Device {
        Device {
            device_id: "ws-1".into(),
            public_key: String::new(),
            station: Some("静安寺".into()),
            district: None,
            station_kind: None,
            note: None,
            added_ms: 0,
            revoked_ms: revoked.then_some(1),
        }
    }

    fn beat(received_ms: i64, payload: Value) -> StoredRecord {
        StoredRecord {
            id: "h".into(),
            device_id: "ws-1".into(),
            seq: 1,
            kind: "heartbeat".into(),
            schema_version: 1,
            day: "2026-11-18".into(),
            payload,
            created: ClockStamp {
                wall_ms: received_ms,
                synced: true,
                boot_id: String::new(),
                monotonic_ms: 0,
            },
            received_ms,
            corrected_ms: received_ms,
            time_source: TimeSource::Synced,
            via: Via::Network,
        }
    }

    fn healthy() -> Value {
        json!({
            "version": "0.1.0",
            "image_version": "2026.12.3",
            "temperature_c": 52,
            "brochures_due": [],
            "queue": { "oldest_waiting_age_s": 60 },
            "printer": { "last_status": "ready", "paper_left_mm": 40000.0 },
            "directory": { "version": "2026-11", "expires": "2027-01-31" },
            "disk_free_bytes": 8_000_000_000u64,
            "clock_synced": true,
        })
    }

    #[test]
    fn a_healthy_kiosk_needs_no_one() {
        let k = kiosk(
            &device(false),
            Some(&beat(NOW - 60_000, healthy())),
            NOW,
            "2026-11-18",
        );
        assert_eq!(k.problems, []);
        assert_eq!(k.version.as_deref(), Some("0.1.0"));
        assert_eq!(k.paper_left_mm, Some(40000.0));
        assert_eq!(k.directory_version.as_deref(), Some("2026-11"));
        assert_eq!(k.image_version.as_deref(), Some("2026.12.3"));
        assert_eq!(k.temperature_c, Some(52));
    }

    #[test]
    fn a_heartbeat_from_before_the_image_and_temperature_fields_is_read_without_them() {
        let mut payload = healthy();
        for old in ["image_version", "temperature_c", "brochures_due"] {
            payload.as_object_mut().unwrap().remove(old);
        }
        let k = kiosk(
            &device(false),
            Some(&beat(NOW - 60_000, payload)),
            NOW,
            "2026-11-18",
        );
        assert_eq!((k.image_version, k.temperature_c), (None, None));
        assert_eq!(k.problems, []);
    }

    #[test]
    fn each_problem_is_found_from_the_heartbeat() {
        let mut payload = healthy();
        payload["printer"]["last_status"] = json!("paper out");
        payload["printer"]["paper_left_mm"] = json!(0.0);
        payload["queue"]["oldest_waiting_age_s"] = json!(2 * 86_400);
        payload["directory"]["expires"] = json!("2026-11-01");
        payload["disk_free_bytes"] = json!(100_000_000u64);
        payload["clock_synced"] = json!(false);
        payload["temperature_c"] = json!(WARM_C);
        payload["brochures_due"] =
            json!([{ "kind": "card", "zh": "热线卡", "en": "Hotline cards" }]);
        payload["update"] = json!({"slot": "A", "downloading": null, "unreadable": null,
            "last": {"version": "2026.12.3", "outcome": "rolled_back", "detail": "no boot"}});
        payload["health"] = json!({"boot_reason": "crash_loop", "starts_this_boot": 6,
            "crash_loops_24h": 1, "crash_loops_7d": 2, "unreadable": null});
        let k = kiosk(
            &device(false),
            Some(&beat(NOW - 2 * SILENT_MS, payload)),
            NOW,
            "2026-11-18",
        );
        assert_eq!(
            k.problems,
            [
                Problem::Silent,
                Problem::PaperOut,
                Problem::CrashLoop,
                Problem::Hot,
                Problem::PaperLow,
                Problem::BrochuresDue,
                Problem::UploadsWaiting,
                Problem::DirectoryExpired,
                Problem::UpdateFailed,
                Problem::DiskLow,
                Problem::ClockNotSynced,
            ]
        );
        assert_eq!(k.brochures_due, [("热线卡".into(), "Hotline cards".into())]);
    }

    #[test]
    fn the_update_state_is_read_and_only_a_failure_or_an_unreadable_status_needs_someone() {
        let with = |update: Value| {
            let mut payload = healthy();
            payload["update"] = update;
            kiosk(&device(false), Some(&beat(NOW, payload)), NOW, "2026-11-18")
        };
        let k = with(json!(null));
        assert_eq!((k.update, k.problems), (None, vec![]));
        let k = with(json!({"slot": "B", "unreadable": null,
            "last": {"version": "2026.12.2", "outcome": "installed", "detail": "ok"},
            "downloading": {"version": "2026.12.3", "bytes": 5, "of": 10}}));
        let update = k.update.unwrap();
        assert_eq!(update.slot.as_deref(), Some("B"));
        assert_eq!(
            update.last,
            Some(("2026.12.2".into(), "installed".into(), "ok".into()))
        );
        assert_eq!(update.downloading, Some(("2026.12.3".into(), 5, 10)));
        assert_eq!(k.problems, []);
        for bad in [
            json!({"slot": "A", "last": {"version": "1", "outcome": "failed", "detail": "x"}}),
            json!({"slot": null, "last": null, "unreadable": "expected value"}),
        ] {
            assert_eq!(with(bad).problems, [Problem::UpdateFailed]);
        }
    }

    #[test]
    fn the_health_is_read_and_only_a_crash_loop_in_the_last_day_needs_someone() {
        let with = |health: Value| {
            let mut payload = healthy();
            payload["health"] = health;
            kiosk(&device(false), Some(&beat(NOW, payload)), NOW, "2026-11-18")
        };
        let k = with(json!(null));
        assert_eq!((k.health, k.problems), (None, vec![]));
        let k = with(json!({"boot_reason": "unclean", "starts_this_boot": 2,
            "crash_loops_24h": 0, "crash_loops_7d": 3, "unreadable": null}));
        let health = k.health.unwrap();
        assert_eq!(health.boot_reason.as_deref(), Some("unclean"));
        assert_eq!(
            (
                health.starts_this_boot,
                health.crash_loops_24h,
                health.crash_loops_7d
            ),
            (Some(2), Some(0), Some(3))
        );
        assert_eq!(k.problems, [], "older crash loops are shown, not raised");
        let k = with(json!({"boot_reason": "crash_loop", "starts_this_boot": 5,
            "crash_loops_24h": 1, "crash_loops_7d": 1}));
        assert_eq!(k.problems, [Problem::CrashLoop]);
    }

    #[test]
    fn each_alerted_problem_has_its_own_kind_and_is_found_again_from_it() {
        for problem in Problem::ALERTED {
            let kind = problem.alert_kind().unwrap();
            assert_eq!(Problem::of_alert_kind(kind), Some(problem));
        }
        assert_eq!(Problem::DiskLow.alert_kind(), None);
        assert_eq!(Problem::of_alert_kind("staff_call"), None);
    }

    #[test]
    fn a_kiosk_never_heard_from_says_so_and_a_revoked_one_needs_no_one() {
        assert_eq!(
            kiosk(&device(false), None, NOW, "2026-11-18").problems,
            [Problem::NeverHeard]
        );
        assert_eq!(kiosk(&device(true), None, NOW, "2026-11-18").problems, []);
    }
}
