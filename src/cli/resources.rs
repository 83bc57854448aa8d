//! `waystation resources list|verify|install|sign|keygen`.

use std::path::Path;

use super::ResourcesAction;
use super::{Failure, bad_input};
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::store::Store;

/// `waystation resources ...`.
pub(super) fn resources(
    config_file: Option<&Path>,
    data_dir: Option<&Path>,
    action: ResourcesAction,
) -> Result<(), Failure> {
    let (config, source) = Config::locate(config_file).map_err(|e| e.to_string())?;
    match action {
        ResourcesAction::List {
            near,
            at,
            topic,
            crisis,
            json,
        } => {
            let dir = config.data_dir(&source, data_dir);
            // Listing shows what the station would show, so a bundle that does not check
            // out falls back to the shipped one instead of failing.
            let key = directory_key(&config).ok();
            let active = crate::store::directory::active(dir.as_deref(), key.as_ref());
            let query = crate::directory::rank::Query {
                demo: config.station.demo,
                district: config.station.district,
                here: near.or(config.station.location()),
                now: listing_time(at.as_deref())?,
                crisis,
                topics: Vec::new(),
                only_topic: topic,
            };
            list(&active, &query, json)
        }
        ResourcesAction::Verify { file } => verify(&config, &file),
        ResourcesAction::Install { file } => {
            let dir = config
                .data_dir(&source, data_dir)
                .ok_or("no data directory: set --data-dir")?;
            install(&config, &dir, &file)
        }
        ResourcesAction::Sign { key, input, output } => sign(&key, &input, &output),
        ResourcesAction::Keygen { secret } => keygen(&secret),
    }
}

/// The directory's public key from the config, without which no bundle can be checked.
fn directory_key(config: &Config) -> Result<ed25519_dalek::VerifyingKey, Failure> {
    let text = config
        .directory
        .public_key
        .as_deref()
        .ok_or("no directory.public_key in the config: bundles cannot be checked")?;
    crate::directory::bundle::public_key(text).map_err(|e| Failure::from(e.to_string()))
}

fn read(path: &Path) -> Result<String, Failure> {
    std::fs::read_to_string(path)
        .map_err(|e| Failure::from(format!("cannot read {}: {e}", path.display())))
}

/// The station's local time to list at: `--at` (RFC 3339) or now.
fn listing_time(at: Option<&str>) -> Result<chrono::NaiveDateTime, Failure> {
    Ok(match at {
        Some(text) => chrono::DateTime::parse_from_rfc3339(text)
            .map_err(|e| bad_input(format!("--at '{text}': {e}")))?
            .with_timezone(&crate::station_time::ZONE)
            .naive_local(),
        None => crate::station_time::naive_local(SystemClock::new().read().wall),
    })
}

/// `resources verify`: checks a bundle's signature against the config's key.
fn verify(config: &Config, file: &Path) -> Result<(), Failure> {
    let bundle = crate::directory::bundle::verify_signature(&read(file)?, &directory_key(config)?)
        .map_err(|e| e.to_string())?;
    outln!(
        "{}: good signature, version {}, {} entries, expires {}",
        file.display(),
        bundle.version,
        bundle.entries.len(),
        bundle.expires
    )?;
    Ok(())
}

/// `resources install`: installs a signed bundle into the data directory's store.
fn install(config: &Config, dir: &Path, file: &Path) -> Result<(), Failure> {
    let mut store = Store::open(dir).map_err(|e| e.to_string())?;
    let now = SystemClock::new().read().wall;
    let today = crate::station_time::day_of(now);
    let bundle = crate::store::directory::install(
        &mut store,
        dir,
        &read(file)?,
        &directory_key(config)?,
        today,
        now.timestamp_millis(),
    )
    .map_err(|e| format!("not installed: {e}"))?;
    outln!(
        "installed directory version {} ({} entries, expires {})",
        bundle.version,
        bundle.entries.len(),
        bundle.expires
    )?;
    Ok(())
}

/// `resources sign`: signs an unsigned bundle with a secret key file.
fn sign(key: &Path, input: &Path, output: &Path) -> Result<(), Failure> {
    use crate::directory::bundle;
    let secret = bundle::secret_key(&read(key)?).map_err(|e| e.to_string())?;
    let signed = bundle::sign(&read(input)?, &secret).map_err(|e| format!("not signed: {e}"))?;
    std::fs::write(output, signed)
        .map_err(|e| format!("cannot write {}: {e}", output.display()))?;
    outln!("signed {} into {}", input.display(), output.display())?;
    Ok(())
}

/// `resources keygen`: a new signing key pair; the secret goes to a new file only its owner
/// can read (never over an existing one), the public half to standard output.
fn keygen(secret: &Path) -> Result<(), Failure> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut random = [0u8; 32];
    crate::entropy::Entropy::fill(&crate::entropy::SystemEntropy, &mut random)
        .map_err(|e| format!("no randomness: {e}"))?;
    let (secret_text, public_text) = crate::directory::bundle::keygen(random);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(secret)
        .map_err(|e| format!("cannot create {}: {e}", secret.display()))?;
    writeln!(file, "{secret_text}").map_err(|e| e.to_string())?;
    outln!("{public_text}")?;
    Ok(())
}

/// Prints the directory as this station shows it, as text or JSON.
fn list(
    active: &crate::directory::Bundle,
    query: &crate::directory::rank::Query,
    json: bool,
) -> Result<(), Failure> {
    use crate::directory::rank::OpenNow;
    let ranked = crate::directory::rank::rank(active, query);
    let station = format!(
        "{} station, district {}",
        if query.demo { "demo" } else { "real" },
        query.district.map_or("not set", |d| d.id())
    );
    if json {
        let rows: Vec<serde_json::Value> = ranked
            .iter()
            .map(|r| {
                serde_json::json!({
                    "id": r.entry.id,
                    "name": r.entry.name_zh,
                    "kind": r.entry.kind,
                    "phones": r.entry.phones,
                    "distance_m": r.distance_m.map(|d| d.round()),
                    "open_now": r.open.is_open(),
                    "hours_may_differ": r.open == OpenNow::HolidaysMayDiffer,
                    "example": r.entry.example,
                })
            })
            .collect();
        let out = serde_json::json!({
            "version": active.version,
            "expires": active.expires,
            "at": query.now,
            "demo": query.demo,
            "district": query.district,
            "entries": rows,
        });
        outln!(
            "{}",
            serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?
        )?;
        return Ok(());
    }
    outln!(
        "directory version {} (expires {}), at {}, {station}",
        active.version,
        active.expires,
        query.now.format("%Y-%m-%d %H:%M")
    )?;
    for r in ranked {
        let distance = r
            .distance_m
            .map_or(String::new(), |d| format!("{:.1} km", d / 1000.0));
        let open = match &r.open {
            OpenNow::Always => "24 h".to_string(),
            OpenNow::Open { .. } => "open now".to_string(),
            OpenNow::Closed { opens: Some(t) } => format!("opens {}", t.format("%a %H:%M")),
            OpenNow::Closed { opens: None } => "closed now".to_string(),
            OpenNow::HolidaysMayDiffer => "may differ (PH)".to_string(),
            OpenNow::Unknown => String::new(),
        };
        let example = if r.entry.example { " [example]" } else { "" };
        outln!(
            "  {:<26} {:<14} {:>8} {:<15} {}{example}",
            r.entry.id,
            r.entry.phones.join(" "),
            distance,
            open,
            r.entry.name_en
        )?;
    }
    Ok(())
}
