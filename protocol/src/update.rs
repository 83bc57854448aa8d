//! Image updates, as kiosk and hub speak of them: the offer a kiosk asks for, where the
//! bundle's bytes are fetched, and what a version may look like.
//!
//! A version becomes a file name on both sides (`images/{version}.raucb` at the hub,
//! `updates/{version}.raucb` on the kiosk), so both refuse any version that is not
//! [`version_ok`] before using it.

use serde::{Deserialize, Serialize};

/// The path a kiosk asks for the image update meant for it (signed GET). 200 with an
/// [`UpdateOffer`], or 204 when there is none (or the kiosk runs it already).
pub const UPDATE_PATH: &str = "/v1/update";
/// The bundle's bytes are at this prefix followed by the version (signed GET, with
/// `Range: bytes=N-` or `bytes=N-M` for a part).
pub const IMAGE_PATH_PREFIX: &str = "/v1/images/";
/// The longest version accepted.
pub const MAX_VERSION_CHARS: usize = 40;
/// What became of a kiosk's last update, as root's `update-status.json` and the heartbeat's
/// `update.last.outcome` say it (the kiosk's `update::Outcome`, in its order; the hub's fleet
/// page words them in this order).
pub const OUTCOMES: [&str; 6] = [
    "installed",
    "installing",
    "awaiting_reboot",
    "trying",
    "rolled_back",
    "failed",
];

/// What the hub offers a kiosk: the image version it should run, and how to check the bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateOffer {
    pub version: String,
    /// SHA-256 of the whole bundle, 64 lowercase hex digits.
    pub sha256: String,
    pub size: u64,
}

impl UpdateOffer {
    /// Parses an offer and checks every field, since each becomes a file name or a limit.
    pub fn parse(body: &[u8]) -> Result<UpdateOffer, String> {
        let offer: UpdateOffer =
            serde_json::from_slice(body).map_err(|e| format!("not an update offer: {e}"))?;
        if !version_ok(&offer.version) {
            return Err(format!(
                "the offer's version {:?} is not valid",
                offer.version
            ));
        }
        if !sha256_ok(&offer.sha256) {
            return Err("the offer's sha256 is not 64 lowercase hex digits".into());
        }
        if offer.size == 0 {
            return Err("the offer's size is 0".into());
        }
        Ok(offer)
    }
}

/// Whether `version` may name an image: 1 to 40 characters of `[0-9A-Za-z.+~-]`, not starting
/// with a dot (no hidden files, no `..`).
pub fn version_ok(version: &str) -> bool {
    !version.is_empty()
        && version.len() <= MAX_VERSION_CHARS
        && !version.starts_with('.')
        && version
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'+' | b'~' | b'-'))
}

/// Whether `hex` is a SHA-256 as the offer carries it.
pub fn sha256_ok(hex: &str) -> bool {
    hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The path of a version's bundle bytes (the version already checked with [`version_ok`]).
pub fn image_path(version: &str) -> String {
    format!("{IMAGE_PATH_PREFIX}{version}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_safe_file_names() {
        for good in ["2026.12.3", "1.0+pi4", "2~rc1", "A-b", &"9".repeat(40)] {
            assert!(version_ok(good), "{good}");
        }
        for bad in [
            "",
            ".",
            "..",
            ".hidden",
            "a/b",
            "a b",
            "v1\n",
            "版本",
            "x;rm",
            &"9".repeat(41),
        ] {
            assert!(!version_ok(bad), "{bad:?}");
        }
    }

    #[test]
    fn an_offer_is_checked_field_by_field() {
        let sha = "ab".repeat(32);
        let good = format!(r#"{{"version":"2026.12.3","sha256":"{sha}","size":10}}"#);
        assert_eq!(
            UpdateOffer::parse(good.as_bytes()).unwrap().version,
            "2026.12.3"
        );
        for bad in [
            format!(r#"{{"version":"../x","sha256":"{sha}","size":10}}"#),
            format!(
                r#"{{"version":"1","sha256":"{}","size":10}}"#,
                "AB".repeat(32)
            ),
            format!(r#"{{"version":"1","sha256":"{sha}","size":0}}"#),
            r#"{"version":"1"}"#.to_string(),
            "not json".to_string(),
        ] {
            assert!(UpdateOffer::parse(bad.as_bytes()).is_err(), "{bad}");
        }
    }
}
