//! Remote help, as kiosk and hub speak of it: the hub says whether the field team switched
//! it on for this kiosk, and for how long. The kiosk opens no port: root's side of the kiosk
//! connects out to the centre's jump host while it is on (docs/remote-help.md).

use serde::{Deserialize, Serialize};

/// The path a kiosk asks whether remote help is on for it (signed GET): 200 with a
/// [`RemoteHelpGrant`], or 204 when it is off.
pub const REMOTE_HELP_PATH: &str = "/v1/remote-help";

/// The longest remote help is switched on for at once, in minutes: a tunnel forgotten after
/// a visit closes by itself within a working day.
pub const MAX_MINUTES: u32 = 8 * 60;

/// How often a kiosk with a jump host asks, in minutes: the field team waits at most this
/// long for the tunnel, and a kiosk asks 30 times an hour (a few hundred bytes each, on 4G).
pub const CHECK_MINUTES: u64 = 2;

/// Remote help in force for a kiosk: until when by the hub's clock, and the seconds left, so
/// that a kiosk whose clock is wrong still ends it on time by its own clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteHelpGrant {
    /// RFC 3339, UTC.
    pub until: String,
    pub seconds_left: u64,
}

impl RemoteHelpGrant {
    /// Parses a grant, refusing one longer than [`MAX_MINUTES`] or already over.
    pub fn parse(body: &[u8]) -> Result<RemoteHelpGrant, String> {
        let grant: RemoteHelpGrant =
            serde_json::from_slice(body).map_err(|e| format!("not a remote help grant: {e}"))?;
        if grant.seconds_left == 0 || grant.seconds_left > u64::from(MAX_MINUTES) * 60 {
            return Err(format!(
                "the grant's seconds_left {} is not from 1 to {}",
                grant.seconds_left,
                u64::from(MAX_MINUTES) * 60
            ));
        }
        Ok(grant)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grant_is_bounded_by_the_longest_remote_help() {
        let ok = br#"{"until": "2026-12-03T20:00:00Z", "seconds_left": 28800}"#;
        assert_eq!(RemoteHelpGrant::parse(ok).unwrap().seconds_left, 28_800);
        for bad in [
            &br#"{"until": "x", "seconds_left": 28801}"#[..],
            br#"{"until": "x", "seconds_left": 0}"#,
            br#"{"until": "x"}"#,
            b"[]",
        ] {
            assert!(RemoteHelpGrant::parse(bad).is_err());
        }
    }
}
