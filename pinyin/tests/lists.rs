//! The built-in lists: the Android list unpacks whole, and the supplement keeps the promises
//! its header makes.

use std::collections::{HashMap, HashSet};

use waystation_pinyin::{Engine, lists};

/// (word, syllables, frequency, the rest) of each entry of a list.
fn entries(list: &str) -> Vec<(&str, &str, &str, Option<&str>)> {
    list.lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| {
            let mut fields = line.split('\t');
            let mut next = || fields.next();
            (next().unwrap(), next().unwrap(), next().unwrap(), next())
        })
        .collect()
}

#[test]
fn the_android_list_unpacks_to_its_55320_gb2312_entries() {
    let aosp = lists::aosp();
    assert_eq!(entries(&aosp).len(), 55_320);
    let supplement = entries(lists::SUPPLEMENT).len();
    assert_eq!(Engine::builtin().len(), 55_320 + supplement);
}

#[test]
fn no_supplement_word_is_in_the_android_list_already() {
    let aosp = lists::aosp();
    let words: HashSet<&str> = entries(&aosp).into_iter().map(|(word, ..)| word).collect();
    let mut seen = HashSet::new();
    for (word, ..) in entries(lists::SUPPLEMENT) {
        assert!(!words.contains(word), "{word} is in the Android list");
        assert!(seen.insert(word), "{word} is in the supplement twice");
    }
}

/// Each syllable given in the supplement is a reading the Android list gives the character.
#[test]
fn supplement_readings_are_the_android_lists_readings_of_each_character() {
    let aosp = lists::aosp();
    let mut readings: HashMap<char, HashSet<&str>> = HashMap::new();
    for (word, syllables, ..) in entries(&aosp) {
        for (character, syllable) in word.chars().zip(syllables.split(' ')) {
            readings.entry(character).or_default().insert(syllable);
        }
    }
    for (word, syllables, ..) in entries(lists::SUPPLEMENT) {
        assert_eq!(word.chars().count(), syllables.split(' ').count(), "{word}");
        for (character, syllable) in word.chars().zip(syllables.split(' ')) {
            let known = readings.get(&character);
            assert!(
                known.is_some_and(|known| known.contains(syllable)),
                "{word}: {character} {syllable}"
            );
        }
    }
}

/// A supplement word's frequency is the frequency of the Android word it names.
#[test]
fn supplement_frequencies_are_those_of_the_words_they_name() {
    let aosp = lists::aosp();
    let frequency: HashMap<&str, &str> = entries(&aosp)
        .into_iter()
        .map(|(word, _, frequency, _)| (word, frequency))
        .collect();
    for (word, _, given, like) in entries(lists::SUPPLEMENT) {
        let like = like.expect("names a word");
        assert_eq!(frequency.get(like), Some(&given), "{word} like {like}");
    }
}
