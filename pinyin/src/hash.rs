//! A hash for the crate's own `u64` keys (trie edges, packed spellings): the default SipHash
//! is built to resist keys chosen by an attacker, which these (from our own lists) are not,
//! and costs more than the rest of a lookup.

use std::hash::{BuildHasherDefault, Hasher};

pub(crate) type FastHash = BuildHasherDefault<FastHasher>;

#[derive(Default)]
pub(crate) struct FastHasher(u64);

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.write_u64(u64::from(byte));
        }
    }

    fn write_u64(&mut self, n: u64) {
        let mixed = (self.0 ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        // The table picks buckets by the low bits, which a multiply leaves depending only on
        // the key's low bits; fold the high half down.
        self.0 = mixed ^ (mixed >> 32);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}
