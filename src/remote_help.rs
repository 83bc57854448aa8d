//! Remote help for the field team, the kiosk's pure part (docs/remote-help.md).
//!
//! The kiosk opens no port to the network: its SSH server listens on loopback only. When the
//! hub says remote help is on for this kiosk, the kiosk (an unprivileged user) writes a
//! request file, and root's `waystation-remote-help` opens `ssh -N` out to the centre's jump
//! host with a remote forward of a UNIX socket named by the device id to the local SSH server,
//! until the request's time is up or the file goes. This module holds what both sides agree
//! on, with time passed in: the jump host's settings (checked while the config is parsed, and
//! again when root reads the request), the request file, the ssh command line, what the kiosk
//! does with the hub's answer, and root's status file.

use std::fmt;
use std::path::Path;

use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use waystation_protocol::remote_help::MAX_MINUTES;

/// The folder in the data directory the kiosk and root share for remote help: the kiosk's
/// user owns it; root writes its files there only by renaming a fresh file over the old one.
pub const FOLDER: &str = "remote-help";
/// The kiosk's request (written whole, removed when remote help is off or its time is up).
pub const REQUEST_FILE: &str = "request";
/// Root's word on the tunnel ([`TunnelStatus`]).
pub const STATUS_FILE: &str = "status";
/// The public line of root's client key, copied here at boot by `waystation-system-setup`
/// (the key itself stays in root's folder, which the kiosk cannot read).
pub const CLIENT_KEY_FILE: &str = "client-key.pub";
/// Where the kiosks' sockets go on the jump host unless the config says otherwise.
pub const DEFAULT_SOCKET_DIR: &str = "/run/waystation-help";
/// The name the jump host's key is filed under in root's known_hosts file, whatever its
/// address: the config names the host once, and a changed address keeps the same key.
pub const HOST_KEY_ALIAS: &str = "waystation-jump";
/// The local SSH server the tunnel reaches (it listens on loopback only).
pub const LOCAL_SSHD: &str = "127.0.0.1:22";

/// A jump host's name: a DNS name or an IP address, nothing ssh could read as an option.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct JumpHostName(pub String);

impl TryFrom<String> for JumpHostName {
    type Error = String;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':');
        if value.is_empty() || value.len() > 253 || value.starts_with('-') {
            return Err(format!("'{value}' is not a host name or address"));
        }
        if !value.chars().all(allowed) {
            return Err(format!(
                "'{value}' is not a host name or address (letters, digits, '.', '-', ':')"
            ));
        }
        Ok(JumpHostName(value))
    }
}

/// The account on the jump host the kiosks log in as.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct SshUser(pub String);

impl TryFrom<String> for SshUser {
    type Error = String;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
        if value.is_empty()
            || value.len() > 32
            || value.starts_with('-')
            || !value.chars().all(allowed)
        {
            return Err(format!(
                "'{value}' is not a user name (1 to 32 letters, digits, '.', '_', '-')"
            ));
        }
        Ok(SshUser(value))
    }
}

/// The jump host's SSH port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "i64")]
pub struct JumpPort(pub u16);

impl TryFrom<i64> for JumpPort {
    type Error = String;

    fn try_from(value: i64) -> Result<Self, Self::Error> {
        match u16::try_from(value) {
            Ok(port) if port > 0 => Ok(JumpPort(port)),
            _ => Err(format!("port {value} is not between 1 and 65535")),
        }
    }
}

impl fmt::Display for JumpPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The key types a jump host's key may be.
const HOST_KEY_TYPES: [&str; 5] = [
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "ssh-rsa",
];

/// The jump host's public host key, as its `/etc/ssh/ssh_host_*_key.pub` has it: the type and
/// the base64 key (a comment after them is dropped). The tunnel trusts this key alone.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct HostKey(pub String);

impl TryFrom<String> for HostKey {
    type Error = String;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        let mut words = value.split_whitespace();
        let (Some(kind), Some(key)) = (words.next(), words.next()) else {
            return Err("not a host key: 'TYPE BASE64' expected, e.g. from the jump host's /etc/ssh/ssh_host_ed25519_key.pub".into());
        };
        if !HOST_KEY_TYPES.contains(&kind) {
            return Err(format!(
                "host key type '{kind}' is not one of {}",
                HOST_KEY_TYPES.join(", ")
            ));
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(key)
            .map_err(|_| "the host key is not valid base64".to_string())?;
        // The key's own first field names its type again: a key pasted under the wrong type
        // would make every connection fail with a host key mismatch, far from its cause.
        let named = bytes
            .get(4..4 + kind.len())
            .filter(|_| bytes.len() > 4 + kind.len());
        if named != Some(kind.as_bytes()) {
            return Err(format!("the host key's bytes are not a {kind} key"));
        }
        Ok(HostKey(format!("{kind} {key}")))
    }
}

/// The folder on the jump host that holds the kiosks' sockets: an absolute path of plain
/// characters, short enough that a socket path in it fits a UNIX socket's 108 bytes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct SocketDir(pub String);

impl TryFrom<String> for SocketDir {
    type Error = String;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/');
        let plain = value.starts_with('/')
            && value.len() <= 80
            && value.chars().all(allowed)
            && !value.split('/').any(|part| part == "..");
        if !plain {
            return Err(format!(
                "'{value}' is not an absolute folder of at most 80 letters, digits, '.', '_', '-', '/' (no '..')"
            ));
        }
        Ok(SocketDir(value.trim_end_matches('/').to_string()))
    }
}

/// The centre's jump host (the config's `[remote_help]`, docs/config.md).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JumpHost {
    pub jump_host: JumpHostName,
    #[serde(default = "default_port")]
    pub jump_port: JumpPort,
    pub jump_user: SshUser,
    pub jump_host_key: HostKey,
    #[serde(default = "default_socket_dir")]
    pub socket_dir: SocketDir,
}

fn default_port() -> JumpPort {
    JumpPort(22)
}

fn default_socket_dir() -> SocketDir {
    SocketDir(DEFAULT_SOCKET_DIR.into())
}

/// What the kiosk asks root for: a tunnel to `jump` for `device_id`, until `until` (the
/// machine's clock). Written as `key=value` lines, read back with every value checked again,
/// because root acts on it and the kiosk's user wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub until: DateTime<Utc>,
    pub device_id: String,
    pub jump: JumpHost,
}

impl Request {
    /// The request file's text.
    pub fn text(&self) -> String {
        let jump = &self.jump;
        format!(
            "until={}\ndevice={}\nhost={}\nport={}\nuser={}\nhost_key={}\nsocket_dir={}\n",
            self.until.format("%Y-%m-%dT%H:%M:%SZ"),
            self.device_id,
            jump.jump_host.0,
            jump.jump_port,
            jump.jump_user.0,
            jump.jump_host_key.0,
            jump.socket_dir.0,
        )
    }

    /// Reads a request file, checking every value as the config does. Unknown or repeated
    /// keys, and a missing one, are errors.
    pub fn parse(text: &str) -> Result<Request, String> {
        let mut values = std::collections::BTreeMap::new();
        for (n, line) in text.lines().enumerate() {
            let (key, value) = line
                .split_once('=')
                .ok_or_else(|| format!("line {}: not key=value", n + 1))?;
            const KEYS: [&str; 7] = [
                "until",
                "device",
                "host",
                "port",
                "user",
                "host_key",
                "socket_dir",
            ];
            if !KEYS.contains(&key) || values.insert(key, value.to_string()).is_some() {
                return Err(format!("line {}: unknown or repeated key '{key}'", n + 1));
            }
        }
        let mut take = |key: &str| values.remove(key).ok_or(format!("no {key}= line"));
        let until = take("until")?;
        let until = DateTime::parse_from_rfc3339(&until)
            .map_err(|_| format!("until '{until}' is not an RFC 3339 time"))?
            .with_timezone(&Utc);
        let device_id = take("device")?;
        if !device_id_ok(&device_id) {
            return Err(format!("device '{device_id}' is not a device id"));
        }
        let port = take("port")?;
        let jump = JumpHost {
            jump_host: JumpHostName::try_from(take("host")?)?,
            jump_port: port
                .parse::<i64>()
                .map_err(|_| format!("port '{port}' is not a number"))
                .and_then(JumpPort::try_from)?,
            jump_user: SshUser::try_from(take("user")?)?,
            jump_host_key: HostKey::try_from(take("host_key")?)?,
            socket_dir: SocketDir::try_from(take("socket_dir")?)?,
        };
        Ok(Request {
            until,
            device_id,
            jump,
        })
    }

    /// The kiosk's socket on the jump host: named by its device id, so kiosks never collide.
    pub fn socket_path(&self) -> String {
        format!("{}/{}.sock", self.jump.socket_dir.0, self.device_id)
    }
}

/// A device id as the protocol makes them: `ws-` and 16 lowercase hex digits.
fn device_id_ok(id: &str) -> bool {
    id.strip_prefix("ws-").is_some_and(|hex| {
        hex.len() == 16
            && hex
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, 'a'..='f'))
    })
}

/// Root's known_hosts file for the tunnel: the jump host's key alone, under
/// [`HOST_KEY_ALIAS`].
pub fn known_hosts(jump: &JumpHost) -> String {
    format!("{HOST_KEY_ALIAS} {}\n", jump.jump_host_key.0)
}

/// The arguments after `ssh` for the tunnel: no config file but these options, no command
/// (`-N`), the one key root made for this, the jump host's key alone trusted, a socket on the
/// jump host forwarded to the local SSH server, and an exit (so root can try again, and say
/// so) when the forward cannot be made or the jump host stops answering.
pub fn ssh_args(request: &Request, identity: &Path, known_hosts: &Path) -> Vec<String> {
    let jump = &request.jump;
    let options = [
        "BatchMode=yes".to_string(),
        "IdentitiesOnly=yes".into(),
        "IdentityAgent=none".into(),
        format!("UserKnownHostsFile={}", known_hosts.display()),
        "GlobalKnownHostsFile=/dev/null".into(),
        "StrictHostKeyChecking=yes".into(),
        format!("HostKeyAlias={HOST_KEY_ALIAS}"),
        "UpdateHostKeys=no".into(),
        "ExitOnForwardFailure=yes".into(),
        "ServerAliveInterval=30".into(),
        "ServerAliveCountMax=3".into(),
        "ConnectTimeout=30".into(),
        "ForwardAgent=no".into(),
        "ForwardX11=no".into(),
        "PermitLocalCommand=no".into(),
        "ControlMaster=no".into(),
        "ControlPath=none".into(),
        "RequestTTY=no".into(),
    ];
    let mut args = vec!["-F".to_string(), "/dev/null".into(), "-N".into()];
    for option in options {
        args.push("-o".into());
        args.push(option);
    }
    args.extend([
        "-i".into(),
        identity.display().to_string(),
        "-p".into(),
        jump.jump_port.to_string(),
        "-l".into(),
        jump.jump_user.0.clone(),
        "-R".into(),
        format!("{}:{LOCAL_SSHD}", request.socket_path()),
        "--".into(),
        jump.jump_host.0.clone(),
    ]);
    args
}

/// What the hub said about remote help for this kiosk at the last check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HubSays {
    /// On, with this many seconds left.
    On { seconds_left: u64 },
    /// Off (or never switched on).
    Off,
    /// No answer (no network, the hub down): the request written stays until its time.
    NoAnswer,
}

/// What the kiosk does with its request file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Write (or rewrite) the request with this time.
    Write(DateTime<Utc>),
    /// Remove the request: remote help is off, or its time is up.
    Remove,
    /// Leave it as it is (none, or one still in time).
    Keep,
}

/// A new "until" within this of the one written is the same grant seen again (the seconds
/// left are counted from the hub's answer, which takes a moment to arrive).
const SAME_UNTIL_S: i64 = 60;

/// What to do with the request file at `now` (the machine's clock), given the time in the
/// one written (if any) and the hub's answer. The time is the machine's own clock plus the
/// seconds the hub says are left, capped at the longest remote help, so a kiosk whose clock
/// is wrong still ends it on time; and it ends at its time even with the hub out of reach.
pub fn decide(now: DateTime<Utc>, written: Option<DateTime<Utc>>, hub: HubSays) -> Change {
    let live = written.filter(|until| *until > now);
    match hub {
        HubSays::On { seconds_left } => {
            let seconds = seconds_left.min(u64::from(MAX_MINUTES) * 60) as i64;
            let until = now + chrono::Duration::seconds(seconds);
            match live {
                Some(old) if (old - until).num_seconds().abs() < SAME_UNTIL_S => Change::Keep,
                // Less than a minute left (the hub's time and the machine's meeting at the
                // end): not worth a tunnel.
                _ if seconds < SAME_UNTIL_S => written.map_or(Change::Keep, |_| Change::Remove),
                _ => Change::Write(until),
            }
        }
        HubSays::Off => written.map_or(Change::Keep, |_| Change::Remove),
        HubSays::NoAnswer => match (written, live) {
            (Some(_), None) => Change::Remove,
            _ => Change::Keep,
        },
    }
}

/// The tunnel as root last saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Tunnel {
    /// ssh started; the jump host has not yet confirmed the forward.
    Connecting,
    /// The jump host confirmed the forward: the field team can connect.
    Up,
    /// Closed: remote help off or its time up.
    Down,
    /// ssh ended or could not start; root tries again in a while. The detail says why.
    Error,
}

impl Tunnel {
    pub fn name(self) -> &'static str {
        match self {
            Tunnel::Connecting => "connecting",
            Tunnel::Up => "up",
            Tunnel::Down => "down",
            Tunnel::Error => "error",
        }
    }
}

/// Root's status file: `{"tunnel": "up", "detail": "...", "at": "2026-12-03T10:00:00Z"}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TunnelStatus {
    pub tunnel: Tunnel,
    #[serde(default)]
    pub detail: String,
    pub at: String,
}

/// Reads root's status file.
pub fn parse_status(text: &str) -> Result<TunnelStatus, String> {
    serde_json::from_str(text).map_err(|e| format!("not a remote help status: {e}"))
}

impl fmt::Display for TunnelStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} since {}", self.tunnel.name(), self.at)?;
        if !self.detail.is_empty() {
            write!(f, " ({})", self.detail)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
