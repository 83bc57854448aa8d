//! The centre's HPKE keys: `centre.key` (the current secret key) and `centre.pub` (its public
//! key) in the data folder, each as one line of base64, and every earlier key in `old-keys/`,
//! as `<key id>.key`, so that records sealed to it still open after a new key is rolled out.
//! A key is never deleted or overwritten by the hub.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use waystation_protocol::{CentreSecretKey, KeyId, SealBinding, sealed_key_id};

use crate::sqlite::sync_dir;
use crate::{HubError, KEY_FILE, OLD_KEYS_DIR, PUB_FILE};

/// Every centre key the hub holds: the current one (kiosks are configured with its public
/// half) and the ones before it.
pub(crate) struct CentreKeys {
    pub current: CentreSecretKey,
    /// Earlier keys, by key id.
    pub old: Vec<CentreSecretKey>,
}

/// A centre key as `keys list` shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct KeyInfo {
    pub key_id: String,
    pub current: bool,
    /// The public key, base64, as kiosk configs hold it.
    pub public_key: String,
}

impl CentreKeys {
    /// Opens a sealed payload with the key it names. A payload that names no key (sealed
    /// before key ids) is tried with every key, the current one first: one of them was
    /// current when it was sealed. The error is the short reason the kiosk is told.
    pub fn open(&self, binding: &SealBinding<'_>, sealed: &[u8]) -> Result<Vec<u8>, String> {
        let all = || std::iter::once(&self.current).chain(&self.old);
        let named = sealed_key_id(sealed);
        if let Some(id) = named
            && let Some(key) = all().find(|key| key.key_id() == id)
        {
            return key
                .open(binding, sealed)
                .map_err(|_| DOES_NOT_OPEN.to_string());
        }
        // No id, or an id this hub does not hold (which may also be the start of a v1 payload
        // by chance): every key gets its try.
        all()
            .find_map(|key| key.open(binding, sealed).ok())
            .ok_or_else(|| match named {
                Some(id) => format!(
                    "the sealed payload names centre key {id}, which this hub does not hold"
                ),
                None => DOES_NOT_OPEN.to_string(),
            })
    }

    pub fn find(&self, id: KeyId) -> bool {
        std::iter::once(&self.current)
            .chain(&self.old)
            .any(|key| key.key_id() == id)
    }

    pub fn list(&self) -> Vec<KeyInfo> {
        std::iter::once((&self.current, true))
            .chain(self.old.iter().map(|key| (key, false)))
            .map(|(key, current)| KeyInfo {
                key_id: key.key_id().to_string(),
                current,
                public_key: key.public_key().to_base64(),
            })
            .collect()
    }
}

const DOES_NOT_OPEN: &str = "the sealed payload does not open: sealed to another centre key, or for another record id, device, kind or version";

/// Makes the data folder if needed and a new current key in it; returns the public key
/// (base64). A key that was current before is kept in `old-keys/` first, so that what was
/// sealed to it still opens.
pub(crate) fn generate(data_dir: &Path) -> Result<String, HubError> {
    // Only the hub's own user should be able to list the folder that holds the secret keys.
    make_private_dir(data_dir)?;
    // Two keygens at once must not both retire the same key and lose one of the new ones.
    let lock_path = data_dir.join(".keygen.lock");
    let lock = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(&lock_path)
        .and_then(|file| file.lock().map(|()| file))
        .map_err(io("lock", &lock_path))?;
    let path = data_dir.join(KEY_FILE);
    let (secret, public) = CentreSecretKey::generate();
    let text = format!("{}\n", secret.to_base64());
    if path.exists() {
        let old = read_key(&path)?;
        retire(data_dir, &old)?;
        // Atomic: a reader sees the old current key or the new one, never half a file.
        waystation_durable::write_atomically(&path, text.as_bytes(), Some(0o600))?;
        tracing::info!(
            old = %old.key_id(),
            new = %secret.key_id(),
            "new centre key; the old one is kept in {OLD_KEYS_DIR}/"
        );
    } else {
        // `create_new` so that nothing that appeared meanwhile is replaced.
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .map_err(io("create", &path))?;
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(io("write", &path))?;
        sync_dir(data_dir)?;
    }
    let public = public.to_base64();
    waystation_durable::write_atomically(
        &data_dir.join(PUB_FILE),
        format!("{public}\n").as_bytes(),
        Some(0o644),
    )?;
    drop(lock);
    Ok(public)
}

/// Copies a key to `old-keys/<key id>.key`, synced, before anything replaces it.
fn retire(data_dir: &Path, key: &CentreSecretKey) -> Result<(), HubError> {
    let dir = data_dir.join(OLD_KEYS_DIR);
    make_private_dir(&dir)?;
    let path = dir.join(format!("{}.key", key.key_id()));
    let text = format!("{}\n", key.to_base64());
    match fs::read_to_string(&path) {
        // Kept already (a keygen that stopped after retiring it): nothing to do.
        Ok(kept) if kept.trim() == text.trim() => return Ok(()),
        Ok(_) => {
            return Err(HubError::Storage(format!(
                "{} holds another key than its name says; look at it before making a new key",
                path.display()
            )));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(source) => return Err(io("read", &path)(source)),
    }
    Ok(waystation_durable::write_atomically(
        &path,
        text.as_bytes(),
        Some(0o600),
    )?)
}

/// Reads every centre key. If `centre.pub` is missing (a crash between writing the two, or
/// someone deleted it), it is written again from the secret key, since kiosk configs need it.
/// Key files others could read are made private, and the log says so.
pub(crate) fn load(data_dir: &Path) -> Result<CentreKeys, HubError> {
    if !data_dir.is_dir() {
        return Err(HubError::NoDataDir(data_dir.to_path_buf()));
    }
    let path = data_dir.join(KEY_FILE);
    if !path.exists() {
        return Err(HubError::NoKey(path));
    }
    tighten(data_dir, 0o700)?;
    let current = read_key(&path)?;
    let public = data_dir.join(PUB_FILE);
    if !public.exists() {
        waystation_durable::write_atomically(
            &public,
            format!("{}\n", current.public_key().to_base64()).as_bytes(),
            Some(0o644),
        )?;
    }
    let mut old = Vec::new();
    let dir = data_dir.join(OLD_KEYS_DIR);
    if dir.is_dir() {
        tighten(&dir, 0o700)?;
        let mut paths: Vec<PathBuf> = fs::read_dir(&dir)
            .map_err(io("read", &dir))?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "key"))
            .collect();
        paths.sort();
        for path in paths {
            let key = read_key(&path)?;
            if key.key_id() != current.key_id() {
                old.push(key);
            }
        }
    }
    Ok(CentreKeys { current, old })
}

fn read_key(path: &Path) -> Result<CentreSecretKey, HubError> {
    let text = fs::read_to_string(path).map_err(io("read", path))?;
    let key = CentreSecretKey::from_base64(&text)
        .map_err(|_| HubError::BadCentreKey(path.to_path_buf()))?;
    tighten(path, 0o600)?;
    Ok(key)
}

/// Makes a folder only its owner can use, whatever the umask; an existing one is tightened.
pub(crate) fn make_private_dir(dir: &Path) -> Result<(), HubError> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(io("create", dir))?;
    tighten(dir, 0o700)
}

/// Takes away every permission beyond `mode` from a file or folder that has more, and logs
/// that it did: the data folder holds secret keys and every decrypted record.
pub(crate) fn tighten(path: &Path, mode: u32) -> Result<(), HubError> {
    let meta = match fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(source) => return Err(io("read", path)(source)),
    };
    let found = meta.permissions().mode() & 0o777;
    if found & !mode == 0 {
        return Ok(());
    }
    fs::set_permissions(path, fs::Permissions::from_mode(found & mode))
        .map_err(io("restrict the permissions of", path))?;
    tracing::warn!(
        "{} could be used by other users (mode {found:o}); made it {:o}",
        path.display(),
        found & mode
    );
    Ok(())
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> HubError {
    let path = path.to_path_buf();
    move |source| HubError::Io {
        action,
        path,
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binding() -> SealBinding<'static> {
        SealBinding {
            record_id: "0190a7c4-0000-7000-8000-000000000001",
            device_id: "ws-0011223344556677",
            kind: "mood_check_in",
            schema_version: 1,
        }
    }

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_new_key_becomes_current_and_the_old_ones_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("hub");
        let first = generate(&data).unwrap();
        assert_eq!(mode(&data.join(KEY_FILE)), 0o600);
        assert_eq!(mode(&data), 0o700);
        let first_secret = fs::read_to_string(data.join(KEY_FILE)).unwrap();
        let first_key = waystation_protocol::CentrePublicKey::from_base64(&first).unwrap();
        let sealed_first = first_key.seal(&binding(), b"first").unwrap();
        let sealed_v1 = first_key.seal_v1(&binding(), b"before ids").unwrap();

        let second = generate(&data).unwrap();
        assert_ne!(second, first);
        assert_eq!(
            fs::read_to_string(data.join(PUB_FILE)).unwrap().trim(),
            second
        );
        let kept = data
            .join(OLD_KEYS_DIR)
            .join(format!("{}.key", first_key.key_id()));
        assert_eq!(fs::read_to_string(&kept).unwrap(), first_secret);
        assert_eq!(mode(&kept), 0o600);
        assert_eq!(mode(&data.join(OLD_KEYS_DIR)), 0o700);
        let third = generate(&data).unwrap();

        let keys = load(&data).unwrap();
        assert_eq!(keys.current.public_key().to_base64(), third);
        let listed = keys.list();
        assert_eq!(listed.len(), 3);
        assert_eq!(listed.iter().filter(|k| k.current).count(), 1);
        assert!(listed.iter().any(|k| k.public_key == first && !k.current));
        assert!(listed.iter().any(|k| k.public_key == second && !k.current));
        assert_eq!(keys.open(&binding(), &sealed_first).unwrap(), b"first");
        assert_eq!(keys.open(&binding(), &sealed_v1).unwrap(), b"before ids");
        let newest = waystation_protocol::CentrePublicKey::from_base64(&third).unwrap();
        let sealed_third = newest.seal(&binding(), b"third").unwrap();
        assert_eq!(keys.open(&binding(), &sealed_third).unwrap(), b"third");
    }

    #[test]
    fn a_key_the_hub_does_not_hold_is_named() {
        let dir = tempfile::tempdir().unwrap();
        generate(dir.path()).unwrap();
        let keys = load(dir.path()).unwrap();
        let (_, stranger) = CentreSecretKey::generate();
        let sealed = stranger.seal(&binding(), b"x").unwrap();
        let reason = keys.open(&binding(), &sealed).unwrap_err();
        assert!(
            reason.contains(&stranger.key_id().to_string()) && reason.contains("does not hold"),
            "{reason}"
        );
        let v1 = stranger.seal_v1(&binding(), b"x").unwrap();
        assert!(
            keys.open(&binding(), &v1)
                .unwrap_err()
                .contains("does not open")
        );
    }

    #[test]
    fn a_lost_public_key_file_is_written_again() {
        let dir = tempfile::tempdir().unwrap();
        let public = generate(dir.path()).unwrap();
        fs::remove_file(dir.path().join(PUB_FILE)).unwrap();
        load(dir.path()).unwrap();
        assert_eq!(
            fs::read_to_string(dir.path().join(PUB_FILE))
                .unwrap()
                .trim(),
            public
        );
    }

    #[test]
    fn loose_permissions_are_tightened_when_the_keys_are_read() {
        let dir = tempfile::tempdir().unwrap();
        generate(dir.path()).unwrap();
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o777)).unwrap();
        fs::set_permissions(dir.path().join(KEY_FILE), fs::Permissions::from_mode(0o666)).unwrap();
        load(dir.path()).unwrap();
        assert_eq!(mode(dir.path()), 0o700);
        assert_eq!(mode(&dir.path().join(KEY_FILE)), 0o600);
    }

    #[test]
    fn a_missing_or_broken_key_is_named() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(load(dir.path()), Err(HubError::NoKey(_))));
        fs::write(dir.path().join(KEY_FILE), "not a key").unwrap();
        assert!(matches!(load(dir.path()), Err(HubError::BadCentreKey(_))));
    }
}
