//! One upload pass: claim a batch, send it, and settle every record by the hub's answer.
//!
//! A record is marked acked only when the hub said it stored it (now or before). Whatever
//! went wrong in between, the batch is released and sent again later: the hub deduplicates by
//! record id forever, so a resend after a lost reply is harmless.
//!
//! A worker's call for staff (`staff_alert`) has a pass of its own ([`Uploader::alert_pass`]),
//! which the syncer runs before anything else; what the hub said about each alert (passed on
//! to the centre's webhook or not, or not delivered at all) is kept for the UI.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use waystation_protocol::wire::{BATCH_PATH, MAX_BATCH_BYTES, PROTOCOL_VERSION, STAFF_ALERT_KIND};
use waystation_protocol::{
    Batch, BatchReply, ClockStamp, DAY_SUMMARY_KIND, DeviceKey, Outcome, WireRecord,
};

use super::link::{HubLink, HubReply, HubRequest, LinkError, Method};
use crate::clock::{Clock, ClockReading};
use crate::staff::alert::{HubAnswer, HubOutcome};
use crate::store::queue::{BatchLimits, Claimed, Kinds};
use crate::store::{Store, StoreError};

/// How long a claimed batch stays claimed if the uploader dies before settling it: longer
/// than a request can take, short enough that a restarted uploader does not wait long.
pub const LEASE: Duration = Duration::from_secs(120);

/// Leaves room under the hub's body limit for the JSON around the sealed payloads (base64
/// makes them a third bigger).
const BATCH_BYTES: usize = MAX_BATCH_BYTES / 2;

/// Why a pass could not deliver its batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// No connection, or it broke before the reply came.
    Unreachable(String),
    TimedOut(String),
    /// The secure connection failed; `clock_suspect` when the kiosk's clock is not set, which
    /// is the usual cause on a Pi after a power cut.
    Tls {
        message: String,
        clock_suspect: bool,
    },
    /// The hub asked us to come back later (429 or 503), perhaps saying when.
    Busy {
        retry_after: Option<Duration>,
    },
    /// The hub does not know this device (not registered yet) or refused its signature.
    NotRegistered(String),
    /// The hub knows this device and refuses its key (403: `waystation-hub devices revoke`).
    /// Nothing is dropped or set aside: the records wait here until the centre decides.
    Refused(String),
    /// Any other answer the hub should not give.
    Hub(String),
}

impl Failure {
    pub fn message(&self) -> String {
        match self {
            Failure::Unreachable(m) => format!("hub unreachable: {m}"),
            Failure::TimedOut(m) => format!("hub did not answer in time: {m}"),
            Failure::Tls {
                message,
                clock_suspect: true,
            } => format!("clock not set: the secure connection failed ({message})"),
            Failure::Tls { message, .. } => format!("secure connection failed: {message}"),
            Failure::Busy { retry_after } => match retry_after {
                Some(wait) => format!("hub busy; it asked to wait {} s", wait.as_secs()),
                None => "hub busy".into(),
            },
            Failure::NotRegistered(m) => {
                format!("hub refused this kiosk (is the device registered?): {m}")
            }
            Failure::Refused(m) => {
                format!("hub refuses this kiosk's key; records stay queued here: {m}")
            }
            Failure::Hub(m) => format!("hub error: {m}"),
        }
    }

    /// Whether the link itself is down, so that a returning connection is worth watching for.
    pub fn link_down(&self) -> bool {
        matches!(self, Failure::Unreachable(_) | Failure::TimedOut(_))
    }
}

/// What one pass did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pass {
    /// Nothing was waiting.
    Empty,
    /// The hub answered for the batch.
    Delivered {
        acked: usize,
        quarantined: usize,
        released: usize,
    },
    Failed(Failure),
}

/// Sends the outbox to the hub, one batch per pass.
pub struct Uploader {
    key: DeviceKey,
    device_id: String,
    max_records: usize,
    /// Lowered when the hub refuses a batch as too big or malformed, to isolate the record
    /// that causes it; restored after a success.
    batch_records: usize,
    /// What became of the staff alerts sent since [`Uploader::take_alert_answers`] was last
    /// called.
    alert_answers: Vec<HubAnswer>,
}

impl Uploader {
    pub fn new(key: DeviceKey, max_records: usize) -> Uploader {
        let device_id = key.device_id();
        Uploader {
            key,
            device_id,
            max_records: max_records.max(1),
            batch_records: max_records.max(1),
            alert_answers: Vec::new(),
        }
    }

    /// What the hub said about each staff alert sent since the last call, in order.
    pub fn take_alert_answers(&mut self) -> Vec<HubAnswer> {
        std::mem::take(&mut self.alert_answers)
    }

    /// One pass over the waiting staff alerts only: a worker's call for staff goes on its own,
    /// small and first, not behind a backlog of other records.
    pub fn alert_pass(
        &mut self,
        store: &mut Store,
        link: &dyn HubLink,
        clock: &dyn Clock,
    ) -> Result<Pass, StoreError> {
        self.pass_of(store, link, clock, Kinds::Only(STAFF_ALERT_KIND))
    }

    /// One pass over the waiting day summaries only: they travel in batches of their own, so
    /// that no boot id or time finer than a day is sent beside them (`sent_stamp`).
    pub fn summary_pass(
        &mut self,
        store: &mut Store,
        link: &dyn HubLink,
        clock: &dyn Clock,
    ) -> Result<Pass, StoreError> {
        self.pass_of(store, link, clock, Kinds::Only(DAY_SUMMARY_KIND))
    }

    pub fn device_id(&self) -> &str {
        &self.device_id
    }

    pub fn key(&self) -> &DeviceKey {
        &self.key
    }

    pub fn pass(
        &mut self,
        store: &mut Store,
        link: &dyn HubLink,
        clock: &dyn Clock,
    ) -> Result<Pass, StoreError> {
        self.pass_of(store, link, clock, Kinds::AllBut(DAY_SUMMARY_KIND))
    }

    fn pass_of(
        &mut self,
        store: &mut Store,
        link: &dyn HubLink,
        clock: &dyn Clock,
        kinds: Kinds<'_>,
    ) -> Result<Pass, StoreError> {
        let now = clock.read();
        let monotonic = i64::try_from(now.since_boot.as_millis()).unwrap_or(i64::MAX);
        let limits = BatchLimits {
            max_records: self.batch_records,
            max_bytes: BATCH_BYTES,
        };
        let batch = store.claim_batch_of(limits, monotonic, LEASE.as_millis() as i64, kinds)?;
        if batch.is_empty() {
            return Ok(Pass::Empty);
        }
        let answered = self.alert_answers.len();
        let pass = self.send(store, link, &now, &batch)?;
        // An alert the hub said nothing about (the batch failed, or the reply left it out)
        // did not reach anyone this time.
        for record in batch.iter().filter(|r| r.kind == STAFF_ALERT_KIND) {
            let heard = self.alert_answers[answered..]
                .iter()
                .any(|a| a.record_id == record.id);
            if !heard {
                self.alert_answers.push(HubAnswer {
                    record_id: record.id.clone(),
                    outcome: HubOutcome::Failed,
                });
            }
        }
        Ok(pass)
    }

    /// Sends a claimed batch and settles it by the hub's answer.
    fn send(
        &mut self,
        store: &mut Store,
        link: &dyn HubLink,
        now: &ClockReading,
        batch: &[Claimed],
    ) -> Result<Pass, StoreError> {
        let body = batch_body(&self.device_id, sent_stamp(now, batch), batch);
        let request = HubRequest {
            method: Method::Post,
            path: BATCH_PATH.into(),
            signature: waystation_protocol::sign_request(&self.key, "POST", BATCH_PATH, &body),
            body,
            device_id: self.device_id.clone(),
            if_none_match: None,
            range: None,
        };
        let ids: Vec<&str> = batch.iter().map(|r| r.id.as_str()).collect();
        let reply = match link.send(&request) {
            Ok(reply) => reply,
            Err(error) => {
                let failure = link_failure(error, now);
                store.release(&ids, &failure.message())?;
                return Ok(Pass::Failed(failure));
            }
        };
        match reply.status {
            200 => self.settle(store, batch, &reply),
            413 | 400 => {
                let reason = hub_error(&reply);
                if batch.len() == 1 {
                    // One record alone is refused: it can never be delivered as it is. Set it
                    // aside for staff, so it does not hold up the others.
                    store.quarantine(ids[0], &format!("hub refused it: {reason}"))?;
                    self.batch_records = self.max_records;
                    return Ok(Pass::Delivered {
                        acked: 0,
                        quarantined: 1,
                        released: 0,
                    });
                }
                // Halve the batch until the record the hub cannot take is alone.
                self.batch_records = (batch.len() / 2).max(1);
                store.release(&ids, &format!("hub refused the batch: {reason}"))?;
                Ok(Pass::Failed(Failure::Hub(format!(
                    "{} {reason}; trying smaller batches",
                    reply.status
                ))))
            }
            429 | 503 => {
                let retry_after = reply
                    .retry_after
                    .as_deref()
                    .and_then(|v| super::backoff::retry_after(v, now.wall));
                let failure = Failure::Busy { retry_after };
                store.release(&ids, &failure.message())?;
                Ok(Pass::Failed(failure))
            }
            403 => {
                let failure = Failure::Refused(hub_error(&reply));
                store.release(&ids, &failure.message())?;
                Ok(Pass::Failed(failure))
            }
            401 => {
                let failure = Failure::NotRegistered(hub_error(&reply));
                store.release(&ids, &failure.message())?;
                Ok(Pass::Failed(failure))
            }
            status => {
                let failure = Failure::Hub(format!("{status} {}", hub_error(&reply)));
                store.release(&ids, &failure.message())?;
                Ok(Pass::Failed(failure))
            }
        }
    }

    fn settle(
        &mut self,
        store: &mut Store,
        batch: &[Claimed],
        reply: &HubReply,
    ) -> Result<Pass, StoreError> {
        let ids: Vec<&str> = batch.iter().map(|r| r.id.as_str()).collect();
        let Ok(answer) = serde_json::from_slice::<BatchReply>(&reply.body) else {
            let failure = Failure::Hub("the hub's reply is not a batch reply".into());
            store.release(&ids, &failure.message())?;
            return Ok(Pass::Failed(failure));
        };
        let mut acked = Vec::new();
        let mut quarantined = 0;
        for result in &answer.results {
            // Only ids from this batch count: a reply can never settle anything else.
            let Some(id) = ids.iter().find(|id| **id == result.id) else {
                continue;
            };
            let delivered = match &result.outcome {
                Outcome::Stored | Outcome::Duplicate => {
                    acked.push(*id);
                    true
                }
                Outcome::Rejected { reason } => {
                    quarantined += store.quarantine(id, reason)?;
                    false
                }
            };
            let is_alert = batch
                .iter()
                .any(|r| r.id == result.id && r.kind == STAFF_ALERT_KIND);
            if is_alert {
                // A hub from before alerts says nothing: not forwarded, as far as anyone knows.
                let outcome = match (delivered, result.forwarded) {
                    (true, Some(true)) => HubOutcome::Forwarded,
                    (true, _) => HubOutcome::NotForwarded,
                    (false, _) => HubOutcome::Failed,
                };
                self.alert_answers.push(HubAnswer {
                    record_id: result.id.clone(),
                    outcome,
                });
            }
        }
        let acked_count = store.ack(&acked)?;
        // A record the reply does not mention is in doubt: send it again.
        let unanswered: Vec<&str> = ids
            .iter()
            .filter(|id| !answer.results.iter().any(|r| r.id == **id))
            .copied()
            .collect();
        let released = store.release(&unanswered, "the hub's reply did not mention it")?;
        self.batch_records = self.max_records;
        Ok(Pass::Delivered {
            acked: acked_count,
            quarantined,
            released,
        })
    }
}

/// The clock readings of now, in the form that travels.
pub fn stamp(now: &ClockReading) -> ClockStamp {
    ClockStamp {
        wall_ms: now.wall.timestamp_millis(),
        synced: now.synced,
        boot_id: now.boot_id.clone(),
        monotonic_ms: i64::try_from(now.since_boot.as_millis()).unwrap_or(i64::MAX),
    }
}

/// The clock readings a batch is sent with. A batch that holds a day summary gets only the day
/// (the Shanghai midnight it is sent on, no boot id, no time since boot), so that nothing
/// finer than a day ever travels beside worker data. Summaries are sent in batches of their
/// own, so the other records keep the full readings the hub places them in time with.
pub fn sent_stamp(now: &ClockReading, batch: &[Claimed]) -> ClockStamp {
    if !batch.iter().any(|r| r.kind == DAY_SUMMARY_KIND) {
        return stamp(now);
    }
    let midnight = crate::station_time::midnight_utc(crate::station_time::day_of(now.wall));
    ClockStamp {
        wall_ms: midnight.timestamp_millis(),
        synced: now.synced,
        boot_id: String::new(),
        monotonic_ms: 0,
    }
}

/// The JSON body of a batch: the same bytes are posted, or frozen into an export file.
pub fn batch_body(device_id: &str, sent: ClockStamp, records: &[Claimed]) -> Vec<u8> {
    let batch = Batch {
        protocol: PROTOCOL_VERSION,
        device_id: device_id.to_owned(),
        sent,
        records: records
            .iter()
            .map(|r| WireRecord {
                id: r.id.clone(),
                seq: r.seq,
                kind: r.kind.clone(),
                schema_version: r.schema_version,
                day: r.day.clone(),
                sealed: B64.encode(&r.payload),
            })
            .collect(),
    };
    serde_json::to_vec(&batch).expect("a batch always serialises")
}

fn link_failure(error: LinkError, now: &ClockReading) -> Failure {
    match error {
        LinkError::Unreachable(m) | LinkError::Other(m) => Failure::Unreachable(m),
        LinkError::TimedOut(m) => Failure::TimedOut(m),
        LinkError::Tls(message) => Failure::Tls {
            message,
            clock_suspect: clock_suspect(now),
        },
    }
}

/// A TLS failure is put down to the clock when NTP has not set it, or when it reads a time
/// before this program was even built.
pub fn clock_suspect(now: &ClockReading) -> bool {
    const BUILT_AFTER_MS: i64 = 1_764_547_200_000; // 2025-12-01T00:00:00Z
    !now.synced || now.wall.timestamp_millis() < BUILT_AFTER_MS
}

/// The hub's error text from a JSON `{"error": ...}` body, or the body itself, one line.
fn hub_error(reply: &HubReply) -> String {
    let text = serde_json::from_slice::<serde_json::Value>(&reply.body)
        .ok()
        .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned))
        .unwrap_or_else(|| String::from_utf8_lossy(&reply.body).into_owned());
    let line: String = text
        .lines()
        .next()
        .unwrap_or("")
        .chars()
        .take(200)
        .collect();
    if line.is_empty() {
        format!("status {}", reply.status)
    } else {
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FakeClock;
    use crate::staff::alert::{HubAnswer, HubOutcome};
    use crate::store::{NewRecord, RecordKind, RecordStamp};
    use crate::sync::link::FakeLink;

    fn clock() -> FakeClock {
        FakeClock::new(
            chrono::DateTime::from_timestamp(1_795_000_000, 0).unwrap(),
            true,
        )
    }

    fn store_with(n: u128, clock: &FakeClock) -> Store {
        let mut store = Store::open_in_memory().unwrap();
        let (_, centre) = waystation_protocol::CentreSecretKey::generate();
        store.enable_sealing(centre).unwrap();
        for i in 1..=n {
            let record = NewRecord {
                kind: RecordKind::Restock,
                stamp: RecordStamp {
                    id: uuid::Uuid::from_u128(i),
                    clock: clock.read(),
                },
                payload: serde_json::json!({ "item": "paper", "kind": null, "count": 1 }),
            };
            store.commit_record(&record, |_| Ok(())).unwrap();
        }
        store
    }

    fn uploader(max: usize) -> Uploader {
        Uploader::new(DeviceKey::from_secret([3; 32]), max)
    }

    fn reply(status: u16, body: serde_json::Value) -> Result<HubReply, LinkError> {
        Ok(HubReply {
            status,
            retry_after: None,
            etag: None,
            content_range: None,
            body: serde_json::to_vec(&body).unwrap(),
        })
    }

    fn id(n: u128) -> String {
        uuid::Uuid::from_u128(n).to_string()
    }

    fn states(store: &Store) -> (u64, u64, u64) {
        let c = store.outbox_counts().unwrap();
        (c.pending + c.in_flight, c.acked, c.quarantined)
    }

    #[test]
    fn the_request_is_signed_and_carries_only_sealed_payloads() {
        let clock = clock();
        let mut store = store_with(2, &clock);
        let link = FakeLink::new(vec![reply(200, serde_json::json!({"results": []}))]);
        let mut up = uploader(10);
        up.pass(&mut store, &link, &clock).unwrap();
        let sent = &link.sent.borrow()[0];
        assert_eq!(sent.path, "/v1/batches");
        let public = up.key().public_base64();
        waystation_protocol::verify_request(
            &public,
            "POST",
            "/v1/batches",
            &sent.body,
            &sent.signature,
        )
        .unwrap();
        let batch = Batch::parse(&sent.body).unwrap();
        assert_eq!(batch.device_id, up.device_id());
        assert_eq!(batch.records.len(), 2);
        assert_eq!(batch.records[0].seq, 1);
        assert!(!String::from_utf8_lossy(&sent.body).contains("tired"));
    }

    #[test]
    fn each_record_is_settled_by_its_own_result() {
        let clock = clock();
        let mut store = store_with(4, &clock);
        let link = FakeLink::new(vec![reply(
            200,
            serde_json::json!({"results": [
                {"id": id(1), "outcome": "stored"},
                {"id": id(2), "outcome": "duplicate"},
                {"id": id(3), "outcome": "rejected", "reason": "cannot open"},
                {"id": id(99), "outcome": "stored"},
            ]}),
        )]);
        let pass = uploader(10).pass(&mut store, &link, &clock).unwrap();
        assert_eq!(
            pass,
            Pass::Delivered {
                acked: 2,
                quarantined: 1,
                released: 1
            }
        );
        // Record 4 was not mentioned: it waits for the next pass, in doubt but not lost.
        assert_eq!(states(&store), (1, 2, 1));
    }

    #[test]
    fn a_lost_reply_or_a_busy_hub_leaves_every_record_waiting() {
        let clock = clock();
        let mut store = store_with(3, &clock);
        let mut busy = reply(503, serde_json::json!({"error": "maintenance"})).unwrap();
        busy.retry_after = Some("120".into());
        let link = FakeLink::new(vec![
            Err(LinkError::Unreachable("connection reset".into())),
            Ok(busy),
            Err(LinkError::TimedOut("read".into())),
        ]);
        let mut up = uploader(10);
        assert!(matches!(
            up.pass(&mut store, &link, &clock).unwrap(),
            Pass::Failed(Failure::Unreachable(_))
        ));
        assert_eq!(
            up.pass(&mut store, &link, &clock).unwrap(),
            Pass::Failed(Failure::Busy {
                retry_after: Some(Duration::from_secs(120))
            })
        );
        assert!(matches!(
            up.pass(&mut store, &link, &clock).unwrap(),
            Pass::Failed(Failure::TimedOut(_))
        ));
        assert_eq!(states(&store), (3, 0, 0));
        assert_eq!(
            store.outbox_counts().unwrap().in_flight,
            0,
            "released, not left leased"
        );
    }

    #[test]
    fn a_batch_the_hub_cannot_take_is_halved_until_the_bad_record_stands_alone() {
        let clock = clock();
        let mut store = store_with(4, &clock);
        let too_big = || reply(413, serde_json::json!({"error": "too large"}));
        let ok = |ids: &[u128]| {
            reply(
                200,
                serde_json::json!({"results": ids.iter().map(|n| serde_json::json!({"id": id(*n), "outcome": "stored"})).collect::<Vec<_>>()}),
            )
        };
        // 4 refused → 2 refused → 1 refused (quarantined) → the rest go through.
        let link = FakeLink::new(vec![too_big(), too_big(), too_big(), ok(&[2, 3, 4])]);
        let mut up = uploader(4);
        let mut sizes = vec![];
        loop {
            let before = link.sent.borrow().len();
            let pass = up.pass(&mut store, &link, &clock).unwrap();
            if pass == Pass::Empty {
                break;
            }
            let sent = &link.sent.borrow()[before];
            sizes.push(Batch::parse(&sent.body).unwrap().records.len());
        }
        assert_eq!(sizes, [4, 2, 1, 3]);
        assert_eq!(states(&store), (0, 3, 1));
        let entries = store
            .queue_entries(Some(crate::store::RecordState::Quarantined), 0, 10)
            .unwrap();
        assert_eq!(entries[0].id, id(1));
        assert!(
            entries[0]
                .last_error
                .as_deref()
                .unwrap()
                .contains("too large")
        );
    }

    #[test]
    fn a_tls_failure_before_the_clock_is_set_is_put_down_to_the_clock() {
        let unsynced = FakeClock::new(chrono::DateTime::from_timestamp(10, 0).unwrap(), false);
        let mut store = store_with(1, &unsynced);
        let link = FakeLink::new(vec![Err(LinkError::Tls(
            "certificate not valid yet".into(),
        ))]);
        let pass = uploader(10).pass(&mut store, &link, &unsynced).unwrap();
        let Pass::Failed(failure) = pass else {
            panic!("{pass:?}")
        };
        assert!(matches!(
            failure,
            Failure::Tls {
                clock_suspect: true,
                ..
            }
        ));
        assert!(failure.message().starts_with("clock not set"));
        let synced = clock();
        assert!(!clock_suspect(&synced.read()));
    }

    fn alert(store: &mut Store, n: u128, clock: &FakeClock) {
        let record = NewRecord {
            kind: RecordKind::StaffAlert,
            stamp: RecordStamp {
                id: uuid::Uuid::from_u128(n),
                clock: clock.read(),
            },
            payload: serde_json::json!({ "station": "demo-0001", "kind": "staff_call" }),
        };
        store.commit_record(&record, |_| Ok(())).unwrap();
    }

    #[test]
    fn an_alert_pass_sends_only_the_alerts_and_keeps_what_the_hub_said() {
        let clock = clock();
        // A backlog of three records, then two alerts.
        let mut store = store_with(3, &clock);
        alert(&mut store, 100, &clock);
        alert(&mut store, 101, &clock);
        let link = FakeLink::new(vec![
            reply(
                200,
                serde_json::json!({"results": [
                    {"id": id(100), "outcome": "stored", "forwarded": true},
                    {"id": id(101), "outcome": "duplicate"},
                ]}),
            ),
            Err(LinkError::Unreachable("gone".into())),
        ]);
        let mut up = uploader(500);
        let pass = up.alert_pass(&mut store, &link, &clock).unwrap();
        assert_eq!(
            pass,
            Pass::Delivered {
                acked: 2,
                quarantined: 0,
                released: 0
            }
        );
        let sent = Batch::parse(&link.sent.borrow()[0].body).unwrap();
        let kinds: Vec<&str> = sent.records.iter().map(|r| r.kind.as_str()).collect();
        assert_eq!(
            kinds,
            ["staff_alert", "staff_alert"],
            "alone, not behind the backlog"
        );
        // A hub that does not say (an older one) means "not forwarded".
        assert_eq!(
            up.take_alert_answers(),
            [
                HubAnswer {
                    record_id: id(100),
                    outcome: HubOutcome::Forwarded
                },
                HubAnswer {
                    record_id: id(101),
                    outcome: HubOutcome::NotForwarded
                },
            ]
        );
        assert!(up.take_alert_answers().is_empty());
        assert_eq!(
            up.alert_pass(&mut store, &link, &clock).unwrap(),
            Pass::Empty
        );
        assert_eq!(states(&store), (3, 2, 0));

        // An alert in a batch that never reached the hub is reported as failed.
        alert(&mut store, 102, &clock);
        let failed = up.alert_pass(&mut store, &link, &clock).unwrap();
        assert!(matches!(failed, Pass::Failed(Failure::Unreachable(_))));
        assert_eq!(
            up.take_alert_answers(),
            [HubAnswer {
                record_id: id(102),
                outcome: HubOutcome::Failed
            }]
        );
        assert_eq!(states(&store), (4, 2, 0), "still waiting, to go again");
    }

    #[test]
    fn an_alert_the_hub_leaves_out_or_rejects_did_not_reach_anyone() {
        let clock = clock();
        let mut store = Store::open_in_memory().unwrap();
        let (_, centre) = waystation_protocol::CentreSecretKey::generate();
        store.enable_sealing(centre).unwrap();
        alert(&mut store, 1, &clock);
        alert(&mut store, 2, &clock);
        let link = FakeLink::new(vec![reply(
            200,
            serde_json::json!({"results": [
                {"id": id(1), "outcome": "rejected", "reason": "does not open", "forwarded": true},
            ]}),
        )]);
        let mut up = uploader(10);
        up.alert_pass(&mut store, &link, &clock).unwrap();
        let answers = up.take_alert_answers();
        assert_eq!(answers.len(), 2);
        assert!(
            answers.iter().all(|a| a.outcome == HubOutcome::Failed),
            "{answers:?}"
        );
    }

    #[test]
    fn an_unregistered_device_keeps_its_records() {
        let clock = clock();
        let mut store = store_with(2, &clock);
        let link = FakeLink::new(vec![reply(
            401,
            serde_json::json!({"error": "unknown device"}),
        )]);
        let pass = uploader(10).pass(&mut store, &link, &clock).unwrap();
        assert_eq!(
            pass,
            Pass::Failed(Failure::NotRegistered("unknown device".into()))
        );
        assert_eq!(states(&store), (2, 0, 0));
    }

    #[test]
    fn a_revoked_device_keeps_its_records_and_says_so() {
        let clock = clock();
        let mut store = store_with(3, &clock);
        let reason = "device ws-0 was revoked at this hub on 2026-11-28 14:03 (UTC+8)";
        let link = FakeLink::new(vec![reply(403, serde_json::json!({ "error": reason }))]);
        let pass = uploader(10).pass(&mut store, &link, &clock).unwrap();
        let Pass::Failed(failure) = pass else {
            panic!("a 403 is a failure: {pass:?}");
        };
        assert_eq!(failure, Failure::Refused(reason.into()));
        assert!(
            failure.message().contains("revoked"),
            "{}",
            failure.message()
        );
        assert!(!failure.link_down());
        // Nothing acked, nothing quarantined: all three still wait.
        assert_eq!(states(&store), (3, 0, 0));
    }
}
