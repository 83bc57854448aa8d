//! Signed directory bundles from the service centre.
//!
//! A signed bundle is a small JSON envelope: the bundle's exact JSON text as a string, and an
//! Ed25519 signature over that text prefixed with a format tag (so a signature made for
//! something else can never pass as a bundle's). Signing the exact bytes, rather than a
//! re-serialised form, means no canonicalisation can differ between the signer and the kiosk.
//!
//! A kiosk installs a bundle only if the signature is good, the version is higher than any
//! it has ever installed (an old signed bundle cannot be replayed), it has not expired, and
//! every entry checks out.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::NaiveDate;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};

use super::Bundle;

const FORMAT: &str = "waystation-bundle-1";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope {
    format: String,
    bundle: String,
    signature: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    #[error("malformed: {0}")]
    Malformed(String),
    #[error("bad signature: not signed by the service centre's key")]
    BadSignature,
    #[error("rollback refused: version {offered} is not newer than installed version {installed}")]
    Rollback { installed: u64, offered: u64 },
    #[error("expired on {expires}")]
    Expired { expires: NaiveDate },
    #[error("invalid: {0}")]
    Invalid(String),
    #[error("bad key: {0}")]
    Key(String),
}

fn message(bundle_text: &str) -> Vec<u8> {
    let mut m = Vec::with_capacity(FORMAT.len() + 1 + bundle_text.len());
    m.extend_from_slice(FORMAT.as_bytes());
    m.push(b'\n');
    m.extend_from_slice(bundle_text.as_bytes());
    m
}

/// A new key pair from 32 random bytes: (secret key, public key), both base64.
pub fn keygen(random: [u8; 32]) -> (String, String) {
    let key = SigningKey::from_bytes(&random);
    (
        B64.encode(key.to_bytes()),
        B64.encode(key.verifying_key().to_bytes()),
    )
}

fn decode_32(text: &str, what: &str) -> Result<[u8; 32], BundleError> {
    let bytes = B64
        .decode(text.trim())
        .map_err(|e| BundleError::Key(format!("{what}: {e}")))?;
    bytes
        .try_into()
        .map_err(|_| BundleError::Key(format!("{what}: not 32 bytes")))
}

pub fn public_key(text: &str) -> Result<VerifyingKey, BundleError> {
    VerifyingKey::from_bytes(&decode_32(text, "public key")?)
        .map_err(|e| BundleError::Key(e.to_string()))
}

pub fn secret_key(text: &str) -> Result<SigningKey, BundleError> {
    Ok(SigningKey::from_bytes(&decode_32(text, "secret key")?))
}

/// Signs a bundle's JSON text after checking it, and returns the signed envelope's text.
pub fn sign(bundle_text: &str, key: &SigningKey) -> Result<String, BundleError> {
    Bundle::parse(bundle_text).map_err(BundleError::Invalid)?;
    let signature = key.sign(&message(bundle_text));
    let envelope = Envelope {
        format: FORMAT.into(),
        bundle: bundle_text.into(),
        signature: B64.encode(signature.to_bytes()),
    };
    serde_json::to_string_pretty(&envelope).map_err(|e| BundleError::Malformed(e.to_string()))
}

/// Checks a signed bundle for installing: signature, then version against the highest ever
/// installed, then expiry against today (Shanghai), then every entry.
pub fn verify(
    signed: &str,
    key: &VerifyingKey,
    highest_installed: u64,
    today: NaiveDate,
) -> Result<Bundle, BundleError> {
    let bundle = verify_signature(signed, key)?;
    if bundle.version <= highest_installed {
        return Err(BundleError::Rollback {
            installed: highest_installed,
            offered: bundle.version,
        });
    }
    if bundle.expires < today {
        return Err(BundleError::Expired {
            expires: bundle.expires,
        });
    }
    Ok(bundle)
}

/// Checks only the signature and the content (for `resources verify`, and for re-reading the
/// installed bundle at start-up).
pub fn verify_signature(signed: &str, key: &VerifyingKey) -> Result<Bundle, BundleError> {
    let envelope: Envelope = serde_json::from_str(signed).map_err(|e| {
        BundleError::Malformed(format!("line {}, column {}: {e}", e.line(), e.column()))
    })?;
    if envelope.format != FORMAT {
        return Err(BundleError::Malformed(format!(
            "format is {:?}, not {FORMAT:?}",
            envelope.format
        )));
    }
    let bytes = B64
        .decode(&envelope.signature)
        .map_err(|e| BundleError::Malformed(format!("signature: {e}")))?;
    let signature = Signature::from_slice(&bytes).map_err(|_| BundleError::BadSignature)?;
    key.verify(&message(&envelope.bundle), &signature)
        .map_err(|_| BundleError::BadSignature)?;
    Bundle::parse(&envelope.bundle).map_err(BundleError::Invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> (SigningKey, VerifyingKey) {
        let (secret, public) = keygen([7; 32]);
        (secret_key(&secret).unwrap(), public_key(&public).unwrap())
    }

    fn bundle_text(version: u64, expires: &str) -> String {
        let mut b = Bundle::shipped();
        b.version = version;
        b.expires = expires.parse().unwrap();
        b.issued = b.expires - chrono::Days::new(180);
        serde_json::to_string(&b).unwrap()
    }

    fn today() -> NaiveDate {
        "2026-12-01".parse().unwrap()
    }

    #[test]
    fn a_good_signature_installs() {
        let (secret, public) = keys();
        let signed = sign(&bundle_text(2, "2027-06-01"), &secret).unwrap();
        assert_eq!(verify(&signed, &public, 1, today()).unwrap().version, 2);
    }

    #[test]
    fn another_key_or_a_changed_byte_is_a_bad_signature() {
        let (secret, _) = keys();
        let (_, other) = {
            let (s, p) = keygen([8; 32]);
            (secret_key(&s).unwrap(), public_key(&p).unwrap())
        };
        let signed = sign(&bundle_text(2, "2027-06-01"), &secret).unwrap();
        assert_eq!(
            verify(&signed, &other, 1, today()),
            Err(BundleError::BadSignature)
        );
        let tampered = signed.replacen("12356", "12357", 1);
        assert_eq!(
            verify(&tampered, &keys().1, 1, today()),
            Err(BundleError::BadSignature)
        );
    }

    #[test]
    fn a_truncated_bundle_is_malformed_never_a_panic() {
        let (secret, public) = keys();
        let signed = sign(&bundle_text(2, "2027-06-01"), &secret).unwrap();
        for cut in [1, signed.len() / 3, signed.len() / 2, signed.len() - 2] {
            // Cut at a character boundary: the bundle's Chinese text is several bytes a char.
            let cut = signed.floor_char_boundary(cut);
            assert!(
                matches!(
                    verify(&signed[..cut], &public, 1, today()),
                    Err(BundleError::Malformed(_))
                ),
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn an_old_or_equal_version_is_a_rollback() {
        let (secret, public) = keys();
        let signed = sign(&bundle_text(3, "2027-06-01"), &secret).unwrap();
        assert_eq!(
            verify(&signed, &public, 3, today()),
            Err(BundleError::Rollback {
                installed: 3,
                offered: 3
            })
        );
        assert_eq!(
            verify(&signed, &public, 5, today()),
            Err(BundleError::Rollback {
                installed: 5,
                offered: 3
            })
        );
    }

    #[test]
    fn an_expired_bundle_is_refused() {
        let (secret, public) = keys();
        let signed = sign(&bundle_text(2, "2026-11-30"), &secret).unwrap();
        assert_eq!(
            verify(&signed, &public, 1, today()),
            Err(BundleError::Expired {
                expires: "2026-11-30".parse().unwrap()
            })
        );
    }

    #[test]
    fn unknown_fields_and_bad_entries_are_refused_even_when_signed() {
        let (secret, public) = keys();
        let mut json: serde_json::Value =
            serde_json::from_str(&bundle_text(2, "2027-06-01")).unwrap();
        json["entries"][0]["fax"] = "1".into();
        // The signer refuses it, and so does the kiosk if someone signs it by hand.
        assert!(matches!(
            sign(&json.to_string(), &secret),
            Err(BundleError::Invalid(_))
        ));
        let text = json.to_string();
        let by_hand = serde_json::json!({
            "format": FORMAT,
            "bundle": text,
            "signature": B64.encode(secret.sign(&message(&text)).to_bytes()),
        })
        .to_string();
        match verify(&by_hand, &public, 1, today()) {
            Err(BundleError::Invalid(reason)) => assert!(reason.contains("fax"), "{reason}"),
            other => panic!("{other:?}"),
        }
    }
}
