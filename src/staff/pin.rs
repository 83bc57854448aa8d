//! The station PIN: 4 to 8 digits, kept only as an Argon2id hash in PHC form (the salt and
//! parameters travel inside it, so a hash made at provisioning verifies on the kiosk).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PinError {
    #[error("a station PIN is 4 to 8 digits")]
    Shape,
    #[error("not an Argon2id PHC hash (it starts with $argon2id$)")]
    NotArgon2id,
    #[error("cannot hash the PIN: {0}")]
    Hash(String),
}

/// Checks the shape of a PIN as typed.
pub fn check_shape(pin: &str) -> Result<(), PinError> {
    let ok = (4..=8).contains(&pin.len()) && pin.bytes().all(|b| b.is_ascii_digit());
    ok.then_some(()).ok_or(PinError::Shape)
}

/// Hashes a PIN with Argon2id (the crate's defaults: 19 MiB, 2 passes, as OWASP recommends)
/// and a 16-byte salt from the caller's randomness.
pub fn hash(pin: &str, salt: [u8; 16]) -> Result<String, PinError> {
    check_shape(pin)?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| PinError::Hash(e.to_string()))?;
    argon2::Argon2::default()
        .hash_password(pin.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PinError::Hash(e.to_string()))
}

/// Checks that a stored hash is an Argon2id PHC string (for `set-pin --hash` and provisioning).
pub fn check_hash(phc: &str) -> Result<(), PinError> {
    let parsed = PasswordHash::new(phc).map_err(|_| PinError::NotArgon2id)?;
    (parsed.algorithm.as_str() == "argon2id")
        .then_some(())
        .ok_or(PinError::NotArgon2id)
}

/// Whether `pin` matches the stored hash. A damaged hash matches nothing.
pub fn verify(pin: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|hash| {
        argon2::Argon2::default()
            .verify_password(pin.as_bytes(), &hash)
            .is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pin_verifies_against_its_hash_only() {
        let phc = hash("2468", [7; 16]).unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(!phc.contains("2468"));
        check_hash(&phc).unwrap();
        assert!(verify("2468", &phc));
        assert!(!verify("2469", &phc));
        assert!(!verify("2468", "$argon2id$garbage"));
        assert_ne!(phc, hash("2468", [8; 16]).unwrap(), "the salt matters");
    }

    #[test]
    fn only_four_to_eight_digits_are_pins() {
        for bad in ["123", "123456789", "12a4", "", "12 34"] {
            assert_eq!(check_shape(bad), Err(PinError::Shape), "{bad}");
        }
        check_shape("0000").unwrap();
        check_shape("12345678").unwrap();
        assert_eq!(check_hash("$2b$12$bcrypt"), Err(PinError::NotArgon2id));
    }
}
