//! The [`Storage`] the hub ships with: one SQLite file, `hub.db`, in the data folder, and the
//! bundle as a plain file, `bundle.json`, beside it.
//!
//! The database runs in WAL mode with `synchronous=FULL`, as the kiosk's does: a batch's
//! transaction is on disk when `commit` returns, so a record the hub has acknowledged survives
//! a power cut. The SQL sticks to what SQLite and PostgreSQL both understand (plain types,
//! `ON CONFLICT ... DO NOTHING` rather than `INSERT OR IGNORE`, no `STRICT` or `AUTOINCREMENT`),
//! so that a PostgreSQL implementation of the trait can reuse the schema and the statements.

use std::fs;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, params};
use rusqlite_migration::{M, Migrations};
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
use crate::{BUNDLE_FILE, DB_FILE, HubError, summaries};

/// The schema, as an append-only list: never edit a migration that has shipped, add one at the
/// end. `rusqlite_migration` keeps the applied count in SQLite's `user_version`.
const MIGRATIONS: &[M<'static>] = &[
    // 1: devices and records.
    M::up(
        "CREATE TABLE devices (
            -- 'ws-' and 16 hex digits, derived from the public key (see the protocol crate).
            device_id TEXT PRIMARY KEY,
            -- The Ed25519 public key, base64.
            public_key TEXT NOT NULL,
            station TEXT,
            note TEXT,
            added_ms BIGINT NOT NULL
        );
        CREATE TABLE records (
            -- The record's permanent id (UUID, canonical text form): the key it is
            -- deduplicated on forever.
            id TEXT PRIMARY KEY,
            device_id TEXT NOT NULL REFERENCES devices (device_id),
            seq BIGINT NOT NULL,
            kind TEXT NOT NULL,
            schema_version BIGINT NOT NULL,
            day TEXT NOT NULL,
            -- The decrypted payload, as JSON text.
            payload TEXT NOT NULL,
            -- The kiosk's clocks when the record was made.
            created_wall_ms BIGINT NOT NULL,
            created_synced INTEGER NOT NULL CHECK (created_synced IN (0, 1)),
            created_boot_id TEXT NOT NULL,
            created_monotonic_ms BIGINT NOT NULL,
            -- The hub's clock on arrival, and the best wall time for the record.
            received_ms BIGINT NOT NULL,
            corrected_ms BIGINT NOT NULL,
            time_source TEXT NOT NULL,
            via TEXT NOT NULL CHECK (via IN ('network', 'import'))
        );
        CREATE INDEX records_by_device ON records (device_id, kind, seq);",
    ),
    // 2: workers' calls for staff and the webhook they are passed on to.
    M::up(
        "CREATE TABLE alerts (
            -- The staff_alert record this alert came in.
            record_id TEXT PRIMARY KEY REFERENCES records (id),
            device_id TEXT NOT NULL,
            station TEXT NOT NULL,
            kind TEXT NOT NULL,
            -- The record's corrected time, and the hub's clock on arrival.
            at_ms BIGINT NOT NULL,
            received_ms BIGINT NOT NULL,
            via TEXT NOT NULL CHECK (via IN ('network', 'import')),
            -- When the webhook accepted it; NULL while it has not been passed on.
            forwarded_ms BIGINT,
            attempts BIGINT NOT NULL DEFAULT 0,
            last_error TEXT
        );
        CREATE INDEX alerts_by_time ON alerts (at_ms);
        -- At most one row: where alerts are posted.
        CREATE TABLE alert_webhook (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            url TEXT NOT NULL,
            format TEXT NOT NULL CHECK (format IN ('json', 'wecom')),
            set_ms BIGINT NOT NULL
        );",
    ),
    // 3: records are deduplicated per device: the key is (device_id, id), not id alone, so
    // that a kiosk sending another's record ids first cannot make that kiosk's records vanish
    // as "duplicates". The tables are rebuilt (SQLite cannot change a primary key in place)
    // and every row is copied; alerts follow their records.
    M::up(
        "CREATE TABLE records_v3 (
            -- The record's permanent id (UUID, canonical text form); with the device id, the
            -- key it is deduplicated on forever.
            id TEXT NOT NULL,
            device_id TEXT NOT NULL REFERENCES devices (device_id),
            seq BIGINT NOT NULL,
            kind TEXT NOT NULL,
            schema_version BIGINT NOT NULL,
            day TEXT NOT NULL,
            payload TEXT NOT NULL,
            created_wall_ms BIGINT NOT NULL,
            created_synced INTEGER NOT NULL CHECK (created_synced IN (0, 1)),
            created_boot_id TEXT NOT NULL,
            created_monotonic_ms BIGINT NOT NULL,
            received_ms BIGINT NOT NULL,
            corrected_ms BIGINT NOT NULL,
            time_source TEXT NOT NULL,
            via TEXT NOT NULL CHECK (via IN ('network', 'import')),
            PRIMARY KEY (device_id, id)
        );
        INSERT INTO records_v3 (id, device_id, seq, kind, schema_version, day, payload,
            created_wall_ms, created_synced, created_boot_id, created_monotonic_ms,
            received_ms, corrected_ms, time_source, via)
        SELECT id, device_id, seq, kind, schema_version, day, payload,
            created_wall_ms, created_synced, created_boot_id, created_monotonic_ms,
            received_ms, corrected_ms, time_source, via
        FROM records;
        CREATE TABLE alerts_v3 (
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
            PRIMARY KEY (device_id, record_id),
            FOREIGN KEY (device_id, record_id) REFERENCES records_v3 (device_id, id)
        );
        INSERT INTO alerts_v3 (record_id, device_id, station, kind, at_ms, received_ms, via,
            forwarded_ms, attempts, last_error)
        SELECT record_id, device_id, station, kind, at_ms, received_ms, via,
            forwarded_ms, attempts, last_error
        FROM alerts;
        DROP TABLE alerts;
        DROP TABLE records;
        ALTER TABLE records_v3 RENAME TO records;
        ALTER TABLE alerts_v3 RENAME TO alerts;
        CREATE INDEX records_by_device ON records (device_id, kind, seq);
        CREATE INDEX alerts_by_time ON alerts (at_ms);",
    ),
    // 4: revoked devices. NULL while the device may send.
    M::up("ALTER TABLE devices ADD COLUMN revoked_ms BIGINT;"),
    // 5: day summaries (issue 16): one row beside each day_summary record, so that the
    // centre's totals can be read and grouped without opening every record's payload.
    M::up(
        "CREATE TABLE day_summaries (
            device_id TEXT NOT NULL,
            record_id TEXT NOT NULL,
            -- The station the device was registered at when the summary arrived, if any.
            station TEXT,
            -- The Shanghai days it covers, both included, YYYY-MM-DD.
            first_day TEXT NOT NULL,
            last_day TEXT NOT NULL,
            visits BIGINT NOT NULL,
            -- Its counts as JSON: metric, then key, then how many.
            counts TEXT NOT NULL,
            -- The Shanghai day it arrived: no finer time is kept about a summary.
            received_day TEXT NOT NULL,
            PRIMARY KEY (device_id, record_id),
            FOREIGN KEY (device_id, record_id) REFERENCES records (device_id, id)
        );
        CREATE INDEX day_summaries_by_day ON day_summaries (first_day, last_day);",
    ),
    // 6: the centre's staff accounts and the audit log of what they do (issue 18).
    M::up(
        "CREATE TABLE users (
            name TEXT PRIMARY KEY,
            role TEXT NOT NULL,
            -- Argon2id in PHC form; never the password.
            password_hash TEXT NOT NULL,
            added_ms BIGINT NOT NULL
        );
        CREATE TABLE audit_log (
            at_ms BIGINT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            detail TEXT NOT NULL
        );
        CREATE INDEX audit_log_by_time ON audit_log (at_ms);",
    ),
    // 7: the dashboard's sessions and the wrong passwords that slow sign-in down.
    M::up(
        "CREATE TABLE sessions (
            -- SHA-256 of the cookie's token, hex; never the token.
            token_hash TEXT PRIMARY KEY,
            user_name TEXT NOT NULL REFERENCES users (name),
            csrf TEXT NOT NULL,
            expires_ms BIGINT NOT NULL
        );
        CREATE TABLE wrong_passwords (
            name TEXT NOT NULL,
            at_ms BIGINT NOT NULL
        );
        CREATE INDEX wrong_passwords_by_name ON wrong_passwords (name, at_ms);",
    ),
    // 8: an alert marked handled in the dashboard, when and by whom.
    M::up(
        "ALTER TABLE alerts ADD COLUMN acknowledged_ms BIGINT;
        ALTER TABLE alerts ADD COLUMN acknowledged_by TEXT;",
    ),
    // 9: heartbeats are no longer kept one row each (a thousand kiosks send 35 million a
    // year): each device's newest, and a count per device and day. Those already stored are
    // rolled up and their rows removed, in the migration's transaction.
    M::up(
        "CREATE TABLE heartbeat_latest (
            device_id TEXT PRIMARY KEY REFERENCES devices (device_id),
            id TEXT NOT NULL,
            seq BIGINT NOT NULL,
            schema_version BIGINT NOT NULL,
            day TEXT NOT NULL,
            payload TEXT NOT NULL,
            created_wall_ms BIGINT NOT NULL,
            created_synced INTEGER NOT NULL CHECK (created_synced IN (0, 1)),
            created_boot_id TEXT NOT NULL,
            created_monotonic_ms BIGINT NOT NULL,
            received_ms BIGINT NOT NULL,
            corrected_ms BIGINT NOT NULL,
            time_source TEXT NOT NULL,
            via TEXT NOT NULL CHECK (via IN ('network', 'import'))
        );
        CREATE TABLE heartbeat_days (
            device_id TEXT NOT NULL REFERENCES devices (device_id),
            -- The heartbeats' own day (the kiosk's, Shanghai), YYYY-MM-DD.
            day TEXT NOT NULL,
            heartbeats BIGINT NOT NULL,
            first_received_ms BIGINT NOT NULL,
            last_received_ms BIGINT NOT NULL,
            PRIMARY KEY (device_id, day)
        );
        INSERT INTO heartbeat_days (device_id, day, heartbeats, first_received_ms,
            last_received_ms)
        SELECT device_id, day, COUNT(*), MIN(received_ms), MAX(received_ms)
        FROM records WHERE kind = 'heartbeat' GROUP BY device_id, day;
        INSERT INTO heartbeat_latest (device_id, id, seq, schema_version, day, payload,
            created_wall_ms, created_synced, created_boot_id, created_monotonic_ms,
            received_ms, corrected_ms, time_source, via)
        SELECT device_id, id, seq, schema_version, day, payload,
            created_wall_ms, created_synced, created_boot_id, created_monotonic_ms,
            received_ms, corrected_ms, time_source, via
        FROM records AS beat WHERE kind = 'heartbeat' AND seq = (
            SELECT MAX(seq) FROM records AS newer
            WHERE newer.device_id = beat.device_id AND newer.kind = 'heartbeat')
        ON CONFLICT (device_id) DO NOTHING;
        DELETE FROM records WHERE kind = 'heartbeat';",
    ),
    // 10: the hub raises alerts of its own about the fleet (a kiosk silent, out of paper, its
    // printer at fault, its directory expired), beside the workers' calls: an alert need not
    // come in a record (via 'watch'), and such an alert is closed when its problem is gone.
    // SQLite cannot drop a foreign key or change a check in place, so the table is rebuilt.
    M::up(
        "CREATE TABLE alerts_v10 (
            -- The staff_alert record the alert came in, or for the hub's own an id of its own.
            record_id TEXT NOT NULL,
            device_id TEXT NOT NULL REFERENCES devices (device_id),
            station TEXT NOT NULL,
            kind TEXT NOT NULL,
            at_ms BIGINT NOT NULL,
            received_ms BIGINT NOT NULL,
            via TEXT NOT NULL CHECK (via IN ('network', 'import', 'watch')),
            forwarded_ms BIGINT,
            attempts BIGINT NOT NULL DEFAULT 0,
            last_error TEXT,
            acknowledged_ms BIGINT,
            acknowledged_by TEXT,
            -- When the watch no longer found the problem; NULL while it is open.
            cleared_ms BIGINT,
            PRIMARY KEY (device_id, record_id)
        );
        INSERT INTO alerts_v10 (record_id, device_id, station, kind, at_ms, received_ms, via,
            forwarded_ms, attempts, last_error, acknowledged_ms, acknowledged_by)
        SELECT record_id, device_id, station, kind, at_ms, received_ms, via,
            forwarded_ms, attempts, last_error, acknowledged_ms, acknowledged_by
        FROM alerts;
        DROP TABLE alerts;
        ALTER TABLE alerts_v10 RENAME TO alerts;
        CREATE INDEX alerts_by_time ON alerts (at_ms);
        CREATE INDEX alerts_open_watch ON alerts (via, cleared_ms);",
    ),
    // 11: a station's district and kind, given when its kiosk is registered, and kept with
    // each day summary as they were when it arrived (as its station is), for the figures by
    // district and by kind within a district.
    M::up(
        "ALTER TABLE devices ADD COLUMN district TEXT;
        ALTER TABLE devices ADD COLUMN station_kind TEXT;
        ALTER TABLE day_summaries ADD COLUMN district TEXT;
        ALTER TABLE day_summaries ADD COLUMN station_kind TEXT;
        -- The overview counts the summaries that came after their week settled: an index it
        -- can answer from alone.
        CREATE INDEX day_summaries_by_received ON day_summaries (first_day, received_day);",
    ),
    // 12: image updates: the bundles the hub holds (the bytes are files in `images/`) and
    // the rollouts that say which kiosks should run which.
    M::up(
        "CREATE TABLE images (
            version TEXT PRIMARY KEY,
            sha256 TEXT NOT NULL,
            size BIGINT NOT NULL,
            file_name TEXT NOT NULL,
            added_ms BIGINT NOT NULL
        );
        CREATE TABLE rollouts (
            id INTEGER PRIMARY KEY,
            version TEXT NOT NULL REFERENCES images (version),
            scope TEXT NOT NULL CHECK (scope IN ('all', 'district', 'kiosk')),
            -- The district's or the kiosk's name; NULL for all.
            name TEXT,
            created_ms BIGINT NOT NULL
        );",
    ),
    // 13: remote help switched on for a kiosk, until when and by whom (docs/remote-help.md);
    // switching it off deletes the row, and the audit log keeps both.
    M::up(
        "CREATE TABLE remote_help (
            device_id TEXT PRIMARY KEY REFERENCES devices (device_id),
            until_ms BIGINT NOT NULL,
            granted_by TEXT NOT NULL,
            granted_ms BIGINT NOT NULL
        );",
    ),
];

/// Begins a transaction that will write, taking the write lock at once (`BEGIN IMMEDIATE`):
/// the hub keeps two connections (`Place::connections`), and a deferred transaction that read
/// first is refused at once with "database is locked" if the other wrote in between, past any
/// busy timeout; taken at the start, the lock is waited for. (The kiosk's store does the same,
/// `store::begin_write`.)
fn begin_write(conn: &mut Connection) -> rusqlite::Result<rusqlite::Transaction<'_>> {
    conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
}

const USER_COLUMNS: &str = "SELECT name, role, password_hash, added_ms FROM users";

fn user_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<User> {
    let role: String = row.get(1)?;
    Ok(User {
        name: row.get(0)?,
        // Only `Role::as_str` writes this column; an unknown word (a newer hub's role) gets
        // the least access.
        role: Role::parse(&role).unwrap_or(Role::Viewer),
        password_hash: row.get(2)?,
        added_ms: row.get(3)?,
    })
}

fn insert_audit(conn: &Connection, entry: &AuditEntry) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO audit_log (at_ms, actor, action, detail) VALUES (?1, ?2, ?3, ?4)",
        params![entry.at_ms, entry.actor, entry.action, entry.detail],
    )
    .map(drop)
}

const RECORD_COLUMNS: &str = "SELECT id, device_id, seq, kind, schema_version, day, payload,
     created_wall_ms, created_synced, created_boot_id, created_monotonic_ms,
     received_ms, corrected_ms, time_source, via
 FROM records";

/// The newest heartbeats as records, in the order [`record_row`] reads them.
const HEARTBEAT_COLUMNS: &str = "SELECT id, device_id, seq, 'heartbeat', schema_version, day,
     payload, created_wall_ms, created_synced, created_boot_id, created_monotonic_ms,
     received_ms, corrected_ms, time_source, via
 FROM heartbeat_latest";

fn record_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<StoredRecord> {
    let payload: String = row.get(6)?;
    let source: String = row.get(13)?;
    let via: String = row.get(14)?;
    Ok(StoredRecord {
        id: row.get(0)?,
        device_id: row.get(1)?,
        seq: row.get(2)?,
        kind: row.get(3)?,
        schema_version: row.get(4)?,
        day: row.get(5)?,
        payload: serde_json::from_str(&payload).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(6, rusqlite::types::Type::Text, Box::new(e))
        })?,
        created: ClockStamp {
            wall_ms: row.get(7)?,
            synced: row.get(8)?,
            boot_id: row.get(9)?,
            monotonic_ms: row.get(10)?,
        },
        received_ms: row.get(11)?,
        corrected_ms: row.get(12)?,
        time_source: parse_time_source(&source)
            .ok_or_else(|| bad_text(13, "time source", &source))?,
        via: Via::parse(&via).ok_or_else(|| bad_text(14, "arrival", &via))?,
    })
}

pub struct SqliteStorage {
    conn: Connection,
    /// The database file, for error messages.
    path: PathBuf,
    data_dir: PathBuf,
}

impl SqliteStorage {
    /// Opens the database in an existing data folder, creating it or bringing its schema up to
    /// date as needed. A folder that does not exist is refused rather than created, so that a
    /// mistyped `--data` cannot quietly start a second, empty hub.
    pub fn open(data_dir: &Path) -> Result<SqliteStorage, HubError> {
        if !data_dir.is_dir() {
            return Err(HubError::NoDataDir(data_dir.to_path_buf()));
        }
        let path = data_dir.join(DB_FILE);
        make_private_files(data_dir, &path)?;
        let conn = Connection::open(&path).map_err(|source| HubError::Sqlite {
            path: path.clone(),
            source,
        })?;
        let mut storage = SqliteStorage {
            conn,
            path,
            data_dir: data_dir.to_path_buf(),
        };
        storage.prepare()?;
        Ok(storage)
    }

    fn prepare(&mut self) -> Result<(), HubError> {
        let path = self.path.clone();
        let sqlite = |source| HubError::Sqlite {
            path: path.clone(),
            source,
        };
        // WAL keeps the readers (counts, the command line) and the writer apart; FULL syncs
        // the WAL on every commit, so a batch is durable before the kiosk hears that it is.
        self.conn
            .pragma_update(None, "journal_mode", "WAL")
            .map_err(sqlite)?;
        self.conn
            .pragma_update(None, "synchronous", "FULL")
            .map_err(sqlite)?;
        self.conn
            .pragma_update(None, "foreign_keys", "ON")
            .map_err(sqlite)?;
        // The server and a command such as `devices add` may write at the same moment.
        self.conn
            .busy_timeout(std::time::Duration::from_secs(5))
            .map_err(sqlite)?;
        let known = MIGRATIONS.len();
        let found = self
            .conn
            .pragma_query_value(None, "user_version", |row| row.get::<_, i64>(0))
            .map_err(sqlite)?
            .max(0) as usize;
        if found > known {
            return Err(HubError::TooNew {
                path: self.path.clone(),
                found,
                known,
            });
        }
        Migrations::from_slice(MIGRATIONS)
            .to_latest(&mut self.conn)
            .map_err(|e| HubError::Migration {
                path: self.path.clone(),
                reason: e.to_string(),
            })
    }

    fn sqlite(&self, source: rusqlite::Error) -> HubError {
        HubError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    #[cfg(test)]
    pub(crate) fn connection(&self) -> &Connection {
        &self.conn
    }
}

/// The database holds every decrypted record and the webhook's key: only the hub's user may
/// read it, whatever the umask. The file is made 0600 before SQLite opens it (SQLite gives its
/// `-wal` and `-shm` files the database's mode), and a folder or files made looser before are
/// tightened, which the log says.
fn make_private_files(data_dir: &Path, db: &Path) -> Result<(), HubError> {
    crate::keys::tighten(data_dir, 0o700)?;
    let created = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(db);
    match created {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(source) => {
            return Err(HubError::Io {
                action: "create",
                path: db.to_path_buf(),
                source,
            });
        }
    }
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut name = db.as_os_str().to_owned();
        name.push(suffix);
        crate::keys::tighten(Path::new(&name), 0o600)?;
    }
    Ok(())
}

impl Storage for SqliteStorage {
    fn add_device(&mut self, device: &NewDevice) -> Result<(), HubError> {
        self.conn
            .execute(
                "INSERT INTO devices (device_id, public_key, station, note, added_ms, district,
                     station_kind)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (device_id) DO UPDATE SET
                     station = COALESCE(excluded.station, devices.station),
                     note = COALESCE(excluded.note, devices.note),
                     district = COALESCE(excluded.district, devices.district),
                     station_kind = COALESCE(excluded.station_kind, devices.station_kind)",
                params![
                    device.device_id,
                    device.public_key,
                    device.station,
                    device.note,
                    device.added_ms,
                    device.district,
                    device.station_kind
                ],
            )
            .map(drop)
            .map_err(|e| self.sqlite(e))
    }

    fn device(&mut self, device_id: &str) -> Result<Option<Device>, HubError> {
        self.conn
            .prepare_cached(&format!("{DEVICE_COLUMNS} WHERE device_id = ?1"))
            .and_then(|mut stmt| stmt.query_row([device_id], device_row).optional())
            .map_err(|e| self.sqlite(e))
    }

    fn revoke_device(&mut self, device_id: &str, now_ms: i64) -> Result<Option<i64>, HubError> {
        let write = |conn: &mut Connection| -> rusqlite::Result<Option<i64>> {
            conn.execute(
                "UPDATE devices SET revoked_ms = COALESCE(revoked_ms, ?2) WHERE device_id = ?1",
                params![device_id, now_ms],
            )?;
            conn.query_row(
                "SELECT revoked_ms FROM devices WHERE device_id = ?1",
                [device_id],
                |row| row.get(0),
            )
            .optional()
        };
        write(&mut self.conn).map_err(|e| self.sqlite(e))
    }

    fn devices(&mut self) -> Result<Vec<Device>, HubError> {
        let read = || -> rusqlite::Result<Vec<Device>> {
            let mut stmt = self
                .conn
                .prepare(&format!("{DEVICE_COLUMNS} ORDER BY device_id"))?;
            stmt.query_map([], device_row)?.collect()
        };
        read().map_err(|e| self.sqlite(e))
    }

    fn ingest(&mut self, records: &[NewRecord]) -> Result<Vec<Outcome>, HubError> {
        // Read before anything is written: a summary that does not check here is the caller's
        // mistake (the receiver rejects those), and the whole slice is refused.
        let summaries = records
            .iter()
            .map(|record| {
                summaries::summary_of(record)
                    .map_err(|reason| HubError::Storage(format!("record {}: {reason}", record.id)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let write = |conn: &mut Connection| -> rusqlite::Result<Vec<Outcome>> {
            let tx = begin_write(conn)?;
            let mut outcomes = Vec::with_capacity(records.len());
            {
                let mut insert = tx.prepare_cached(
                    "INSERT INTO records (id, device_id, seq, kind, schema_version, day, payload,
                         created_wall_ms, created_synced, created_boot_id, created_monotonic_ms,
                         received_ms, corrected_ms, time_source, via)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
                     ON CONFLICT (device_id, id) DO NOTHING",
                )?;
                for (record, summary) in records.iter().zip(&summaries) {
                    if record.kind == HEARTBEAT_KIND {
                        outcomes.push(keep_heartbeat(&tx, record)?);
                        continue;
                    }
                    let inserted = insert.execute(params![
                        record.id,
                        record.device_id,
                        record.seq,
                        record.kind,
                        i64::from(record.schema_version),
                        record.day,
                        record.payload.to_string(),
                        record.created.wall_ms,
                        i64::from(record.created.synced),
                        record.created.boot_id,
                        record.created.monotonic_ms,
                        record.received_ms,
                        record.corrected_ms,
                        time_source_name(record.time_source),
                        record.via.as_str(),
                    ])?;
                    if inserted == 1 && record.kind == STAFF_ALERT_KIND {
                        insert_alert(&tx, record)?;
                    }
                    if let (1, Some(summary)) = (inserted, summary) {
                        insert_summary(&tx, record, summary)?;
                    }
                    // No row inserted means this device's id was already there, from before
                    // or from earlier in this very transaction.
                    outcomes.push(if inserted == 1 {
                        Outcome::Stored
                    } else {
                        Outcome::Duplicate
                    });
                }
            }
            tx.commit()?;
            Ok(outcomes)
        };
        write(&mut self.conn).map_err(|e| self.sqlite(e))
    }

    fn summaries(&mut self) -> Result<Vec<StoredSummary>, HubError> {
        let read = || -> rusqlite::Result<Vec<StoredSummary>> {
            let mut stmt = self.conn.prepare(
                "SELECT device_id, record_id, station, first_day, last_day, visits, counts,
                     received_day, district, station_kind
                 FROM day_summaries ORDER BY device_id, first_day, last_day, record_id",
            )?;
            stmt.query_map([], summary_row)?.collect()
        };
        read().map_err(|e| self.sqlite(e))
    }

    fn counts(&mut self) -> Result<Vec<KindCount>, HubError> {
        let read = || -> rusqlite::Result<Vec<KindCount>> {
            let mut stmt = self.conn.prepare(
                "SELECT device_id, kind, COUNT(*) FROM records GROUP BY device_id, kind
                 UNION ALL
                 SELECT device_id, 'heartbeat', SUM(heartbeats) FROM heartbeat_days
                 GROUP BY device_id
                 ORDER BY 1, 2",
            )?;
            stmt.query_map([], |row| {
                Ok(KindCount {
                    device_id: row.get(0)?,
                    kind: row.get(1)?,
                    records: row.get::<_, i64>(2)?.max(0) as u64,
                })
            })?
            .collect()
        };
        read().map_err(|e| self.sqlite(e))
    }

    fn summaries_between(
        &mut self,
        first_from: &str,
        first_to: &str,
    ) -> Result<Vec<StoredSummary>, HubError> {
        let read = || -> rusqlite::Result<Vec<StoredSummary>> {
            let mut stmt = self.conn.prepare_cached(
                "SELECT device_id, record_id, station, first_day, last_day, visits, counts,
                     received_day, district, station_kind
                 FROM day_summaries WHERE first_day >= ?1 AND first_day <= ?2
                 ORDER BY device_id, first_day, last_day, record_id",
            )?;
            stmt.query_map([first_from, first_to], summary_row)?
                .collect()
        };
        read().map_err(|e| self.sqlite(e))
    }

    fn summaries_received_after(
        &mut self,
        first_from: &str,
        first_to: &str,
        received_after: &str,
    ) -> Result<u64, HubError> {
        self.conn
            .prepare_cached(
                "SELECT COUNT(*) FROM day_summaries
                 WHERE first_day >= ?1 AND first_day <= ?2 AND received_day > ?3",
            )
            .and_then(|mut stmt| {
                stmt.query_row([first_from, first_to, received_after], |row| {
                    row.get::<_, i64>(0)
                })
            })
            .map(|n| n.max(0) as u64)
            .map_err(|e| self.sqlite(e))
    }

    fn records(&mut self) -> Result<Vec<StoredRecord>, HubError> {
        let read = || -> rusqlite::Result<Vec<StoredRecord>> {
            let mut stmt = self.conn.prepare(&format!(
                "{RECORD_COLUMNS} UNION ALL {HEARTBEAT_COLUMNS} ORDER BY 2, 3, 1"
            ))?;
            stmt.query_map([], record_row)?.collect()
        };
        read().map_err(|e| self.sqlite(e))
    }

    fn latest_heartbeats(&mut self) -> Result<Vec<StoredRecord>, HubError> {
        let read = || -> rusqlite::Result<Vec<StoredRecord>> {
            let mut stmt = self
                .conn
                .prepare_cached(&format!("{HEARTBEAT_COLUMNS} ORDER BY device_id"))?;
            stmt.query_map([], record_row)?.collect()
        };
        read().map_err(|e| self.sqlite(e))
    }

    fn heartbeat_days(
        &mut self,
        from_day: &str,
        to_day: &str,
    ) -> Result<Vec<HeartbeatDay>, HubError> {
        let read = || -> rusqlite::Result<Vec<HeartbeatDay>> {
            let mut stmt = self.conn.prepare_cached(
                "SELECT device_id, day, heartbeats, first_received_ms, last_received_ms
                 FROM heartbeat_days WHERE day >= ?1 AND day <= ?2 ORDER BY device_id, day",
            )?;
            stmt.query_map([from_day, to_day], |row| {
                Ok(HeartbeatDay {
                    device_id: row.get(0)?,
                    day: row.get(1)?,
                    heartbeats: row.get::<_, i64>(2)?.max(0) as u64,
                    first_received_ms: row.get(3)?,
                    last_received_ms: row.get(4)?,
                })
            })?
            .collect()
        };
        read().map_err(|e| self.sqlite(e))
    }

    fn bundle(&mut self) -> Result<Option<Vec<u8>>, HubError> {
        let path = self.data_dir.join(BUNDLE_FILE);
        match fs::read(&path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(HubError::Io {
                action: "read",
                path,
                source,
            }),
        }
    }

    fn set_bundle(&mut self, bytes: &[u8]) -> Result<(), HubError> {
        // A kiosk fetching it meanwhile gets the old bundle or the new one, never half.
        Ok(waystation_durable::write_atomically(
            &self.data_dir.join(BUNDLE_FILE),
            bytes,
            None,
        )?)
    }

    fn add_image(&mut self, image: &Image) -> Result<bool, HubError> {
        self.conn
            .execute(
                "INSERT INTO images (version, sha256, size, file_name, added_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (version) DO NOTHING",
                params![
                    image.version,
                    image.sha256,
                    image.size as i64,
                    image.file_name,
                    image.added_ms
                ],
            )
            .map(|inserted| inserted == 1)
            .map_err(|e| self.sqlite(e))
    }

    fn images(&mut self) -> Result<Vec<Image>, HubError> {
        let read = || -> rusqlite::Result<Vec<Image>> {
            let mut stmt = self.conn.prepare_cached(
                "SELECT version, sha256, size, file_name, added_ms FROM images
                 ORDER BY added_ms, version",
            )?;
            stmt.query_map([], |row| {
                Ok(Image {
                    version: row.get(0)?,
                    sha256: row.get(1)?,
                    size: row.get::<_, i64>(2)?.max(0) as u64,
                    file_name: row.get(3)?,
                    added_ms: row.get(4)?,
                })
            })?
            .collect()
        };
        read().map_err(|e| self.sqlite(e))
    }

    fn add_rollout(
        &mut self,
        version: &str,
        scopes: &[Scope],
        now_ms: i64,
    ) -> Result<(), HubError> {
        let write = |conn: &mut Connection| -> rusqlite::Result<()> {
            let tx = begin_write(conn)?;
            for scope in scopes {
                let (kind, name) = scope.columns();
                tx.execute(
                    "INSERT INTO rollouts (version, scope, name, created_ms)
                     VALUES (?1, ?2, ?3, ?4)",
                    params![version, kind, name, now_ms],
                )?;
            }
            tx.commit()
        };
        write(&mut self.conn).map_err(|e| self.sqlite(e))
    }

    fn rollouts(&mut self) -> Result<Vec<Rollout>, HubError> {
        let read = || -> rusqlite::Result<Vec<Rollout>> {
            let mut stmt = self.conn.prepare_cached(
                "SELECT id, version, scope, name, created_ms FROM rollouts
                 ORDER BY created_ms, id",
            )?;
            stmt.query_map([], |row| {
                let kind: String = row.get(2)?;
                Ok(Rollout {
                    id: row.get(0)?,
                    version: row.get(1)?,
                    scope: Scope::from_columns(&kind, row.get(3)?)
                        .ok_or_else(|| bad_text(2, "rollout scope", &kind))?,
                    created_ms: row.get(4)?,
                })
            })?
            .collect()
        };
        read().map_err(|e| self.sqlite(e))
    }

    fn set_remote_help(&mut self, help: &RemoteHelp) -> Result<(), HubError> {
        let write = |conn: &mut Connection| -> rusqlite::Result<()> {
            let tx = begin_write(conn)?;
            tx.execute(
                "INSERT INTO remote_help (device_id, until_ms, granted_by, granted_ms)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (device_id) DO UPDATE SET until_ms = excluded.until_ms,
                     granted_by = excluded.granted_by, granted_ms = excluded.granted_ms",
                params![
                    help.device_id,
                    help.until_ms,
                    help.granted_by,
                    help.granted_ms
                ],
            )?;
            insert_audit(&tx, &remote_help_on_audit(help))?;
            tx.commit()
        };
        write(&mut self.conn).map_err(|e| self.sqlite(e))
    }

    fn end_remote_help(
        &mut self,
        device_id: &str,
        by: &str,
        now_ms: i64,
    ) -> Result<bool, HubError> {
        let write = |conn: &mut Connection| -> rusqlite::Result<bool> {
            let tx = begin_write(conn)?;
            let in_force = tx.execute(
                "DELETE FROM remote_help WHERE device_id = ?1 AND until_ms > ?2",
                params![device_id, now_ms],
            )? == 1;
            tx.execute("DELETE FROM remote_help WHERE device_id = ?1", [device_id])?;
            if in_force {
                insert_audit(&tx, &remote_help_off_audit(device_id, by, now_ms))?;
            }
            tx.commit()?;
            Ok(in_force)
        };
        write(&mut self.conn).map_err(|e| self.sqlite(e))
    }

    fn remote_helps(&mut self) -> Result<Vec<RemoteHelp>, HubError> {
        let read = || -> rusqlite::Result<Vec<RemoteHelp>> {
            let mut stmt = self.conn.prepare_cached(
                "SELECT device_id, until_ms, granted_by, granted_ms FROM remote_help
                 ORDER BY device_id",
            )?;
            stmt.query_map([], |row| {
                Ok(RemoteHelp {
                    device_id: row.get(0)?,
                    until_ms: row.get(1)?,
                    granted_by: row.get(2)?,
                    granted_ms: row.get(3)?,
                })
            })?
            .collect()
        };
        read().map_err(|e| self.sqlite(e))
    }

    fn webhook(&mut self) -> Result<Option<Webhook>, HubError> {
        let read = || -> rusqlite::Result<Option<Webhook>> {
            let row = self
                .conn
                .query_row(
                    "SELECT url, format FROM alert_webhook WHERE id = 1",
                    [],
                    |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?)),
                )
                .optional()?;
            row.map(|(url, format)| {
                let format = WebhookFormat::parse(&format)
                    .ok_or_else(|| bad_text(1, "webhook format", &format))?;
                Ok(Webhook { url, format })
            })
            .transpose()
        };
        read().map_err(|e| self.sqlite(e))
    }

    fn set_webhook(&mut self, webhook: Option<&Webhook>, now_ms: i64) -> Result<(), HubError> {
        let result = match webhook {
            Some(webhook) => self.conn.execute(
                "INSERT INTO alert_webhook (id, url, format, set_ms) VALUES (1, ?1, ?2, ?3)
                 ON CONFLICT (id) DO UPDATE SET
                     url = excluded.url, format = excluded.format, set_ms = excluded.set_ms",
                params![webhook.url, webhook.format.as_str(), now_ms],
            ),
            None => self.conn.execute("DELETE FROM alert_webhook", []),
        };
        result.map(drop).map_err(|e| self.sqlite(e))
    }

    fn alert(&mut self, device_id: &str, record_id: &str) -> Result<Option<Alert>, HubError> {
        let sql = format!("{ALERT_COLUMNS} WHERE device_id = ?1 AND record_id = ?2");
        let read = || -> rusqlite::Result<Option<Alert>> {
            self.conn
                .prepare_cached(&sql)?
                .query_row([device_id, record_id], alert_row)
                .optional()
        };
        read().map_err(|e| self.sqlite(e))
    }

    fn alerts(&mut self, since_ms: Option<i64>, limit: usize) -> Result<Vec<Alert>, HubError> {
        let sql =
            format!("{ALERT_COLUMNS} WHERE at_ms >= ?1 ORDER BY at_ms DESC, record_id LIMIT ?2");
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let read = || -> rusqlite::Result<Vec<Alert>> {
            self.conn
                .prepare(&sql)?
                .query_map(params![since_ms.unwrap_or(i64::MIN), limit], alert_row)?
                .collect()
        };
        read().map_err(|e| self.sqlite(e))
    }

    fn note_forwards(&mut self, notes: &[ForwardNote<'_>], now_ms: i64) -> Result<(), HubError> {
        let write = |conn: &mut Connection| -> rusqlite::Result<()> {
            let tx = begin_write(conn)?;
            for note in notes {
                let (forwarded, error) = match note.outcome {
                    Ok(()) => (Some(now_ms), None),
                    Err(reason) => (None, Some(reason)),
                };
                tx.prepare_cached(
                    "UPDATE alerts SET
                         forwarded_ms = COALESCE(forwarded_ms, ?2),
                         attempts = attempts + ?3,
                         last_error = CASE WHEN COALESCE(forwarded_ms, ?2) IS NULL THEN ?4
                             ELSE NULL END
                     WHERE record_id = ?1 AND device_id = ?5",
                )?
                .execute(params![
                    note.record_id,
                    forwarded,
                    i64::from(note.attempted),
                    error,
                    note.device_id
                ])?;
            }
            tx.commit()
        };
        write(&mut self.conn).map_err(|e| self.sqlite(e))
    }

    fn remove_user(&mut self, name: &str, by: &str, now_ms: i64) -> Result<bool, HubError> {
        let write = |conn: &mut Connection| -> rusqlite::Result<bool> {
            let tx = begin_write(conn)?;
            tx.execute("DELETE FROM sessions WHERE user_name = ?1", [name])?;
            let removed = tx.execute("DELETE FROM users WHERE name = ?1", [name])? == 1;
            if removed {
                insert_audit(
                    &tx,
                    &AuditEntry {
                        at_ms: now_ms,
                        actor: by.to_string(),
                        action: "account removed".into(),
                        detail: name.to_string(),
                    },
                )?;
            }
            tx.commit()?;
            Ok(removed)
        };
        write(&mut self.conn).map_err(|e| self.sqlite(e))
    }

    fn add_user(&mut self, user: &User, by: &str) -> Result<(), HubError> {
        if self.user(&user.name)?.is_some() {
            return Err(HubError::UserExists(user.name.clone()));
        }
        let write =
            |conn: &mut Connection| -> rusqlite::Result<()> {
                let tx = begin_write(conn)?;
                tx.execute(
                "INSERT INTO users (name, role, password_hash, added_ms) VALUES (?1, ?2, ?3, ?4)",
                params![user.name, user.role.as_str(), user.password_hash, user.added_ms],
            )?;
                insert_audit(
                    &tx,
                    &AuditEntry {
                        at_ms: user.added_ms,
                        actor: by.to_string(),
                        action: "account added".into(),
                        detail: format!("{} ({})", user.name, user.role.as_str()),
                    },
                )?;
                tx.commit()
            };
        write(&mut self.conn).map_err(|e| self.sqlite(e))
    }

    fn user(&mut self, name: &str) -> Result<Option<User>, HubError> {
        self.conn
            .prepare_cached(&format!("{USER_COLUMNS} WHERE name = ?1"))
            .and_then(|mut stmt| stmt.query_row([name], user_row).optional())
            .map_err(|e| self.sqlite(e))
    }

    fn users(&mut self) -> Result<Vec<User>, HubError> {
        let read = || -> rusqlite::Result<Vec<User>> {
            let mut stmt = self
                .conn
                .prepare(&format!("{USER_COLUMNS} ORDER BY name"))?;
            stmt.query_map([], user_row)?.collect()
        };
        read().map_err(|e| self.sqlite(e))
    }

    fn audit(&mut self, entry: &AuditEntry) -> Result<(), HubError> {
        insert_audit(&self.conn, entry).map_err(|e| self.sqlite(e))
    }

    fn audit_log(&mut self, limit: usize) -> Result<Vec<AuditEntry>, HubError> {
        let read = || -> rusqlite::Result<Vec<AuditEntry>> {
            let mut stmt = self.conn.prepare(
                "SELECT at_ms, actor, action, detail FROM audit_log
                 ORDER BY at_ms DESC, rowid DESC LIMIT ?1",
            )?;
            stmt.query_map([limit as i64], |row| {
                Ok(AuditEntry {
                    at_ms: row.get(0)?,
                    actor: row.get(1)?,
                    action: row.get(2)?,
                    detail: row.get(3)?,
                })
            })?
            .collect()
        };
        read().map_err(|e| self.sqlite(e))
    }

    fn add_session(&mut self, session: &Session) -> Result<(), HubError> {
        self.conn
            .execute(
                "INSERT INTO sessions (token_hash, user_name, csrf, expires_ms)
                 VALUES (?1, ?2, ?3, ?4)",
                params![
                    session.token_hash,
                    session.user_name,
                    session.csrf,
                    session.expires_ms
                ],
            )
            .map(drop)
            .map_err(|e| self.sqlite(e))
    }

    fn session(
        &mut self,
        token_hash: &str,
        now_ms: i64,
    ) -> Result<Option<(Session, User)>, HubError> {
        let read = |conn: &Connection| -> rusqlite::Result<Option<Session>> {
            conn.execute("DELETE FROM sessions WHERE expires_ms <= ?1", [now_ms])?;
            conn.query_row(
                "SELECT token_hash, user_name, csrf, expires_ms FROM sessions
                 WHERE token_hash = ?1",
                [token_hash],
                |row| {
                    Ok(Session {
                        token_hash: row.get(0)?,
                        user_name: row.get(1)?,
                        csrf: row.get(2)?,
                        expires_ms: row.get(3)?,
                    })
                },
            )
            .optional()
        };
        let Some(session) = read(&self.conn).map_err(|e| self.sqlite(e))? else {
            return Ok(None);
        };
        Ok(self.user(&session.user_name)?.map(|user| (session, user)))
    }

    fn end_session(&mut self, token_hash: &str) -> Result<(), HubError> {
        self.conn
            .execute("DELETE FROM sessions WHERE token_hash = ?1", [token_hash])
            .map(drop)
            .map_err(|e| self.sqlite(e))
    }

    fn note_wrong_password(&mut self, name: &str, now_ms: i64) -> Result<(), HubError> {
        self.conn
            .execute(
                "INSERT INTO wrong_passwords (name, at_ms) VALUES (?1, ?2)",
                params![name, now_ms],
            )
            .map(drop)
            .map_err(|e| self.sqlite(e))
    }

    fn wrong_passwords(&mut self, name: &str, since_ms: i64) -> Result<Vec<i64>, HubError> {
        let read = || -> rusqlite::Result<Vec<i64>> {
            let mut stmt = self.conn.prepare_cached(
                "SELECT at_ms FROM wrong_passwords WHERE name = ?1 AND at_ms >= ?2
                 ORDER BY at_ms",
            )?;
            stmt.query_map(params![name, since_ms], |row| row.get(0))?
                .collect()
        };
        read().map_err(|e| self.sqlite(e))
    }

    fn watch_fleet(
        &mut self,
        now_ms: i64,
        find: &mut FindProblems<'_>,
    ) -> Result<Vec<Alert>, HubError> {
        let mut write = |conn: &mut Connection| -> rusqlite::Result<Vec<(String, String)>> {
            // The write lock first, then the reads: passes see each other's alerts in order.
            let tx = begin_write(conn)?;
            let devices: Vec<Device> = tx
                .prepare(&format!("{DEVICE_COLUMNS} ORDER BY device_id"))?
                .query_map([], device_row)?
                .collect::<rusqlite::Result<_>>()?;
            let heartbeats: Vec<StoredRecord> = tx
                .prepare_cached(&format!("{HEARTBEAT_COLUMNS} ORDER BY device_id"))?
                .query_map([], record_row)?
                .collect::<rusqlite::Result<_>>()?;
            let found = find(&devices, &heartbeats);
            let open: Vec<OpenWatch> = tx
                .prepare(
                    "SELECT device_id, record_id, kind FROM alerts
                     WHERE via = 'watch' AND cleared_ms IS NULL",
                )?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<rusqlite::Result<_>>()?;
            let (to_close, to_raise) = watch_changes(&open, &found, now_ms);
            for (device_id, record_id, _) in to_close {
                tx.execute(
                    "UPDATE alerts SET cleared_ms = ?3 WHERE device_id = ?1 AND record_id = ?2",
                    params![device_id, record_id, now_ms],
                )?;
            }
            let mut raised = Vec::new();
            for (problem, record_id) in to_raise {
                tx.execute(
                    "INSERT INTO alerts (record_id, device_id, station, kind, at_ms, received_ms,
                         via)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?5, 'watch')",
                    params![
                        record_id,
                        problem.device_id,
                        problem.station,
                        problem.kind,
                        now_ms
                    ],
                )?;
                raised.push((problem.device_id.clone(), record_id));
            }
            tx.commit()?;
            Ok(raised)
        };
        let raised = write(&mut self.conn).map_err(|e| self.sqlite(e))?;
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
        let write = |conn: &mut Connection| -> rusqlite::Result<bool> {
            let tx = begin_write(conn)?;
            let changed = tx.execute(
                "UPDATE alerts SET acknowledged_ms = ?3, acknowledged_by = ?4
                 WHERE device_id = ?1 AND record_id = ?2 AND acknowledged_ms IS NULL",
                params![device_id, record_id, now_ms, by],
            )?;
            if changed == 1 {
                let station: String = tx.query_row(
                    "SELECT station FROM alerts WHERE device_id = ?1 AND record_id = ?2",
                    [device_id, record_id],
                    |row| row.get(0),
                )?;
                insert_audit(
                    &tx,
                    &AuditEntry {
                        at_ms: now_ms,
                        actor: by.to_string(),
                        action: "alert acknowledged".into(),
                        detail: format!("{station} ({device_id} {record_id})"),
                    },
                )?;
            }
            tx.commit()?;
            Ok(changed == 1)
        };
        write(&mut self.conn).map_err(|e| self.sqlite(e))
    }
}

/// The columns of a device, in the order [`device_row`] reads them.
const DEVICE_COLUMNS: &str =
    "SELECT device_id, public_key, station, note, added_ms, revoked_ms, district, station_kind
     FROM devices";

fn device_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Device> {
    Ok(Device {
        device_id: row.get(0)?,
        public_key: row.get(1)?,
        station: row.get(2)?,
        note: row.get(3)?,
        added_ms: row.get(4)?,
        revoked_ms: row.get(5)?,
        district: row.get(6)?,
        station_kind: row.get(7)?,
    })
}

/// The columns of an alert, in the order [`alert_row`] reads them.
const ALERT_COLUMNS: &str = "SELECT record_id, device_id, station, kind, at_ms, received_ms, via,
     forwarded_ms, attempts, last_error, acknowledged_ms, acknowledged_by, cleared_ms
     FROM alerts";

fn alert_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Alert> {
    let via: String = row.get(6)?;
    Ok(Alert {
        record_id: row.get(0)?,
        device_id: row.get(1)?,
        station: row.get(2)?,
        kind: row.get(3)?,
        at_ms: row.get(4)?,
        received_ms: row.get(5)?,
        via: Via::parse(&via).ok_or_else(|| bad_text(6, "arrival", &via))?,
        forwarded_ms: row.get(7)?,
        attempts: u32::try_from(row.get::<_, i64>(8)?).unwrap_or(u32::MAX),
        last_error: row.get(9)?,
        cleared_ms: row.get(12)?,
        acknowledged: match (row.get(10)?, row.get(11)?) {
            (Some(at), Some(by)) => Some((at, by)),
            _ => None,
        },
    })
}

/// Makes the alert row of a `staff_alert` record just stored, in the record's transaction.
/// The station is the one the kiosk names, else the one it was registered with, else its id.
fn insert_alert(tx: &rusqlite::Transaction<'_>, record: &NewRecord) -> rusqlite::Result<()> {
    let (station, kind) = crate::alerts::fields(record);
    tx.prepare_cached(
        "INSERT INTO alerts (record_id, device_id, station, kind, at_ms, received_ms, via)
         VALUES (?1, ?2,
             COALESCE(?3, (SELECT station FROM devices WHERE device_id = ?2), ?2),
             ?4, ?5, ?6, ?7)
         ON CONFLICT (device_id, record_id) DO NOTHING",
    )?
    .execute(params![
        record.id,
        record.device_id,
        station,
        kind,
        record.corrected_ms,
        record.received_ms,
        record.via.as_str(),
    ])
    .map(drop)
}

/// Keeps a heartbeat the way [`Storage::ingest`] says: the device's newest replaced if this one
/// is newer, and counted in its day.
fn keep_heartbeat(tx: &rusqlite::Transaction<'_>, record: &NewRecord) -> rusqlite::Result<Outcome> {
    let newer = tx
        .prepare_cached(
            "INSERT INTO heartbeat_latest (device_id, id, seq, schema_version, day, payload,
             created_wall_ms, created_synced, created_boot_id, created_monotonic_ms,
             received_ms, corrected_ms, time_source, via)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
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
        )?
        .execute(params![
            record.device_id,
            record.id,
            record.seq,
            i64::from(record.schema_version),
            record.day,
            record.payload.to_string(),
            record.created.wall_ms,
            i64::from(record.created.synced),
            record.created.boot_id,
            record.created.monotonic_ms,
            record.received_ms,
            record.corrected_ms,
            time_source_name(record.time_source),
            record.via.as_str(),
        ])?;
    if newer == 0 {
        return Ok(Outcome::Duplicate);
    }
    tx.prepare_cached(
        "INSERT INTO heartbeat_days (device_id, day, heartbeats, first_received_ms,
             last_received_ms)
         VALUES (?1, ?2, 1, ?3, ?3)
         ON CONFLICT (device_id, day) DO UPDATE SET
             heartbeats = heartbeat_days.heartbeats + 1,
             first_received_ms = MIN(heartbeat_days.first_received_ms, excluded.first_received_ms),
             last_received_ms = MAX(heartbeat_days.last_received_ms, excluded.last_received_ms)",
    )?
    .execute(params![record.device_id, record.day, record.received_ms])?;
    Ok(Outcome::Stored)
}

/// Makes the day_summaries row of a `day_summary` record just stored, in the record's
/// transaction. The station is the one the device is registered at now, when it arrives.
fn insert_summary(
    tx: &rusqlite::Transaction<'_>,
    record: &NewRecord,
    summary: &DaySummary,
) -> rusqlite::Result<()> {
    let counts = serde_json::to_string(&summary.counts)
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    tx.prepare_cached(
        "INSERT INTO day_summaries (device_id, record_id, station, district, station_kind,
             first_day, last_day, visits, counts, received_day)
         SELECT ?1, ?2, station, district, station_kind, ?3, ?4, ?5, ?6, ?7
         FROM devices WHERE device_id = ?1
         ON CONFLICT (device_id, record_id) DO NOTHING",
    )?
    .execute(params![
        record.device_id,
        record.id,
        summary.first_day,
        summary.last_day,
        i64::try_from(summary.visits()).unwrap_or(i64::MAX),
        counts,
        crate::station_time::day(record.received_ms),
    ])
    .map(drop)
}

fn summary_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<StoredSummary> {
    let counts: String = row.get(6)?;
    Ok(StoredSummary {
        device_id: row.get(0)?,
        record_id: row.get(1)?,
        station: row.get(2)?,
        district: row.get(8)?,
        station_kind: row.get(9)?,
        received_day: row.get(7)?,
        visits: row.get::<_, i64>(5)?.max(0) as u64,
        summary: DaySummary {
            first_day: row.get(3)?,
            last_day: row.get(4)?,
            counts: serde_json::from_str(&counts).map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(
                    6,
                    rusqlite::types::Type::Text,
                    Box::new(e),
                )
            })?,
        },
    })
}

fn bad_text(column: usize, what: &str, text: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        column,
        rusqlite::types::Type::Text,
        format!("unknown {what} {text:?}").into(),
    )
}

/// Syncs a folder, so that a rename or a new file in it survives a power cut.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), HubError> {
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|source| HubError::Io {
            action: "sync",
            path: dir.to_path_buf(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use waystation_protocol::TimeSource;

    fn device() -> NewDevice {
        NewDevice {
            device_id: "ws-0011223344556677".into(),
            public_key: "key".into(),
            station: Some("jingan-1".into()),
            district: None,
            station_kind: None,
            note: None,
            added_ms: 1,
        }
    }

    fn record(id: &str, kind: &str) -> NewRecord {
        NewRecord {
            id: id.into(),
            device_id: device().device_id,
            seq: 1,
            kind: kind.into(),
            schema_version: 1,
            day: "2026-11-28".into(),
            payload: serde_json::json!({ "word": "tired" }),
            created: ClockStamp {
                wall_ms: 10,
                synced: false,
                boot_id: "boot".into(),
                monotonic_ms: 10,
            },
            received_ms: 100,
            corrected_ms: 50,
            time_source: TimeSource::HubReceipt,
            via: Via::Network,
        }
    }

    #[test]
    fn opens_in_wal_mode_with_full_sync() {
        let dir = tempfile::tempdir().unwrap();
        let storage = SqliteStorage::open(dir.path()).unwrap();
        let mode: String = storage
            .connection()
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        let sync: i64 = storage
            .connection()
            .pragma_query_value(None, "synchronous", |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        assert_eq!(sync, 2, "synchronous=FULL is 2");
    }

    #[test]
    fn a_missing_folder_is_refused_not_created() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("typo");
        let err = SqliteStorage::open(&missing).err().unwrap();
        assert!(matches!(err, HubError::NoDataDir(_)), "{err}");
        assert!(!missing.exists());
    }

    /// A hub.db as the hub wrote it before migration 3: the schema of migrations 1 and 2, and
    /// rows written with that hub's statements.
    fn old_database(data: &Path) {
        let mut conn = Connection::open(data.join(DB_FILE)).unwrap();
        Migrations::from_slice(&MIGRATIONS[..2])
            .to_latest(&mut conn)
            .unwrap();
        conn.execute_batch(
            "INSERT INTO devices (device_id, public_key, station, note, added_ms)
                 VALUES ('ws-0011223344556677', 'key', 'jingan-1', NULL, 1);
             INSERT INTO records (id, device_id, seq, kind, schema_version, day, payload,
                 created_wall_ms, created_synced, created_boot_id, created_monotonic_ms,
                 received_ms, corrected_ms, time_source, via)
             VALUES ('a', 'ws-0011223344556677', 1, 'mood_check_in', 1, '2026-11-28',
                     '{\"word\":\"tired\"}', 10, 0, 'boot', 10, 100, 50, 'hub_receipt', 'network'),
                    ('b', 'ws-0011223344556677', 2, 'staff_alert', 1, '2026-11-28',
                     '{\"station\":\"jingan-1\",\"kind\":\"staff_call\"}', 10, 0, 'boot', 20,
                     100, 60, 'hub_receipt', 'network');
             INSERT INTO alerts (record_id, device_id, station, kind, at_ms, received_ms, via,
                 forwarded_ms, attempts, last_error)
             VALUES ('b', 'ws-0011223344556677', 'jingan-1', 'staff_call', 60, 100, 'network',
                     150, 1, NULL);",
        )
        .unwrap();
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, 2);
    }

    #[test]
    fn an_old_database_keeps_its_records_and_dedupes_per_device_after_migrating() {
        let dir = tempfile::tempdir().unwrap();
        old_database(dir.path());
        let mut storage = SqliteStorage::open(dir.path()).unwrap();
        let version: i64 = storage
            .connection()
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, MIGRATIONS.len() as i64);
        let kept = storage.records().unwrap();
        assert_eq!(
            kept.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
            ["a", "b"]
        );
        assert_eq!(kept[0].payload, serde_json::json!({ "word": "tired" }));
        let alert = storage.alert(&device().device_id, "b").unwrap().unwrap();
        assert_eq!((alert.forwarded_ms, alert.attempts), (Some(150), 1));
        let devices = storage.devices().unwrap();
        assert_eq!(devices[0].station.as_deref(), Some("jingan-1"));
        assert_eq!(devices[0].revoked_ms, None);

        // The old records are still duplicates for their device, and no one else's.
        assert_eq!(
            storage.ingest(&[record("a", "mood_check_in")]).unwrap(),
            [Outcome::Duplicate]
        );
        let other = NewDevice {
            device_id: "ws-ffffffffffffffff".into(),
            public_key: "other".into(),
            ..device()
        };
        storage.add_device(&other).unwrap();
        let theirs = NewRecord {
            device_id: other.device_id.clone(),
            ..record("a", "mood_check_in")
        };
        assert_eq!(
            storage.ingest(std::slice::from_ref(&theirs)).unwrap(),
            [Outcome::Stored]
        );
        assert_eq!(storage.ingest(&[theirs]).unwrap(), [Outcome::Duplicate]);
        assert_eq!(storage.records().unwrap().len(), 3);
        // The foreign keys still hold after the tables were rebuilt.
        let broken: Vec<String> = storage
            .connection()
            .prepare("PRAGMA foreign_key_check")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(broken.is_empty(), "{broken:?}");
    }

    #[test]
    fn heartbeats_stored_one_row_each_are_rolled_up_by_migration_9() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
        Migrations::from_slice(&MIGRATIONS[..8])
            .to_latest(&mut conn)
            .unwrap();
        conn.execute_batch(
            "INSERT INTO devices (device_id, public_key, station, note, added_ms)
                 VALUES ('ws-0011223344556677', 'key', 'jingan-1', NULL, 1);
             INSERT INTO records (id, device_id, seq, kind, schema_version, day, payload,
                 created_wall_ms, created_synced, created_boot_id, created_monotonic_ms,
                 received_ms, corrected_ms, time_source, via)
             VALUES ('h1', 'ws-0011223344556677', 1, 'heartbeat', 1, '2026-11-27', '{}',
                     0, 0, 'b', 0, 1000, 1000, 'hub_receipt', 'network'),
                    ('h2', 'ws-0011223344556677', 3, 'heartbeat', 1, '2026-11-28',
                     '{\"paper\":\"ok\"}', 0, 0, 'b', 0, 3000, 3000, 'hub_receipt', 'network'),
                    ('h3', 'ws-0011223344556677', 2, 'heartbeat', 1, '2026-11-27', '{}',
                     0, 0, 'b', 0, 2000, 2000, 'hub_receipt', 'network'),
                    ('m', 'ws-0011223344556677', 4, 'mood_check_in', 1, '2026-11-28', '{}',
                     0, 0, 'b', 0, 4000, 4000, 'hub_receipt', 'network');",
        )
        .unwrap();
        drop(conn);
        let mut storage = SqliteStorage::open(dir.path()).unwrap();
        let newest = storage.latest_heartbeats().unwrap();
        assert_eq!((newest[0].id.as_str(), newest[0].seq), ("h2", 3));
        assert_eq!(newest[0].payload, serde_json::json!({ "paper": "ok" }));
        let days: Vec<(String, u64, i64, i64)> = storage
            .heartbeat_days("2026-11-01", "2026-11-30")
            .unwrap()
            .into_iter()
            .map(|d| (d.day, d.heartbeats, d.first_received_ms, d.last_received_ms))
            .collect();
        assert_eq!(
            days,
            [
                ("2026-11-27".into(), 2, 1000, 2000),
                ("2026-11-28".into(), 1, 3000, 3000)
            ]
        );
        let rows: i64 = storage
            .connection()
            .query_row("SELECT COUNT(*) FROM records", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 1, "only the mood check-in is still a row");
        assert_eq!(
            storage
                .ingest(&[NewRecord {
                    seq: 3,
                    ..record("h2", HEARTBEAT_KIND)
                }])
                .unwrap(),
            [Outcome::Duplicate]
        );
    }

    #[test]
    fn the_database_is_private_whatever_was_there_before() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let mode = |path: &Path| fs::metadata(path).unwrap().permissions().mode() & 0o777;
        // A database made fresh: 0600 even though SQLite would make it 0644.
        drop(SqliteStorage::open(dir.path()).unwrap());
        assert_eq!(mode(&dir.path().join(DB_FILE)), 0o600);
        // One left readable by an older hub, in a folder others could list: tightened.
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
        fs::set_permissions(dir.path().join(DB_FILE), fs::Permissions::from_mode(0o644)).unwrap();
        let storage = SqliteStorage::open(dir.path()).unwrap();
        assert_eq!(mode(dir.path()), 0o700);
        assert_eq!(mode(&dir.path().join(DB_FILE)), 0o600);
        let wal = dir.path().join(format!("{DB_FILE}-wal"));
        if wal.exists() {
            assert_eq!(mode(&wal), 0o600);
        }
        drop(storage);
    }

    #[test]
    fn a_database_from_a_newer_hub_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        drop(SqliteStorage::open(dir.path()).unwrap());
        let conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        drop(conn);
        let err = SqliteStorage::open(dir.path()).err().unwrap();
        assert!(matches!(err, HubError::TooNew { found: 99, .. }), "{err}");
    }

    #[test]
    fn the_bundle_is_replaced_whole() {
        let dir = tempfile::tempdir().unwrap();
        let mut storage = SqliteStorage::open(dir.path()).unwrap();
        assert_eq!(storage.bundle().unwrap(), None);
        storage.set_bundle(b"{\"v\":1}").unwrap();
        storage.set_bundle(b"{\"v\":2}").unwrap();
        assert_eq!(storage.bundle().unwrap().unwrap(), b"{\"v\":2}");
        let leftovers: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }
}
