//! Accepting a batch: check who sent it, open every record, store the ones that open.
//!
//! The same steps serve a batch posted over the network, an export file posted to
//! `/v1/imports` and an export file read by the `import` command, so that a record is judged
//! the same way however it arrives.

use std::path::PathBuf;
use std::sync::{Condvar, Mutex, RwLock};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use waystation_protocol::wire::{BATCH_PATH, MAX_BATCH_BYTES, STAFF_ALERT_KIND};
use waystation_protocol::{
    Batch, BatchReply, ExportFile, Outcome, RecordResult, SealBinding, SealedBody, WireRecord,
    corrected_time, sealed_key_id, verify_request,
};

use crate::alerts::Forwarder;
use crate::keys::CentreKeys;
use crate::storage::{NewRecord, Storage, Via};
use crate::{HubError, Place, keys, summaries};

/// An export file carries its batch as a JSON string, in which quotes and backslashes are
/// escaped, so the file may be up to about twice as big as the batch inside it.
pub(crate) const MAX_IMPORT_BYTES: usize = 2 * MAX_BATCH_BYTES + 64 * 1024;

/// Why a request or an export file was refused as a whole.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// The device is not registered, or the signature does not verify (HTTP 401).
    Unauthorised(String),
    /// The device was registered and has been revoked (HTTP 403).
    Revoked(String),
    /// The body is not a batch, or not one this device may send (HTTP 400).
    BadRequest(String),
    /// The body is bigger than the protocol allows (HTTP 413).
    TooLarge(String),
    /// Storage failed; the batch was not stored (HTTP 500).
    Failed(HubError),
}

impl From<HubError> for Refusal {
    fn from(e: HubError) -> Refusal {
        Refusal::Failed(e)
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Unauthorised(reason)
            | Refusal::Revoked(reason)
            | Refusal::BadRequest(reason)
            | Refusal::TooLarge(reason) => f.write_str(reason),
            Refusal::Failed(e) => e.fmt(f),
        }
    }
}

/// How many records of a batch ended each way, for the log and the import summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Tally {
    pub stored: usize,
    pub duplicate: usize,
    pub rejected: usize,
}

impl Tally {
    pub fn of(reply: &BatchReply) -> Tally {
        let mut tally = Tally::default();
        for result in &reply.results {
            match result.outcome {
                Outcome::Stored => tally.stored += 1,
                Outcome::Duplicate => tally.duplicate += 1,
                Outcome::Rejected { .. } => tally.rejected += 1,
            }
        }
        tally
    }
}

/// What storing a batch did: the reply, and the alerts it brought over the network that are
/// new (their index in the reply and their record id), for [`crate::alerts::forward_new`] to
/// post. The reply's `forwarded` is already set for the batch's other alerts: duplicates say
/// what happened when they first came, imported ones are never posted.
pub(crate) struct Ingested {
    pub device_id: String,
    pub reply: BatchReply,
    pub new_alerts: Vec<(usize, String)>,
}

/// The storage connections not lent out, and where a request waits for one.
struct Pool {
    free: Mutex<Vec<Box<dyn Storage>>>,
    returned: Condvar,
}

/// A storage connection lent from the pool, back in it when dropped.
pub(crate) struct Lent<'a> {
    pool: &'a Pool,
    storage: Option<Box<dyn Storage>>,
}

impl std::ops::Deref for Lent<'_> {
    type Target = Box<dyn Storage>;
    fn deref(&self) -> &Self::Target {
        self.storage.as_ref().expect("lent until dropped")
    }
}

impl std::ops::DerefMut for Lent<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        self.storage.as_mut().expect("lent until dropped")
    }
}

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        if let Some(storage) = self.storage.take() {
            let mut free = self.pool.free.lock().unwrap_or_else(|e| e.into_inner());
            free.push(storage);
            self.pool.returned.notify_one();
        }
    }
}

/// The centre's secret keys, the storage and the webhook client: everything needed to accept
/// a batch.
pub(crate) struct Receiver {
    /// The storage's connections ([`Place::connections`]): requests use whichever is free.
    storages: Pool,
    /// Read again from the data folder when a record names a key the hub does not hold yet
    /// (`keygen` ran while the server was running).
    centre: RwLock<CentreKeys>,
    data_dir: PathBuf,
    forwarder: Forwarder,
    /// The dashboard's settled weeks, worked out once each.
    pub(crate) weeks: crate::web::figures::WeekCache,
}

impl Receiver {
    /// Opens the data folder: the centre key must be there, and the database is brought up to
    /// date.
    pub fn open(place: &Place) -> Result<Receiver, HubError> {
        let centre = keys::load(&place.dir)?;
        let storages = Pool {
            free: Mutex::new(
                (0..place.connections())
                    .map(|_| place.storage())
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            returned: Condvar::new(),
        };
        Ok(Receiver {
            storages,
            centre: RwLock::new(centre),
            data_dir: place.dir.clone(),
            forwarder: Forwarder::new()?,
            weeks: Default::default(),
        })
    }

    fn centre(&self) -> std::sync::RwLockReadGuard<'_, CentreKeys> {
        // Keys are replaced whole under the lock, so a panic elsewhere cannot leave half.
        self.centre.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Reads the keys again if a record of the batch names one the hub does not hold: a
    /// `keygen` since the server started made it, and kiosks may already seal to it.
    fn refresh_keys(&self, batch: &Batch) {
        let unknown = batch.records.iter().any(|record| {
            B64.decode(record.sealed.trim())
                .ok()
                .and_then(|sealed| sealed_key_id(&sealed))
                .is_some_and(|id| !self.centre().find(id))
        });
        if !unknown {
            return;
        }
        match keys::load(&self.data_dir) {
            Ok(keys) => {
                tracing::info!(keys = keys.old.len() + 1, "centre keys read again");
                *self.centre.write().unwrap_or_else(|e| e.into_inner()) = keys;
            }
            Err(e) => tracing::error!("cannot read the centre keys again: {e}"),
        }
    }

    /// The data folder (the image bundles are files in it).
    pub fn data_dir(&self) -> &std::path::Path {
        &self.data_dir
    }

    pub fn forwarder(&self) -> &Forwarder {
        &self.forwarder
    }

    /// A free storage connection, waiting for the first to come free when all are busy.
    /// Every storage method is its own transaction, so which connection does the work does
    /// not matter.
    pub fn storage(&self) -> Lent<'_> {
        // A panic while a connection was lent cannot have left a half-written batch behind
        // (the transaction rolls back when it is dropped), so the pool is still good to use.
        let mut free = self.storages.free.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(storage) = free.pop() {
                return Lent {
                    pool: &self.storages,
                    storage: Some(storage),
                };
            }
            free = self
                .storages
                .returned
                .wait(free)
                .unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Checks that a registered device signed this request.
    pub fn verify(
        &self,
        device_id: &str,
        signature: &str,
        method: &str,
        path: &str,
        body: &[u8],
    ) -> Result<(), Refusal> {
        let Some(device) = self.storage().device(device_id)? else {
            return Err(unknown_device(device_id));
        };
        if let Some(revoked_ms) = device.revoked_ms {
            return Err(revoked(device_id, revoked_ms));
        }
        verify_request(&device.public_key, method, path, body, signature)
            .map_err(|e| Refusal::Unauthorised(format!("signature refused: {e}")))
    }

    /// Checks and ingests an export file (a batch frozen to a file by a kiosk without
    /// network): it must carry the signature the kiosk would have sent with the batch to
    /// [`BATCH_PATH`]. Returns the device and the reply.
    pub fn accept_export(&self, bytes: &[u8]) -> Result<(String, BatchReply), Refusal> {
        let file = ExportFile::parse(bytes).map_err(|e| Refusal::BadRequest(e.to_string()))?;
        if file.batch.len() > MAX_BATCH_BYTES {
            return Err(too_large(MAX_BATCH_BYTES));
        }
        let batch = file.batch.as_bytes();
        self.verify(&file.device_id, &file.signature, "POST", BATCH_PATH, batch)?;
        let ingested = self.ingest(&file.device_id, batch, None)?;
        Ok((file.device_id, ingested.reply))
    }

    /// Parses a verified batch body, opens its records and stores those that open, in one
    /// transaction that is committed before this returns. `hub_received_ms` is the hub's
    /// clock for a batch that came over the network and `None` for an export file.
    pub fn ingest(
        &self,
        device_id: &str,
        body: &[u8],
        hub_received_ms: Option<i64>,
    ) -> Result<Ingested, Refusal> {
        let batch = Batch::parse(body).map_err(|e| Refusal::BadRequest(e.to_string()))?;
        if batch.device_id != device_id {
            return Err(Refusal::BadRequest(format!(
                "the batch names device {}, but it was signed by {device_id}",
                batch.device_id
            )));
        }
        let now = now_ms();
        let via = if hub_received_ms.is_some() {
            Via::Network
        } else {
            Via::Import
        };
        self.refresh_keys(&batch);
        // Opening is the slow part (one X25519 operation a record), so it happens before the
        // storage is locked.
        let opened: Vec<Result<NewRecord, String>> = batch
            .records
            .iter()
            .map(|record| self.open_record(&batch, record, now, hub_received_ms, via))
            .collect();
        let good: Vec<NewRecord> = opened.iter().flatten().cloned().collect();
        let mut storage = self.storage();
        let mut stored = storage.ingest(&good)?.into_iter();
        let mut results = Vec::with_capacity(batch.records.len());
        let mut new_alerts = Vec::new();
        for (record, opened) in batch.records.iter().zip(opened) {
            let (outcome, alert) = match opened {
                Ok(opened) => {
                    let outcome = stored.next().ok_or_else(|| {
                        Refusal::Failed(HubError::Storage(
                            "the storage returned fewer outcomes than records".into(),
                        ))
                    })?;
                    let alert = (opened.kind == STAFF_ALERT_KIND).then_some(opened.id);
                    (outcome, alert)
                }
                Err(reason) => {
                    tracing::warn!(device = device_id, record = record.id.as_str(), %reason, "record rejected");
                    (Outcome::Rejected { reason }, None)
                }
            };
            let forwarded = match (&alert, &outcome) {
                (None, _) | (Some(_), Outcome::Rejected { .. }) => None,
                (Some(id), Outcome::Stored) if via == Via::Network => {
                    new_alerts.push((results.len(), id.clone()));
                    None
                }
                (Some(id), Outcome::Stored) => {
                    storage.note_forward(
                        device_id,
                        id,
                        now,
                        false,
                        Err(crate::alerts::IMPORTED),
                    )?;
                    Some(false)
                }
                // A resend: whether it was passed on when it first came.
                (Some(id), Outcome::Duplicate) => Some(
                    storage
                        .alert(device_id, id)?
                        .is_some_and(|alert| alert.forwarded_ms.is_some()),
                ),
            };
            results.push(RecordResult {
                id: record.id.clone(),
                outcome,
                forwarded,
            });
        }
        Ok(Ingested {
            device_id: device_id.to_string(),
            reply: BatchReply { results },
            new_alerts,
        })
    }

    /// Opens and checks one record; the error is the short reason the kiosk is told. A day
    /// summary is also read and checked, and comes back holding no time finer than a day.
    fn open_record(
        &self,
        batch: &Batch,
        record: &WireRecord,
        now: i64,
        hub_received_ms: Option<i64>,
        via: Via,
    ) -> Result<NewRecord, String> {
        // The canonical form, so that the same UUID written another way is still a duplicate.
        let id = uuid::Uuid::try_parse(&record.id)
            .map_err(|_| "the record id is not a UUID".to_string())?
            .hyphenated()
            .to_string();
        if !waystation_protocol::summary::is_day(&record.day) {
            return Err("the day is not a date written YYYY-MM-DD".into());
        }
        let sealed = B64
            .decode(record.sealed.trim())
            .map_err(|_| "the sealed payload is not base64".to_string())?;
        let binding = SealBinding {
            record_id: &record.id,
            device_id: &batch.device_id,
            kind: &record.kind,
            schema_version: record.schema_version,
        };
        let plain = self.centre().open(&binding, &sealed)?;
        let body: SealedBody = serde_json::from_slice(&plain)
            .map_err(|e| format!("the sealed body is not valid: {e}"))?;
        let (corrected_ms, time_source) =
            corrected_time(&body.created, &batch.sent, hub_received_ms);
        let opened = NewRecord {
            id,
            device_id: batch.device_id.clone(),
            seq: record.seq,
            kind: record.kind.clone(),
            schema_version: record.schema_version,
            day: record.day.clone(),
            payload: body.payload,
            created: body.created,
            received_ms: now,
            corrected_ms,
            time_source,
            via,
        };
        if !summaries::is_summary(&opened.kind) {
            return Ok(opened);
        }
        summaries::summary_of(&opened)?;
        Ok(summaries::to_day(opened))
    }
}

pub(crate) fn too_large(limit: usize) -> Refusal {
    Refusal::TooLarge(format!("the batch is larger than {limit} bytes"))
}

pub(crate) fn unknown_device(device_id: &str) -> Refusal {
    Refusal::Unauthorised(format!(
        "device {device_id:?} is not registered at this hub"
    ))
}

pub(crate) fn revoked(device_id: &str, revoked_ms: i64) -> Refusal {
    Refusal::Revoked(format!(
        "device {device_id} was revoked at this hub on {}; it may not send or fetch anything (records already stored are kept)",
        crate::day_of(revoked_ms)
    ))
}

/// The hub's clock, in ms since the epoch.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use waystation_protocol::summary::is_day;

    #[test]
    fn days_must_be_real_dates() {
        for good in ["2026-11-28", "1970-01-01", "2024-02-29", "2000-02-29"] {
            assert!(is_day(good), "{good}");
        }
        for bad in [
            "2026-11-31",
            "2025-02-29",
            "1900-02-29",
            "2026-13-01",
            "2026-00-10",
            "2026-1-28",
            "2026/11/28",
            "2026-11-28T",
            "２０26-11-28",
            "2é6-11-28",
            "",
        ] {
            assert!(!is_day(bad), "{bad}");
        }
    }
}
