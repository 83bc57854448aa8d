//! Image updates, the hub's side: image bundles kept as files in the data folder's
//! `images/`, rollouts (to all kiosks, a district, or named kiosks), which version a kiosk
//! should run, and the byte ranges a kiosk downloads them in.
//!
//! The hub never looks inside a bundle: RAUC checks its signature on the kiosk. The hub gives
//! its size and SHA-256, which the kiosk checks before it asks for an install.

use std::fs;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use waystation_protocol::UpdateOffer;
use waystation_protocol::update::version_ok;

use crate::storage::{Device, Image, Rollout, Scope, Storage};
use crate::{HubError, Place};

/// The folder of image bundles, inside the data folder.
pub const IMAGES_DIR: &str = "images";

/// Records a rollout of `version` to `scopes`, once the image is known and every named kiosk
/// registered: the one check behind `update rollout` and the dashboard's form.
pub fn roll_out(
    storage: &mut dyn Storage,
    version: &str,
    scopes: &[Scope],
    now_ms: i64,
) -> Result<(), HubError> {
    if !storage.images()?.iter().any(|i| i.version == version) {
        return Err(HubError::NoSuchImage(version.chars().take(60).collect()));
    }
    for scope in scopes {
        if let Scope::Kiosk(id) = scope
            && storage.device(id)?.is_none()
        {
            return Err(HubError::UnknownDevice(id.chars().take(64).collect()));
        }
    }
    storage.add_rollout(version, scopes, now_ms)
}

/// The newest rollout whose scope takes this kiosk in: the version it should run.
pub fn target<'a>(device: &Device, rollouts: &'a [Rollout]) -> Option<&'a Rollout> {
    rollouts
        .iter()
        .filter(|rollout| match &rollout.scope {
            Scope::All => true,
            Scope::District(name) => device.district.as_deref() == Some(name.as_str()),
            Scope::Kiosk(id) => &device.device_id == id,
        })
        .max_by_key(|rollout| (rollout.created_ms, rollout.id))
}

/// What to offer a kiosk: its target's image, unless the kiosk already runs that version
/// (`running`, from its newest heartbeat).
pub fn offer_for(
    storage: &mut dyn Storage,
    device: &Device,
    running: Option<&str>,
) -> Result<Option<UpdateOffer>, HubError> {
    let rollouts = storage.rollouts()?;
    let Some(rollout) = target(device, &rollouts) else {
        return Ok(None);
    };
    if running == Some(rollout.version.as_str()) {
        return Ok(None);
    }
    let images = storage.images()?;
    Ok(images
        .into_iter()
        .find(|image| image.version == rollout.version)
        .map(|image| UpdateOffer {
            version: image.version,
            sha256: image.sha256,
            size: image.size,
        }))
}

/// Copies a bundle into `images/` under its version, hashing it on the way, and notes it.
/// A version already known is refused, and so is one that cannot be a file name.
pub fn add_image(
    place: &Place,
    file: &Path,
    version: &str,
    now_ms: i64,
) -> Result<Image, HubError> {
    if !version_ok(version) {
        return Err(HubError::BadVersion(version.chars().take(60).collect()));
    }
    let mut storage = place.storage()?;
    if storage.images()?.iter().any(|i| i.version == version) {
        return Err(HubError::ImageExists(version.to_string()));
    }
    let dir = place.dir.join(IMAGES_DIR);
    fs::create_dir_all(&dir).map_err(|source| HubError::Io {
        action: "create",
        path: dir.clone(),
        source,
    })?;
    let file_name = format!("{version}.raucb");
    let (sha256, size) = copy_hashed(file, &dir, &file_name)?;
    let image = Image {
        version: version.to_string(),
        sha256,
        size,
        file_name,
        added_ms: now_ms,
    };
    if !storage.add_image(&image)? {
        // Another `update add` of the same version won the race; its file is the one kept.
        return Err(HubError::ImageExists(version.to_string()));
    }
    Ok(image)
}

/// Copies `from` to `dir/name` through a temporary file, synced and renamed, and returns the
/// copy's SHA-256 (hex) and size.
fn copy_hashed(from: &Path, dir: &Path, name: &str) -> Result<(String, u64), HubError> {
    let input = |source| HubError::Input {
        action: "read",
        path: from.to_path_buf(),
        source,
    };
    let temporary = dir.join(format!(".{name}.tmp"));
    let output = |source| HubError::Io {
        action: "write",
        path: temporary.clone(),
        source,
    };
    let mut reader = fs::File::open(from).map_err(input)?;
    let mut writer = fs::File::create(&temporary).map_err(output)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    let mut size = 0u64;
    loop {
        let n = reader.read(&mut buffer).map_err(input)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        writer.write_all(&buffer[..n]).map_err(output)?;
        size += n as u64;
    }
    writer.sync_all().map_err(output)?;
    let target = dir.join(name);
    fs::rename(&temporary, &target).map_err(output)?;
    Ok((hex(&hasher.finalize()), size))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Where a version's bundle is, if the hub holds it.
pub fn image_file(place_dir: &Path, image: &Image) -> PathBuf {
    place_dir.join(IMAGES_DIR).join(&image.file_name)
}

/// The bytes a `Range` header asks of a file of `size` bytes, as first and last byte
/// (both included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wanted {
    /// No range: the whole file (200).
    Whole,
    /// A part (206).
    Part { first: u64, last: u64 },
    /// A range that starts past the end, or that cannot be read (416).
    Unsatisfiable,
}

/// Reads a `Range` header: only the one form a kiosk sends, `bytes=N-` or `bytes=N-M`. Any
/// other range (several, a suffix) is answered with the whole file, as HTTP allows.
pub fn wanted(range: Option<&str>, size: u64) -> Wanted {
    let Some(spec) = range.and_then(|r| r.trim().strip_prefix("bytes=")) else {
        return Wanted::Whole;
    };
    let Some((first, last)) = spec.split_once('-') else {
        return Wanted::Whole;
    };
    let Ok(first) = first.trim().parse::<u64>() else {
        return Wanted::Whole;
    };
    let last = match last.trim() {
        "" => u64::MAX,
        text => match text.parse::<u64>() {
            Ok(last) if last >= first => last,
            _ => return Wanted::Whole,
        },
    };
    if first >= size {
        return Wanted::Unsatisfiable;
    }
    Wanted::Part {
        first,
        last: last.min(size - 1),
    }
}

/// Reads bytes `first..=last` of a file.
pub fn read_part(path: &Path, first: u64, last: u64) -> Result<Vec<u8>, HubError> {
    let io = |source| HubError::Io {
        action: "read",
        path: path.to_path_buf(),
        source,
    };
    let mut file = fs::File::open(path).map_err(io)?;
    file.seek(SeekFrom::Start(first)).map_err(io)?;
    let mut bytes = Vec::with_capacity((last - first + 1) as usize);
    file.take(last - first + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(id: &str, district: Option<&str>) -> Device {
        Device {
            device_id: id.into(),
            public_key: String::new(),
            station: None,
            district: district.map(String::from),
            station_kind: None,
            note: None,
            added_ms: 0,
            revoked_ms: None,
        }
    }

    fn rollout(id: i64, version: &str, scope: Scope, created_ms: i64) -> Rollout {
        Rollout {
            id,
            version: version.into(),
            scope,
            created_ms,
        }
    }

    #[test]
    fn the_newest_rollout_that_takes_the_kiosk_in_wins() {
        let rollouts = [
            rollout(1, "1", Scope::All, 10),
            rollout(2, "2", Scope::District("静安区".into()), 20),
            rollout(3, "3", Scope::Kiosk("ws-a".into()), 30),
            rollout(4, "4", Scope::District("浦东新区".into()), 40),
        ];
        let version = |d: &Device| target(d, &rollouts).map(|r| r.version.clone());
        assert_eq!(
            version(&device("ws-a", Some("静安区"))).as_deref(),
            Some("3")
        );
        assert_eq!(
            version(&device("ws-b", Some("静安区"))).as_deref(),
            Some("2")
        );
        assert_eq!(
            version(&device("ws-c", Some("浦东新区"))).as_deref(),
            Some("4")
        );
        assert_eq!(version(&device("ws-d", None)).as_deref(), Some("1"));
        assert_eq!(target(&device("ws-d", None), &rollouts[1..]), None);
        // Two rollouts in the same millisecond: the one made last.
        let same = [
            rollout(7, "7", Scope::All, 50),
            rollout(8, "8", Scope::All, 50),
        ];
        assert_eq!(target(&device("x", None), &same).unwrap().version, "8");
    }

    #[test]
    fn ranges_are_read_in_the_one_form_a_kiosk_sends() {
        assert_eq!(wanted(None, 10), Wanted::Whole);
        assert_eq!(
            wanted(Some("bytes=0-"), 10),
            Wanted::Part { first: 0, last: 9 }
        );
        assert_eq!(
            wanted(Some("bytes=4-5"), 10),
            Wanted::Part { first: 4, last: 5 }
        );
        assert_eq!(
            wanted(Some("bytes=4-99"), 10),
            Wanted::Part { first: 4, last: 9 }
        );
        assert_eq!(wanted(Some("bytes=10-"), 10), Wanted::Unsatisfiable);
        for whole in [
            "bytes=-5",
            "bytes=5-4",
            "items=1-",
            "bytes=1-2,4-5",
            "bytes=x-",
        ] {
            assert_eq!(wanted(Some(whole), 10), Wanted::Whole, "{whole}");
        }
    }
}
