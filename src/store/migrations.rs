//! The database schema, as an append-only list of migrations.
//!
//! Never edit a migration that has shipped: add a new one at the end. `rusqlite_migration`
//! keeps the applied count in SQLite's `user_version`, so a kiosk that was offline for months
//! catches up in order when it is updated. Migrations 1 to 8 are plain SQL (`MIGRATIONS`);
//! from 9 on a migration may also run Rust (a hook, which cannot be a constant), so the full
//! list is `all()`.

use rusqlite::Transaction;
use rusqlite_migration::{HookResult, M, Migrations};

/// The schema version from which nothing per visit is kept (migration 10). A database opened
/// below it held per-visit records, acknowledged payloads and (below 9) clear personal trend
/// rows and Argon2 hashes, so `Store::prepare` rewrites the whole file after migrating it
/// (VACUUM, then a checkpoint that empties the WAL).
pub const DAY_SUMMARIES: usize = 10;

/// The first migrations in order, plain SQL; the schema version of a database is how many of
/// `all()` it has had. Closed: a new migration goes at the end of `all()`, never here, or it
/// would take the number of one that has shipped.
pub const MIGRATIONS: &[M<'static>] = &[
    // 1: the outbox. Every capability writes its upload record here in the same
    // transaction as its own rows (see `Store::commit_record`).
    M::up(
        "CREATE TABLE outbox (
                -- The per-device sequence number. AUTOINCREMENT so a number is never reused,
                -- even if acknowledged rows are pruned one day: the hub orders by it.
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                -- The record's permanent id (UUID, text form; random since version 10); the hub
                -- deduplicates by it.
                id TEXT NOT NULL UNIQUE,
                kind TEXT NOT NULL,
                schema_version INTEGER NOT NULL,
                payload BLOB NOT NULL,
                -- Wall time at creation (Unix milliseconds), and whether NTP had synchronised
                -- the clock then. Before the first sync the wall time may be far off; the boot
                -- id and the monotonic time since boot let the hub correct it.
                created_wall_ms INTEGER NOT NULL,
                clock_synced INTEGER NOT NULL CHECK (clock_synced IN (0, 1)),
                boot_id TEXT NOT NULL,
                monotonic_ms INTEGER NOT NULL,
                state TEXT NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'in_flight', 'acked', 'quarantined')),
                attempts INTEGER NOT NULL DEFAULT 0,
                -- Why the hub refused a quarantined record, or the last transient failure.
                last_error TEXT
            ) STRICT;
            CREATE INDEX outbox_by_state ON outbox (state, seq);",
    ),
    // 2: completed self-checks per day (Asia/Shanghai), instrument and band, for the station's
    // own figures. Counts only: no answers, no times of day.
    M::up(
        "CREATE TABLE screening_daily (
            day TEXT NOT NULL,
            instrument TEXT NOT NULL,
            band TEXT NOT NULL,
            completed INTEGER NOT NULL CHECK (completed > 0),
            PRIMARY KEY (day, instrument, band)
        ) STRICT;",
    ),
    // 3: mood check-ins. Per-day counts for the station's week view; the personal trend rows,
    // keyed by the salted hash of a personal code and never uploaded; and kiosk secrets (the
    // salt of those hashes).
    M::up(
        "CREATE TABLE mood_daily (
            day TEXT NOT NULL,
            quadrant TEXT NOT NULL,
            word TEXT NOT NULL,
            count INTEGER NOT NULL CHECK (count > 0),
            PRIMARY KEY (day, quadrant, word)
        ) STRICT;
        CREATE TABLE mood_tag_daily (
            day TEXT NOT NULL,
            tag TEXT NOT NULL,
            count INTEGER NOT NULL CHECK (count > 0),
            PRIMARY KEY (day, tag)
        ) STRICT;
        CREATE TABLE mood_personal (
            id INTEGER PRIMARY KEY,
            code_hash BLOB NOT NULL,
            day TEXT NOT NULL,
            quadrant TEXT NOT NULL,
            pleasantness INTEGER NOT NULL,
            energy INTEGER NOT NULL,
            word TEXT NOT NULL
        ) STRICT;
        CREATE INDEX mood_personal_by_code ON mood_personal (code_hash, id);
        CREATE TABLE kiosk_secret (
            name TEXT PRIMARY KEY,
            value BLOB NOT NULL
        ) STRICT;",
    ),
    // 4: the printer's use per day (for the staff view's paper estimate and fault list).
    M::up(
        "CREATE TABLE printer_daily (
            day TEXT PRIMARY KEY,
            jobs INTEGER NOT NULL DEFAULT 0,
            paper_mm REAL NOT NULL DEFAULT 0,
            faults INTEGER NOT NULL DEFAULT 0
        ) STRICT;",
    ),
    // 5: every directory bundle version ever installed, so an older signed bundle can never be
    // installed again.
    M::up(
        "CREATE TABLE directory_installed (
            version INTEGER PRIMARY KEY,
            installed_wall_ms INTEGER NOT NULL
        ) STRICT;",
    ),
    // 6: the uploader's lease on a claimed batch (monotonic milliseconds): a batch whose
    // uploader died is claimed again once its lease runs out.
    M::up("ALTER TABLE outbox ADD COLUMN claimed_until_ms INTEGER;"),
    // 7: sealing and the uploader's state. `sealed` says the payload is sealed to the centre's
    // key (only sealed records are uploaded; a kiosk without a key keeps them unsealed until
    // it has one). `day` is the Asia/Shanghai day of the record, which travels in the clear;
    // Shanghai has kept UTC+8 without summer time since 1991, so older rows can be filled in
    // SQL, with the offset from `station_time` (the SQL text is the same as when it shipped).
    // `sync_state` holds one row: what staff need to see about uploads.
    M::up(concat!(
        "ALTER TABLE outbox ADD COLUMN sealed INTEGER NOT NULL DEFAULT 0 CHECK (sealed IN (0, 1));
        ALTER TABLE outbox ADD COLUMN day TEXT;
        UPDATE outbox SET day = date(created_wall_ms / 1000 + ",
        crate::station_time::station_offset_seconds!(),
        ", 'unixepoch');
        CREATE TABLE sync_state (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            last_attempt_wall_ms INTEGER,
            last_success_wall_ms INTEGER,
            last_error TEXT,
            -- 1 when the last failure looked like the clock being wrong (TLS before NTP).
            clock_problem INTEGER NOT NULL DEFAULT 0 CHECK (clock_problem IN (0, 1)),
            bundle_etag TEXT
        ) STRICT;
        INSERT INTO sync_state (id) VALUES (1);",
    )),
    // 8: staff mode. Restocks (paper rolls with the printer's paper total at that moment, so
    // the paper left is the roll minus what was printed since; brochures by kind and count);
    // the printer's last status and fault; wrong-PIN failures in a row (kept across restarts
    // so pulling the plug does not reset the throttle); and the staff audit log.
    M::up(
        "CREATE TABLE restock (
            id INTEGER PRIMARY KEY,
            item TEXT NOT NULL CHECK (item IN ('paper', 'brochure')),
            kind TEXT,
            count INTEGER NOT NULL DEFAULT 1 CHECK (count > 0),
            wall_ms INTEGER NOT NULL,
            paper_total_mm REAL NOT NULL
        ) STRICT;
        CREATE TABLE printer_last (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            status TEXT NOT NULL,
            fault TEXT,
            wall_ms INTEGER NOT NULL
        ) STRICT;
        CREATE TABLE staff_lock (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            failures INTEGER NOT NULL DEFAULT 0
        ) STRICT;
        INSERT INTO staff_lock (id) VALUES (1);
        CREATE TABLE staff_audit (
            id INTEGER PRIMARY KEY,
            wall_ms INTEGER NOT NULL,
            action TEXT NOT NULL,
            detail TEXT
        ) STRICT;",
    ),
];

/// Every migration, in order: `MIGRATIONS`, then those that run Rust.
pub fn all() -> Vec<M<'static>> {
    let mut all = MIGRATIONS.to_vec();
    // 9: personal trend rows sealed (issue 16). The old rows were in clear, keyed by the
    // code's Argon2id hash itself; each becomes one ChaCha20-Poly1305 ciphertext of its
    // content under a key derived from that hash, found by a lookup tag derived from it too
    // (`mood::personal`). The hook seals the old rows into the new table, then the old table
    // (hashes and all) is dropped; `secure_delete`, on since this version, zeroes its pages.
    all.push(M::up_with_hook(
        "CREATE TABLE mood_personal_sealed (
            -- Insertion order: a code keeps its last 12 rows.
            id INTEGER PRIMARY KEY,
            -- HKDF of the code's Argon2id hash: finds a code's rows, opens nothing.
            tag BLOB NOT NULL CHECK (length(tag) = 32),
            -- nonce (12 bytes) and ChaCha20-Poly1305 ciphertext of day, quadrant, the two
            -- axis values and word, with the tag as associated data.
            sealed BLOB NOT NULL
        ) STRICT;
        CREATE INDEX mood_personal_by_tag ON mood_personal_sealed (tag, id);",
        seal_personal_rows,
    ));
    // 10: day summaries (issue 16). Nothing per visit is kept or uploaded any more: each thing
    // a worker does adds to `day_count` (a day, a metric, a key, how many), and closed days
    // become `day_summary` records once they hold 11 visits (`store::counts`). The hook folds
    // the per-visit records an older version queued (see `counts::fold_legacy`), replaces
    // the old per-day tables, and empties acknowledged payloads; the store then rewrites the
    // file so none of it stays in free pages.
    all.push(M::up_with_hook(
        "CREATE TABLE day_count (
            -- The Shanghai day, YYYY-MM-DD: nothing finer is ever kept next to these counts.
            day TEXT NOT NULL,
            metric TEXT NOT NULL,
            -- The metric's key parts joined with '/' (waystation_protocol::summary::key).
            key TEXT NOT NULL,
            count INTEGER NOT NULL CHECK (count > 0),
            PRIMARY KEY (day, metric, key)
        ) STRICT, WITHOUT ROWID;
        CREATE TABLE summary_state (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            -- The last day released in a summary (or sent as per-visit records by an older
            -- version); a count made on or before it goes to the day after.
            summarised_through TEXT
        ) STRICT;
        INSERT INTO summary_state (id) VALUES (1);",
        fold_per_visit_records,
    ));
    all
}

/// Migration 10's hook.
fn fold_per_visit_records(tx: &Transaction) -> HookResult {
    let folded = super::counts::fold_legacy(tx)?;
    if folded > 0 {
        tracing::info!("folded {folded} per-visit records into the day counts");
    }
    Ok(())
}

/// Migration 9's hook: the nonces come from the operating system. If it has no randomness to
/// give, the migration fails and the database stays as it was (one transaction).
fn seal_personal_rows(tx: &Transaction) -> HookResult {
    let sealed = super::mood::seal_clear_rows(tx, &mut |bytes| {
        crate::entropy::Entropy::fill(&crate::entropy::SystemEntropy, bytes)
            .map_err(|e| format!("no randomness for sealing: {e}"))
    })?;
    tx.execute_batch(
        "DROP TABLE mood_personal;
         ALTER TABLE mood_personal_sealed RENAME TO mood_personal;",
    )?;
    if sealed > 0 {
        tracing::info!("sealed {sealed} personal trend rows");
    }
    Ok(())
}

pub fn migrations() -> Migrations<'static> {
    Migrations::new(all())
}

/// How many migrations there are: the latest schema version.
pub fn count() -> usize {
    all().len()
}

#[cfg(test)]
mod tests {
    #[test]
    fn migrations_are_valid() {
        super::migrations().validate().unwrap();
    }
}
