//! Uploads end to end: a real hub on loopback, a kiosk store, and faults injected between them.
//! Whatever goes wrong on the way, the hub must end with exactly the kiosk's records: none
//! lost, none twice.

use std::collections::BTreeSet;
use std::net::TcpListener;
use std::path::Path;
use std::time::Duration;

use waystation::clock::{FakeClock, SystemClock};
use waystation::config::Config;
use waystation::store::{NewRecord, RecordKind, RecordStamp, Store};
use waystation::sync::link::{HttpsLink, HubLink};
use waystation::sync::uploader::Failure;
use waystation::sync::{Drained, SyncSettings, Syncer};
use waystation_protocol::CentrePublicKey;

use crate::faults::{Fault, FaultProxy};

/// A hub with its centre key and the kiosk's device registered, and the kiosk's store sealing
/// to that key. The torture tests (torture.rs) use it too.
pub(crate) struct Pair {
    pub(crate) hub_dir: tempfile::TempDir,
    pub(crate) kiosk_dir: tempfile::TempDir,
    pub(crate) hub: Option<waystation_hub::RunningHub>,
    pub(crate) centre: String,
}

impl Pair {
    pub(crate) fn new() -> Pair {
        Pair::in_dirs(tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap())
    }

    fn in_dirs(hub_dir: tempfile::TempDir, kiosk_dir: tempfile::TempDir) -> Pair {
        let centre = waystation_hub::keygen(hub_dir.path()).unwrap();
        let mut pair = Pair {
            hub_dir,
            kiosk_dir,
            hub: None,
            centre,
        };
        let key = pair.store().device_key().unwrap();
        waystation_hub::add_device(
            pair.hub_dir.path(),
            &key.public_base64(),
            Some("demo"),
            None,
        )
        .unwrap();
        pair.hub = Some(
            waystation_hub::start(
                pair.hub_dir.path(),
                TcpListener::bind("127.0.0.1:0").unwrap(),
            )
            .unwrap(),
        );
        pair
    }

    pub(crate) fn hub_addr(&self) -> std::net::SocketAddr {
        self.hub.as_ref().unwrap().addr()
    }

    /// The kiosk's store as every command opens it: sealing to the centre's key.
    pub(crate) fn store(&self) -> Store {
        let mut store = Store::open(self.kiosk_dir.path()).unwrap();
        store
            .enable_sealing(CentrePublicKey::from_base64(&self.centre).unwrap())
            .unwrap();
        store
    }

    pub(crate) fn config(&self, url: &str, batch_records: u32) -> Config {
        let mut config = Config::demo();
        config.hub = toml::from_str(&format!(
            "url = '{url}'\npublic_key = '{}'\nbatch_records = {batch_records}",
            self.centre
        ))
        .unwrap();
        config
    }

    pub(crate) fn syncer(&self, url: &str, batch_records: u32) -> Syncer<HttpsLink, SystemClock> {
        // Short time-outs so that a slow hub shows up quickly.
        self.syncer_waiting(url, batch_records, Duration::from_secs(3))
    }

    /// A syncer whose requests may take `request` before they time out: for tests that measure
    /// draining, not a slow hub, and must not fail when the machine is busy.
    pub(crate) fn syncer_waiting(
        &self,
        url: &str,
        batch_records: u32,
        request: Duration,
    ) -> Syncer<HttpsLink, SystemClock> {
        let config = self.config(url, batch_records);
        let link = HttpsLink::with_timeouts(&config.hub, Duration::from_secs(2), request).unwrap();
        let settings = SyncSettings::from_config(&config, self.kiosk_dir.path().to_path_buf());
        Syncer::new(self.store(), link, SystemClock::new(), settings).unwrap()
    }

    fn kiosk_ids(&self) -> BTreeSet<String> {
        let store = self.store();
        store
            .queue_entries(None, 0, usize::MAX)
            .unwrap()
            .into_iter()
            .map(|e| e.id)
            .collect()
    }

    fn hub_ids(&self) -> Vec<String> {
        waystation_hub::records(self.hub_dir.path())
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect()
    }

    /// The hub holds every record of the kiosk once, and the kiosk knows they are delivered.
    fn assert_exactly_once(&self) {
        let kiosk = self.kiosk_ids();
        let hub = self.hub_ids();
        let unique: BTreeSet<String> = hub.iter().cloned().collect();
        assert_eq!(hub.len(), unique.len(), "a record is at the hub twice");
        assert_eq!(unique, kiosk, "the hub's records differ from the kiosk's");
        let counts = self.store().outbox_counts().unwrap();
        assert_eq!(counts.acked as usize, kiosk.len(), "{counts:?}");
    }
}

fn write_records(store: &mut Store, n: usize) {
    let clock = SystemClock::new();
    for i in 0..n {
        let (kind, payload) = if i % 3 == 0 {
            (
                RecordKind::StaffAudit,
                serde_json::json!({ "action": "sign_in", "detail": i.to_string() }),
            )
        } else {
            (
                RecordKind::Restock,
                serde_json::json!({ "item": "brochure", "kind": "12351", "count": i }),
            )
        };
        let record = NewRecord {
            kind,
            stamp: RecordStamp::now(&clock, &waystation::entropy::SystemEntropy).unwrap(),
            payload,
        };
        store.commit_record(&record, |_| Ok(())).unwrap();
    }
}

/// Drains until the queue is empty, however often the faults stop it; returns the failures.
pub(crate) fn drain_through(syncer: &mut Syncer<HttpsLink, SystemClock>) -> Vec<Failure> {
    let mut failures = vec![];
    for _ in 0..100 {
        match syncer.drain().unwrap() {
            Drained::Empty { .. } => return failures,
            Drained::Stopped { failure, .. } => failures.push(failure),
        }
    }
    panic!("the queue never drained: {failures:?}");
}

#[test]
fn every_fault_between_kiosk_and_hub_ends_with_exactly_the_kiosk_records() {
    let pair = Pair::new();
    write_records(&mut pair.store(), 300);
    let proxy = FaultProxy::start(pair.hub_addr());
    proxy.then([
        Fault::Pass,
        Fault::LoseReply,
        Fault::Status(503, Some("7".into())),
        Fault::Pass,
        Fault::Status(429, Some("Sat, 01 Jan 2000 00:00:00 GMT".into())),
        Fault::DelayReply(Duration::from_secs(4)),
        Fault::Reset,
        Fault::LoseReply,
    ]);
    let mut syncer = pair.syncer(&format!("http://{}", proxy.addr), 40);
    let failures = drain_through(&mut syncer);

    assert!(
        matches!(failures[0], Failure::Unreachable(_)),
        "{failures:?}"
    );
    assert_eq!(
        failures[1],
        Failure::Busy {
            retry_after: Some(Duration::from_secs(7))
        }
    );
    assert!(
        syncer.wait_after(&failures[1]) >= Duration::from_secs(7),
        "Retry-After is a floor"
    );
    assert_eq!(
        failures[2],
        Failure::Busy {
            retry_after: Some(Duration::ZERO)
        },
        "an HTTP date in the past"
    );
    assert!(matches!(failures[3], Failure::TimedOut(_)), "{failures:?}");
    assert!(
        matches!(failures[4], Failure::Unreachable(_)),
        "{failures:?}"
    );
    assert!(
        matches!(failures[5], Failure::Unreachable(_)),
        "{failures:?}"
    );
    assert_eq!(failures.len(), 6);
    // Three batches reached the hub without their reply reaching the kiosk, and were sent again.
    assert!(proxy.forwarded.load(std::sync::atomic::Ordering::SeqCst) >= 300 / 40 + 3);
    drop(syncer);
    // The hub stores a batch before it replies, so every record is there once the queue has
    // drained; wait on that, not on a guess of how long the delayed reply's thread takes.
    let started = std::time::Instant::now();
    while pair.hub_ids().len() < 300 && started.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(10));
    }
    pair.assert_exactly_once();
    assert_eq!(pair.hub_ids().len(), 300);
}

#[test]
fn a_refused_connection_keeps_everything_and_the_returning_hub_gets_it_all() {
    let pair = Pair::new();
    write_records(&mut pair.store(), 50);
    // A port nobody listens on, yet.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let url = format!("http://{port}");
    let mut syncer = pair.syncer(&url, 20);
    let link = HttpsLink::new(&pair.config(&url, 20).hub).unwrap();
    assert!(!link.reachable());
    let Drained::Stopped { failure, acked, .. } = syncer.drain().unwrap() else {
        panic!("a refused connection cannot drain the queue");
    };
    assert!(failure.link_down(), "{failure:?}");
    assert_eq!(acked, 0);
    let state = pair.store().sync_state().unwrap();
    assert!(state.last_error.unwrap().contains("unreachable"));
    assert_eq!(pair.store().outbox_counts().unwrap().pending, 50);

    // The hub comes back on that port: the link notices and everything goes through.
    let _proxy = FaultProxy::start_on(TcpListener::bind(port).unwrap(), pair.hub_addr());
    assert!(link.reachable());
    assert!(drain_through(&mut syncer).is_empty());
    assert!(pair.store().sync_state().unwrap().last_error.is_none());
    pair.assert_exactly_once();
}

/// Runs `waystation --config CONFIG --data-dir DATA ARGS…`.
fn waystation_at(config: &Path, data: &Path, args: &[&str]) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_waystation"));
    command
        .arg("--config")
        .arg(config)
        .arg("--data-dir")
        .arg(data)
        .args(args);
    command
}

/// The demo station's config with a hub address, the centre's sealing key and a batch size:
/// the config the upload tests (and the torture) run their kiosks with.
pub(crate) fn station_config_text(url: &str, centre: &str, batch_records: u32) -> String {
    let demo = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/config/demo-station.toml"
    ))
    .unwrap();
    let text = demo
        .replace(
            "# url = \"https://hub.example.org\"",
            &format!("url = \"{url}\""),
        )
        .replace(
            "# public_key = \"(the centre's sealing key)\"",
            &format!("public_key = \"{centre}\""),
        )
        .replace(
            "batch_records = 500",
            &format!("batch_records = {batch_records}"),
        );
    assert!(
        text.contains(centre) && text.contains(&format!("batch_records = {batch_records}")),
        "the demo config changed shape"
    );
    text
}

fn station_config(pair: &Pair, dir: &Path, url: &str, batch_records: u32) -> std::path::PathBuf {
    let path = dir.join("station.toml");
    std::fs::write(&path, station_config_text(url, &pair.centre, batch_records)).unwrap();
    path
}

#[test]
fn an_uploader_killed_mid_batch_and_restarted_delivers_exactly_once() {
    let pair = Pair::new();
    write_records(&mut pair.store(), 600);
    let proxy = FaultProxy::start(pair.hub_addr());
    // Every reply is late, so a kill lands between the hub's commit and the kiosk's ack.
    proxy.set_default(Fault::DelayReply(Duration::from_millis(400)));
    let url = format!("http://{}", proxy.addr);
    let config = station_config(&pair, pair.kiosk_dir.path(), &url, 50);
    let data = pair.kiosk_dir.path();
    let mut child = waystation_at(&config, data, &["sync"])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until some batches went through, then for the hub to commit one more: its reply is
    // now held back for 400 ms, so the kill lands between the hub's commit and the kiosk's ack.
    let forwarded = |at_least: usize| {
        let started = std::time::Instant::now();
        while proxy.forwarded.load(std::sync::atomic::Ordering::SeqCst) < at_least {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the uploader never sent"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    };
    forwarded(3);
    forwarded(proxy.forwarded.load(std::sync::atomic::Ordering::SeqCst) + 1);
    child.kill().unwrap();
    child.wait().unwrap();
    let before = pair.store().outbox_counts().unwrap();
    assert!(before.acked < 600, "killed before the end: {before:?}");
    assert!(
        waystation_hub::records(pair.hub_dir.path()).unwrap().len() > before.acked as usize,
        "the hub holds records the kiosk has not seen acknowledged"
    );

    proxy.set_default(Fault::Pass);
    let again = waystation_at(&config, data, &["sync", "--once"])
        .output()
        .unwrap();
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert!(String::from_utf8_lossy(&again.stdout).starts_with("queue empty"));
    pair.assert_exactly_once();
}

#[test]
fn sync_once_says_when_the_hub_is_unreachable() {
    let pair = Pair::new();
    write_records(&mut pair.store(), 3);
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let config = station_config(&pair, pair.kiosk_dir.path(), &format!("http://{port}"), 10);
    let data = pair.kiosk_dir.path();
    let out = waystation_at(&config, data, &["sync", "--once"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("unreachable") && stderr.contains("3 still waiting"),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    let status = waystation_at(&config, data, &["queue", "status"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&status.stdout);
    assert!(
        text.contains("3 pending") && text.contains("last upload failed"),
        "{text}"
    );
}

#[test]
fn fifty_thousand_queued_records_drain() {
    // On tmpfs when there is one: each commit is synced to disk, and 50,000 fsyncs measure
    // the disk, not the uploader.
    let scratch = |prefix| {
        tempfile::Builder::new()
            .prefix(prefix)
            .tempdir_in(if Path::new("/dev/shm").is_dir() {
                "/dev/shm"
            } else {
                "/tmp"
            })
            .unwrap()
    };
    let pair = Pair::in_dirs(scratch("hub"), scratch("kiosk"));
    write_records(&mut pair.store(), 50_000);
    // A batch of 1,000 records took over 3 s at a debug-built hub on a loaded machine, so this
    // test gives each request a minute, as a kiosk does.
    let url = format!("http://{}", pair.hub_addr());
    let mut syncer = pair.syncer_waiting(&url, 1000, Duration::from_secs(60));
    assert!(drain_through(&mut syncer).is_empty());
    drop(syncer);
    let counts = waystation_hub::counts(pair.hub_dir.path()).unwrap();
    assert_eq!(counts.iter().map(|c| c.records).sum::<u64>(), 50_000);
    pair.assert_exactly_once();
}

#[test]
fn a_day_summary_is_sealed_on_disk_and_the_hub_opens_it() {
    use waystation::store::counts::{Count, make_summaries};
    use waystation_protocol::Metric;
    let pair = Pair::new();
    let catalogue = waystation::screening::Catalogue::builtin();
    let phq9 = catalogue.get("phq9").unwrap();
    let answers = [3, 2, 1, 0, 3, 2, 1, 0, 1];
    let score = waystation::screening::scoring::score(phq9, &answers, Some(10)).unwrap();
    let yesterday = chrono::Utc::now() - chrono::Duration::days(1);
    let today = waystation::station_time::day_of(chrono::Utc::now());
    let summaries = {
        let mut store = pair.store();
        for _ in 0..12 {
            store
                .count(yesterday, &[Count::new(Metric::Visit, &["started"])])
                .unwrap();
        }
        waystation::store::screening::commit_completed(&mut store, yesterday, &score).unwrap();
        make_summaries(&mut store, today, &waystation::entropy::SystemEntropy).unwrap()
    };
    assert_eq!(summaries.len(), 1);
    let plain = serde_json::to_string(&summaries[0].counts).unwrap();
    // Every byte the kiosk keeps: the database and its write-ahead log.
    let mut disk = Vec::new();
    for entry in std::fs::read_dir(pair.kiosk_dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            disk.extend(std::fs::read(path).unwrap());
        }
    }
    let contains = |needle: &str| disk.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(!contains(&plain), "the summary is on disk in plaintext");
    assert!(
        !contains("\"counts\""),
        "a summary's JSON is on disk in plaintext"
    );
    assert!(!contains("[3,2,1,0,3,2,1,0,1]"), "answers are on disk");
    // The day counts the station week needs are kept, as counts.
    assert!(contains("phq9/9/1"));

    let mut syncer = pair.syncer(&format!("http://{}", pair.hub_addr()), 10);
    assert!(drain_through(&mut syncer).is_empty());
    let records = waystation_hub::records(pair.hub_dir.path()).unwrap();
    let record = records.iter().find(|r| r.kind == "day_summary").unwrap();
    let opened: waystation_protocol::DaySummary =
        serde_json::from_value(record.payload.clone()).unwrap();
    assert_eq!(opened, summaries[0]);
    assert_eq!(opened.visits(), 12);
    assert_eq!(opened.count(Metric::Answer, "phq9/1/3"), 1);
    assert_eq!(
        opened.count(Metric::Band, &format!("phq9/{}", score.band)),
        1
    );
    // Acknowledged: its payload is gone from the kiosk.
    let empty: i64 = pair
        .store()
        .connection()
        .query_row(
            "SELECT COUNT(*) FROM outbox WHERE kind = 'day_summary' AND state = 'acked' AND length(payload) = 0",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(empty, 1);
}

#[test]
fn records_written_before_the_key_was_known_are_sealed_then_uploaded() {
    let pair = Pair::new();
    let dir = pair.kiosk_dir.path();
    {
        let mut unsealed = Store::open(dir).unwrap();
        write_records(&mut unsealed, 5);
        assert_eq!(unsealed.unsealed_count().unwrap(), 5);
    }
    let mut store = Store::open(dir).unwrap();
    let sealed = store
        .enable_sealing(CentrePublicKey::from_base64(&pair.centre).unwrap())
        .unwrap();
    assert_eq!(sealed, 5);
    assert_eq!(store.unsealed_count().unwrap(), 0);
    drop(store);
    let mut syncer = pair.syncer(&format!("http://{}", pair.hub_addr()), 10);
    assert!(drain_through(&mut syncer).is_empty());
    pair.assert_exactly_once();
}

#[test]
fn an_export_on_a_usb_stick_is_imported_once_and_a_later_upload_adds_nothing() {
    let pair = Pair::new();
    write_records(&mut pair.store(), 25);
    let stick = tempfile::tempdir().unwrap();
    let mut store = pair.store();
    let key = store.device_key().unwrap();
    let summary =
        waystation::sync::export::export(&store, &key, &SystemClock::new(), stick.path(), 10)
            .unwrap();
    assert_eq!((summary.records, summary.files.len()), (25, 3));
    // Nothing on the stick is readable without the centre's key.
    for file in &summary.files {
        assert!(!std::fs::read_to_string(file).unwrap().contains("tired"));
    }
    let first = waystation_hub::import_dir(pair.hub_dir.path(), stick.path()).unwrap();
    assert_eq!((first.stored, first.duplicate), (25, 0));
    let second = waystation_hub::import_dir(pair.hub_dir.path(), stick.path()).unwrap();
    assert_eq!((second.stored, second.duplicate), (0, 25));
    // The kiosk still holds them as waiting; uploading later is harmless.
    assert_eq!(store.outbox_counts().unwrap().pending, 25);
    drop(store);
    let mut syncer = pair.syncer(&format!("http://{}", pair.hub_addr()), 10);
    assert!(drain_through(&mut syncer).is_empty());
    pair.assert_exactly_once();
}

#[test]
fn the_hub_refuses_a_device_it_does_not_know_and_nothing_is_lost() {
    let pair = Pair::new();
    let stranger = tempfile::tempdir().unwrap();
    let mut store = Store::open(stranger.path()).unwrap();
    store
        .enable_sealing(CentrePublicKey::from_base64(&pair.centre).unwrap())
        .unwrap();
    write_records(&mut store, 2);
    let config = pair.config(&format!("http://{}", pair.hub_addr()), 10);
    let link = HttpsLink::new(&config.hub).unwrap();
    let settings = SyncSettings::from_config(&config, stranger.path().to_path_buf());
    let mut syncer = Syncer::new(store, link, SystemClock::new(), settings).unwrap();
    let Drained::Stopped { failure, .. } = syncer.drain().unwrap() else {
        panic!("an unknown device must be refused");
    };
    assert!(matches!(failure, Failure::NotRegistered(_)), "{failure:?}");
    assert_eq!(syncer.store().outbox_counts().unwrap().pending, 2);
    assert!(pair.hub_ids().is_empty());
}

#[test]
fn a_revoked_kiosk_stops_says_so_and_keeps_everything() {
    let pair = Pair::new();
    let mut store = pair.store();
    write_records(&mut store, 4);
    let device = store.device_key().unwrap().device_id();
    drop(store);
    let mut syncer = pair.syncer(&format!("http://{}", pair.hub_addr()), 10);
    assert!(drain_through(&mut syncer).is_empty());
    assert_eq!(pair.hub_ids().len(), 4);

    waystation_hub::revoke_device(pair.hub_dir.path(), &device).unwrap();
    let mut store = pair.store();
    write_records(&mut store, 3);
    drop(store);
    let Drained::Stopped {
        failure,
        acked,
        quarantined,
    } = syncer.drain().unwrap()
    else {
        panic!("a revoked kiosk must be refused");
    };
    assert!(matches!(failure, Failure::Refused(_)), "{failure:?}");
    assert_eq!((acked, quarantined), (0, 0));
    let counts = syncer.store().outbox_counts().unwrap();
    assert_eq!(
        (
            counts.pending + counts.in_flight,
            counts.acked,
            counts.quarantined
        ),
        (3, 4, 0)
    );
    let said = syncer.store().sync_state().unwrap().last_error.unwrap();
    assert!(said.contains("revoked"), "{said}");
    // The hub kept what it had stored before.
    assert_eq!(pair.hub_ids().len(), 4);
}

#[test]
fn a_newer_bundle_on_the_hub_is_fetched_once_and_installed() {
    let pair = Pair::new();
    let (secret, public) = waystation::directory::bundle::keygen([9; 32]);
    let mut bundle: serde_json::Value =
        serde_json::from_str(include_str!("../../assets/directory/bundle.json")).unwrap();
    let shipped = bundle["version"].as_u64().unwrap();
    bundle["version"] = serde_json::json!(shipped + 1);
    let signed = waystation::directory::bundle::sign(
        &serde_json::to_string(&bundle).unwrap(),
        &waystation::directory::bundle::secret_key(&secret).unwrap(),
    )
    .unwrap();
    let file = pair.hub_dir.path().join("new-bundle.json");
    std::fs::write(&file, signed).unwrap();
    waystation_hub::set_bundle(pair.hub_dir.path(), &file).unwrap();

    let config = pair.config(&format!("http://{}", pair.hub_addr()), 10);
    let link = HttpsLink::new(&config.hub).unwrap();
    let mut store = pair.store();
    let uploader = waystation::sync::uploader::Uploader::new(store.device_key().unwrap(), 10);
    let key = waystation::directory::bundle::public_key(&public).unwrap();
    let clock = SystemClock::new();
    let fetch = |store: &mut Store| {
        waystation::sync::fetch::fetch_bundle(
            store,
            &link,
            &uploader,
            pair.kiosk_dir.path(),
            &key,
            &clock,
        )
        .unwrap()
    };
    let first = fetch(&mut store);
    assert!(
        matches!(&first, waystation::sync::fetch::BundleFetch::Installed(b) if b.version == shipped + 1),
        "{first:?}"
    );
    assert_eq!(
        fetch(&mut store),
        waystation::sync::fetch::BundleFetch::NotModified
    );
    let active = waystation::store::directory::active(Some(pair.kiosk_dir.path()), Some(&key));
    assert_eq!(active.version, shipped + 1);
}

#[test]
fn heartbeats_wait_as_one_record() {
    let pair = Pair::new();
    let mut store = pair.store();
    let clock = FakeClock::new(chrono::Utc::now(), true);
    let directory = waystation::directory::Bundle::shipped();
    // The demo station's two kinds of brochure, neither restocked yet: both due.
    let brochures = waystation::config::Config::demo().staff.brochures;
    let facts = waystation::sync::heartbeat::HeartbeatFacts {
        station: "demo",
        paper_roll_mm: Some(20_000.0),
        brochures: &brochures,
        data_dir: pair.kiosk_dir.path(),
        directory: &directory,
        machine: &waystation::machine::FakeMachine {
            temperature_c: Some(71.6),
            image: Some(waystation::machine::ImageRelease {
                version: "2026.12.3".into(),
                ..Default::default()
            }),
            provision_result: None,
        },
        update: serde_json::Value::Null,
        remote_help: serde_json::Value::Null,
    };
    use waystation::store::sync::Heartbeat;
    use waystation::sync::heartbeat::queue_heartbeat;
    let entropy = waystation::entropy::SystemEntropy;
    let queue = |store: &mut Store| queue_heartbeat(store, &clock, &entropy, &facts).unwrap();
    assert_eq!(queue(&mut store), Heartbeat::Appended);
    for _ in 0..20 {
        clock.advance(Duration::from_secs(900));
        assert_eq!(queue(&mut store), Heartbeat::Coalesced);
    }
    assert_eq!(store.outbox_counts().unwrap().pending, 1);
    drop(store);
    let mut syncer = pair.syncer(&format!("http://{}", pair.hub_addr()), 10);
    assert!(drain_through(&mut syncer).is_empty());
    let records = waystation_hub::records(pair.hub_dir.path()).unwrap();
    assert_eq!(records.len(), 1);
    let beat = &records[0].payload;
    assert_eq!(beat["station"], "demo");
    assert_eq!(beat["clock_synced"], true);
    assert!(beat["disk_free_bytes"].as_u64().unwrap() > 0);
    assert_eq!(beat["printer"]["paper_left_mm"], 20_000.0);
    assert_eq!(beat["temperature_c"], 72);
    assert_eq!(beat["image_version"], "2026.12.3");
    assert_eq!(beat["brochures_due"][0]["kind"], "hotline-card");
    assert_eq!(beat["brochures_due"][1]["zh"], "睡眠小贴士（示例）");
    // The hub has it: the next heartbeat is a new record, not a change to the delivered one.
    let mut store = pair.store();
    assert_eq!(queue(&mut store), Heartbeat::Appended);
}

/// Waits until the hub holds `n` records, or fails after a while.
fn wait_for_hub(pair: &Pair, n: usize) {
    let started = std::time::Instant::now();
    while pair.hub_ids().len() < n {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the hub has {} of {n} records",
            pair.hub_ids().len()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn the_kiosk_worker_uploads_on_its_own_thread_wakes_on_demand_and_stops_cleanly() {
    let pair = Pair::new();
    let (secret, public) = waystation::directory::bundle::keygen([5; 32]);
    let mut bundle: serde_json::Value =
        serde_json::from_str(include_str!("../../assets/directory/bundle.json")).unwrap();
    let newer = bundle["version"].as_u64().unwrap() + 1;
    bundle["version"] = serde_json::json!(newer);
    let signed = waystation::directory::bundle::sign(
        &serde_json::to_string(&bundle).unwrap(),
        &waystation::directory::bundle::secret_key(&secret).unwrap(),
    )
    .unwrap();
    let file = pair.hub_dir.path().join("bundle-to-serve.json");
    std::fs::write(&file, signed).unwrap();
    waystation_hub::set_bundle(pair.hub_dir.path(), &file).unwrap();

    write_records(&mut pair.store(), 20);
    let mut config = pair.config(&format!("http://{}", pair.hub_addr()), 500);
    config.directory.public_key = Some(public);
    let (bundles, new_bundles) = std::sync::mpsc::channel();
    let (alerts, _) = std::sync::mpsc::channel();
    let worker = waystation::sync::spawn_worker(
        &config,
        pair.kiosk_dir.path(),
        bundles,
        alerts,
        Default::default(),
    )
    .unwrap();
    // The 20 records and the worker's first heartbeat.
    wait_for_hub(&pair, 21);
    let installed = new_bundles.recv_timeout(Duration::from_secs(30)).unwrap();
    assert_eq!(installed.version, newer);

    // New records wait for the next poll, or go at once when the kiosk asks ("sync now").
    write_records(&mut pair.store(), 5);
    worker.wake.send(()).unwrap();
    wait_for_hub(&pair, 26);

    worker
        .stop
        .store(true, std::sync::atomic::Ordering::Relaxed);
    drop(worker.wake);
    let started = std::time::Instant::now();
    worker.thread.join().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the worker took long to stop"
    );
    pair.assert_exactly_once();
}

#[test]
fn the_queue_commands_list_retry_and_export_and_name_the_device() {
    let pair = Pair::new();
    write_records(&mut pair.store(), 4);
    let quarantined = {
        let mut store = pair.store();
        let first = store.queue_entries(None, 0, 1).unwrap().remove(0).id;
        store
            .quarantine(&first, "cannot open the sealed payload")
            .unwrap();
        first
    };
    let config = station_config(&pair, pair.kiosk_dir.path(), "http://127.0.0.1:9", 10);
    let data = pair.kiosk_dir.path();
    let run = |args: &[&str]| waystation_at(&config, data, args).output().unwrap();
    let stdout = |o: &std::process::Output| String::from_utf8_lossy(&o.stdout).into_owned();

    let device = run(&["device", "--json"]);
    let device: serde_json::Value = serde_json::from_slice(&device.stdout).unwrap();
    let key = pair.store().device_key().unwrap();
    assert_eq!(device["device_id"], key.device_id());
    assert_eq!(device["public_key"], key.public_base64());
    assert_eq!(
        device["centre_key_id"],
        CentrePublicKey::from_base64(&pair.centre)
            .unwrap()
            .key_id()
            .to_string()
    );

    let listed = run(&["queue", "list", "--state", "quarantined"]);
    let text = stdout(&listed);
    assert!(
        text.contains(&quarantined) && text.contains("cannot open"),
        "{text}"
    );
    assert_eq!(text.lines().count(), 1);
    let status = stdout(&run(&["queue", "status"]));
    assert!(
        status.contains("1 quarantined") && status.contains("set aside"),
        "{status}"
    );

    assert_eq!(
        run(&["queue", "list", "--state", "lost"]).status.code(),
        Some(2)
    );
    assert_eq!(
        run(&["queue", "retry", "no-such-id"]).status.code(),
        Some(2)
    );
    assert!(run(&["queue", "retry", &quarantined]).status.success());
    assert_eq!(pair.store().outbox_counts().unwrap().pending, 4);

    let stick = tempfile::tempdir().unwrap();
    let export = run(&["queue", "export", stick.path().to_str().unwrap()]);
    assert!(
        stdout(&export).starts_with("4 record(s) in 1 file(s)"),
        "{}",
        stdout(&export)
    );
    let imported = waystation_hub::import_dir(pair.hub_dir.path(), stick.path()).unwrap();
    assert_eq!(imported.stored, 4);
}

/// A TLS server whose certificate is valid only from 2099: what every certificate looks like
/// to a kiosk whose clock is wrong ("not valid yet" at 1970, "expired" at 2038). rustls checks
/// certificates against the machine's real clock, which a test cannot move, hence the future
/// certificate. Returns its port and the certificate (PEM), which the kiosk is told to trust,
/// so that the date is the only thing wrong. The torture's clock tests use it too.
pub(crate) fn tls_server_from_the_future() -> (u16, String) {
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    params.not_before = rcgen::date_time_ymd(2099, 1, 1);
    params.not_after = rcgen::date_time_ymd(2100, 1, 1);
    // The client gives up during the handshake; there is nothing to answer.
    let (port, pem, _heads) = tls_server(params, "");
    (port, pem)
}

/// A TLS server on loopback with a self-signed certificate made from `params`. It reads each
/// request's head, sends it on the returned channel and writes `answer` (a whole HTTP reply).
/// Returns its port, the certificate (PEM) and the channel.
fn tls_server(
    params: rcgen::CertificateParams,
    answer: &'static str,
) -> (u16, String, std::sync::mpsc::Receiver<String>) {
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![cert.der().clone()],
        rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
    )
    .unwrap();
    let config = std::sync::Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (heads, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let connection = rustls::ServerConnection::new(config.clone()).unwrap();
            let mut tls = rustls::StreamOwned::new(connection, stream);
            let mut head = Vec::new();
            let mut chunk = [0; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match std::io::Read::read(&mut tls, &mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&chunk[..n]),
                }
            }
            if head.windows(4).any(|w| w == b"\r\n\r\n") {
                let _ = std::io::Write::write_all(&mut tls, answer.as_bytes());
                let _ = std::io::Write::flush(&mut tls);
                tls.conn.send_close_notify();
                let _ = tls.conn.complete_io(&mut tls.sock);
                let _ = heads.send(String::from_utf8_lossy(&head).into_owned());
            }
        }
    });
    (port, cert.pem(), received)
}

/// `hub.ca_file` is trusted beside the built-in roots: a hub whose certificate a private CA
/// signed answers over HTTPS (a 503 comes back as a reply with its Retry-After, tag and body,
/// and the request carries the kiosk's user agent and the device's headers), while without
/// the file the same hub fails as a TLS problem.
#[test]
fn a_hub_signed_by_the_ca_in_ca_file_is_trusted_and_its_answer_read() {
    let pair = Pair::new();
    let params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    let answer = "HTTP/1.1 503 Service Unavailable\r\nretry-after: 7\r\netag: \"b1\"\r\n\
                  content-length: 4\r\nconnection: close\r\n\r\nbusy";
    let (port, pem, heads) = tls_server(params, answer);
    let ca = pair.kiosk_dir.path().join("hub-ca.pem");
    std::fs::write(&ca, pem).unwrap();
    let mut config = pair.config(&format!("https://localhost:{port}"), 10);
    let request = waystation::sync::link::HubRequest {
        method: waystation::sync::link::Method::Get,
        path: "/v1/bundle".into(),
        body: Vec::new(),
        device_id: "kiosk-7".into(),
        signature: "sig".into(),
        if_none_match: Some("\"b0\"".into()),
        range: None,
    };

    let untrusted = HttpsLink::new(&config.hub).unwrap().send(&request);
    assert!(
        matches!(untrusted, Err(waystation::sync::link::LinkError::Tls(_))),
        "{untrusted:?}"
    );

    config.hub.ca_file = Some(ca);
    let reply = HttpsLink::new(&config.hub).unwrap().send(&request).unwrap();
    assert_eq!(reply.status, 503);
    assert_eq!(reply.retry_after.as_deref(), Some("7"));
    assert_eq!(reply.etag.as_deref(), Some("\"b1\""));
    assert_eq!(reply.body, b"busy");
    let head = heads
        .recv_timeout(Duration::from_secs(5))
        .unwrap()
        .to_lowercase();
    assert!(head.starts_with("get /v1/bundle http/1.1"), "{head}");
    for line in [
        concat!("user-agent: waystation/", env!("CARGO_PKG_VERSION")),
        "if-none-match: \"b0\"",
        "sig",
        "kiosk-7",
    ] {
        assert!(head.contains(line), "{line} missing in {head}");
    }
}

#[test]
fn a_tls_failure_while_the_clock_is_wrong_shows_staff_clock_not_set() {
    let pair = Pair::new();
    write_records(&mut pair.store(), 2);
    let (port, pem) = tls_server_from_the_future();
    let ca = pair.kiosk_dir.path().join("hub-ca.pem");
    std::fs::write(&ca, pem).unwrap();
    let config_file = station_config(
        &pair,
        pair.kiosk_dir.path(),
        &format!("https://localhost:{port}"),
        10,
    );
    let text = std::fs::read_to_string(&config_file).unwrap().replace(
        "# ca_file = \"/etc/waystation/hub-ca.pem\"",
        &format!("ca_file = \"{}\"", ca.display()),
    );
    std::fs::write(&config_file, &text).unwrap();
    let config = Config::load_file(&config_file).unwrap();

    // A kiosk just after a power cut: the clock says 1970 and NTP has not answered.
    let clock = FakeClock::new(chrono::DateTime::from_timestamp(60, 0).unwrap(), false);
    let link = HttpsLink::new(&config.hub).unwrap();
    let settings = SyncSettings::from_config(&config, pair.kiosk_dir.path().to_path_buf());
    let mut syncer = Syncer::new(pair.store(), link, clock, settings).unwrap();
    let Drained::Stopped { failure, .. } = syncer.drain().unwrap() else {
        panic!("a certificate that is not valid yet must fail");
    };
    assert!(
        matches!(
            failure,
            Failure::Tls {
                clock_suspect: true,
                ..
            }
        ),
        "{failure:?}"
    );
    assert_eq!(syncer.store().outbox_counts().unwrap().pending, 2);
    drop(syncer);

    let status = waystation_at(&config_file, pair.kiosk_dir.path(), &["status"])
        .output()
        .unwrap();
    let status = String::from_utf8_lossy(&status.stdout);
    assert!(status.contains("clock not set"), "{status}");
}
