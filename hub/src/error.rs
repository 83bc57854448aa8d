//! Everything that can go wrong in the hub, as one error type with one-line messages.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error(
        "no hub data folder at {0}: run `waystation-hub keygen --data {0}` to make one, or check --data"
    )]
    NoDataDir(PathBuf),
    #[error("cannot {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    /// Like `Io`, but for a file or folder the caller named (a bundle, an import folder).
    #[error("cannot {action} {path}: {source}")]
    Input {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("database {path}: {source}")]
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("database {path}: migration failed: {reason}")]
    Migration { path: PathBuf, reason: String },
    #[error(
        "database {path} has schema version {found}, newer than this hub knows ({known}); run the newer waystation-hub"
    )]
    TooNew {
        path: PathBuf,
        found: usize,
        known: usize,
    },
    #[error("no device {0:?} is registered at this hub (see `waystation-hub devices list`)")]
    UnknownDevice(String),
    #[error(
        "device {0} was revoked at this hub; a revoked key is never accepted again: give the kiosk a new device key"
    )]
    DeviceRevoked(String),
    #[error("no centre key at {0}: run `waystation-hub keygen` with the same --data first")]
    NoKey(PathBuf),
    #[error("the centre key in {0} is not valid base64 of an X25519 secret key")]
    BadCentreKey(PathBuf),
    #[error("not an account name: {0:?} (1 to 40 letters, digits, '.', '_' or '-', no spaces)")]
    BadUserName(String),
    #[error("the password was not accepted: {0} (it is read from standard input)")]
    BadPassword(&'static str),
    #[error("cannot hash the password: {0}")]
    Hash(String),
    #[error(
        "this hub already has kiosks: demo-data only fills a fresh hub (make one with `waystation-hub keygen --data NEW_DIR`)"
    )]
    NotFresh,
    #[error("an account named {0:?} already exists (see `waystation-hub users list`)")]
    UserExists(String),
    #[error("no account is named {0:?} (see `waystation-hub users list`)")]
    NoSuchUser(String),
    #[error(
        "{0:?} is the last admin: add another admin first, so that someone can still manage accounts"
    )]
    LastAdmin(String),
    #[error(
        "an admin cannot remove their own account in the dashboard; another admin can, or `users remove`"
    )]
    OwnAccount,
    #[error("not a device public key (base64 of 32 bytes expected): {0:?}")]
    BadDeviceKey(String),
    #[error("bundle {path} is not JSON: {reason}")]
    BadBundle { path: PathBuf, reason: String },
    #[error(
        "not an image version: {0:?} (1 to 40 of 0-9 A-Z a-z . + ~ -, not starting with a dot)"
    )]
    BadVersion(String),
    #[error(
        "the hub already has an image of version {0}: a version names one bundle for good; give the new bundle a new version"
    )]
    ImageExists(String),
    #[error("the hub has no image of version {0} (see `waystation-hub update list`)")]
    NoSuchImage(String),
    #[error("remote help is switched on for 1 to {max} minutes, not {0}", max = waystation_protocol::remote_help::MAX_MINUTES)]
    BadMinutes(u32),
    #[error(
        "kiosk {0} cannot take remote help: its newest heartbeat says no jump host is configured (or it sent none yet); set [remote_help] in its provision file (docs/remote-help.md)"
    )]
    NoJumpHost(String),
    #[error("storage: {0}")]
    Storage(String),
    /// Anything PostgreSQL refused or could not do, with its own words (never the address,
    /// which may hold a password).
    #[error("PostgreSQL: {0}")]
    Postgres(String),
    #[error("not a webhook address: {0}")]
    BadWebhook(String),
    #[error("no webhook is set: run `waystation-hub alerts set-webhook` first")]
    NoWebhook,
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot start the server: {0}")]
    Server(std::io::Error),
}

impl From<waystation_durable::WriteError> for HubError {
    fn from(e: waystation_durable::WriteError) -> HubError {
        HubError::Io {
            action: e.action,
            path: e.path,
            source: e.source,
        }
    }
}

impl HubError {
    /// Whether the error is the caller's input (a key, a file, a folder) rather than the hub's
    /// own state or the machine; the command line exits 2 for these and 1 for the rest.
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            HubError::NoDataDir(_)
                | HubError::Input { .. }
                | HubError::BadDeviceKey(_)
                | HubError::UnknownDevice(_)
                | HubError::DeviceRevoked(_)
                | HubError::BadBundle { .. }
                | HubError::BadVersion(_)
                | HubError::ImageExists(_)
                | HubError::NoSuchImage(_)
                | HubError::BadMinutes(_)
                | HubError::NoJumpHost(_)
                | HubError::BadWebhook(_)
                | HubError::BadUserName(_)
                | HubError::BadPassword(_)
                | HubError::UserExists(_)
                | HubError::NoSuchUser(_)
                | HubError::LastAdmin(_)
                | HubError::OwnAccount
                | HubError::NotFresh
        )
    }
}
