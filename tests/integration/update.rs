//! Image updates end to end: a real hub on loopback with an image bundle rolled out, and kiosks
//! that ask for it, download it in parts (resuming after a cut), check it, and write root's
//! request files only while idle. Root's scripts are played by the test: they read the
//! request, move the bundle away, and write `update-status.json`.

use std::path::Path;
use std::time::Duration;

use waystation::clock::{Clock, FakeClock};
use waystation::machine::{FakeMachine, ImageRelease};
use waystation::store::Store;
use waystation::sync::link::HttpsLink;
use waystation::sync::update::PART_BYTES;
use waystation::sync::{SyncSettings, Syncer};
use waystation::update::IdleSignal;
use waystation_hub::{Registration, Scope};
use waystation_protocol::CentrePublicKey;

use crate::sync::Pair;

const RUNNING: &str = "2026.11.1";
const NEW: &str = "2026.12.3";

/// A kiosk of the pair's hub: its data folder, the image it runs and its idle signal.
struct Kiosk<'a> {
    pair: &'a Pair,
    dir: &'a Path,
    clock: FakeClock,
    idle: IdleSignal,
    key: waystation_protocol::DeviceKey,
    syncer: Syncer<HttpsLink, FakeClock>,
}

impl<'a> Kiosk<'a> {
    fn new(pair: &'a Pair, dir: &'a Path, running: &str) -> Kiosk<'a> {
        let mut store = Store::open(dir).unwrap();
        store
            .enable_sealing(CentrePublicKey::from_base64(&pair.centre).unwrap())
            .unwrap();
        let key = store.device_key().unwrap();
        let config = pair.config(&format!("http://{}", pair.hub_addr()), 10);
        let link = HttpsLink::new(&config.hub).unwrap();
        let mut settings = SyncSettings::from_config(&config, dir.to_path_buf());
        settings.machine = Box::new(FakeMachine {
            temperature_c: None,
            image: Some(ImageRelease {
                version: running.into(),
                ..Default::default()
            }),
            provision_result: None,
        });
        let idle = IdleSignal::new();
        settings.idle = Some(idle.clone());
        let clock = FakeClock::new(
            chrono::DateTime::from_timestamp(1_796_000_000, 0).unwrap(),
            true,
        );
        let syncer = Syncer::new(store, link, clock.clone(), settings).unwrap();
        Kiosk {
            pair,
            dir,
            clock,
            idle,
            key,
            syncer,
        }
    }

    fn device_id(&self) -> String {
        self.key.device_id()
    }

    /// Registers this kiosk at the hub, in a district or none.
    fn register(&self, district: Option<&str>) {
        let key = self.key.public_base64();
        let placed = Registration {
            station: Some("demo"),
            district,
            ..Registration::default()
        };
        waystation_hub::register(self.pair.hub_dir.path(), &key, &placed).unwrap();
    }

    fn status(&self, json: &str) {
        std::fs::write(self.dir.join("update-status.json"), json).unwrap();
    }

    fn updates(&self, name: &str) -> std::path::PathBuf {
        self.dir.join("updates").join(name)
    }

    fn read(&self, name: &str) -> Option<String> {
        std::fs::read_to_string(self.updates(name)).ok()
    }

    /// The `updates/` folder's file names, sorted.
    fn files(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.dir.join("updates"))
            .map(|entries| {
                entries
                    .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }

    fn part_len(&self, version: &str) -> u64 {
        std::fs::metadata(self.updates(&format!("{version}.raucb.part")))
            .unwrap()
            .len()
    }

    /// Idle from now on, for `minutes`.
    fn idle_for(&self, minutes: u64) {
        self.idle.idle(self.clock.monotonic());
        self.clock.advance(Duration::from_secs(minutes * 60));
    }
}

/// A bundle's bytes: any bytes will do (RAUC, not the kiosk, checks its signature), a little
/// over two parts long so that it takes three requests.
fn bundle_bytes() -> Vec<u8> {
    let len = 2 * PART_BYTES as usize + 1234;
    (0..len).map(|n| (n * 31 % 251) as u8).collect()
}

fn add_image(pair: &Pair, version: &str, bytes: &[u8]) {
    let file = pair.hub_dir.path().join("incoming.raucb");
    std::fs::write(&file, bytes).unwrap();
    waystation_hub::add_image(pair.hub_dir.path(), &file, version).unwrap();
}

/// The kiosk of the rollout downloads in parts, survives a cut, checks the bundle, and asks
/// for the install and the reboot only while idle; a kiosk outside the rollout gets nothing.
#[test]
fn a_kiosk_downloads_a_rolled_out_image_in_parts_and_asks_root_only_while_idle() {
    let pair = Pair::new();
    let kiosk = Kiosk::new(&pair, pair.kiosk_dir.path(), RUNNING);
    let mut kiosk = kiosk;
    kiosk.status(r#"{"slot": "A", "last": null}"#);
    let other_dir = tempfile::tempdir().unwrap();
    let mut other = Kiosk::new(&pair, other_dir.path(), RUNNING);
    other.register(None);
    other.status(r#"{"slot": "B", "last": null}"#);

    let bytes = bundle_bytes();
    add_image(&pair, NEW, &bytes);
    waystation_hub::rollout(pair.hub_dir.path(), NEW, &[Scope::Kiosk(kiosk.device_id())]).unwrap();

    // The first part, then a cut in the middle of the second: the file ends short.
    assert!(kiosk.syncer.update_pass(), "a download is under way");
    assert_eq!(kiosk.part_len(NEW), PART_BYTES);
    assert!(kiosk.syncer.update_pass());
    assert_eq!(kiosk.part_len(NEW), 2 * PART_BYTES);
    let cut = PART_BYTES + 17;
    let part = std::fs::OpenOptions::new()
        .write(true)
        .open(kiosk.updates(&format!("{NEW}.raucb.part")))
        .unwrap();
    part.set_len(cut).unwrap();
    drop(part);
    // Resumed from where the file ends, to the end.
    assert!(kiosk.syncer.update_pass());
    assert_eq!(kiosk.part_len(NEW), cut + PART_BYTES);
    assert!(kiosk.syncer.update_pass());
    assert_eq!(kiosk.part_len(NEW), bytes.len() as u64);
    // Checked and renamed; a visit is on (the signal says busy until told), so no request.
    assert!(kiosk.syncer.update_pass());
    assert_eq!(kiosk.files(), [format!("{NEW}.raucb")]);
    assert_eq!(
        std::fs::read(kiosk.updates(&format!("{NEW}.raucb"))).unwrap(),
        bytes
    );
    assert!(!kiosk.syncer.update_pass());
    kiosk.idle_for(1);
    kiosk.syncer.update_pass();
    assert_eq!(
        kiosk.read("install-request"),
        None,
        "a minute is not enough"
    );
    kiosk.idle.busy();
    kiosk.clock.advance(Duration::from_secs(600));
    kiosk.syncer.update_pass();
    assert_eq!(kiosk.read("install-request"), None, "never during a visit");
    kiosk.idle_for(2);
    kiosk.syncer.update_pass();
    assert_eq!(
        kiosk.read("install-request").as_deref(),
        Some("2026.12.3\n")
    );

    // Root takes the request and the bundle, installs, and waits for a reboot.
    std::fs::remove_file(kiosk.updates("install-request")).unwrap();
    std::fs::remove_file(kiosk.updates(&format!("{NEW}.raucb"))).unwrap();
    kiosk.status(
        r#"{"slot": "A", "last": {"version": "2026.12.3", "outcome": "awaiting_reboot",
            "detail": "installed into slot B", "at": "2026-12-03T14:00:00Z"}}"#,
    );
    kiosk.idle.busy();
    kiosk.clock.advance(Duration::from_secs(3600));
    kiosk.syncer.update_pass();
    assert_eq!(kiosk.read("reboot-request"), None, "never during a visit");
    assert!(
        kiosk.files().is_empty(),
        "nothing fetched again: {:?}",
        kiosk.files()
    );
    kiosk.idle_for(9);
    kiosk.syncer.update_pass();
    assert_eq!(
        kiosk.read("reboot-request"),
        None,
        "nine quiet minutes are not enough"
    );
    kiosk.clock.advance(Duration::from_secs(60));
    kiosk.syncer.update_pass();
    assert_eq!(kiosk.read("reboot-request").as_deref(), Some("2026.12.3\n"));
    let report = kiosk.syncer.update_step().report();
    assert_eq!(report["slot"], "A");
    assert_eq!(report["last"]["outcome"], "awaiting_reboot");

    // The kiosk outside the rollout is offered nothing, and writes nothing.
    other.idle_for(60);
    assert!(!other.syncer.update_pass());
    assert!(other.files().is_empty(), "{:?}", other.files());
}

/// A district rollout reaches the kiosks registered in that district and no other; a kiosk
/// that runs the version already fetches nothing; a kiosk without update-status.json does
/// nothing at all.
#[test]
fn a_district_rollout_reaches_only_that_district() {
    let pair = Pair::new();
    let dirs: Vec<_> = (0..4).map(|_| tempfile::tempdir().unwrap()).collect();
    let mut jingan = Kiosk::new(&pair, dirs[0].path(), RUNNING);
    let mut pudong = Kiosk::new(&pair, dirs[1].path(), RUNNING);
    let mut current = Kiosk::new(&pair, dirs[2].path(), NEW);
    let mut plain = Kiosk::new(&pair, dirs[3].path(), RUNNING);
    jingan.register(Some("静安区"));
    pudong.register(Some("浦东新区"));
    current.register(Some("静安区"));
    plain.register(Some("静安区"));
    for kiosk in [&jingan, &pudong, &current] {
        kiosk.status(r#"{"slot": "A", "last": null}"#);
    }
    add_image(&pair, NEW, b"a small bundle");
    waystation_hub::rollout(
        pair.hub_dir.path(),
        NEW,
        &[Scope::District("静安区".into())],
    )
    .unwrap();
    // Downloading the small bundle, then checking it: both leave it ready.
    jingan.syncer.update_pass();
    jingan.syncer.update_pass();
    assert_eq!(jingan.files(), [format!("{NEW}.raucb")]);
    assert!(!pudong.syncer.update_pass());
    assert!(pudong.files().is_empty());
    // Running it already: the kiosk compares too, and a leftover part of it is tidied.
    std::fs::create_dir_all(current.dir.join("updates")).unwrap();
    std::fs::write(current.updates(&format!("{NEW}.raucb.part")), b"a sm").unwrap();
    current.syncer.update_pass();
    assert!(current.files().is_empty(), "{:?}", current.files());
    // Not installed from an A/B image: nothing asked, nothing written.
    assert!(!plain.syncer.update_pass());
    assert!(!plain.dir.join("updates").exists());
    assert_eq!(plain.syncer.update_step().report(), serde_json::Value::Null);
    // An unreadable status file stops the steps and says so in the heartbeat.
    plain.status(r#"{"slot": "A", "last": {"version": "1", "outcome": "exploded"}}"#);
    assert!(!plain.syncer.update_pass());
    let report = plain.syncer.update_step().report();
    assert!(
        report["unreadable"].as_str().unwrap().contains("exploded"),
        "{report}"
    );
}
