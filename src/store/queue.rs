//! Taking records out of the outbox for upload, in the manner of a work queue: claim a batch
//! (with a lease), then ack what the hub confirmed, release what failed for a retry, or
//! quarantine what the hub refused for good. No record is ever deleted: an acknowledged record
//! stays, marked `acked`, but its payload is emptied (the hub has it; `secure_delete` zeroes
//! the freed bytes).
//!
//! Leases use the kiosk's monotonic clock (passed in), so a wrong wall clock before NTP can
//! neither keep a batch claimed forever nor free it early. A lease is only meaningful within
//! one boot; at start-up the uploader releases every lease (`release_all_leases`).

use super::begin_write;
use super::{Store, StoreError};

/// Which records a claim takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kinds<'a> {
    All,
    Only(&'a str),
    AllBut(&'a str),
}

/// A record claimed for upload: what travels, and what the uploader needs to report back.
/// Only sealed records are ever claimed, so `payload` is always sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    pub seq: i64,
    pub id: String,
    pub kind: String,
    pub schema_version: u32,
    pub payload: Vec<u8>,
    pub created_wall_ms: i64,
    pub clock_synced: bool,
    pub boot_id: String,
    pub monotonic_ms: i64,
    pub attempts: u32,
    /// The Asia/Shanghai day of the record, which travels in the clear.
    pub day: String,
}

/// How much one batch may hold. At least one record is always claimed, however large, so a
/// big record can never block the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchLimits {
    pub max_records: usize,
    pub max_bytes: usize,
}

impl Store {
    fn sqlite_error(&self) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
        |source| StoreError::Sqlite {
            path: self.label.clone(),
            source,
        }
    }

    /// Claims the oldest pending records (and in-flight ones whose lease has run out), in
    /// sequence order, up to the limits, and leases them until `now_ms + lease_ms`.
    pub fn claim_batch(
        &mut self,
        limits: BatchLimits,
        now_ms: i64,
        lease_ms: i64,
    ) -> Result<Vec<Claimed>, StoreError> {
        self.claim_batch_of(limits, now_ms, lease_ms, Kinds::All)
    }

    /// As [`Store::claim_batch`], but only the records of some kinds: a worker's call for
    /// staff is sent on its own, ahead of whatever else is waiting, and day summaries in
    /// batches of their own.
    pub fn claim_batch_of(
        &mut self,
        limits: BatchLimits,
        now_ms: i64,
        lease_ms: i64,
        kinds: Kinds<'_>,
    ) -> Result<Vec<Claimed>, StoreError> {
        let (only, but) = match kinds {
            Kinds::All => (None, None),
            Kinds::Only(kind) => (Some(kind), None),
            Kinds::AllBut(kind) => (None, Some(kind)),
        };
        let label = self.label.clone();
        let err = |source| StoreError::Sqlite {
            path: label.clone(),
            source,
        };
        let tx = begin_write(&mut self.conn).map_err(err)?;
        let mut batch = Vec::new();
        {
            let mut stmt = tx
                .prepare(
                    "SELECT seq, id, kind, schema_version, payload, created_wall_ms, clock_synced, boot_id,
                            monotonic_ms, attempts, day
                     FROM outbox
                     WHERE sealed = 1
                       AND (state = 'pending' OR (state = 'in_flight' AND COALESCE(claimed_until_ms, 0) <= ?1))
                       AND (?2 IS NULL OR kind = ?2)
                       AND (?3 IS NULL OR kind != ?3)
                     ORDER BY seq",
                )
                .map_err(err)?;
            let mut rows = stmt
                .query(rusqlite::params![now_ms, only, but])
                .map_err(err)?;
            let mut bytes = 0;
            while let Some(row) = rows.next().map_err(err)? {
                let payload: Vec<u8> = row.get(4).map_err(err)?;
                if !batch.is_empty()
                    && (batch.len() == limits.max_records
                        || bytes + payload.len() > limits.max_bytes)
                {
                    break;
                }
                bytes += payload.len();
                batch.push(Claimed {
                    seq: row.get(0).map_err(err)?,
                    id: row.get(1).map_err(err)?,
                    kind: row.get(2).map_err(err)?,
                    schema_version: row.get(3).map_err(err)?,
                    payload,
                    created_wall_ms: row.get(5).map_err(err)?,
                    clock_synced: row.get(6).map_err(err)?,
                    boot_id: row.get(7).map_err(err)?,
                    monotonic_ms: row.get(8).map_err(err)?,
                    attempts: row.get(9).map_err(err)?,
                    day: row.get(10).map_err(err)?,
                });
            }
        }
        for record in &batch {
            tx.execute(
                "UPDATE outbox SET state = 'in_flight', claimed_until_ms = ?2, attempts = attempts + 1 WHERE seq = ?1",
                rusqlite::params![record.seq, now_ms.saturating_add(lease_ms)],
            )
            .map_err(err)?;
        }
        tx.commit().map_err(err)?;
        Ok(batch)
    }

    /// Marks records the hub confirmed as acked and empties their payloads. Acking twice, or
    /// acking a record that was quarantined meanwhile, changes nothing harmful: an acked record
    /// stays acked.
    pub fn ack(&mut self, ids: &[&str]) -> Result<usize, StoreError> {
        self.set_state(
            ids,
            "acked",
            None,
            "state IN ('pending', 'in_flight', 'acked')",
        )
    }

    /// Puts claimed records back for a later try (the hub was unreachable or said "later").
    pub fn release(&mut self, ids: &[&str], reason: &str) -> Result<usize, StoreError> {
        self.set_state(ids, "pending", Some(reason), "state = 'in_flight'")
    }

    /// Sets a record the hub refused as permanently invalid aside, with the reason, so it never
    /// blocks the others and staff can see it.
    pub fn quarantine(&mut self, id: &str, reason: &str) -> Result<usize, StoreError> {
        self.set_state(
            &[id],
            "quarantined",
            Some(reason),
            "state IN ('pending', 'in_flight')",
        )
    }

    /// Frees every lease: at start-up no earlier uploader is running any more.
    pub fn release_all_leases(&mut self) -> Result<usize, StoreError> {
        let err = self.sqlite_error();
        self.conn
            .execute("UPDATE outbox SET state = 'pending', claimed_until_ms = NULL WHERE state = 'in_flight'", [])
            .map_err(err)
    }

    fn set_state(
        &mut self,
        ids: &[&str],
        state: &str,
        reason: Option<&str>,
        when: &str,
    ) -> Result<usize, StoreError> {
        let label = self.label.clone();
        let err = |source| StoreError::Sqlite {
            path: label.clone(),
            source,
        };
        let tx = begin_write(&mut self.conn).map_err(err)?;
        let mut changed = 0;
        {
            let sql = format!(
                "UPDATE outbox SET state = ?2, claimed_until_ms = NULL, last_error = COALESCE(?3, last_error),
                     payload = CASE WHEN ?2 = 'acked' THEN x'' ELSE payload END
                 WHERE id = ?1 AND {when}"
            );
            let mut stmt = tx.prepare(&sql).map_err(err)?;
            for id in ids {
                changed += stmt
                    .execute(rusqlite::params![id, state, reason])
                    .map_err(err)?;
            }
        }
        tx.commit().map_err(err)?;
        Ok(changed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, FakeClock};
    use crate::store::{NewRecord, RecordKind, RecordStamp};

    fn store_with(n: u128, payload_len: usize) -> Store {
        let clock = FakeClock::new(
            chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap(),
            true,
        );
        let mut store = Store::open_in_memory().unwrap();
        let (_, centre) = waystation_protocol::CentreSecretKey::generate();
        store.enable_sealing(centre).unwrap();
        for i in 1..=n {
            let record = NewRecord {
                kind: RecordKind::KioskStarted,
                stamp: RecordStamp {
                    id: uuid::Uuid::from_u128(i),
                    clock: clock.read(),
                },
                payload: serde_json::json!({ "pad": "x".repeat(payload_len) }),
            };
            store.commit_record(&record, |_| Ok(())).unwrap();
        }
        store
    }

    const LIMITS: BatchLimits = BatchLimits {
        max_records: 3,
        max_bytes: 1_000_000,
    };

    fn ids(batch: &[Claimed]) -> Vec<i64> {
        batch.iter().map(|c| c.seq).collect()
    }

    #[test]
    fn batches_come_in_sequence_order_within_the_limits() {
        let mut store = store_with(7, 10);
        assert_eq!(
            ids(&store.claim_batch(LIMITS, 0, 60_000).unwrap()),
            [1, 2, 3]
        );
        assert_eq!(
            ids(&store.claim_batch(LIMITS, 0, 60_000).unwrap()),
            [4, 5, 6]
        );
        assert_eq!(ids(&store.claim_batch(LIMITS, 0, 60_000).unwrap()), [7]);
        assert!(store.claim_batch(LIMITS, 0, 60_000).unwrap().is_empty());
        assert_eq!(store.outbox_counts().unwrap().in_flight, 7);
    }

    #[test]
    fn the_byte_limit_bounds_a_batch_but_never_blocks_a_big_record() {
        let mut store = store_with(3, 5_000);
        let small = BatchLimits {
            max_records: 100,
            max_bytes: 100,
        };
        assert_eq!(
            ids(&store.claim_batch(small, 0, 60_000).unwrap()),
            [1],
            "one record even though it is too big"
        );
        // Each payload is a little over 5,000 bytes: 7,000 takes one, 11,000 takes two.
        let one = BatchLimits {
            max_records: 100,
            max_bytes: 7_000,
        };
        assert_eq!(ids(&store.claim_batch(one, 0, 60_000).unwrap()), [2]);
        let mut fresh = store_with(3, 5_000);
        let two = BatchLimits {
            max_records: 100,
            max_bytes: 11_000,
        };
        assert_eq!(ids(&fresh.claim_batch(two, 0, 60_000).unwrap()), [1, 2]);
    }

    #[test]
    fn a_lease_keeps_a_batch_until_it_runs_out_then_it_is_claimed_again() {
        let mut store = store_with(2, 10);
        store.claim_batch(LIMITS, 1_000, 30_000).unwrap();
        assert!(
            store
                .claim_batch(LIMITS, 30_999, 30_000)
                .unwrap()
                .is_empty()
        );
        let again = store.claim_batch(LIMITS, 31_000, 30_000).unwrap();
        assert_eq!(ids(&again), [1, 2]);
        assert_eq!(again[0].attempts, 1, "attempts counts earlier claims");
    }

    #[test]
    fn ack_release_and_quarantine_move_records_and_nothing_is_ever_deleted() {
        let mut store = store_with(4, 10);
        let batch = store
            .claim_batch(
                BatchLimits {
                    max_records: 4,
                    max_bytes: 1_000_000,
                },
                0,
                60_000,
            )
            .unwrap();
        let id = |i: usize| batch[i].id.clone();
        assert_eq!(store.ack(&[&id(0), &id(1)]).unwrap(), 2);
        assert_eq!(store.ack(&[&id(0)]).unwrap(), 1, "acking again is harmless");
        assert_eq!(store.release(&[&id(2)], "connection refused").unwrap(), 1);
        assert_eq!(store.quarantine(&id(3), "unknown kind").unwrap(), 1);
        let counts = store.outbox_counts().unwrap();
        assert_eq!(
            (
                counts.acked,
                counts.pending,
                counts.quarantined,
                counts.total()
            ),
            (2, 1, 1, 4)
        );
        // The released one comes back first; the quarantined one never does.
        let next = store.claim_batch(LIMITS, 0, 60_000).unwrap();
        assert_eq!(ids(&next), [3]);
        let reason: String = store
            .connection()
            .query_row("SELECT last_error FROM outbox WHERE seq = 4", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(reason, "unknown kind");
        // An acked record cannot be quarantined or released afterwards.
        assert_eq!(store.quarantine(&id(0), "late").unwrap(), 0);
        assert_eq!(store.release(&[&id(0)], "late").unwrap(), 0);
    }

    #[test]
    fn leases_from_an_earlier_run_are_freed_at_start() {
        let mut store = store_with(2, 10);
        store.claim_batch(LIMITS, 0, i64::MAX / 2).unwrap();
        assert_eq!(store.release_all_leases().unwrap(), 2);
        assert_eq!(ids(&store.claim_batch(LIMITS, 0, 60_000).unwrap()), [1, 2]);
    }
}
