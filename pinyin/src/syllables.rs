//! The syllables the word lists spell, and what a typed piece of input can stand for: a
//! syllable spelled out, the start of one still being typed, or either under fuzzy pairs.

use std::collections::HashMap;

use crate::hash::FastHash;
use crate::options::{FuzzyPair, FuzzySet};

/// A syllable's index in the table. The lists spell about 420 syllables.
pub(crate) type SyllableId = u16;

/// Spellings the lists do not use but people type: ü before e after l and n is `ve` on most
/// keyboards (as ü alone is `v`: `lv`, `nv`, which the lists do spell), while the lists write
/// 略 and 虐 as `lue` and `nue`.
const ALIASES: [(&str, &str); 2] = [("lve", "lue"), ("nve", "nue")];

/// Initials fuzzy pinyin swaps, the longer spelling first so that `zh` is not read as `z`.
const INITIALS: [(FuzzyPair, &str, &str); 4] = [
    (FuzzyPair::ZZh, "zh", "z"),
    (FuzzyPair::CCh, "ch", "c"),
    (FuzzyPair::SSh, "sh", "s"),
    (FuzzyPair::NL, "n", "l"),
];

/// Finals fuzzy pinyin swaps, the longer spelling first so that `ang` is not read as `an`.
const FINALS: [(FuzzyPair, &str, &str); 3] = [
    (FuzzyPair::AnAng, "ang", "an"),
    (FuzzyPair::EnEng, "eng", "en"),
    (FuzzyPair::InIng, "ing", "in"),
];

#[derive(Default)]
pub(crate) struct Syllables {
    /// Every spelling, aliases included, to its syllable; keys are `pack`ed.
    ids: HashMap<u64, SyllableId, FastHash>,
    /// Every start of a spelling (the whole spelling too) to the syllables it starts.
    started: HashMap<u64, Vec<SyllableId>, FastHash>,
    longest: usize,
}

impl Syllables {
    /// The syllable spelled `spelling`, added if new; None if the spelling is not 1 to 12
    /// letters a-z or the table is full.
    pub(crate) fn intern(&mut self, spelling: &str) -> Option<SyllableId> {
        let key = pack(&[spelling]).filter(|_| !spelling.is_empty())?;
        if let Some(&id) = self.ids.get(&key) {
            return Some(id);
        }
        let id = SyllableId::try_from(self.ids.len()).ok()?;
        self.ids.insert(key, id);
        self.longest = self.longest.max(spelling.len());
        Some(id)
    }

    /// Adds the aliases and indexes the starts of spellings; called once all lists are read.
    pub(crate) fn finish(&mut self) {
        for (alias, spelling) in ALIASES {
            let (Some(alias), Some(spelling)) = (pack(&[alias]), pack(&[spelling])) else {
                continue;
            };
            if let Some(&id) = self.ids.get(&spelling) {
                self.ids.entry(alias).or_insert(id);
            }
        }
        for (&key, &id) in &self.ids {
            // A packed spelling's starts are the spelling shifted right a letter at a time.
            let mut start = key;
            while start != 0 {
                let ids = self.started.entry(start).or_default();
                if !ids.contains(&id) {
                    ids.push(id);
                }
                start >>= LETTER_BITS;
            }
        }
        // Lookups then offer a piece's syllables in the same order on every run.
        for ids in self.started.values_mut() {
            ids.sort_unstable();
        }
    }

    /// The longest piece of input worth trying as one syllable: fuzzy pairs can make a typed
    /// piece up to two letters longer than the spelling it stands for (`zhuang` for `zuan`).
    pub(crate) fn longest_piece(&self) -> usize {
        self.longest + 2
    }

    /// Adds to `out` the syllables `piece` spells, itself or under the fuzzy pairs.
    pub(crate) fn spelled(&self, piece: &str, fuzzy: FuzzySet, out: &mut Vec<SyllableId>) {
        for key in variants(piece, fuzzy) {
            if let Some(&id) = self.ids.get(&key) {
                push_new(out, id);
            }
        }
    }

    /// Adds to `out` the syllables `piece` is the start of (or spells), itself or under the
    /// fuzzy pairs.
    pub(crate) fn started(&self, piece: &str, fuzzy: FuzzySet, out: &mut Vec<SyllableId>) {
        for key in variants(piece, fuzzy) {
            for &id in self.started.get(&key).into_iter().flatten() {
                push_new(out, id);
            }
        }
    }

    #[cfg(test)]
    pub(crate) fn id(&self, spelling: &str) -> Option<SyllableId> {
        self.ids.get(&pack(&[spelling])?).copied()
    }
}

fn push_new(out: &mut Vec<SyllableId>, id: SyllableId) {
    if !out.contains(&id) {
        out.push(id);
    }
}

const LETTER_BITS: u32 = 5;

/// A spelling of up to 12 letters a-z as one number, 5 bits a letter (a is 1, so no two
/// spellings share a number): the tables are keyed by these, so that a keystroke's few dozen
/// lookups hash numbers rather than strings. `parts` are joined; None past 12 letters or on
/// anything but a-z.
fn pack(parts: &[&str]) -> Option<u64> {
    let mut packed = 0u64;
    for (letters, byte) in parts.iter().flat_map(|part| part.bytes()).enumerate() {
        if !byte.is_ascii_lowercase() || letters == 12 {
            return None;
        }
        packed = (packed << LETTER_BITS) | u64::from(byte - b'a' + 1);
    }
    Some(packed)
}

/// `piece` and what the fuzzy pairs switched on make of it, packed: at most four spellings,
/// as a syllable has one initial and one final to swap.
fn variants(piece: &str, fuzzy: FuzzySet) -> impl Iterator<Item = u64> {
    let initial = swap(piece, fuzzy, &INITIALS, |piece, part| {
        piece.starts_with(part)
    });
    let last = swap(piece, fuzzy, &FINALS, |piece, part| piece.ends_with(part));
    let new_start = initial.and_then(|(taken, with)| pack(&[with, &piece[taken..]]));
    let new_end = last.and_then(|(taken, with)| pack(&[&piece[..piece.len() - taken], with]));
    let new_both = match (initial, last) {
        // The two may not overlap, as they would in a piece `n` or `an`.
        (Some((front, start)), Some((back, end))) if front + back <= piece.len() => {
            pack(&[start, &piece[front..piece.len() - back], end])
        }
        _ => None,
    };
    [pack(&[piece]), new_start, new_end, new_both]
        .into_iter()
        .flatten()
}

/// Which spelling a fuzzy pair swaps at the start or end of `piece`: how many bytes it takes,
/// and what it becomes.
fn swap(
    piece: &str,
    fuzzy: FuzzySet,
    pairs: &[(FuzzyPair, &'static str, &'static str)],
    at: fn(&str, &str) -> bool,
) -> Option<(usize, &'static str)> {
    let on = pairs.iter().filter(|(pair, ..)| fuzzy.contains(*pair));
    for &(_, long, short) in on {
        if at(piece, long) {
            return Some((long.len(), short));
        }
        if at(piece, short) {
            return Some((short.len(), long));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spellings(piece: &str, fuzzy: FuzzySet) -> Vec<u64> {
        let mut keys: Vec<u64> = variants(piece, fuzzy).collect();
        keys.sort_unstable();
        keys
    }

    fn packed(spellings: &[&str]) -> Vec<u64> {
        let mut keys: Vec<u64> = spellings.iter().map(|s| pack(&[s]).unwrap()).collect();
        keys.sort_unstable();
        keys
    }

    #[test]
    fn packing_tells_every_spelling_apart_and_refuses_what_is_not_a_to_z() {
        assert_ne!(pack(&["a"]), pack(&["aa"]));
        assert_ne!(pack(&["a"]), pack(&["b"]));
        assert_eq!(pack(&["zh", "ang"]), pack(&["zhang"]));
        // Twelve letters fill 60 bits, the first letter (a, 1) on top.
        assert_eq!(pack(&["abcdefghijkl"]).map(|k| k >> 55), Some(1));
        assert_eq!(pack(&["abcdefghijklm"]), None);
        assert_eq!(pack(&["A"]), None);
        assert_eq!(pack(&["'"]), None);
    }

    #[test]
    fn without_fuzzy_pairs_a_piece_is_only_itself() {
        assert_eq!(spellings("zhang", FuzzySet::NONE), packed(&["zhang"]));
    }

    #[test]
    fn fuzzy_pairs_swap_one_initial_and_one_final() {
        let all = FuzzySet::all();
        assert_eq!(
            spellings("zhang", all),
            packed(&["zhang", "zang", "zhan", "zan"])
        );
        assert_eq!(spellings("xian", all), packed(&["xian", "xiang"]));
        assert_eq!(
            spellings("lin", all),
            packed(&["lin", "nin", "ling", "ning"])
        );
        assert_eq!(spellings("s", all), packed(&["s", "sh"]));
        let only_n_l = FuzzySet::NONE.with(FuzzyPair::NL);
        assert_eq!(spellings("lan", only_n_l), packed(&["lan", "nan"]));
    }

    /// In `n` and `an` the initial and the final would overlap; each is swapped alone.
    #[test]
    fn an_initial_and_a_final_that_overlap_are_not_both_swapped() {
        let all = FuzzySet::all();
        assert_eq!(spellings("n", all), packed(&["n", "l"]));
        assert_eq!(spellings("an", all), packed(&["an", "ang"]));
    }

    #[test]
    fn ve_after_l_and_n_is_the_lists_ue() {
        let mut syllables = Syllables::default();
        for spelling in ["lue", "nue", "lv"] {
            syllables.intern(spelling);
        }
        syllables.finish();
        assert_eq!(syllables.id("lve"), syllables.id("lue"));
        assert_eq!(syllables.id("nve"), syllables.id("nue"));
        let mut started = Vec::new();
        syllables.started("lv", FuzzySet::NONE, &mut started);
        started.sort_unstable();
        assert_eq!(
            started,
            [syllables.id("lue").unwrap(), syllables.id("lv").unwrap()]
        );
    }

    #[test]
    fn a_syllable_is_one_to_twelve_letters_a_to_z() {
        let mut syllables = Syllables::default();
        assert_eq!(syllables.intern(""), None);
        assert_eq!(syllables.intern("Xi"), None);
        assert_eq!(syllables.intern("abcdefghijklm"), None);
        assert_eq!(syllables.intern("xi"), Some(0));
        assert_eq!(syllables.intern("xi"), Some(0));
    }
}
