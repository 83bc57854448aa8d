//! The service centre's receiving side for Waystation kiosks.
//!
//! Kiosks post batches of sealed records; the hub checks that a registered device signed the
//! request, opens every record with the centre's secret key, and stores the records that open,
//! deduplicated by device and record id forever, replying with one outcome per record. Kiosks without
//! network write the same batches to export files, which the hub imports. The hub also serves
//! the signed resource bundle that kiosks download, and passes a worker's call for station
//! staff (a `staff_alert` record) on to the webhook the centre set, once, telling the kiosk
//! whether it did (see [`alerts`]).
//!
//! Everything lives in one data folder:
//!
//! - `hub.db`: the SQLite database (WAL, `synchronous=FULL`): devices, records, day summaries,
//!   alerts and the webhook.
//! - `centre.key`: the centre's current HPKE secret key, base64, mode 0600.
//! - `centre.pub`: its public key, base64, for the kiosks' configs.
//! - `old-keys/`: every earlier centre key, `<key id>.key`, kept so that records sealed to
//!   them still open.
//! - `bundle.json`: the signed resource bundle to serve (optional).
//!
//! A centre whose fleet outgrows one SQLite file gives every command `--database
//! postgres://…` ([`Place`]): the database and the bundle are then kept in PostgreSQL
//! ([`PostgresStorage`]), and only the keys stay in the folder.
//!
//! The functions here are what the command line runs, and what the kiosk's integration tests
//! use to run a real hub in the same process ([`start`]).

pub mod alerts;
pub mod demo;
mod error;
mod ingest;
mod keys;
mod postgres;
pub mod remote_help;
mod server;
mod sqlite;
pub mod station_time;
pub mod storage;
mod summaries;
pub mod suppression;
pub mod updates;
pub mod users;
pub mod web;

use std::fs;
use std::path::{Path, PathBuf};

pub use alerts::{Alert, RetrySummary, Webhook, WebhookFormat};
pub use error::HubError;
pub use keys::KeyInfo;
pub use postgres::PostgresStorage;
pub use server::{HEALTH_PATH, RunningHub, serve, start};
pub use sqlite::SqliteStorage;
pub use storage::{
    Device, HEARTBEAT_KIND, Image, KindCount, Rollout, Scope, Storage, StoredRecord, StoredSummary,
    Via,
};

use ingest::{MAX_IMPORT_BYTES, Receiver, Refusal, Tally};
use storage::NewDevice;

/// The database, inside the data folder.
pub const DB_FILE: &str = "hub.db";
/// The centre's secret key, inside the data folder.
pub const KEY_FILE: &str = "centre.key";
/// The centre's public key, inside the data folder.
pub const PUB_FILE: &str = "centre.pub";
/// Earlier centre keys, inside the data folder.
pub const OLD_KEYS_DIR: &str = "old-keys";
/// The bundle to serve, inside the data folder.
pub const BUNDLE_FILE: &str = "bundle.json";

/// Where a hub keeps what it knows: the data folder (the centre's keys, and with SQLite the
/// database and the bundle), and the PostgreSQL database to use instead of `hub.db`, if one is
/// given. A plain folder path is a [`Place`] with SQLite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub dir: PathBuf,
    /// A PostgreSQL connection string (`postgres://…` or `host=… dbname=…`).
    pub database: Option<String>,
}

impl Place {
    /// How many connections a running hub opens: PostgreSQL serves several requests at once
    /// (and commits them together); SQLite has one writer at a time, and a second connection
    /// lets a dashboard page read while a batch is written.
    pub fn connections(&self) -> usize {
        if self.database.is_some() { 4 } else { 2 }
    }

    /// Opens the storage, bringing its schema up to date.
    pub fn storage(&self) -> Result<Box<dyn Storage>, HubError> {
        Ok(match &self.database {
            Some(url) => Box::new(PostgresStorage::connect(url)?),
            None => Box::new(SqliteStorage::open(&self.dir)?),
        })
    }
}

impl From<&Path> for Place {
    fn from(dir: &Path) -> Place {
        Place {
            dir: dir.to_path_buf(),
            database: None,
        }
    }
}

impl From<&PathBuf> for Place {
    fn from(dir: &PathBuf) -> Place {
        Place::from(dir.as_path())
    }
}

impl From<&Place> for Place {
    fn from(place: &Place) -> Place {
        place.clone()
    }
}

/// Makes a new current centre key pair in `data_dir` (creating the folder if needed) and
/// returns the public key, base64. A key that was current before is kept in `old-keys/`, and
/// records sealed to it still open.
pub fn keygen(data_dir: &Path) -> Result<String, HubError> {
    keys::generate(data_dir)
}

/// Every centre key the hub holds, the current one first.
pub fn keys(data_dir: &Path) -> Result<Vec<KeyInfo>, HubError> {
    Ok(keys::load(data_dir)?.list())
}

/// Refuses a device's key from now on: its batches, imports and bundle fetches are answered
/// 403. Its stored records stay. Returns when it was revoked (the first time, if it was
/// already). An unknown device id is an error.
pub fn revoke_device(data: impl Into<Place>, device_id: &str) -> Result<i64, HubError> {
    let device_id = device_id.trim();
    data.into()
        .storage()?
        .revoke_device(device_id, ingest::now_ms())?
        .ok_or_else(|| HubError::UnknownDevice(device_id.chars().take(64).collect()))
}

/// A moment as Shanghai time (UTC+8 all year), to the minute, for messages.
pub fn day_of(ms: i64) -> String {
    station_time::minute(ms).map_or_else(|| "?".into(), |minute| format!("{minute} (UTC+8)"))
}

/// Registers a kiosk by its Ed25519 public key (base64) and returns its device id. Registering
/// the same key again is harmless; a station or note given again replaces the old one. A
/// revoked key is refused.
pub fn add_device(
    data: impl Into<Place>,
    public_key_b64: &str,
    station: Option<&str>,
    note: Option<&str>,
) -> Result<String, HubError> {
    let placed = Registration {
        station,
        note,
        ..Registration::default()
    };
    register(data, public_key_b64, &placed)
}

/// Where a kiosk stands and what to remember about it, as given when it is registered: each
/// part given replaces the one given before, each left out (or blank) keeps it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Registration<'a> {
    pub station: Option<&'a str>,
    /// The station's district (区), in the centre's own words, e.g. 静安区.
    pub district: Option<&'a str>,
    /// The kind of station, e.g. 暖新驿站, 工会司机之家, 暖蜂爱心之家.
    pub station_kind: Option<&'a str>,
    pub note: Option<&'a str>,
}

/// [`add_device`] with the station's district and kind too.
pub fn register(
    data: impl Into<Place>,
    public_key_b64: &str,
    placed: &Registration<'_>,
) -> Result<String, HubError> {
    let mut storage = data.into().storage()?;
    register_device(storage.as_mut(), public_key_b64, placed, ingest::now_ms())
}

/// What `register` and the dashboard's kiosks page do with a storage at hand.
pub(crate) fn register_device(
    storage: &mut dyn Storage,
    public_key_b64: &str,
    placed: &Registration<'_>,
    now_ms: i64,
) -> Result<String, HubError> {
    let public_key = public_key_b64.trim();
    let device_id = waystation_protocol::device_id(public_key).map_err(|_| {
        // Keep the message one short line, however long the pasted text was.
        HubError::BadDeviceKey(public_key.chars().take(64).collect())
    })?;
    let given = |text: Option<&str>| {
        text.map(str::trim)
            .filter(|t| !t.is_empty())
            .map(String::from)
    };
    // A revoked key belongs to a kiosk that was lost or stolen; registering it again, even by
    // a provisioning script that runs `devices add` every time, must not let it back in.
    if storage
        .device(&device_id)?
        .is_some_and(|d| d.revoked_ms.is_some())
    {
        return Err(HubError::DeviceRevoked(device_id));
    }
    storage.add_device(&NewDevice {
        device_id: device_id.clone(),
        public_key: public_key.to_string(),
        station: given(placed.station),
        district: given(placed.district),
        station_kind: given(placed.station_kind),
        note: given(placed.note),
        added_ms: now_ms,
    })?;
    Ok(device_id)
}

/// Every registered device, ordered by device id.
pub fn devices(data: impl Into<Place>) -> Result<Vec<Device>, HubError> {
    data.into().storage()?.devices()
}

/// Adds a staff account for the dashboard with the password typed (one line, as read from
/// standard input), hashed with Argon2id; the audit log says the command line added it.
pub fn add_user(
    data: impl Into<Place>,
    name: &str,
    role: users::Role,
    typed_password: &str,
) -> Result<users::User, HubError> {
    let mut storage = data.into().storage()?;
    create_account(
        storage.as_mut(),
        name,
        role,
        typed_password,
        users::COMMAND_LINE,
    )
}

/// What `add_user` and the dashboard's accounts page do with a storage at hand: check the name
/// and the password, hash it with fresh salt, and store the account with its audit line (`by`
/// added it).
pub(crate) fn create_account(
    storage: &mut dyn Storage,
    name: &str,
    role: users::Role,
    typed_password: &str,
    by: &str,
) -> Result<users::User, HubError> {
    let name = users::check_name(name)?;
    let password = users::check_password(typed_password)?;
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| HubError::Hash(e.to_string()))?;
    let user = users::User {
        name,
        role,
        password_hash: users::hash_password(password, salt)?,
        added_ms: ingest::now_ms(),
    };
    storage.add_user(&user, by)?;
    Ok(user)
}

/// Removes a staff account (signing it out everywhere), with its audit line: `users remove`
/// from the command line.
pub fn remove_user(data: impl Into<Place>, name: &str) -> Result<(), HubError> {
    let mut storage = data.into().storage()?;
    remove_account(
        storage.as_mut(),
        name,
        users::COMMAND_LINE,
        ingest::now_ms(),
    )
}

/// What `users remove` and the accounts page do with a storage at hand. The last admin is
/// never removed (no one could manage accounts after), nor, from the dashboard, the admin
/// asking (`by`), so that no one locks themselves out by a slip of the finger. (Two admins
/// removing each other at the same instant could both succeed; `users add` on the hub's
/// machine can always make an admin again.)
pub(crate) fn remove_account(
    storage: &mut dyn Storage,
    name: &str,
    by: &str,
    now_ms: i64,
) -> Result<(), HubError> {
    if name == by {
        return Err(HubError::OwnAccount);
    }
    let Some(user) = storage.user(name)? else {
        return Err(HubError::NoSuchUser(name.to_string()));
    };
    let admins = storage
        .users()?
        .iter()
        .filter(|u| u.role.may_administer())
        .count();
    if user.role.may_administer() && admins <= 1 {
        return Err(HubError::LastAdmin(name.to_string()));
    }
    if !storage.remove_user(name, by, now_ms)? {
        return Err(HubError::NoSuchUser(name.to_string()));
    }
    Ok(())
}

/// Fills a fresh hub with the marked example of `demo`, ending yesterday (Shanghai).
pub fn demo_data(data: impl Into<Place>) -> Result<demo::Filled, HubError> {
    let now = ingest::now_ms();
    let today = station_time::date(now);
    let mut secrets = [[0u8; 32]; demo::STATIONS.len()];
    for secret in &mut secrets {
        getrandom::fill(secret).map_err(|e| HubError::Storage(format!("no randomness: {e}")))?;
    }
    demo::fill(data.into().storage()?.as_mut(), today, now, secrets)
}

/// Every staff account, by name.
pub fn users(data: impl Into<Place>) -> Result<Vec<users::User>, HubError> {
    data.into().storage()?.users()
}

/// The newest lines of the audit log, newest first.
pub fn audit_log(data: impl Into<Place>, limit: usize) -> Result<Vec<users::AuditEntry>, HubError> {
    data.into().storage()?.audit_log(limit)
}

/// Unique records per device and kind.
pub fn counts(data: impl Into<Place>) -> Result<Vec<KindCount>, HubError> {
    data.into().storage()?.counts()
}

/// Every day summary stored, ordered by device and first day.
pub fn summaries(data: impl Into<Place>) -> Result<Vec<StoredSummary>, HubError> {
    data.into().storage()?.summaries()
}

/// Every stored record, decrypted, ordered by device and sequence number.
pub fn records(data: impl Into<Place>) -> Result<Vec<StoredRecord>, HubError> {
    data.into().storage()?.records()
}

/// Posts alerts to `url` in `format` from now on (a server already running uses it for the
/// next alert). Returns the webhook as stored.
pub fn set_webhook(
    data: impl Into<Place>,
    url: &str,
    format: WebhookFormat,
) -> Result<Webhook, HubError> {
    let webhook = Webhook::new(url, format)?;
    data.into()
        .storage()?
        .set_webhook(Some(&webhook), ingest::now_ms())?;
    Ok(webhook)
}

/// Stops posting alerts; they are still stored and answered "not forwarded".
pub fn clear_webhook(data: impl Into<Place>) -> Result<(), HubError> {
    data.into().storage()?.set_webhook(None, ingest::now_ms())
}

/// The webhook alerts are posted to, if one is set.
pub fn webhook(data: impl Into<Place>) -> Result<Option<Webhook>, HubError> {
    data.into().storage()?.webhook()
}

/// The latest alerts, newest first.
pub fn alerts(data: impl Into<Place>, limit: usize) -> Result<Vec<Alert>, HubError> {
    data.into().storage()?.alerts(None, limit)
}

/// Posts again every alert of the last day that was not passed on (the webhook was down, or
/// none was set then). Refuses when no webhook is set.
pub fn retry_alerts(data: impl Into<Place>) -> Result<RetrySummary, HubError> {
    let mut storage = data.into().storage()?;
    alerts::retry(storage.as_mut(), &alerts::Forwarder::new()?)
}

/// One pass of the fleet watch, as the running hub makes every 5 minutes: raises an alert
/// for each kiosk problem that cannot wait and is not alerted yet (silent for more than a
/// day, paper out, printer fault, directory expired), posts it to the webhook, and closes the
/// alerts whose problem is gone.
pub fn watch_fleet(data: impl Into<Place>) -> Result<alerts::WatchSummary, HubError> {
    watch_fleet_at(data, ingest::now_ms())
}

/// [`watch_fleet`] as if the time were `now_ms`: for the tests of a kiosk silent for days.
#[doc(hidden)]
pub fn watch_fleet_at(
    data: impl Into<Place>,
    now_ms: i64,
) -> Result<alerts::WatchSummary, HubError> {
    let hub = std::sync::Arc::new(Receiver::open(&data.into())?);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(HubError::Server)?;
    let summary = runtime.block_on(alerts::watch(&hub, now_ms));
    // PostgreSQL's client closes outside the runtime (server.rs says why).
    drop(runtime);
    drop(hub);
    summary
}

/// Sets the signed resource bundle to serve at `/v1/bundle`, replacing any earlier one
/// atomically. The hub does not check the signature (the kiosks do), only that the file is
/// JSON. Returns the ETag it will be served with.
pub fn set_bundle(data: impl Into<Place>, file: &Path) -> Result<String, HubError> {
    let bytes = fs::read(file).map_err(|source| HubError::Input {
        action: "read",
        path: file.to_path_buf(),
        source,
    })?;
    serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).map_err(|e| HubError::BadBundle {
        path: file.to_path_buf(),
        reason: e.to_string(),
    })?;
    data.into().storage()?.set_bundle(&bytes)?;
    Ok(server::etag(&bytes))
}

/// Copies an image bundle (a RAUC `.raucb`) into the data folder's `images/` as `version`,
/// with its SHA-256 and size, ready to roll out. A version the hub has already is refused.
pub fn add_image(data: impl Into<Place>, file: &Path, version: &str) -> Result<Image, HubError> {
    updates::add_image(&data.into(), file, version.trim(), ingest::now_ms())
}

/// The image bundles the hub holds, oldest first.
pub fn images(data: impl Into<Place>) -> Result<Vec<Image>, HubError> {
    data.into().storage()?.images()
}

/// Rolls `version` out to each of `scopes`: from now on it is the version the kiosks they take
/// in should run, until a newer rollout takes them in. The version must be an image the hub
/// holds, and a named kiosk must be registered.
pub fn rollout(data: impl Into<Place>, version: &str, scopes: &[Scope]) -> Result<(), HubError> {
    let mut storage = data.into().storage()?;
    updates::roll_out(storage.as_mut(), version, scopes, ingest::now_ms())
}

/// Every rollout, oldest first.
pub fn rollouts(data: impl Into<Place>) -> Result<Vec<Rollout>, HubError> {
    data.into().storage()?.rollouts()
}

/// Switches remote help on for one kiosk for `minutes`, from the command line.
pub fn remote_help_on(
    data: impl Into<Place>,
    device_id: &str,
    minutes: u32,
) -> Result<remote_help::RemoteHelp, HubError> {
    let mut storage = data.into().storage()?;
    remote_help::switch_on(
        storage.as_mut(),
        device_id,
        minutes,
        users::COMMAND_LINE,
        ingest::now_ms(),
    )
}

/// Switches remote help off for one kiosk, from the command line. Returns whether it was on.
pub fn remote_help_off(data: impl Into<Place>, device_id: &str) -> Result<bool, HubError> {
    let mut storage = data.into().storage()?;
    remote_help::switch_off(
        storage.as_mut(),
        device_id,
        users::COMMAND_LINE,
        ingest::now_ms(),
    )
}

/// Remote help in force now, with what each kiosk's newest heartbeat says of its tunnel.
pub fn remote_help_list(
    data: impl Into<Place>,
) -> Result<Vec<(remote_help::RemoteHelp, remote_help::KioskSide)>, HubError> {
    let mut storage = data.into().storage()?;
    let helps = remote_help::in_force(storage.as_mut(), ingest::now_ms())?;
    let beats = storage.latest_heartbeats()?;
    Ok(helps
        .into_iter()
        .map(|help| {
            let side = beats
                .iter()
                .find(|beat| beat.device_id == help.device_id)
                .map(|beat| remote_help::kiosk_side(&beat.payload))
                .unwrap_or_else(|| remote_help::kiosk_side(&serde_json::Value::Null));
            (help, side)
        })
        .collect())
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// Export files accepted (their records are counted below).
    pub files: usize,
    pub stored: usize,
    pub duplicate: usize,
    /// Records that could not be opened or failed a check; each is logged with its reason.
    pub rejected: usize,
    /// Files refused as a whole (not an export file, unknown device, bad signature).
    pub refused: Vec<RefusedFile>,
}

/// A file an import refused as a whole, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedFile {
    pub file: PathBuf,
    pub reason: String,
}

/// Imports every export file (`*.json`) in `folder`, in name order, each checked and ingested
/// as `/v1/imports` would. Files whose names start with a dot are skipped: they are the
/// hidden companions some systems write next to every file on a USB stick. Importing the same
/// files again stores nothing new. A file refused as a whole is listed in the summary and does
/// not stop the others; a storage failure stops the import.
pub fn import_dir(data: impl Into<Place>, folder: &Path) -> Result<ImportSummary, HubError> {
    let receiver = Receiver::open(&data.into())?;
    let unreadable = |source| HubError::Input {
        action: "read the folder",
        path: folder.to_path_buf(),
        source,
    };
    let mut files = Vec::new();
    for entry in fs::read_dir(folder).map_err(unreadable)? {
        let path = entry.map_err(unreadable)?.path();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        let is_export =
            name.is_some_and(|n| !n.starts_with('.') && n.to_ascii_lowercase().ends_with(".json"));
        if is_export && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    let mut summary = ImportSummary::default();
    for path in files {
        let refuse = |reason: String| RefusedFile {
            file: path.clone(),
            reason,
        };
        let bytes = match read_export(&path) {
            Ok(bytes) => bytes,
            Err(reason) => {
                summary.refused.push(refuse(reason));
                continue;
            }
        };
        match receiver.accept_export(&bytes) {
            Ok((device, reply)) => {
                let tally = Tally::of(&reply);
                tracing::info!(
                    file = %path.display(),
                    device,
                    records = reply.results.len(),
                    stored = tally.stored,
                    duplicate = tally.duplicate,
                    rejected = tally.rejected,
                    "export file imported"
                );
                summary.files += 1;
                summary.stored += tally.stored;
                summary.duplicate += tally.duplicate;
                summary.rejected += tally.rejected;
            }
            Err(Refusal::Failed(e)) => return Err(e),
            Err(refusal) => summary.refused.push(refuse(refusal.to_string())),
        }
    }
    Ok(summary)
}

/// Reads an export file, refusing one too big to be an export file before reading it.
fn read_export(path: &Path) -> Result<Vec<u8>, String> {
    let size = fs::metadata(path)
        .map_err(|e| format!("cannot read it: {e}"))?
        .len();
    if size > MAX_IMPORT_BYTES as u64 {
        return Err(format!(
            "it is {size} bytes, larger than any export file can be"
        ));
    }
    fs::read(path).map_err(|e| format!("cannot read it: {e}"))
}
