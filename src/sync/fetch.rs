//! Fetching the newest signed resource bundle from the hub, with a conditional GET so an
//! unchanged bundle costs one small request, and installing it through the directory's own
//! verify-and-install path (signature, expiry, no rollback).

use std::path::Path;

use ed25519_dalek::VerifyingKey;
use waystation_protocol::wire::BUNDLE_PATH;

use super::link::{HubLink, HubRequest, Method};
use super::uploader::Uploader;
use crate::clock::Clock;
use crate::store::directory::InstallError;
use crate::store::{Store, StoreError};

#[derive(Debug, Clone, PartialEq)]
pub enum BundleFetch {
    /// The hub's bundle is the one fetched last time.
    NotModified,
    /// The hub has no bundle to offer.
    NoBundle,
    /// A newer bundle was verified and installed.
    Installed(crate::directory::Bundle),
    /// The hub's bundle is not newer than the one installed.
    AlreadyHave(u64),
    /// The bundle failed verification (signature, expiry) and was not installed.
    Refused(String),
    /// No answer from the hub, or an unexpected one.
    Failed(String),
}

pub fn fetch_bundle(
    store: &mut Store,
    link: &dyn HubLink,
    uploader: &Uploader,
    data_dir: &Path,
    directory_key: &VerifyingKey,
    clock: &dyn Clock,
) -> Result<BundleFetch, StoreError> {
    let etag = store.sync_state()?.bundle_etag;
    let request = HubRequest {
        method: Method::Get,
        path: BUNDLE_PATH.into(),
        body: Vec::new(),
        device_id: uploader.device_id().to_owned(),
        signature: waystation_protocol::sign_request(uploader.key(), "GET", BUNDLE_PATH, b""),
        if_none_match: etag,
        range: None,
    };
    let reply = match link.send(&request) {
        Ok(reply) => reply,
        Err(error) => return Ok(BundleFetch::Failed(error.to_string())),
    };
    match reply.status {
        304 => Ok(BundleFetch::NotModified),
        404 => Ok(BundleFetch::NoBundle),
        200 => {
            let Ok(text) = String::from_utf8(reply.body) else {
                return Ok(BundleFetch::Refused("the bundle is not UTF-8 text".into()));
            };
            let now = clock.read();
            let today = crate::station_time::day_of(now.wall);
            let outcome = match crate::store::directory::install(
                store,
                data_dir,
                &text,
                directory_key,
                today,
                now.wall.timestamp_millis(),
            ) {
                Ok(bundle) => BundleFetch::Installed(bundle),
                Err(InstallError::Refused(crate::directory::bundle::BundleError::Rollback {
                    installed,
                    ..
                })) => BundleFetch::AlreadyHave(installed),
                Err(InstallError::Refused(reason)) => {
                    return Ok(BundleFetch::Refused(reason.to_string()));
                }
                Err(other) => return Ok(BundleFetch::Failed(other.to_string())),
            };
            // Remember the version we have so the next check is a cheap 304.
            if let Some(etag) = reply.etag {
                store.set_bundle_etag(&etag)?;
            }
            Ok(outcome)
        }
        status => Ok(BundleFetch::Failed(format!(
            "the hub answered {status} for the bundle"
        ))),
    }
}
