//! Image updates, the kiosk's I/O: ask the hub for its offer, download the bundle a part at a
//! time into `updates/`, check it, and write the request files root's scripts act on. What to
//! do is `update::decide`'s; this file only reads the files' state for it and does its answer.
//!
//! Nothing happens on a kiosk without `update-status.json` (not installed from an A/B image):
//! no request to the hub, no file written.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};
use waystation_protocol::UpdateOffer;
use waystation_protocol::update::{UPDATE_PATH, image_path};

use super::link::{HubLink, HubRequest, Method};
use super::uploader::Uploader;
use crate::update::{
    Action, Files, INSTALL_REQUEST, REBOOT_REQUEST, STATUS_FILE, Situation, StatusFile,
    UPDATES_DIR, Why, decide, parse_status,
};

/// At most this many bytes per request: on a slow 4G link a part takes a minute or so, and
/// the uploader's loop (a worker's call for staff first) turns between parts.
pub const PART_BYTES: u64 = 4 * 1024 * 1024;
/// How often to ask the hub for its offer.
pub const OFFER_EVERY: Duration = Duration::from_secs(3600);

/// Reads `update-status.json` in the data folder.
pub fn read_status(data_dir: &Path) -> StatusFile {
    match fs::read_to_string(data_dir.join(STATUS_FILE)) {
        Ok(text) => match parse_status(&text) {
            Ok(status) => StatusFile::Read(status),
            Err(reason) => StatusFile::Unreadable(reason),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => StatusFile::Absent,
        Err(e) => StatusFile::Unreadable(e.to_string()),
    }
}

/// What one pass did, for the loop: whether to come back soon (a download under way).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pass {
    pub action: Action,
    pub more: bool,
}

/// The update step of the uploader's loop, with what it remembers between passes.
pub struct UpdateStep {
    data_dir: PathBuf,
    offer: Option<UpdateOffer>,
    next_offer: Duration,
    /// The SHA-256 of an offer whose bytes failed the check: not fetched again this run.
    refused: Option<String>,
    /// The versions whose install this run asked for again after root said it failed.
    retried: Vec<String>,
    /// Why root's status file could not be read at the last pass, so that the log says it
    /// once, not every half minute.
    unreadable: Option<String>,
}

impl UpdateStep {
    pub fn new(data_dir: PathBuf) -> UpdateStep {
        UpdateStep {
            data_dir,
            offer: None,
            next_offer: Duration::ZERO,
            refused: None,
            retried: Vec::new(),
            unreadable: None,
        }
    }

    fn dir(&self) -> PathBuf {
        self.data_dir.join(UPDATES_DIR)
    }

    /// One pass: the offer if it is due, the files' state, the decision, and its doing.
    /// Returns `None` on a kiosk without `update-status.json` or with one that cannot be read.
    pub fn pass(
        &mut self,
        link: &dyn HubLink,
        uploader: &Uploader,
        running: Option<&str>,
        idle_since: Option<Duration>,
        now: Duration,
    ) -> Option<Pass> {
        let status = match read_status(&self.data_dir) {
            StatusFile::Read(status) => status,
            StatusFile::Absent => return None,
            StatusFile::Unreadable(reason) => {
                if self.unreadable.as_ref() != Some(&reason) {
                    tracing::warn!(%reason, "update-status.json cannot be read; no update steps");
                }
                self.unreadable = Some(reason);
                return None;
            }
        };
        self.unreadable = None;
        if now >= self.next_offer {
            match ask_offer(link, uploader) {
                Ok(offer) => {
                    self.offer = offer;
                    self.next_offer = now + OFFER_EVERY;
                }
                Err(reason) => tracing::debug!(%reason, "no update offer this time"),
            }
        }
        let files = scan(&self.dir(), self.offer.as_ref());
        let refused = self
            .offer
            .as_ref()
            .is_some_and(|o| self.refused.as_deref() == Some(o.sha256.as_str()));
        let retry_failed = self
            .offer
            .as_ref()
            .is_some_and(|o| !self.retried.contains(&o.version));
        let action = decide(&Situation {
            status: &status,
            running,
            offer: self.offer.as_ref(),
            files: &files,
            refused,
            retry_failed,
            idle_since,
            now,
        });
        let failed = status
            .last
            .as_ref()
            .filter(|l| l.outcome == crate::update::Outcome::Failed)
            .map(|l| l.version.clone());
        if let Action::RequestInstall { version } = &action
            && failed.as_ref() == Some(version)
        {
            self.retried.push(version.clone());
        }
        let more = self.act(&action, link, uploader);
        Some(Pass { action, more })
    }

    /// Does what was decided; returns whether another pass should follow soon.
    fn act(&mut self, action: &Action, link: &dyn HubLink, uploader: &Uploader) -> bool {
        let dir = self.dir();
        let offer = match action {
            Action::Wait(_) => return false,
            // Soon again only when it worked: a file that cannot be removed must not make a
            // loop of a pass a second.
            Action::Tidy { keep } => return tidy(&dir, keep.as_deref()),
            Action::RequestInstall { version } => {
                request(&dir, INSTALL_REQUEST, version);
                return false;
            }
            Action::RequestReboot { version } => {
                request(&dir, REBOOT_REQUEST, version);
                return false;
            }
            Action::Download { .. } | Action::Verify => match self.offer.clone() {
                Some(offer) => offer,
                None => return false,
            },
        };
        match action {
            Action::Download { from } => match download(&dir, &offer, *from, link, uploader) {
                Ok(Fetched::Part) => true,
                Ok(Fetched::Gone) => {
                    // The hub no longer has it: ask for the offer again at the next pass.
                    self.offer = None;
                    self.next_offer = Duration::ZERO;
                    false
                }
                Err(reason) => {
                    tracing::info!(%reason, version = offer.version, "update download paused");
                    false
                }
            },
            Action::Verify => match verify(&dir, &offer) {
                Ok(()) => {
                    tracing::info!(
                        version = offer.version,
                        "update bundle downloaded and checked"
                    );
                    let _ = tidy(&dir, Some(&offer.version));
                    true
                }
                Err(reason) => {
                    tracing::warn!(%reason, version = offer.version, "update bundle refused");
                    self.refused = Some(offer.sha256.clone());
                    false
                }
            },
            _ => false,
        }
    }

    /// The heartbeat's `update` field ([`report`]) with the offer this step knows.
    pub fn report(&self) -> serde_json::Value {
        report(&self.data_dir, self.offer.as_ref())
    }
}

/// The heartbeat's `update` field: the slot and the last update from root's file, and the
/// download of `offer` under way (or done, waiting to be installed); null on a kiosk without
/// the file. Nothing in it is about a worker.
pub fn report(data_dir: &Path, offer: Option<&UpdateOffer>) -> serde_json::Value {
    let status = match read_status(data_dir) {
        StatusFile::Absent => return serde_json::Value::Null,
        StatusFile::Unreadable(reason) => {
            return serde_json::json!({
                "slot": null, "last": null, "downloading": null,
                "unreadable": reason.chars().take(200).collect::<String>(),
            });
        }
        StatusFile::Read(status) => status,
    };
    let downloading = offer.and_then(|offer| {
        let files = scan(&data_dir.join(UPDATES_DIR), Some(offer));
        let bytes = if files.bundle_ready {
            Some(offer.size)
        } else {
            files.part_len
        };
        bytes.map(|bytes| {
            serde_json::json!({ "version": offer.version, "bytes": bytes, "of": offer.size })
        })
    });
    serde_json::json!({
        "slot": status.slot,
        "last": status.last.map(|last| serde_json::json!({
            "version": last.version,
            "outcome": last.outcome.name(),
            "detail": last.detail.chars().take(200).collect::<String>(),
        })),
        "downloading": downloading,
        "unreadable": null,
    })
}

/// Whether a decision's wait is worth a line in the log.
pub fn worth_logging(action: &Action) -> bool {
    !matches!(action, Action::Wait(Why::UpToDate | Why::NotIdle))
}

/// Asks the hub for its offer: `None` when it has none for this kiosk.
fn ask_offer(link: &dyn HubLink, uploader: &Uploader) -> Result<Option<UpdateOffer>, String> {
    let reply = link
        .send(&signed(uploader, UPDATE_PATH.into(), None))
        .map_err(|e| e.to_string())?;
    match reply.status {
        200 => UpdateOffer::parse(&reply.body).map(Some),
        204 | 404 => Ok(None),
        status => Err(format!("the hub answered {status} for the update offer")),
    }
}

fn signed(uploader: &Uploader, path: String, range: Option<(u64, u64)>) -> HubRequest {
    HubRequest {
        method: Method::Get,
        signature: waystation_protocol::sign_request(uploader.key(), "GET", &path, b""),
        path,
        body: Vec::new(),
        device_id: uploader.device_id().to_owned(),
        if_none_match: None,
        range,
    }
}

fn part_path(dir: &Path, version: &str) -> PathBuf {
    dir.join(format!("{version}.raucb.part"))
}

fn bundle_path(dir: &Path, version: &str) -> PathBuf {
    dir.join(format!("{version}.raucb"))
}

/// The state of `updates/` as it concerns `offer`.
pub fn scan(dir: &Path, offer: Option<&UpdateOffer>) -> Files {
    let version = offer.map(|o| o.version.as_str());
    let read_request = |name: &str| {
        fs::read_to_string(dir.join(name))
            .ok()
            .map(|text| text.trim().to_string())
    };
    let mut files = Files {
        install_request: read_request(INSTALL_REQUEST),
        reboot_request: read_request(REBOOT_REQUEST),
        ..Files::default()
    };
    let Ok(entries) = fs::read_dir(dir) else {
        return files;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let len = entry.metadata().map(|m| m.len()).unwrap_or(0);
        match version {
            Some(v) if name == format!("{v}.raucb") => files.bundle_ready = true,
            Some(v) if name == format!("{v}.raucb.part") => files.part_len = Some(len),
            _ if name.ends_with(".raucb") || name.ends_with(".part") => files.strays = true,
            _ => {}
        }
    }
    files
}

enum Fetched {
    /// A part was written.
    Part,
    /// The hub has no such image any more.
    Gone,
}

/// Fetches the next part and appends it to the `.part` file; a 200 (the hub sent the whole
/// bundle) starts the file over with it.
fn download(
    dir: &Path,
    offer: &UpdateOffer,
    from: u64,
    link: &dyn HubLink,
    uploader: &Uploader,
) -> Result<Fetched, String> {
    fs::create_dir_all(dir).map_err(|e| format!("cannot make {}: {e}", dir.display()))?;
    let last = (from + PART_BYTES).min(offer.size) - 1;
    let request = signed(uploader, image_path(&offer.version), Some((from, last)));
    let reply = link.send(&request).map_err(|e| e.to_string())?;
    let path = part_path(dir, &offer.version);
    let write = |append: bool, bytes: &[u8]| -> Result<(), String> {
        let file = fs::OpenOptions::new()
            .create(true)
            .append(append)
            .write(true)
            .truncate(!append)
            .open(&path)
            .and_then(|mut file| file.write_all(bytes).map(|()| file))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        // On the card before the next part is asked for from its length: after a power cut
        // the file ends where a part ended.
        file.sync_data()
            .map_err(|e| format!("cannot write {}: {e}", path.display()))
    };
    match reply.status {
        206 if reply.content_range.as_deref().and_then(range_start) == Some(from) => {
            write(true, &reply.body)?;
            Ok(Fetched::Part)
        }
        206 => Err(format!(
            "the hub sent another part ({:?}) than asked (from {from})",
            reply.content_range
        )),
        200 => {
            write(false, &reply.body)?;
            Ok(Fetched::Part)
        }
        // The part is longer than the hub's bundle: start over.
        416 => {
            let _ = fs::remove_file(&path);
            Err("the part on disk is past the hub's end; starting over".into())
        }
        404 => Ok(Fetched::Gone),
        status => Err(format!("the hub answered {status} for the image")),
    }
}

/// The first byte of a `Content-Range: bytes first-last/size`.
fn range_start(content_range: &str) -> Option<u64> {
    content_range
        .trim()
        .strip_prefix("bytes ")?
        .split('-')
        .next()?
        .parse()
        .ok()
}

/// Checks the `.part`'s size and SHA-256 against the offer; renames it to `.raucb` when they
/// match, and removes it when they do not (the download starts over, if ever).
fn verify(dir: &Path, offer: &UpdateOffer) -> Result<(), String> {
    let part = part_path(dir, &offer.version);
    let (size, sha256) = hash_file(&part)?;
    if size != offer.size || sha256 != offer.sha256 {
        let _ = fs::remove_file(&part);
        return Err(format!(
            "{size} bytes with SHA-256 {sha256}, where the hub offered {} bytes with {}",
            offer.size, offer.sha256
        ));
    }
    let target = bundle_path(dir, &offer.version);
    fs::rename(&part, &target).map_err(|e| format!("cannot rename {}: {e}", part.display()))?;
    // The rename is on disk before root can be asked to read the file.
    fs::File::open(dir)
        .and_then(|folder| folder.sync_all())
        .map_err(|e| format!("cannot sync {}: {e}", dir.display()))
}

/// Size and SHA-256 of a file, synced first so that what is checked is what is on disk.
fn hash_file(path: &Path) -> Result<(u64, String), String> {
    let fail = |e: std::io::Error| format!("cannot read {}: {e}", path.display());
    let mut file = fs::File::open(path).map_err(fail)?;
    file.sync_all().map_err(fail)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buffer).map_err(fail)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        size += n as u64;
    }
    let hex = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok((size, hex))
}

/// Removes every `*.raucb` and `*.part` in `updates/` but `keep`'s; says whether all went.
fn tidy(dir: &Path, keep: Option<&str>) -> bool {
    let Ok(entries) = fs::read_dir(dir) else {
        return false;
    };
    let mut all = true;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let kept =
            keep.is_some_and(|v| name == format!("{v}.raucb") || name == format!("{v}.raucb.part"));
        if !kept && (name.ends_with(".raucb") || name.ends_with(".part")) {
            match fs::remove_file(entry.path()) {
                Ok(()) => tracing::info!(file = name, "removed an update file no longer needed"),
                Err(e) => {
                    tracing::warn!(file = name, "cannot remove an old update file: {e}");
                    all = false;
                }
            }
        }
    }
    all
}

/// Writes a request file for root (`VERSION\n`), whole or not at all.
fn request(dir: &Path, name: &str, version: &str) {
    let written = fs::create_dir_all(dir)
        .map_err(|e| e.to_string())
        .and_then(|()| {
            waystation_durable::write_atomically(
                &dir.join(name),
                format!("{version}\n").as_bytes(),
                None,
            )
            .map_err(|e| e.to_string())
        });
    match written {
        Ok(()) => tracing::info!(version, request = name, "asked root to act on an update"),
        Err(e) => tracing::error!(version, request = name, "cannot write the request: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::link::{FakeLink, HubReply, LinkError};
    use waystation_protocol::DeviceKey;

    const NOW: Duration = Duration::from_secs(10_000);
    const BYTES: &[u8] = b"0123456789";

    fn reply(status: u16, content_range: Option<&str>, body: &[u8]) -> Result<HubReply, LinkError> {
        Ok(HubReply {
            status,
            retry_after: None,
            etag: None,
            content_range: content_range.map(String::from),
            body: body.to_vec(),
        })
    }

    fn offer_reply(bytes: &[u8]) -> Result<HubReply, LinkError> {
        let sha: String = Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let body = serde_json::json!({"version": "7", "sha256": sha, "size": bytes.len()});
        reply(200, None, body.to_string().as_bytes())
    }

    /// A data folder with root's status file, and a step for it.
    fn kiosk() -> (tempfile::TempDir, UpdateStep, Uploader) {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(STATUS_FILE), r#"{"slot":"A","last":null}"#).unwrap();
        let step = UpdateStep::new(dir.path().to_path_buf());
        (
            dir,
            step,
            Uploader::new(DeviceKey::from_secret([3; 32]), 10),
        )
    }

    fn part(dir: &tempfile::TempDir) -> Option<Vec<u8>> {
        fs::read(dir.path().join("updates/7.raucb.part")).ok()
    }

    #[test]
    fn a_whole_answer_instead_of_a_part_starts_the_file_over() {
        let (dir, mut step, uploader) = kiosk();
        fs::create_dir_all(dir.path().join("updates")).unwrap();
        fs::write(dir.path().join("updates/7.raucb.part"), b"XXXX").unwrap();
        let link = FakeLink::new(vec![offer_reply(BYTES), reply(200, None, BYTES)]);
        let pass = step.pass(&link, &uploader, Some("6"), None, NOW).unwrap();
        assert_eq!(pass.action, Action::Download { from: 4 });
        let sent = link.sent.borrow();
        assert_eq!(sent[1].path, "/v1/images/7");
        assert_eq!(sent[1].range, Some((4, 9)));
        assert_eq!(part(&dir).unwrap(), BYTES, "not appended to the old bytes");
    }

    #[test]
    fn a_part_from_elsewhere_than_asked_is_not_appended() {
        let (dir, mut step, uploader) = kiosk();
        let link = FakeLink::new(vec![
            offer_reply(BYTES),
            reply(206, Some("bytes 5-9/10"), &BYTES[5..]),
            reply(206, Some("bytes 0-9/10"), BYTES),
        ]);
        let pass = step.pass(&link, &uploader, Some("6"), None, NOW).unwrap();
        assert!(!pass.more);
        assert_eq!(part(&dir), None);
        let pass = step.pass(&link, &uploader, Some("6"), None, NOW).unwrap();
        assert!(pass.more);
        assert_eq!(part(&dir).unwrap(), BYTES);
    }

    #[test]
    fn a_part_past_the_hubs_end_is_removed_and_a_gone_image_asks_for_the_offer_again() {
        let (dir, mut step, uploader) = kiosk();
        fs::create_dir_all(dir.path().join("updates")).unwrap();
        fs::write(dir.path().join("updates/7.raucb.part"), b"012").unwrap();
        let link = FakeLink::new(vec![
            offer_reply(BYTES),
            reply(416, Some("bytes */2"), b""),
            reply(404, None, b"{}"),
            reply(204, None, b""),
        ]);
        step.pass(&link, &uploader, Some("6"), None, NOW).unwrap();
        assert_eq!(part(&dir), None, "416: started over");
        step.pass(&link, &uploader, Some("6"), None, NOW).unwrap();
        // The 404 dropped the offer: the next pass asks for it before anything else.
        let pass = step.pass(&link, &uploader, Some("6"), None, NOW).unwrap();
        assert_eq!(pass.action, Action::Wait(Why::UpToDate));
        assert_eq!(link.sent.borrow()[3].path, UPDATE_PATH);
    }

    #[test]
    fn bytes_that_fail_the_check_are_removed_and_not_fetched_again() {
        let (dir, mut step, uploader) = kiosk();
        fs::create_dir_all(dir.path().join("updates")).unwrap();
        fs::write(dir.path().join("updates/7.raucb.part"), b"9876543210").unwrap();
        let link = FakeLink::new(vec![offer_reply(BYTES)]);
        let pass = step.pass(&link, &uploader, Some("6"), None, NOW).unwrap();
        assert_eq!((pass.action, pass.more), (Action::Verify, false));
        assert_eq!(part(&dir), None);
        let pass = step.pass(&link, &uploader, Some("6"), None, NOW).unwrap();
        assert_eq!(pass.action, Action::Wait(Why::BadBundle));
        assert_eq!(
            link.sent.borrow().len(),
            1,
            "the offer, once: nothing fetched again"
        );
    }

    #[test]
    fn the_request_is_one_line_naming_the_version_written_whole() {
        let (dir, mut step, uploader) = kiosk();
        fs::create_dir_all(dir.path().join("updates")).unwrap();
        fs::write(dir.path().join("updates/7.raucb"), BYTES).unwrap();
        fs::write(dir.path().join("updates/5.raucb"), b"old").unwrap();
        let link = FakeLink::new(vec![offer_reply(BYTES)]);
        let idle = Some(NOW - Duration::from_secs(3600));
        let pass = step.pass(&link, &uploader, Some("6"), idle, NOW).unwrap();
        assert_eq!(
            pass.action,
            Action::Tidy {
                keep: Some("7".into())
            }
        );
        step.pass(&link, &uploader, Some("6"), idle, NOW).unwrap();
        let mut names: Vec<String> = fs::read_dir(dir.path().join("updates"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            ["7.raucb", "install-request"],
            "no temporary file left"
        );
        assert_eq!(
            fs::read_to_string(dir.path().join("updates/install-request")).unwrap(),
            "7\n"
        );
    }

    #[test]
    fn an_install_that_failed_is_asked_for_once_more_per_run() {
        let (dir, mut step, uploader) = kiosk();
        let failed = r#"{"slot":"A","last":{"version":"7","outcome":"failed",
            "detail":"cut off","at":"2026-12-03T14:00:00Z"}}"#;
        fs::write(dir.path().join(STATUS_FILE), failed).unwrap();
        fs::create_dir_all(dir.path().join("updates")).unwrap();
        fs::write(dir.path().join("updates/7.raucb"), BYTES).unwrap();
        let link = FakeLink::new(vec![offer_reply(BYTES)]);
        let idle = Some(NOW - Duration::from_secs(3600));
        let pass = step.pass(&link, &uploader, Some("6"), idle, NOW).unwrap();
        assert!(matches!(pass.action, Action::RequestInstall { .. }));
        // Root takes the request and the bundle, and fails again.
        fs::remove_file(dir.path().join("updates/install-request")).unwrap();
        fs::remove_file(dir.path().join("updates/7.raucb")).unwrap();
        fs::write(
            dir.path().join(STATUS_FILE),
            failed.replace("14:00", "15:00"),
        )
        .unwrap();
        let pass = step.pass(&link, &uploader, Some("6"), idle, NOW).unwrap();
        assert_eq!(pass.action, Action::Wait(Why::FailedHere));
    }
}
