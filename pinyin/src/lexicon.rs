//! The words, ranked by frequency, in a trie keyed by syllable: a lookup walks it one syllable
//! at a time along the ways the input can be read, so readings no word follows are dropped at
//! once instead of being spelled out in full.

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;

use crate::hash::FastHash;
use crate::syllables::{SyllableId, Syllables};

/// A node of the trie; the root is the empty syllable sequence.
pub(crate) type Node = u32;
pub(crate) const ROOT: Node = 0;

/// A word's place when all words are ordered by frequency, most frequent first; comparing two
/// ranks compares their words' frequencies.
pub(crate) type Rank = u32;

/// A line of a list that could not be read; the lists are built in, so this is a broken build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListError {
    /// Which list, counting from 0, in the order they were given.
    pub list: usize,
    /// The line, counting from 1.
    pub line: usize,
    pub reason: &'static str,
}

impl fmt::Display for ListError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "list {} line {}: {}", self.list, self.line, self.reason)
    }
}

impl std::error::Error for ListError {}

/// One line of a list, before ranking.
struct Entry<'a> {
    word: &'a str,
    /// Where its syllables are in the syllables of all entries.
    syllables: Range<usize>,
    frequency: f64,
}

pub(crate) struct Lexicon {
    pub(crate) syllables: Syllables,
    /// Every word, one after another in rank order; `ends[rank]` is where a word stops.
    text: String,
    ends: Vec<u32>,
    /// ln(frequency / total) by rank, for weighing strings of words against each other.
    log_shares: Vec<f32>,
    /// The trie's edges, keyed by `edge_key(parent, syllable)`.
    children: HashMap<u64, Node, FastHash>,
    /// The words each node's syllables spell, in rank order: `ranks[firsts[node]..firsts[node + 1]]`.
    ranks: Vec<Rank>,
    firsts: Vec<u32>,
}

impl Lexicon {
    /// Reads lists of `word<TAB>syllables<TAB>frequency[<TAB>anything]` lines (syllables
    /// separated by spaces; blank lines and lines starting with `#` are skipped) and ranks
    /// their words together. Equal frequencies keep the order of the lists.
    pub(crate) fn from_lists(lists: &[&str]) -> Result<Lexicon, ListError> {
        let mut syllables = Syllables::default();
        let mut spelled = Vec::new();
        let mut entries = Vec::new();
        for (list, text) in lists.iter().enumerate() {
            for (index, line) in text.lines().enumerate() {
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                let entry = parse_line(line, &mut syllables, &mut spelled);
                entries.push(entry.map_err(|reason| ListError {
                    list,
                    line: index + 1,
                    reason,
                })?);
            }
        }
        syllables.finish();
        // Stable, so equal frequencies keep the lists' order.
        entries.sort_by(|a, b| b.frequency.total_cmp(&a.frequency));
        Ok(Lexicon::index(syllables, &entries, &spelled))
    }

    /// Builds the trie over entries in rank order.
    fn index(syllables: Syllables, entries: &[Entry], spelled: &[SyllableId]) -> Lexicon {
        let total: f64 = entries.iter().map(|entry| entry.frequency).sum();
        let mut lexicon = Lexicon {
            syllables,
            text: String::with_capacity(entries.iter().map(|entry| entry.word.len()).sum()),
            ends: Vec::with_capacity(entries.len()),
            log_shares: Vec::with_capacity(entries.len()),
            children: HashMap::with_capacity_and_hasher(spelled.len(), Default::default()),
            ranks: Vec::new(),
            firsts: Vec::new(),
        };
        let mut nodes = Vec::with_capacity(entries.len());
        let mut node_count = 1;
        for entry in entries {
            lexicon.text.push_str(entry.word);
            lexicon.ends.push(lexicon.text.len() as u32);
            // The least frequent words in the lists are above 0.2; 0 would be ln 0.
            let share = entry.frequency.max(0.01) / total.max(1.0);
            lexicon.log_shares.push(share.ln() as f32);
            let mut node = ROOT;
            for &syllable in &spelled[entry.syllables.clone()] {
                node = *lexicon
                    .children
                    .entry(edge_key(node, syllable))
                    .or_insert_with(|| {
                        node_count += 1;
                        node_count - 1
                    });
            }
            nodes.push(node);
        }
        (lexicon.ranks, lexicon.firsts) = group_by_node(&nodes, node_count as usize);
        lexicon
    }

    pub(crate) fn child(&self, node: Node, syllable: SyllableId) -> Option<Node> {
        self.children.get(&edge_key(node, syllable)).copied()
    }

    /// The words spelled exactly by the syllables leading to `node`, most frequent first.
    pub(crate) fn words_at(&self, node: Node) -> &[Rank] {
        let node = node as usize;
        &self.ranks[self.firsts[node] as usize..self.firsts[node + 1] as usize]
    }

    pub(crate) fn word(&self, rank: Rank) -> &str {
        let rank = rank as usize;
        let start = if rank == 0 { 0 } else { self.ends[rank - 1] };
        &self.text[start as usize..self.ends[rank] as usize]
    }

    /// ln of the word's share of all the lists' frequencies.
    pub(crate) fn log_share(&self, rank: Rank) -> f32 {
        self.log_shares[rank as usize]
    }

    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }
}

/// Each node's words, in rank order, one node after another (a counting sort of the ranks by
/// node: one allocation instead of one per node), and where each node's words start.
fn group_by_node(nodes: &[Node], node_count: usize) -> (Vec<Rank>, Vec<u32>) {
    let mut firsts = vec![0u32; node_count + 1];
    for &node in nodes {
        firsts[node as usize + 1] += 1;
    }
    for node in 0..node_count {
        firsts[node + 1] += firsts[node];
    }
    let mut next = firsts.clone();
    let mut ranks = vec![0; nodes.len()];
    for (rank, &node) in nodes.iter().enumerate() {
        ranks[next[node as usize] as usize] = rank as Rank;
        next[node as usize] += 1;
    }
    (ranks, firsts)
}

fn parse_line<'a>(
    line: &'a str,
    syllables: &mut Syllables,
    spelled: &mut Vec<SyllableId>,
) -> Result<Entry<'a>, &'static str> {
    let mut fields = line.split('\t');
    let (Some(word), Some(spellings), Some(frequency)) =
        (fields.next(), fields.next(), fields.next())
    else {
        return Err("fewer than three tab-separated fields");
    };
    let frequency: f64 = frequency
        .parse()
        .map_err(|_| "the frequency is not a number")?;
    if !frequency.is_finite() || frequency < 0.0 {
        return Err("the frequency is not a finite number of at least 0");
    }
    let first = spelled.len();
    for spelling in spellings.split(' ') {
        if spelling.is_empty() || !spelling.bytes().all(|b| b.is_ascii_lowercase()) {
            return Err("a syllable is not spelled in letters a-z");
        }
        spelled.push(
            syllables
                .intern(spelling)
                .ok_or("too many different syllables")?,
        );
    }
    if word.chars().count() != spelled.len() - first {
        return Err("the word has not one syllable for each character");
    }
    Ok(Entry {
        word,
        syllables: first..spelled.len(),
        frequency,
    })
}

fn edge_key(parent: Node, syllable: SyllableId) -> u64 {
    (u64::from(parent) << 16) | u64::from(syllable)
}
