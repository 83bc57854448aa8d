//! `waystation status`: what an engineer or the field team checks first.

use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::store::{self, DbState, RecordState};

#[derive(Debug, serde::Serialize)]
pub struct Status {
    pub version: &'static str,
    pub config_source: String,
    pub station_id: String,
    pub demo: bool,
    pub data_dir: Option<PathBuf>,
    pub database: Option<DbState>,
    pub directory: DirectoryState,
    pub uploads: UploadState,
}

/// Uploads as staff and the field team need to see them: where to, whether records are sealed,
/// how far behind the queue is, and the last error in plain words.
#[derive(Debug, serde::Serialize)]
pub struct UploadState {
    pub hub_url: Option<String>,
    /// Whether the centre's key is configured, so records are sealed and can be uploaded.
    pub sealing: bool,
    /// Records waiting for the centre's key (written before one was configured).
    pub unsealed: u64,
    pub oldest_waiting_age_s: Option<i64>,
    pub sync: Option<crate::store::sync::SyncState>,
    /// Free space for the data directory, and whether it is low enough to warn about.
    pub disk_free_bytes: Option<u64>,
    pub disk_low: bool,
    /// Problems in plain words, most urgent first; empty when all is well.
    pub warnings: Vec<String>,
}

/// Below this much free space staff are warned: nothing is ever dropped to make room, so they
/// must act (get the kiosk online, or export the queue) before the card is full.
pub const DISK_LOW_BYTES: u64 = 200 * 1024 * 1024;

impl UploadState {
    pub fn gather(config: &Config, dir: Option<&Path>, db: Option<&DbState>) -> UploadState {
        let now_ms = chrono::Utc::now().timestamp_millis();
        let waiting = db.map_or(0, |db| db.outbox.pending + db.outbox.in_flight);
        let quarantined = db.map_or(0, |db| db.outbox.quarantined);
        let disk_free_bytes = dir.and_then(crate::sync::heartbeat::disk_free_bytes);
        let mut state = UploadState {
            hub_url: config.hub.url.as_ref().map(|u| u.0.to_string()),
            sealing: config.hub.public_key.is_some(),
            unsealed: db.map_or(0, |db| db.unsealed),
            oldest_waiting_age_s: db
                .and_then(|db| db.oldest_waiting_wall_ms)
                .map(|t| (now_ms - t).max(0) / 1000),
            sync: db.and_then(|db| db.sync.clone()),
            disk_free_bytes,
            disk_low: disk_free_bytes.is_some_and(|free| free < DISK_LOW_BYTES),
            warnings: Vec::new(),
        };
        let sync = state.sync.clone().unwrap_or_default();
        if sync.clock_problem {
            state.warnings.push("clock not set: the kiosk's clock is wrong, so the secure connection to the hub fails. Check the network (time comes from NTP) and wait a few minutes.".into());
        }
        if state.disk_low {
            state.warnings.push("disk nearly full: nothing is deleted to make room. Get the kiosk online, or run `waystation queue export` to a USB stick, and call the field team.".into());
        }
        if quarantined > 0 {
            state.warnings.push(format!("{quarantined} record(s) refused by the hub and set aside: see `waystation queue list --state quarantined`, and tell the field team."));
        }
        if state.hub_url.is_none() && waiting > 0 {
            state.warnings.push(format!("{waiting} record(s) waiting and no hub configured: set [hub] url, or carry them with `waystation queue export`."));
        }
        if !state.sealing && state.unsealed > 0 {
            state.warnings.push(format!(
                "{} record(s) cannot be uploaded until the centre's key is set ([hub] public_key).",
                state.unsealed
            ));
        }
        if let Some(error) = sync.last_error.filter(|_| !sync.clock_problem) {
            state.warnings.push(format!("last upload failed: {error}"));
        }
        state
    }

    pub fn to_text(&self) -> String {
        let mut out = String::new();
        out += &format!(
            "hub          {}\n",
            self.hub_url.as_deref().unwrap_or("none configured")
        );
        let sealing = if self.sealing {
            "on".to_string()
        } else {
            format!(
                "off (no [hub] public_key; {} waiting unsealed)",
                self.unsealed
            )
        };
        out += &format!("sealing      {sealing}\n");
        let when = |ms: Option<i64>| {
            ms.and_then(chrono::DateTime::from_timestamp_millis)
                .map(|t| {
                    t.with_timezone(&chrono_tz::Asia::Shanghai)
                        .format("%Y-%m-%d %H:%M:%S")
                        .to_string()
                })
                .unwrap_or_else(|| "never".into())
        };
        let sync = self.sync.clone().unwrap_or_default();
        out += &format!("last upload  {}\n", when(sync.last_success_wall_ms));
        if let Some(age) = self.oldest_waiting_age_s {
            out += &format!("oldest wait  {} min\n", age / 60);
        }
        if let Some(free) = self.disk_free_bytes {
            out += &format!("disk free    {} MB\n", free / (1024 * 1024));
        }
        for warning in &self.warnings {
            out += &format!("WARNING      {warning}\n");
        }
        out
    }
}

/// The resource directory being served, and whether it is past its expiry (still served,
/// but staff should get the service centre's newer bundle installed).
#[derive(Debug, serde::Serialize)]
pub struct DirectoryState {
    pub version: u64,
    pub installed: bool,
    pub expires: String,
    pub expired: bool,
}

impl Status {
    pub fn gather(config_file: Option<&Path>, data_dir: Option<&Path>) -> Result<Status, String> {
        let (config, source) = Config::locate(config_file).map_err(|e| e.to_string())?;
        let dir = config.data_dir(&source, data_dir);
        let database = match &dir {
            Some(dir) => Some(store::inspect(dir).map_err(|e| e.to_string())?),
            None => None,
        };
        let key = config
            .directory
            .public_key
            .as_deref()
            .and_then(|k| crate::directory::bundle::public_key(k).ok());
        let active = crate::store::directory::active(dir.as_deref(), key.as_ref());
        let today = chrono::Utc::now()
            .with_timezone(&chrono_tz::Asia::Shanghai)
            .date_naive();
        let directory = DirectoryState {
            version: active.version,
            installed: active != crate::directory::Bundle::shipped(),
            expires: active.expires.to_string(),
            expired: active.expires < today,
        };
        if directory.expired {
            tracing::warn!(
                "the resource directory expired on {}: install the service centre's newer bundle",
                directory.expires
            );
        }
        let uploads = UploadState::gather(&config, dir.as_deref(), database.as_ref());
        Ok(Status {
            uploads,
            directory,
            version: env!("CARGO_PKG_VERSION"),
            config_source: source.to_string(),
            station_id: config.station.id.as_str().to_string(),
            demo: config.station.demo,
            data_dir: dir,
            database,
        })
    }

    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let demo = if self.demo { " (demo)" } else { "" };
        out += &format!("version      {}\n", self.version);
        out += &format!("config       {}\n", self.config_source);
        out += &format!("station      {}{demo}\n", self.station_id);
        match &self.data_dir {
            Some(dir) => out += &format!("data dir     {}\n", dir.display()),
            None => out += "data dir     none (set --data-dir)\n",
        }
        match &self.database {
            None => {}
            Some(db) if !db.exists => {
                out += &format!("database     not created yet ({})\n", db.path.display())
            }
            Some(db) => {
                let note = if db.schema_version < db.latest_schema_version {
                    ", will be migrated at next start"
                } else {
                    ""
                };
                out += &format!(
                    "database     {} (schema {} of {}{note})\n",
                    db.path.display(),
                    db.schema_version,
                    db.latest_schema_version
                );
                let counts: Vec<String> = RecordState::ALL
                    .iter()
                    .map(|s| format!("{} {}", db.outbox.get(*s), s))
                    .collect();
                out += &format!("outbox       {}\n", counts.join(", "));
            }
        }
        let d = &self.directory;
        let origin = if d.installed { "installed" } else { "built in" };
        let stale = if d.expired {
            " EXPIRED: still served, install a newer bundle"
        } else {
            ""
        };
        out += &format!(
            "directory    version {} ({origin}), expires {}{stale}\n",
            d.version, d.expires
        );
        out += &self.uploads.to_text();
        out
    }
}
