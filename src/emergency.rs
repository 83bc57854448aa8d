//! The short list of emergency lines built into the kiosk (`assets/data/emergency-lines.toml`).
//!
//! It is data, not code: the numbers, the words on when to call and the source of each entry
//! live in the TOML file, which is embedded in the binary so the emergency screen works even
//! when everything else is missing.

use serde::Deserialize;

use crate::language::Language;

const EMBEDDED: &str = include_str!("../assets/data/emergency-lines.toml");

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmergencyLine {
    pub number: String,
    pub name_zh: String,
    pub name_en: String,
    pub when_zh: String,
    pub when_en: String,
    /// What to do once the call connects (e.g. "press 3"), empty when nothing.
    pub then_zh: String,
    pub then_en: String,
    /// Opening hours as the source states them; empty when the source gives none.
    pub hours_zh: String,
    pub hours_en: String,
    /// Lines for danger to life right now (110, 120), shown in the alarm colour.
    pub urgent: bool,
    /// The document (and date) this entry comes from.
    pub source: String,
}

/// One line's text in one language, ready for a screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineText<'a> {
    pub number: &'a str,
    pub name: &'a str,
    pub when: &'a str,
    pub then: &'a str,
    pub hours: &'a str,
    pub urgent: bool,
}

impl EmergencyLine {
    pub fn text(&self, lang: Language) -> LineText<'_> {
        LineText {
            number: &self.number,
            name: lang.pick(&self.name_zh, &self.name_en),
            when: lang.pick(&self.when_zh, &self.when_en),
            then: lang.pick(&self.then_zh, &self.then_en),
            hours: lang.pick(&self.hours_zh, &self.hours_en),
            urgent: self.urgent,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    line: Vec<EmergencyLine>,
}

/// Parses and checks a list of lines. Every entry must name its source and have its text in
/// both languages; a number is digits and dashes only.
pub fn parse(text: &str) -> Result<Vec<EmergencyLine>, String> {
    let file: File = toml::from_str(text).map_err(|e| e.message().to_string())?;
    for line in &file.line {
        let n = &line.number;
        if n.is_empty() || !n.chars().all(|c| c.is_ascii_digit() || c == '-') {
            return Err(format!("line '{n}': a number is digits and dashes only"));
        }
        if line.source.trim().is_empty() {
            return Err(format!("line '{n}': every entry must name its source"));
        }
        let pairs = [
            (&line.name_zh, &line.name_en),
            (&line.when_zh, &line.when_en),
            (&line.then_zh, &line.then_en),
            (&line.hours_zh, &line.hours_en),
        ];
        if pairs.iter().any(|(zh, en)| zh.is_empty() != en.is_empty()) {
            return Err(format!(
                "line '{n}': Chinese and English text must both be given or both empty"
            ));
        }
        if line.name_zh.is_empty() || line.when_zh.is_empty() {
            return Err(format!(
                "line '{n}': a name and when-to-call text are required"
            ));
        }
    }
    if file.line.is_empty() {
        return Err("the emergency list is empty".into());
    }
    Ok(file.line)
}

/// The lines built into the kiosk. The embedded file is checked by a unit test, so this cannot
/// fail in a released binary.
pub fn builtin() -> Vec<EmergencyLine> {
    parse(EMBEDDED).expect("the embedded emergency list is checked by tests")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_list_has_the_four_lines_the_mission_names_each_with_a_source() {
        let lines = builtin();
        let numbers: Vec<&str> = lines.iter().map(|l| l.number.as_str()).collect();
        assert_eq!(numbers, ["120", "110", "12356", "12351"]);
        assert!(lines.iter().all(|l| !l.source.trim().is_empty()));
        let union = &lines[3];
        assert!(
            union.then_zh.contains('3') && union.then_en.contains('3'),
            "12351 needs key 3"
        );
        assert!(
            lines
                .iter()
                .filter(|l| l.urgent)
                .all(|l| l.number == "110" || l.number == "120")
        );
    }

    #[test]
    fn an_entry_without_a_source_is_refused() {
        let text = EMBEDDED.replacen("source = \"Nationwide", "source = \"\" # \"", 1);
        let err = parse(&text).unwrap_err();
        assert!(err.contains("source"), "{err}");
    }

    #[test]
    fn a_number_with_letters_is_refused() {
        let text = EMBEDDED.replacen("number = \"110\"", "number = \"11O\"", 1);
        assert!(parse(&text).unwrap_err().contains("digits"));
    }

    #[test]
    fn text_follows_the_language() {
        let lines = builtin();
        assert_eq!(lines[2].text(Language::Chinese).name, "全国心理援助热线");
        assert_eq!(
            lines[2].text(Language::English).name,
            "National psychological help line"
        );
        assert_eq!(lines[2].text(Language::English).hours, "");
    }
}
