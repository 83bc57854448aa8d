//! Remote help, the kiosk's I/O: ask the hub whether it is on for this kiosk (a signed GET
//! every [`CHECK_MINUTES`] minutes), keep the request file for root's `waystation-remote-help`
//! in step with the answer (`remote_help::decide`), and report root's tunnel in the heartbeat.
//!
//! Nothing happens without a jump host in the config or without the `remote-help/` folder
//! that the image's `waystation-system-setup` makes: no request to the hub, no file written.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use waystation_protocol::RemoteHelpGrant;
use waystation_protocol::remote_help::{CHECK_MINUTES, REMOTE_HELP_PATH};

use super::link::{HubLink, HubRequest, Method};
use super::uploader::Uploader;
use crate::remote_help::{
    CLIENT_KEY_FILE, Change, FOLDER, HubSays, JumpHost, REQUEST_FILE, Request, STATUS_FILE, decide,
    parse_status,
};

/// How often the hub is asked.
pub const CHECK_EVERY: Duration = Duration::from_secs(CHECK_MINUTES * 60);

/// The remote help step of the uploader's loop.
pub struct RemoteHelpStep {
    folder: PathBuf,
    jump: Option<JumpHost>,
    next_check: Duration,
}

impl RemoteHelpStep {
    pub fn new(data_dir: &Path, jump: Option<JumpHost>) -> RemoteHelpStep {
        RemoteHelpStep {
            folder: data_dir.join(FOLDER),
            jump,
            next_check: Duration::ZERO,
        }
    }

    /// Whether this kiosk can take remote help: a jump host configured, on an image whose
    /// root side made the folder.
    pub fn available(&self) -> bool {
        self.jump.is_some() && self.folder.is_dir()
    }

    /// One pass at `wall` (the machine's clock) and `now` (monotonic): the hub asked if it is
    /// due, and the request file written, kept or removed. Returns what was done, or `None`
    /// on a kiosk that cannot take remote help.
    pub fn pass(
        &mut self,
        link: &dyn HubLink,
        uploader: &Uploader,
        wall: DateTime<Utc>,
        now: Duration,
    ) -> Option<Change> {
        let jump = self.jump.clone().filter(|_| self.folder.is_dir())?;
        let hub = if now >= self.next_check {
            self.next_check = now + CHECK_EVERY;
            ask(link, uploader).unwrap_or_else(|reason| {
                tracing::debug!(%reason, "no remote help answer this time");
                HubSays::NoAnswer
            })
        } else {
            HubSays::NoAnswer
        };
        let written = written_request(&self.folder);
        let mut change = decide(wall, written.as_ref().map(|w| w.until), hub);
        // A request standing for another jump host or device (the config changed, and the
        // kiosk restarted with it) is written again for the same time, for the new one.
        if let (Change::Keep, Some(old)) = (change, &written)
            && old.until > wall
            && (old.jump.as_ref() != Some(&jump) || old.device_id != uploader.device_id())
        {
            change = Change::Write(old.until);
        }
        let path = self.folder.join(REQUEST_FILE);
        match change {
            Change::Keep => {}
            Change::Write(until) => {
                let request = Request {
                    until,
                    device_id: uploader.device_id().to_owned(),
                    jump,
                };
                match waystation_durable::write_atomically(
                    &path,
                    request.text().as_bytes(),
                    Some(0o644),
                ) {
                    Ok(()) => tracing::info!(%until, "remote help on: asked root for the tunnel"),
                    Err(e) => tracing::warn!("cannot write the remote help request: {e}"),
                }
            }
            Change::Remove => match fs::remove_file(&path) {
                Ok(()) => tracing::info!("remote help off: asked root to close the tunnel"),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => tracing::warn!("cannot remove the remote help request: {e}"),
            },
        }
        Some(change)
    }

    /// The heartbeat's `remote_help` field ([`report`]).
    pub fn report(&self) -> serde_json::Value {
        report(&self.folder, self.available())
    }
}

/// The request file written, if there is one; a file that cannot be read as a request
/// counts as one long past (for no jump host at all), so that it is replaced or removed.
fn written_request(folder: &Path) -> Option<Written> {
    let text = fs::read_to_string(folder.join(REQUEST_FILE)).ok()?;
    Some(match Request::parse(&text) {
        Ok(request) => Written {
            until: request.until,
            jump: Some(request.jump),
            device_id: request.device_id,
        },
        Err(_) => Written {
            until: DateTime::UNIX_EPOCH,
            jump: None,
            device_id: String::new(),
        },
    })
}

/// What a request file written earlier says.
struct Written {
    until: DateTime<Utc>,
    jump: Option<JumpHost>,
    device_id: String,
}

/// Asks the hub whether remote help is on for this kiosk.
fn ask(link: &dyn HubLink, uploader: &Uploader) -> Result<HubSays, String> {
    let request = HubRequest {
        method: Method::Get,
        signature: waystation_protocol::sign_request(uploader.key(), "GET", REMOTE_HELP_PATH, b""),
        path: REMOTE_HELP_PATH.into(),
        body: Vec::new(),
        device_id: uploader.device_id().to_owned(),
        if_none_match: None,
        range: None,
    };
    let reply = link.send(&request).map_err(|e| e.to_string())?;
    match reply.status {
        200 => RemoteHelpGrant::parse(&reply.body).map(|grant| HubSays::On {
            seconds_left: grant.seconds_left,
        }),
        // 404: a hub from before remote help, which cannot have switched it on.
        204 | 404 => Ok(HubSays::Off),
        status => Err(format!("the hub answered {status} about remote help")),
    }
}

/// The heartbeat's `remote_help` field: whether the kiosk can take remote help, root's client
/// key's public line (for the jump host's authorized_keys), until when it is asked for, and
/// the tunnel as root last reported it. Nothing in it is about a worker.
pub fn report(folder: &Path, available: bool) -> serde_json::Value {
    let read = |name: &str| fs::read_to_string(folder.join(name)).ok();
    let client_key = read(CLIENT_KEY_FILE)
        .and_then(|text| text.lines().next().map(|line| line.trim().to_string()))
        .filter(|line| line.starts_with("ssh-"))
        .map(|line| line.chars().take(200).collect::<String>());
    let until = read(REQUEST_FILE)
        .and_then(|text| Request::parse(&text).ok())
        .map(|request| request.until.format("%Y-%m-%dT%H:%M:%SZ").to_string());
    let status = read(STATUS_FILE).map(|text| parse_status(&text));
    let (tunnel, detail) = match &status {
        Some(Ok(status)) => (
            Some(status.tunnel.name()),
            Some(status.detail.chars().take(200).collect::<String>()),
        ),
        Some(Err(reason)) => (None, Some(reason.chars().take(200).collect())),
        None => (None, None),
    };
    serde_json::json!({
        "available": available,
        "client_key": client_key,
        "until": until,
        "tunnel": tunnel,
        "detail": detail,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::link::{FakeLink, HubReply};

    const KEY: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBtSJIDA5TRR/SvyIhGj4+VYe9Nl8nemsKyJ8spatEOr";

    fn jump() -> JumpHost {
        toml::from_str(&format!(
            "jump_host = \"jump.example\"\njump_user = \"tunnel\"\njump_host_key = \"{KEY}\"\n"
        ))
        .unwrap()
    }

    fn reply(status: u16, body: &str) -> Result<HubReply, crate::sync::link::LinkError> {
        Ok(HubReply {
            status,
            retry_after: None,
            etag: None,
            content_range: None,
            body: body.as_bytes().to_vec(),
        })
    }

    fn uploader() -> Uploader {
        Uploader::new(waystation_protocol::DeviceKey::from_secret([7; 32]), 10)
    }

    #[test]
    fn the_request_file_follows_the_hub_and_goes_at_its_time() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join(FOLDER);
        fs::create_dir(&folder).unwrap();
        let mut step = RemoteHelpStep::new(dir.path(), Some(jump()));
        let wall = DateTime::from_timestamp(1_790_000_000, 0).unwrap();
        let on = r#"{"until": "2026-09-21T15:13:20Z", "seconds_left": 3600}"#;
        let link = FakeLink::new(vec![reply(200, on), reply(204, "")]);
        let minute = Duration::from_secs(60);
        let change = step.pass(&link, &uploader(), wall, minute);
        let until = wall + chrono::Duration::seconds(3600);
        assert_eq!(change, Some(Change::Write(until)));
        let written = Request::parse(&fs::read_to_string(folder.join(REQUEST_FILE)).unwrap());
        assert_eq!(written.unwrap().until, until);
        assert_eq!(step.report()["until"], "2026-09-21T15:13:20Z");
        // Not yet due to ask again: kept.
        assert_eq!(
            step.pass(&link, &uploader(), wall, 2 * minute),
            Some(Change::Keep)
        );
        // Asked again: off at the hub, so removed.
        let later = minute + CHECK_EVERY;
        assert_eq!(
            step.pass(&link, &uploader(), wall, later),
            Some(Change::Remove)
        );
        assert!(!folder.join(REQUEST_FILE).exists());
    }

    #[test]
    fn a_request_for_another_jump_host_is_written_again_for_the_same_time() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join(FOLDER);
        fs::create_dir(&folder).unwrap();
        let wall = DateTime::from_timestamp(1_790_000_000, 0).unwrap();
        let until = wall + chrono::Duration::seconds(600);
        let mut old_jump = jump();
        old_jump.jump_user = crate::remote_help::SshUser("old".into());
        let old = Request {
            until,
            device_id: uploader().device_id().to_owned(),
            jump: old_jump,
        };
        fs::write(folder.join(REQUEST_FILE), old.text()).unwrap();
        let mut step = RemoteHelpStep::new(dir.path(), Some(jump()));
        let link = FakeLink::new(vec![reply(503, "")]);
        assert_eq!(
            step.pass(&link, &uploader(), wall, Duration::ZERO),
            Some(Change::Write(until))
        );
        let now = Request::parse(&fs::read_to_string(folder.join(REQUEST_FILE)).unwrap());
        assert_eq!(now.unwrap().jump, jump());
        assert_eq!(
            step.pass(&link, &uploader(), wall, Duration::ZERO),
            Some(Change::Keep)
        );
    }

    #[test]
    fn the_hub_out_of_reach_leaves_the_request_to_its_time() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join(FOLDER);
        fs::create_dir(&folder).unwrap();
        let mut step = RemoteHelpStep::new(dir.path(), Some(jump()));
        let wall = DateTime::from_timestamp(1_790_000_000, 0).unwrap();
        let on = r#"{"until": "x", "seconds_left": 600}"#;
        let link = FakeLink::new(vec![reply(200, on), reply(503, "")]);
        step.pass(&link, &uploader(), wall, Duration::ZERO);
        let due = CHECK_EVERY;
        assert_eq!(step.pass(&link, &uploader(), wall, due), Some(Change::Keep));
        let past = wall + chrono::Duration::seconds(600);
        assert_eq!(
            step.pass(&link, &uploader(), past, due + Duration::from_secs(1)),
            Some(Change::Remove)
        );
    }

    #[test]
    fn without_a_jump_host_or_the_folder_nothing_is_asked() {
        let dir = tempfile::tempdir().unwrap();
        let link = FakeLink::new(vec![]);
        let wall = DateTime::from_timestamp(1_790_000_000, 0).unwrap();
        let mut bare = RemoteHelpStep::new(dir.path(), None);
        assert_eq!(bare.pass(&link, &uploader(), wall, Duration::ZERO), None);
        let mut no_folder = RemoteHelpStep::new(dir.path(), Some(jump()));
        assert_eq!(
            no_folder.pass(&link, &uploader(), wall, Duration::ZERO),
            None
        );
        assert_eq!(no_folder.report()["available"], false);
        assert_eq!(link.sent.borrow().len(), 0);
    }

    #[test]
    fn the_report_says_roots_tunnel_and_key() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(CLIENT_KEY_FILE), format!("{KEY} root@ws\n")).unwrap();
        fs::write(
            dir.path().join(STATUS_FILE),
            r#"{"tunnel": "up", "detail": "", "at": "2026-12-03T12:00:00Z"}"#,
        )
        .unwrap();
        let report = report(dir.path(), true);
        assert_eq!(report["available"], true);
        assert_eq!(report["tunnel"], "up");
        assert_eq!(report["client_key"], format!("{KEY} root@ws"));
        assert_eq!(report["until"], serde_json::Value::Null);
    }
}
