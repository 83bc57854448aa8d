//! Sealing a record's payload to the service centre's public key.
//!
//! HPKE (RFC 9180) in base mode with DHKEM(X25519, HKDF-SHA256), HKDF-SHA256 and
//! ChaCha20-Poly1305. Every seal uses a fresh ephemeral key, so the kiosk that sealed a record
//! cannot open it again: only the holder of the centre's secret key can. The record id, device
//! id, kind and schema version are the associated data, so a sealed payload cannot be moved to
//! another record or device without the hub noticing.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hpke::aead::ChaCha20Poly1305;
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable, Kem as _, OpModeR, OpModeS, Serializable};

type Kem = X25519HkdfSha256;

/// Length of the encapsulated key that starts every sealed payload.
const ENCAPPED_LEN: usize = 32;
/// Length of the ChaCha20-Poly1305 tag at its end.
const TAG_LEN: usize = 16;
/// HPKE's `info`: names this use so keys could never be confused with another protocol's.
const INFO: &[u8] = b"waystation sealed record v1";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealError {
    #[error("the key is not valid base64 of 32 bytes")]
    BadKey,
    #[error("sealed payload is shorter than the {0} bytes every sealed payload has")]
    TooShort(usize),
    #[error("sealing failed")]
    Seal,
    #[error(
        "cannot open the sealed payload: wrong centre key, or the record id, device, kind or version do not match"
    )]
    Open,
}

/// What a sealed payload is bound to. Changing any of it makes the payload impossible to open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SealBinding<'a> {
    pub record_id: &'a str,
    pub device_id: &'a str,
    pub kind: &'a str,
    pub schema_version: u32,
}

impl SealBinding<'_> {
    fn associated_data(&self) -> Vec<u8> {
        // NUL separators: none of the parts can contain a NUL, so the encoding is unambiguous.
        format!(
            "waystation-record-v1\0{}\0{}\0{}\0{}",
            self.record_id, self.device_id, self.kind, self.schema_version
        )
        .into_bytes()
    }
}

/// The centre's public key, which every kiosk holds (from its config).
#[derive(Clone)]
pub struct CentrePublicKey(<Kem as hpke::Kem>::PublicKey);

/// The centre's secret key, which only the hub holds.
pub struct CentreSecretKey(<Kem as hpke::Kem>::PrivateKey);

impl CentrePublicKey {
    pub fn from_base64(text: &str) -> Result<CentrePublicKey, SealError> {
        let bytes = B64.decode(text.trim()).map_err(|_| SealError::BadKey)?;
        <Kem as hpke::Kem>::PublicKey::from_bytes(&bytes)
            .map(CentrePublicKey)
            .map_err(|_| SealError::BadKey)
    }

    pub fn to_base64(&self) -> String {
        B64.encode(self.0.to_bytes())
    }

    /// Seals `plaintext`. The result is the encapsulated key followed by the ciphertext and tag.
    pub fn seal(&self, binding: &SealBinding<'_>, plaintext: &[u8]) -> Result<Vec<u8>, SealError> {
        let mut rng = rand_core::UnwrapErr(rand_core::OsRng);
        let (encapped, ciphertext) =
            hpke::single_shot_seal::<ChaCha20Poly1305, HkdfSha256, Kem, _>(
                &OpModeS::Base,
                &self.0,
                INFO,
                plaintext,
                &binding.associated_data(),
                &mut rng,
            )
            .map_err(|_| SealError::Seal)?;
        let mut sealed = encapped.to_bytes().to_vec();
        sealed.extend_from_slice(&ciphertext);
        Ok(sealed)
    }
}

impl CentreSecretKey {
    /// A new key pair from the operating system's randomness.
    pub fn generate() -> (CentreSecretKey, CentrePublicKey) {
        let mut rng = rand_core::UnwrapErr(rand_core::OsRng);
        let (secret, public) = Kem::gen_keypair(&mut rng);
        (CentreSecretKey(secret), CentrePublicKey(public))
    }

    pub fn from_base64(text: &str) -> Result<CentreSecretKey, SealError> {
        let bytes = B64.decode(text.trim()).map_err(|_| SealError::BadKey)?;
        <Kem as hpke::Kem>::PrivateKey::from_bytes(&bytes)
            .map(CentreSecretKey)
            .map_err(|_| SealError::BadKey)
    }

    pub fn to_base64(&self) -> String {
        B64.encode(self.0.to_bytes())
    }

    pub fn public_key(&self) -> CentrePublicKey {
        CentrePublicKey(Kem::sk_to_pk(&self.0))
    }

    pub fn open(&self, binding: &SealBinding<'_>, sealed: &[u8]) -> Result<Vec<u8>, SealError> {
        if sealed.len() < ENCAPPED_LEN + TAG_LEN {
            return Err(SealError::TooShort(ENCAPPED_LEN + TAG_LEN));
        }
        let (encapped, ciphertext) = sealed.split_at(ENCAPPED_LEN);
        let encapped =
            <Kem as hpke::Kem>::EncappedKey::from_bytes(encapped).map_err(|_| SealError::Open)?;
        hpke::single_shot_open::<ChaCha20Poly1305, HkdfSha256, Kem>(
            &OpModeR::Base,
            &self.0,
            &encapped,
            INFO,
            ciphertext,
            &binding.associated_data(),
        )
        .map_err(|_| SealError::Open)
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

    #[test]
    fn a_sealed_payload_opens_with_the_centre_key_only() {
        let (secret, public) = CentreSecretKey::generate();
        let sealed = public.seal(&binding(), b"{\"word\":\"tired\"}").unwrap();
        assert!(!sealed.windows(5).any(|w| w == b"tired"));
        assert_eq!(
            secret.open(&binding(), &sealed).unwrap(),
            b"{\"word\":\"tired\"}"
        );

        let (other, _) = CentreSecretKey::generate();
        assert_eq!(other.open(&binding(), &sealed), Err(SealError::Open));
    }

    #[test]
    fn every_bound_field_is_checked() {
        let (secret, public) = CentreSecretKey::generate();
        let sealed = public.seal(&binding(), b"payload").unwrap();
        let changed = [
            SealBinding {
                record_id: "0190a7c4-0000-7000-8000-000000000002",
                ..binding()
            },
            SealBinding {
                device_id: "ws-ffffffffffffffff",
                ..binding()
            },
            SealBinding {
                kind: "slip_printed",
                ..binding()
            },
            SealBinding {
                schema_version: 2,
                ..binding()
            },
        ];
        for other in changed {
            assert_eq!(
                secret.open(&other, &sealed),
                Err(SealError::Open),
                "{other:?}"
            );
        }
        let mut flipped = sealed.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert_eq!(secret.open(&binding(), &flipped), Err(SealError::Open));
        assert_eq!(
            secret.open(&binding(), &sealed[..40]),
            Err(SealError::TooShort(48))
        );
    }

    #[test]
    fn two_seals_of_the_same_payload_differ() {
        let (_, public) = CentreSecretKey::generate();
        assert_ne!(
            public.seal(&binding(), b"same").unwrap(),
            public.seal(&binding(), b"same").unwrap()
        );
    }

    #[test]
    fn keys_survive_base64() {
        let (secret, public) = CentreSecretKey::generate();
        let secret = CentreSecretKey::from_base64(&secret.to_base64()).unwrap();
        assert_eq!(secret.public_key().to_base64(), public.to_base64());
        assert_eq!(
            CentrePublicKey::from_base64(&public.to_base64())
                .unwrap()
                .to_base64(),
            public.to_base64()
        );
        assert!(CentrePublicKey::from_base64("not a key").is_err());
        assert!(CentrePublicKey::from_base64("AAAA").is_err());
    }
}
