//! Full pinyin (全拼) for the kiosk's on-screen keyboard: the letters a worker has typed in,
//! the words they may mean out, most likely first.
//!
//! The words are the Android PinyinIME list (Apache-2.0, data/NOTICE) cut to GB2312, with a
//! short supplement of our own for the words of delivery work it lacks (data/README.md).
//!
//! How input is read:
//! - letters are read as syllables, as few as possible (`xian` is one syllable, 先);
//!   an apostrophe ends a syllable (`xi'an`, 西安);
//! - `v` stands for ü (`lv` 绿, `nver` 女儿, `lve` 略);
//! - the last syllable may be unfinished: `xiangj` offers the words of `xiang` and a
//!   syllable starting with j (相机 香蕉 … 想家);
//! - fuzzy pairs ([`FuzzyPair`]), when switched on, apply to each syllable on its own;
//! - capital letters count as small ones; anything but letters and apostrophes gives no
//!   candidates, and letters that cannot be read (`wq`) leave the longest start that can.
//!
//! The list of candidates, each word once:
//! 1. words covering the whole input with a finished last syllable, most frequent first;
//! 2. a sentence: the likeliest string of two or more words covering the whole input, for
//!    what no list has as one word (`jieshuziji`, 结束自己);
//! 3. words covering the whole input by finishing an unfinished last syllable;
//! 4. words covering fewer leading syllables, the most first, down to single characters for
//!    the first syllable.
//!
//! A worker can pick a word that covers part of the input; the caller then removes
//! [`Candidate::consumed`] bytes from the front of the input and looks up the rest
//! (`buxianghuole`: pick 不想, then `huole` gives 活了). The list is ordered once; [`page`] cuts
//! it into pages.
//!
//! No I/O and no global state: an [`Engine`] is built once and then only read, from any thread.
//! Building one unpacks and indexes the lists, tens of milliseconds (docs/benchmarks.md), so a
//! kiosk builds it once, off the UI thread.

mod hash;
mod lattice;
mod lexicon;
pub mod lists;
mod options;
mod sentence;
mod syllables;

use std::collections::HashSet;

use lattice::{Edge, Lattice};
pub use lexicon::ListError;
use lexicon::{Lexicon, Node, ROOT, Rank};
pub use options::{FuzzyPair, FuzzySet, Options};

/// Input past this many bytes is not looked at: no word is that long, and it bounds the work
/// a keystroke does. The candidates then cover a start of the input, as usual.
pub const MAX_INPUT: usize = 64;

/// One word offered for the input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub text: String,
    /// How many bytes from the front of the input the word covers (apostrophes after its last
    /// syllable included). Picking it leaves the rest of the input for the next lookup.
    pub consumed: usize,
}

/// The word lists, indexed for lookups.
pub struct Engine {
    lexicon: Lexicon,
}

/// A word found for the input, before the list is ordered.
struct Found {
    rank: Rank,
    /// Where it comes in the list: see `Engine::group`.
    group: usize,
    consumed: usize,
}

/// One syllable further along a reading of the input, and the trie node it leads to.
#[derive(Clone, Copy)]
pub(crate) struct Step {
    pub(crate) node: Node,
    /// How many syllables of the reading lead to the node.
    pub(crate) covers: usize,
    /// Where in the input the syllable ends (apostrophes after it included).
    pub(crate) to: usize,
    /// Whether it finishes an unfinished last syllable (想家 for `xiangj`).
    pub(crate) finishes: bool,
}

impl Engine {
    /// The built-in lists: the Android list (GB2312 words) and our supplement.
    pub fn builtin() -> Engine {
        let aosp = lists::aosp();
        Engine::from_lists(&[&aosp, lists::SUPPLEMENT])
            .expect("the built-in lists read (checked by the tests)")
    }

    /// An engine over lists of `word<TAB>syllables<TAB>frequency` lines, syllables separated
    /// by spaces (data/README.md); further tab-separated fields, blank lines and lines
    /// starting with `#` are ignored.
    pub fn from_lists(lists: &[&str]) -> Result<Engine, ListError> {
        Ok(Engine {
            lexicon: Lexicon::from_lists(lists)?,
        })
    }

    /// How many entries the lists had (a word with two readings counts twice).
    pub fn len(&self) -> usize {
        self.lexicon.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every candidate for `input`, in the order to offer them (the crate's documentation
    /// says which order).
    pub fn candidates(&self, input: &str, options: Options) -> Vec<Candidate> {
        let Some(typed) = letters(input) else {
            return Vec::new();
        };
        let lattice = Lattice::read(&typed, &self.lexicon.syllables, options.fuzzy);
        let Some(syllable_count) = lattice.syllable_count() else {
            return Vec::new();
        };
        let mut found = Vec::new();
        self.walk(&lattice, lattice.start, ROOT, 0, &mut |step| {
            let group = Engine::group(step, syllable_count);
            let words = self.lexicon.words_at(step.node).iter();
            found.extend(words.map(|&rank| Found {
                rank,
                group,
                consumed: step.to,
            }));
        });
        let sentence = sentence::compose(self, &lattice).map(|ranks| {
            let text = ranks.iter().map(|&rank| self.lexicon.word(rank)).collect();
            Candidate {
                text,
                consumed: lattice.end(),
            }
        });
        self.order(found, sentence)
    }

    /// Where a word comes in the list, before frequency (the crate's documentation, 1 to 4):
    /// words for the whole input with a finished last syllable 0, the sentence 1 (placed by
    /// `order`), words finishing an unfinished last syllable 2, then the fewer syllables a word
    /// covers, the later.
    fn group(step: Step, syllable_count: usize) -> usize {
        if step.covers == syllable_count {
            if step.finishes { 2 } else { 0 }
        } else {
            3 + syllable_count - step.covers
        }
    }

    /// Follows every best reading of the input through the trie, from byte `at` and trie node
    /// `node` (`depth` syllables in), and shows `visit` each node a syllable leads to.
    pub(crate) fn walk(
        &self,
        lattice: &Lattice,
        at: usize,
        node: Node,
        depth: usize,
        visit: &mut dyn FnMut(Step),
    ) {
        for edge in lattice.steps(at) {
            for (syllable, finishes) in readings(edge) {
                let Some(child) = self.lexicon.child(node, syllable) else {
                    continue;
                };
                visit(Step {
                    node: child,
                    covers: depth + 1,
                    to: edge.to,
                    finishes,
                });
                self.walk(lattice, edge.to, child, depth + 1, visit);
            }
        }
    }

    /// Orders the words found, most frequent first within a group, keeps each word's first
    /// place, and puts the sentence in its place unless it is one of the words.
    fn order(&self, mut found: Vec<Found>, sentence: Option<Candidate>) -> Vec<Candidate> {
        found.sort_unstable_by_key(|found| (found.group, found.rank));
        let mut seen = HashSet::new();
        let mut candidates = Vec::with_capacity(found.len() + 1);
        let mut whole_words = 0;
        for found in &found {
            let text = self.lexicon.word(found.rank);
            if seen.insert(text) {
                whole_words += usize::from(found.group == 0);
                candidates.push(Candidate {
                    text: text.to_owned(),
                    consumed: found.consumed,
                });
            }
        }
        if let Some(sentence) = sentence.filter(|sentence| !seen.contains(sentence.text.as_str())) {
            candidates.insert(whole_words, sentence);
        }
        candidates
    }
}

/// What one piece of the input can stand for: the syllables it spells, then those it starts.
fn readings(edge: &Edge) -> impl Iterator<Item = (syllables::SyllableId, bool)> + '_ {
    let spelled = edge.spelled.iter().map(|&id| (id, false));
    spelled.chain(edge.started.iter().map(|&id| (id, true)))
}

/// The input in small letters, at most [`MAX_INPUT`] bytes; None if it has anything but
/// letters and apostrophes.
fn letters(input: &str) -> Option<String> {
    let readable = input.bytes().all(|b| b.is_ascii_alphabetic() || b == b'\'');
    // Only ASCII is left, so any byte is the end of a character.
    readable.then(|| input[..input.len().min(MAX_INPUT)].to_ascii_lowercase())
}

/// Page `n` (from 0) of `size` candidates; empty past the end or when `size` is 0.
pub fn page(candidates: &[Candidate], n: usize, size: usize) -> &[Candidate] {
    let start = n.saturating_mul(size).min(candidates.len());
    let end = start.saturating_add(size).min(candidates.len());
    &candidates[start..end]
}
