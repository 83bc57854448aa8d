//! One visit's self-checks: the topic chosen, the questionnaire under way, and the results.
//!
//! This is session state (a field of `kiosk::Session`), so a wipe forgets every answer.

use super::instrument::{Catalogue, Instrument};
use super::scoring::{Score, score};
use crate::language::Language;

/// A questionnaire being answered, one question at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Questionnaire {
    pub instrument: String,
    /// One slot per item; `None` until answered.
    pub answers: Vec<Option<u8>>,
    /// The item shown now (0-based).
    pub index: usize,
}

/// What the kiosk should show after an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AfterAnswer {
    /// The next question.
    Next,
    /// The crisis screen, at once. `completed` holds the score if that answer also finished
    /// the questionnaire (PHQ-9 item 9 is its last item).
    Crisis { completed: Option<Score> },
    /// The questionnaire is complete: show the result.
    Result(Score),
}

/// Why an answer could not be taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FlowError {
    #[error("no questionnaire is under way")]
    NotStarted,
    #[error("unknown instrument {0}")]
    UnknownInstrument(String),
    #[error("{value} is not an answer to this question")]
    BadAnswer { value: u8 },
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SelfCheck {
    /// The theme the worker picked, by id (later also guides the resource directory).
    pub topic: Option<String>,
    pub running: Option<Questionnaire>,
    /// Completed this visit, oldest first.
    pub results: Vec<Score>,
    /// Any answer this visit met a crisis rule. It stays set until the session is wiped.
    pub crisis: bool,
    /// The "stop this self-check?" question is showing.
    pub confirming_stop: bool,
}

/// A questionnaire left before its end: only the instrument and the question reached are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Abandoned {
    pub instrument: String,
    pub version: u32,
    /// 1-based number of the question shown when it was left.
    pub reached: usize,
}

impl SelfCheck {
    /// Starts a questionnaire (any one under way is replaced; the caller records it first).
    pub fn start(&mut self, catalogue: &Catalogue, id: &str) -> Result<(), FlowError> {
        let instrument = catalogue
            .get(id)
            .ok_or_else(|| FlowError::UnknownInstrument(id.into()))?;
        self.running = Some(Questionnaire {
            instrument: id.into(),
            answers: vec![None; instrument.items.len()],
            index: 0,
        });
        Ok(())
    }

    pub fn current<'c>(
        &self,
        catalogue: &'c Catalogue,
    ) -> Option<(&Questionnaire, &'c Instrument)> {
        let q = self.running.as_ref()?;
        Some((q, catalogue.get(&q.instrument)?))
    }

    /// Takes the answer to the question shown now.
    pub fn answer(
        &mut self,
        catalogue: &Catalogue,
        value: u8,
        refer_at: Option<u32>,
    ) -> Result<AfterAnswer, FlowError> {
        let q = self.running.as_mut().ok_or(FlowError::NotStarted)?;
        let instrument = catalogue
            .get(&q.instrument)
            .ok_or_else(|| FlowError::UnknownInstrument(q.instrument.clone()))?;
        if !instrument.options.iter().any(|o| o.value == value) {
            return Err(FlowError::BadAnswer { value });
        }
        q.answers[q.index] = Some(value);
        let crisis_now = instrument
            .crisis
            .is_some_and(|rule| rule.item == q.index + 1 && value >= rule.at_least);
        self.crisis |= crisis_now;

        let completed = if q.index + 1 < q.answers.len() {
            q.index += 1;
            None
        } else {
            let answers: Vec<u32> = q
                .answers
                .iter()
                .map(|a| u32::from(a.unwrap_or(0)))
                .collect();
            // Every slot is filled: the index only moves forward after an answer.
            let result = score(instrument, &answers, refer_at)
                .map_err(|_| FlowError::BadAnswer { value })?;
            self.running = None;
            self.results.push(result.clone());
            Some(result)
        };
        Ok(match (crisis_now, completed) {
            (true, completed) => AfterAnswer::Crisis { completed },
            (false, Some(result)) => AfterAnswer::Result(result),
            (false, None) => AfterAnswer::Next,
        })
    }

    /// Goes back one question. Returns false on the first question (the caller then leaves the
    /// questionnaire screen the normal way).
    pub fn previous(&mut self) -> bool {
        match self.running.as_mut() {
            Some(q) if q.index > 0 => {
                q.index -= 1;
                true
            }
            _ => false,
        }
    }

    /// Stops the questionnaire under way, returning what may be recorded of it.
    pub fn abandon(&mut self, catalogue: &Catalogue) -> Option<Abandoned> {
        let q = self.running.take()?;
        let version = catalogue.get(&q.instrument).map_or(0, |i| i.version);
        Some(Abandoned {
            instrument: q.instrument,
            version,
            reached: q.index + 1,
        })
    }

    pub fn latest(&self) -> Option<&Score> {
        self.results.last()
    }

    /// What the result screen says about the latest result. Once a crisis rule fired in this
    /// visit, every result (of any instrument, at any total) gets the after-crisis words and
    /// the referral instead of its band's words, which for a low total would reassure.
    pub fn shown_result<'c>(
        &self,
        catalogue: &'c Catalogue,
        lang: Language,
    ) -> Option<ShownResult<'c>> {
        let score = self.latest()?;
        let instrument = catalogue.get(&score.instrument)?;
        if self.crisis || score.crisis {
            let words = &catalogue.after_crisis;
            return Some(ShownResult {
                title: words.title(lang),
                text: words.text(lang),
                refer: true,
                after_crisis: true,
            });
        }
        let band = instrument.band(&score.band)?;
        Some(ShownResult {
            title: band.title(lang),
            text: band.text(lang),
            refer: score.refer,
            after_crisis: false,
        })
    }
}

/// The words of a result as the result screen shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShownResult<'c> {
    pub title: &'c str,
    pub text: &'c str,
    /// "We suggest you talk to a professional" rather than "if you want to talk to someone".
    pub refer: bool,
    /// The after-crisis words replaced the band's.
    pub after_crisis: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer_all(check: &mut SelfCheck, c: &Catalogue, values: &[u8]) -> Vec<AfterAnswer> {
        values
            .iter()
            .map(|v| check.answer(c, *v, Some(10)).unwrap())
            .collect()
    }

    #[test]
    fn a_full_phq9_with_item_9_at_one_goes_to_crisis_with_the_result() {
        let c = Catalogue::builtin();
        let mut check = SelfCheck::default();
        check.start(&c, "phq9").unwrap();
        let steps = answer_all(&mut check, &c, &[0, 0, 0, 0, 0, 0, 0, 0, 1]);
        assert!(steps[..8].iter().all(|s| *s == AfterAnswer::Next));
        match &steps[8] {
            AfterAnswer::Crisis {
                completed: Some(score),
            } => assert!(score.crisis && score.total == 1),
            other => panic!("expected crisis, got {other:?}"),
        }
        assert!(check.crisis);
        assert!(check.running.is_none());
        assert_eq!(check.latest().unwrap().instrument, "phq9");
    }

    /// Words no result may show after a crisis answer: they say the worker is fine.
    const REASSURING: [&str; 8] = [
        "平稳",
        "不错",
        "歇一歇",
        "很少",
        "steady",
        "good",
        "fine",
        "few signs",
    ];

    #[test]
    fn after_a_crisis_every_result_of_every_instrument_is_crisis_aware_and_refers() {
        let c = Catalogue::builtin();
        // The lowest and highest answer vectors of each instrument, after PHQ-9 item 9 = 1.
        for instrument in &c.instruments {
            for value in [0, instrument.max_answer()] {
                let mut check = SelfCheck::default();
                check.start(&c, "phq9").unwrap();
                answer_all(&mut check, &c, &[0, 0, 0, 0, 0, 0, 0, 0, 1]);
                check.start(&c, &instrument.id).unwrap();
                let values = vec![value; instrument.items.len()];
                answer_all(&mut check, &c, &values);
                for lang in [Language::Chinese, Language::English] {
                    let shown = check.shown_result(&c, lang).unwrap();
                    assert!(
                        shown.after_crisis && shown.refer,
                        "{} {value}",
                        instrument.id
                    );
                    for word in REASSURING {
                        assert!(
                            !shown.title.contains(word) && !shown.text.contains(word),
                            "{} {value}: '{word}' in {shown:?}",
                            instrument.id
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn phq9_with_only_item_9_shows_the_after_crisis_words_not_the_minimal_band() {
        let c = Catalogue::builtin();
        let mut check = SelfCheck::default();
        check.start(&c, "phq9").unwrap();
        answer_all(&mut check, &c, &[0, 0, 0, 0, 0, 0, 0, 0, 1]);
        let minimal = c.get("phq9").unwrap().band("minimal").unwrap();
        let shown = check.shown_result(&c, Language::Chinese).unwrap();
        assert_eq!(shown.title, c.after_crisis.title_zh);
        assert_ne!(shown.text, minimal.text_zh);
        assert!(shown.refer);
    }

    #[test]
    fn without_a_crisis_the_band_words_and_threshold_decide() {
        let c = Catalogue::builtin();
        let mut check = SelfCheck::default();
        check.start(&c, "phq9").unwrap();
        answer_all(&mut check, &c, &[0; 9]);
        let shown = check.shown_result(&c, Language::English).unwrap();
        let minimal = c.get("phq9").unwrap().band("minimal").unwrap();
        assert_eq!(
            (shown.title, shown.refer),
            (minimal.title_en.as_str(), false)
        );
        assert!(!shown.after_crisis);
        check.start(&c, "phq9").unwrap();
        answer_all(&mut check, &c, &[2, 2, 2, 2, 2, 0, 0, 0, 0]);
        assert!(check.shown_result(&c, Language::English).unwrap().refer);
    }

    #[test]
    fn previous_revisits_and_changes_an_answer() {
        let c = Catalogue::builtin();
        let mut check = SelfCheck::default();
        check.start(&c, "gad7").unwrap();
        assert!(!check.previous(), "nothing before the first question");
        answer_all(&mut check, &c, &[3, 3]);
        assert!(check.previous());
        assert_eq!(check.running.as_ref().unwrap().index, 1);
        let steps = answer_all(&mut check, &c, &[0, 0, 0, 0, 0, 0]);
        match steps.last().unwrap() {
            AfterAnswer::Result(score) => assert_eq!(score.total, 3),
            other => panic!("expected a result, got {other:?}"),
        }
    }

    #[test]
    fn abandoning_keeps_only_the_instrument_and_the_question_reached() {
        let c = Catalogue::builtin();
        let mut check = SelfCheck::default();
        check.start(&c, "phq9").unwrap();
        answer_all(&mut check, &c, &[1, 2, 3]);
        let left = check.abandon(&c).unwrap();
        assert_eq!(
            left,
            Abandoned {
                instrument: "phq9".into(),
                version: 1,
                reached: 4
            }
        );
        assert!(check.running.is_none() && check.results.is_empty());
        assert!(check.abandon(&c).is_none());
    }

    #[test]
    fn answers_must_be_offered_options() {
        let c = Catalogue::builtin();
        let mut check = SelfCheck::default();
        assert_eq!(check.answer(&c, 0, None), Err(FlowError::NotStarted));
        check.start(&c, "phq4").unwrap();
        assert_eq!(
            check.answer(&c, 4, None),
            Err(FlowError::BadAnswer { value: 4 })
        );
        assert!(check.start(&c, "k10").is_err());
    }
}
