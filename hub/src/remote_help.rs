//! Remote help, the hub's side: an admin switches it on for one kiosk for a bounded time
//! (`waystation-hub remote-help on`, or the dashboard's Remote help page), the kiosk learns it
//! from a signed `GET /v1/remote-help`, and root's side of the kiosk connects out to the
//! centre's jump host until the time is up (docs/remote-help.md). The hub opens nothing itself.
//!
//! Whether a kiosk can do it at all is what its newest heartbeat says: a kiosk without a jump
//! host in its config reports `remote_help.available: false`, and the hub refuses to switch
//! remote help on for it rather than let the field team wait for a tunnel that never comes.

use serde::Serialize;
use waystation_protocol::RemoteHelpGrant;
use waystation_protocol::remote_help::MAX_MINUTES;

use crate::HubError;
use crate::storage::{HEARTBEAT_KIND, Storage, StoredRecord};

/// Remote help switched on for one kiosk: until when, by whom and when (the hub's clock, ms).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RemoteHelp {
    pub device_id: String,
    pub until_ms: i64,
    pub granted_by: String,
    pub granted_ms: i64,
}

/// What a kiosk's newest heartbeat says about remote help.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KioskSide {
    /// The kiosk has a jump host configured (`[remote_help]` in its config).
    pub available: bool,
    /// Root's tunnel as the kiosk last saw it (`connecting`, `up`, `down`, `error`), if any.
    pub tunnel: Option<String>,
    /// The tunnel's last words (an ssh error), if any.
    pub detail: Option<String>,
    /// The public line of root's client key, for the jump host's authorized_keys.
    pub client_key: Option<String>,
}

/// Reads the `remote_help` field of a heartbeat's payload; a heartbeat without one (a kiosk
/// from before remote help) is a kiosk without a jump host.
pub fn kiosk_side(heartbeat: &serde_json::Value) -> KioskSide {
    let field = &heartbeat["remote_help"];
    let text = |name: &str| field[name].as_str().map(|s| s.chars().take(200).collect());
    KioskSide {
        available: field["available"].as_bool() == Some(true),
        tunnel: text("tunnel"),
        detail: text("detail"),
        client_key: text("client_key"),
    }
}

/// The newest heartbeat of one kiosk, if it sent one.
fn newest_heartbeat(
    storage: &mut dyn Storage,
    device_id: &str,
) -> Result<Option<StoredRecord>, HubError> {
    Ok(storage
        .latest_heartbeats()?
        .into_iter()
        .find(|beat| beat.device_id == device_id && beat.kind == HEARTBEAT_KIND))
}

/// Switches remote help on for `device_id` for `minutes` (1 to [`MAX_MINUTES`]) from
/// `now_ms`, with its audit line: the one check behind `remote-help on` and the dashboard's
/// form. Switching it on again replaces the time (shorter or longer) and the name.
pub fn switch_on(
    storage: &mut dyn Storage,
    device_id: &str,
    minutes: u32,
    by: &str,
    now_ms: i64,
) -> Result<RemoteHelp, HubError> {
    if minutes == 0 || minutes > MAX_MINUTES {
        return Err(HubError::BadMinutes(minutes));
    }
    let short_id = || device_id.chars().take(64).collect::<String>();
    match storage.device(device_id)? {
        None => return Err(HubError::UnknownDevice(short_id())),
        Some(device) if device.revoked_ms.is_some() => {
            return Err(HubError::DeviceRevoked(short_id()));
        }
        Some(_) => {}
    }
    let available = newest_heartbeat(storage, device_id)?
        .is_some_and(|beat| kiosk_side(&beat.payload).available);
    if !available {
        return Err(HubError::NoJumpHost(short_id()));
    }
    let help = RemoteHelp {
        device_id: device_id.to_string(),
        until_ms: now_ms + i64::from(minutes) * 60_000,
        granted_by: by.to_string(),
        granted_ms: now_ms,
    };
    storage.set_remote_help(&help)?;
    Ok(help)
}

/// Switches remote help off for `device_id`, with its audit line. Returns whether it was on.
pub fn switch_off(
    storage: &mut dyn Storage,
    device_id: &str,
    by: &str,
    now_ms: i64,
) -> Result<bool, HubError> {
    storage.end_remote_help(device_id, by, now_ms)
}

/// Remote help in force at `now_ms`, by device id: a switch whose time is up is off, whether
/// or not anyone switched it off.
pub fn in_force(storage: &mut dyn Storage, now_ms: i64) -> Result<Vec<RemoteHelp>, HubError> {
    Ok(storage
        .remote_helps()?
        .into_iter()
        .filter(|help| help.until_ms > now_ms)
        .collect())
}

/// What `GET /v1/remote-help` answers a kiosk at `now_ms`: the grant while it is in force.
pub fn grant(help: &RemoteHelp, now_ms: i64) -> Option<RemoteHelpGrant> {
    let left_ms = help.until_ms - now_ms;
    if left_ms <= 0 {
        return None;
    }
    // Rounded up, so that a grant with a few milliseconds left is not "0 seconds".
    let seconds_left = (left_ms as u64).div_ceil(1000);
    Some(RemoteHelpGrant {
        until: utc(help.until_ms),
        seconds_left: seconds_left.min(u64::from(MAX_MINUTES) * 60),
    })
}

/// A time as RFC 3339 in UTC, to the second.
fn utc(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn help(until_ms: i64) -> RemoteHelp {
        RemoteHelp {
            device_id: "ws-0011223344556677".into(),
            until_ms,
            granted_by: "admin".into(),
            granted_ms: 0,
        }
    }

    #[test]
    fn a_grant_counts_down_and_ends_by_itself() {
        let until = 1_790_000_000_000 + 3_600_000;
        let at = |now| grant(&help(until), now);
        assert_eq!(at(until - 3_600_000).unwrap().seconds_left, 3600);
        assert_eq!(at(until - 1).unwrap().seconds_left, 1);
        assert_eq!(at(until), None);
        assert_eq!(at(until + 1), None);
        assert_eq!(
            at(until - 1000).unwrap().until,
            "2026-09-21T15:13:20Z",
            "the hub's clock, in UTC"
        );
    }

    #[test]
    fn only_a_heartbeat_that_says_so_makes_a_kiosk_available() {
        let beat = serde_json::json!({"remote_help": {"available": true, "tunnel": "up",
            "detail": null, "client_key": "ssh-ed25519 AAAA root@ws"}});
        let side = kiosk_side(&beat);
        assert!(side.available);
        assert_eq!(side.tunnel.as_deref(), Some("up"));
        assert_eq!(side.client_key.as_deref(), Some("ssh-ed25519 AAAA root@ws"));
        assert!(!kiosk_side(&serde_json::json!({"remote_help": {"available": false}})).available);
        assert!(!kiosk_side(&serde_json::json!({"version": "1"})).available);
        assert!(!kiosk_side(&serde_json::json!({"remote_help": {"available": "yes"}})).available);
    }
}
