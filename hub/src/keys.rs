//! The centre's HPKE key pair: `centre.key` (secret) and `centre.pub` (public) in the data
//! folder, each as one line of base64.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

use waystation_protocol::CentreSecretKey;

use crate::sqlite::{sync_dir, write_atomically};
use crate::{HubError, KEY_FILE, PUB_FILE};

/// Makes the data folder if needed and a new key pair in it; returns the public key (base64).
pub(crate) fn generate(data_dir: &Path) -> Result<String, HubError> {
    // Only the hub's own user should be able to list the folder that holds the secret key.
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(data_dir)
        .map_err(|source| HubError::Io {
            action: "create",
            path: data_dir.to_path_buf(),
            source,
        })?;
    let path = data_dir.join(KEY_FILE);
    let (secret, public) = CentreSecretKey::generate();
    // `create_new` makes the refusal atomic: even two keygens at once cannot both write, and
    // an existing key is never replaced, because records sealed to it could no longer be read.
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .map_err(|source| {
            if source.kind() == std::io::ErrorKind::AlreadyExists {
                HubError::KeyExists(path.clone())
            } else {
                HubError::Io {
                    action: "create",
                    path: path.clone(),
                    source,
                }
            }
        })?;
    file.write_all(format!("{}\n", secret.to_base64()).as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|source| HubError::Io {
            action: "write",
            path: path.clone(),
            source,
        })?;
    sync_dir(data_dir)?;
    let public = public.to_base64();
    write_atomically(
        &data_dir.join(PUB_FILE),
        format!("{public}\n").as_bytes(),
        Some(0o644),
    )?;
    Ok(public)
}

/// Reads the centre's secret key. If `centre.pub` is missing (a crash between writing the two,
/// or someone deleted it), it is written again from the secret key, since kiosk configs need it.
pub(crate) fn load(data_dir: &Path) -> Result<CentreSecretKey, HubError> {
    if !data_dir.is_dir() {
        return Err(HubError::NoDataDir(data_dir.to_path_buf()));
    }
    let path = data_dir.join(KEY_FILE);
    let text = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(HubError::NoKey(path)),
        Err(source) => {
            return Err(HubError::Io {
                action: "read",
                path,
                source,
            });
        }
    };
    let secret =
        CentreSecretKey::from_base64(&text).map_err(|_| HubError::BadCentreKey(path.clone()))?;
    if let Ok(meta) = fs::metadata(&path)
        && meta.permissions().mode() & 0o077 != 0
    {
        tracing::warn!(
            "{} can be read by other users; make it private with `chmod 600`",
            path.display()
        );
    }
    let public = data_dir.join(PUB_FILE);
    if !public.exists() {
        write_atomically(
            &public,
            format!("{}\n", secret.public_key().to_base64()).as_bytes(),
            Some(0o644),
        )?;
    }
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_made_once_privately_and_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("hub");
        let public = generate(&data).unwrap();
        let mode = fs::metadata(data.join(KEY_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let secret_text = fs::read_to_string(data.join(KEY_FILE)).unwrap();
        assert_eq!(
            fs::read_to_string(data.join(PUB_FILE)).unwrap().trim(),
            public
        );
        assert_eq!(load(&data).unwrap().public_key().to_base64(), public);

        let err = generate(&data).err().unwrap();
        assert!(matches!(err, HubError::KeyExists(_)), "{err}");
        assert_eq!(
            fs::read_to_string(data.join(KEY_FILE)).unwrap(),
            secret_text
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
    fn a_missing_or_broken_key_is_named() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(load(dir.path()), Err(HubError::NoKey(_))));
        fs::write(dir.path().join(KEY_FILE), "not a key").unwrap();
        assert!(matches!(load(dir.path()), Err(HubError::BadCentreKey(_))));
    }
}
