//! Device identity and request signatures.
//!
//! Each kiosk makes an Ed25519 key on its first start. The field team registers its public key
//! at the hub; from then on every request carries the device id and a signature over the
//! method, the path and a hash of the body, and the hub refuses devices it does not know and
//! signatures that do not verify. A replayed request does no harm: ingest is idempotent by
//! record id, and a bundle download changes nothing.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};

/// The header naming the device that sent a request.
pub const DEVICE_HEADER: &str = "x-waystation-device";
/// The header holding the base64 Ed25519 signature of the request.
pub const SIGNATURE_HEADER: &str = "x-waystation-signature";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SignatureError {
    #[error("the device key is not valid base64 of 32 bytes")]
    BadKey,
    #[error("the signature is not valid base64 of 64 bytes")]
    Malformed,
    #[error("the signature does not match the request and the device's registered key")]
    Mismatch,
}

/// A kiosk's own signing key.
pub struct DeviceKey(SigningKey);

impl DeviceKey {
    /// The key from its 32 secret bytes (drawn from the OS by the kiosk on first start).
    pub fn from_secret(bytes: [u8; 32]) -> DeviceKey {
        DeviceKey(SigningKey::from_bytes(&bytes))
    }

    pub fn secret_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    pub fn public_base64(&self) -> String {
        B64.encode(self.0.verifying_key().to_bytes())
    }

    pub fn device_id(&self) -> String {
        device_id_of(&self.0.verifying_key())
    }

    pub fn sign(&self, message: &[u8]) -> String {
        B64.encode(self.0.sign(message).to_bytes())
    }
}

/// The device id for a public key given as base64: `ws-` and the first 8 bytes of its SHA-256
/// in hex. Short enough to read aloud on the phone, long enough never to collide in a fleet.
pub fn device_id(public_base64: &str) -> Result<String, SignatureError> {
    Ok(device_id_of(&parse_public(public_base64)?))
}

fn device_id_of(key: &VerifyingKey) -> String {
    let digest = Sha256::digest(key.to_bytes());
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("ws-{hex}")
}

fn parse_public(public_base64: &str) -> Result<VerifyingKey, SignatureError> {
    let bytes: [u8; 32] = B64
        .decode(public_base64.trim())
        .map_err(|_| SignatureError::BadKey)?
        .try_into()
        .map_err(|_| SignatureError::BadKey)?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| SignatureError::BadKey)
}

/// What is signed: a fixed label, the method, the path and the SHA-256 of the body.
fn message(method: &str, path: &str, body: &[u8]) -> Vec<u8> {
    let digest = Sha256::digest(body);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("waystation-request-v1\n{method}\n{path}\n{hex}").into_bytes()
}

pub fn sign_request(key: &DeviceKey, method: &str, path: &str, body: &[u8]) -> String {
    key.sign(&message(method, path, body))
}

pub fn verify_request(
    public_base64: &str,
    method: &str,
    path: &str,
    body: &[u8],
    signature_base64: &str,
) -> Result<(), SignatureError> {
    let key = parse_public(public_base64)?;
    let bytes: [u8; 64] = B64
        .decode(signature_base64.trim())
        .map_err(|_| SignatureError::Malformed)?
        .try_into()
        .map_err(|_| SignatureError::Malformed)?;
    key.verify(&message(method, path, body), &Signature::from_bytes(&bytes))
        .map_err(|_| SignatureError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_request_verifies_and_a_changed_one_does_not() {
        let key = DeviceKey::from_secret([7; 32]);
        let public = key.public_base64();
        let signature = sign_request(&key, "POST", "/v1/batches", b"{}");
        assert_eq!(
            verify_request(&public, "POST", "/v1/batches", b"{}", &signature),
            Ok(())
        );
        for (method, path, body) in [
            ("GET", "/v1/batches", &b"{}"[..]),
            ("POST", "/v1/bundle", b"{}"),
            ("POST", "/v1/batches", b"{ }"),
        ] {
            assert_eq!(
                verify_request(&public, method, path, body, &signature),
                Err(SignatureError::Mismatch)
            );
        }
        let other = DeviceKey::from_secret([8; 32]).public_base64();
        assert_eq!(
            verify_request(&other, "POST", "/v1/batches", b"{}", &signature),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_request(&public, "POST", "/v1/batches", b"{}", "xx"),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify_request("xx", "POST", "/v1/batches", b"{}", &signature),
            Err(SignatureError::BadKey)
        );
    }

    #[test]
    fn the_device_id_follows_from_the_public_key() {
        let key = DeviceKey::from_secret([7; 32]);
        let id = key.device_id();
        assert!(id.starts_with("ws-") && id.len() == 19, "{id}");
        assert_eq!(device_id(&key.public_base64()).unwrap(), id);
        assert_ne!(DeviceKey::from_secret([8; 32]).device_id(), id);
        assert_eq!(DeviceKey::from_secret(key.secret_bytes()).device_id(), id);
    }
}
