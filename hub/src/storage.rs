//! Where the hub keeps registered devices, received records and the bundle it serves.
//!
//! The HTTP server, the dashboard and the command line only talk to the [`Storage`] trait. It
//! has two implementations: [`crate::SqliteStorage`], one file in the data folder (the
//! default), and [`crate::PostgresStorage`], for a centre whose fleet outgrows one file. Both
//! pass the same test suite (`hub/tests/integration/storage.rs`).

use serde::Serialize;
use waystation_protocol::{ClockStamp, DaySummary, Outcome, TimeSource};

use crate::HubError;
use crate::alerts::{Alert, Webhook};
pub use crate::remote_help::RemoteHelp;
use crate::users::{AuditEntry, Session, User};

/// What the hub stores and reads. Every method is one short unit of work; a method that writes
/// has either written everything or nothing when it returns.
pub trait Storage: Send {
    /// Registers a device, or updates the station and note of one already registered (a field
    /// that is `None` keeps its old value), so that registering twice is harmless.
    fn add_device(&mut self, device: &NewDevice) -> Result<(), HubError>;

    /// A registered device (revoked or not), if the device is known.
    fn device(&mut self, device_id: &str) -> Result<Option<Device>, HubError>;

    /// Refuses a device's key from now on (`now_ms`); its stored records stay. Returns when
    /// it was revoked (the first time, if it already was), or `None` for an unknown device.
    fn revoke_device(&mut self, device_id: &str, now_ms: i64) -> Result<Option<i64>, HubError>;

    /// Every registered device, ordered by device id.
    fn devices(&mut self) -> Result<Vec<Device>, HubError>;

    /// Stores opened records in one transaction, which is committed before this returns. The
    /// device id and the record id together are the key forever: a record whose id this device
    /// already sent (in an earlier batch or earlier in the same slice) is
    /// [`Outcome::Duplicate`], a new one [`Outcome::Stored`]. The same id from another device
    /// is another record, so that no kiosk can hide another's records by sending their ids
    /// first.
    /// Heartbeats are the exception, because a fleet sends 35 million a year and only the
    /// newest says how a kiosk is: a heartbeat ([`HEARTBEAT_KIND`]) replaces its device's
    /// newest one if its sequence number is higher, and is added to its device's count for its
    /// day ([`HeartbeatDay`]); one whose sequence number is not higher is
    /// [`Outcome::Duplicate`] (a kiosk sends in order, so it is a repeat or superseded).
    /// Returns one outcome per record, in order. A newly stored record of the kind
    /// `staff_alert` also becomes an [`Alert`], in the same transaction, not yet forwarded. A
    /// newly stored `day_summary` of schema version 1 also becomes a [`StoredSummary`], with
    /// the station its device is registered at then; such a record must pass
    /// `DaySummary::check` (the receiver rejects one that does not), else nothing is stored.
    /// The receiver hands a day summary over already holding no time finer than a day, so that
    /// every storage keeps it that way without doing anything more.
    fn ingest(&mut self, records: &[NewRecord]) -> Result<Vec<Outcome>, HubError>;

    /// Every day summary stored, ordered by device and first day.
    fn summaries(&mut self) -> Result<Vec<StoredSummary>, HubError>;

    /// How many unique records each device has sent of each kind.
    fn counts(&mut self) -> Result<Vec<KindCount>, HubError>;

    /// Day summaries whose first day is from `first_from` to `first_to` (both included,
    /// YYYY-MM-DD), ordered as [`Storage::summaries`].
    fn summaries_between(
        &mut self,
        first_from: &str,
        first_to: &str,
    ) -> Result<Vec<StoredSummary>, HubError>;

    /// How many day summaries whose first day is from `first_from` to `first_to` reached the
    /// hub on a day after `received_after`.
    fn summaries_received_after(
        &mut self,
        first_from: &str,
        first_to: &str,
        received_after: &str,
    ) -> Result<u64, HubError>;

    /// Every stored record, ordered by device and sequence number (of heartbeats, only each
    /// device's newest is kept).
    fn records(&mut self) -> Result<Vec<StoredRecord>, HubError>;

    /// Each device's newest heartbeat (by its sequence number), by device id.
    fn latest_heartbeats(&mut self) -> Result<Vec<StoredRecord>, HubError>;

    /// The heartbeats counted for each device on each day from `from_day` to `to_day` (both
    /// included), by device and day.
    fn heartbeat_days(
        &mut self,
        from_day: &str,
        to_day: &str,
    ) -> Result<Vec<HeartbeatDay>, HubError>;

    /// The signed resource bundle to serve, if one has been set.
    fn bundle(&mut self) -> Result<Option<Vec<u8>>, HubError>;

    /// Replaces the bundle to serve, atomically: readers see the old bundle or the new one.
    fn set_bundle(&mut self, bytes: &[u8]) -> Result<(), HubError>;

    /// Notes an image bundle whose file is already in the data folder's `images/`. Returns
    /// false, writing nothing, when an image of that version is known already.
    fn add_image(&mut self, image: &Image) -> Result<bool, HubError>;

    /// Every image bundle, oldest first.
    fn images(&mut self) -> Result<Vec<Image>, HubError>;

    /// Rolls a known image out to each of `scopes` at `now_ms`, in one transaction.
    fn add_rollout(&mut self, version: &str, scopes: &[Scope], now_ms: i64)
    -> Result<(), HubError>;

    /// Every rollout, oldest first (by time, then the order they were made in).
    fn rollouts(&mut self) -> Result<Vec<Rollout>, HubError>;

    /// Switches remote help on for its device (replacing the time and name of one already
    /// on), with its audit line (`granted_by` switched it on), in one transaction.
    fn set_remote_help(&mut self, help: &RemoteHelp) -> Result<(), HubError>;

    /// Switches remote help off for a device at `now_ms`, with its audit line (`by`), in one
    /// transaction. Returns whether it was in force (a switch whose time was up is removed
    /// quietly, with no audit line).
    fn end_remote_help(&mut self, device_id: &str, by: &str, now_ms: i64)
    -> Result<bool, HubError>;

    /// Every remote help switched on and not switched off, its time up or not, by device id.
    fn remote_helps(&mut self) -> Result<Vec<RemoteHelp>, HubError>;

    /// Where alerts are posted, if the centre set a webhook.
    fn webhook(&mut self) -> Result<Option<Webhook>, HubError>;

    /// Sets (or, with `None`, clears) the webhook.
    fn set_webhook(&mut self, webhook: Option<&Webhook>, now_ms: i64) -> Result<(), HubError>;

    /// The alert stored from this device's record with this id, if there is one.
    fn alert(&mut self, device_id: &str, record_id: &str) -> Result<Option<Alert>, HubError>;

    /// Alerts whose time is at or after `since_ms` (all with `None`), newest first, at most
    /// `limit`.
    fn alerts(&mut self, since_ms: Option<i64>, limit: usize) -> Result<Vec<Alert>, HubError>;

    /// Notes what became of an alert at `now_ms`: passed on (`Ok`), or why not. `attempted`
    /// says whether a post was tried (counted) or the alert was held back (no webhook, too
    /// old). An alert once forwarded stays forwarded.
    fn note_forward(
        &mut self,
        device_id: &str,
        record_id: &str,
        now_ms: i64,
        attempted: bool,
        outcome: Result<(), &str>,
    ) -> Result<(), HubError> {
        let note = ForwardNote {
            device_id,
            record_id,
            attempted,
            outcome,
        };
        self.note_forwards(&[note], now_ms)
    }

    /// [`Storage::note_forward`] for many alerts in one transaction: a watch pass that raised
    /// a thousand alerts does not take the write lock a thousand times.
    fn note_forwards(&mut self, notes: &[ForwardNote<'_>], now_ms: i64) -> Result<(), HubError>;

    /// Marks an alert handled by `by` at `now_ms`, with its audit line, in one transaction.
    /// Returns whether it was newly marked (false: unknown, or marked before, which keeps its
    /// first mark).
    fn acknowledge_alert(
        &mut self,
        device_id: &str,
        record_id: &str,
        by: &str,
        now_ms: i64,
    ) -> Result<bool, HubError>;

    /// One pass of the fleet watch (`alerts::watch`), in one transaction that passes never
    /// share: `find` is given the devices and each one's newest heartbeat as they stand once
    /// the pass holds the lock, and returns the problems found; the pass raises an alert (via
    /// [`Via::Watch`]) for each whose device has no open alert of that kind, and closes the
    /// open ones whose problem is no longer found. Returns the alerts raised, to be passed on;
    /// a problem that stays is raised once however often it is seen. (Were the heartbeats read
    /// before the lock, a pass that read before another pass raised an alert could close it
    /// after, and the next pass raise it again: the running hub's pass and the command's
    /// did just that in a test.)
    fn watch_fleet(
        &mut self,
        now_ms: i64,
        find: &mut FindProblems<'_>,
    ) -> Result<Vec<Alert>, HubError>;

    /// Removes a staff account, its sessions (signed out at once) and writes its audit line
    /// (`by` removed it), in one transaction. Returns whether there was such an account. The
    /// rules about who may be removed are `lib.rs`'s `remove_account`.
    fn remove_user(&mut self, name: &str, by: &str, now_ms: i64) -> Result<bool, HubError>;

    /// Adds a staff account and its audit line (`by` added it) in one transaction. An account
    /// of the same name is [`HubError::UserExists`], and nothing is written.
    fn add_user(&mut self, user: &User, by: &str) -> Result<(), HubError>;

    /// The account of this name, if there is one.
    fn user(&mut self, name: &str) -> Result<Option<User>, HubError>;

    /// Every account, ordered by name.
    fn users(&mut self) -> Result<Vec<User>, HubError>;

    /// Adds a line to the audit log.
    fn audit(&mut self, entry: &AuditEntry) -> Result<(), HubError>;

    /// The newest lines of the audit log, newest first, at most `limit`.
    fn audit_log(&mut self, limit: usize) -> Result<Vec<AuditEntry>, HubError>;

    /// Keeps a new session.
    fn add_session(&mut self, session: &Session) -> Result<(), HubError>;

    /// The session with this token hash and its account, if it has not expired by `now_ms`
    /// (an expired one is deleted).
    fn session(
        &mut self,
        token_hash: &str,
        now_ms: i64,
    ) -> Result<Option<(Session, User)>, HubError>;

    /// Ends a session (signing out).
    fn end_session(&mut self, token_hash: &str) -> Result<(), HubError>;

    /// Notes a wrong password for this name (an account or not) at `now_ms`.
    fn note_wrong_password(&mut self, name: &str, now_ms: i64) -> Result<(), HubError>;

    /// The times of the wrong passwords for this name since `since_ms`, oldest first.
    fn wrong_passwords(&mut self, name: &str, since_ms: i64) -> Result<Vec<i64>, HubError>;
}

/// A device to register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDevice {
    pub device_id: String,
    pub public_key: String,
    pub station: Option<String>,
    pub district: Option<String>,
    pub station_kind: Option<String>,
    pub note: Option<String>,
    pub added_ms: i64,
}

/// A registered device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Device {
    pub device_id: String,
    /// The device's Ed25519 public key, base64.
    pub public_key: String,
    /// The station the device stands in, as the field team wrote it down.
    pub station: Option<String>,
    /// The station's district (区), as the centre names it.
    pub district: Option<String>,
    /// What kind of station it is (a 驿站 of the trade union, a 户外职工爱心接力站, …), as the
    /// centre names it.
    pub station_kind: Option<String>,
    pub note: Option<String>,
    /// When it was first registered (ms since the epoch, by the hub's clock).
    pub added_ms: i64,
    /// When `devices revoke` refused its key (ms since the epoch), if it did.
    pub revoked_ms: Option<i64>,
}

/// An image bundle (a RAUC `.raucb`) the hub can serve. Its bytes are a file in the data
/// folder's `images/`, not in the database, with either storage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Image {
    pub version: String,
    /// SHA-256 of the file, lowercase hex.
    pub sha256: String,
    pub size: u64,
    /// Its name inside `images/`.
    pub file_name: String,
    pub added_ms: i64,
}

/// Which kiosks a rollout is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "scope", content = "name", rename_all = "snake_case")]
pub enum Scope {
    All,
    /// The kiosks registered in this district (as `devices add --district` wrote it).
    District(String),
    /// One kiosk, by device id.
    Kiosk(String),
}

impl Scope {
    /// The scope's kind and name as the database keeps them.
    pub(crate) fn columns(&self) -> (&'static str, Option<&str>) {
        match self {
            Scope::All => ("all", None),
            Scope::District(name) => ("district", Some(name)),
            Scope::Kiosk(id) => ("kiosk", Some(id)),
        }
    }

    pub(crate) fn from_columns(kind: &str, name: Option<String>) -> Option<Scope> {
        match (kind, name) {
            ("all", _) => Some(Scope::All),
            ("district", Some(name)) => Some(Scope::District(name)),
            ("kiosk", Some(id)) => Some(Scope::Kiosk(id)),
            _ => None,
        }
    }
}

/// A version rolled out to a scope. The newest rollout whose scope takes a kiosk in says
/// which version it should run (`updates::target`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rollout {
    /// The order rollouts were made in, for two made in the same millisecond.
    pub id: i64,
    pub version: String,
    pub scope: Scope,
    pub created_ms: i64,
}

/// How a record reached the hub.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Via {
    /// Posted by the kiosk to `/v1/batches`.
    Network,
    /// Carried on a USB stick as an export file (`import` or `/v1/imports`).
    Import,
    /// Raised by the hub itself, watching the fleet's heartbeats (an alert, never a record).
    Watch,
}

impl Via {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Via::Network => "network",
            Via::Import => "import",
            Via::Watch => "watch",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<Via> {
        match text {
            "network" => Some(Via::Network),
            "import" => Some(Via::Import),
            "watch" => Some(Via::Watch),
            _ => None,
        }
    }
}

/// A record that opened and passed every check, ready to store: the same fields as a stored
/// one.
pub type NewRecord = StoredRecord;

/// A stored record, as the hub keeps it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredRecord {
    pub id: String,
    pub device_id: String,
    pub seq: i64,
    pub kind: String,
    pub schema_version: u32,
    pub day: String,
    /// The decrypted payload.
    pub payload: serde_json::Value,
    /// The kiosk's clocks when the record was made.
    pub created: ClockStamp,
    /// The best wall time for the record (ms since the epoch) and where it came from.
    pub corrected_ms: i64,
    pub time_source: TimeSource,
    pub received_ms: i64,
    pub via: Via,
}

/// A day summary as the hub keeps it, beside the record it came in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredSummary {
    pub device_id: String,
    pub record_id: String,
    /// The station its device was registered at when it arrived, if one was given: a kiosk
    /// moved later does not take its old stations' summaries along.
    pub station: Option<String>,
    /// Its station's district and kind as registered when it arrived, for the same reason.
    pub district: Option<String>,
    pub station_kind: Option<String>,
    /// The Shanghai day it reached the hub; no finer time is kept.
    pub received_day: String,
    /// How many visits it covers (its `visit` / `started` count).
    pub visits: u64,
    /// The days it covers and its counts, as the kiosk sent them.
    #[serde(flatten)]
    pub summary: DaySummary,
}

/// What became of one alert, to note ([`Storage::note_forwards`]).
#[derive(Debug, Clone, Copy)]
pub struct ForwardNote<'a> {
    pub device_id: &'a str,
    pub record_id: &'a str,
    /// Whether a post was tried, or the alert held back.
    pub attempted: bool,
    /// Passed on, or why not.
    pub outcome: Result<(), &'a str>,
}

/// What the fleet watch runs inside its transaction: the problems of these devices, given
/// their newest heartbeats.
pub type FindProblems<'a> = dyn FnMut(&[Device], &[StoredRecord]) -> Vec<FleetProblem> + 'a;

/// A problem the fleet watch found with one kiosk, by the kind of alert it raises.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetProblem {
    pub device_id: String,
    pub station: String,
    pub kind: &'static str,
}

/// An open alert of the fleet watch: device, alert id and kind.
pub(crate) type OpenWatch = (String, String, String);

/// What one watch pass changes, worked out the same for every storage: the open alerts to
/// close (their problem is gone), and the problems to raise, each with its new alert id.
pub(crate) fn watch_changes<'a>(
    open: &'a [OpenWatch],
    found: &'a [FleetProblem],
    now_ms: i64,
) -> (Vec<&'a OpenWatch>, Vec<(&'a FleetProblem, String)>) {
    use std::collections::HashSet;
    let found_keys: HashSet<(&str, &str)> = found
        .iter()
        .map(|f| (f.device_id.as_str(), f.kind))
        .collect();
    let open_keys: HashSet<(&str, &str)> = open
        .iter()
        .map(|(device, _, kind)| (device.as_str(), kind.as_str()))
        .collect();
    let to_close = open
        .iter()
        .filter(|(device, _, kind)| !found_keys.contains(&(device.as_str(), kind.as_str())))
        .collect();
    let to_raise = found
        .iter()
        .filter(|f| !open_keys.contains(&(f.device_id.as_str(), f.kind)))
        .map(|f| (f, format!("watch-{}-{now_ms}", f.kind)))
        .collect();
    (to_close, to_raise)
}

/// The kind of record a kiosk sends about itself every quarter hour.
pub const HEARTBEAT_KIND: &str = "heartbeat";

/// One device's heartbeats on one of its days (the record's day, Shanghai): the roll-up the
/// hub keeps instead of every heartbeat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeartbeatDay {
    pub device_id: String,
    pub day: String,
    pub heartbeats: u64,
    /// The hub's clock when the first and the last of them arrived.
    pub first_received_ms: i64,
    pub last_received_ms: i64,
}

/// Unique records of one kind from one device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KindCount {
    pub device_id: String,
    pub kind: String,
    pub records: u64,
}

pub(crate) fn time_source_name(source: TimeSource) -> &'static str {
    match source {
        TimeSource::Synced => "synced",
        TimeSource::Batch => "batch",
        TimeSource::HubReceipt => "hub_receipt",
        TimeSource::Unknown => "unknown",
    }
}

pub(crate) fn parse_time_source(text: &str) -> Option<TimeSource> {
    [
        TimeSource::Synced,
        TimeSource::Batch,
        TimeSource::HubReceipt,
        TimeSource::Unknown,
    ]
    .into_iter()
    .find(|source| time_source_name(*source) == text)
}

/// The audit line of remote help switched on.
pub(crate) fn remote_help_on_audit(help: &RemoteHelp) -> AuditEntry {
    AuditEntry {
        at_ms: help.granted_ms,
        actor: help.granted_by.clone(),
        action: "remote help on".into(),
        detail: format!(
            "{} until {}",
            help.device_id,
            crate::station_time::minute(help.until_ms).unwrap_or_default()
        ),
    }
}

/// The audit line of remote help switched off.
pub(crate) fn remote_help_off_audit(device_id: &str, by: &str, now_ms: i64) -> AuditEntry {
    AuditEntry {
        at_ms: now_ms,
        actor: by.to_string(),
        action: "remote help off".into(),
        detail: device_id.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_the_protocols_json_names() {
        for source in [
            TimeSource::Synced,
            TimeSource::Batch,
            TimeSource::HubReceipt,
            TimeSource::Unknown,
        ] {
            let json = serde_json::to_value(source).unwrap();
            assert_eq!(json.as_str(), Some(time_source_name(source)));
            assert_eq!(parse_time_source(time_source_name(source)), Some(source));
        }
        for via in [Via::Network, Via::Import] {
            assert_eq!(
                serde_json::to_value(via).unwrap().as_str(),
                Some(via.as_str())
            );
            assert_eq!(Via::parse(via.as_str()), Some(via));
        }
    }
}
