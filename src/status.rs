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
        Ok(Status {
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
        out
    }
}
