//! How long 10,000 queued records take to reach the hub on loopback: in batches (the kiosk's
//! way, 500 a request) against one record per request.
//!
//! Run with `cargo bench --bench uploads` (WAYSTATION_BENCH_RUNS sets the runs, default 3).
//! Both sides use a real disk under the system's temporary folder with their real durability
//! (`synchronous=FULL`), so the figures include the fsyncs a kiosk and a hub really pay.
//! Compare the ratio, not the absolute times: these machines are noisy.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use waystation::clock::SystemClock;
use waystation::config::Config;
use waystation::store::{NewRecord, RecordKind, RecordStamp, Store};
use waystation::sync::link::HttpsLink;
use waystation::sync::{Drained, SyncSettings, Syncer};

const RECORDS: usize = 10_000;

/// One drain of RECORDS records with `per_request` records a request; returns its wall time.
fn drain_once(per_request: u32) -> Duration {
    let hub_dir = tempfile::tempdir().unwrap();
    let kiosk_dir = tempfile::tempdir().unwrap();
    let centre = waystation_hub::keygen(hub_dir.path()).unwrap();
    let mut store = Store::open(kiosk_dir.path()).unwrap();
    store
        .enable_sealing(waystation_protocol::CentrePublicKey::from_base64(&centre).unwrap())
        .unwrap();
    let key = store.device_key().unwrap();
    waystation_hub::add_device(hub_dir.path(), &key.public_base64(), None, None).unwrap();
    let clock = SystemClock::new();
    for i in 0..RECORDS {
        // Operational records of about the size the old per-visit ones had (a visit writes no
        // record of its own since day summaries).
        let record = NewRecord {
            kind: RecordKind::StaffAudit,
            stamp: RecordStamp::now(&clock, &waystation::entropy::SystemEntropy).unwrap(),
            payload: serde_json::json!({
                "action": "restock", "detail": format!("brochure 12351 {i} sleep income tired"),
            }),
        };
        store.commit_record(&record, |_| Ok(())).unwrap();
    }
    let hub =
        waystation_hub::start(hub_dir.path(), TcpListener::bind("127.0.0.1:0").unwrap()).unwrap();
    let mut config = Config::demo();
    config.hub = toml::from_str(&format!(
        "url = 'http://{}'\npublic_key = '{centre}'\nbatch_records = {per_request}",
        hub.addr()
    ))
    .unwrap();
    let link = HttpsLink::new(&config.hub).unwrap();
    let settings = SyncSettings::from_config(&config, kiosk_dir.path().to_path_buf());
    let mut syncer = Syncer::new(store, link, clock, settings).unwrap();

    let start = Instant::now();
    match syncer.drain().unwrap() {
        Drained::Empty { acked, .. } => assert_eq!(acked, RECORDS),
        Drained::Stopped { failure, .. } => panic!("the drain stopped: {}", failure.message()),
    }
    let elapsed = start.elapsed();
    let stored: u64 = waystation_hub::counts(hub_dir.path())
        .unwrap()
        .iter()
        .map(|c| c.records)
        .sum();
    assert_eq!(stored, RECORDS as u64);
    hub.stop();
    elapsed
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let runs: usize = std::env::var("WAYSTATION_BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    let (mut batched, mut single) = (Vec::new(), Vec::new());
    // Interleaved, so that a noisy moment hurts both ways alike.
    for run in 1..=runs {
        batched.push(drain_once(500));
        single.push(drain_once(1));
        println!(
            "run {run}: batches of 500 {:.2} s, one per request {:.2} s",
            batched[run - 1].as_secs_f64(),
            single[run - 1].as_secs_f64()
        );
    }
    let (b, s) = (median(batched), median(single));
    println!("{RECORDS} records to the hub on loopback, median of {runs} runs:");
    println!(
        "  batches of 500     {:>8.2} s  {:>8.0} records/s",
        b.as_secs_f64(),
        RECORDS as f64 / b.as_secs_f64()
    );
    println!(
        "  one per request    {:>8.2} s  {:>8.0} records/s",
        s.as_secs_f64(),
        RECORDS as f64 / s.as_secs_f64()
    );
    println!(
        "  ratio              {:>8.1}x",
        s.as_secs_f64() / b.as_secs_f64()
    );
}
