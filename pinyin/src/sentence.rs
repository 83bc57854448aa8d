//! A sentence: the likeliest string of two or more words that reads the whole input, for what
//! no list has as one word (`jieshuziji`: 结束 and 自己, 结束自己). Words are weighed by their
//! frequency alone; the list is not a language model, so the sentence is a guess, offered
//! beside the words rather than instead of them.

use crate::lattice::Lattice;
use crate::lexicon::{ROOT, Rank};
use crate::{Engine, Step};

/// What each word costs a sentence beyond its frequency, as ln of a share: with none, strings
/// of frequent characters beat the word they spell (或 了 over 活了: ln shares -7.0 and -4.2
/// against -12.0). 3 is a factor of 20 a word; chosen on the examples in the tests.
const WORD_PENALTY: f32 = 3.0;

/// The best string of words found so far that reads the input up to a byte.
#[derive(Clone, Copy)]
struct Link {
    score: f32,
    /// Its last word, and the byte that word starts at.
    word: Rank,
    from: usize,
}

/// The words of the best sentence for the input, if the input has two or more syllables and
/// its best reading takes two or more words.
pub(crate) fn compose(engine: &Engine, lattice: &Lattice) -> Option<Vec<Rank>> {
    if lattice.syllable_count()? < 2 {
        return None;
    }
    let start = lattice.start;
    let mut best: Vec<Option<Link>> = vec![None; lattice.end() + 1];
    // Readings only move forward through the input, so each byte's best is final before the
    // walk leaves it.
    for at in start..lattice.end() {
        let score = match best[at] {
            Some(link) => link.score,
            None if at == start => 0.0,
            None => continue,
        };
        engine.walk(lattice, at, ROOT, 0, &mut |step: Step| {
            let Some(&word) = engine.lexicon.words_at(step.node).first() else {
                return;
            };
            let score = score + engine.lexicon.log_share(word) - WORD_PENALTY;
            if best[step.to].is_none_or(|link| score > link.score) {
                best[step.to] = Some(Link {
                    score,
                    word,
                    from: at,
                });
            }
        });
    }
    let mut words = Vec::new();
    let mut at = lattice.end();
    while at != start {
        let link = best[at]?;
        words.push(link.word);
        at = link.from;
    }
    words.reverse();
    (words.len() >= 2).then_some(words)
}
