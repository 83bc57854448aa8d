//! Randomness, behind one small trait beside [`crate::clock::Clock`], so that slip numbers,
//! personal codes, salts, nonces and record ids are made by the real operating system on a
//! kiosk and are fixed in tests.

use std::cell::Cell;

/// Where random bytes come from.
pub trait Entropy {
    /// Fills `bytes`, or says why it cannot (the kiosk then makes nothing rather than
    /// something guessable).
    fn fill(&self, bytes: &mut [u8]) -> Result<(), String>;
}

impl dyn Entropy + '_ {
    /// `N` random bytes, or `None` (logged) when there are none to give.
    pub fn bytes<const N: usize>(&self) -> Option<[u8; N]> {
        let mut bytes = [0u8; N];
        match self.fill(&mut bytes) {
            Ok(()) => Some(bytes),
            Err(e) => {
                tracing::error!("no randomness: {e}");
                None
            }
        }
    }

    /// A random UUID (version 4): it holds no time, unlike a UUIDv7.
    pub fn uuid(&self) -> Result<uuid::Uuid, String> {
        let mut bytes = [0u8; 16];
        self.fill(&mut bytes)?;
        Ok(uuid::Builder::from_random_bytes(bytes).into_uuid())
    }
}

/// The operating system's randomness (Linux `getrandom`).
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemEntropy;

impl Entropy for SystemEntropy {
    fn fill(&self, bytes: &mut [u8]) -> Result<(), String> {
        getrandom::fill(bytes).map_err(|e| format!("the operating system gave none: {e}"))
    }
}

/// Fixed bytes for tests: the same seed gives the same sequence (SplitMix64), and no two
/// calls give the same bytes.
#[derive(Debug, Clone)]
pub struct FakeEntropy {
    state: Cell<u64>,
}

impl FakeEntropy {
    pub fn new(seed: u64) -> FakeEntropy {
        FakeEntropy {
            state: Cell::new(seed),
        }
    }

    fn next(&self) -> u64 {
        let state = self.state.get().wrapping_add(0x9E37_79B9_7F4A_7C15);
        self.state.set(state);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

impl Entropy for FakeEntropy {
    fn fill(&self, bytes: &mut [u8]) -> Result<(), String> {
        for chunk in bytes.chunks_mut(8) {
            let word = self.next().to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
        Ok(())
    }
}

/// No randomness at all, for tests of what the kiosk does without it.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoEntropy;

impl Entropy for NoEntropy {
    fn fill(&self, _bytes: &mut [u8]) -> Result<(), String> {
        Err("no randomness (test)".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_gives_the_same_bytes_and_calls_differ() {
        let (a, b) = (FakeEntropy::new(7), FakeEntropy::new(7));
        let (a, b): (&dyn Entropy, &dyn Entropy) = (&a, &b);
        assert_eq!(a.bytes::<12>(), b.bytes::<12>());
        assert_ne!(a.bytes::<12>(), a.bytes::<12>());
        let id = a.uuid().unwrap();
        assert_eq!(id.get_version_num(), 4);
    }

    #[test]
    fn without_randomness_nothing_is_made() {
        let none: &dyn Entropy = &NoEntropy;
        assert_eq!(none.bytes::<4>(), None);
        assert!(none.uuid().is_err());
    }
}
