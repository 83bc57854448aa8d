//! Uploading the outbox to the service centre's hub, on a thread of its own.
//!
//! - `uploader`: one pass (claim a batch, send it, settle every record by the hub's answer);
//! - `backoff`: when to try again (full jitter, `Retry-After`);
//! - `link`: the `HubLink` edge (ureq with rustls, and a fake);
//! - `heartbeat`, `fetch`, `export`: the kiosk's status record, the resource bundle, and the
//!   USB-stick export;
//! - this file: the `Syncer` loop that ties them together for `waystation sync` and the
//!   kiosk's worker thread. A worker's call for staff (`staff_alert`) is sent before anything
//!   else at every turn of the loop, and what the hub said about it goes back to the UI.
//!
//! Nothing here runs on the UI thread, and nothing here ever deletes a record.

pub mod backoff;
pub mod export;
pub mod fetch;
pub mod heartbeat;
pub mod link;
pub mod remote_help;
pub mod update;
pub mod uploader;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

use ed25519_dalek::VerifyingKey;

use crate::clock::Clock;
use crate::staff::alert::HubAnswer;
use crate::store::{Store, StoreError};
use backoff::Backoff;
use fetch::BundleFetch;
use link::HubLink;
use uploader::{Failure, Pass, Uploader};

/// What the syncer needs to know besides the store and the link.
pub struct SyncSettings {
    pub batch_records: usize,
    pub heartbeat_every: Duration,
    /// How often to ask the hub for a newer resource bundle.
    pub bundle_every: Duration,
    /// How often to look for new records when the queue was empty.
    pub idle_poll: Duration,
    /// How often to check whether the hub is reachable again after the link went down.
    pub probe_every: Duration,
    pub station: String,
    /// A new paper roll's length, for the heartbeat's paper estimate.
    pub paper_roll_mm: Option<f64>,
    /// The kinds of brochure the station keeps, for the heartbeat's brochures due.
    pub brochures: Vec<crate::config::BrochureKind>,
    pub data_dir: PathBuf,
    pub directory_key: Option<VerifyingKey>,
    /// Called on the syncer's thread after a newer bundle was installed (the kiosk passes it
    /// on to the UI thread).
    pub on_bundle: Option<Box<dyn Fn(crate::directory::Bundle) + Send>>,
    /// Called on the syncer's thread with what the hub said about each staff alert sent (the
    /// kiosk passes it on to the UI thread, whose staff-call screen depends on it).
    pub on_alert: Option<Box<dyn Fn(HubAnswer) + Send>>,
    /// Randomness for the heartbeat's id and the backoff's jitter (the operating system's
    /// unless a test fixes it).
    pub entropy: Box<dyn crate::entropy::Entropy + Send>,
    /// The board's temperature and the installed image, for the heartbeat.
    pub machine: Box<dyn crate::machine::Machine>,
    /// Whether a worker is using the kiosk, from the UI thread: an image update is installed
    /// and rebooted into only while nobody is. `None` (`waystation sync` alone): never idle.
    pub idle: Option<crate::update::IdleSignal>,
    /// The centre's jump host for remote help, if the config names one.
    pub remote_help: Option<crate::remote_help::JumpHost>,
}

impl SyncSettings {
    pub fn from_config(config: &crate::config::Config, data_dir: PathBuf) -> SyncSettings {
        SyncSettings {
            batch_records: config.hub.batch_records(),
            heartbeat_every: config.hub.heartbeat_interval(),
            bundle_every: Duration::from_secs(3600),
            idle_poll: Duration::from_secs(30),
            probe_every: Duration::from_secs(5),
            station: config.station.id.as_str().to_owned(),
            paper_roll_mm: config.staff.paper_roll_m.map(|m| f64::from(m.0) * 1000.0),
            brochures: config.staff.brochures.clone(),
            data_dir,
            directory_key: config
                .directory
                .public_key
                .as_deref()
                .and_then(|k| crate::directory::bundle::public_key(k).ok()),
            on_bundle: None,
            on_alert: None,
            entropy: Box::new(crate::entropy::SystemEntropy),
            machine: Box::new(crate::machine::Host::new()),
            idle: None,
            remote_help: config.remote_help.clone(),
        }
    }
}

/// The rest between two parts of an image download.
const UPDATE_REST: Duration = Duration::from_secs(1);

/// At most this many alert passes in a row: a hub that keeps leaving an alert out of its
/// replies must not hold the uploader in a loop.
const ALERT_PASSES: usize = 5;

/// How a drain ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Drained {
    /// Nothing is waiting any more (every record is acked or quarantined, or unsealed for
    /// want of the centre's key).
    Empty { acked: usize, quarantined: usize },
    /// The hub could not be reached or refused; records are still waiting.
    Stopped {
        failure: Failure,
        acked: usize,
        quarantined: usize,
    },
}

pub struct Syncer<L: HubLink, C: Clock> {
    store: Store,
    link: L,
    clock: C,
    uploader: Uploader,
    settings: SyncSettings,
    backoff: Backoff,
    next_heartbeat: Duration,
    next_bundle: Duration,
    update: update::UpdateStep,
    remote_help: remote_help::RemoteHelpStep,
}

impl<L: HubLink, C: Clock> Syncer<L, C> {
    /// Takes over the outbox: leases from an earlier uploader of this kiosk (killed, or from
    /// before a power cut) are freed, since only one uploader runs per kiosk.
    pub fn new(
        mut store: Store,
        link: L,
        clock: C,
        settings: SyncSettings,
    ) -> Result<Self, StoreError> {
        store.release_all_leases()?;
        let key = store.device_key()?;
        let uploader = Uploader::new(key, settings.batch_records);
        let settings_dir = settings.data_dir.clone();
        let remote_help =
            remote_help::RemoteHelpStep::new(&settings_dir, settings.remote_help.clone());
        Ok(Syncer {
            store,
            link,
            clock,
            uploader,
            settings,
            backoff: Backoff::standard(),
            next_heartbeat: Duration::ZERO,
            next_bundle: Duration::ZERO,
            update: update::UpdateStep::new(settings_dir),
            remote_help,
        })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Sends batches until nothing is waiting or a pass fails. Before every batch, the staff
    /// alerts waiting go on their own, then the day summaries in batches of their own.
    pub fn drain(&mut self) -> Result<Drained, StoreError> {
        let (mut acked, mut quarantined) = (0, 0);
        loop {
            let first = match self.send_alerts()? {
                Some(failure) => Some(failure),
                None => self.send_summaries()?,
            };
            if let Some(failure) = first {
                return Ok(Drained::Stopped {
                    failure,
                    acked,
                    quarantined,
                });
            }
            let pass = self
                .uploader
                .pass(&mut self.store, &self.link, &self.clock)?;
            self.publish_alert_answers();
            match self.note(pass)? {
                Pass::Empty => return Ok(Drained::Empty { acked, quarantined }),
                Pass::Delivered {
                    acked: a,
                    quarantined: q,
                    ..
                } => {
                    acked += a;
                    quarantined += q;
                }
                Pass::Failed(failure) => {
                    return Ok(Drained::Stopped {
                        failure,
                        acked,
                        quarantined,
                    });
                }
            }
        }
    }

    /// Sends the staff alerts that are waiting, alone and first. Returns the failure when
    /// they could not be delivered (they stay queued and go again with the next try).
    pub fn send_alerts(&mut self) -> Result<Option<Failure>, StoreError> {
        for _ in 0..ALERT_PASSES {
            let pass = self
                .uploader
                .alert_pass(&mut self.store, &self.link, &self.clock)?;
            self.publish_alert_answers();
            match self.note(pass)? {
                Pass::Empty => return Ok(None),
                Pass::Delivered { .. } => {}
                Pass::Failed(failure) => return Ok(Some(failure)),
            }
        }
        Ok(None)
    }

    /// Sends the day summaries that are waiting, in batches that hold nothing else. Returns
    /// the failure when they could not be delivered (they stay queued).
    fn send_summaries(&mut self) -> Result<Option<Failure>, StoreError> {
        loop {
            let pass = self
                .uploader
                .summary_pass(&mut self.store, &self.link, &self.clock)?;
            match self.note(pass)? {
                Pass::Empty => return Ok(None),
                Pass::Delivered { .. } => {}
                Pass::Failed(failure) => return Ok(Some(failure)),
            }
        }
    }

    /// Hands what the hub said about staff alerts to whoever listens (the kiosk's UI).
    fn publish_alert_answers(&mut self) {
        let answers = self.uploader.take_alert_answers();
        if let Some(notify) = &self.settings.on_alert {
            for answer in answers {
                notify(answer);
            }
        }
    }

    /// Notes a pass's outcome: the backoff and the sync state the staff screen shows.
    fn note(&mut self, pass: Pass) -> Result<Pass, StoreError> {
        let wall_ms = self.clock.read().wall.timestamp_millis();
        match &pass {
            Pass::Empty => {}
            Pass::Delivered { .. } => {
                self.backoff.succeeded();
                self.store.note_sync(wall_ms, Ok(()))?;
            }
            Pass::Failed(failure) => {
                let clock_problem = matches!(
                    failure,
                    Failure::Tls {
                        clock_suspect: true,
                        ..
                    }
                );
                self.store
                    .note_sync(wall_ms, Err((&failure.message(), clock_problem)))?;
                tracing::info!(reason = %failure.message(), "upload failed; records stay queued");
            }
        }
        Ok(pass)
    }

    /// How long to wait after a failure: the backoff, with the hub's `Retry-After` as a floor.
    pub fn wait_after(&mut self, failure: &Failure) -> Duration {
        let retry_after = match failure {
            Failure::Busy { retry_after } => *retry_after,
            _ => None,
        };
        // Without randomness the wait is simply the longest allowed: still correct, less
        // spread.
        let entropy: &dyn crate::entropy::Entropy = self.settings.entropy.as_ref();
        let jitter = entropy.bytes::<8>().map_or(u64::MAX, u64::from_le_bytes);
        self.backoff.failed(jitter, retry_after)
    }

    /// Does what is due (staff alerts first, then heartbeat, bundle check, uploads) and says
    /// how long to rest after.
    pub fn tick(&mut self) -> Result<(Duration, bool), StoreError> {
        // A worker's call for staff does not wait for the heartbeat or the bundle check, which
        // can take as long as a request's time-out.
        if let Some(failure) = self.send_alerts()? {
            return Ok((self.wait_after(&failure), failure.link_down()));
        }
        let now = self.clock.monotonic();
        if now >= self.next_heartbeat {
            let directory = crate::store::directory::active(
                Some(&self.settings.data_dir),
                self.settings.directory_key.as_ref(),
            );
            let facts = heartbeat::HeartbeatFacts {
                station: &self.settings.station,
                paper_roll_mm: self.settings.paper_roll_mm,
                brochures: &self.settings.brochures,
                data_dir: &self.settings.data_dir,
                directory: &directory,
                machine: self.settings.machine.as_ref(),
                update: self.update.report(),
                remote_help: self.remote_help.report(),
            };
            let entropy: &dyn crate::entropy::Entropy = self.settings.entropy.as_ref();
            heartbeat::queue_heartbeat(&mut self.store, &self.clock, entropy, &facts)?;
            self.next_heartbeat = now + self.settings.heartbeat_every;
        }
        if now >= self.next_bundle
            && let Some(key) = self.settings.directory_key
        {
            self.next_bundle = now + self.settings.bundle_every;
            let fetched = fetch::fetch_bundle(
                &mut self.store,
                &self.link,
                &self.uploader,
                &self.settings.data_dir.clone(),
                &key,
                &self.clock,
            )?;
            match fetched {
                BundleFetch::Installed(bundle) => {
                    tracing::info!(
                        version = bundle.version,
                        "installed a newer resource bundle from the hub"
                    );
                    if let Some(notify) = &self.settings.on_bundle {
                        notify(bundle);
                    }
                }
                BundleFetch::Refused(reason) => {
                    tracing::warn!(%reason, "the hub's resource bundle was refused");
                }
                BundleFetch::Failed(reason) => {
                    // Try again at the next pass rather than in an hour.
                    self.next_bundle = now;
                    tracing::debug!(%reason, "no resource bundle check this time");
                }
                _ => {}
            }
        }
        // Before the drain: a backlog of records must not keep the field team waiting.
        self.remote_help_pass(now);
        match self.drain()? {
            Drained::Empty { .. } => {
                // Records first: an image download waits until the queue is empty, and goes
                // a part per turn so that the next turn (a staff alert first) comes soon.
                let more = self.update_pass();
                let rest = if more {
                    UPDATE_REST
                } else {
                    self.settings.idle_poll
                };
                Ok((rest, false))
            }
            Drained::Stopped { failure, .. } => {
                let link_down = failure.link_down();
                Ok((self.wait_after(&failure), link_down))
            }
        }
    }

    /// One pass of the remote help step: the hub asked when it is due, the request file for
    /// root kept in step (`sync::remote_help`).
    fn remote_help_pass(&mut self, now: Duration) {
        let wall = self.clock.read().wall;
        self.remote_help.pass(&self.link, &self.uploader, wall, now);
    }

    /// One pass of the image update step; returns whether a download is under way.
    pub fn update_pass(&mut self) -> bool {
        let running = self.settings.machine.image().map(|image| image.version);
        let idle_since = self.settings.idle.as_ref().and_then(|idle| idle.since());
        let now = self.clock.monotonic();
        match self.update.pass(
            &self.link,
            &self.uploader,
            running.as_deref(),
            idle_since,
            now,
        ) {
            Some(pass) => {
                if update::worth_logging(&pass.action) {
                    tracing::debug!(action = ?pass.action, "image update step");
                }
                pass.more
            }
            None => false,
        }
    }

    /// The update step, for the heartbeat's report and the tests.
    pub fn update_step(&self) -> &update::UpdateStep {
        &self.update
    }

    /// Runs until `stop` is set or the wake channel closes (the kiosk is shutting down). A
    /// message on `wake` ("sync now") cuts any wait short; so does the hub becoming reachable
    /// again after the link was down.
    pub fn run(mut self, wake: Receiver<()>, stop: Arc<AtomicBool>) {
        while !stop.load(Ordering::Relaxed) {
            let (rest, link_down) = match self.tick() {
                Ok(next) => next,
                Err(error) => {
                    tracing::error!(%error, "the uploader cannot use the database; trying again in a minute");
                    (Duration::from_secs(60), false)
                }
            };
            if !self.rest(rest, link_down, &wake, &stop) {
                break;
            }
        }
    }

    /// Waits up to `rest`; returns false when the kiosk is shutting down.
    fn rest(
        &mut self,
        rest: Duration,
        link_down: bool,
        wake: &Receiver<()>,
        stop: &AtomicBool,
    ) -> bool {
        let mut left = rest;
        while !left.is_zero() && !stop.load(Ordering::Relaxed) {
            let slice = left.min(self.settings.probe_every);
            match wake.recv_timeout(slice) {
                Ok(()) => return true,
                Err(RecvTimeoutError::Disconnected) => return false,
                Err(RecvTimeoutError::Timeout) => {}
            }
            left = left.saturating_sub(slice);
            if link_down && self.link.reachable() {
                tracing::info!("the hub is reachable again; retrying now");
                return true;
            }
        }
        !stop.load(Ordering::Relaxed)
    }
}

/// The kiosk's uploader thread, as `waystation run` holds it.
pub struct Worker {
    /// Send `()` to make the uploader try now ("sync now"); dropping it stops the thread.
    pub wake: std::sync::mpsc::Sender<()>,
    pub stop: Arc<AtomicBool>,
    pub thread: std::thread::JoinHandle<()>,
}

/// Starts the uploader on its own thread with its own connection to the database, when a hub
/// and the centre's key are configured; otherwise says why not and returns `None`. A newer
/// resource bundle fetched from the hub is sent on `bundles`, and what the hub said about each
/// staff alert on `alerts`; `idle` says when nobody is using the kiosk (image updates).
pub fn spawn_worker(
    config: &crate::config::Config,
    data_dir: &std::path::Path,
    bundles: std::sync::mpsc::Sender<crate::directory::Bundle>,
    alerts: std::sync::mpsc::Sender<HubAnswer>,
    idle: crate::update::IdleSignal,
) -> Option<Worker> {
    let Some(centre) = config.hub.centre_key() else {
        tracing::info!(
            "no [hub] public_key: records stay on this kiosk, unsealed until a key is set"
        );
        return None;
    };
    if config.hub.url.is_none() {
        tracing::info!(
            "no [hub] url: records stay on this kiosk (sealed); `waystation queue export` can carry them"
        );
        return None;
    }
    let link = match link::HttpsLink::new(&config.hub) {
        Ok(link) => link,
        Err(error) => {
            tracing::error!(%error, "cannot set up uploads; records stay on this kiosk");
            return None;
        }
    };
    let mut settings = SyncSettings::from_config(config, data_dir.to_path_buf());
    settings.on_bundle = Some(Box::new(move |bundle| {
        // The kiosk may be shutting down; then nobody needs the bundle.
        let _ = bundles.send(bundle);
    }));
    settings.on_alert = Some(Box::new(move |answer| {
        let _ = alerts.send(answer);
    }));
    settings.idle = Some(idle);
    let (wake, wake_receiver) = std::sync::mpsc::channel();
    let stop = Arc::new(AtomicBool::new(false));
    let data_dir = data_dir.to_path_buf();
    let thread_stop = stop.clone();
    let thread = std::thread::Builder::new()
        .name("uploader".into())
        .spawn(move || {
            let store = Store::open(&data_dir).and_then(|mut store| {
                store.enable_sealing(centre)?;
                Ok(store)
            });
            let syncer = store.and_then(|store| {
                Syncer::new(store, link, crate::clock::SystemClock::new(), settings)
            });
            match syncer {
                Ok(syncer) => syncer.run(wake_receiver, thread_stop),
                Err(error) => {
                    tracing::error!(%error, "the uploader cannot open the database; records stay on this kiosk")
                }
            }
        })
        .ok()?;
    Some(Worker { wake, stop, thread })
}

#[cfg(test)]
mod tests {
    use std::rc::Rc;
    use std::sync::Mutex;

    use super::*;
    use crate::clock::FakeClock;
    use crate::staff::alert::HubOutcome;
    use crate::store::{NewRecord, RecordKind, RecordStamp};
    use link::{FakeLink, HubReply, HubRequest, LinkError};

    /// The fake link, shared so the test can read what the syncer sent.
    struct Shared(Rc<FakeLink>);

    impl HubLink for Shared {
        fn send(&self, request: &HubRequest) -> Result<HubReply, LinkError> {
            self.0.send(request)
        }
        fn reachable(&self) -> bool {
            self.0.reachable()
        }
    }

    fn record(store: &mut Store, n: u128, kind: RecordKind, clock: &FakeClock) {
        let record = NewRecord {
            kind,
            stamp: RecordStamp {
                id: uuid::Uuid::from_u128(n),
                clock: clock.read(),
            },
            payload: serde_json::json!({ "n": n as u64 }),
        };
        store.commit_record(&record, |_| Ok(())).unwrap();
    }

    /// A clock at a fixed moment and an in-memory store that seals to a fresh centre key.
    fn sealing_store() -> (FakeClock, Store) {
        let clock = FakeClock::new(
            chrono::DateTime::from_timestamp(1_795_000_000, 0).unwrap(),
            true,
        );
        let mut store = Store::open_in_memory().unwrap();
        let (_, centre) = waystation_protocol::CentreSecretKey::generate();
        store.enable_sealing(centre).unwrap();
        (clock, store)
    }

    /// The hub's 200 reply with these per-record results.
    fn hub_ok(results: serde_json::Value) -> Result<HubReply, LinkError> {
        Ok(HubReply {
            status: 200,
            retry_after: None,
            etag: None,
            content_range: None,
            body: serde_json::to_vec(&serde_json::json!({ "results": results })).unwrap(),
        })
    }

    #[test]
    fn a_staff_alert_goes_alone_before_the_backlog_and_what_the_hub_said_is_passed_on() {
        let (clock, mut store) = sealing_store();
        for n in 1..=3 {
            record(&mut store, n, RecordKind::Restock, &clock);
        }
        record(&mut store, 9, RecordKind::StaffAlert, &clock);
        let id = |n: u128| uuid::Uuid::from_u128(n).to_string();
        let link = Rc::new(FakeLink::new(vec![hub_ok(serde_json::json!([
            {"id": id(9), "outcome": "stored", "forwarded": true}
        ]))]));
        let dir = tempfile::tempdir().unwrap();
        let mut settings =
            SyncSettings::from_config(&crate::config::Config::demo(), dir.path().to_path_buf());
        let heard = Arc::new(Mutex::new(Vec::new()));
        let kept = heard.clone();
        settings.on_alert = Some(Box::new(move |answer| kept.lock().unwrap().push(answer)));
        let mut syncer = Syncer::new(store, Shared(link.clone()), clock, settings).unwrap();
        syncer.tick().unwrap();

        let sent = link.sent.borrow();
        let kinds = |n: usize| -> Vec<String> {
            let batch = waystation_protocol::Batch::parse(&sent[n].body).unwrap();
            batch.records.into_iter().map(|r| r.kind).collect()
        };
        assert_eq!(kinds(0), ["staff_alert"], "the alert first, on its own");
        assert!(
            kinds(1).iter().all(|k| k != "staff_alert") && kinds(1).len() >= 3,
            "then the backlog: {:?}",
            kinds(1)
        );
        let heard = heard.lock().unwrap();
        assert_eq!(heard.len(), 1);
        assert_eq!(
            (heard[0].record_id.as_str(), heard[0].outcome),
            (id(9).as_str(), HubOutcome::Forwarded)
        );
    }

    /// A day summary never travels beside a boot id or a time finer than a day: it goes in a
    /// batch of its own whose clock readings are only the day; the other records keep theirs.
    #[test]
    fn day_summaries_go_in_batches_of_their_own_sent_with_the_day_only() {
        let (clock, mut store) = sealing_store();
        record(&mut store, 1, RecordKind::Restock, &clock);
        let yesterday = clock.read().wall - chrono::Duration::days(1);
        for _ in 0..11 {
            let visit =
                crate::store::counts::Count::new(waystation_protocol::Metric::Visit, &["started"]);
            store.count(yesterday, &[visit]).unwrap();
        }
        let today = crate::station_time::day_of(clock.read().wall);
        let entropy = crate::entropy::FakeEntropy::new(3);
        let made = crate::store::counts::make_summaries(&mut store, today, &entropy).unwrap();
        assert_eq!(made.len(), 1);
        let summary_id: String = store
            .connection()
            .query_row(
                "SELECT id FROM outbox WHERE kind = 'day_summary'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        record(&mut store, 2, RecordKind::Restock, &clock);
        let id = |n: u128| uuid::Uuid::from_u128(n).to_string();
        let stored = |ids: &[String]| {
            let results: Vec<_> = ids
                .iter()
                .map(|id| serde_json::json!({"id": id, "outcome": "stored"}))
                .collect();
            hub_ok(serde_json::Value::from(results))
        };
        let link = Rc::new(FakeLink::new(vec![
            stored(&[summary_id]),
            stored(&[id(1), id(2)]),
        ]));
        let dir = tempfile::tempdir().unwrap();
        let settings =
            SyncSettings::from_config(&crate::config::Config::demo(), dir.path().to_path_buf());
        let mut syncer = Syncer::new(store, Shared(link.clone()), clock, settings).unwrap();
        syncer.drain().unwrap();

        let batches: Vec<waystation_protocol::Batch> = link
            .sent
            .borrow()
            .iter()
            .map(|r| waystation_protocol::Batch::parse(&r.body).unwrap())
            .collect();
        assert_eq!(batches.len(), 2, "the summary's batch, then the others");
        let kinds = |b: &waystation_protocol::Batch| -> Vec<String> {
            b.records.iter().map(|r| r.kind.clone()).collect()
        };
        assert_eq!(kinds(&batches[0]), ["day_summary"]);
        let sent = &batches[0].sent;
        assert_eq!((sent.boot_id.as_str(), sent.monotonic_ms), ("", 0));
        assert_eq!(
            (sent.wall_ms + crate::station_time::OFFSET_MS) % 86_400_000,
            0,
            "only the day"
        );
        assert_eq!(kinds(&batches[1]), ["restock", "restock"]);
        assert_eq!(
            batches[1].sent.boot_id,
            "00000000-0000-4000-8000-000000000000"
        );
    }
}
