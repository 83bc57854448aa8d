//! The station PIN: 6 to 8 digits when it is set, kept only as an Argon2id hash in PHC form
//! (the salt and parameters travel inside it, so a hash made at provisioning verifies on the
//! kiosk). PINs set before the minimum rose from 4 to 6 digits still verify until changed.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PinError {
    #[error("a station PIN is 6 to 8 digits")]
    Shape,
    #[error("not an Argon2id PHC hash (it starts with $argon2id$)")]
    NotArgon2id,
    #[error("cannot hash the PIN: {0}")]
    Hash(String),
}

/// The fewest digits a new PIN may have: a million PINs, against the throttle's waits.
pub const MIN_DIGITS: usize = 6;
/// The most digits the pad takes.
pub const MAX_DIGITS: usize = 8;

/// Checks the shape of a new PIN (to set or to hash for a provision file).
pub fn check_shape(pin: &str) -> Result<(), PinError> {
    let ok =
        (MIN_DIGITS..=MAX_DIGITS).contains(&pin.len()) && pin.bytes().all(|b| b.is_ascii_digit());
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

/// Checks that a hash given for storing (by `set-pin --hash` or a provision file) is an
/// Argon2id PHC string that `verify` can use: the algorithm, parameters Argon2 accepts, a salt
/// and the hash itself. A plain PIN, another algorithm or a cut-off paste would otherwise be
/// stored and lock staff out, since nothing would ever match it.
pub fn check_hash(phc: &str) -> Result<(), PinError> {
    let parsed = PasswordHash::new(phc).map_err(|_| PinError::NotArgon2id)?;
    let usable = parsed.algorithm.as_str() == "argon2id"
        && parsed.salt.is_some()
        && parsed.hash.is_some()
        && argon2::Params::try_from(&parsed).is_ok();
    usable.then_some(()).ok_or(PinError::NotArgon2id)
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
        let phc = hash("246813", [7; 16]).unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(!phc.contains("246813"));
        check_hash(&phc).unwrap();
        assert!(verify("246813", &phc));
        assert!(!verify("246814", &phc));
        assert!(!verify("246813", "$argon2id$garbage"));
        assert_ne!(phc, hash("246813", [8; 16]).unwrap(), "the salt matters");
    }

    #[test]
    fn only_six_to_eight_digits_make_a_new_pin() {
        for bad in ["1234", "12345", "123456789", "12a456", "", "123 456"] {
            assert_eq!(check_shape(bad), Err(PinError::Shape), "{bad}");
        }
        check_shape("000000").unwrap();
        check_shape("12345678").unwrap();
        assert_eq!(check_hash("$2b$12$bcrypt"), Err(PinError::NotArgon2id));
    }

    #[test]
    fn a_four_digit_pin_set_before_the_minimum_rose_still_verifies() {
        // Hashed the way `hash` did when 4 digits were allowed.
        let salt = SaltString::encode_b64(&[5; 16]).unwrap();
        let old = argon2::Argon2::default()
            .hash_password(b"2468", &salt)
            .unwrap()
            .to_string();
        check_hash(&old).unwrap();
        assert!(verify("2468", &old) && !verify("2469", &old));
    }

    #[test]
    fn a_hash_is_accepted_only_when_a_pin_could_verify_against_it() {
        let good = hash("246813", [3; 16]).unwrap();
        check_hash(&good).unwrap();
        // Cut off before the hash, no salt, parameters Argon2 refuses (1 KiB of memory, an
        // unknown name), another Argon2 variant, and a plain PIN.
        let (without_hash, _) = good.rsplit_once('$').unwrap();
        for bad in [
            without_hash,
            "$argon2id$v=19$m=19456,t=2,p=1",
            &good.replace("m=19456,t=2,p=1", "m=1,t=2,p=1"),
            &good.replace("m=19456", "x=19456"),
            &good.replace("argon2id", "argon2i"),
            "246813",
        ] {
            assert_eq!(check_hash(bad), Err(PinError::NotArgon2id), "{bad}");
        }
    }
}
