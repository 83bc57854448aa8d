//! Scoring, exactly as published: the total is the plain sum of the item values, the band is
//! looked up in the instrument's published ranges, and the crisis rule is checked on its own,
//! whatever the total.

use std::collections::BTreeMap;

use super::instrument::{BandScale, Instrument};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Score {
    pub instrument: String,
    #[serde(skip)]
    pub version: u32,
    /// The answers in item order (kept for the upload record, not printed by `assess`).
    #[serde(skip)]
    pub answers: Vec<u8>,
    pub total: u32,
    pub band: String,
    pub crisis: bool,
    /// Instruments worth taking next, by id.
    pub suggest: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscales: Option<BTreeMap<String, u32>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percent: Option<u32>,
    /// "Talk to a professional": at or above the referral threshold, and always when `crisis`.
    pub refer: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    #[error("{instrument} has {expected} items, but {got} answers were given")]
    WrongCount {
        instrument: String,
        expected: usize,
        got: usize,
    },
    #[error("answer {value} to item {item} is out of range (0 to {max})")]
    OutOfRange { item: usize, value: u32, max: u8 },
}

/// Scores one complete answer vector (values in published item order). `refer_at` is the
/// referral threshold in force (the station's config, else the instrument's own).
pub fn score(
    instrument: &Instrument,
    answers: &[u32],
    refer_at: Option<u32>,
) -> Result<Score, AnswerError> {
    let values = checked_answers(instrument, answers)?;
    let total: u32 = values.iter().map(|v| u32::from(*v)).sum();
    let percent = instrument.percent_factor.map(|f| total * f);
    let on_scale = match instrument.band_on {
        BandScale::Total => total,
        BandScale::Percent => percent.unwrap_or(total),
    };
    // The instrument's bands were checked at load to cover the whole scale without gaps.
    let band = instrument
        .bands
        .iter()
        .find(|b| (b.min..=b.max).contains(&on_scale))
        .map(|b| b.id.clone())
        .unwrap_or_default();
    let crisis = instrument
        .crisis
        .is_some_and(|rule| values[rule.item - 1] >= rule.at_least);
    let subscales = (!instrument.subscales.is_empty()).then(|| {
        instrument
            .subscales
            .iter()
            .map(|s| (s.id.clone(), subscale_sum(instrument, &values, &s.id)))
            .collect()
    });
    Ok(Score {
        instrument: instrument.id.clone(),
        version: instrument.version,
        suggest: suggestions(instrument, &values, total),
        answers: values,
        total,
        band,
        crisis,
        subscales,
        percent,
        // A crisis answer is always referred, whatever the total (docs/care.md).
        refer: crisis || refer_at.is_some_and(|t| total >= t),
    })
}

/// The answers as item values, if there is one for each item and each is on the scale.
fn checked_answers(instrument: &Instrument, answers: &[u32]) -> Result<Vec<u8>, AnswerError> {
    if answers.len() != instrument.items.len() {
        return Err(AnswerError::WrongCount {
            instrument: instrument.id.clone(),
            expected: instrument.items.len(),
            got: answers.len(),
        });
    }
    let max = instrument.max_answer();
    let mut values = Vec::with_capacity(answers.len());
    for (index, &value) in answers.iter().enumerate() {
        match u8::try_from(value) {
            Ok(v) if v <= max => values.push(v),
            _ => {
                return Err(AnswerError::OutOfRange {
                    item: index + 1,
                    value,
                    max,
                });
            }
        }
    }
    Ok(values)
}

/// The sum of the items of the subscale `id` (0 for a subscale the instrument lacks).
fn subscale_sum(instrument: &Instrument, values: &[u8], id: &str) -> u32 {
    let sub = instrument.subscales.iter().find(|s| s.id == id);
    sub.map_or(0, |s| {
        s.items.iter().map(|i| u32::from(values[i - 1])).sum()
    })
}

/// The instruments the suggestion rules point to, each once, in the rules' order.
fn suggestions(instrument: &Instrument, values: &[u8], total: u32) -> Vec<String> {
    let mut suggest: Vec<String> = Vec::new();
    for rule in &instrument.suggest {
        let value = rule
            .subscale
            .as_deref()
            .map_or(total, |id| subscale_sum(instrument, values, id));
        let hit = rule.at_least.is_some_and(|n| value >= n)
            || rule.below.is_some_and(|n| value < n)
            || rule
                .any_item_at_most
                .is_some_and(|n| values.iter().any(|v| *v <= n));
        if hit && !suggest.contains(&rule.instrument) {
            suggest.push(rule.instrument.clone());
        }
    }
    suggest
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::screening::Catalogue;

    fn run(id: &str, answers: &[u32]) -> Score {
        let c = Catalogue::builtin();
        let i = c.get(id).unwrap();
        score(i, answers, i.refer_at).unwrap()
    }

    #[test]
    fn phq9_item_9_alone_is_a_crisis_even_with_a_minimal_total() {
        let s = run("phq9", &[0, 0, 0, 0, 0, 0, 0, 0, 1]);
        assert_eq!(
            (s.total, s.band.as_str(), s.crisis, s.refer),
            (1, "minimal", true, true)
        );
    }

    #[test]
    fn refer_is_true_whenever_crisis_is_whatever_the_threshold() {
        let c = Catalogue::builtin();
        let phq9 = c.get("phq9").unwrap();
        for item9 in 1..=3 {
            for refer_at in [None, Some(5), Some(15)] {
                let s = score(phq9, &[0, 0, 0, 0, 0, 0, 0, 0, item9], refer_at).unwrap();
                assert!(
                    s.crisis && s.refer,
                    "item 9 = {item9}, refer_at {refer_at:?}"
                );
            }
        }
        let calm = score(phq9, &[0; 9], Some(5)).unwrap();
        assert!(!calm.crisis && !calm.refer);
    }

    #[test]
    fn phq9_band_edges_and_referral() {
        assert_eq!(run("phq9", &[1, 1, 1, 1, 0, 0, 0, 0, 0]).band, "minimal");
        assert_eq!(run("phq9", &[1, 1, 1, 1, 1, 0, 0, 0, 0]).band, "mild");
        let ten = run("phq9", &[2, 2, 2, 2, 2, 0, 0, 0, 0]);
        assert_eq!(
            (ten.band.as_str(), ten.refer, ten.crisis),
            ("moderate", true, false)
        );
        assert_eq!(run("phq9", &[3; 9]).band, "severe");
    }

    #[test]
    fn phq4_suggests_the_phq9_from_a_total_of_3_even_when_split_across_subscales() {
        // 2 + 1: neither subscale reaches 3, but the "mild" text points to a fuller check.
        let s = run("phq4", &[2, 0, 1, 0]);
        assert_eq!((s.total, s.band.as_str()), (3, "mild"));
        assert_eq!(s.suggest, ["phq9"]);
        assert!(run("phq4", &[1, 0, 1, 0]).suggest.is_empty());
        assert_eq!(run("phq4", &[3, 0, 0, 0]).suggest, ["gad7", "phq9"]);
    }

    #[test]
    fn who5_suggests_the_phq9_when_any_item_is_0_or_1_even_with_a_good_total() {
        // Raw 17 (68 %, "good"), but one item answered "some of the time".
        let s = run("who5", &[4, 4, 4, 4, 1]);
        assert_eq!((s.percent, s.band.as_str()), (Some(68), "good"));
        assert_eq!(s.suggest, ["phq9"]);
        assert_eq!(run("who5", &[0, 5, 5, 5, 5]).suggest, ["phq9"]);
        assert!(run("who5", &[2, 5, 5, 5, 5]).suggest.is_empty());
        // Both rules together suggest it once.
        assert_eq!(run("who5", &[1, 1, 1, 1, 1]).suggest, ["phq9"]);
    }

    #[test]
    fn phq4_reports_subscales_and_suggests_the_full_questionnaires() {
        let s = run("phq4", &[2, 1, 0, 3]);
        assert_eq!(s.total, 6);
        assert_eq!(s.band, "moderate");
        assert_eq!(s.subscales.as_ref().unwrap()["anxiety"], 3);
        assert_eq!(s.subscales.as_ref().unwrap()["depression"], 3);
        assert_eq!(s.suggest, ["gad7", "phq9"]);
        assert!(!s.refer, "PHQ-4 has no referral threshold of its own");
    }

    #[test]
    fn who5_percentage_bands_and_suggestion() {
        let s = run("who5", &[3, 3, 3, 2, 2]);
        assert_eq!(
            (s.total, s.percent, s.band.as_str()),
            (13, Some(52), "good")
        );
        assert!(s.suggest.is_empty());
        let s = run("who5", &[3, 3, 2, 2, 2]);
        assert_eq!((s.total, s.percent, s.band.as_str()), (12, Some(48), "low"));
        assert_eq!(s.suggest, ["phq9"]);
        assert_eq!(run("who5", &[2, 2, 2, 1, 0]).band, "very_low");
    }

    #[test]
    fn wrong_counts_and_out_of_range_values_are_named() {
        let c = Catalogue::builtin();
        let gad7 = c.get("gad7").unwrap();
        assert_eq!(
            score(gad7, &[0; 6], None).unwrap_err().to_string(),
            "gad7 has 7 items, but 6 answers were given"
        );
        assert_eq!(
            score(gad7, &[0, 0, 4, 0, 0, 0, 0], None)
                .unwrap_err()
                .to_string(),
            "answer 4 to item 3 is out of range (0 to 3)"
        );
        assert!(score(gad7, &[0, 0, 0, 0, 0, 0, 300], None).is_err());
    }
}
