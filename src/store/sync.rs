//! The store's side of uploading, apart from claiming (queue.rs): the device key, sealing
//! records that were written before the centre's key was known, the coalesced heartbeat, what
//! staff see about uploads, and reading records for `waystation queue`.

use super::begin_write;
use rusqlite::OptionalExtension;
use waystation_protocol::DeviceKey;

use super::outbox::{Sealing, clock_stamp, to_sql_error};
use super::{NewRecord, RecordKind, Store, StoreError};

/// The `kiosk_secret` row holding the device's Ed25519 secret key.
const DEVICE_KEY: &str = "device_key";

/// What staff need to know about uploads (one row in `sync_state`).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct SyncState {
    pub last_attempt_wall_ms: Option<i64>,
    pub last_success_wall_ms: Option<i64>,
    pub last_error: Option<String>,
    /// The last failure looked like the kiosk's clock being wrong (a TLS certificate "not yet
    /// valid" before NTP set the clock): staff see "clock not set".
    pub clock_problem: bool,
    pub bundle_etag: Option<String>,
}

/// One outbox row as `waystation queue list` shows it. Never the payload.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct QueueEntry {
    pub seq: i64,
    pub id: String,
    pub kind: String,
    pub day: String,
    pub state: String,
    pub sealed: bool,
    pub attempts: u32,
    pub last_error: Option<String>,
}

/// What became of a heartbeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heartbeat {
    /// A new heartbeat record was appended.
    Appended,
    /// The heartbeat waiting in the queue (never sent yet) was replaced by this newer one.
    Coalesced,
}

impl Store {
    /// The device's signing key, made from the operating system's randomness on first use and
    /// kept in the database from then on.
    pub fn device_key(&mut self) -> Result<DeviceKey, StoreError> {
        let bytes = super::mood::secret(self, DEVICE_KEY, || {
            let entropy: &dyn crate::entropy::Entropy = &crate::entropy::SystemEntropy;
            entropy.bytes::<32>().map(|bytes| bytes.to_vec())
        })?
        .ok_or_else(|| StoreError::DataDir {
            path: self.label.clone(),
            reason: "the operating system gave no randomness for the device key".into(),
        })?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| StoreError::DataDir {
            path: self.label.clone(),
            reason: "the stored device key is damaged (not 32 bytes)".into(),
        })?;
        Ok(DeviceKey::from_secret(bytes))
    }

    /// From now on, seals every record as it is committed, and seals the records written
    /// before the key was known (their plain payloads are overwritten in the same
    /// transaction). Returns how many were sealed now.
    pub fn enable_sealing(
        &mut self,
        centre: waystation_protocol::CentrePublicKey,
    ) -> Result<usize, StoreError> {
        let device_id = self.device_key()?.device_id();
        let sealing = Sealing { centre, device_id };
        let sealed = self.seal_unsealed(&sealing)?;
        self.sealing = Some(sealing);
        Ok(sealed)
    }

    pub fn sealing_enabled(&self) -> bool {
        self.sealing.is_some()
    }

    fn seal_unsealed(&mut self, sealing: &Sealing) -> Result<usize, StoreError> {
        let err = self.sqlite_error_fn();
        let tx = begin_write(&mut self.conn).map_err(&err)?;
        let mut count = 0;
        {
            let mut select = tx
                .prepare(
                    "SELECT seq, id, kind, schema_version, payload, created_wall_ms, clock_synced,
                            boot_id, monotonic_ms
                     FROM outbox WHERE sealed = 0 ORDER BY seq",
                )
                .map_err(&err)?;
            let mut update = tx
                .prepare("UPDATE outbox SET payload = ?2, sealed = 1 WHERE seq = ?1")
                .map_err(&err)?;
            let mut rows = select.query([]).map_err(&err)?;
            while let Some(row) = rows.next().map_err(&err)? {
                let seq: i64 = row.get(0).map_err(&err)?;
                let id: String = row.get(1).map_err(&err)?;
                let kind: String = row.get(2).map_err(&err)?;
                let schema_version: u32 = row.get(3).map_err(&err)?;
                let plain: Vec<u8> = row.get(4).map_err(&err)?;
                let created = waystation_protocol::ClockStamp {
                    wall_ms: row.get(5).map_err(&err)?,
                    synced: row.get(6).map_err(&err)?,
                    boot_id: row.get(7).map_err(&err)?,
                    monotonic_ms: row.get(8).map_err(&err)?,
                };
                let payload: serde_json::Value = serde_json::from_slice(&plain)
                    .map_err(to_sql_error)
                    .map_err(&err)?;
                let sealed = sealing
                    .seal(&id, &kind, schema_version, created, payload)
                    .map_err(&err)?;
                update
                    .execute(rusqlite::params![seq, sealed])
                    .map_err(&err)?;
                count += 1;
            }
        }
        tx.commit().map_err(&err)?;
        Ok(count)
    }

    /// Queues a heartbeat. Only the latest heartbeat needs to wait: one that has never been
    /// sent is replaced in place (same id and place in the queue), so a kiosk offline for
    /// weeks keeps one heartbeat, not thousands. One that was sent before may already be at
    /// the hub, so it is left alone and a new one is appended.
    pub fn enqueue_heartbeat(&mut self, record: &NewRecord) -> Result<Heartbeat, StoreError> {
        debug_assert_eq!(record.kind, RecordKind::Heartbeat);
        let err = self.sqlite_error_fn();
        let sealing = self.sealing.clone();
        let tx = begin_write(&mut self.conn).map_err(&err)?;
        let waiting: Option<(i64, String)> = tx
            .query_row(
                "SELECT seq, id FROM outbox
                 WHERE kind = ?1 AND state = 'pending' AND attempts = 0
                 ORDER BY seq DESC LIMIT 1",
                [RecordKind::Heartbeat.name()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(&err)?;
        let outcome = match waiting {
            Some((seq, id)) => {
                // Keep the waiting record's id: the payload is sealed to it.
                let mut replacement = record.clone();
                replacement.stamp.id = uuid::Uuid::parse_str(&id)
                    .map_err(to_sql_error)
                    .map_err(&err)?;
                let (payload, sealed) =
                    super::outbox::stored_payload(&replacement, sealing.as_ref()).map_err(&err)?;
                let clock = clock_stamp(&replacement.stamp.clock);
                tx.execute(
                    "UPDATE outbox SET payload = ?2, sealed = ?3, created_wall_ms = ?4,
                            clock_synced = ?5, boot_id = ?6, monotonic_ms = ?7, day = ?8
                     WHERE seq = ?1",
                    rusqlite::params![
                        seq,
                        payload,
                        sealed,
                        clock.wall_ms,
                        clock.synced,
                        clock.boot_id,
                        clock.monotonic_ms,
                        crate::station_time::day_string(replacement.stamp.clock.wall),
                    ],
                )
                .map_err(&err)?;
                Heartbeat::Coalesced
            }
            None => {
                super::outbox::append(&tx, record, sealing.as_ref()).map_err(&err)?;
                Heartbeat::Appended
            }
        };
        tx.commit().map_err(&err)?;
        Ok(outcome)
    }

    pub fn sync_state(&self) -> Result<SyncState, StoreError> {
        read_sync_state(&self.conn).map_err(self.sqlite_error_fn())
    }

    /// Notes an upload attempt: a success clears the last error.
    pub fn note_sync(
        &mut self,
        wall_ms: i64,
        outcome: Result<(), (&str, bool)>,
    ) -> Result<(), StoreError> {
        let err = self.sqlite_error_fn();
        match outcome {
            Ok(()) => self.conn.execute(
                "UPDATE sync_state SET last_attempt_wall_ms = ?1, last_success_wall_ms = ?1,
                        last_error = NULL, clock_problem = 0 WHERE id = 1",
                [wall_ms],
            ),
            Err((reason, clock_problem)) => self.conn.execute(
                "UPDATE sync_state SET last_attempt_wall_ms = ?1, last_error = ?2,
                        clock_problem = ?3 WHERE id = 1",
                rusqlite::params![wall_ms, reason, clock_problem],
            ),
        }
        .map_err(err)?;
        Ok(())
    }

    pub fn set_bundle_etag(&mut self, etag: &str) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE sync_state SET bundle_etag = ?1 WHERE id = 1",
                [etag],
            )
            .map_err(self.sqlite_error_fn())?;
        Ok(())
    }

    /// The outbox rows in sequence order, optionally of one state, after `after_seq`.
    pub fn queue_entries(
        &self,
        state: Option<super::RecordState>,
        after_seq: i64,
        limit: usize,
    ) -> Result<Vec<QueueEntry>, StoreError> {
        let err = self.sqlite_error_fn();
        let mut stmt = self
            .conn
            .prepare(
                "SELECT seq, id, kind, COALESCE(day, ''), state, sealed, attempts, last_error
                 FROM outbox WHERE (?1 IS NULL OR state = ?1) AND seq > ?2 ORDER BY seq LIMIT ?3",
            )
            .map_err(&err)?;
        let rows = stmt
            .query_map(
                rusqlite::params![
                    state.map(|s| s.name()),
                    after_seq,
                    i64::try_from(limit).unwrap_or(i64::MAX)
                ],
                |r| {
                    Ok(QueueEntry {
                        seq: r.get(0)?,
                        id: r.get(1)?,
                        kind: r.get(2)?,
                        day: r.get(3)?,
                        state: r.get(4)?,
                        sealed: r.get(5)?,
                        attempts: r.get(6)?,
                        last_error: r.get(7)?,
                    })
                },
            )
            .map_err(&err)?;
        rows.collect::<Result<_, _>>().map_err(err)
    }

    /// Sealed records waiting for the hub (pending or in flight), after `after_seq`, for an
    /// export to a USB stick. Nothing changes state: the hub deduplicates, so records that
    /// are later uploaded as well are stored once.
    pub fn waiting_sealed(
        &self,
        after_seq: i64,
        limit: usize,
    ) -> Result<Vec<super::queue::Claimed>, StoreError> {
        let err = self.sqlite_error_fn();
        let mut stmt = self
            .conn
            .prepare(
                "SELECT seq, id, kind, schema_version, payload, created_wall_ms, clock_synced,
                        boot_id, monotonic_ms, attempts, COALESCE(day, '')
                 FROM outbox
                 WHERE sealed = 1 AND state IN ('pending', 'in_flight') AND seq > ?1
                 ORDER BY seq LIMIT ?2",
            )
            .map_err(&err)?;
        let rows = stmt
            .query_map(
                rusqlite::params![after_seq, i64::try_from(limit).unwrap_or(i64::MAX)],
                |r| {
                    Ok(super::queue::Claimed {
                        seq: r.get(0)?,
                        id: r.get(1)?,
                        kind: r.get(2)?,
                        schema_version: r.get(3)?,
                        payload: r.get(4)?,
                        created_wall_ms: r.get(5)?,
                        clock_synced: r.get(6)?,
                        boot_id: r.get(7)?,
                        monotonic_ms: r.get(8)?,
                        attempts: r.get(9)?,
                        day: r.get(10)?,
                    })
                },
            )
            .map_err(&err)?;
        rows.collect::<Result<_, _>>().map_err(err)
    }

    /// Puts a quarantined record back in the queue (after the hub was fixed, for example).
    /// Returns false when no quarantined record has that id.
    pub fn retry_quarantined(&mut self, id: &str) -> Result<bool, StoreError> {
        let changed = self
            .conn
            .execute(
                "UPDATE outbox SET state = 'pending', claimed_until_ms = NULL
                 WHERE id = ?1 AND state = 'quarantined'",
                [id],
            )
            .map_err(self.sqlite_error_fn())?;
        Ok(changed == 1)
    }

    /// The wall time of the oldest record still waiting (pending or in flight), if any.
    pub fn oldest_waiting_wall_ms(&self) -> Result<Option<i64>, StoreError> {
        self.conn
            .query_row(
                "SELECT MIN(created_wall_ms) FROM outbox WHERE state IN ('pending', 'in_flight')",
                [],
                |r| r.get(0),
            )
            .map_err(self.sqlite_error_fn())
    }

    /// Records that wait for the centre's key before they can be uploaded.
    pub fn unsealed_count(&self) -> Result<u64, StoreError> {
        self.conn
            .query_row("SELECT COUNT(*) FROM outbox WHERE sealed = 0", [], |r| {
                r.get::<_, i64>(0)
            })
            .map(|n| u64::try_from(n).unwrap_or(0))
            .map_err(self.sqlite_error_fn())
    }

    pub(super) fn sqlite_error_fn(&self) -> impl Fn(rusqlite::Error) -> StoreError + use<> {
        let label = self.label.clone();
        move |source| StoreError::Sqlite {
            path: label.clone(),
            source,
        }
    }
}

pub(super) fn read_sync_state(conn: &rusqlite::Connection) -> rusqlite::Result<SyncState> {
    conn.query_row(
        "SELECT last_attempt_wall_ms, last_success_wall_ms, last_error, clock_problem, bundle_etag
         FROM sync_state WHERE id = 1",
        [],
        |r| {
            Ok(SyncState {
                last_attempt_wall_ms: r.get(0)?,
                last_success_wall_ms: r.get(1)?,
                last_error: r.get(2)?,
                clock_problem: r.get(3)?,
                bundle_etag: r.get(4)?,
            })
        },
    )
}
