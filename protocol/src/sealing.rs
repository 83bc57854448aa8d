//! Sealing a record's payload to the service centre's public key.
//!
//! HPKE (RFC 9180) in base mode with DHKEM(X25519, HKDF-SHA256), HKDF-SHA256 and
//! ChaCha20-Poly1305. Every seal uses a fresh ephemeral key, so the kiosk that sealed a record
//! cannot open it again: only the holder of the centre's secret key can. The record id, device
//! id, kind and schema version are the associated data, so a sealed payload cannot be moved to
//! another record or device without the hub noticing.
//!
//! A sealed payload names the centre key it was sealed to (its [`KeyId`]), so that the centre
//! can roll out a new key while records sealed to an old one still open. Two layouts exist:
//!
//! - v2 (written since key ids): `"WSv2"`, the 8-byte key id, the 32-byte encapsulated key,
//!   then the ciphertext and its tag.
//! - v1 (written before): the 32-byte encapsulated key, then the ciphertext and its tag.
//!
//! The HPKE part is the same in both (same `info`, same associated data), so kiosks' queues
//! and USB sticks full of v1 records stay readable. The key id is a label, not a secret and
//! not authenticated: a wrong one only means the record does not open.

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
/// The first bytes of a v2 sealed payload. A v1 payload starts with an encapsulated key,
/// which begins with these four bytes once in 2^32; [`CentreSecretKey::open`] then still opens
/// it as v1, so the two layouts can never be confused for good.
pub const SEALED_V2_MAGIC: [u8; 4] = *b"WSv2";
/// Length of a key id.
pub const KEY_ID_LEN: usize = 8;

/// Which centre key a payload was sealed to: the first 8 bytes of the SHA-256 of the public
/// key. Derived, never chosen, so the kiosk and the hub cannot disagree about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(pub [u8; KEY_ID_LEN]);

impl KeyId {
    fn of(public: &<Kem as hpke::Kem>::PublicKey) -> KeyId {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(public.to_bytes());
        let mut id = [0; KEY_ID_LEN];
        id.copy_from_slice(&digest[..KEY_ID_LEN]);
        KeyId(id)
    }

    /// The id from its 16 hex digits.
    pub fn parse(hex: &str) -> Option<KeyId> {
        let hex = hex.trim().as_bytes();
        if hex.len() != 2 * KEY_ID_LEN {
            return None;
        }
        let mut id = [0; KEY_ID_LEN];
        for (byte, pair) in id.iter_mut().zip(hex.chunks(2)) {
            *byte = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
        }
        Some(KeyId(id))
    }
}

impl std::fmt::Display for KeyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

/// The key id a sealed payload names, if it is laid out as v2. `None` for a v1 payload, which
/// names no key.
pub fn sealed_key_id(sealed: &[u8]) -> Option<KeyId> {
    let rest = sealed.strip_prefix(&SEALED_V2_MAGIC)?;
    if rest.len() < KEY_ID_LEN + ENCAPPED_LEN + TAG_LEN {
        return None;
    }
    let mut id = [0; KEY_ID_LEN];
    id.copy_from_slice(&rest[..KEY_ID_LEN]);
    Some(KeyId(id))
}

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

    /// The id every payload sealed to this key carries.
    pub fn key_id(&self) -> KeyId {
        KeyId::of(&self.0)
    }

    /// Seals `plaintext`, laid out as v2: the magic, this key's id, the encapsulated key, then
    /// the ciphertext and tag.
    pub fn seal(&self, binding: &SealBinding<'_>, plaintext: &[u8]) -> Result<Vec<u8>, SealError> {
        let inner = self.seal_v1(binding, plaintext)?;
        let mut sealed = Vec::with_capacity(SEALED_V2_MAGIC.len() + KEY_ID_LEN + inner.len());
        sealed.extend_from_slice(&SEALED_V2_MAGIC);
        sealed.extend_from_slice(&self.key_id().0);
        sealed.extend_from_slice(&inner);
        Ok(sealed)
    }

    /// Seals `plaintext` laid out as v1, with no key id: what kiosks wrote before key ids.
    /// Only tests and tools that check compatibility need it.
    pub fn seal_v1(
        &self,
        binding: &SealBinding<'_>,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, SealError> {
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

    /// The id of this key's public half.
    pub fn key_id(&self) -> KeyId {
        self.public_key().key_id()
    }

    /// Opens a payload sealed to this key, laid out as v2 or v1. A v2 payload naming another
    /// key does not open.
    pub fn open(&self, binding: &SealBinding<'_>, sealed: &[u8]) -> Result<Vec<u8>, SealError> {
        match sealed_key_id(sealed) {
            Some(id) if id == self.key_id() => {
                let inner = &sealed[SEALED_V2_MAGIC.len() + KEY_ID_LEN..];
                // The fallback is for the one v1 payload in 2^32 that starts like a v2 one.
                self.open_v1(binding, inner)
                    .or_else(|_| self.open_v1(binding, sealed))
            }
            _ => self.open_v1(binding, sealed),
        }
    }

    fn open_v1(&self, binding: &SealBinding<'_>, sealed: &[u8]) -> Result<Vec<u8>, SealError> {
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

    #[test]
    fn a_sealed_payload_names_its_key() {
        let (secret, public) = CentreSecretKey::generate();
        let sealed = public.seal(&binding(), b"payload").unwrap();
        assert_eq!(&sealed[..4], b"WSv2");
        assert_eq!(sealed_key_id(&sealed), Some(public.key_id()));
        assert_eq!(secret.key_id(), public.key_id());
        assert_eq!(secret.key_id().to_string().len(), 16);
        assert_eq!(
            KeyId::parse(&public.key_id().to_string()),
            Some(public.key_id())
        );
        assert_eq!(KeyId::parse("not hex at all!!"), None);
        // Twelve bytes more than the v1 layout: the magic and the id.
        assert_eq!(
            sealed.len(),
            public.seal_v1(&binding(), b"payload").unwrap().len() + 12
        );
        let (other, other_public) = CentreSecretKey::generate();
        assert_ne!(other_public.key_id(), public.key_id());
        assert_eq!(other.open(&binding(), &sealed), Err(SealError::Open));
        // The id picks the key; it is not what makes the record open.
        let mut relabelled = sealed.clone();
        relabelled[4..12].copy_from_slice(&other_public.key_id().0);
        assert_eq!(other.open(&binding(), &relabelled), Err(SealError::Open));
    }

    /// Made by this file's `seal` at commit 8c505e0, before sealed payloads carried a key id.
    #[test]
    fn a_payload_sealed_before_key_ids_still_opens() {
        let secret =
            CentreSecretKey::from_base64("M8oz9AykVsa+sZzDmVyCkWlAWyAyprfY4+/rJjgH29w=").unwrap();
        let sealed = B64
            .decode("PrbIg2zLoSnGKVpbOiRw9Jmtw1dr/8FCBPYHCakDEUfQuSaZi1sdQCSYg3cW+RA9WtZ+HI5dYOww6bO5X1t+wn/2YuAMtTb9")
            .unwrap();
        let binding = SealBinding {
            record_id: "0190a7c4-0000-7000-8000-0000000000aa",
            ..binding()
        };
        assert_eq!(sealed_key_id(&sealed), None);
        assert_eq!(
            secret.open(&binding, &sealed).unwrap(),
            b"{\"sealed\":\"the old way\"}"
        );
    }
}
