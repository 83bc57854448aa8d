//! `waystation provision`: turns the field team's `waystation-provision.toml` into this
//! kiosk's configuration, creates the device key and prints what the hub needs to register the
//! kiosk. On the image the file is applied once and then removed from the card (`--remove-after`):
//! nothing on the FAT partition, which anyone with a card reader can change, is read again at
//! later boots, and the secrets in it do not stay there.
//!
//! The provision file is the kiosk's own configuration (docs/config.md) plus one section that
//! must never reach the config file or the logs:
//!
//! ```toml
//! [secrets]
//! pin_hash = "$argon2id$v=19$m=19456,t=2,p=1$...$..."
//! wifi_passphrase = "..."   # only with network.wifi_ssid
//! ```
//!
//! It also writes the system's network settings for the config's `[network]` section to the
//! data directory (`crate::network`), which the deployment image installs at each boot.
//!
//! Everything but `[secrets]` is copied into the config byte for byte (comments included), so an
//! error in it is reported with the provision file's own line and column, and the config the
//! kiosk reads is exactly what the field team wrote. On the deployment image a boot-time
//! service runs this command against the file on the FAT partition (docs/deploy.md).

use std::path::{Path, PathBuf};

use super::kiosk::open_configured;
use super::{Failure, bad_input};
use crate::config::Config;
use crate::network::{SystemFile, WifiSecret};

/// The section of the provision file that holds secrets.
const SECRET_SECTION: &str = "secrets";

/// What `provision` needs to be told.
pub(super) struct Request<'a> {
    pub from: &'a Path,
    pub etc: &'a Path,
    pub data_dir: Option<&'a Path>,
    /// Remove the provision file once everything in it is applied and the result is written.
    pub remove_after: bool,
    pub device_info: Option<&'a Path>,
    /// Where to say how it went: `ok` and the report, or `error` and the one-line error.
    pub result: Option<&'a Path>,
}

/// The provision file split into the part that becomes the config and the secret part.
#[derive(Debug)]
pub(crate) struct Provision {
    /// The file's text with the `[secrets]` section blanked out line for line, so that line
    /// numbers still match the file the field team wrote.
    pub config_text: String,
    pub has_secrets: bool,
    pub pin_hash: Option<PinHash>,
    pub wifi_passphrase: Option<WifiPassphrase>,
    /// The station's id, from the checked config.
    pub station: String,
}

/// A staff PIN's Argon2id hash in PHC string form. Its `Debug` hides the value so that it can
/// never reach a log by accident.
pub(crate) struct PinHash(String);

impl std::fmt::Debug for PinHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PinHash(..)")
    }
}

/// The Wi-Fi passphrase from `[secrets]`; its `Debug` hides it.
pub(crate) struct WifiPassphrase(String);

impl std::fmt::Debug for WifiPassphrase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WifiPassphrase(..)")
    }
}

impl PinHash {
    /// Accepts what the kiosk can verify PINs against (`staff::pin::check_hash`), so that a
    /// plain PIN, a bcrypt hash or a cut-off paste never reaches the database. Errors never
    /// quote the value.
    fn parse(value: &str) -> Result<PinHash, String> {
        crate::staff::pin::check_hash(value)
            .map(|()| PinHash(value.to_string()))
            .map_err(|_| "secrets.pin_hash is not an Argon2id PHC string ($argon2id$v=19$m=...,t=...,p=...$salt$hash); give the hash, never the PIN".into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Reads and checks a provision file's text. `origin` names it in error messages.
pub(crate) fn parse(text: &str, origin: &str) -> Result<Provision, String> {
    let whole: toml::Table = toml::from_str(text).map_err(|e| {
        let (line, column) = e
            .span()
            .map(|s| line_and_column(text, s.start))
            .unwrap_or((0, 0));
        format!(
            "{origin}:{line}:{column}: {}",
            e.message().trim().replace('\n', " ")
        )
    })?;
    let (config_text, has_secrets) = split_secrets(text);
    // The section was cut out line by line; make sure that removed exactly `[secrets]` and
    // nothing else (a dotted `secrets.pin_hash` key elsewhere or an inline table would not be).
    let mut expected = whole.clone();
    let staff = expected.remove(SECRET_SECTION);
    let rest: toml::Table = toml::from_str(&config_text).map_err(|_| {
        format!("{origin}: write the secrets under a [secrets] header of their own")
    })?;
    if rest != expected {
        return Err(format!(
            "{origin}: write the secrets under a [secrets] header of their own"
        ));
    }
    let (pin_hash, wifi_passphrase) = match staff {
        None => (None, None),
        Some(toml::Value::Table(mut staff)) => {
            let hash = staff.remove("pin_hash");
            let wifi = staff.remove("wifi_passphrase");
            if let Some(unknown) = staff.keys().next() {
                return Err(format!(
                    "{origin}: unknown field secrets.{unknown} (only pin_hash and wifi_passphrase)"
                ));
            }
            let pin_hash = match hash {
                None => None,
                Some(toml::Value::String(hash)) => {
                    Some(PinHash::parse(&hash).map_err(|e| format!("{origin}: {e}"))?)
                }
                Some(_) => return Err(format!("{origin}: secrets.pin_hash must be a string")),
            };
            let wifi = match wifi {
                None => None,
                Some(toml::Value::String(text)) => Some(WifiPassphrase(text)),
                Some(_) => {
                    return Err(format!(
                        "{origin}: secrets.wifi_passphrase must be a string"
                    ));
                }
            };
            (pin_hash, wifi)
        }
        Some(_) => return Err(format!("{origin}: secrets must be a table")),
    };
    let config = Config::parse(&config_text, origin).map_err(|e| e.to_string())?;
    // The network's files are made here too, so that a wrong SSID or passphrase is reported
    // with the file, before anything is written (a passphrase alone, without its SSID, too).
    let wifi = match &wifi_passphrase {
        Some(WifiPassphrase(text)) => WifiSecret::Given(text),
        None if config.network.wifi_ssid.is_some() => WifiSecret::AlreadyWritten,
        None => WifiSecret::None,
    };
    crate::network::system_files(&config.network, wifi).map_err(|e| format!("{origin}: {e}"))?;
    Ok(Provision {
        config_text,
        has_secrets,
        pin_hash,
        wifi_passphrase,
        station: config.station.id.as_str().to_string(),
    })
}

/// Blanks the lines of the `[secrets]` table (so line numbers still match the file) and says
/// whether it was there.
fn split_secrets(text: &str) -> (String, bool) {
    let mut blanked = String::with_capacity(text.len());
    let mut inside = false;
    let mut found = false;
    for line in text.split_inclusive('\n') {
        if let Some(name) = table_header(line) {
            inside = name == SECRET_SECTION;
            found |= inside;
        }
        if !inside {
            blanked.push_str(line);
        } else if line.ends_with('\n') {
            blanked.push('\n');
        }
    }
    (blanked, found)
}

/// The name of the table a line opens (`[name]` or `[[name]]`, quotes and comments allowed),
/// or None for any other line.
fn table_header(line: &str) -> Option<String> {
    let trimmed = line.trim_start();
    let rest = trimmed.strip_prefix('[')?;
    let rest = rest.strip_prefix('[').unwrap_or(rest);
    let end = rest.find(']')?;
    let name = rest[..end].trim();
    Some(name.trim_matches(|c| c == '"' || c == '\'').to_string())
}

fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// Where the config is written: `DIR/config.toml`, or the file it links to. The deployment
/// image's root is read-only, so there `/etc/waystation/config.toml` is a symbolic link to
/// the data partition and the file is written behind the link.
pub(crate) fn config_target(etc: &Path) -> Result<PathBuf, String> {
    let link = etc.join("config.toml");
    match std::fs::symlink_metadata(&link) {
        Ok(meta) if meta.file_type().is_symlink() => {
            let target = std::fs::read_link(&link)
                .map_err(|e| format!("cannot read the link {}: {e}", link.display()))?;
            Ok(if target.is_absolute() {
                target
            } else {
                etc.join(target)
            })
        }
        _ => Ok(link),
    }
}

/// Replaces `path` with `text` so that a power cut leaves either the old file or the new one
/// (on the FAT boot partition too: `waystation_durable` syncs the whole file system there).
fn write_atomically(path: &Path, text: &str, mode: u32) -> Result<(), String> {
    waystation_durable::write_atomically(path, text.as_bytes(), Some(mode))
        .map_err(|e| e.to_string())
}

/// Stores the staff PIN's hash in the kiosk's database, the same way `waystation staff
/// set-pin --hash PHC` does (the hash was checked when the file was parsed).
fn store_pin_hash(store: &mut crate::store::Store, hash: &PinHash) -> Result<(), String> {
    let stamp = super::stamp_now()?;
    store
        .set_pin_hash(hash.as_str(), stamp)
        .map_err(|e| e.to_string())
}

/// When root provisions a data folder that belongs to the kiosk's user (as at boot on the
/// image), the database files root just created are handed to that user, or the kiosk could
/// not write its own records.
fn give_database_to_folder_owner(dir: &Path) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        return Ok(());
    }
    let folder = std::fs::metadata(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    if folder.uid() == 0 {
        return Ok(());
    }
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries.flatten() {
        let name = entry.file_name();
        if !name.to_string_lossy().starts_with("waystation.db") {
            continue;
        }
        std::os::unix::fs::chown(entry.path(), Some(folder.uid()), Some(folder.gid()))
            .map_err(|e| format!("cannot hand {} to the kiosk: {e}", entry.path().display()))?;
    }
    Ok(())
}

/// The system's network settings to write to `DATA/network/` (`crate::network`), worked out
/// before anything is written so that a problem leaves the kiosk as it was.
struct NetworkPlan {
    folder: PathBuf,
    files: Vec<SystemFile>,
    /// The supplicant file written at an earlier boot stays (the passphrase has left the file).
    keep_supplicant: bool,
    /// What the kiosk will use, in a line.
    summary: String,
}

/// Without a passphrase in the file (a later file that changes other settings need not repeat
/// it), the supplicant file written earlier is kept if it is for the same network.
fn plan_network(
    config: &Config,
    passphrase: Option<&WifiPassphrase>,
    data_dir: &Path,
) -> Result<NetworkPlan, String> {
    let folder = data_dir.join(crate::network::FOLDER);
    let network = &config.network;
    let supplicant = folder.join(crate::network::WIFI_SUPPLICANT);
    let wifi = match (passphrase, &network.wifi_ssid) {
        (Some(WifiPassphrase(text)), _) => WifiSecret::Given(text),
        (None, Some(ssid))
            if std::fs::read_to_string(&supplicant)
                .is_ok_and(|text| crate::network::written_for(&text, ssid)) =>
        {
            WifiSecret::AlreadyWritten
        }
        (None, _) => WifiSecret::None,
    };
    let files = crate::network::system_files(network, wifi)?;
    let mut ways = vec!["wired".to_string()];
    if let Some(ssid) = &network.wifi_ssid {
        ways.push(format!("Wi-Fi {ssid:?}"));
    }
    if let Some(apn) = &network.modem_apn {
        ways.push(format!("4G modem (APN {apn})"));
    }
    Ok(NetworkPlan {
        folder,
        files,
        keep_supplicant: matches!(wifi, WifiSecret::AlreadyWritten),
        summary: format!("{}; time from {}", ways.join(", "), network.ntp.join(" ")),
    })
}

/// Writes the planned files (the passphrase's readable by root alone) and removes those of
/// what is no longer configured.
fn write_network(plan: &NetworkPlan) -> Result<(), String> {
    let folder = &plan.folder;
    std::fs::create_dir_all(folder).map_err(|e| format!("{}: {e}", folder.display()))?;
    for file in &plan.files {
        let mode = if file.secret { 0o600 } else { 0o644 };
        write_atomically(&folder.join(file.name), &file.text, mode)?;
    }
    let kept = |name: &str| {
        plan.files.iter().any(|f| f.name == name)
            || (plan.keep_supplicant && name == crate::network::WIFI_SUPPLICANT)
    };
    let entries = std::fs::read_dir(folder).map_err(|e| format!("{}: {e}", folder.display()))?;
    for entry in entries.flatten() {
        if !kept(&entry.file_name().to_string_lossy()) {
            std::fs::remove_file(entry.path())
                .map_err(|e| format!("cannot remove {}: {e}", entry.path().display()))?;
        }
    }
    Ok(())
}

/// Reads the provision file and finds everything that can be wrong before anything is
/// written: the file, the `--etc` folder, the data directory and the network's files.
fn check(request: &Request<'_>, origin: &str) -> Result<(Provision, NetworkPlan), Failure> {
    let text = std::fs::read_to_string(request.from)
        .map_err(|e| bad_input(format!("cannot read {origin}: {e}")))?;
    let provision = parse(&text, origin).map_err(bad_input)?;
    if !request.etc.is_dir() {
        return Err(bad_input(format!(
            "{} is not a folder (--etc)",
            request.etc.display()
        )));
    }
    let planned = Config::parse(&provision.config_text, origin).map_err(|e| e.to_string())?;
    let source = crate::config::ConfigSource::File(request.etc.join("config.toml"));
    let data_dir = planned
        .data_dir(&source, request.data_dir)
        .ok_or("no data directory: set --data-dir, WAYSTATION_DATA_DIR or store.data_dir")?;
    let network = plan_network(&planned, provision.wifi_passphrase.as_ref(), &data_dir)
        .map_err(|e| bad_input(format!("{origin}: {e}")))?;
    Ok((provision, network))
}

/// Writes `text` to `path` only when the file holds something else: the FAT partition is
/// written at every boot otherwise, and each write wears the card and risks the file system
/// at a power cut.
fn write_if_changed(path: &Path, text: &str, mode: u32) -> Result<(), String> {
    if std::fs::read_to_string(path).is_ok_and(|held| held == text) {
        return Ok(());
    }
    write_atomically(path, text, mode)
}

pub(super) fn provision(request: Request<'_>) -> Result<(), Failure> {
    let mut outcome = provision_and_report(&request);
    write_result(&request, &outcome)?;
    // Removed last: a power cut before this leaves the file, which the next boot applies again
    // (harmlessly); removed first, a cut could leave a card with no file and no result. A file
    // with a mistake stays, for the field team to mend.
    if request.remove_after
        && outcome.is_ok()
        && let Err(e) = waystation_durable::remove_durably(request.from)
    {
        outcome = Err(format!("applied, but {e}").into());
        write_result(&request, &outcome)?;
    }
    let report = outcome?;
    out!("{report}")
}

/// Writes `--result`: "ok" and the report, or "error" and the error.
fn write_result(request: &Request<'_>, outcome: &Result<String, Failure>) -> Result<(), Failure> {
    let Some(path) = request.result else {
        return Ok(());
    };
    let said = match outcome {
        Ok(report) => format!("ok\n{report}"),
        Err(failure) => format!("error\n{}\n", failure.message),
    };
    // The provisioning's own error comes first; a result that cannot be written is then only
    // logged beside it.
    match (write_if_changed(path, &said, 0o644), outcome) {
        (Err(e), Ok(_)) => Err(e.into()),
        (Err(e), Err(_)) => {
            tracing::error!("cannot write {}: {e}", path.display());
            Ok(())
        }
        (Ok(()), _) => Ok(()),
    }
}

/// Provisions and returns the report (also written to `--device-info`).
fn provision_and_report(request: &Request<'_>) -> Result<String, Failure> {
    let origin = request.from.display().to_string();
    let (provision, network) = check(request, &origin)?;
    let config_path = request.etc.join("config.toml");
    let target = config_target(request.etc)?;
    let header = format!(
        "# Written by `waystation provision` from {origin}. Change the provision file and provision\n\
         # again rather than editing this copy (docs/deploy.md).\n"
    );
    write_atomically(
        &target,
        &format!("{header}{}", provision.config_text),
        0o644,
    )?;
    // Read back through the same path the kiosk uses, so what was written is what runs.
    let (config, dir, mut store) = open_configured(Some(&config_path), request.data_dir)?;
    let key = store.device_key().map_err(|e| e.to_string())?;
    // The report says what the kiosk now has, not only what the file held: a later file that
    // only changes settings need not repeat the secrets, and the field team reads this to know
    // staff mode works.
    let pin = match &provision.pin_hash {
        Some(hash) => {
            store_pin_hash(&mut store, hash)?;
            "stored"
        }
        None if store.pin_hash().map_err(|e| e.to_string())?.is_some() => {
            "already set in the kiosk"
        }
        None => "NOT SET: staff mode stays closed until [secrets] pin_hash is provisioned",
    };
    drop(store);
    give_database_to_folder_owner(&dir)?;
    write_network(&network)?;
    let network = &network.summary;

    let the_file = if request.remove_after {
        "removed once applied (with its secrets); a new file there is applied at the next boot"
    } else if provision.has_secrets {
        "kept, with its secrets (--remove-after removes it once applied)"
    } else {
        "kept"
    };

    let remote_help = remote_help_line(&config, &dir);
    let station = config.station.id.as_str();
    debug_assert_eq!(station, provision.station);
    let report = format!(
        "station      {station}\n\
         config       {}\n\
         data         {}\n\
         device       {}\n\
         public key   {}\n\
         staff PIN    {pin}\n\
         network      {network}\n\
         remote help  {remote_help}\n\
         file         {origin}: {the_file}\n\
         register it at the hub with: waystation-hub devices add --data DIR --key {} --station {station}\n",
        target.display(),
        dir.display(),
        key.device_id(),
        key.public_base64(),
        key.public_base64(),
    );
    // The file before the print: a standard output closed early stops the command at the
    // print, and the file on the card must be written all the same.
    if let Some(path) = request.device_info {
        write_if_changed(path, &report, 0o644)?;
    }
    tracing::info!(station, device = %key.device_id(), "provisioned");
    Ok(report)
}

/// The report's remote help line: the jump host, and the public line of root's client key that
/// the centre puts in the jump host's authorized_keys (made by the image at boot, before
/// provisioning; docs/remote-help.md).
fn remote_help_line(config: &Config, dir: &Path) -> String {
    let Some(jump) = &config.remote_help else {
        return "unavailable (no [remote_help] jump host)".into();
    };
    let folder = dir.join(crate::remote_help::FOLDER);
    let key = std::fs::read_to_string(folder.join(crate::remote_help::CLIENT_KEY_FILE))
        .ok()
        .and_then(|text| text.lines().next().map(|line| line.trim().to_string()))
        .unwrap_or_else(|| "no root key yet (the image makes it at boot)".into());
    format!(
        "jump host {}@{}:{}; root's key for it: {key}",
        jump.jump_user.0, jump.jump_host.0, jump.jump_port
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hash of "2468", made with `waystation staff hash-pin` when 4-digit PINs were still
    /// allowed (such hashes still verify, so a card provisioned then keeps working).
    const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$kFmet6VFQAAJrxVoXtvKAA$/iA5jbm4mURgHOnle4ROt2btoCV22H5TO0JIQGoypjU";

    fn file(staff: &str) -> String {
        format!(
            "# a station\n[station]\nid = \"s-1\"\nname_zh = \"站\"\nname_en = \"Station\"\nkind = \"warm_bee_home\"\n\n{staff}[printer]\ntransport = \"none\"\n"
        )
    }

    #[test]
    fn the_staff_section_is_cut_out_and_line_numbers_kept() {
        let text = file(&format!("[secrets]\n# secret\npin_hash = \"{HASH}\"\n\n"));
        let p = parse(&text, "p.toml").unwrap();
        assert_eq!(p.config_text.lines().count(), text.lines().count());
        assert!(!p.config_text.contains("argon2"));
        assert!(p.has_secrets);
        assert_eq!(p.pin_hash.as_ref().unwrap().as_str(), HASH);
        assert_eq!(p.station, "s-1");
        // An error after the cut still names the provision file's own line.
        let bad = text.replace("transport = \"none\"", "transport = \"pigeon\"");
        let err = parse(&bad, "p.toml").unwrap_err();
        assert!(err.starts_with("p.toml:13:"), "{err}");
    }

    #[test]
    fn a_file_without_secrets_is_a_plain_config() {
        let p = parse(&file(""), "p.toml").unwrap();
        assert!(!p.has_secrets);
        assert!(p.pin_hash.is_none());
        assert_eq!(p.config_text, file(""));
    }

    #[test]
    fn bad_hashes_are_refused_without_being_quoted() {
        for bad in [
            "1234",
            "$2b$12$abcdefghijklmnopqrstuv",
            "$argon2id$v=19$m=1,t=1,p=1$c2FsdA",
        ] {
            let err = parse(
                &file(&format!("[secrets]\npin_hash = \"{bad}\"\n")),
                "p.toml",
            )
            .unwrap_err();
            assert!(err.contains("PHC"), "{err}");
            assert!(!err.contains(bad), "{err} quotes the value");
        }
        let err = parse(&file("[secrets]\npin = \"1234\"\n"), "p.toml").unwrap_err();
        assert!(err.contains("secrets.pin"), "{err}");
        assert!(!err.contains("1234"), "{err}");
    }

    #[test]
    fn secrets_outside_a_secrets_header_are_refused() {
        let text = format!("secrets.pin_hash = \"{HASH}\"\n{}", file(""));
        let err = parse(&text, "p.toml").unwrap_err();
        assert!(err.contains("[secrets] header"), "{err}");
    }

    #[test]
    fn a_debug_print_never_shows_the_hash() {
        let hash = PinHash::parse(HASH).unwrap();
        assert_eq!(format!("{hash:?}"), "PinHash(..)");
    }

    #[test]
    fn headers_are_recognised_with_spaces_quotes_and_comments() {
        assert_eq!(table_header("[secrets]\n").as_deref(), Some("secrets"));
        assert_eq!(
            table_header("  [ \"secrets\" ] # x\n").as_deref(),
            Some("secrets")
        );
        assert_eq!(table_header("[[printer]]\n").as_deref(), Some("printer"));
        assert_eq!(table_header("id = \"[x]\"\n"), None);
    }
}
