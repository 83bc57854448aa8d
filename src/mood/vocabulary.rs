//! The words, tags and replies of the check-in (`assets/mood/vocabulary.toml`), embedded and
//! checked at start-up.

use serde::Deserialize;

use super::Quadrant;
use crate::language::Language;

const EMBEDDED: &str = include_str!("../../assets/mood/vocabulary.toml");

/// The tag that means "nothing in particular"; it cannot be combined with others.
pub const NOTHING: &str = "nothing";

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Word {
    pub id: String,
    pub quadrant: Quadrant,
    pub zh: String,
    pub en: String,
    /// The word can signal distress beyond a bad day: the help lines are always offered.
    #[serde(default)]
    pub distress: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tag {
    pub id: String,
    pub zh: String,
    pub en: String,
}

/// A quadrant's short label (for the week view) and the kind reply after a check-in in it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuadrantText {
    pub id: Quadrant,
    pub label_zh: String,
    pub label_en: String,
    pub reply_zh: String,
    pub reply_en: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vocabulary {
    #[serde(rename = "word")]
    pub words: Vec<Word>,
    #[serde(rename = "tag")]
    pub tags: Vec<Tag>,
    #[serde(rename = "quadrant")]
    pub quadrants: Vec<QuadrantText>,
}

impl Vocabulary {
    pub fn parse(text: &str) -> Result<Vocabulary, String> {
        let v: Vocabulary = toml::from_str(text).map_err(|e| e.message().to_string())?;
        let mut ids: Vec<&str> = v
            .words
            .iter()
            .map(|w| w.id.as_str())
            .chain(v.tags.iter().map(|t| t.id.as_str()))
            .collect();
        ids.sort_unstable();
        if let Some(pair) = ids.windows(2).find(|p| p[0] == p[1]) {
            return Err(format!("'{}' is used twice", pair[0]));
        }
        for q in Quadrant::ALL {
            let words = v.words.iter().filter(|w| w.quadrant == q).count();
            if !(6..=12).contains(&words) {
                return Err(format!(
                    "quadrant {} has {words} words; 6 to 12 fit the screen",
                    q.id()
                ));
            }
            if v.quadrants.iter().filter(|t| t.id == q).count() != 1 {
                return Err(format!(
                    "quadrant {} needs exactly one label and reply",
                    q.id()
                ));
            }
        }
        if !v.tags.iter().any(|t| t.id == NOTHING) {
            return Err(format!("the '{NOTHING}' tag is missing"));
        }
        let texts = v
            .words
            .iter()
            .map(|w| (&w.zh, &w.en))
            .chain(v.tags.iter().map(|t| (&t.zh, &t.en)));
        if texts
            .chain(
                v.quadrants
                    .iter()
                    .flat_map(|t| [(&t.label_zh, &t.label_en), (&t.reply_zh, &t.reply_en)]),
            )
            .any(|(zh, en)| zh.trim().is_empty() || en.trim().is_empty())
        {
            return Err("every word, tag and reply needs Chinese and English".into());
        }
        Ok(v)
    }

    /// The built-in vocabulary, checked by a unit test.
    pub fn builtin() -> Vocabulary {
        Vocabulary::parse(EMBEDDED).expect("the built-in vocabulary is checked by tests")
    }

    pub fn word(&self, id: &str) -> Option<&Word> {
        self.words.iter().find(|w| w.id == id)
    }

    pub fn tag(&self, id: &str) -> Option<&Tag> {
        self.tags.iter().find(|t| t.id == id)
    }

    pub fn words_in(&self, quadrant: Quadrant) -> impl Iterator<Item = &Word> {
        self.words.iter().filter(move |w| w.quadrant == quadrant)
    }

    pub fn reply(&self, quadrant: Quadrant, lang: Language) -> &str {
        self.quadrants
            .iter()
            .find(|t| t.id == quadrant)
            .map_or("", |t| lang.pick(&t.reply_zh, &t.reply_en))
    }

    pub fn quadrant_label(&self, quadrant: Quadrant, lang: Language) -> &str {
        self.quadrants
            .iter()
            .find(|t| t.id == quadrant)
            .map_or("", |t| lang.pick(&t.label_zh, &t.label_en))
    }
}

impl Word {
    pub fn label(&self, lang: Language) -> &str {
        lang.pick(&self.zh, &self.en)
    }
}

impl Tag {
    pub fn label(&self, lang: Language) -> &str {
        lang.pick(&self.zh, &self.en)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_vocabulary_has_about_ten_words_per_quadrant_and_the_issue_tags() {
        let v = Vocabulary::builtin();
        assert_eq!(v.words.len(), 40);
        for q in Quadrant::ALL {
            assert_eq!(v.words_in(q).count(), 10);
        }
        let tags: Vec<&str> = v.tags.iter().map(|t| t.id.as_str()).collect();
        for t in [
            "orders",
            "ratings",
            "fines",
            "weather",
            "traffic",
            "income",
            "family",
            "sleep",
            "health",
            "loneliness",
            "nothing",
        ] {
            assert!(tags.contains(&t), "missing tag {t}");
        }
        assert!(!v.reply(Quadrant::Blue, Language::Chinese).is_empty());
    }

    #[test]
    fn duplicate_ids_and_missing_replies_are_refused() {
        let doubled = EMBEDDED.replacen("id = \"rushed\"", "id = \"irritated\"", 1);
        assert!(
            Vocabulary::parse(&doubled)
                .unwrap_err()
                .contains("used twice")
        );
        let no_reply = EMBEDDED.replacen("id = \"green\"\nlabel_zh", "id = \"blue\"\nlabel_zh", 1);
        assert!(
            Vocabulary::parse(&no_reply)
                .unwrap_err()
                .contains("exactly one label and reply")
        );
    }
}
