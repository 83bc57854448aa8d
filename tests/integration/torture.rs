//! Crash torture: the kiosk's processes killed with SIGKILL at random moments while they write
//! records and while they upload them, and the kiosk's clock started at 1970 and at 2038.
//!
//! The short runs here are part of `cargo test`. The long runs are the same code with
//! thousands of kills; they are ignored by default and started as docs/reliability.md says:
//!
//! ```sh
//! WAYSTATION_TORTURE_KILLS=3000 cargo test -p waystation --test integration torture_long -- --ignored --nocapture --test-threads=1
//! ```
//!
//! Every run prints its random seed; `WAYSTATION_TORTURE_SEED=N` repeats a run's choices.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rusqlite::{Connection, OptionalExtension};
use waystation::clock::{Clock, ClockReading, FakeClock};
use waystation::config::Config;
use waystation::store::{NewRecord, RecordKind, RecordStamp, Store};
use waystation::sync::link::HttpsLink;
use waystation::sync::uploader::Failure;
use waystation::sync::{Drained, SyncSettings, Syncer};
use waystation_protocol::TimeSource;

use crate::faults::{Fault, FaultProxy};
use crate::sync::{Pair, station_config_text, tls_server_from_the_future};

/// How many processes the CI version kills in each torture test.
const CI_KILLS: usize = 100;
/// How many the long version kills unless `WAYSTATION_TORTURE_KILLS` says otherwise.
const LONG_KILLS: usize = 3000;
/// Rounds of the CI version with the uploader: each kills the uploader once and writers.
const CI_ROUNDS: usize = 30;

// ---------------------------------------------------------------------------------------------
// Small helpers: randomness, the hub and kiosk pair, the kiosk binary.
// ---------------------------------------------------------------------------------------------

/// A small xorshift generator: the test needs reproducible choices, not good randomness, and
/// printing one seed is enough to repeat a failing run exactly.
struct Rng(u64);

impl Rng {
    fn from_env(test: &str) -> Rng {
        let seed = std::env::var("WAYSTATION_TORTURE_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                let mut bytes = [0u8; 8];
                getrandom::fill(&mut bytes).expect("the OS gives randomness");
                u64::from_le_bytes(bytes)
            });
        eprintln!("{test}: WAYSTATION_TORTURE_SEED={seed}");
        // Zero is the one state xorshift cannot leave.
        Rng(seed.max(1))
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A duration from zero up to `max`, in whole microseconds.
    fn up_to(&mut self, max: Duration) -> Duration {
        let micros = max.as_micros() as u64;
        Duration::from_micros(self.next() % (micros + 1))
    }
}

fn kills_wanted(ci: usize) -> usize {
    std::env::var("WAYSTATION_TORTURE_KILLS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(ci)
}

/// What the torture adds to the upload tests' kiosk and hub (`Pair` in sync.rs).
impl Pair {
    /// The hub's folder with the centre key, and an empty kiosk data folder: the hub is not
    /// started and nothing opens the kiosk's database, so that the first kills of a writer
    /// land while the database is created and migrated.
    fn without_hub() -> Pair {
        let hub_dir = tempfile::tempdir().unwrap();
        let centre = waystation_hub::keygen(hub_dir.path()).unwrap();
        Pair {
            hub_dir,
            kiosk_dir: tempfile::tempdir().unwrap(),
            hub: None,
            centre,
        }
    }

    fn data(&self) -> &Path {
        self.kiosk_dir.path()
    }

    fn hub_url(&self) -> String {
        format!("http://{}", self.hub_addr())
    }

    /// The demo station's config with this pair's centre key and hub address, written to the
    /// hub's folder so that the kiosk's data folder holds only what the kiosk writes.
    fn station_config(&self, url: &str) -> PathBuf {
        let path = self.hub_dir.path().join("station.toml");
        std::fs::write(&path, station_config_text(url, &self.centre, 25)).unwrap();
        path
    }

    /// A config for in-process syncers, with an optional extra CA for the hub.
    fn config_with_ca(&self, url: &str, ca_file: Option<&Path>) -> Config {
        let mut config = Config::demo();
        let ca = ca_file
            .map(|p| format!("\nca_file = '{}'", p.display()))
            .unwrap_or_default();
        config.hub = toml::from_str(&format!(
            "url = '{url}'\npublic_key = '{}'\nbatch_records = 10{ca}",
            self.centre
        ))
        .unwrap();
        config
    }

    /// A syncer reading the given clock, as a kiosk whose clock is wrong or right.
    fn syncer_with_clock<C: Clock>(
        &self,
        url: &str,
        ca_file: Option<&Path>,
        clock: C,
    ) -> Syncer<HttpsLink, C> {
        let config = self.config_with_ca(url, ca_file);
        let link =
            HttpsLink::with_timeouts(&config.hub, Duration::from_secs(2), Duration::from_secs(5))
                .unwrap();
        let settings = SyncSettings::from_config(&config, self.data().to_path_buf());
        Syncer::new(self.store(), link, clock, settings).unwrap()
    }

    fn hub_records(&self) -> Vec<waystation_hub::StoredRecord> {
        waystation_hub::records(self.hub_dir.path()).unwrap()
    }
}

/// `waystation --config CONFIG --data-dir DATA ARGS…`, its logs discarded.
fn waystation(config: &Path, data: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_waystation"));
    command
        .arg("--config")
        .arg(config)
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::null());
    command
}

/// The writer: a staff restock, which commits its own rows (restock, audit) and its outbox
/// record in one transaction, and then prints the record's id. (Visits write no records of
/// their own since day summaries, so a staff action is the per-event record a process can
/// make from the command line.)
const RESTOCK: &[&str] = &["restock", "paper"];

fn spawn_writer(config: &Path, data: &Path) -> Child {
    waystation(config, data, RESTOCK)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap()
}

/// What became of one killed (or finished) `restock`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    /// It exited by itself before the kill came.
    Finished,
    /// Killed after it printed the record id: the record was acknowledged.
    KilledAfterPrinting,
    /// Killed after its commit but before it printed the id: the record is there, unacknowledged.
    KilledAfterCommit,
    /// Killed before its commit: nothing of it may be in the store.
    KilledBeforeCommit,
}

/// Kills `child` (SIGKILL), reaps it and returns the record id it printed, if it printed a
/// whole one. A partial line cannot happen (the id and its newline go out in one write) but
/// would count as not printed, which is the strict reading.
fn kill_and_collect(mut child: Child) -> (bool, Option<String>) {
    // std's kill sends SIGKILL, and succeeds for a child that already exited but is unreaped.
    child.kill().unwrap();
    let status = child.wait().unwrap();
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    // "new paper roll recorded: record <id>"
    let id = out
        .lines()
        .next()
        .and_then(|line| line.rsplit(' ').next())
        .filter(|word| uuid::Uuid::try_parse(word).is_ok())
        .map(str::to_owned);
    if status.success() {
        assert!(id.is_some(), "a finished `restock` printed {out:?}");
    }
    (status.success(), id)
}

// ---------------------------------------------------------------------------------------------
// What must hold after every kill.
// ---------------------------------------------------------------------------------------------

/// What the kiosk's database looked like after a kill.
struct Snapshot {
    /// Record id to sequence number, for every outbox row.
    ids: BTreeMap<String, i64>,
    /// The ids of the heartbeats among them: the hub keeps only a kiosk's newest heartbeat
    /// (and counts the rest), so they are compared with the hub apart from the others.
    heartbeats: BTreeSet<String>,
}

/// Checks the kiosk's database as the next process would find it: SQLite's own integrity
/// check, the outbox sequence 1..=N with no hole or repeat and AUTOINCREMENT's counter at N,
/// and the restock rows committed with exactly the restock records (same transaction).
fn check_store(data: &Path) -> Snapshot {
    let path = data.join(waystation::store::DB_FILE);
    if !path.exists() {
        return Snapshot {
            ids: BTreeMap::new(),
            heartbeats: BTreeSet::new(),
        };
    }
    let conn = Connection::open(&path).unwrap();
    let integrity: Vec<String> = conn
        .prepare("PRAGMA integrity_check")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(integrity, ["ok"], "integrity_check failed");
    let has_outbox: bool = conn
        .query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'outbox'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .unwrap()
        == 1;
    if !has_outbox {
        // Killed during the very first open, before the schema was committed.
        return Snapshot {
            ids: BTreeMap::new(),
            heartbeats: BTreeSet::new(),
        };
    }
    let rows: Vec<(i64, String, String)> = conn
        .prepare("SELECT seq, id, kind FROM outbox ORDER BY seq")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let n = rows.len() as i64;
    for (i, (seq, _, _)) in rows.iter().enumerate() {
        assert_eq!(
            *seq,
            i as i64 + 1,
            "the outbox sequence has a hole or a repeat"
        );
    }
    // AUTOINCREMENT keeps its high-water mark in sqlite_sequence. A killed transaction that
    // had taken a number must have left the mark where it was, or the next record would leave
    // a hole; this checks that claim directly rather than trusting it.
    let mark: Option<i64> = conn
        .query_row(
            "SELECT seq FROM sqlite_sequence WHERE name = 'outbox'",
            [],
            |r| r.get(0),
        )
        .optional()
        .unwrap();
    assert_eq!(
        mark.unwrap_or(0),
        n,
        "AUTOINCREMENT's mark is past the last record"
    );
    let records: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM outbox WHERE kind = 'restock'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let restocks: i64 = conn
        .query_row("SELECT COUNT(*) FROM restock", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        records, restocks,
        "the restock rows and the outbox were not committed together"
    );
    let heartbeats = rows
        .iter()
        .filter(|(_, _, kind)| kind == waystation_hub::HEARTBEAT_KIND)
        .map(|(_, id, _)| id.clone())
        .collect();
    Snapshot {
        ids: rows.into_iter().map(|(seq, id, _)| (id, seq)).collect(),
        heartbeats,
    }
}

/// Tallies of a torture run, printed at its end (docs/reliability.md quotes them).
#[derive(Debug, Default)]
struct Tally {
    kills: usize,
    finished: usize,
    after_printing: usize,
    after_commit: usize,
    before_commit: usize,
}

impl Tally {
    fn note(&mut self, fate: Fate) {
        match fate {
            Fate::Finished => self.finished += 1,
            Fate::KilledAfterPrinting => self.after_printing += 1,
            Fate::KilledAfterCommit => self.after_commit += 1,
            Fate::KilledBeforeCommit => self.before_commit += 1,
        }
        if fate != Fate::Finished {
            self.kills += 1;
        }
    }
}

/// The longest a `restock` takes here when nothing kills it (three runs): the kill window is
/// scaled to it so that kills land everywhere from start-up to exit on a fast or a busy
/// machine alike. The runs also leave records to start from.
fn writer_duration(config: &Path, data: &Path) -> Duration {
    (0..3)
        .map(|_| {
            let started = Instant::now();
            let out = waystation(config, data, RESTOCK).output().unwrap();
            assert!(out.status.success());
            started.elapsed()
        })
        .max()
        .unwrap()
}

// ---------------------------------------------------------------------------------------------
// 1. Writers killed at random moments.
// ---------------------------------------------------------------------------------------------

fn kill_writers(kills: usize) {
    let mut rng = Rng::from_env("kill_writers");
    let rig = Pair::without_hub();
    // Records are sealed as on a real kiosk; no hub is needed to write them.
    let config = rig.station_config("http://127.0.0.1:9");
    let data = rig.data().to_path_buf();
    // The first processes are killed from an empty folder, so that kills also land in the
    // very first open: creating the database and running every migration.
    let mut tally = Tally::default();
    let mut acknowledged: BTreeSet<String> = BTreeSet::new();
    let mut window = Duration::from_millis(30);
    let mut scaled = false;
    let started = Instant::now();
    let mut before = check_store(&data).ids.len();
    while tally.kills < kills {
        if tally.kills == 10 && !scaled {
            scaled = true;
            // After the first-open kills, scale the window to a whole run of the command.
            window = writer_duration(&config, &data).mul_f64(1.2);
            before = check_store(&data).ids.len();
            eprintln!("kill window: 0 to {} ms", window.as_millis());
        }
        let child = spawn_writer(&config, &data);
        std::thread::sleep(rng.up_to(window));
        let (finished, id) = kill_and_collect(child);
        let after = check_store(&data);
        assert!(
            after.ids.len() <= before + 1,
            "one process wrote more than one record"
        );
        let fate = match (finished, &id) {
            (true, _) => Fate::Finished,
            (false, Some(_)) => Fate::KilledAfterPrinting,
            (false, None) if after.ids.len() == before + 1 => Fate::KilledAfterCommit,
            (false, None) => Fate::KilledBeforeCommit,
        };
        if let Some(id) = id {
            assert!(
                after.ids.contains_key(&id),
                "acknowledged record {id} is missing after a kill"
            );
            acknowledged.insert(id);
        }
        tally.note(fate);
        before = after.ids.len();
    }
    let elapsed = started.elapsed();
    // The store still works after all of that, and nothing acknowledged was lost on the way.
    let out = waystation(&config, &data, RESTOCK).output().unwrap();
    assert!(
        out.status.success(),
        "the store is unusable after the kills"
    );
    let last = check_store(&data);
    for id in &acknowledged {
        assert!(
            last.ids.contains_key(id),
            "acknowledged record {id} is missing"
        );
    }
    eprintln!(
        "kill_writers: {} kills in {:.1} s ({} processes finished first); killed after printing \
         the id {}, after the commit but before printing {}, before the commit {}; {} records, \
         {} acknowledged ids, sequence 1..={} without holes, integrity ok after every kill",
        tally.kills,
        elapsed.as_secs_f64(),
        tally.finished,
        tally.after_printing,
        tally.after_commit,
        tally.before_commit,
        last.ids.len(),
        acknowledged.len(),
        last.ids.len(),
    );
    // The run says nothing unless kills landed on both sides of the commit.
    assert!(tally.before_commit > 0, "{tally:?}");
    assert!(tally.after_printing + tally.finished > 0, "{tally:?}");
}

#[test]
fn torture_writers_killed_at_random_lose_no_acknowledged_record() {
    kill_writers(CI_KILLS);
}

#[test]
#[ignore = "the long run: thousands of kills (docs/reliability.md)"]
fn torture_long_writers_killed_at_random() {
    kill_writers(kills_wanted(LONG_KILLS));
}

/// The helper for the next test: run as a child process, it opens the kiosk's database, inserts
/// outbox rows in a transaction big enough to spill into the write-ahead log, says which
/// sequence numbers it took, and waits to be killed. Run by itself it does nothing.
#[test]
fn torture_helper_holds_an_outbox_transaction_open() {
    let Ok(dir) = std::env::var("WAYSTATION_TORTURE_HOLD") else {
        return;
    };
    let mut conn = Connection::open(Path::new(&dir).join(waystation::store::DB_FILE)).unwrap();
    conn.busy_timeout(Duration::from_secs(5)).unwrap();
    let tx = conn.transaction().unwrap();
    let mut taken = Vec::new();
    // About 4 MB, twice SQLite's default page cache, so that uncommitted pages spill into the
    // WAL before the kill: recovery must skip them.
    for n in 0..1000 {
        tx.execute(
            "INSERT INTO outbox (id, kind, schema_version, payload, created_wall_ms, clock_synced,
                                 boot_id, monotonic_ms, day)
             VALUES (?1, 'restock', 1, ?2, 0, 0, 'held', 0, '1970-01-01')",
            rusqlite::params![format!("held-{n}"), vec![7u8; 4096]],
        )
        .unwrap();
        taken.push(tx.last_insert_rowid());
    }
    println!("taken {} {}", taken[0], taken[taken.len() - 1]);
    std::io::Write::flush(&mut std::io::stdout()).unwrap();
    std::thread::sleep(Duration::from_secs(60));
    panic!("the helper was not killed");
}

#[test]
fn torture_a_transaction_killed_before_commit_leaves_no_row_and_no_gap() {
    let rig = Pair::without_hub();
    let config = rig.station_config("http://127.0.0.1:9");
    let data = rig.data().to_path_buf();
    for _ in 0..3 {
        assert!(
            waystation(&config, &data, RESTOCK)
                .output()
                .unwrap()
                .status
                .success()
        );
    }
    let wal_size = || {
        std::fs::metadata(data.join(format!("{}-wal", waystation::store::DB_FILE)))
            .map(|m| m.len())
            .unwrap_or(0)
    };
    let wal_before = wal_size();
    let mut helper = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "torture::torture_helper_holds_an_outbox_transaction_open",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("WAYSTATION_TORTURE_HOLD", &data)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(helper.stdout.take().unwrap()));
    let taken = loop {
        let line = lines.next().expect("the helper ended early").unwrap();
        // libtest prints the test's name and then, on the same line, what the test prints.
        if let Some((_, rest)) = line.split_once("taken ") {
            break rest.to_owned();
        }
    };
    let wal = wal_size();
    helper.kill().unwrap();
    helper.wait().unwrap();
    // The killed transaction had taken sequence numbers 4 and on, and written pages to the WAL.
    assert_eq!(taken, "4 1003");
    assert!(
        wal > wal_before + 1_000_000,
        "the transaction never reached the WAL ({wal_before} bytes before, {wal} during)"
    );
    let after = check_store(&data);
    assert_eq!(
        after.ids.len(),
        3,
        "rows of a killed transaction are visible"
    );
    // The next record gets number 4 again: nothing was burnt, so there is no hole.
    let out = waystation(&config, &data, RESTOCK).output().unwrap();
    let printed = String::from_utf8(out.stdout).unwrap();
    let id = printed.trim().rsplit(' ').next().unwrap().to_owned();
    assert_eq!(check_store(&data).ids.get(&id), Some(&4));
    eprintln!(
        "a transaction holding sequence numbers {} with {wal} bytes in the WAL was killed; the \
         next record got number 4",
        taken.replace(' ', " to ")
    );
}

// ---------------------------------------------------------------------------------------------
// 2. Writers and the uploader killed at random while they upload to a real hub.
// ---------------------------------------------------------------------------------------------

fn kill_writers_and_uploader(rounds: usize) {
    let mut rng = Rng::from_env("kill_writers_and_uploader");
    let rig = Pair::new();
    // Every reply is held back a little, so that many kills land between the hub's commit and
    // the kiosk's ack: the window in which a record could be lost or stored twice.
    let proxy = FaultProxy::start(rig.hub.as_ref().unwrap().addr());
    proxy.set_default(Fault::DelayReply(Duration::from_millis(15)));
    let config = rig.station_config(&format!("http://{}", proxy.addr));
    let data = rig.data().to_path_buf();
    // The writers share the database with a busy uploader here, which slows them down: twice
    // an uncontended run lets kills land after their commits too.
    let writer_window = writer_duration(&config, &data).mul_f64(2.0);
    let uploader_window = {
        backlog(&rig, 0);
        let started = Instant::now();
        let out = waystation(&config, &data, &["sync", "--once"])
            .output()
            .unwrap();
        assert!(out.status.success());
        started.elapsed().mul_f64(1.2)
    };
    eprintln!(
        "kill windows: writer 0 to {} ms, uploader 0 to {} ms",
        writer_window.as_millis(),
        uploader_window.as_millis()
    );
    let mut writers = Tally::default();
    let (mut uploader_kills, mut uploader_finished) = (0, 0);
    let mut acknowledged: BTreeSet<String> = BTreeSet::new();
    let started = Instant::now();
    for round in 0..rounds {
        // A backlog of a few batches, so that the uploader has work for the whole window.
        backlog(&rig, round + 1);
        // The foreground uploader alternates between draining once and running as the kiosk's
        // worker does (heartbeat first, then drain, then rest): both are killed mid-way.
        let mode: &[&str] = if round % 2 == 0 {
            &["sync", "--once"]
        } else {
            &["sync"]
        };
        let mut uploader = waystation(&config, &data, mode)
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        // The uploader is killed at its own random moment, from another thread, while this
        // one keeps starting and killing writers.
        let wait = rng.up_to(uploader_window);
        let killer = std::thread::spawn(move || {
            std::thread::sleep(wait);
            uploader.kill().unwrap();
            uploader.wait().unwrap().success()
        });
        loop {
            let before = check_store_quick(&data);
            let writer = spawn_writer(&config, &data);
            std::thread::sleep(rng.up_to(writer_window));
            let (finished, id) = kill_and_collect(writer);
            let after = check_store_quick(&data);
            let fate = match (finished, &id) {
                (true, _) => Fate::Finished,
                (false, Some(_)) => Fate::KilledAfterPrinting,
                // The uploader writes too (heartbeats), so this split is approximate here.
                (false, None) if after > before => Fate::KilledAfterCommit,
                (false, None) => Fate::KilledBeforeCommit,
            };
            writers.note(fate);
            acknowledged.extend(id);
            if killer.is_finished() {
                break;
            }
        }
        if killer.join().unwrap() {
            uploader_finished += 1;
        } else {
            uploader_kills += 1;
        }
        let snapshot = check_store(&data);
        for id in &acknowledged {
            assert!(
                snapshot.ids.contains_key(id),
                "acknowledged record {id} is missing"
            );
        }
    }
    let elapsed = started.elapsed();
    // Now let one uploader finish: the hub must end with exactly the kiosk's records.
    proxy.set_default(Fault::Pass);
    let out = waystation(&config, &data, &["sync", "--once"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let Snapshot {
        ids: kiosk,
        heartbeats,
    } = check_store(&data);
    let hub = rig.hub_records();
    let hub_ids: BTreeMap<String, i64> = hub.iter().map(|r| (r.id.clone(), r.seq)).collect();
    assert_eq!(hub.len(), hub_ids.len(), "a record is at the hub twice");
    // Every record but the heartbeats is at the hub as at the kiosk; of the heartbeats the
    // hub keeps the newest and counts every one (hub/README.md, "Heartbeats").
    let (kiosk_beats, kiosk_others): (BTreeMap<_, _>, BTreeMap<_, _>) = kiosk
        .iter()
        .map(|(id, seq)| (id.clone(), *seq))
        .partition(|(id, _)| heartbeats.contains(id));
    let (hub_beats, hub_others): (BTreeMap<_, _>, BTreeMap<_, _>) = hub_ids
        .iter()
        .map(|(id, seq)| (id.clone(), *seq))
        .partition(|(id, _)| heartbeats.contains(id));
    assert_eq!(
        hub_others, kiosk_others,
        "the hub's records (id and seq) differ from the kiosk's"
    );
    let newest_beat = kiosk_beats.iter().max_by_key(|(_, seq)| **seq);
    assert_eq!(
        hub_beats.iter().next(),
        newest_beat,
        "the hub does not hold the kiosk's newest heartbeat, and only it"
    );
    assert!(hub_beats.len() <= 1);
    let beats_counted: u64 = waystation_hub::counts(rig.hub_dir.path())
        .unwrap()
        .iter()
        .filter(|c| c.kind == waystation_hub::HEARTBEAT_KIND)
        .map(|c| c.records)
        .sum();
    assert_eq!(
        beats_counted,
        kiosk_beats.len() as u64,
        "the hub did not count every heartbeat once"
    );
    for id in &acknowledged {
        assert!(
            hub_ids.contains_key(id),
            "acknowledged record {id} never reached the hub"
        );
    }
    let counts = rig.store().outbox_counts().unwrap();
    assert_eq!(counts.acked as usize, kiosk.len(), "{counts:?}");
    eprintln!(
        "kill_writers_and_uploader: {rounds} rounds in {:.1} s; uploader: {} kills, {} finished \
         first; writers: {} kills ({} finished first; after printing {}, after commit {}, \
         before commit {}); {} records at the kiosk and at the hub, each once ({} of them \
         heartbeats, the newest kept at the hub and each counted), {} acknowledged ids",
        elapsed.as_secs_f64(),
        uploader_kills,
        uploader_finished,
        writers.kills,
        writers.finished,
        writers.after_printing,
        writers.after_commit,
        writers.before_commit,
        kiosk.len(),
        heartbeats.len(),
        acknowledged.len(),
    );
    assert!(uploader_kills > 0 && writers.before_commit > 0);
}

/// Commits records through the store (as the kiosk's screens do) for the uploader to send.
fn backlog(rig: &Pair, round: usize) {
    let mut store = rig.store();
    let clock = waystation::clock::SystemClock::new();
    for n in 0..BACKLOG {
        let record = NewRecord {
            kind: RecordKind::StaffAudit,
            stamp: RecordStamp::now(&clock, &waystation::entropy::SystemEntropy).unwrap(),
            payload: serde_json::json!({ "action": "test", "detail": format!("{round} {n}") }),
        };
        store.commit_record(&record, |_| Ok(())).unwrap();
    }
}

/// Records added before each round: three batches of the station config's 25.
const BACKLOG: usize = 75;

/// How many outbox rows there are, without the full checks (which run once a round).
fn check_store_quick(data: &Path) -> i64 {
    let conn = Connection::open(data.join(waystation::store::DB_FILE)).unwrap();
    conn.busy_timeout(Duration::from_secs(5)).unwrap();
    conn.query_row("SELECT COUNT(*) FROM outbox", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn torture_writers_and_uploader_killed_at_random_leave_the_hub_exactly_the_kiosk_records() {
    kill_writers_and_uploader(CI_ROUNDS);
}

#[test]
#[ignore = "the long run: thousands of kills (docs/reliability.md)"]
fn torture_long_writers_and_uploader_killed_at_random() {
    // Each round kills the uploader once and one writer or more.
    kill_writers_and_uploader(kills_wanted(LONG_KILLS) / 2);
}

// ---------------------------------------------------------------------------------------------
// 3. Clocks at 1970 and 2038.
// ---------------------------------------------------------------------------------------------

const SECOND: i64 = 1000;
/// 2038-01-19T03:14:07Z: the last second a signed 32-bit time can hold.
const Y2038_S: i64 = i32::MAX as i64;

/// Commits one operational record stamped with `reading` (per-event records keep their
/// time; a random id, as `RecordStamp::now` makes).
fn write_at(store: &mut Store, reading: ClockReading) -> (String, ClockReading) {
    let id = uuid::Uuid::new_v4();
    let record = NewRecord {
        kind: RecordKind::Restock,
        stamp: RecordStamp {
            id,
            clock: reading.clone(),
        },
        payload: serde_json::json!({ "item": "paper", "kind": null, "count": 1 }),
    };
    store.commit_record(&record, |_| Ok(())).unwrap();
    (id.to_string(), reading)
}

fn at(seconds: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(seconds, 0).unwrap()
}

/// Tries to upload while the clock is wrong: the hub's certificate does not check out, staff
/// are told the clock is not set, and every record stays waiting.
fn upload_fails_while_the_clock_is_wrong<C: Clock>(rig: &Pair, clock: C, waiting: u64) {
    let (port, pem) = tls_server_from_the_future();
    let ca = rig.hub_dir.path().join("future-ca.pem");
    std::fs::write(&ca, pem).unwrap();
    let mut syncer = rig.syncer_with_clock(&format!("https://localhost:{port}"), Some(&ca), clock);
    let Drained::Stopped { failure, acked, .. } = syncer.drain().unwrap() else {
        panic!("an upload to a hub whose certificate is not valid now must fail");
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
    assert_eq!(acked, 0);
    let counts = syncer.store().outbox_counts().unwrap();
    assert_eq!(counts.pending, waiting, "{counts:?}");
    assert!(syncer.store().sync_state().unwrap().clock_problem);
}

/// Uploads everything with `clock` and returns the hub's records, checking that they are the
/// kiosk's, each once, in the kiosk's order.
fn upload_all<C: Clock>(
    rig: &Pair,
    clock: C,
    written: &[(String, ClockReading)],
) -> Vec<waystation_hub::StoredRecord> {
    let mut syncer = rig.syncer_with_clock(&rig.hub_url(), None, clock);
    assert!(
        matches!(syncer.drain().unwrap(), Drained::Empty { .. }),
        "once the time is right, the upload must go through"
    );
    assert!(!syncer.store().sync_state().unwrap().clock_problem);
    drop(syncer);
    let hub = rig.hub_records();
    let ids: Vec<&str> = hub.iter().map(|r| r.id.as_str()).collect();
    let expected: Vec<&str> = written.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(
        ids, expected,
        "the hub's records, by sequence, are not the written order"
    );
    let seqs: Vec<i64> = hub.iter().map(|r| r.seq).collect();
    assert_eq!(seqs, (1..=written.len() as i64).collect::<Vec<_>>());
    assert_eq!(
        rig.store().outbox_counts().unwrap().acked as usize,
        written.len()
    );
    hub
}

/// The reading of a clock in a boot other than FakeClock's.
fn in_boot(clock: &FakeClock, boot: &str) -> ClockReading {
    ClockReading {
        boot_id: boot.into(),
        ..clock.read()
    }
}

#[test]
fn torture_clock_1970_keeps_the_order_and_uploads_resume_once_the_time_is_right() {
    let rig = Pair::new();
    let mut store = rig.store();
    let mut written = Vec::new();
    // An earlier boot that never got the time: three records at 1970-01-01T00:01:00 and on.
    let earlier = FakeClock::new(at(60), false);
    for _ in 0..3 {
        written.push(write_at(&mut store, in_boot(&earlier, "earlier-boot")));
        earlier.advance(Duration::from_secs(1));
    }
    // This boot: the clock again starts at 1970 and is not set yet.
    let now_boot = FakeClock::new(at(60), false);
    for _ in 0..3 {
        written.push(write_at(&mut store, now_boot.read()));
        now_boot.advance(Duration::from_secs(1));
    }
    drop(store);
    upload_fails_while_the_clock_is_wrong(&rig, now_boot.clone(), 6);

    // NTP sets the clock: same boot, 42 s after boot on the monotonic clock, wall time right.
    let right = FakeClock::new(chrono::Utc::now(), true);
    right.advance(Duration::from_secs(42));
    let mut store = rig.store();
    for _ in 0..2 {
        written.push(write_at(&mut store, right.read()));
    }
    drop(store);
    let sent = right.read();
    let hub = upload_all(&rig, right, &written);

    let sent_ms = sent.wall.timestamp_millis();
    let sent_mono = sent.since_boot.as_millis() as i64;
    for (record, (_, made)) in hub.iter().zip(&written) {
        let made_ms = made.wall.timestamp_millis();
        let made_mono = made.since_boot.as_millis() as i64;
        assert_eq!(
            record.created.wall_ms, made_ms,
            "the kiosk's own time is kept"
        );
        assert_eq!(record.day, waystation::station_time::day_string(made.wall));
        let expected = if made.synced {
            (made_ms, TimeSource::Synced)
        } else if made.boot_id == sent.boot_id {
            // Placed from the batch's reading: the batch's wall time less the monotonic time
            // that passed between the record and the batch.
            (sent_ms - (sent_mono - made_mono), TimeSource::Batch)
        } else {
            // An earlier boot cannot be placed; its order is still right.
            (made_ms, TimeSource::Unknown)
        };
        assert_eq!(
            (record.corrected_ms, record.time_source),
            expected,
            "{}",
            record.id
        );
    }
    // The first 1970 record of this boot was made 42 s before the batch, by the monotonic clock.
    assert_eq!(hub[3].corrected_ms, sent_ms - 42 * SECOND);
}

#[test]
fn torture_clock_2038_wrongly_saved_is_corrected_and_the_order_kept() {
    let rig = Pair::new();
    let mut store = rig.store();
    let mut written = Vec::new();
    // The saved clock reads two seconds before the 32-bit rollover, unsynced; the records
    // cross 2038-01-19T03:14:07Z.
    let wrong = FakeClock::new(at(Y2038_S - 2), false);
    for _ in 0..5 {
        written.push(write_at(&mut store, wrong.read()));
        wrong.advance(Duration::from_secs(1));
    }
    assert!(written.last().unwrap().1.wall.timestamp() > Y2038_S);
    drop(store);
    upload_fails_while_the_clock_is_wrong(&rig, wrong.clone(), 5);

    // NTP sets the clock back to the present. Records made now have earlier wall times than
    // the ones before them, but later sequence numbers: the order is the sequence.
    let right = FakeClock::new(chrono::Utc::now(), true);
    right.advance(Duration::from_secs(60));
    let mut store = rig.store();
    for _ in 0..2 {
        written.push(write_at(&mut store, right.read()));
    }
    let entries = store.queue_entries(None, 0, usize::MAX).unwrap();
    let kiosk_ids: Vec<&str> = entries.iter().map(|e| e.id.as_str()).collect();
    let expected: Vec<&str> = written.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(
        kiosk_ids, expected,
        "the kiosk's sequence is not the written order"
    );
    assert_eq!(entries[0].day, "2038-01-19");
    drop(store);
    let sent = right.read();
    let hub = upload_all(&rig, right, &written);
    let sent_ms = sent.wall.timestamp_millis();
    for (i, record) in hub.iter().enumerate().take(5) {
        // Made 100 + i s after boot, sent 160 s after boot.
        let elapsed = (60 - i as i64) * SECOND;
        assert_eq!(record.time_source, TimeSource::Batch);
        assert_eq!(record.corrected_ms, sent_ms - elapsed);
        assert_eq!(record.created.wall_ms, (Y2038_S - 2 + i as i64) * SECOND);
        assert_eq!(
            record.day, "2038-01-19",
            "the day travels as the kiosk saw it"
        );
    }
    // After the correction the times follow the sequence again.
    assert!(
        hub.windows(2)
            .all(|w| w[0].corrected_ms <= w[1].corrected_ms)
    );
}

#[test]
fn torture_clock_past_2038_when_it_is_right_keeps_exact_times() {
    let rig = Pair::new();
    let mut store = rig.store();
    let mut written = Vec::new();
    // A kiosk still running in 2038 with its clock set: records before and after the 32-bit
    // rollover keep their times to the millisecond, and the upload needs no correction.
    let clock = FakeClock::new(at(Y2038_S - 1), true);
    for _ in 0..4 {
        written.push(write_at(&mut store, clock.read()));
        clock.advance(Duration::from_millis(700));
    }
    drop(store);
    let hub = upload_all(&rig, clock, &written);
    for (record, (_, made)) in hub.iter().zip(&written) {
        assert_eq!(record.time_source, TimeSource::Synced);
        assert_eq!(record.corrected_ms, made.wall.timestamp_millis());
        assert_eq!(record.day, "2038-01-19");
    }
    assert_eq!(hub[3].corrected_ms, (Y2038_S - 1) * SECOND + 2100);
    assert!(hub[3].corrected_ms > i64::from(i32::MAX) * SECOND);
}
