//! Copies of the database that let an image update roll back (docs/deploy.md, "Image
//! updates").
//!
//! Migrations only go forward, and none can be undone: an older kiosk refuses a database a
//! newer one migrated (`StoreError::TooNew`). So before it migrates a database, the store keeps
//! a copy of it as it was, `snapshots/schema-N.db` (N its schema version). An older kiosk that
//! finds a newer database, because the card went back to the old slot, puts that database
//! aside (`snapshots/set-aside-schema-M.db`), takes back the copy of its own schema, and carries
//! over every record the newer version queued that the hub has not acknowledged: nothing
//! waiting to be sent is lost, and what the newer version counted stays in the file set aside.
//!
//! The copies are kept only while a new version is tried: root's `waystation-update health`
//! deletes `snapshots/` once the new slot is marked good (they hold what the database held, and
//! the data inventory promises deletions the copy would not make).

use std::path::{Path, PathBuf};

use rusqlite::Connection;

use super::{DB_FILE, StoreError};

pub const SNAPSHOTS_DIR: &str = "snapshots";

/// What opening a database at schema `found` needs, for a program that knows `known`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    /// Up to date, new, or too old to copy (below `DAY_SUMMARIES` the migrations erase
    /// per-visit rows for good, and a copy would keep them; no image with such a schema has
    /// A/B slots to go back to).
    Nothing,
    /// It is about to be migrated, which cannot be undone: keep a copy as it is.
    Copy,
    /// It is newer than this program: take back the copy of `known`, if there is one.
    TakeBack,
}

pub fn plan(found: usize, known: usize) -> Plan {
    if found > known {
        Plan::TakeBack
    } else if found >= super::migrations::DAY_SUMMARIES && found < known {
        Plan::Copy
    } else {
        Plan::Nothing
    }
}

/// The copy of the database at schema version `version`.
pub fn snapshot_path(data_dir: &Path, version: usize) -> PathBuf {
    data_dir
        .join(SNAPSHOTS_DIR)
        .join(format!("schema-{version}.db"))
}

fn failed(path: &Path, reason: impl std::fmt::Display) -> StoreError {
    StoreError::DataDir {
        path: path.display().to_string(),
        reason: reason.to_string(),
    }
}

/// Writes `snapshots/schema-{version}.db`, a consistent copy of the open database (`VACUUM
/// INTO`), synced and then renamed into place, so a power cut leaves the old copy or the new
/// one, never half of one.
pub fn take(conn: &Connection, data_dir: &Path, version: usize) -> Result<PathBuf, StoreError> {
    let dir = data_dir.join(SNAPSHOTS_DIR);
    std::fs::create_dir_all(&dir).map_err(|e| failed(&dir, e))?;
    let target = snapshot_path(data_dir, version);
    let partial = dir.join(format!("schema-{version}.db.partial"));
    let _ = std::fs::remove_file(&partial);
    conn.execute("VACUUM INTO ?1", [partial.display().to_string()])
        .map_err(|source| StoreError::Sqlite {
            path: partial.display().to_string(),
            source,
        })?;
    sync_file(&partial)?;
    std::fs::rename(&partial, &target).map_err(|e| failed(&target, e))?;
    sync_file(&dir)?;
    Ok(target)
}

fn sync_file(path: &Path) -> Result<(), StoreError> {
    std::fs::File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(|e| failed(path, e))
}

/// What `restore` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    pub set_aside: PathBuf,
    /// Records carried over from the database set aside (not yet acknowledged by the hub).
    pub carried: usize,
}

/// Called with the database closed when it is newer (`found`) than this program (`known`):
/// when a copy at `known` exists, the newer database (and its WAL) moves to `snapshots/`, the
/// copy takes its place, and the records still waiting in the newer one are carried over.
/// `None` when there is no copy: the database is left as it is (and refused as too new).
pub fn restore(
    data_dir: &Path,
    found: usize,
    known: usize,
) -> Result<Option<Restored>, StoreError> {
    let copy = snapshot_path(data_dir, known);
    if !copy.exists() {
        return Ok(None);
    }
    let db = data_dir.join(DB_FILE);
    let set_aside = free_name(
        &data_dir.join(SNAPSHOTS_DIR),
        &format!("set-aside-schema-{found}"),
    );
    // The WAL first: a database file without its WAL would lose the newest commits.
    for suffix in ["-wal", "-shm"] {
        let side = PathBuf::from(format!("{}{suffix}", db.display()));
        if side.exists() {
            let to = PathBuf::from(format!("{}{suffix}", set_aside.display()));
            std::fs::rename(&side, &to).map_err(|e| failed(&side, e))?;
        }
    }
    std::fs::rename(&db, &set_aside).map_err(|e| failed(&db, e))?;
    let partial = data_dir.join(format!("{DB_FILE}.restoring"));
    std::fs::copy(&copy, &partial).map_err(|e| failed(&copy, e))?;
    sync_file(&partial)?;
    std::fs::rename(&partial, &db).map_err(|e| failed(&db, e))?;
    sync_file(data_dir)?;
    let carried = carry_waiting_records(&db, &set_aside)?;
    Ok(Some(Restored { set_aside, carried }))
}

fn free_name(dir: &Path, stem: &str) -> PathBuf {
    let mut n = 1;
    loop {
        let name = if n == 1 {
            format!("{stem}.db")
        } else {
            format!("{stem}-{n}.db")
        };
        let path = dir.join(name);
        if !path.exists() {
            return path;
        }
        n += 1;
    }
}

/// Copies the outbox rows not yet acknowledged from the database set aside into the restored
/// one, in the columns both outboxes have, as pending; a record already there (same id) is
/// left alone. One transaction: all of them or none.
fn carry_waiting_records(db: &Path, set_aside: &Path) -> Result<usize, StoreError> {
    let sqlite = |source| StoreError::Sqlite {
        path: db.display().to_string(),
        source,
    };
    let mut conn = Connection::open(db).map_err(sqlite)?;
    conn.execute(
        "ATTACH DATABASE ?1 AS newer",
        [set_aside.display().to_string()],
    )
    .map_err(sqlite)?;
    let ours = outbox_columns(&conn, "main").map_err(sqlite)?;
    let theirs = outbox_columns(&conn, "newer").map_err(sqlite)?;
    // seq is renumbered here (the hub orders by it within a device, and these come after
    // everything the restored copy holds); state and the claim are reset below.
    let shared: Vec<&String> = ours
        .iter()
        .filter(|c| {
            theirs.contains(c) && !["seq", "state", "claimed_until_ms"].contains(&c.as_str())
        })
        .collect();
    let list = shared
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let tx = conn.transaction().map_err(sqlite)?;
    let carried = tx
        .execute(
            &format!(
                "INSERT OR IGNORE INTO main.outbox ({list}, state)
                 SELECT {list}, CASE state WHEN 'quarantined' THEN 'quarantined' ELSE 'pending' END
                 FROM newer.outbox WHERE state != 'acked' ORDER BY seq"
            ),
            [],
        )
        .map_err(sqlite)?;
    tx.commit().map_err(sqlite)?;
    conn.execute("DETACH DATABASE newer", []).map_err(sqlite)?;
    Ok(carried)
}

fn outbox_columns(conn: &Connection, schema: &str) -> rusqlite::Result<Vec<String>> {
    let mut statement = conn.prepare(&format!("PRAGMA {schema}.table_info(outbox)"))?;
    let names = statement
        .query_map([], |row| row.get::<_, String>(1))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{NewRecord, Store, latest_schema_version};

    fn record(n: u128) -> NewRecord {
        crate::store::tests::record(&crate::store::tests::clock(), n)
    }

    fn user_version(path: &Path) -> usize {
        Connection::open(path)
            .unwrap()
            .pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))
            .unwrap() as usize
    }

    fn waiting_ids(store: &Store) -> Vec<String> {
        let mut statement = store
            .connection()
            .prepare("SELECT id FROM outbox WHERE state = 'pending' ORDER BY seq")
            .unwrap();
        statement
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    #[test]
    fn a_database_is_copied_only_before_a_migration_that_keeps_no_per_visit_rows() {
        let day_summaries = crate::store::migrations::DAY_SUMMARIES;
        assert_eq!(plan(0, 12), Plan::Nothing, "a new database");
        assert_eq!(plan(day_summaries - 1, 12), Plan::Nothing);
        assert_eq!(plan(day_summaries, 12), Plan::Copy);
        assert_eq!(plan(11, 12), Plan::Copy);
        assert_eq!(plan(12, 12), Plan::Nothing);
        assert_eq!(plan(13, 12), Plan::TakeBack);
    }

    #[test]
    fn a_copy_is_the_database_as_it_was_and_replaces_an_older_copy() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        store.commit_record(&record(1), |_| Ok(())).unwrap();
        take(store.connection(), dir.path(), 7).unwrap();
        store.commit_record(&record(2), |_| Ok(())).unwrap();
        let copy = take(store.connection(), dir.path(), 7).unwrap();
        store.commit_record(&record(3), |_| Ok(())).unwrap();
        let rows: i64 = Connection::open(&copy)
            .unwrap()
            .query_row("SELECT count(*) FROM outbox", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 2, "the second copy, made after two records");
        let names: Vec<_> = std::fs::read_dir(dir.path().join(SNAPSHOTS_DIR))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(
            names,
            vec!["schema-7.db".to_string()],
            "no partial file left"
        );
    }

    /// The card rolled back: the newer version had migrated the database (and queued a record
    /// the hub has not acknowledged); this version takes back its own copy and the record.
    #[test]
    fn an_older_program_takes_back_its_copy_and_the_records_still_waiting() {
        let dir = tempfile::tempdir().unwrap();
        let latest = latest_schema_version();
        let mut store = Store::open(dir.path()).unwrap();
        store.commit_record(&record(1), |_| Ok(())).unwrap();
        // What a newer version does when it starts: the copy, then its migration (here a new
        // column and the version), then a record of its own.
        take(store.connection(), dir.path(), latest).unwrap();
        store
            .connection()
            .execute_batch(&format!(
                "ALTER TABLE outbox ADD COLUMN added_by_newer TEXT;
                 PRAGMA user_version = {};",
                latest + 1
            ))
            .unwrap();
        store.commit_record(&record(2), |_| Ok(())).unwrap();
        drop(store);

        let store = Store::open(dir.path()).unwrap();
        assert_eq!(user_version(&dir.path().join(DB_FILE)), latest);
        assert_eq!(
            waiting_ids(&store),
            vec![
                uuid::Uuid::from_u128(1).to_string(),
                uuid::Uuid::from_u128(2).to_string()
            ]
        );
        let aside = dir
            .path()
            .join(SNAPSHOTS_DIR)
            .join(format!("set-aside-schema-{}.db", latest + 1));
        assert_eq!(
            user_version(&aside),
            latest + 1,
            "the newer database is kept, set aside"
        );
        // Opening again changes nothing more.
        drop(store);
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(waiting_ids(&store).len(), 2);
    }

    #[test]
    fn without_a_copy_a_newer_database_is_still_refused() {
        let dir = tempfile::tempdir().unwrap();
        drop(Store::open(dir.path()).unwrap());
        Connection::open(dir.path().join(DB_FILE))
            .unwrap()
            .pragma_update(None, "user_version", 99)
            .unwrap();
        assert!(matches!(
            Store::open(dir.path()),
            Err(StoreError::TooNew { found: 99, .. })
        ));
        assert_eq!(
            user_version(&dir.path().join(DB_FILE)),
            99,
            "left as it was"
        );
    }
}
