//! The ways to read typed letters as syllables. A reading uses as few syllables as it can
//! (`xian` is 先, not 西安: an apostrophe, `xi'an`, says otherwise); the input's last piece
//! may be the start of a syllable still being typed (`xiangj`), but a reading that ends on a
//! whole syllable wins over one as short that does not (`nver` is nv-er, 女儿, not nve-r).

use crate::options::FuzzySet;
use crate::syllables::{SyllableId, Syllables};

/// One piece of the input read as one syllable.
pub(crate) struct Edge {
    /// Where the next piece starts: the byte after this one and any apostrophes after it.
    pub(crate) to: usize,
    /// The syllables the piece spells, itself or under the fuzzy pairs.
    pub(crate) spelled: Vec<SyllableId>,
    /// Syllables the piece only starts. Only the input's last piece has these: it may still
    /// be being typed.
    pub(crate) started: Vec<SyllableId>,
}

pub(crate) struct Lattice {
    /// The edges leaving each byte of the input.
    edges: Vec<Vec<Edge>>,
    /// The least `cost` of reading the input from each byte to its end, if it can be read.
    fewest: Vec<Option<usize>>,
    /// Where reading starts: after any apostrophes the input starts with.
    pub(crate) start: usize,
}

impl Lattice {
    /// Reads `typed` (lower-case letters and apostrophes), or, if it cannot all be read, the
    /// longest start of it that can: `wq` is read as `w`.
    pub(crate) fn read(typed: &str, syllables: &Syllables, fuzzy: FuzzySet) -> Lattice {
        let lattice = Lattice::build(typed, syllables, fuzzy);
        if lattice.syllable_count().is_some() {
            return lattice;
        }
        let readable = readable_len(typed, syllables, fuzzy);
        Lattice::build(&typed[..readable], syllables, fuzzy)
    }

    fn build(typed: &str, syllables: &Syllables, fuzzy: FuzzySet) -> Lattice {
        let edges: Vec<Vec<Edge>> = (0..=typed.len())
            .map(|at| edges_from(typed, at, syllables, fuzzy))
            .collect();
        let mut fewest = vec![None; typed.len() + 1];
        fewest[typed.len()] = Some(0);
        for at in (0..typed.len()).rev() {
            fewest[at] = edges[at]
                .iter()
                .filter_map(|edge| Some(fewest[edge.to]? + edge.cost()))
                .min();
        }
        Lattice {
            edges,
            fewest,
            start: skip_apostrophes(typed, 0),
        }
    }

    /// How many syllables the reading has; None if the input cannot be read at all.
    pub(crate) fn syllable_count(&self) -> Option<usize> {
        self.fewest[self.start]
            .map(|cost| cost / SYLLABLE_COST)
            .filter(|&count| count > 0)
    }

    /// Where every reading ends: the bytes of input it covers.
    pub(crate) fn end(&self) -> usize {
        self.fewest.len() - 1
    }

    /// The edges from byte `at` that keep to a best reading.
    pub(crate) fn steps(&self, at: usize) -> impl Iterator<Item = &Edge> {
        let here = self.fewest[at];
        self.edges[at].iter().filter(move |edge| {
            here.is_some() && self.fewest[edge.to].map(|rest| rest + edge.cost()) == here
        })
    }
}

/// What a syllable adds to a reading's cost: each costs 2, and an unfinished one 1 more, so
/// the fewest syllables always win and an unfinished last one only breaks ties.
const SYLLABLE_COST: usize = 2;

impl Edge {
    fn cost(&self) -> usize {
        SYLLABLE_COST + usize::from(self.spelled.is_empty())
    }
}

/// The pieces starting at byte `at` that can be read as one syllable.
fn edges_from(typed: &str, at: usize, syllables: &Syllables, fuzzy: FuzzySet) -> Vec<Edge> {
    let mut edges = Vec::new();
    for end in piece_ends(typed, at, syllables) {
        let piece = &typed[at..end];
        let mut spelled = Vec::new();
        syllables.spelled(piece, fuzzy, &mut spelled);
        let mut started = Vec::new();
        // An apostrophe after the last piece says it is finished.
        if end == typed.len() {
            syllables.started(piece, fuzzy, &mut started);
            started.retain(|id| !spelled.contains(id));
        }
        if !spelled.is_empty() || !started.is_empty() {
            edges.push(Edge {
                to: skip_apostrophes(typed, end),
                spelled,
                started,
            });
        }
    }
    edges
}

/// Where a piece starting at byte `at` may end: not past an apostrophe, and no longer than a
/// syllable can be typed. Empty when `at` is not a letter.
fn piece_ends(typed: &str, at: usize, syllables: &Syllables) -> std::ops::Range<usize> {
    let rest = &typed[at..];
    let letters = if rest.starts_with(|c: char| c.is_ascii_lowercase()) {
        rest.find('\'').unwrap_or(rest.len())
    } else {
        0
    };
    at + 1..at + 1 + letters.min(syllables.longest_piece())
}

fn skip_apostrophes(typed: &str, at: usize) -> usize {
    at + typed[at..].len() - typed[at..].trim_start_matches('\'').len()
}

/// How many bytes of `typed` can be read: whole syllables from its start, then perhaps the
/// start of one more.
fn readable_len(typed: &str, syllables: &Syllables, fuzzy: FuzzySet) -> usize {
    let mut reached = vec![false; typed.len() + 1];
    reached[skip_apostrophes(typed, 0)] = true;
    let mut readable = 0;
    let mut ids = Vec::new();
    for at in 0..typed.len() {
        if !reached[at] {
            continue;
        }
        readable = readable.max(at);
        for end in piece_ends(typed, at, syllables) {
            ids.clear();
            syllables.spelled(&typed[at..end], fuzzy, &mut ids);
            if !ids.is_empty() {
                reached[skip_apostrophes(typed, end)] = true;
            }
            syllables.started(&typed[at..end], fuzzy, &mut ids);
            if !ids.is_empty() {
                readable = readable.max(end);
            }
        }
    }
    readable
}

#[cfg(test)]
mod tests {
    use super::*;

    fn syllables() -> Syllables {
        let mut syllables = Syllables::default();
        let spellings = "xi an xian xiang jia ji wo men me n nv er nue fang fan gan an ga";
        for spelling in spellings.split(' ') {
            syllables.intern(spelling);
        }
        syllables.finish();
        syllables
    }

    /// Every best reading, as the pieces of input it cuts.
    fn readings(typed: &str) -> Vec<Vec<String>> {
        let syllables = syllables();
        let lattice = Lattice::read(typed, &syllables, FuzzySet::NONE);
        let mut found = Vec::new();
        if lattice.syllable_count().is_some() {
            collect(&lattice, typed, lattice.start, &mut Vec::new(), &mut found);
        }
        found.sort();
        found
    }

    fn collect(
        lattice: &Lattice,
        typed: &str,
        at: usize,
        path: &mut Vec<String>,
        found: &mut Vec<Vec<String>>,
    ) {
        if at == lattice.end() {
            found.push(path.clone());
        }
        for edge in lattice.steps(at) {
            path.push(typed[at..edge.to].to_owned());
            collect(lattice, typed, edge.to, path, found);
            path.pop();
        }
    }

    #[test]
    fn the_fewest_syllables_win() {
        assert_eq!(readings("xian"), [["xian"]]);
        assert_eq!(readings("women"), [["wo", "men"]]);
    }

    #[test]
    fn equally_few_syllables_are_all_kept() {
        assert_eq!(readings("fangan"), [["fan", "gan"], ["fang", "an"]]);
    }

    #[test]
    fn apostrophes_end_a_syllable_and_belong_to_the_one_before() {
        assert_eq!(readings("xi'an"), [["xi'", "an"]]);
        assert_eq!(readings("'xi''an'"), [["xi''", "an'"]]);
    }

    #[test]
    fn the_last_piece_may_be_unfinished_but_a_finished_one_wins_a_tie() {
        assert_eq!(readings("xiangj"), [["xiang", "j"]]);
        // nve-r reads as many syllables, ending unfinished.
        assert_eq!(readings("nver"), [["nv", "er"]]);
    }

    #[test]
    fn unreadable_input_is_read_as_far_as_it_can_be() {
        assert_eq!(readings("wq"), [["w"]]);
        assert_eq!(readings("xi'q'"), [["xi'"]]);
        assert!(readings("qqq").is_empty());
        assert!(readings("").is_empty());
        assert!(readings("'").is_empty());
    }
}
