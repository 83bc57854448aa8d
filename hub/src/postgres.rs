//! The [`Storage`] for a centre whose fleet has outgrown one SQLite file: everything in one
//! PostgreSQL database, the served bundle included (`waystation-hub … --database
//! postgres://…`). The centre's keys stay in the data folder, as with SQLite.
//!
//! It keeps the same tables as [`crate::SqliteStorage`], in PostgreSQL's own types (BOOLEAN,
//! BYTEA, an identity column for the audit log's order), and does the same work in the same
//! transactions, so the two pass the same test suite (`hub/tests/integration/storage.rs`).
//! A commit returns once PostgreSQL has flushed it (`synchronous_commit` is left at its
//! default, `on`), as SQLite's `synchronous=FULL` does.
//!
//! The connection is made without TLS: run PostgreSQL on the hub's machine (a Unix socket,
//! `postgres:///waystation?host=/var/run/postgresql`) or on a private network.

use postgres::{Client, GenericClient, NoTls, Row, Transaction};
use waystation_protocol::wire::STAFF_ALERT_KIND;
use waystation_protocol::{ClockStamp, DaySummary, Outcome};

use crate::alerts::{Alert, Webhook, WebhookFormat};
use crate::storage::{
    Device, FindProblems, ForwardNote, HEARTBEAT_KIND, HeartbeatDay, Image, KindCount, NewDevice,
    NewRecord, OpenWatch, RemoteHelp, Rollout, Scope, Storage, StoredRecord, StoredSummary, Via,
    parse_time_source, remote_help_off_audit, remote_help_on_audit, time_source_name,
    watch_changes,
};
use crate::users::{AuditEntry, Role, Session, User};
use crate::{HubError, summaries};

/// The schema, as an append-only list: never edit a migration that has shipped, add one at the
/// end. Each runs in one transaction with the row that records it in `schema_migrations`.
const MIGRATIONS: &[&str] = &[
    // 1: what SQLite's migrations 1 to 8 built (the hub's schema when PostgreSQL came).
    "CREATE TABLE devices (
        device_id TEXT PRIMARY KEY,
        public_key TEXT NOT NULL,
        station TEXT,
        note TEXT,
        added_ms BIGINT NOT NULL,
        revoked_ms BIGINT
    );
    CREATE TABLE records (
        id TEXT NOT NULL,
        device_id TEXT NOT NULL REFERENCES devices (device_id),
        seq BIGINT NOT NULL,
        kind TEXT NOT NULL,
        schema_version BIGINT NOT NULL,
        day TEXT NOT NULL,
        payload TEXT NOT NULL,
        created_wall_ms BIGINT NOT NULL,
        created_synced BOOLEAN NOT NULL,
        created_boot_id TEXT NOT NULL,
        created_monotonic_ms BIGINT NOT NULL,
        received_ms BIGINT NOT NULL,
        corrected_ms BIGINT NOT NULL,
        time_source TEXT NOT NULL,
        via TEXT NOT NULL CHECK (via IN ('network', 'import')),
        PRIMARY KEY (device_id, id)
    );
    CREATE INDEX records_by_device ON records (device_id, kind, seq);
    CREATE TABLE alerts (
        record_id TEXT NOT NULL,
        device_id TEXT NOT NULL,
        station TEXT NOT NULL,
        kind TEXT NOT NULL,
        at_ms BIGINT NOT NULL,
        received_ms BIGINT NOT NULL,
        via TEXT NOT NULL CHECK (via IN ('network', 'import')),
        forwarded_ms BIGINT,
        attempts BIGINT NOT NULL DEFAULT 0,
        last_error TEXT,
        acknowledged_ms BIGINT,
        acknowledged_by TEXT,
        PRIMARY KEY (device_id, record_id),
        FOREIGN KEY (device_id, record_id) REFERENCES records (device_id, id)
    );
    CREATE INDEX alerts_by_time ON alerts (at_ms);
    CREATE TABLE alert_webhook (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        url TEXT NOT NULL,
        format TEXT NOT NULL CHECK (format IN ('json', 'wecom')),
        set_ms BIGINT NOT NULL
    );
    CREATE TABLE day_summaries (
        device_id TEXT NOT NULL,
        record_id TEXT NOT NULL,
        station TEXT,
        first_day TEXT NOT NULL,
        last_day TEXT NOT NULL,
        visits BIGINT NOT NULL,
        counts TEXT NOT NULL,
        received_day TEXT NOT NULL,
        PRIMARY KEY (device_id, record_id),
        FOREIGN KEY (device_id, record_id) REFERENCES records (device_id, id)
    );
    CREATE INDEX day_summaries_by_day ON day_summaries (first_day, last_day);
    CREATE TABLE users (
        name TEXT PRIMARY KEY,
        role TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        added_ms BIGINT NOT NULL
    );
    CREATE TABLE audit_log (
        -- The order lines were written in, for lines of the same millisecond.
        line BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at_ms BIGINT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        detail TEXT NOT NULL
    );
    CREATE INDEX audit_log_by_time ON audit_log (at_ms);
    CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,
        user_name TEXT NOT NULL REFERENCES users (name),
        csrf TEXT NOT NULL,
        expires_ms BIGINT NOT NULL
    );
    CREATE TABLE wrong_passwords (
        name TEXT NOT NULL,
        at_ms BIGINT NOT NULL
    );
    CREATE INDEX wrong_passwords_by_name ON wrong_passwords (name, at_ms);
    -- At most one row: the signed bundle the kiosks fetch (a file beside hub.db with SQLite).
    CREATE TABLE served_bundle (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        bytes BYTEA NOT NULL
    );",
    // 2: heartbeats kept as each device's newest and a count per device and day (SQLite's
    // migration 9); those already stored are rolled up and their rows removed.
    "CREATE TABLE heartbeat_latest (
        device_id TEXT PRIMARY KEY REFERENCES devices (device_id),
        id TEXT NOT NULL,
        seq BIGINT NOT NULL,
        schema_version BIGINT NOT NULL,
        day TEXT NOT NULL,
        payload TEXT NOT NULL,
        created_wall_ms BIGINT NOT NULL,
        created_synced BOOLEAN NOT NULL,
        created_boot_id TEXT NOT NULL,
        created_monotonic_ms BIGINT NOT NULL,
        received_ms BIGINT NOT NULL,
        corrected_ms BIGINT NOT NULL,
        time_source TEXT NOT NULL,
        via TEXT NOT NULL CHECK (via IN ('network', 'import'))
    );
    CREATE TABLE heartbeat_days (
        device_id TEXT NOT NULL REFERENCES devices (device_id),
        day TEXT NOT NULL,
        heartbeats BIGINT NOT NULL,
        first_received_ms BIGINT NOT NULL,
        last_received_ms BIGINT NOT NULL,
        PRIMARY KEY (device_id, day)
    );
    INSERT INTO heartbeat_days (device_id, day, heartbeats, first_received_ms, last_received_ms)
    SELECT device_id, day, COUNT(*), MIN(received_ms), MAX(received_ms)
    FROM records WHERE kind = 'heartbeat' GROUP BY device_id, day;
    INSERT INTO heartbeat_latest (device_id, id, seq, schema_version, day, payload,
        created_wall_ms, created_synced, created_boot_id, created_monotonic_ms,
        received_ms, corrected_ms, time_source, via)
    SELECT DISTINCT ON (device_id) device_id, id, seq, schema_version, day, payload,
        created_wall_ms, created_synced, created_boot_id, created_monotonic_ms,
        received_ms, corrected_ms, time_source, via
    FROM records WHERE kind = 'heartbeat' ORDER BY device_id, seq DESC, id;
    DELETE FROM records WHERE kind = 'heartbeat';",
    // 3: the hub's own alerts about the fleet (SQLite's migration 10): an alert need not come
    // in a record, may arrive 'via' the watch, and is closed when its problem is gone. The
    // constraints bear the names PostgreSQL gave them in migration 1.
    "ALTER TABLE alerts DROP CONSTRAINT alerts_device_id_record_id_fkey;
    ALTER TABLE alerts ADD FOREIGN KEY (device_id) REFERENCES devices (device_id);
    ALTER TABLE alerts DROP CONSTRAINT alerts_via_check;
    ALTER TABLE alerts ADD CONSTRAINT alerts_via_check
        CHECK (via IN ('network', 'import', 'watch'));
    ALTER TABLE alerts ADD COLUMN cleared_ms BIGINT;
    CREATE INDEX alerts_open_watch ON alerts (via, cleared_ms);",
    // 4: a station's district and kind (SQLite's migration 11).
    "ALTER TABLE devices ADD COLUMN district TEXT;
    ALTER TABLE devices ADD COLUMN station_kind TEXT;
    ALTER TABLE day_summaries ADD COLUMN district TEXT;
    ALTER TABLE day_summaries ADD COLUMN station_kind TEXT;
    -- The overview counts the summaries that came after their week settled: an index it
    -- can answer from alone.
    CREATE INDEX day_summaries_by_received ON day_summaries (first_day, received_day);",
    // 5: image updates (SQLite's migration 12): the bundles the hub holds (the bytes are
    // files in the data folder's `images/`, as with SQLite) and the rollouts.
    "CREATE TABLE images (
        version TEXT PRIMARY KEY,
        sha256 TEXT NOT NULL,
        size BIGINT NOT NULL,
        file_name TEXT NOT NULL,
        added_ms BIGINT NOT NULL
    );
    CREATE TABLE rollouts (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        version TEXT NOT NULL REFERENCES images (version),
        scope TEXT NOT NULL CHECK (scope IN ('all', 'district', 'kiosk')),
        name TEXT,
        created_ms BIGINT NOT NULL
    );",
    // 6: remote help (SQLite's migration 13): switched on for a kiosk, until when and by whom.
    "CREATE TABLE remote_help (
        device_id TEXT PRIMARY KEY REFERENCES devices (device_id),
        until_ms BIGINT NOT NULL,
        granted_by TEXT NOT NULL,
        granted_ms BIGINT NOT NULL
    );",
];

pub struct PostgresStorage {
    client: Client,
}

impl PostgresStorage {
    /// Connects to the database at `url` (`postgres://…` or `host=… dbname=…`) and brings its
    /// schema up to date, refusing one made by a newer hub.
    pub fn connect(url: &str) -> Result<PostgresStorage, HubError> {
        Self::connect_at(url, MIGRATIONS.len())
    }

    /// Connects and migrates only up to schema version `version`: for the tests that start
    /// from an older hub's database.
    #[doc(hidden)]
    pub fn connect_at(url: &str, version: usize) -> Result<PostgresStorage, HubError> {
        let client = Client::connect(url, NoTls).map_err(failed)?;
        let mut storage = PostgresStorage { client };
        storage.migrate(version.min(MIGRATIONS.len()))?;
        Ok(storage)
    }

    fn migrate(&mut self, version: usize) -> Result<(), HubError> {
        let mut tx = self.client.transaction().map_err(failed)?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                 version BIGINT PRIMARY KEY,
                 applied_ms BIGINT NOT NULL
             );
             -- Two hubs starting at once migrate one after the other.
             LOCK TABLE schema_migrations IN EXCLUSIVE MODE;",
        )
        .map_err(failed)?;
        let found: i64 = tx
            .query_one(
                "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                &[],
            )
            .map_err(failed)?
            .get(0);
        let found = usize::try_from(found).unwrap_or(0);
        if found > MIGRATIONS.len() {
            return Err(HubError::Postgres(format!(
                "the database has schema version {found}, newer than this hub knows ({}); run the newer waystation-hub",
                MIGRATIONS.len()
            )));
        }
        for (index, sql) in MIGRATIONS.iter().enumerate().take(version).skip(found) {
            tx.batch_execute(sql).map_err(|e| {
                HubError::Postgres(format!("migration {} failed: {}", index + 1, reason(&e)))
            })?;
            tx.execute(
                "INSERT INTO schema_migrations (version, applied_ms) VALUES ($1, $2)",
                &[&(index as i64 + 1), &crate::ingest::now_ms()],
            )
            .map_err(failed)?;
        }
        tx.commit().map_err(failed)
    }
}

/// PostgreSQL's own message: the server's for a refused statement, else the client's.
fn reason(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => db.message().to_string(),
        None => e.to_string(),
    }
}

fn failed(e: postgres::Error) -> HubError {
    HubError::Postgres(reason(&e))
}

fn bad(what: &str, text: &str) -> HubError {
    HubError::Postgres(format!("unknown {what} {text:?} in the database"))
}

fn count(n: i64) -> u64 {
    n.max(0) as u64
}

/// The advisory lock that lets one fleet watch pass run at a time (any number that no other
/// lock of the hub's uses: "WSWATCH" in ASCII).
const WATCH_LOCK: i64 = 0x57_53_57_41_54_43_48;

const DEVICE_COLUMNS: &str =
    "SELECT device_id, public_key, station, note, added_ms, revoked_ms, district, station_kind
     FROM devices";

fn device_of(row: &Row) -> Device {
    Device {
        device_id: row.get(0),
        public_key: row.get(1),
        station: row.get(2),
        note: row.get(3),
        added_ms: row.get(4),
        revoked_ms: row.get(5),
        district: row.get(6),
        station_kind: row.get(7),
    }
}

const RECORD_COLUMNS: &str = "SELECT id, device_id, seq, kind, schema_version, day, payload,
     created_wall_ms, created_synced, created_boot_id, created_monotonic_ms,
     received_ms, corrected_ms, time_source, via
 FROM records";

const HEARTBEAT_COLUMNS: &str = "SELECT id, device_id, seq, 'heartbeat', schema_version, day,
     payload, created_wall_ms, created_synced, created_boot_id, created_monotonic_ms,
     received_ms, corrected_ms, time_source, via
 FROM heartbeat_latest";

fn record_of(row: &Row) -> Result<StoredRecord, HubError> {
    let payload: String = row.get(6);
    let source: String = row.get(13);
    let via: String = row.get(14);
    Ok(StoredRecord {
        id: row.get(0),
        device_id: row.get(1),
        seq: row.get(2),
        kind: row.get(3),
        schema_version: u32::try_from(row.get::<_, i64>(4)).unwrap_or(u32::MAX),
        day: row.get(5),
        payload: serde_json::from_str(&payload)
            .map_err(|e| HubError::Postgres(format!("a stored payload is not JSON: {e}")))?,
        created: ClockStamp {
            wall_ms: row.get(7),
            synced: row.get(8),
            boot_id: row.get(9),
            monotonic_ms: row.get(10),
        },
        received_ms: row.get(11),
        corrected_ms: row.get(12),
        time_source: parse_time_source(&source).ok_or_else(|| bad("time source", &source))?,
        via: Via::parse(&via).ok_or_else(|| bad("arrival", &via))?,
    })
}

const SUMMARY_COLUMNS: &str = "SELECT device_id, record_id, station, first_day, last_day, visits,
     counts, received_day, district, station_kind
 FROM day_summaries";

fn summary_of(row: &Row) -> Result<StoredSummary, HubError> {
    let counts: String = row.get(6);
    Ok(StoredSummary {
        device_id: row.get(0),
        record_id: row.get(1),
        station: row.get(2),
        district: row.get(8),
        station_kind: row.get(9),
        received_day: row.get(7),
        visits: count(row.get(5)),
        summary: DaySummary {
            first_day: row.get(3),
            last_day: row.get(4),
            counts: serde_json::from_str(&counts)
                .map_err(|e| HubError::Postgres(format!("stored counts are not JSON: {e}")))?,
        },
    })
}

const ALERT_COLUMNS: &str = "SELECT record_id, device_id, station, kind, at_ms, received_ms, via,
     forwarded_ms, attempts, last_error, acknowledged_ms, acknowledged_by, cleared_ms
     FROM alerts";

fn alert_of(row: &Row) -> Result<Alert, HubError> {
    let via: String = row.get(6);
    Ok(Alert {
        record_id: row.get(0),
        device_id: row.get(1),
        station: row.get(2),
        kind: row.get(3),
        at_ms: row.get(4),
        received_ms: row.get(5),
        via: Via::parse(&via).ok_or_else(|| bad("arrival", &via))?,
        forwarded_ms: row.get(7),
        attempts: u32::try_from(row.get::<_, i64>(8)).unwrap_or(u32::MAX),
        last_error: row.get(9),
        cleared_ms: row.get(12),
        acknowledged: match (row.get(10), row.get(11)) {
            (Some(at), Some(by)) => Some((at, by)),
            _ => None,
        },
    })
}

const USER_COLUMNS: &str = "SELECT name, role, password_hash, added_ms FROM users";

fn user_of(row: &Row) -> User {
    let role: String = row.get(1);
    User {
        name: row.get(0),
        // Only `Role::as_str` writes this column; an unknown word gets the least access.
        role: Role::parse(&role).unwrap_or(Role::Viewer),
        password_hash: row.get(2),
        added_ms: row.get(3),
    }
}

fn insert_audit(client: &mut impl GenericClient, entry: &AuditEntry) -> Result<(), HubError> {
    client
        .execute(
            "INSERT INTO audit_log (at_ms, actor, action, detail) VALUES ($1, $2, $3, $4)",
            &[&entry.at_ms, &entry.actor, &entry.action, &entry.detail],
        )
        .map(drop)
        .map_err(failed)
}

/// Stores one record of a batch in the batch's transaction; see [`Storage::ingest`].
fn store_record(
    tx: &mut Transaction<'_>,
    record: &NewRecord,
    summary: Option<&DaySummary>,
) -> Result<Outcome, HubError> {
    if record.kind == HEARTBEAT_KIND {
        return keep_heartbeat(tx, record);
    }
    let payload = record.payload.to_string();
    let inserted = tx
        .execute(
            "INSERT INTO records (id, device_id, seq, kind, schema_version, day, payload,
                 created_wall_ms, created_synced, created_boot_id, created_monotonic_ms,
                 received_ms, corrected_ms, time_source, via)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
             ON CONFLICT (device_id, id) DO NOTHING",
            &[
                &record.id,
                &record.device_id,
                &record.seq,
                &record.kind,
                &i64::from(record.schema_version),
                &record.day,
                &payload,
                &record.created.wall_ms,
                &record.created.synced,
                &record.created.boot_id,
                &record.created.monotonic_ms,
                &record.received_ms,
                &record.corrected_ms,
                &time_source_name(record.time_source),
                &record.via.as_str(),
            ],
        )
        .map_err(failed)?;
    // No row inserted means this device's id was already there, from before or from earlier
    // in this very transaction.
    if inserted == 0 {
        return Ok(Outcome::Duplicate);
    }
    if record.kind == STAFF_ALERT_KIND {
        insert_alert(tx, record)?;
    }
    if let Some(summary) = summary {
        insert_summary(tx, record, summary)?;
    }
    Ok(Outcome::Stored)
}

fn keep_heartbeat(tx: &mut Transaction<'_>, record: &NewRecord) -> Result<Outcome, HubError> {
    let payload = record.payload.to_string();
    let newer = tx
        .execute(
            "INSERT INTO heartbeat_latest (device_id, id, seq, schema_version, day, payload,
                 created_wall_ms, created_synced, created_boot_id, created_monotonic_ms,
                 received_ms, corrected_ms, time_source, via)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
             ON CONFLICT (device_id) DO UPDATE SET
                 id = excluded.id, seq = excluded.seq, schema_version = excluded.schema_version,
                 day = excluded.day, payload = excluded.payload,
                 created_wall_ms = excluded.created_wall_ms,
                 created_synced = excluded.created_synced,
                 created_boot_id = excluded.created_boot_id,
                 created_monotonic_ms = excluded.created_monotonic_ms,
                 received_ms = excluded.received_ms, corrected_ms = excluded.corrected_ms,
                 time_source = excluded.time_source, via = excluded.via
             WHERE heartbeat_latest.seq < excluded.seq",
            &[
                &record.device_id,
                &record.id,
                &record.seq,
                &i64::from(record.schema_version),
                &record.day,
                &payload,
                &record.created.wall_ms,
                &record.created.synced,
                &record.created.boot_id,
                &record.created.monotonic_ms,
                &record.received_ms,
                &record.corrected_ms,
                &time_source_name(record.time_source),
                &record.via.as_str(),
            ],
        )
        .map_err(failed)?;
    if newer == 0 {
        return Ok(Outcome::Duplicate);
    }
    tx.execute(
        "INSERT INTO heartbeat_days (device_id, day, heartbeats, first_received_ms,
             last_received_ms)
         VALUES ($1, $2, 1, $3, $3)
         ON CONFLICT (device_id, day) DO UPDATE SET
             heartbeats = heartbeat_days.heartbeats + 1,
             first_received_ms = LEAST(heartbeat_days.first_received_ms,
                 excluded.first_received_ms),
             last_received_ms = GREATEST(heartbeat_days.last_received_ms,
                 excluded.last_received_ms)",
        &[&record.device_id, &record.day, &record.received_ms],
    )
    .map_err(failed)?;
    Ok(Outcome::Stored)
}

/// The alert row of a `staff_alert` record just stored. The station is the one the kiosk
/// names, else the one it was registered with, else its id.
fn insert_alert(tx: &mut Transaction<'_>, record: &NewRecord) -> Result<(), HubError> {
    let (station, kind) = crate::alerts::fields(record);
    tx.execute(
        "INSERT INTO alerts (record_id, device_id, station, kind, at_ms, received_ms, via)
         VALUES ($1, $2,
             COALESCE($3, (SELECT station FROM devices WHERE device_id = $2), $2),
             $4, $5, $6, $7)
         ON CONFLICT (device_id, record_id) DO NOTHING",
        &[
            &record.id,
            &record.device_id,
            &station,
            &kind,
            &record.corrected_ms,
            &record.received_ms,
            &record.via.as_str(),
        ],
    )
    .map(drop)
    .map_err(failed)
}

/// The day_summaries row of a `day_summary` record just stored, at the station its device is
/// registered at now.
fn insert_summary(
    tx: &mut Transaction<'_>,
    record: &NewRecord,
    summary: &DaySummary,
) -> Result<(), HubError> {
    let counts = serde_json::to_string(&summary.counts)
        .map_err(|e| HubError::Postgres(format!("counts: {e}")))?;
    let visits = i64::try_from(summary.visits()).unwrap_or(i64::MAX);
    tx.execute(
        "INSERT INTO day_summaries (device_id, record_id, station, district, station_kind,
             first_day, last_day, visits, counts, received_day)
         SELECT $1, $2, station, district, station_kind, $3, $4, $5, $6, $7
         FROM devices WHERE device_id = $1
         ON CONFLICT (device_id, record_id) DO NOTHING",
        &[
            &record.device_id,
            &record.id,
            &summary.first_day,
            &summary.last_day,
            &visits,
            &counts,
            &crate::station_time::day(record.received_ms),
        ],
    )
    .map(drop)
    .map_err(failed)
}

impl Storage for PostgresStorage {
    fn add_device(&mut self, device: &NewDevice) -> Result<(), HubError> {
        self.client
            .execute(
                "INSERT INTO devices (device_id, public_key, station, note, added_ms, district,
                     station_kind)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (device_id) DO UPDATE SET
                     station = COALESCE(excluded.station, devices.station),
                     note = COALESCE(excluded.note, devices.note),
                     district = COALESCE(excluded.district, devices.district),
                     station_kind = COALESCE(excluded.station_kind, devices.station_kind)",
                &[
                    &device.device_id,
                    &device.public_key,
                    &device.station,
                    &device.note,
                    &device.added_ms,
                    &device.district,
                    &device.station_kind,
                ],
            )
            .map(drop)
            .map_err(failed)
    }

    fn device(&mut self, device_id: &str) -> Result<Option<Device>, HubError> {
        let row = self
            .client
            .query_opt(
                &format!("{DEVICE_COLUMNS} WHERE device_id = $1"),
                &[&device_id],
            )
            .map_err(failed)?;
        Ok(row.as_ref().map(device_of))
    }

    fn revoke_device(&mut self, device_id: &str, now_ms: i64) -> Result<Option<i64>, HubError> {
        let row = self
            .client
            .query_opt(
                "UPDATE devices SET revoked_ms = COALESCE(revoked_ms, $2) WHERE device_id = $1
                 RETURNING revoked_ms",
                &[&device_id, &now_ms],
            )
            .map_err(failed)?;
        Ok(row.map(|row| row.get(0)))
    }

    fn devices(&mut self) -> Result<Vec<Device>, HubError> {
        let rows = self
            .client
            .query(&format!("{DEVICE_COLUMNS} ORDER BY device_id"), &[])
            .map_err(failed)?;
        Ok(rows.iter().map(device_of).collect())
    }

    fn ingest(&mut self, records: &[NewRecord]) -> Result<Vec<Outcome>, HubError> {
        // Read before anything is written: a summary that does not check is the caller's
        // mistake (the receiver rejects those), and the whole slice is refused.
        let summaries = records
            .iter()
            .map(|record| {
                summaries::summary_of(record)
                    .map_err(|reason| HubError::Storage(format!("record {}: {reason}", record.id)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut tx = self.client.transaction().map_err(failed)?;
        let mut outcomes = Vec::with_capacity(records.len());
        for (record, summary) in records.iter().zip(&summaries) {
            outcomes.push(store_record(&mut tx, record, summary.as_ref())?);
        }
        tx.commit().map_err(failed)?;
        Ok(outcomes)
    }

    fn summaries(&mut self) -> Result<Vec<StoredSummary>, HubError> {
        self.client
            .query(
                &format!("{SUMMARY_COLUMNS} ORDER BY device_id, first_day, last_day, record_id"),
                &[],
            )
            .map_err(failed)?
            .iter()
            .map(summary_of)
            .collect()
    }

    fn summaries_between(
        &mut self,
        first_from: &str,
        first_to: &str,
    ) -> Result<Vec<StoredSummary>, HubError> {
        self.client
            .query(
                &format!(
                    "{SUMMARY_COLUMNS} WHERE first_day >= $1 AND first_day <= $2
                     ORDER BY device_id, first_day, last_day, record_id"
                ),
                &[&first_from, &first_to],
            )
            .map_err(failed)?
            .iter()
            .map(summary_of)
            .collect()
    }

    fn summaries_received_after(
        &mut self,
        first_from: &str,
        first_to: &str,
        received_after: &str,
    ) -> Result<u64, HubError> {
        let row = self
            .client
            .query_one(
                "SELECT COUNT(*) FROM day_summaries
                 WHERE first_day >= $1 AND first_day <= $2 AND received_day > $3",
                &[&first_from, &first_to, &received_after],
            )
            .map_err(failed)?;
        Ok(count(row.get(0)))
    }

    fn counts(&mut self) -> Result<Vec<KindCount>, HubError> {
        let rows = self
            .client
            .query(
                "SELECT device_id, kind, COUNT(*) FROM records GROUP BY device_id, kind
                 UNION ALL
                 SELECT device_id, 'heartbeat', SUM(heartbeats)::BIGINT FROM heartbeat_days
                 GROUP BY device_id
                 ORDER BY 1, 2",
                &[],
            )
            .map_err(failed)?;
        Ok(rows
            .iter()
            .map(|row| KindCount {
                device_id: row.get(0),
                kind: row.get(1),
                records: count(row.get(2)),
            })
            .collect())
    }

    fn records(&mut self) -> Result<Vec<StoredRecord>, HubError> {
        self.client
            .query(
                &format!("{RECORD_COLUMNS} UNION ALL {HEARTBEAT_COLUMNS} ORDER BY 2, 3, 1"),
                &[],
            )
            .map_err(failed)?
            .iter()
            .map(record_of)
            .collect()
    }

    fn latest_heartbeats(&mut self) -> Result<Vec<StoredRecord>, HubError> {
        self.client
            .query(&format!("{HEARTBEAT_COLUMNS} ORDER BY device_id"), &[])
            .map_err(failed)?
            .iter()
            .map(record_of)
            .collect()
    }

    fn heartbeat_days(
        &mut self,
        from_day: &str,
        to_day: &str,
    ) -> Result<Vec<HeartbeatDay>, HubError> {
        let rows = self
            .client
            .query(
                "SELECT device_id, day, heartbeats, first_received_ms, last_received_ms
                 FROM heartbeat_days WHERE day >= $1 AND day <= $2 ORDER BY device_id, day",
                &[&from_day, &to_day],
            )
            .map_err(failed)?;
        Ok(rows
            .iter()
            .map(|row| HeartbeatDay {
                device_id: row.get(0),
                day: row.get(1),
                heartbeats: count(row.get(2)),
                first_received_ms: row.get(3),
                last_received_ms: row.get(4),
            })
            .collect())
    }

    fn bundle(&mut self) -> Result<Option<Vec<u8>>, HubError> {
        let row = self
            .client
            .query_opt("SELECT bytes FROM served_bundle WHERE id = 1", &[])
            .map_err(failed)?;
        Ok(row.map(|row| row.get(0)))
    }

    fn set_bundle(&mut self, bytes: &[u8]) -> Result<(), HubError> {
        // One statement: a kiosk fetching meanwhile gets the old bundle or the new one.
        self.client
            .execute(
                "INSERT INTO served_bundle (id, bytes) VALUES (1, $1)
                 ON CONFLICT (id) DO UPDATE SET bytes = excluded.bytes",
                &[&bytes],
            )
            .map(drop)
            .map_err(failed)
    }

    fn add_image(&mut self, image: &Image) -> Result<bool, HubError> {
        self.client
            .execute(
                "INSERT INTO images (version, sha256, size, file_name, added_ms)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (version) DO NOTHING",
                &[
                    &image.version,
                    &image.sha256,
                    &(image.size as i64),
                    &image.file_name,
                    &image.added_ms,
                ],
            )
            .map(|inserted| inserted == 1)
            .map_err(failed)
    }

    fn images(&mut self) -> Result<Vec<Image>, HubError> {
        let rows = self
            .client
            .query(
                "SELECT version, sha256, size, file_name, added_ms FROM images
                 ORDER BY added_ms, version",
                &[],
            )
            .map_err(failed)?;
        Ok(rows
            .iter()
            .map(|row| Image {
                version: row.get(0),
                sha256: row.get(1),
                size: count(row.get(2)),
                file_name: row.get(3),
                added_ms: row.get(4),
            })
            .collect())
    }

    fn add_rollout(
        &mut self,
        version: &str,
        scopes: &[Scope],
        now_ms: i64,
    ) -> Result<(), HubError> {
        let mut tx = self.client.transaction().map_err(failed)?;
        for scope in scopes {
            let (kind, name) = scope.columns();
            tx.execute(
                "INSERT INTO rollouts (version, scope, name, created_ms) VALUES ($1, $2, $3, $4)",
                &[&version, &kind, &name, &now_ms],
            )
            .map_err(failed)?;
        }
        tx.commit().map_err(failed)
    }

    fn rollouts(&mut self) -> Result<Vec<Rollout>, HubError> {
        let rows = self
            .client
            .query(
                "SELECT id, version, scope, name, created_ms FROM rollouts ORDER BY created_ms, id",
                &[],
            )
            .map_err(failed)?;
        rows.iter()
            .map(|row| {
                let kind: String = row.get(2);
                Ok(Rollout {
                    id: row.get(0),
                    version: row.get(1),
                    scope: Scope::from_columns(&kind, row.get(3))
                        .ok_or_else(|| bad("rollout scope", &kind))?,
                    created_ms: row.get(4),
                })
            })
            .collect()
    }

    fn set_remote_help(&mut self, help: &RemoteHelp) -> Result<(), HubError> {
        let mut tx = self.client.transaction().map_err(failed)?;
        tx.execute(
            "INSERT INTO remote_help (device_id, until_ms, granted_by, granted_ms)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (device_id) DO UPDATE SET until_ms = excluded.until_ms,
                 granted_by = excluded.granted_by, granted_ms = excluded.granted_ms",
            &[
                &help.device_id,
                &help.until_ms,
                &help.granted_by,
                &help.granted_ms,
            ],
        )
        .map_err(failed)?;
        insert_audit(&mut tx, &remote_help_on_audit(help))?;
        tx.commit().map_err(failed)
    }

    fn end_remote_help(
        &mut self,
        device_id: &str,
        by: &str,
        now_ms: i64,
    ) -> Result<bool, HubError> {
        let mut tx = self.client.transaction().map_err(failed)?;
        let in_force = tx
            .execute(
                "DELETE FROM remote_help WHERE device_id = $1 AND until_ms > $2",
                &[&device_id, &now_ms],
            )
            .map_err(failed)?
            == 1;
        tx.execute(
            "DELETE FROM remote_help WHERE device_id = $1",
            &[&device_id],
        )
        .map_err(failed)?;
        if in_force {
            insert_audit(&mut tx, &remote_help_off_audit(device_id, by, now_ms))?;
        }
        tx.commit().map_err(failed)?;
        Ok(in_force)
    }

    fn remote_helps(&mut self) -> Result<Vec<RemoteHelp>, HubError> {
        let rows = self
            .client
            .query(
                "SELECT device_id, until_ms, granted_by, granted_ms FROM remote_help
                 ORDER BY device_id",
                &[],
            )
            .map_err(failed)?;
        Ok(rows
            .iter()
            .map(|row| RemoteHelp {
                device_id: row.get(0),
                until_ms: row.get(1),
                granted_by: row.get(2),
                granted_ms: row.get(3),
            })
            .collect())
    }

    fn webhook(&mut self) -> Result<Option<Webhook>, HubError> {
        let Some(row) = self
            .client
            .query_opt("SELECT url, format FROM alert_webhook WHERE id = 1", &[])
            .map_err(failed)?
        else {
            return Ok(None);
        };
        let format: String = row.get(1);
        Ok(Some(Webhook {
            url: row.get(0),
            format: WebhookFormat::parse(&format).ok_or_else(|| bad("webhook format", &format))?,
        }))
    }

    fn set_webhook(&mut self, webhook: Option<&Webhook>, now_ms: i64) -> Result<(), HubError> {
        let result = match webhook {
            Some(webhook) => self.client.execute(
                "INSERT INTO alert_webhook (id, url, format, set_ms) VALUES (1, $1, $2, $3)
                 ON CONFLICT (id) DO UPDATE SET
                     url = excluded.url, format = excluded.format, set_ms = excluded.set_ms",
                &[&webhook.url, &webhook.format.as_str(), &now_ms],
            ),
            None => self.client.execute("DELETE FROM alert_webhook", &[]),
        };
        result.map(drop).map_err(failed)
    }

    fn alert(&mut self, device_id: &str, record_id: &str) -> Result<Option<Alert>, HubError> {
        self.client
            .query_opt(
                &format!("{ALERT_COLUMNS} WHERE device_id = $1 AND record_id = $2"),
                &[&device_id, &record_id],
            )
            .map_err(failed)?
            .as_ref()
            .map(alert_of)
            .transpose()
    }

    fn alerts(&mut self, since_ms: Option<i64>, limit: usize) -> Result<Vec<Alert>, HubError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.client
            .query(
                &format!(
                    "{ALERT_COLUMNS} WHERE at_ms >= $1 ORDER BY at_ms DESC, record_id LIMIT $2"
                ),
                &[&since_ms.unwrap_or(i64::MIN), &limit],
            )
            .map_err(failed)?
            .iter()
            .map(alert_of)
            .collect()
    }

    fn note_forwards(&mut self, notes: &[ForwardNote<'_>], now_ms: i64) -> Result<(), HubError> {
        let mut tx = self.client.transaction().map_err(failed)?;
        for note in notes {
            let (forwarded, error) = match note.outcome {
                Ok(()) => (Some(now_ms), None),
                Err(reason) => (None, Some(reason)),
            };
            tx.execute(
                "UPDATE alerts SET
                     forwarded_ms = COALESCE(forwarded_ms, $2),
                     attempts = attempts + $3,
                     last_error = CASE WHEN COALESCE(forwarded_ms, $2) IS NULL THEN $4
                         ELSE NULL END
                 WHERE record_id = $1 AND device_id = $5",
                &[
                    &note.record_id,
                    &forwarded,
                    &i64::from(note.attempted),
                    &error,
                    &note.device_id,
                ],
            )
            .map_err(failed)?;
        }
        tx.commit().map_err(failed)
    }

    fn watch_fleet(
        &mut self,
        now_ms: i64,
        find: &mut FindProblems<'_>,
    ) -> Result<Vec<Alert>, HubError> {
        let mut tx = self.client.transaction().map_err(failed)?;
        // One pass at a time, across every hub process on this database; the lock ends with
        // the transaction. Then the reads: passes see each other's alerts in order.
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WATCH_LOCK])
            .map_err(failed)?;
        let devices: Vec<Device> = tx
            .query(&format!("{DEVICE_COLUMNS} ORDER BY device_id"), &[])
            .map_err(failed)?
            .iter()
            .map(device_of)
            .collect();
        let heartbeats = tx
            .query(&format!("{HEARTBEAT_COLUMNS} ORDER BY device_id"), &[])
            .map_err(failed)?
            .iter()
            .map(record_of)
            .collect::<Result<Vec<_>, _>>()?;
        let found = find(&devices, &heartbeats);
        let open: Vec<OpenWatch> = tx
            .query(
                "SELECT device_id, record_id, kind FROM alerts
                 WHERE via = 'watch' AND cleared_ms IS NULL",
                &[],
            )
            .map_err(failed)?
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect();
        let (to_close, to_raise) = watch_changes(&open, &found, now_ms);
        for (device_id, record_id, _) in to_close {
            tx.execute(
                "UPDATE alerts SET cleared_ms = $3 WHERE device_id = $1 AND record_id = $2",
                &[device_id, record_id, &now_ms],
            )
            .map_err(failed)?;
        }
        let mut raised = Vec::new();
        for (problem, record_id) in to_raise {
            tx.execute(
                "INSERT INTO alerts (record_id, device_id, station, kind, at_ms, received_ms,
                     via)
                 VALUES ($1, $2, $3, $4, $5, $5, 'watch')",
                &[
                    &record_id,
                    &problem.device_id,
                    &problem.station,
                    &problem.kind,
                    &now_ms,
                ],
            )
            .map_err(failed)?;
            raised.push((problem.device_id.clone(), record_id));
        }
        tx.commit().map_err(failed)?;
        let mut alerts = Vec::with_capacity(raised.len());
        for (device_id, record_id) in raised {
            alerts.extend(self.alert(&device_id, &record_id)?);
        }
        Ok(alerts)
    }

    fn acknowledge_alert(
        &mut self,
        device_id: &str,
        record_id: &str,
        by: &str,
        now_ms: i64,
    ) -> Result<bool, HubError> {
        let mut tx = self.client.transaction().map_err(failed)?;
        let marked = tx
            .query_opt(
                "UPDATE alerts SET acknowledged_ms = $3, acknowledged_by = $4
                 WHERE device_id = $1 AND record_id = $2 AND acknowledged_ms IS NULL
                 RETURNING station",
                &[&device_id, &record_id, &now_ms, &by],
            )
            .map_err(failed)?;
        if let Some(row) = &marked {
            let station: String = row.get(0);
            insert_audit(
                &mut tx,
                &AuditEntry {
                    at_ms: now_ms,
                    actor: by.to_string(),
                    action: "alert acknowledged".into(),
                    detail: format!("{station} ({device_id} {record_id})"),
                },
            )?;
        }
        tx.commit().map_err(failed)?;
        Ok(marked.is_some())
    }

    fn remove_user(&mut self, name: &str, by: &str, now_ms: i64) -> Result<bool, HubError> {
        let mut tx = self.client.transaction().map_err(failed)?;
        tx.execute("DELETE FROM sessions WHERE user_name = $1", &[&name])
            .map_err(failed)?;
        let removed = tx
            .execute("DELETE FROM users WHERE name = $1", &[&name])
            .map_err(failed)?
            == 1;
        if removed {
            insert_audit(
                &mut tx,
                &AuditEntry {
                    at_ms: now_ms,
                    actor: by.to_string(),
                    action: "account removed".into(),
                    detail: name.to_string(),
                },
            )?;
        }
        tx.commit().map_err(failed)?;
        Ok(removed)
    }

    fn add_user(&mut self, user: &User, by: &str) -> Result<(), HubError> {
        let mut tx = self.client.transaction().map_err(failed)?;
        let added = tx
            .execute(
                "INSERT INTO users (name, role, password_hash, added_ms) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (name) DO NOTHING",
                &[
                    &user.name,
                    &user.role.as_str(),
                    &user.password_hash,
                    &user.added_ms,
                ],
            )
            .map_err(failed)?;
        if added == 0 {
            return Err(HubError::UserExists(user.name.clone()));
        }
        insert_audit(
            &mut tx,
            &AuditEntry {
                at_ms: user.added_ms,
                actor: by.to_string(),
                action: "account added".into(),
                detail: format!("{} ({})", user.name, user.role.as_str()),
            },
        )?;
        tx.commit().map_err(failed)
    }

    fn user(&mut self, name: &str) -> Result<Option<User>, HubError> {
        let row = self
            .client
            .query_opt(&format!("{USER_COLUMNS} WHERE name = $1"), &[&name])
            .map_err(failed)?;
        Ok(row.as_ref().map(user_of))
    }

    fn users(&mut self) -> Result<Vec<User>, HubError> {
        let rows = self
            .client
            .query(&format!("{USER_COLUMNS} ORDER BY name"), &[])
            .map_err(failed)?;
        Ok(rows.iter().map(user_of).collect())
    }

    fn audit(&mut self, entry: &AuditEntry) -> Result<(), HubError> {
        insert_audit(&mut self.client, entry)
    }

    fn audit_log(&mut self, limit: usize) -> Result<Vec<AuditEntry>, HubError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self
            .client
            .query(
                "SELECT at_ms, actor, action, detail FROM audit_log
                 ORDER BY at_ms DESC, line DESC LIMIT $1",
                &[&limit],
            )
            .map_err(failed)?;
        Ok(rows
            .iter()
            .map(|row| AuditEntry {
                at_ms: row.get(0),
                actor: row.get(1),
                action: row.get(2),
                detail: row.get(3),
            })
            .collect())
    }

    fn add_session(&mut self, session: &Session) -> Result<(), HubError> {
        self.client
            .execute(
                "INSERT INTO sessions (token_hash, user_name, csrf, expires_ms)
                 VALUES ($1, $2, $3, $4)",
                &[
                    &session.token_hash,
                    &session.user_name,
                    &session.csrf,
                    &session.expires_ms,
                ],
            )
            .map(drop)
            .map_err(failed)
    }

    fn session(
        &mut self,
        token_hash: &str,
        now_ms: i64,
    ) -> Result<Option<(Session, User)>, HubError> {
        self.client
            .execute("DELETE FROM sessions WHERE expires_ms <= $1", &[&now_ms])
            .map_err(failed)?;
        let row = self
            .client
            .query_opt(
                "SELECT token_hash, user_name, csrf, expires_ms FROM sessions
                 WHERE token_hash = $1",
                &[&token_hash],
            )
            .map_err(failed)?;
        let Some(row) = row else {
            return Ok(None);
        };
        let session = Session {
            token_hash: row.get(0),
            user_name: row.get(1),
            csrf: row.get(2),
            expires_ms: row.get(3),
        };
        Ok(self.user(&session.user_name)?.map(|user| (session, user)))
    }

    fn end_session(&mut self, token_hash: &str) -> Result<(), HubError> {
        self.client
            .execute("DELETE FROM sessions WHERE token_hash = $1", &[&token_hash])
            .map(drop)
            .map_err(failed)
    }

    fn note_wrong_password(&mut self, name: &str, now_ms: i64) -> Result<(), HubError> {
        self.client
            .execute(
                "INSERT INTO wrong_passwords (name, at_ms) VALUES ($1, $2)",
                &[&name, &now_ms],
            )
            .map(drop)
            .map_err(failed)
    }

    fn wrong_passwords(&mut self, name: &str, since_ms: i64) -> Result<Vec<i64>, HubError> {
        let rows = self
            .client
            .query(
                "SELECT at_ms FROM wrong_passwords WHERE name = $1 AND at_ms >= $2
                 ORDER BY at_ms",
                &[&name, &since_ms],
            )
            .map_err(failed)?;
        Ok(rows.iter().map(|row| row.get(0)).collect())
    }
}
