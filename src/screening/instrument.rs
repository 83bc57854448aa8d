//! Instruments as data: the TOML files under `assets/instruments/`, embedded in the binary and
//! checked whole before the kiosk starts (a bad file is a build-time test failure, never a
//! half-working questionnaire).

use serde::Deserialize;

use crate::language::Language;

/// The built-in instruments. Adding one: add its file and a line here; no screen changes.
const BUILT_IN: &[(&str, &str)] = &[
    ("phq4", include_str!("../../assets/instruments/phq4.toml")),
    ("phq9", include_str!("../../assets/instruments/phq9.toml")),
    ("gad7", include_str!("../../assets/instruments/gad7.toml")),
    ("who5", include_str!("../../assets/instruments/who5.toml")),
];
const TOPICS: &str = include_str!("../../assets/instruments/topics.toml");
const AFTER_CRISIS: &str = include_str!("../../assets/instruments/after-crisis.toml");

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Text {
    pub zh: String,
    pub en: String,
}

impl Text {
    pub fn get(&self, lang: Language) -> &str {
        lang.pick(&self.zh, &self.en)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerOption {
    pub value: u8,
    pub zh: String,
    pub en: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum BandScale {
    /// Bands are ranges of the raw total.
    #[default]
    Total,
    /// Bands are ranges of the total × `percent_factor` (WHO-5).
    Percent,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Band {
    pub id: String,
    pub min: u32,
    pub max: u32,
    pub title_zh: String,
    pub title_en: String,
    pub text_zh: String,
    pub text_en: String,
}

impl Band {
    pub fn title(&self, lang: Language) -> &str {
        lang.pick(&self.title_zh, &self.title_en)
    }
    pub fn text(&self, lang: Language) -> &str {
        lang.pick(&self.text_zh, &self.text_en)
    }
}

/// An answer at or above `at_least` to item `item` (1-based) means crisis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrisisRule {
    pub item: usize,
    pub at_least: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subscale {
    pub id: String,
    /// 1-based item numbers.
    pub items: Vec<usize>,
}

/// Suggests another instrument when the total (or a subscale) is at least, or below, a value,
/// or when any single item was answered at most a value (WHO-5's per-item rule).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuggestRule {
    pub instrument: String,
    #[serde(default)]
    pub subscale: Option<String>,
    #[serde(default)]
    pub at_least: Option<u32>,
    #[serde(default)]
    pub below: Option<u32>,
    #[serde(default)]
    pub any_item_at_most: Option<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Instrument {
    pub id: String,
    pub version: u32,
    pub short_zh: String,
    pub short_en: String,
    pub name_zh: String,
    pub name_en: String,
    pub about_zh: String,
    pub about_en: String,
    pub timeframe_zh: String,
    pub timeframe_en: String,
    pub stem_zh: String,
    pub stem_en: String,
    /// The total from which "talk to a professional" is shown (a station may override it).
    #[serde(default)]
    pub refer_at: Option<u32>,
    pub source: String,
    pub licence: String,
    #[serde(default)]
    pub percent_factor: Option<u32>,
    #[serde(default)]
    pub band_on: BandScale,
    pub options: Vec<AnswerOption>,
    pub items: Vec<Text>,
    #[serde(default)]
    pub crisis: Option<CrisisRule>,
    #[serde(default, rename = "subscale")]
    pub subscales: Vec<Subscale>,
    #[serde(default)]
    pub suggest: Vec<SuggestRule>,
    #[serde(rename = "band")]
    pub bands: Vec<Band>,
}

impl Instrument {
    pub fn name(&self, lang: Language) -> &str {
        lang.pick(&self.name_zh, &self.name_en)
    }
    pub fn about(&self, lang: Language) -> &str {
        lang.pick(&self.about_zh, &self.about_en)
    }
    pub fn timeframe(&self, lang: Language) -> &str {
        lang.pick(&self.timeframe_zh, &self.timeframe_en)
    }
    pub fn stem(&self, lang: Language) -> &str {
        lang.pick(&self.stem_zh, &self.stem_en)
    }

    pub fn max_answer(&self) -> u8 {
        self.options.iter().map(|o| o.value).max().unwrap_or(0)
    }

    /// The highest possible raw total.
    pub fn max_total(&self) -> u32 {
        self.items.len() as u32 * u32::from(self.max_answer())
    }

    /// The highest value on the scale the bands use.
    pub fn max_band_value(&self) -> u32 {
        match self.band_on {
            BandScale::Total => self.max_total(),
            BandScale::Percent => self.max_total() * self.percent_factor.unwrap_or(1),
        }
    }

    pub fn band(&self, id: &str) -> Option<&Band> {
        self.bands.iter().find(|b| b.id == id)
    }

    fn check(&self) -> Result<(), String> {
        self.check_shape()
            .and_then(|()| self.check_texts())
            .and_then(|()| self.check_bands())
            .and_then(|()| self.check_item_references())
            .and_then(|()| self.check_suggestions())
            .map_err(|what| format!("instrument {}: {what}", self.id))
    }

    /// Items, at least two options valued 0 to the maximum, and a source and licence.
    fn check_shape(&self) -> Result<(), String> {
        if self.items.is_empty() || self.options.len() < 2 {
            return Err("needs items and at least two answer options".into());
        }
        if self.source.trim().is_empty() || self.licence.trim().is_empty() {
            return Err("must name its source and licence".into());
        }
        let mut values: Vec<u8> = self.options.iter().map(|o| o.value).collect();
        values.sort_unstable();
        if values != (0..=self.max_answer()).collect::<Vec<u8>>() {
            return Err("answer values must be 0..=max, each once".into());
        }
        Ok(())
    }

    /// Every text in both languages.
    fn check_texts(&self) -> Result<(), String> {
        let texts = [
            (&self.name_zh, &self.name_en),
            (&self.about_zh, &self.about_en),
            (&self.timeframe_zh, &self.timeframe_en),
            (&self.stem_zh, &self.stem_en),
        ];
        let items = self.items.iter().map(|t| (&t.zh, &t.en));
        let options = self.options.iter().map(|o| (&o.zh, &o.en));
        let bands = self
            .bands
            .iter()
            .flat_map(|b| [(&b.title_zh, &b.title_en), (&b.text_zh, &b.text_en)]);
        if texts
            .into_iter()
            .chain(items)
            .chain(options)
            .chain(bands)
            .any(|(zh, en)| zh.trim().is_empty() || en.trim().is_empty())
        {
            return Err("every text needs both Chinese and English".into());
        }
        Ok(())
    }

    /// The bands, on a scale they can be read on.
    fn check_bands(&self) -> Result<(), String> {
        if self.band_on == BandScale::Percent && self.percent_factor.is_none() {
            return Err("bands on the percent scale need percent_factor".into());
        }
        // Bands must cover the scale from 0 to its maximum, in order, without gaps or overlaps.
        let mut next = 0;
        for band in &self.bands {
            if band.min != next || band.max < band.min {
                return Err(format!("band {} should start at {next}", band.id));
            }
            next = band.max + 1;
        }
        if next != self.max_band_value() + 1 {
            return Err(format!(
                "bands end at {} but the scale ends at {}",
                next.saturating_sub(1),
                self.max_band_value()
            ));
        }
        Ok(())
    }

    /// The crisis rule and the subscales name items that exist.
    fn check_item_references(&self) -> Result<(), String> {
        let in_range = |item: usize| (1..=self.items.len()).contains(&item);
        if let Some(rule) = self.crisis
            && (!in_range(rule.item) || rule.at_least == 0 || rule.at_least > self.max_answer())
        {
            return Err("crisis rule names a missing item or an impossible answer".into());
        }
        for sub in &self.subscales {
            if sub.items.is_empty() || !sub.items.iter().all(|i| in_range(*i)) {
                return Err(format!("subscale {} names a missing item", sub.id));
            }
        }
        Ok(())
    }

    /// Each suggestion has one condition, and names a subscale only where it can use one.
    fn check_suggestions(&self) -> Result<(), String> {
        for rule in &self.suggest {
            let conditions = [
                rule.at_least.is_some(),
                rule.below.is_some(),
                rule.any_item_at_most.is_some(),
            ];
            if conditions.iter().filter(|c| **c).count() != 1 {
                return Err(format!(
                    "suggestion of {} needs exactly one of at_least, below and any_item_at_most",
                    rule.instrument
                ));
            }
            if rule.any_item_at_most.is_some() && rule.subscale.is_some() {
                return Err(format!(
                    "suggestion of {}: any_item_at_most looks at every item, not a subscale",
                    rule.instrument
                ));
            }
            if let Some(sub) = &rule.subscale
                && !self.subscales.iter().any(|s| &s.id == sub)
            {
                return Err(format!("suggestion names an unknown subscale {sub}"));
            }
        }
        Ok(())
    }
}

/// A plain-language theme a worker picks before a self-check.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Topic {
    pub id: String,
    pub zh: String,
    pub en: String,
    pub instrument: String,
}

impl Topic {
    pub fn label(&self, lang: Language) -> &str {
        lang.pick(&self.zh, &self.en)
    }
}

/// The title and text of every result shown after a crisis rule fired in the visit, whatever
/// the instrument and its band (docs/care.md): no band's "steady" or "good" words may follow a
/// crisis answer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AfterCrisis {
    pub title_zh: String,
    pub title_en: String,
    pub text_zh: String,
    pub text_en: String,
}

impl AfterCrisis {
    pub fn title(&self, lang: Language) -> &str {
        lang.pick(&self.title_zh, &self.title_en)
    }
    pub fn text(&self, lang: Language) -> &str {
        lang.pick(&self.text_zh, &self.text_en)
    }
}

/// Every instrument and topic the kiosk offers, checked together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalogue {
    pub instruments: Vec<Instrument>,
    pub topics: Vec<Topic>,
    pub after_crisis: AfterCrisis,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TopicsFile {
    topic: Vec<Topic>,
}

impl Catalogue {
    /// Parses and checks instrument files, the topics file and the after-crisis words.
    pub fn parse(
        files: &[(&str, &str)],
        topics: &str,
        after_crisis: &str,
    ) -> Result<Catalogue, String> {
        let mut instruments = Vec::new();
        for (name, text) in files {
            let instrument: Instrument =
                toml::from_str(text).map_err(|e| format!("instrument {name}: {}", e.message()))?;
            if instrument.id != *name {
                return Err(format!("instrument {name}: its id says {}", instrument.id));
            }
            instrument.check()?;
            instruments.push(instrument);
        }
        let topics: TopicsFile =
            toml::from_str(topics).map_err(|e| format!("topics: {}", e.message()))?;
        let after_crisis: AfterCrisis =
            toml::from_str(after_crisis).map_err(|e| format!("after-crisis: {}", e.message()))?;
        let words = [
            &after_crisis.title_zh,
            &after_crisis.title_en,
            &after_crisis.text_zh,
            &after_crisis.text_en,
        ];
        if words.iter().any(|w| w.trim().is_empty()) {
            return Err("after-crisis: every text needs both Chinese and English".into());
        }
        let catalogue = Catalogue {
            instruments,
            topics: topics.topic,
            after_crisis,
        };
        let known = |id: &str| catalogue.instruments.iter().any(|i| i.id == id);
        for instrument in &catalogue.instruments {
            if let Some(rule) = instrument.suggest.iter().find(|r| !known(&r.instrument)) {
                return Err(format!(
                    "instrument {} suggests unknown {}",
                    instrument.id, rule.instrument
                ));
            }
        }
        if let Some(topic) = catalogue.topics.iter().find(|t| !known(&t.instrument)) {
            return Err(format!(
                "topic {} leads to unknown {}",
                topic.id, topic.instrument
            ));
        }
        Ok(catalogue)
    }

    /// The built-in catalogue. The embedded files are checked by a unit test, so this cannot
    /// fail in a released binary.
    pub fn builtin() -> Catalogue {
        Catalogue::parse(BUILT_IN, TOPICS, AFTER_CRISIS)
            .expect("the built-in instruments are checked by tests")
    }

    pub fn get(&self, id: &str) -> Option<&Instrument> {
        self.instruments.iter().find(|i| i.id == id)
    }

    pub fn ids(&self) -> Vec<&str> {
        self.instruments.iter().map(|i| i.id.as_str()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_instruments_load_with_their_published_shapes() {
        let catalogue = Catalogue::builtin();
        let shape = |id: &str| {
            let i = catalogue.get(id).unwrap();
            (i.items.len(), i.options.len(), i.max_total())
        };
        assert_eq!(shape("phq9"), (9, 4, 27));
        assert_eq!(shape("gad7"), (7, 4, 21));
        assert_eq!(shape("phq4"), (4, 4, 12));
        assert_eq!(shape("who5"), (5, 6, 25));
        assert_eq!(
            catalogue.get("phq9").unwrap().crisis,
            Some(CrisisRule {
                item: 9,
                at_least: 1
            })
        );
        assert!(
            catalogue
                .instruments
                .iter()
                .all(|i| i.timeframe_zh == "过去两周")
        );
        assert_eq!(catalogue.topics.len(), 7);
    }

    #[test]
    fn phq4_items_are_the_gad7_and_phq9_openers_in_published_order() {
        let c = Catalogue::builtin();
        let (phq4, gad7, phq9) = (
            c.get("phq4").unwrap(),
            c.get("gad7").unwrap(),
            c.get("phq9").unwrap(),
        );
        assert_eq!(phq4.items[0..2], gad7.items[0..2]);
        assert_eq!(phq4.items[2..4], phq9.items[0..2]);
    }

    fn phq9_with(change: impl Fn(String) -> String) -> Result<Catalogue, String> {
        let files: Vec<(&str, String)> = BUILT_IN
            .iter()
            .map(|(n, t)| {
                (
                    *n,
                    if *n == "phq9" {
                        change(t.to_string())
                    } else {
                        t.to_string()
                    },
                )
            })
            .collect();
        let refs: Vec<(&str, &str)> = files.iter().map(|(n, t)| (*n, t.as_str())).collect();
        Catalogue::parse(&refs, TOPICS, AFTER_CRISIS)
    }

    #[test]
    fn a_gap_between_bands_is_refused() {
        let err = phq9_with(|t| t.replacen("min = 5\nmax = 9", "min = 6\nmax = 9", 1)).unwrap_err();
        assert!(err.contains("band mild should start at 5"), "{err}");
    }

    #[test]
    fn bands_that_stop_short_of_the_maximum_are_refused() {
        let err =
            phq9_with(|t| t.replacen("min = 20\nmax = 27", "min = 20\nmax = 26", 1)).unwrap_err();
        assert!(err.contains("scale ends at 27"), "{err}");
    }

    #[test]
    fn missing_source_missing_translation_and_bad_crisis_item_are_refused() {
        assert!(
            phq9_with(|t| t.replacen("source = \"Kroenke", "source = \" \" #", 1))
                .unwrap_err()
                .contains("source")
        );
        assert!(
            phq9_with(|t| t.replacen("en = \"Poor appetite or overeating\"", "en = \"\"", 1))
                .unwrap_err()
                .contains("English")
        );
        assert!(
            phq9_with(|t| t.replacen("item = 9", "item = 10", 1))
                .unwrap_err()
                .contains("crisis")
        );
    }

    #[test]
    fn the_sleep_theme_leads_to_the_phq9_which_asks_about_sleep() {
        // The PHQ-4 has no sleep item; PHQ-9 item 3 is about sleep.
        let c = Catalogue::builtin();
        let sleep = c.topics.iter().find(|t| t.id == "sleep").unwrap();
        assert_eq!(sleep.instrument, "phq9");
        let phq9 = c.get("phq9").unwrap();
        assert!(phq9.items[2].en.to_lowercase().contains("sleep"));
        assert!(
            !c.get("phq4")
                .unwrap()
                .items
                .iter()
                .any(|i| i.en.contains("sleep"))
        );
    }

    #[test]
    fn a_topic_leading_nowhere_is_refused() {
        let topics = TOPICS.replacen("instrument = \"who5\"", "instrument = \"k10\"", 1);
        assert!(
            Catalogue::parse(BUILT_IN, &topics, AFTER_CRISIS)
                .unwrap_err()
                .contains("unknown k10")
        );
    }
}
