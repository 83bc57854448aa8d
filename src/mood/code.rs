//! The personal code: a worker's own trend without an account.
//!
//! A code is 40 random bits written as 8 characters of Crockford's base 32 (no I, L, O or U, so
//! nothing can be misread), shown as `ABCD-EFGH`. The kiosk never stores the code or its salted
//! Argon2id hash: from the hash it derives a lookup tag (stored) and a key that seals the
//! code's rows (never stored; `mood::personal`). It never uploads any of them, and throttles
//! wrong entries. Randomness, the salt and the time come from the caller.

use std::time::Duration;

/// Crockford's base-32 alphabet.
pub const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Characters in a code: 8 × 5 bits = 40 bits of randomness.
pub const LENGTH: usize = 8;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonalCode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("a code has {LENGTH} characters, this has {0}")]
    Length(usize),
    #[error("'{0}' is not a code character")]
    Character(char),
}

impl PersonalCode {
    /// A code from 5 random bytes (40 bits).
    pub fn from_random(bytes: [u8; 5]) -> PersonalCode {
        let mut bits: u64 = 0;
        for b in bytes {
            bits = (bits << 8) | u64::from(b);
        }
        let text = (0..LENGTH)
            .rev()
            .map(|i| ALPHABET[((bits >> (5 * i)) & 31) as usize] as char)
            .collect();
        PersonalCode(text)
    }

    /// Reads what a worker typed: case does not matter, dashes and spaces are ignored, and the
    /// look-alikes O, I and L read as 0, 1 and 1.
    pub fn parse(input: &str) -> Result<PersonalCode, CodeError> {
        let mut text = String::new();
        for c in input.chars() {
            let c = match c.to_ascii_uppercase() {
                '-' | ' ' => continue,
                'O' => '0',
                'I' | 'L' => '1',
                c if c.is_ascii() && ALPHABET.contains(&(c as u8)) => c,
                other => return Err(CodeError::Character(other)),
            };
            text.push(c);
        }
        if text.chars().count() != LENGTH {
            return Err(CodeError::Length(text.chars().count()));
        }
        Ok(PersonalCode(text))
    }

    /// Shown as two groups of four, easy to copy down.
    pub fn display(&self) -> String {
        format!("{}-{}", &self.0[..4], &self.0[4..])
    }

    /// The code's lookup tag and sealing key: one Argon2id run, then HKDF.
    pub fn keys(&self, salt: &[u8]) -> super::personal::CodeKeys {
        super::personal::CodeKeys::derive(&self.hash(salt))
    }

    /// The code stretched by Argon2id with the kiosk-wide secret salt (the input of
    /// `CodeKeys::derive`; never stored). One run per guess: docs/mood.md gives the cost of
    /// guessing for someone who has the card, salt included.
    pub fn hash(&self, salt: &[u8]) -> [u8; 32] {
        let mut out = [0u8; 32];
        // 19 MiB, 2 passes: the OWASP baseline for Argon2id. The parameters are constants and
        // the salt is at least 16 bytes (the store makes it), so hashing cannot fail.
        let params = argon2::Params::new(19 * 1024, 2, 1, Some(32))
            .expect("constant Argon2 parameters are valid");
        let argon =
            argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
        argon
            .hash_password_into(self.0.as_bytes(), salt, &mut out)
            .expect("salt of 16 bytes or more");
        out
    }
}

/// Throttles wrong codes kiosk-wide: three tries are free, then each further wrong code locks
/// entry for 30 s, doubling up to 15 minutes. A right code clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CodeThrottle {
    failures: u32,
    locked_until: Option<Duration>,
}

const FREE_TRIES: u32 = 3;
const FIRST_WAIT: Duration = Duration::from_secs(30);
const LONGEST_WAIT: Duration = Duration::from_secs(15 * 60);

impl CodeThrottle {
    /// Whole seconds to wait before the next try, or `None` when a try is allowed now.
    pub fn wait(&self, now: Duration) -> Option<u64> {
        let until = self.locked_until?;
        (until > now).then(|| (until - now).as_millis().div_ceil(1000) as u64)
    }

    pub fn failed(&mut self, now: Duration) {
        self.failures += 1;
        if self.failures >= FREE_TRIES {
            let doublings = (self.failures - FREE_TRIES).min(16);
            let wait = FIRST_WAIT.saturating_mul(1 << doublings).min(LONGEST_WAIT);
            self.locked_until = Some(now + wait);
        }
    }

    pub fn succeeded(&mut self) {
        *self = CodeThrottle::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_carry_40_bits_in_8_unambiguous_characters() {
        let a = PersonalCode::from_random([0, 0, 0, 0, 0]);
        let b = PersonalCode::from_random([255; 5]);
        assert_eq!(a.display(), "0000-0000");
        assert_eq!(b.display(), "ZZZZ-ZZZZ");
        let c = PersonalCode::from_random([0x12, 0x34, 0x56, 0x78, 0x9a]);
        assert_eq!(c.0.len(), LENGTH);
        assert!(c.0.bytes().all(|ch| ALPHABET.contains(&ch)));
        assert!(!c.0.contains(['I', 'L', 'O', 'U']));
        // Every bit matters: flipping any one gives another code.
        for byte in 0..5 {
            for bit in 0..8 {
                let mut bytes = [0x12, 0x34, 0x56, 0x78, 0x9a];
                bytes[byte] ^= 1 << bit;
                assert_ne!(PersonalCode::from_random(bytes), c);
            }
        }
        assert_eq!(32f64.powi(LENGTH as i32).log2(), 40.0);
    }

    #[test]
    fn typing_is_forgiving_but_strict_about_length_and_characters() {
        let code = PersonalCode::from_random([0x12, 0x34, 0x56, 0x78, 0x9a]);
        let typed = code.display().to_lowercase();
        assert_eq!(PersonalCode::parse(&typed), Ok(code.clone()));
        assert_eq!(
            PersonalCode::parse("o1l1-abcd").unwrap().display(),
            "0111-ABCD"
        );
        assert_eq!(PersonalCode::parse("ABC"), Err(CodeError::Length(3)));
        assert_eq!(
            PersonalCode::parse("ABCD-EFGU"),
            Err(CodeError::Character('U'))
        );
        assert_eq!(
            PersonalCode::parse("ABCD-EFG你"),
            Err(CodeError::Character('你'))
        );
    }

    #[test]
    fn the_hash_depends_on_code_and_salt_and_never_contains_the_code() {
        let salt = [7u8; 16];
        let a = PersonalCode::parse("ABCD-EFGH").unwrap();
        let b = PersonalCode::parse("ABCD-EFGJ").unwrap();
        assert_eq!(a.hash(&salt), a.hash(&salt));
        assert_ne!(a.hash(&salt), b.hash(&salt));
        assert_ne!(a.hash(&salt), a.hash(&[8u8; 16]));
        assert!(!a.hash(&salt).windows(4).any(|w| w == b"ABCD"));
    }

    #[test]
    fn three_free_tries_then_doubling_waits_up_to_15_minutes() {
        let s = Duration::from_secs;
        let mut t = CodeThrottle::default();
        t.failed(s(0));
        t.failed(s(1));
        assert_eq!(t.wait(s(1)), None);
        t.failed(s(2));
        assert_eq!(t.wait(s(2)), Some(30));
        assert_eq!(t.wait(s(32)), None);
        t.failed(s(40));
        assert_eq!(t.wait(s(40)), Some(60));
        t.failed(s(200));
        assert_eq!(t.wait(s(200)), Some(120));
        for _ in 0..20 {
            t.failed(s(1000));
        }
        assert_eq!(t.wait(s(1000)), Some(900));
        t.succeeded();
        assert_eq!(t.wait(s(1000)), None);
    }
}
