//! Words of despair in what a worker writes: the phrase list (`assets/care/despair-phrases.toml`,
//! each phrase with its source, docs/care.md "Words of despair") and the matching. A match
//! brings up the card with 12356, 12351, 120/110 beside the text; nothing else happens with it.
//!
//! The text is matched as a reader would read it: spaces, line breaks and punctuation are
//! ignored (不 想 活 了, 不想…活了), full-width letters count as half-width, and traditional
//! characters as simplified. A phrase found inside one of the list's near misses (想死你了, "I
//! miss you so much") does not count. Matching is a plain search over at most a few thousand
//! characters, each time the text changes; no state is kept.

use std::collections::HashMap;

use serde::Deserialize;

const EMBEDDED: &str = include_str!("../../assets/care/despair-phrases.toml");

/// Where a phrase comes from.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub id: String,
    pub cite: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Phrase {
    /// Simplified, without spaces or punctuation.
    pub text: String,
    /// A `Source::id`.
    pub source: String,
    /// The source is in another language and the Chinese wording is ours.
    #[serde(default)]
    pub translated: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DespairPhrases {
    near_misses: Vec<String>,
    traditional: HashMap<char, char>,
    #[serde(rename = "source")]
    pub sources: Vec<Source>,
    #[serde(rename = "phrase")]
    pub phrases: Vec<Phrase>,
}

impl DespairPhrases {
    /// The shipped list; checked by the tests, so it cannot fail at run time.
    pub fn builtin() -> DespairPhrases {
        DespairPhrases::parse(EMBEDDED).expect("the shipped despair phrases are valid")
    }

    /// A list read from TOML, refused when a phrase is empty, written otherwise than it is
    /// matched, or names no known source.
    pub fn parse(text: &str) -> Result<DespairPhrases, String> {
        let list: DespairPhrases = toml::from_str(text).map_err(|e| e.message().to_string())?;
        for phrase in &list.phrases {
            if phrase.text.is_empty() || list.fold(&phrase.text) != phrase.text {
                return Err(format!(
                    "phrase {:?} must be simplified, without spaces or punctuation",
                    phrase.text
                ));
            }
            if !list.sources.iter().any(|s| s.id == phrase.source) {
                return Err(format!(
                    "phrase {:?} names no known source ({:?})",
                    phrase.text, phrase.source
                ));
            }
        }
        for near in &list.near_misses {
            if !list.phrases.iter().any(|p| near.contains(&p.text)) {
                return Err(format!("near miss {near:?} contains no phrase"));
            }
        }
        Ok(list)
    }

    /// The text as it is matched: letters, digits and characters only (no spaces, line breaks,
    /// punctuation or symbols), full-width ASCII made half-width and lower case, traditional
    /// characters made simplified.
    pub fn fold(&self, text: &str) -> String {
        text.chars()
            .map(|c| match c {
                // Full-width forms of ASCII (！ to ～) are the same letters.
                '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
                _ => c,
            })
            .filter(|c| c.is_alphanumeric())
            .map(|c| self.traditional.get(&c).copied().unwrap_or(c))
            .flat_map(char::to_lowercase)
            .collect()
    }

    /// The first phrase of despair in `text` that is not part of a near miss, if any.
    pub fn find(&self, text: &str) -> Option<&Phrase> {
        let folded = self.fold(text);
        self.first_before(&folded, folded.len())
    }

    /// As `find`, for text still being typed: a phrase at the very end of the text that may
    /// yet become a near miss waits for what follows (想死 typed on its way to 想死你了). A text
    /// that ends in a space or a mark is finished as it stands; so is one the worker stopped
    /// typing (the caller asks `find` then).
    pub fn find_while_typing(&self, text: &str) -> Option<&Phrase> {
        let folded = self.fold(text);
        let open_end = text.chars().next_back().is_some_and(char::is_alphanumeric);
        let held = if open_end {
            self.unfinished_near_miss(&folded)
        } else {
            0
        };
        self.first_before(&folded, folded.len() - held)
    }

    /// The first phrase that occurs outside the near misses and starts before byte `end`.
    fn first_before(&self, folded: &str, end: usize) -> Option<&Phrase> {
        self.phrases
            .iter()
            .find(|phrase| self.occurs_outside_near_misses(folded, &phrase.text, end))
    }

    /// How many bytes at the end of `folded` are the beginning of a near miss with a phrase
    /// already in it (the longest such beginning), or 0.
    fn unfinished_near_miss(&self, folded: &str) -> usize {
        self.near_misses
            .iter()
            .flat_map(|near| {
                near.char_indices()
                    .skip(1)
                    .map(|(cut, _)| &near[..cut])
                    .filter(|begun| folded.ends_with(begun))
                    .filter(|begun| self.phrases.iter().any(|p| begun.contains(&p.text)))
            })
            .map(str::len)
            .max()
            .unwrap_or(0)
    }

    /// Whether `phrase` occurs in `folded`, starting before byte `end`, at least once where no
    /// near miss covers it.
    fn occurs_outside_near_misses(&self, folded: &str, phrase: &str, end: usize) -> bool {
        folded
            .match_indices(phrase)
            .filter(|(at, _)| *at < end)
            .any(|(at, _)| {
                !self.near_misses.iter().any(|near| {
                    near.match_indices(phrase).any(|(offset, _)| {
                        at.checked_sub(offset)
                            .and_then(|start| folded.get(start..))
                            .is_some_and(|from| from.starts_with(near.as_str()))
                    })
                })
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_list_parses_and_every_phrase_names_a_cited_source() {
        let list = DespairPhrases::builtin();
        assert!(list.phrases.len() >= 30, "{}", list.phrases.len());
        for source in &list.sources {
            assert!(source.cite.len() > 40, "{source:?} is not a citation");
        }
        // The issue's own examples are in it.
        for example in ["不想活了", "活着没意思", "想死", "结束自己"] {
            assert!(list.find(example).is_some(), "{example}");
        }
    }

    #[test]
    fn a_phrase_written_otherwise_than_it_is_matched_or_without_a_source_is_refused() {
        let source = "[[source]]\nid = \"s\"\ncite = \"somewhere\"\n";
        let base = format!("near_misses = []\n[traditional]\n{source}");
        let bad = format!("{base}[[phrase]]\ntext = \"不想 活\"\nsource = \"s\"\n");
        assert!(
            DespairPhrases::parse(&bad)
                .unwrap_err()
                .contains("without spaces")
        );
        let bad = format!("{base}[[phrase]]\ntext = \"想死\"\nsource = \"nowhere\"\n");
        assert!(
            DespairPhrases::parse(&bad)
                .unwrap_err()
                .contains("no known source")
        );
        let good = format!("{base}[[phrase]]\ntext = \"想死\"\nsource = \"s\"\n");
        assert!(DespairPhrases::parse(&good).is_ok());
    }

    #[test]
    fn spaces_punctuation_full_width_and_traditional_characters_do_not_hide_a_phrase() {
        let list = DespairPhrases::builtin();
        for text in [
            "我 不 想 活 了",
            "不想……活了！",
            "活着，没意思",
            "真的\n想死",
            "我覺得自己是個負擔",
            "活著沒意思",
            "結束自己",
            "ｗｏ 想 自殺",
            "沒有我，大家會更好",
            "Some nights I just WANT TO DIE.",
            "maybe everyone is better off-dead without me",
        ] {
            assert!(list.find(text).is_some(), "{text:?} was not caught");
        }
    }

    /// Every phrase, spelled in traditional characters, is still caught: a new phrase whose
    /// characters the `[traditional]` table lacks fails here until they are added.
    #[test]
    fn every_phrase_spelled_in_traditional_characters_is_caught() {
        let traditional: HashMap<&str, &str> = [
            ("活着没意思", "活著沒意思"),
            ("死了算了", "死了算了"),
            ("不如死了", "不如死了"),
            ("我要是死了", "我要是死了"),
            ("不如死掉", "不如死掉"),
            ("伤害自己", "傷害自己"),
            ("想死", "想死"),
            ("不想活", "不想活"),
            ("活不下去", "活不下去"),
            ("希望自己死了", "希望自己死了"),
            ("睡着了不再醒来", "睡著了不再醒來"),
            ("一睡不醒", "一睡不醒"),
            ("想自杀", "想自殺"),
            ("自杀", "自殺"),
            ("轻生", "輕生"),
            ("杀了自己", "殺了自己"),
            ("结束自己", "結束自己"),
            ("结束生命", "結束生命"),
            ("了结自己", "了結自己"),
            ("一了百了", "一了百了"),
            ("没有我大家会更好", "沒有我大家會更好"),
            ("没有我你们会更好", "沒有我你們會更好"),
            ("我是个负担", "我是個負擔"),
            ("我是负担", "我是負擔"),
            ("自己是个负担", "自己是個負擔"),
            ("自己是负担", "自己是負擔"),
            ("你们就轻松了", "你們就輕鬆了"),
            ("跳楼", "跳樓"),
            ("跳河", "跳河"),
            ("烧炭", "燒炭"),
            ("割腕", "割腕"),
            ("上吊", "上吊"),
            ("喝农药", "喝農藥"),
            ("吞安眠药", "呑安眠藥"),
        ]
        .into_iter()
        .collect();
        let list = DespairPhrases::builtin();
        // The English phrases have no traditional spelling: letters only.
        let chinese = |p: &&Phrase| !p.text.is_ascii();
        for phrase in list.phrases.iter().filter(chinese) {
            let spelled = traditional
                .get(phrase.text.as_str())
                .unwrap_or_else(|| panic!("{} has no traditional spelling here", phrase.text));
            let found = list.find(spelled).map(|p| p.text.as_str());
            assert!(found.is_some(), "{spelled} was not caught");
            assert_eq!(found, list.find(&phrase.text).map(|p| p.text.as_str()));
        }
    }

    #[test]
    fn everyday_expressions_that_contain_a_phrase_are_near_misses() {
        let list = DespairPhrases::builtin();
        for text in [
            "好久不见，想死你了！",
            "妈妈说想死我了",
            "我不想死在路上，骑车要小心",
            "我不想活成我爸那样",
            "跳楼价甩卖",
            "今天累死了，饿死了",
            "笑死我了",
            "不要伤害自己的身体，多休息",
            "送餐太赶了，今天被差评",
            "I don't want to die on this road, so I ride slowly",
            "Rain all day, orders late, dead tired",
        ] {
            assert_eq!(list.find(text), None, "{text:?} was caught");
        }
        // A near miss covers only its own occurrence: the phrase said elsewhere still counts.
        assert!(list.find("想死你了。但我真的想死").is_some());
    }

    #[test]
    fn a_phrase_still_being_typed_into_a_near_miss_waits_for_the_next_character() {
        let list = DespairPhrases::builtin();
        // 想死 may become 想死你了, 跳楼 跳楼价, "dont want to" … "dont want to die" is whole.
        for typing in ["好久不见，想死", "今天跳楼", "我不想活"] {
            assert_eq!(list.find_while_typing(typing), None, "{typing:?}");
        }
        assert!(list.find("好久不见，想死").is_some());
        // The next character decides: a near miss, or the phrase after all.
        assert_eq!(list.find_while_typing("好久不见，想死你"), None);
        assert!(list.find_while_typing("我真的想死了").is_some());
        // A mark or a space at the end finishes the text as it stands.
        assert!(list.find_while_typing("我真的想死。").is_some());
        assert!(list.find_while_typing("i want to die ").is_some());
        // Only the end waits: a phrase earlier in the text counts at once.
        assert!(list.find_while_typing("不想活了，想死").is_some());
        // A phrase that no near miss begins with never waits.
        assert!(list.find_while_typing("活着没意思").is_some());
    }
}
