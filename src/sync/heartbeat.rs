//! The heartbeat: a small status record for the service centre's fleet view. Only the latest
//! waits in the queue (`Store::enqueue_heartbeat`).

use std::path::Path;

use crate::clock::Clock;
use crate::store::{NewRecord, RecordKind, RecordStamp, Store, StoreError};

/// What the heartbeat reports that the store cannot know.
pub struct HeartbeatFacts<'a> {
    pub station: &'a str,
    /// A new paper roll's length (from the config), for the paper estimate.
    pub paper_roll_mm: Option<f64>,
    pub data_dir: &'a Path,
    pub directory: &'a crate::directory::Bundle,
}

/// Builds and queues a heartbeat. Returns whether it replaced one still waiting.
pub fn queue_heartbeat(
    store: &mut Store,
    clock: &dyn Clock,
    entropy: &dyn crate::entropy::Entropy,
    facts: &HeartbeatFacts<'_>,
) -> Result<crate::store::sync::Heartbeat, StoreError> {
    let stamp = RecordStamp::now(clock, entropy)?;
    let counts = store.outbox_counts()?;
    let oldest = store.oldest_waiting_wall_ms()?;
    let now_ms = stamp.clock.wall.timestamp_millis();
    let day = crate::station_time::day_string(stamp.clock.wall);
    // Faults only: the number of slips printed today, sent every quarter hour, would tell
    // when each slip was printed. Slips are counted in the day summary instead.
    let faults: i64 = store
        .connection()
        .query_row(
            "SELECT COALESCE(SUM(faults), 0) FROM printer_daily WHERE day = ?1",
            [&day],
            |r| r.get(0),
        )
        .map_err(|source| StoreError::Sqlite {
            path: facts.data_dir.display().to_string(),
            source,
        })?;
    let record = NewRecord {
        kind: RecordKind::Heartbeat,
        payload: serde_json::json!({
            "version": env!("CARGO_PKG_VERSION"),
            "station": facts.station,
            "queue": {
                "pending": counts.pending,
                "in_flight": counts.in_flight,
                "quarantined": counts.quarantined,
                "unsealed": store.unsealed_count()?,
                "oldest_waiting_age_s": oldest.map(|t| (now_ms - t).max(0) / 1000),
            },
            "printer": {
                "faults_today": faults,
                "last_status": store.printer_last()?.map(|(status, _, _)| status),
                // To the metre, for the same reason: a slip is about 11 cm of paper.
                "paper_left_mm": facts.paper_roll_mm.map(|roll| {
                    let left = (roll - store.paper_used_since_restock().unwrap_or(0.0)).max(0.0);
                    (left / 1000.0).round() * 1000.0
                }),
            },
            "directory": {
                "version": facts.directory.version,
                "expires": facts.directory.expires.to_string(),
            },
            "disk_free_bytes": disk_free_bytes(facts.data_dir),
            "uptime_s": stamp.clock.since_boot.as_secs(),
            "clock_synced": stamp.clock.synced,
        }),
        stamp,
    };
    store.enqueue_heartbeat(&record)
}

/// Free space for the kiosk's data, from statvfs; `None` when it cannot be read.
pub fn disk_free_bytes(path: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c_path = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    // SAFETY: statvfs only writes into the zeroed struct we own; the path is NUL-terminated.
    let mut stats: libc::statvfs = unsafe { std::mem::zeroed() };
    let result = unsafe { libc::statvfs(c_path.as_ptr(), &mut stats) };
    // The field types are narrower on 32-bit targets, hence the conversions.
    #[allow(clippy::useless_conversion)]
    (result == 0).then(|| u64::from(stats.f_bavail).saturating_mul(u64::from(stats.f_frsize)))
}
