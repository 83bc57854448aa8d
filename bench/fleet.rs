//! The hub at a fleet's scale: 1,000 kiosks with a year of day summaries and heartbeats, on
//! SQLite and on PostgreSQL, side by side in one run (docs/benchmarks.md, "The hub at a fleet's
//! scale").
//!
//! Run with `cargo bench -p waystation-hub --bench fleet`. `WAYSTATION_BENCH_KIOSKS` and
//! `WAYSTATION_BENCH_DAYS` make it smaller for a quick look (defaults 1000 and 365);
//! PostgreSQL is the one `WAYSTATION_TEST_POSTGRES` names, else a private server started as the
//! tests do. For each storage it:
//!
//! 1. loads the year through `Storage::ingest` (one transaction per kiosk): a day summary and
//!    one heartbeat per kiosk and day (the heartbeat roll-up has one row per kiosk and day
//!    however many heartbeats it counts), and a worker's call for staff per kiosk and month;
//! 2. starts the hub and plays one whole day of the fleet over HTTP, as kiosks send it: 96
//!    heartbeats per kiosk (every 15 minutes), each its own signed, sealed request, then each
//!    kiosk's day summary, from 8 client threads; every request's latency is kept;
//! 3. plays the burst after a district-wide outage: every kiosk posts its waiting batch (its
//!    coalesced heartbeat and three staff records) at once, from 32 client threads;
//! 4. times every dashboard page over the year's data: the first request and the median and
//!    slowest of 20 after it. The overview's weeks are worked out as the hub starts (and timed
//!    on their own before it does), so a page reads them from the hub's cache.
//!
//! The machine is shared and noisy: compare the two storages within one run.

#[path = "../hub/tests/integration/postgres_server.rs"]
#[allow(dead_code)]
mod postgres_server;
#[path = "../hub/tests/integration/support.rs"]
#[allow(dead_code)]
mod support;

use std::net::{SocketAddr, TcpListener};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{Days, NaiveDate};
use serde_json::json;
use support::{Kiosk, synced};
use waystation_hub::storage::NewRecord;
use waystation_hub::users::{Role, Session, User};
use waystation_hub::{Place, Via};
use waystation_protocol::{ClockStamp, TimeSource};

const HEARTBEATS_A_DAY: u64 = 96;
const PAGE_RUNS: usize = 20;
const DAY_MS: i64 = 86_400_000;
/// Shanghai is UTC+8 all year.
const SHANGHAI_MS: i64 = 8 * 3_600_000;
const SESSION_TOKEN: &str = "fleet-bench-session";

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let kiosks = setting("WAYSTATION_BENCH_KIOSKS", 1000) as u16;
    let days = setting("WAYSTATION_BENCH_DAYS", 365);
    let dir = tempfile::tempdir().unwrap();
    let centre = waystation_hub::keygen(dir.path()).unwrap();
    let fleet: Vec<Kiosk> = (1..=kiosks).map(|n| Kiosk::new(n + 300, &centre)).collect();
    let now = support::now_ms();
    let today = shanghai_day(now);
    println!("{kiosks} kiosks, {days} days of history ending {today}");
    let started = Instant::now();
    let day = day_requests(&fleet, now);
    let burst = burst_requests(&fleet, now);
    println!(
        "built and sealed {} requests in {:.1} s (not part of any figure)",
        day.len() + burst.len(),
        started.elapsed().as_secs_f64()
    );

    let postgres = postgres_server::fresh_database();
    let places = [
        ("SQLite", Place::from(dir.path())),
        (
            "PostgreSQL",
            Place {
                dir: dir.path().to_path_buf(),
                database: Some(postgres.url.clone()),
            },
        ),
    ];
    for (name, place) in &places {
        println!("\n== {name} ==");
        load_history(place, &fleet, today, days, now);
        // What the hub does once as it starts (and then for each newly settled week): every
        // week the overview shows, read from storage and suppressed.
        let started = Instant::now();
        let weeks = waystation_hub::web::figures::WeekCache::default()
            .overview(place.storage().unwrap().as_mut(), today)
            .unwrap();
        println!(
            "the overview's {} weeks worked out from storage (once, as the hub starts): {:.0} ms",
            weeks.len(),
            started.elapsed().as_secs_f64() * 1000.0
        );
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let hub = waystation_hub::start(place, listener).unwrap();
        let addr = hub.addr();
        play(
            "a whole day: 96 heartbeats and a summary per kiosk",
            addr,
            &fleet,
            &day,
            8,
        );
        play("the burst after an outage", addr, &fleet, &burst, 32);
        // One pass of the fleet watch over every kiosk's newest heartbeat, as the running hub
        // makes every 5 minutes (no webhook set: nothing is posted).
        let started = Instant::now();
        let watched = waystation_hub::watch_fleet(place).unwrap();
        println!(
            "fleet watch: one pass over {} kiosks in {:.0} ms ({} alerts raised)",
            fleet.len(),
            started.elapsed().as_secs_f64() * 1000.0,
            watched.raised.len()
        );
        time_pages(hub.addr());
        hub.stop();
    }
}

fn shanghai_day(ms: i64) -> NaiveDate {
    chrono::DateTime::from_timestamp_millis(ms + SHANGHAI_MS)
        .unwrap()
        .date_naive()
}

fn noon_ms(day: NaiveDate) -> i64 {
    day.and_hms_opt(12, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp_millis()
        - SHANGHAI_MS
}

/// Registers the fleet and loads `days` days ending yesterday straight into storage, with a
/// signed-in admin for the pages.
fn load_history(place: &Place, fleet: &[Kiosk], today: NaiveDate, days: u64, now: i64) {
    let started = Instant::now();
    let mut storage = place.storage().unwrap();
    for (index, kiosk) in fleet.iter().enumerate() {
        let station = format!("驿站 {:04}", index + 1);
        // Spread over Shanghai's 16 districts and four kinds of station, so the figures by
        // district and kind have a full tree to suppress.
        let district = format!("区 {:02}", index % 16 + 1);
        let kind = ["暖新驿站", "工会司机之家", "暖蜂爱心之家", "就业服务站点"][index / 16 % 4];
        let placed = waystation_hub::Registration {
            station: Some(&station),
            district: Some(&district),
            station_kind: Some(kind),
            note: None,
        };
        waystation_hub::register(place, &kiosk.key.public_base64(), &placed).unwrap();
        let mut records = Vec::with_capacity(days as usize * 2 + 13);
        for back in (1..=days).rev() {
            let day = today.checked_sub_days(Days::new(back)).unwrap();
            let seq = records.len() as i64 + 1;
            records.push(summary_record(kiosk, seq, day, index));
            records.push(heartbeat_record(kiosk, seq + 1, day));
            if day.format("%d").to_string() == "15" {
                records.push(call_record(kiosk, seq + 2, day));
            }
        }
        storage.ingest(&records).unwrap();
    }
    storage
        .add_user(
            &User {
                name: "bench".into(),
                role: Role::Admin,
                password_hash: "not used: the session is made here".into(),
                added_ms: now,
            },
            "fleet bench",
        )
        .unwrap();
    storage
        .add_session(&Session {
            token_hash: waystation_hub::web::auth::token_hash(SESSION_TOKEN),
            user_name: "bench".into(),
            csrf: "bench".into(),
            expires_ms: now + 4 * 3_600_000,
        })
        .unwrap();
    println!(
        "history loaded through Storage::ingest in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

fn stored(
    kiosk: &Kiosk,
    seq: i64,
    kind: &str,
    day: NaiveDate,
    payload: serde_json::Value,
) -> NewRecord {
    let at = noon_ms(day);
    NewRecord {
        id: kiosk.record_id(seq as u64),
        device_id: kiosk.id(),
        seq,
        kind: kind.into(),
        schema_version: 1,
        day: day.to_string(),
        payload,
        created: ClockStamp {
            wall_ms: at,
            synced: true,
            boot_id: String::new(),
            monotonic_ms: 0,
        },
        // Summaries arrive the day after the day they count, as a kiosk sends them.
        received_ms: at + DAY_MS,
        corrected_ms: at,
        time_source: TimeSource::Synced,
        via: Via::Network,
    }
}

fn summary_record(kiosk: &Kiosk, seq: i64, day: NaiveDate, index: usize) -> NewRecord {
    // Busy and quiet stations, so that some cells are hidden and some shown.
    let visits = 11 + (index as u64 * 7 + seq as u64) % 40;
    let payload = json!({
        "first_day": day.to_string(),
        "last_day": day.to_string(),
        "counts": {
            "visit": { "started": visits, "finished": visits - 1 },
            "mood_word": { "low/tired": 1 + visits / 5, "calm/relaxed": 1 + visits / 7 },
            "band": { "phq9/minimal": 1 + visits / 9, "gad7/mild": 1 },
            "crisis": { "reached": 1 },
            "referral": { "phq9": 1 },
            "slip": { "normal": 1 + visits / 10 },
        },
    });
    stored(
        kiosk,
        seq,
        waystation_protocol::DAY_SUMMARY_KIND,
        day,
        payload,
    )
}

fn heartbeat_payload(kiosk: &Kiosk) -> serde_json::Value {
    json!({
        "version": "0.1.0",
        "station": kiosk.id(),
        "queue": { "pending": 0, "in_flight": 0, "quarantined": 0, "unsealed": 0 },
        "printer": { "faults_today": 0, "last_status": "ready", "paper_left_mm": 30000.0 },
        "directory": { "version": "2026-11", "expires": "2027-03-31" },
        "disk_free_bytes": 7_400_000_000u64,
        "uptime_s": 86_400,
        "clock_synced": true,
    })
}

fn heartbeat_record(kiosk: &Kiosk, seq: i64, day: NaiveDate) -> NewRecord {
    stored(kiosk, seq, "heartbeat", day, heartbeat_payload(kiosk))
}

fn call_record(kiosk: &Kiosk, seq: i64, day: NaiveDate) -> NewRecord {
    let payload = json!({ "station": kiosk.id(), "kind": "staff_call" });
    stored(
        kiosk,
        seq,
        waystation_protocol::wire::STAFF_ALERT_KIND,
        day,
        payload,
    )
}

/// A kiosk's signed request: whom it is from and its body.
struct Request {
    kiosk: usize,
    body: Vec<u8>,
}

/// A day as the fleet sends it: each kiosk's heartbeats in time order, each its own request,
/// then each kiosk's summary of the day before.
fn day_requests(fleet: &[Kiosk], now: i64) -> Vec<Request> {
    let mut requests = Vec::new();
    for beat in 0..HEARTBEATS_A_DAY {
        for (index, kiosk) in fleet.iter().enumerate() {
            let at = now - DAY_MS + beat as i64 * 900_000;
            let record = kiosk.record(
                100_000 + beat,
                "heartbeat",
                synced(at, 1),
                heartbeat_payload(kiosk),
            );
            requests.push(Request {
                kiosk: index,
                body: kiosk.batch(vec![record], synced(at, 2)),
            });
        }
    }
    for (index, kiosk) in fleet.iter().enumerate() {
        let record = kiosk.record(
            200_000,
            waystation_protocol::DAY_SUMMARY_KIND,
            synced(now, 1),
            support::summary_payload(20),
        );
        requests.push(Request {
            kiosk: index,
            body: kiosk.batch(vec![record], synced(now, 2)),
        });
    }
    requests
}

/// After an outage: every kiosk's waiting batch at once, its one coalesced heartbeat and three
/// staff records.
fn burst_requests(fleet: &[Kiosk], now: i64) -> Vec<Request> {
    fleet
        .iter()
        .enumerate()
        .map(|(index, kiosk)| {
            let mut records = vec![kiosk.record(
                300_000,
                "heartbeat",
                synced(now, 1),
                heartbeat_payload(kiosk),
            )];
            for n in 1..=3 {
                let payload = json!({ "action": "restock", "detail": "brochures 12351" });
                records.push(kiosk.record(300_000 + n, "staff_audit", synced(now, 1), payload));
            }
            Request {
                kiosk: index,
                body: kiosk.batch(records, synced(now, 2)),
            }
        })
        .collect()
}

/// Sends the requests from `threads` client threads, in order, and prints the throughput and
/// the latency figures.
fn play(what: &str, addr: SocketAddr, fleet: &[Kiosk], requests: &[Request], threads: usize) {
    let next = Mutex::new(0usize);
    let latencies = Mutex::new(Vec::with_capacity(requests.len()));
    let records: usize = requests.len();
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let i = {
                        let mut next = next.lock().unwrap();
                        *next += 1;
                        *next - 1
                    };
                    let Some(request) = requests.get(i) else {
                        break;
                    };
                    let sent = Instant::now();
                    let response = fleet[request.kiosk].post(addr, &request.body);
                    assert_eq!(
                        response.status,
                        200,
                        "{}",
                        String::from_utf8_lossy(&response.body)
                    );
                    latencies.lock().unwrap().push(sent.elapsed());
                }
            });
        }
    });
    let elapsed = started.elapsed();
    let mut latencies = latencies.into_inner().unwrap();
    latencies.sort();
    println!(
        "{what}: {records} requests in {:.1} s, {:.0} a second; latency median {:.1} ms, p99 {:.1} ms, slowest {:.1} ms",
        elapsed.as_secs_f64(),
        records as f64 / elapsed.as_secs_f64(),
        ms(percentile(&latencies, 0.5)),
        ms(percentile(&latencies, 0.99)),
        ms(*latencies.last().unwrap()),
    );
}

fn percentile(sorted: &[Duration], share: f64) -> Duration {
    let index = ((sorted.len() as f64 * share).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index]
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// Every page a signed-in admin can open, with the year's data behind it.
fn time_pages(addr: SocketAddr) {
    let cookie = format!("ws_session={SESSION_TOKEN}");
    let pages = [
        "/overview",
        "/stations",
        "/stations?by=kind",
        "/stations?by=district",
        "/fleet",
        "/fleet?attention=1",
        "/alerts",
        "/kiosks",
        "/directory",
        "/accounts",
        "/export/overview.csv",
        "/export/stations.csv",
    ];
    for page in pages {
        let get = || {
            let sent = Instant::now();
            let response = support::request(addr, "GET", page, &[("Cookie", &cookie)], b"");
            assert_eq!(
                response.status,
                200,
                "{page}: {}",
                String::from_utf8_lossy(&response.body)
            );
            (sent.elapsed(), response.body.len())
        };
        let (first, bytes) = get();
        let mut after: Vec<Duration> = (0..PAGE_RUNS).map(|_| get().0).collect();
        after.sort();
        println!(
            "page {page}: first {:.1} ms, then median {:.1} ms, slowest {:.1} ms ({bytes} bytes)",
            ms(first),
            ms(percentile(&after, 0.5)),
            ms(*after.last().unwrap()),
        );
    }
}
