//! The kiosk's database: one SQLite file in the data directory.
//!
//! It runs in WAL mode with `synchronous=FULL`, so a committed record survives a power cut the
//! moment `commit` returns. Every capability writes through [`Store::commit_record`], which
//! puts the capability's own rows and its outbox row in one transaction: either both are on
//! disk or neither is.

pub mod counts;
pub mod directory;
mod migrations;
pub mod mood;
pub mod outbox;
pub mod queue;
pub mod screening;
pub mod slip;
pub mod snapshot;
pub mod staff;
pub mod sync;

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, Transaction};

pub use outbox::{NewRecord, OutboxCounts, RecordKind, RecordStamp, RecordState, Sealing};

/// The file name of the database inside the data directory.
pub const DB_FILE: &str = "waystation.db";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create data directory {path}: {reason}")]
    DataDir { path: String, reason: String },
    #[error("database {path}: {source}")]
    Sqlite {
        path: String,
        source: rusqlite::Error,
    },
    #[error("database {path}: migration failed: {reason}")]
    Migration { path: String, reason: String },
    #[error(
        "database {path} has schema version {found}, newer than this program knows ({known}); install the newer Waystation again"
    )]
    TooNew {
        path: String,
        found: usize,
        known: usize,
    },
    #[error("cannot make a record id: {0}")]
    NoRandomness(String),
    /// A day summary the hub would refuse (a bug: the counts stay and wait, nothing is sent).
    #[error("a day summary does not pass its check: {0}")]
    BadSummary(String),
}

pub struct Store {
    conn: Connection,
    /// Shown in errors; ":memory:" for an in-memory store.
    label: String,
    /// Set once the centre's key is known: records are then sealed as they are committed.
    sealing: Option<Sealing>,
}

/// What `waystation status` reports about the database without changing it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DbState {
    pub path: PathBuf,
    pub exists: bool,
    pub schema_version: usize,
    pub latest_schema_version: usize,
    pub outbox: OutboxCounts,
    /// Records written before the centre's key was configured, still unsealed.
    pub unsealed: u64,
    pub oldest_waiting_wall_ms: Option<i64>,
    /// The uploader's last attempt, success and error (schema 7 on).
    pub sync: Option<sync::SyncState>,
}

impl Store {
    /// Opens (creating if needed) the database in `data_dir` and brings its schema up to date.
    pub fn open(data_dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|e| StoreError::DataDir {
            path: data_dir.display().to_string(),
            reason: e.to_string(),
        })?;
        let path = data_dir.join(DB_FILE);
        let label = path.display().to_string();
        let sqlite = |source| StoreError::Sqlite {
            path: label.clone(),
            source,
        };
        let mut conn = Connection::open(&path).map_err(sqlite)?;
        let found = schema_version(&conn).map_err(sqlite)?;
        let known = latest_schema_version();
        match snapshot::plan(found, known) {
            snapshot::Plan::TakeBack => {
                // The card went back to an older image: take back the copy made before the
                // newer version migrated, if there is one; otherwise `prepare` refuses.
                drop(conn);
                if let Some(restored) = snapshot::restore(data_dir, found, known)? {
                    tracing::warn!(
                        set_aside = %restored.set_aside.display(),
                        carried = restored.carried,
                        "the database was newer than this program (schema {found}, this knows \
                         {known}): the copy made before it was migrated is back in use, with \
                         the records still waiting to be sent carried over"
                    );
                }
                conn = Connection::open(&path).map_err(sqlite)?;
            }
            snapshot::Plan::Copy => {
                if let Err(e) = snapshot::take(&conn, data_dir, found) {
                    tracing::error!(
                        "no copy of {label} before migrating it from schema {found}: {e}"
                    );
                }
            }
            snapshot::Plan::Nothing => {}
        }
        Store::prepare(conn, label)
    }

    /// A private database in memory, for headless screenshots and tests.
    pub fn open_in_memory() -> Result<Store, StoreError> {
        let conn = Connection::open_in_memory().map_err(|source| StoreError::Sqlite {
            path: ":memory:".into(),
            source,
        })?;
        Store::prepare(conn, ":memory:".into())
    }

    fn prepare(mut conn: Connection, label: String) -> Result<Store, StoreError> {
        let sqlite = |source| StoreError::Sqlite {
            path: label.clone(),
            source,
        };
        // WAL keeps readers and the writer apart and makes a commit one append; FULL syncs the
        // WAL on every commit so a record is durable when commit returns, power cut or not.
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(sqlite)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(sqlite)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(sqlite)?;
        // What is deleted is overwritten with zeros, not left in free space for someone who
        // reads the card: a personal code's oldest row, the clear rows of before migration 9.
        conn.pragma_update(None, "secure_delete", "ON")
            .map_err(sqlite)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(sqlite)?;
        let known = latest_schema_version();
        let found = schema_version(&conn).map_err(sqlite)?;
        if found > known {
            return Err(StoreError::TooNew {
                path: label,
                found,
                known,
            });
        }
        migrations::migrations()
            .to_latest(&mut conn)
            .map_err(|e| StoreError::Migration {
                path: label.clone(),
                reason: e.to_string(),
            })?;
        if (1..migrations::DAY_SUMMARIES).contains(&found) {
            // The rows are sealed and folded already; a kiosk that cannot scrub (the database
            // busy for longer than the timeout) still starts, and says so in its log.
            if let Err(e) = scrub(&conn) {
                tracing::error!("cannot rewrite {label} after migrating it: {e}");
            }
        }
        Ok(Store {
            conn,
            label,
            sealing: None,
        })
    }

    /// Commits one record: first `local` writes the capability's own rows (local counts, for
    /// example), then the outbox row is appended, all in one transaction. If either part fails,
    /// nothing is written. Returns what `local` returned and the record's sequence number.
    pub fn commit_record<T>(
        &mut self,
        record: &NewRecord,
        local: impl FnOnce(&Transaction<'_>) -> rusqlite::Result<T>,
    ) -> Result<(T, i64), StoreError> {
        let label = self.label.clone();
        let sqlite = |source| StoreError::Sqlite {
            path: label.clone(),
            source,
        };
        let tx = begin_write(&mut self.conn).map_err(sqlite)?;
        let value = local(&tx).map_err(sqlite)?;
        let seq = outbox::append(&tx, record, self.sealing.as_ref()).map_err(sqlite)?;
        tx.commit().map_err(sqlite)?;
        Ok((value, seq))
    }

    pub fn outbox_counts(&self) -> Result<OutboxCounts, StoreError> {
        outbox::counts(&self.conn).map_err(|source| StoreError::Sqlite {
            path: self.label.clone(),
            source,
        })
    }

    /// Read access for capabilities' queries (local counts and the like).
    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}

/// Begins a transaction that will write, taking the write lock at once (`BEGIN IMMEDIATE`).
/// A deferred transaction that reads first and writes later cannot wait for the lock if
/// another connection (the uploader's) wrote in between: SQLite refuses it at once with
/// "database is locked", past any busy timeout. That lost a worker's call for staff under
/// load (the staff-call test, run beside the torture tests). Taken at the start, the lock is
/// waited for like any other.
pub(crate) fn begin_write(conn: &mut Connection) -> rusqlite::Result<Transaction<'_>> {
    conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
}

/// Rewrites the database after migrations 9 and 10 so that no clear trend row, Argon2 hash,
/// per-visit record or acknowledged payload stays anywhere in the file: `secure_delete` zeroes
/// the pages the migrations free, but pages freed before it was on may still hold old rows. VACUUM writes every page afresh (through
/// the WAL); the checkpoint then copies them into the database file and truncates the WAL to
/// nothing. If another connection holds the WAL the checkpoint is partial (logged), and the
/// next checkpoint finishes it.
fn scrub(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch("VACUUM")?;
    let busy: i64 = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))?;
    if busy != 0 {
        tracing::warn!("the database is in use: the WAL is emptied at the next checkpoint");
    }
    Ok(())
}

pub fn latest_schema_version() -> usize {
    // Each migration adds one to SQLite's user_version.
    migrations::count()
}

fn schema_version(conn: &Connection) -> rusqlite::Result<usize> {
    conn.pragma_query_value(None, "user_version", |row| row.get::<_, i64>(0))
        .map(|v| v.max(0) as usize)
}

/// Looks at the database in `data_dir` without creating or migrating it.
pub fn inspect(data_dir: &Path) -> Result<DbState, StoreError> {
    let path = data_dir.join(DB_FILE);
    let latest = latest_schema_version();
    if !path.exists() {
        return Ok(DbState {
            path,
            exists: false,
            schema_version: 0,
            latest_schema_version: latest,
            outbox: OutboxCounts::default(),
            unsealed: 0,
            oldest_waiting_wall_ms: None,
            sync: None,
        });
    }
    let label = path.display().to_string();
    let sqlite = |source| StoreError::Sqlite {
        path: label.clone(),
        source,
    };
    let conn = Connection::open_with_flags(
        &path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(sqlite)?;
    let version = schema_version(&conn).map_err(sqlite)?;
    let outbox = if version >= 1 {
        outbox::counts(&conn).map_err(sqlite)?
    } else {
        OutboxCounts::default()
    };
    let oldest_waiting_wall_ms = if version >= 1 {
        conn.query_row(
            "SELECT MIN(created_wall_ms) FROM outbox WHERE state IN ('pending', 'in_flight')",
            [],
            |r| r.get(0),
        )
        .map_err(sqlite)?
    } else {
        None
    };
    // Before migration 7 there is no sealing and no uploader state yet.
    let (unsealed, sync) = if version >= 7 {
        let unsealed: i64 = conn
            .query_row("SELECT COUNT(*) FROM outbox WHERE sealed = 0", [], |r| {
                r.get(0)
            })
            .map_err(sqlite)?;
        let sync = sync::read_sync_state(&conn).map_err(sqlite)?;
        (u64::try_from(unsealed).unwrap_or(0), Some(sync))
    } else {
        (outbox.total(), None)
    };
    Ok(DbState {
        path,
        exists: true,
        schema_version: version,
        latest_schema_version: latest,
        outbox,
        unsealed,
        oldest_waiting_wall_ms,
        sync,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, FakeClock};
    use chrono::DateTime;

    /// A small record numbered `n` (also for `snapshot`'s tests).
    pub(super) fn record(clock: &FakeClock, n: u128) -> NewRecord {
        NewRecord {
            kind: RecordKind::KioskStarted,
            stamp: RecordStamp {
                id: uuid::Uuid::from_u128(n),
                clock: clock.read(),
            },
            payload: serde_json::json!({ "n": n as u64 }),
        }
    }

    pub(super) fn clock() -> FakeClock {
        FakeClock::new(DateTime::from_timestamp(1_790_000_000, 0).unwrap(), true)
    }

    #[test]
    fn opens_in_wal_mode_with_full_sync_and_latest_schema() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let mode: String = store
            .conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        let sync: i64 = store
            .conn
            .pragma_query_value(None, "synchronous", |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        assert_eq!(sync, 2, "synchronous=FULL is 2");
        assert_eq!(
            schema_version(&store.conn).unwrap(),
            latest_schema_version()
        );
        assert!(latest_schema_version() >= 1);
    }

    #[test]
    fn a_record_that_reads_first_is_not_refused_because_another_connection_wrote_meanwhile() {
        // The uploader's connection tries to write while a record's transaction (which reads
        // first, as a count does) is open. With the lock taken at BEGIN, the uploader waits
        // (here briefly) and the record goes in; before, the uploader's write went in and the
        // record was refused at once with "database is locked".
        let dir = tempfile::tempdir().unwrap();
        let clock = clock();
        let mut store = Store::open(dir.path()).unwrap();
        let mut uploader = Store::open(dir.path()).unwrap();
        uploader
            .conn
            .busy_timeout(std::time::Duration::from_millis(200))
            .unwrap();
        let (_, seq) = store
            .commit_record(&record(&clock, 1), |tx| {
                let _: i64 = tx.query_row("SELECT COUNT(*) FROM outbox", [], |r| r.get(0))?;
                let theirs = uploader.commit_record(&record(&clock, 2), |_| Ok(()));
                assert!(
                    theirs.is_err(),
                    "the transaction that began first holds the lock"
                );
                Ok(())
            })
            .unwrap();
        assert_eq!(seq, 1);
        let (_, seq) = uploader
            .commit_record(&record(&clock, 2), |_| Ok(()))
            .unwrap();
        assert_eq!(seq, 2);
    }

    #[test]
    fn records_survive_reopening_in_sequence_order() {
        let dir = tempfile::tempdir().unwrap();
        let clock = clock();
        {
            let mut store = Store::open(dir.path()).unwrap();
            for n in 1..=3 {
                store.commit_record(&record(&clock, n), |_| Ok(())).unwrap();
                clock.advance(std::time::Duration::from_secs(1));
            }
        }
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.outbox_counts().unwrap().pending, 3);
        let mut stmt = store
            .conn
            .prepare("SELECT seq, id, kind, clock_synced, created_wall_ms FROM outbox ORDER BY seq")
            .unwrap();
        let rows: Vec<(i64, String, String, bool, i64)> = stmt
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), [1, 2, 3]);
        assert_eq!(rows[0].1, uuid::Uuid::from_u128(1).to_string());
        assert_eq!(rows[0].2, "kiosk_started");
        assert!(rows[0].3);
        assert_eq!(rows[2].4 - rows[0].4, 2000);
    }

    #[test]
    fn a_failing_capability_write_leaves_no_outbox_row() {
        let mut store = Store::open_in_memory().unwrap();
        store
            .conn
            .execute_batch("CREATE TABLE local_counts (n INTEGER NOT NULL)")
            .unwrap();
        let result = store.commit_record(&record(&clock(), 1), |tx| {
            tx.execute("INSERT INTO local_counts VALUES (1)", [])?;
            tx.execute("INSERT INTO no_such_table VALUES (1)", [])
        });
        assert!(result.is_err());
        assert_eq!(store.outbox_counts().unwrap().total(), 0);
        let n: i64 = store
            .conn
            .query_row("SELECT COUNT(*) FROM local_counts", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 0, "the capability's own row must be rolled back too");
    }

    #[test]
    fn a_failing_outbox_append_rolls_back_the_capability_rows() {
        let mut store = Store::open_in_memory().unwrap();
        store
            .conn
            .execute_batch("CREATE TABLE local_counts (n INTEGER NOT NULL)")
            .unwrap();
        let first = record(&clock(), 7);
        store.commit_record(&first, |_| Ok(())).unwrap();
        // The same id again violates the outbox's UNIQUE constraint after the local insert.
        let result = store.commit_record(&first, |tx| {
            tx.execute("INSERT INTO local_counts VALUES (1)", [])
        });
        assert!(result.is_err());
        let n: i64 = store
            .conn
            .query_row("SELECT COUNT(*) FROM local_counts", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 0);
        assert_eq!(store.outbox_counts().unwrap().pending, 1);
    }

    #[test]
    fn inspect_reports_a_missing_database_without_creating_it() {
        let dir = tempfile::tempdir().unwrap();
        let state = inspect(dir.path()).unwrap();
        assert!(!state.exists);
        assert!(!dir.path().join(DB_FILE).exists());
        let mut store = Store::open(dir.path()).unwrap();
        store
            .commit_record(&record(&clock(), 1), |_| Ok(()))
            .unwrap();
        drop(store);
        let state = inspect(dir.path()).unwrap();
        assert!(state.exists);
        assert_eq!(state.schema_version, state.latest_schema_version);
        assert_eq!(state.outbox.pending, 1);
    }

    #[test]
    fn a_database_from_a_newer_program_is_refused_not_damaged() {
        let dir = tempfile::tempdir().unwrap();
        drop(Store::open(dir.path()).unwrap());
        let conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        drop(conn);
        let err = Store::open(dir.path()).err().unwrap();
        assert!(matches!(err, StoreError::TooNew { found: 99, .. }), "{err}");
    }

    /// Freed pages are zeroed on the card: `secure_delete` is on after every open, on disk
    /// (first open and again) and in memory, where SQLite's default is off.
    #[test]
    fn secure_delete_is_on_after_every_open() {
        let on = |conn: &Connection| {
            conn.pragma_query_value(None, "secure_delete", |r| r.get::<_, i64>(0))
                .unwrap()
        };
        assert_eq!(on(&Connection::open_in_memory().unwrap()), 0, "the default");
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(on(&Store::open(dir.path()).unwrap().conn), 1);
        assert_eq!(on(&Store::open(dir.path()).unwrap().conn), 1);
        assert_eq!(on(&Store::open_in_memory().unwrap().conn), 1);
    }
}
