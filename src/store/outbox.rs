//! The outbox: every record the service centre should receive, written first to the kiosk's own
//! disk.
//!
//! A capability never inserts into the outbox by itself: it calls [`Store::commit_record`]
//! (in `store/mod.rs`), which writes the capability's own rows and the outbox row in one
//! transaction. Nothing is ever deleted to make room.

use std::fmt;

use uuid::Uuid;

use crate::clock::{Clock, ClockReading};
use crate::entropy::Entropy;

/// What a record is. Each capability adds its kinds here, with the schema version of its
/// payload; the hub dispatches on the name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKind {
    /// The kiosk program started: version and station, for the fleet view.
    KioskStarted,
    /// The station's anonymous totals over whole closed days with at least 11 visits
    /// (`store::counts`): the only record about workers. Its stamp holds a day, nothing finer.
    DaySummary,
    /// The printer was not ready or failed when a slip was asked for: its status and the
    /// reason, nothing about the slip.
    PrinterFault,
    /// The kiosk's health for the fleet view; only the latest one waits in the queue.
    Heartbeat,
    /// A staff sign-in, a wrong PIN, a lock, or a staff action: the audit log.
    StaffAudit,
    /// A restock: a new paper roll, or brochures by kind and count.
    Restock,
    /// A worker pressed the staff-call button (or asked on screen) for a person to come: the
    /// station, the alert's kind and (in the sealed stamp) the time, nothing about the worker.
    /// The uploader sends it before anything else, and the hub forwards it to the centre's
    /// webhook.
    StaffAlert,
}

impl RecordKind {
    pub fn name(self) -> &'static str {
        match self {
            RecordKind::KioskStarted => "kiosk_started",
            RecordKind::DaySummary => waystation_protocol::DAY_SUMMARY_KIND,
            RecordKind::PrinterFault => "printer_fault",
            RecordKind::Heartbeat => "heartbeat",
            RecordKind::StaffAudit => "staff_audit",
            RecordKind::Restock => "restock",
            RecordKind::StaffAlert => waystation_protocol::wire::STAFF_ALERT_KIND,
        }
    }

    pub fn schema_version(self) -> u32 {
        match self {
            RecordKind::KioskStarted => 1,
            RecordKind::DaySummary => waystation_protocol::summary::DAY_SUMMARY_VERSION,
            RecordKind::PrinterFault => 1,
            RecordKind::Heartbeat => 1,
            RecordKind::StaffAudit => 1,
            RecordKind::Restock => 1,
            RecordKind::StaffAlert => 1,
        }
    }
}

/// The id and the clock readings that every record carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordStamp {
    pub id: Uuid,
    pub clock: ClockReading,
}

impl RecordStamp {
    /// A fresh stamp: the clocks' reading and a random id (UUIDv4: unlike a UUIDv7, it holds
    /// no time), both from their edges, so tests fix them with `FakeClock` and `FakeEntropy`.
    pub fn now(clock: &dyn Clock, entropy: &dyn Entropy) -> Result<RecordStamp, super::StoreError> {
        Ok(RecordStamp {
            id: entropy.uuid().map_err(super::StoreError::NoRandomness)?,
            clock: clock.read(),
        })
    }
}

/// A record ready to be committed.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRecord {
    pub kind: RecordKind,
    pub stamp: RecordStamp,
    /// The payload as JSON. It never holds a name, phone number or ID of a worker.
    pub payload: serde_json::Value,
}

/// Where a record is on its way to the hub.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordState {
    Pending,
    InFlight,
    Acked,
    Quarantined,
}

impl RecordState {
    pub const ALL: [RecordState; 4] = [
        RecordState::Pending,
        RecordState::InFlight,
        RecordState::Acked,
        RecordState::Quarantined,
    ];

    pub fn name(self) -> &'static str {
        match self {
            RecordState::Pending => "pending",
            RecordState::InFlight => "in_flight",
            RecordState::Acked => "acked",
            RecordState::Quarantined => "quarantined",
        }
    }
}

impl fmt::Display for RecordState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How many records are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct OutboxCounts {
    pub pending: u64,
    pub in_flight: u64,
    pub acked: u64,
    pub quarantined: u64,
}

impl OutboxCounts {
    pub fn get(&self, state: RecordState) -> u64 {
        match state {
            RecordState::Pending => self.pending,
            RecordState::InFlight => self.in_flight,
            RecordState::Acked => self.acked,
            RecordState::Quarantined => self.quarantined,
        }
    }

    pub fn total(&self) -> u64 {
        RecordState::ALL.iter().map(|s| self.get(*s)).sum()
    }
}

/// What the kiosk seals every record to: the centre's public key, and its own device id,
/// which is bound into each sealed payload.
#[derive(Clone)]
pub struct Sealing {
    pub centre: waystation_protocol::CentrePublicKey,
    pub device_id: String,
}

impl Sealing {
    /// Seals a record's payload together with its clock readings. The kiosk cannot open the
    /// result: only the centre's secret key can.
    pub(super) fn seal(
        &self,
        id: &str,
        kind: &str,
        schema_version: u32,
        created: waystation_protocol::ClockStamp,
        payload: serde_json::Value,
    ) -> rusqlite::Result<Vec<u8>> {
        let body = waystation_protocol::SealedBody { created, payload };
        let plain = serde_json::to_vec(&body).map_err(to_sql_error)?;
        let binding = waystation_protocol::SealBinding {
            record_id: id,
            device_id: &self.device_id,
            kind,
            schema_version,
        };
        self.centre.seal(&binding, &plain).map_err(to_sql_error)
    }
}

pub(super) fn to_sql_error(e: impl std::error::Error + Send + Sync + 'static) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(Box::new(e))
}

/// The clock readings of a stamp in the form that travels.
pub(super) fn clock_stamp(clock: &ClockReading) -> waystation_protocol::ClockStamp {
    waystation_protocol::ClockStamp {
        wall_ms: clock.wall.timestamp_millis(),
        synced: clock.synced,
        boot_id: clock.boot_id.clone(),
        monotonic_ms: i64::try_from(clock.since_boot.as_millis()).unwrap_or(i64::MAX),
    }
}

/// The payload column for a record: sealed when the kiosk has the centre's key, else the
/// plain JSON, which is sealed as soon as a key is configured (`Store::enable_sealing`).
pub(super) fn stored_payload(
    record: &NewRecord,
    sealing: Option<&Sealing>,
) -> rusqlite::Result<(Vec<u8>, bool)> {
    match sealing {
        Some(sealing) => Ok((
            sealing.seal(
                &record.stamp.id.to_string(),
                record.kind.name(),
                record.kind.schema_version(),
                clock_stamp(&record.stamp.clock),
                record.payload.clone(),
            )?,
            true,
        )),
        None => Ok((
            serde_json::to_vec(&record.payload).map_err(to_sql_error)?,
            false,
        )),
    }
}

/// Appends one record inside the caller's transaction and returns its sequence number.
pub(super) fn append(
    tx: &rusqlite::Transaction<'_>,
    record: &NewRecord,
    sealing: Option<&Sealing>,
) -> rusqlite::Result<i64> {
    let (payload, sealed) = stored_payload(record, sealing)?;
    let clock = &record.stamp.clock;
    tx.execute(
        "INSERT INTO outbox (id, kind, schema_version, payload, created_wall_ms, clock_synced,
                             boot_id, monotonic_ms, sealed, day)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        rusqlite::params![
            record.stamp.id.to_string(),
            record.kind.name(),
            record.kind.schema_version(),
            payload,
            clock.wall.timestamp_millis(),
            clock.synced,
            clock.boot_id,
            i64::try_from(clock.since_boot.as_millis()).unwrap_or(i64::MAX),
            sealed,
            crate::station_time::day_string(clock.wall),
        ],
    )?;
    Ok(tx.last_insert_rowid())
}

pub(super) fn counts(conn: &rusqlite::Connection) -> rusqlite::Result<OutboxCounts> {
    let mut counts = OutboxCounts::default();
    let mut stmt = conn.prepare("SELECT state, COUNT(*) FROM outbox GROUP BY state")?;
    let rows = stmt.query_map([], |row| {
        Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
    })?;
    for row in rows {
        let (state, n) = row?;
        let n = u64::try_from(n).unwrap_or(0);
        match state.as_str() {
            "pending" => counts.pending = n,
            "in_flight" => counts.in_flight = n,
            "acked" => counts.acked = n,
            "quarantined" => counts.quarantined = n,
            // The CHECK constraint makes any other state impossible.
            _ => {}
        }
    }
    Ok(counts)
}
