//! `waystation-hub demo-data`: a fresh hub filled with example kiosks and thirteen weeks of
//! their day summaries, so that a newcomer sees a working dashboard before any kiosk exists.
//!
//! Each example kiosk also gets one heartbeat, three of them showing problems the fleet page
//! explains (paper low and brochures due, uploads waiting and running hot, silent), and two
//! stations a worker's call for staff for the alerts page.
//!
//! Everything it makes is marked: the stations are named `示例 demo …` and each device's note
//! says it is example data. Each example kiosk's key is made from random bytes that are thrown
//! away at once, so no one can send as it. It refuses a hub that already has devices, so example figures never mix with real ones.
//! The figures are invented (a fixed pseudo-random sequence), not measured anywhere.

use chrono::{Days, NaiveDate};
use serde_json::json;
use waystation_protocol::summary::DAY_SUMMARY_VERSION;
use waystation_protocol::{ClockStamp, DAY_SUMMARY_KIND, TimeSource};

use crate::HubError;
use crate::station_time::OFFSET_MS;
use crate::storage::{NewDevice, NewRecord, Storage, Via};

/// An example station: its name, the busiest day's visits, its district and its kind (the
/// kinds of station the mission names).
pub struct Station {
    pub name: &'static str,
    pub busiest: u64,
    pub district: &'static str,
    pub kind: &'static str,
}

/// The example stations. The last is small, so that its pages show suppression at work, and
/// shares its district with the first, so that a district has stations of two kinds.
pub const STATIONS: [Station; 4] = [
    Station {
        name: "示例 demo 静安寺驿站",
        busiest: 60,
        district: "静安区",
        kind: "暖新驿站",
    },
    Station {
        name: "示例 demo 徐家汇驿站",
        busiest: 45,
        district: "徐汇区",
        kind: "工会司机之家",
    },
    Station {
        name: "示例 demo 陆家嘴驿站",
        busiest: 35,
        district: "浦东新区",
        kind: "暖新驿站",
    },
    Station {
        name: "示例 demo 江宁路小站",
        busiest: 16,
        district: "静安区",
        kind: "暖蜂爱心之家",
    },
];

/// How many days of summaries, ending yesterday: enough that every week the overview shows
/// is whole on any day of the week (the newest shown week begins 11 to 17 days ago, the
/// oldest 84 days before that).
pub const DAYS: u64 = 17 + 84 + 6;

pub const NOTE: &str = "示例数据 example data: not a real kiosk";

/// What `fill` made.
#[derive(Debug, PartialEq, Eq)]
pub struct Filled {
    pub devices: usize,
    pub summaries: usize,
}

/// A small fixed pseudo-random sequence (a linear congruential generator), so the example is
/// the same on every machine.
struct Sequence(u64);

impl Sequence {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n.max(1)
    }
}

/// Fills a hub that has no devices yet with the example, ending the day before `today`;
/// `now_ms` is when it arrived, and `secrets` the example kiosks' secret keys (random, then
/// forgotten).
pub fn fill(
    storage: &mut dyn Storage,
    today: NaiveDate,
    now_ms: i64,
    secrets: [[u8; 32]; STATIONS.len()],
) -> Result<Filled, HubError> {
    if !storage.devices()?.is_empty() {
        return Err(HubError::NotFresh);
    }
    let mut sequence = Sequence(2026);
    let mut summaries = 0;
    for (index, station) in STATIONS.into_iter().enumerate() {
        let key = waystation_protocol::DeviceKey::from_secret(secrets[index]);
        let (public_key, device_id) = (key.public_base64(), key.device_id());
        storage.add_device(&NewDevice {
            device_id: device_id.clone(),
            public_key,
            station: Some(station.name.to_string()),
            district: Some(station.district.to_string()),
            station_kind: Some(station.kind.to_string()),
            note: Some(NOTE.to_string()),
            added_ms: now_ms,
        })?;
        let records: Vec<NewRecord> = (1..=DAYS)
            .filter_map(|back| today.checked_sub_days(Days::new(back)))
            .enumerate()
            .map(|(seq, day)| {
                example_day(
                    &device_id,
                    seq as i64 + 1,
                    day,
                    station.busiest,
                    &mut sequence,
                )
            })
            .collect();
        summaries += records.len();
        storage.ingest(&records)?;
        storage.ingest(&[example_heartbeat(&device_id, index, now_ms)])?;
        if index == 0 || index == 2 {
            storage.ingest(&[example_call(&device_id, index, now_ms)])?;
        }
    }
    Ok(Filled {
        devices: STATIONS.len(),
        summaries,
    })
}

/// One station's invented day: at least 11 visits (a kiosk sends no summary of fewer).
fn example_day(
    device_id: &str,
    seq: i64,
    day: NaiveDate,
    busiest: u64,
    sequence: &mut Sequence,
) -> NewRecord {
    let visits = 11 + sequence.below(busiest - 10);
    let mut share = |part: u64| sequence.below(visits * part / 100 + 1);
    let counts = json!({
        "visit": { "started": visits, "finished": visits - visits / 4 },
        "mood_word": { "low/tired": share(30) + 1, "calm/relaxed": share(20) + 1 },
        "band": { "phq9/minimal": share(15) + 1, "phq9/mild": share(8) + 1, "gad7/minimal": share(10) + 1 },
        "theme": { "mood": share(15) + 1, "growth": share(10) + 1, "family": share(5) + 1 },
        "crisis": { "reached": share(3) + 1 },
        "referral": { "phq9": share(4) + 1 },
        "slip": { "normal": share(10) + 1, "crisis": 1 },
    });
    let midnight = day
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc().timestamp_millis() - OFFSET_MS)
        .unwrap_or_default();
    NewRecord {
        id: format!("demo-{day}"),
        device_id: device_id.to_string(),
        seq,
        kind: DAY_SUMMARY_KIND.into(),
        schema_version: DAY_SUMMARY_VERSION,
        day: day.to_string(),
        payload: json!({ "first_day": day.to_string(), "last_day": day.to_string(), "counts": counts }),
        created: ClockStamp {
            wall_ms: midnight,
            synced: true,
            boot_id: String::new(),
            monotonic_ms: 0,
        },
        received_ms: midnight,
        corrected_ms: midnight,
        time_source: TimeSource::Synced,
        via: Via::Network,
    }
}

/// Each example kiosk's newest heartbeat: the first is well, the others each show the fleet
/// page problems (paper low and brochures due; uploads waiting and running hot; silent for two
/// days).
fn example_heartbeat(device_id: &str, index: usize, now_ms: i64) -> NewRecord {
    let silent = index == 3;
    let at = if silent {
        now_ms - 2 * 86_400_000
    } else {
        now_ms
    };
    let temperature_c = [48, 55, 74, 51][index];
    let payload = json!({
        "version": env!("CARGO_PKG_VERSION"),
        "station": STATIONS[index].name,
        "queue": {
            "pending": 0, "in_flight": 0, "quarantined": 0, "unsealed": 0,
            "oldest_waiting_age_s": if index == 2 { Some(30 * 3600) } else { None },
        },
        "printer": {
            "faults_today": 0,
            "last_status": if index == 1 { "paper near end" } else { "ready" },
            "paper_left_mm": if index == 1 { 2000.0 } else { 41000.0 },
        },
        "brochures_due": if index == 1 {
            json!([{ "kind": "hotline-card", "zh": "心理热线卡（示例）", "en": "Hotline cards (example)" }])
        } else {
            json!([])
        },
        "directory": { "version": "示例 demo 2026-11", "expires": "2027-03-31" },
        "image_version": "demo 2026.12.1",
        "temperature_c": temperature_c,
        "disk_free_bytes": 7_400_000_000u64,
        "uptime_s": 86_400,
        "clock_synced": true,
    });
    NewRecord {
        id: "demo-heartbeat".into(),
        device_id: device_id.to_string(),
        seq: DAYS as i64 + 1,
        kind: "heartbeat".into(),
        schema_version: 1,
        day: crate::station_time::day(at),
        payload,
        created: ClockStamp {
            wall_ms: at,
            synced: true,
            boot_id: String::new(),
            monotonic_ms: 0,
        },
        received_ms: at,
        corrected_ms: at,
        time_source: TimeSource::Synced,
        via: Via::Network,
    }
}

/// A worker's call for staff at two of the example stations, for the alerts page.
fn example_call(device_id: &str, index: usize, now_ms: i64) -> NewRecord {
    let at = now_ms - (index as i64 + 1) * 3_600_000;
    NewRecord {
        id: "demo-call".into(),
        kind: waystation_protocol::wire::STAFF_ALERT_KIND.into(),
        seq: DAYS as i64 + 2,
        payload: json!({ "station": STATIONS[index].name, "kind": "staff_call" }),
        received_ms: at,
        corrected_ms: at,
        created: ClockStamp {
            wall_ms: at,
            synced: true,
            boot_id: String::new(),
            monotonic_ms: 0,
        },
        day: crate::station_time::day(at),
        ..example_heartbeat(device_id, index, now_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SqliteStorage;

    #[test]
    fn a_fresh_hub_gets_marked_example_data_and_a_used_one_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut storage = SqliteStorage::open(dir.path()).unwrap();
        let today = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        let filled = fill(&mut storage, today, 0, [[1; 32], [2; 32], [3; 32], [4; 32]]).unwrap();
        assert_eq!(
            filled,
            Filled {
                devices: 4,
                summaries: 4 * DAYS as usize
            }
        );
        let devices = storage.devices().unwrap();
        assert!(devices.iter().all(|d| d.note.as_deref() == Some(NOTE)));
        assert!(
            devices
                .iter()
                .all(|d| d.station.as_deref().unwrap().contains("demo"))
        );
        let summaries = storage.summaries().unwrap();
        assert_eq!(summaries.len(), 4 * DAYS as usize);
        assert!(
            summaries
                .iter()
                .all(|s| s.visits >= 11 && s.summary.check().is_ok())
        );
        assert!(
            summaries
                .iter()
                .all(|s| s.summary.last_day.as_str() < "2026-12-02")
        );
        assert!(matches!(
            fill(&mut storage, today, 0, [[1; 32], [2; 32], [3; 32], [4; 32]]),
            Err(HubError::NotFresh)
        ));
    }
}
