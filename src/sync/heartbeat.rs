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
    /// The kinds of brochure the station keeps, for those due a restock.
    pub brochures: &'a [crate::config::BrochureKind],
    pub data_dir: &'a Path,
    pub directory: &'a crate::directory::Bundle,
    /// The board's temperature and the installed image.
    pub machine: &'a dyn crate::machine::Machine,
    /// The image update's state (`sync::update::UpdateStep::report`): null on a kiosk not
    /// installed from an A/B image.
    pub update: serde_json::Value,
    /// Remote help (`sync::remote_help::RemoteHelpStep::report`): whether the kiosk can take
    /// it, root's client key and the tunnel.
    pub remote_help: serde_json::Value,
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
            // By kind and name (the station's config, in both languages): the centre's page
            // shows which to bring on the next visit.
            "brochures_due": brochures_due(store, facts.brochures, now_ms)?,
            "directory": {
                "version": facts.directory.version,
                "expires": facts.directory.expires.to_string(),
            },
            "image_version": facts.machine.image().map(|image| image.version),
            "update": facts.update,
            "remote_help": facts.remote_help,
            // To the degree: the fleet page warns from 70 °C (`staff::status::WARM_C`).
            "temperature_c": facts.machine.temperature_c().map(|c| c.round() as i64),
            "disk_free_bytes": disk_free_bytes(facts.data_dir),
            "uptime_s": stamp.clock.since_boot.as_secs(),
            "health": health_report(facts.data_dir, now_ms),
            "clock_synced": stamp.clock.synced,
        }),
        stamp,
    };
    store.enqueue_heartbeat(&record)
}

/// The brochures due a restock, by the same rule as the staff screen's amber line.
fn brochures_due(
    store: &Store,
    kinds: &[crate::config::BrochureKind],
    now_ms: i64,
) -> Result<Vec<serde_json::Value>, StoreError> {
    let restocks = store.brochure_restocks()?;
    let facts = crate::status::brochure_facts(kinds, &restocks, now_ms);
    Ok(kinds
        .iter()
        .zip(facts)
        .filter(|(_, facts)| facts.due())
        .map(|(kind, facts)| {
            serde_json::json!({ "kind": kind.kind.as_str(), "zh": facts.name.zh, "en": facts.name.en })
        })
        .collect())
}

/// The heartbeat's `health`, from root's `health-status.json` (`crate::health`): how this boot
/// began, the kiosk's starts in it and its crash loops in the last day and week as of `now_ms`.
/// Null where no root-side unit writes the file (a developer's machine); a file not as agreed
/// is reported as unreadable with its reason, never a failed heartbeat.
pub fn health_report(data_dir: &Path, now_ms: i64) -> serde_json::Value {
    let text = match std::fs::read_to_string(data_dir.join(crate::health::STATUS_FILE)) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return serde_json::Value::Null,
        Err(e) => return serde_json::json!({ "unreadable": e.to_string() }),
    };
    match crate::health::parse_status(&text) {
        Ok(status) => {
            let mut report = status.report(now_ms);
            report["unreadable"] = serde_json::Value::Null;
            report
        }
        Err(reason) => serde_json::json!({ "unreadable": reason }),
    }
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

#[cfg(test)]
mod tests {
    use super::health_report;

    #[test]
    fn the_health_report_is_null_without_roots_file_and_says_why_it_cannot_be_read() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(health_report(dir.path(), 0), serde_json::Value::Null);
        let file = dir.path().join(crate::health::STATUS_FILE);
        std::fs::write(&file, "{\"boot_reason\": \"sideways\"}").unwrap();
        let report = health_report(dir.path(), 0);
        assert!(report["unreadable"].as_str().unwrap().contains("sideways"));
        let day_ms = 86_400_000;
        std::fs::write(
            &file,
            format!(r#"{{"boot_reason": "crash_loop", "starts_this_boot": 6, "crash_loops": [{}, {}]}}"#, 10 * day_ms, 14 * day_ms),
        )
        .unwrap();
        let report = health_report(dir.path(), 14 * day_ms + 1);
        assert_eq!(report["boot_reason"], "crash_loop");
        assert_eq!(report["starts_this_boot"], 6);
        assert_eq!(
            (
                report["crash_loops_24h"].as_u64(),
                report["crash_loops_7d"].as_u64()
            ),
            (Some(1), Some(2))
        );
        assert!(report["unreadable"].is_null());
    }
}
