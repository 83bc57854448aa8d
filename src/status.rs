//! `waystation status`: what an engineer or the field team checks first.

use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::staff::status::DISK_RED_BYTES;
use crate::store::{self, DbState, RecordState};

pub mod english;

#[derive(Debug, serde::Serialize)]
pub struct Status {
    pub version: &'static str,
    pub config_source: String,
    pub station_id: String,
    pub demo: bool,
    pub data_dir: Option<PathBuf>,
    pub database: Option<DbState>,
    pub directory: DirectoryState,
    /// The system image's A/B update, from root's `update-status.json`; None when the kiosk
    /// was not installed from an A/B image (or has no data folder).
    pub update: Option<UpdateState>,
    /// Remote help (`sync::remote_help::report`, the heartbeat's field, with the jump host);
    /// None when the config names no jump host.
    pub remote_help: Option<serde_json::Value>,
    pub uploads: UploadState,
    /// The staff status at a glance (the same lines as the staff screen, in English), and the
    /// LED pattern.
    pub staff: Vec<english::EnglishLine>,
    pub led: crate::staff::status::LedPattern,
}

/// Which directory bundle is served: all that the staff status needs of it (so that asking for
/// fresh facts copies two fields, not the whole directory).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServedDirectory {
    pub version: u64,
    pub expires: chrono::NaiveDate,
}

impl From<&crate::directory::Bundle> for ServedDirectory {
    fn from(bundle: &crate::directory::Bundle) -> ServedDirectory {
        ServedDirectory {
            version: bundle.version,
            expires: bundle.expires,
        }
    }
}

/// Everything the staff status rules need, from the config, the store, the clock, the board's
/// paper sensor and the system. The kiosk's staff screen and `waystation status` both use it.
pub fn staff_facts(
    config: &Config,
    store: Option<&crate::store::Store>,
    directory: ServedDirectory,
    data_dir: Option<&Path>,
    clock: &crate::clock::ClockReading,
    sensor_low: Option<bool>,
    machine: &dyn crate::machine::Machine,
) -> crate::staff::status::Facts {
    use crate::staff::status::{Facts, NetworkFacts, PaperFacts, PrinterFacts};
    let now_ms = clock.wall.timestamp_millis();
    let db = store.and_then(|s| {
        Some((
            s.printer_last().ok()?,
            s.paper_used_since_restock().ok()?,
            s.brochure_restocks().ok()?,
            s.sync_state().ok()?,
            s.outbox_counts().ok()?,
            s.oldest_waiting_wall_ms().ok()?,
        ))
    });
    let (printer_last, used, restocks, sync, counts, oldest) = match db {
        Some(db) => db,
        None => (
            None,
            0.0,
            vec![],
            Default::default(),
            Default::default(),
            None,
        ),
    };
    let age = |ms: i64| ((now_ms - ms) / 1000).max(0);
    Facts {
        printer: PrinterFacts {
            configured: config.printer.transport != crate::config::PrinterTransport::None,
            status: printer_last
                .as_ref()
                .and_then(|(status, _, _)| crate::printer::PrinterStatus::from_name(status)),
            last_fault: printer_last.and_then(|(_, fault, _)| fault),
        },
        paper: PaperFacts {
            roll_mm: config.staff.paper_roll_m.map(|m| f64::from(m.0) * 1000.0),
            used_since_restock_mm: used,
            sensor_low,
        },
        brochures: brochure_facts(&config.staff.brochures, &restocks, now_ms),
        network: NetworkFacts {
            hub_configured: config.hub.url.is_some() && config.hub.public_key.is_some(),
            last_success_age_s: sync.last_success_wall_ms.map(age),
            waiting: counts.pending + counts.in_flight,
            oldest_waiting_age_s: oldest.map(age),
            quarantined: counts.quarantined,
        },
        clock_synced: clock.synced,
        clock_problem: sync.clock_problem,
        directory_version: directory.version,
        directory_expires: directory.expires,
        today: crate::station_time::day_of(clock.wall),
        version: env!("CARGO_PKG_VERSION").to_string(),
        uptime_s: clock.since_boot.as_secs(),
        disk_free_bytes: data_dir.and_then(crate::sync::heartbeat::disk_free_bytes),
        image_version: machine.image().map(|image| image.version),
        temperature_c: machine.temperature_c(),
        update: data_dir.map_or(
            crate::update::StatusFile::Absent,
            crate::sync::update::read_status,
        ),
    }
}

/// Each kind of brochure the station keeps, with its last restock as of `now_ms`.
pub fn brochure_facts(
    kinds: &[crate::config::BrochureKind],
    restocks: &[crate::store::staff::BrochureRestocks],
    now_ms: i64,
) -> Vec<crate::staff::status::BrochureFacts> {
    kinds
        .iter()
        .map(|kind| crate::staff::status::BrochureFacts {
            name: crate::slip::Pair {
                zh: kind.name_zh.as_str().to_string(),
                en: kind.name_en.as_str().to_string(),
            },
            last_restock: restocks
                .iter()
                .find(|r| r.kind == kind.kind.as_str())
                .map(|r| ((now_ms - r.last_wall_ms).max(0) / 86_400_000, r.last_count)),
            restock_every_days: kind.restock_every_days.0,
        })
        .collect()
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

impl UploadState {
    /// `now` is the wall clock's reading, from the clock edge.
    pub fn gather(
        config: &Config,
        dir: Option<&Path>,
        db: Option<&DbState>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> UploadState {
        let now_ms = now.timestamp_millis();
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
            disk_low: disk_free_bytes.is_some_and(|free| free < DISK_RED_BYTES),
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
                    crate::station_time::local(t)
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

/// The remote help lines of `waystation status`, from the heartbeat's report.
fn remote_help_text(report: &serde_json::Value) -> String {
    let text = |name: &str| report[name].as_str().unwrap_or_default().to_string();
    let mut out = format!("jump host    {}\n", text("jump_host"));
    if report["available"] != true {
        out += "remote help  unavailable: no remote-help/ folder (not installed from the image)\n";
        return out;
    }
    out += &match report["until"].as_str() {
        Some(until) => format!("remote help  on until {until} (UTC)\n"),
        None => "remote help  off\n".to_string(),
    };
    if let Some(tunnel) = report["tunnel"].as_str() {
        let detail = text("detail");
        let detail = if detail.is_empty() {
            String::new()
        } else {
            format!(" ({detail})")
        };
        out += &format!("tunnel       {tunnel}{detail}\n");
    }
    if report["client_key"].is_null() {
        out += "WARNING      root's remote help key is missing (remote-help/client-key.pub)\n";
    }
    out
}

/// The system image's update as root's scripts last wrote it, and the kiosk's files for it.
#[derive(Debug, serde::Serialize)]
pub struct UpdateState {
    pub slot: Option<String>,
    pub last: Option<crate::update::LastUpdate>,
    /// Why `update-status.json` cannot be read, if it cannot.
    pub unreadable: Option<String>,
    /// The bundles in `updates/` (`*.raucb` checked, `*.raucb.part` downloading), with their
    /// sizes in bytes.
    pub files: Vec<(String, u64)>,
}

impl UpdateState {
    pub fn gather(dir: &Path) -> Option<UpdateState> {
        let (slot, last, unreadable) = match crate::sync::update::read_status(dir) {
            crate::update::StatusFile::Absent => return None,
            crate::update::StatusFile::Unreadable(reason) => (None, None, Some(reason)),
            crate::update::StatusFile::Read(status) => (Some(status.slot), status.last, None),
        };
        let mut files: Vec<(String, u64)> = std::fs::read_dir(dir.join(crate::update::UPDATES_DIR))
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| {
                let name = entry.file_name().to_string_lossy().into_owned();
                let bundle = name.ends_with(".raucb") || name.ends_with(".raucb.part");
                bundle.then(|| (name, entry.metadata().map_or(0, |m| m.len())))
            })
            .collect();
        files.sort();
        Some(UpdateState {
            slot,
            last,
            unreadable,
            files,
        })
    }

    pub fn to_text(&self) -> String {
        let mut out = String::new();
        if let Some(reason) = &self.unreadable {
            out += &format!("update       update-status.json cannot be read: {reason}\n");
        }
        if let Some(slot) = &self.slot {
            out += &format!("image slot   {slot}\n");
        }
        match &self.last {
            Some(last) => {
                let detail = if last.detail.is_empty() {
                    String::new()
                } else {
                    format!(": {}", last.detail)
                };
                out += &format!(
                    "last update  {} {} at {}{detail}\n",
                    last.version,
                    last.outcome.name(),
                    last.at
                );
            }
            None if self.unreadable.is_none() => out += "last update  none yet\n",
            None => {}
        }
        for (name, bytes) in &self.files {
            out += &format!("update file  {name} ({bytes} bytes)\n");
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
    /// `clock` is a reading of the clocks, from the clock edge.
    pub fn gather(
        config_file: Option<&Path>,
        data_dir: Option<&Path>,
        clock: &crate::clock::ClockReading,
    ) -> Result<Status, String> {
        let now = clock.wall;
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
        let today = crate::station_time::day_of(now);
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
        let uploads = UploadState::gather(&config, dir.as_deref(), database.as_ref(), now);
        let update = dir.as_deref().and_then(UpdateState::gather);
        let remote_help = config.remote_help.as_ref().map(|jump| {
            let folder = dir
                .as_deref()
                .map(|dir| dir.join(crate::remote_help::FOLDER))
                .unwrap_or_default();
            let mut report = crate::sync::remote_help::report(&folder, folder.is_dir());
            report["jump_host"] = format!(
                "{}@{}:{}",
                jump.jump_user.0, jump.jump_host.0, jump.jump_port
            )
            .into();
            report
        });
        // The store is opened only when it exists at the current schema: `status` must not
        // create or migrate a database.
        let store = match (&dir, &database) {
            (Some(dir), Some(db)) if db.exists && db.schema_version == db.latest_schema_version => {
                crate::store::Store::open(dir).ok()
            }
            _ => None,
        };
        let facts = staff_facts(
            &config,
            store.as_ref(),
            (&active).into(),
            dir.as_deref(),
            clock,
            None,
            &crate::machine::Host::new(),
        );
        let lines = crate::staff::status::lines(&facts);
        let led = crate::staff::status::led(&lines);
        Ok(Status {
            staff: lines.iter().map(english::line).collect(),
            led,
            uploads,
            directory,
            update,
            remote_help,
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
        if let Some(update) = &self.update {
            out += &update.to_text();
        }
        if let Some(report) = &self.remote_help {
            out += &remote_help_text(report);
        }
        out += &self.uploads.to_text();
        out += "\nstaff status (LED ";
        out += match self.led {
            crate::staff::status::LedPattern::Steady => "steady",
            crate::staff::status::LedPattern::Blinking => "blinking: staff needed",
            // `waystation status` is another process: it never sees the kiosk's calls.
            crate::staff::status::LedPattern::StaffCall => "double blink: a worker called",
        };
        out += ")\n";
        for line in &self.staff {
            let mark = match line.level {
                crate::staff::status::Level::Green => "ok ",
                crate::staff::status::Level::Amber => "AMBER",
                crate::staff::status::Level::Red => "RED",
            };
            out += &format!("  {mark:<6}{:<26} {}\n", line.label, line.value);
            if let Some(advice) = &line.advice {
                out += &format!("        {:<26} → {advice}\n", "");
            }
        }
        out
    }
}
