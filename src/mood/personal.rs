//! A personal trend's rows, sealed to the code that made them.
//!
//! The code's Argon2id hash (`PersonalCode::hash`) is the only secret a row depends on, and it
//! is never stored. HKDF-SHA256 turns it into two independent values: a lookup tag, stored
//! beside each row so the kiosk can find a code's rows, and a ChaCha20-Poly1305 key, never
//! stored, that seals each row's content. Someone holding the card sees tags and ciphertexts;
//! to read a trend they must first find its code (docs/mood.md gives the cost). Randomness
//! (each row's nonce) comes from the caller.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use hkdf::Hkdf;
use sha2::Sha256;

use super::{CheckIn, Quadrant, TrendPoint};

/// Bytes of a row's random nonce, stored in front of its ciphertext.
pub const NONCE_LEN: usize = 12;
/// Bytes of the lookup tag.
pub const TAG_LEN: usize = 32;
/// Bytes Poly1305 adds to a ciphertext.
const MAC_LEN: usize = 16;
/// The clear content is padded with spaces to a multiple of this, so a ciphertext's length
/// does not tell a short word from a long one. Every row of today's vocabulary fits in one.
const PADDED: usize = 64;

// Distinct HKDF "info" strings make tag and key independent: knowing a tag (it is on the
// card) tells nothing about the key. "v1" leaves room for a change of scheme.
const TAG_INFO: &[u8] = b"waystation mood_personal lookup tag v1";
const KEY_INFO: &[u8] = b"waystation mood_personal row key v1";
// Associated data: the scheme and the row's tag, so a ciphertext moved under another code's
// tag (or into another table that used the same key) does not open.
const AAD_PREFIX: &[u8] = b"waystation mood_personal row v1|";

/// The lookup tag and the sealing key of one personal code. Held in the session while the
/// worker's visit lasts; only the tag is ever written to the database.
#[derive(Clone, PartialEq, Eq)]
pub struct CodeKeys {
    tag: [u8; TAG_LEN],
    key: [u8; 32],
}

// Never print the key (or the tag) into a log by accident.
impl std::fmt::Debug for CodeKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CodeKeys { .. }")
    }
}

/// What one sealed row holds: the check-in's day and its place on the grid and word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonalRow {
    pub day: String,
    pub quadrant: Quadrant,
    pub pleasantness: i8,
    pub energy: i8,
    pub word: String,
}

impl PersonalRow {
    pub fn new(day: &str, check_in: &CheckIn) -> PersonalRow {
        PersonalRow {
            day: day.to_string(),
            quadrant: check_in.quadrant,
            pleasantness: check_in.pleasantness,
            energy: check_in.energy,
            word: check_in.word.clone(),
        }
    }

    pub fn point(self) -> TrendPoint {
        TrendPoint {
            day: self.day,
            quadrant: self.quadrant,
            word: self.word,
        }
    }

    /// A compact JSON array, padded with spaces (which JSON ignores after the value).
    fn to_padded(&self) -> Vec<u8> {
        let value = (
            &self.day,
            self.quadrant.id(),
            self.pleasantness,
            self.energy,
            &self.word,
        );
        let mut bytes = serde_json::to_vec(&value).expect("strings and integers always serialise");
        let padded = bytes.len().div_ceil(PADDED).max(1) * PADDED;
        bytes.resize(padded, b' ');
        bytes
    }

    fn from_padded(bytes: &[u8]) -> Option<PersonalRow> {
        let (day, quadrant, pleasantness, energy, word): (String, String, i8, i8, String) =
            serde_json::from_slice(bytes).ok()?;
        Some(PersonalRow {
            day,
            quadrant: Quadrant::from_id(&quadrant)?,
            pleasantness,
            energy,
            word,
        })
    }
}

impl CodeKeys {
    /// Tag and key from a code's Argon2id hash (32 bytes of output keying material).
    pub fn derive(stretched: &[u8; 32]) -> CodeKeys {
        let hkdf = Hkdf::<Sha256>::new(None, stretched);
        let mut tag = [0u8; TAG_LEN];
        let mut key = [0u8; 32];
        // 32 bytes is far below HKDF-SHA256's limit of 255 × 32, so expanding cannot fail.
        hkdf.expand(TAG_INFO, &mut tag)
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        hkdf.expand(KEY_INFO, &mut key)
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        CodeKeys { tag, key }
    }

    /// The value stored beside each of this code's rows, to find them.
    pub fn tag(&self) -> &[u8; TAG_LEN] {
        &self.tag
    }

    fn aad(&self) -> Vec<u8> {
        [AAD_PREFIX, &self.tag[..]].concat()
    }

    /// The row as stored: `nonce ‖ ciphertext`. The nonce must be fresh random bytes.
    pub fn seal(&self, row: &PersonalRow, nonce: [u8; NONCE_LEN]) -> Vec<u8> {
        let cipher = ChaCha20Poly1305::new(Key::from_slice(&self.key));
        let aad = self.aad();
        let clear = row.to_padded();
        let sealed = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &clear,
                    aad: &aad,
                },
            )
            // Encryption fails only for messages of about 256 GiB.
            .expect("a row is far below ChaCha20-Poly1305's message limit");
        [&nonce[..], &sealed].concat()
    }

    /// The row, or `None` when it was not sealed with this code's key and tag, was altered,
    /// or is not a row at all. Never panics, whatever the bytes.
    pub fn open(&self, stored: &[u8]) -> Option<PersonalRow> {
        if stored.len() < NONCE_LEN + MAC_LEN {
            return None;
        }
        let (nonce, sealed) = stored.split_at(NONCE_LEN);
        let cipher = ChaCha20Poly1305::new(Key::from_slice(&self.key));
        let aad = self.aad();
        let clear = cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: &aad,
                },
            )
            .ok()?;
        PersonalRow::from_padded(&clear)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(word: &str) -> PersonalRow {
        PersonalRow {
            day: "2026-11-28".into(),
            quadrant: Quadrant::Blue,
            pleasantness: -1,
            energy: -2,
            word: word.into(),
        }
    }

    #[test]
    fn tag_and_key_are_distinct_and_depend_on_every_input_byte() {
        let a = CodeKeys::derive(&[7; 32]);
        assert_eq!(a, CodeKeys::derive(&[7; 32]));
        assert_ne!(a.tag, a.key);
        assert_ne!(&a.tag, &[7; 32], "the tag is not the Argon2 output");
        assert_ne!(&a.key, &[7; 32], "the key is not the Argon2 output");
        for i in 0..32 {
            let mut other = [7u8; 32];
            other[i] ^= 1;
            let b = CodeKeys::derive(&other);
            assert_ne!(a.tag, b.tag);
            assert_ne!(a.key, b.key);
        }
        assert_eq!(format!("{a:?}"), "CodeKeys { .. }");
    }

    #[test]
    fn a_row_opens_with_its_code_only_and_never_shows_in_clear() {
        let keys = CodeKeys::derive(&[1; 32]);
        let sealed = keys.seal(&row("disappointed"), [9; NONCE_LEN]);
        assert_eq!(keys.open(&sealed), Some(row("disappointed")));
        let text = String::from_utf8_lossy(&sealed);
        for clear in ["disappointed", "2026-11-28", "blue"] {
            assert!(!text.contains(clear), "{clear} in clear");
        }
        // Another code's key does not open it.
        assert_eq!(CodeKeys::derive(&[2; 32]).open(&sealed), None);
        // The same key bound to another tag does not open it either (associated data).
        let moved = CodeKeys {
            tag: [3; TAG_LEN],
            key: keys.key,
        };
        assert_eq!(moved.open(&sealed), None);
        // Any altered byte, a cut-off row, or no row at all: refused, never a panic.
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 0x40;
            assert_eq!(keys.open(&bad), None, "byte {i}");
        }
        for len in 0..sealed.len() {
            assert_eq!(keys.open(&sealed[..len]), None, "{len} bytes");
        }
    }

    #[test]
    fn a_new_nonce_gives_a_new_ciphertext_and_lengths_do_not_tell_words_apart() {
        let keys = CodeKeys::derive(&[1; 32]);
        let one = keys.seal(&row("ok"), [1; NONCE_LEN]);
        let two = keys.seal(&row("ok"), [2; NONCE_LEN]);
        assert_ne!(one[NONCE_LEN..], two[NONCE_LEN..]);
        let long = keys.seal(&row("disappointed"), [3; NONCE_LEN]);
        assert_eq!(one.len(), long.len());
        assert_eq!(one.len(), NONCE_LEN + PADDED + MAC_LEN);
        // Every word of the built-in vocabulary fits in the one padded length.
        let vocabulary = super::super::Vocabulary::builtin();
        for q in Quadrant::ALL {
            for w in vocabulary.words_in(q) {
                let r = PersonalRow {
                    quadrant: q,
                    pleasantness: -2,
                    energy: -2,
                    ..row(&w.id)
                };
                assert_eq!(keys.seal(&r, [4; NONCE_LEN]).len(), one.len(), "{}", w.id);
            }
        }
    }
}
