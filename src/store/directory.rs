//! Installing directory bundles: the signed file is written atomically into the data
//! directory, and every installed version is remembered so none can be replayed.

use std::path::{Path, PathBuf};

use ed25519_dalek::VerifyingKey;
use waystation_durable::WriteError;

use super::{Store, StoreError};
use crate::directory::Bundle;
use crate::directory::bundle::{BundleError, verify, verify_signature};

/// Where the installed signed bundle lives, inside the data directory.
pub fn installed_path(data_dir: &Path) -> PathBuf {
    data_dir.join("directory").join("bundle.signed.json")
}

#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error("{0}")]
    Refused(#[from] BundleError),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Write(#[from] WriteError),
}

/// The highest version ever installed here: the store's record, or the installed file's own
/// version if the kiosk lost power between writing the file and recording it.
pub fn highest_installed(
    store: &Store,
    data_dir: &Path,
    key: Option<&VerifyingKey>,
) -> Result<u64, StoreError> {
    let recorded: i64 = store
        .connection()
        .query_row(
            "SELECT COALESCE(MAX(version), 0) FROM directory_installed",
            [],
            |r| r.get(0),
        )
        .map_err(|source| StoreError::Sqlite {
            path: store.label.clone(),
            source,
        })?;
    let on_disk = key
        .and_then(|k| load_installed(data_dir, k))
        .map_or(0, |b| b.version);
    Ok((recorded.max(0) as u64).max(on_disk))
}

/// Verifies and installs a signed bundle. The old bundle stays in place on any failure.
pub fn install(
    store: &mut Store,
    data_dir: &Path,
    signed: &str,
    key: &VerifyingKey,
    today: chrono::NaiveDate,
    now_ms: i64,
) -> Result<Bundle, InstallError> {
    let highest = highest_installed(store, data_dir, Some(key))?;
    let bundle = verify(signed, key, highest, today)?;
    let path = installed_path(data_dir);
    let folder = path.parent().unwrap_or(data_dir);
    std::fs::create_dir_all(folder).map_err(|source| WriteError {
        action: "create",
        path: folder.to_path_buf(),
        source,
    })?;
    // After a power cut the old bundle or the new one is there, never a mix.
    waystation_durable::write_atomically(&path, signed.as_bytes(), None)?;
    store
        .connection()
        .execute(
            "INSERT OR IGNORE INTO directory_installed (version, installed_wall_ms) VALUES (?1, ?2)",
            rusqlite::params![bundle.version as i64, now_ms],
        )
        .map_err(|source| StoreError::Sqlite { path: store.label.clone(), source })?;
    Ok(bundle)
}

/// The installed bundle, if there is one and its signature still checks out.
pub fn load_installed(data_dir: &Path, key: &VerifyingKey) -> Option<Bundle> {
    let text = std::fs::read_to_string(installed_path(data_dir)).ok()?;
    match verify_signature(&text, key) {
        Ok(bundle) => Some(bundle),
        Err(e) => {
            tracing::error!(
                "the installed directory bundle does not verify, using the built-in one: {e}"
            );
            None
        }
    }
}

/// The directory the kiosk serves: the installed bundle when it is newer than the built-in
/// one, else the built-in one.
pub fn active(data_dir: Option<&Path>, key: Option<&VerifyingKey>) -> Bundle {
    let shipped = Bundle::shipped();
    match data_dir
        .zip(key)
        .and_then(|(dir, key)| load_installed(dir, key))
    {
        Some(installed) if installed.version > shipped.version => installed,
        _ => shipped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::bundle::{keygen, public_key, secret_key, sign};

    fn signed(version: u64) -> (String, VerifyingKey) {
        let (s, p) = keygen([3; 32]);
        let mut b = Bundle::shipped();
        b.version = version;
        (
            sign(
                &serde_json::to_string(&b).unwrap(),
                &secret_key(&s).unwrap(),
            )
            .unwrap(),
            public_key(&p).unwrap(),
        )
    }

    fn today() -> chrono::NaiveDate {
        "2026-12-01".parse().unwrap()
    }

    #[test]
    fn installing_remembers_the_version_and_refuses_a_replay() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let (v3, key) = signed(3);
        let (v2, _) = signed(2);
        install(&mut store, dir.path(), &v3, &key, today(), 0).unwrap();
        assert_eq!(active(Some(dir.path()), Some(&key)).version, 3);
        let err = install(&mut store, dir.path(), &v2, &key, today(), 0).unwrap_err();
        assert!(
            err.to_string().contains("rollback refused: version 2"),
            "{err}"
        );
        assert_eq!(
            active(Some(dir.path()), Some(&key)).version,
            3,
            "the refused bundle left the old one in place"
        );
        // Even with the store's memory gone, the installed file still blocks the replay.
        drop(store);
        std::fs::remove_file(dir.path().join(super::super::DB_FILE)).unwrap();
        let mut fresh = Store::open(dir.path()).unwrap();
        assert!(install(&mut fresh, dir.path(), &v2, &key, today(), 0).is_err());
    }

    #[test]
    fn a_damaged_installed_file_falls_back_to_the_built_in_directory() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let (v4, key) = signed(4);
        install(&mut store, dir.path(), &v4, &key, today(), 0).unwrap();
        std::fs::write(installed_path(dir.path()), &v4[..v4.len() / 2]).unwrap();
        assert_eq!(active(Some(dir.path()), Some(&key)), Bundle::shipped());
        assert_eq!(active(None, None), Bundle::shipped());
    }
}
