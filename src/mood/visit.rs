//! One visit's mood check-in, as session state: what was picked so far, the check-in once it
//! is saved, and the personal code (entered, or taken afterwards). Wiped with the session.

use super::code::{CodeThrottle, PersonalCode};
use super::personal::CodeKeys;
use super::{CheckIn, CheckInError, Quadrant, Vocabulary, vocabulary::NOTHING};

/// One past check-in of a personal code, for the trend strip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrendPoint {
    pub day: String,
    pub quadrant: Quadrant,
    pub word: String,
}

/// What the code keypad says after a try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeNotice {
    /// Not a well-formed code (length or character).
    Malformed,
    /// Well formed, but this kiosk knows no check-ins for it.
    Unknown,
    /// Too many wrong codes: wait this many seconds.
    Wait(u64),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MoodVisit {
    pub pleasantness: Option<i8>,
    pub energy: Option<i8>,
    pub word: Option<String>,
    pub tags: Vec<String>,
    /// The check-in saved this visit, and its Shanghai day.
    pub saved: Option<(CheckIn, String)>,
    /// The lookup tag and sealing key of the worker's personal code, once entered or taken.
    pub code_keys: Option<CodeKeys>,
    /// A code just taken, to show large until the visit ends. Never stored anywhere else.
    pub new_code: Option<String>,
    /// The code's past check-ins, shown as a strip.
    pub trend: Vec<TrendPoint>,
    /// What has been typed on the code keypad.
    pub typed: String,
    /// A code's keys being derived off the UI thread (its job number): the pad says it is
    /// checking. Wiped with the visit, so a result for a visit that ended shows nothing.
    pub checking: Option<u64>,
    pub notice: Option<CodeNotice>,
    /// When the breathing exercise began, on the kiosk's monotonic clock.
    pub breathing_since: Option<std::time::Duration>,
}

impl MoodVisit {
    pub fn quadrant(&self) -> Option<Quadrant> {
        Some(Quadrant::of(self.pleasantness?, self.energy?))
    }

    /// Picks a point on the grid; a new point clears a word from another quadrant.
    pub fn feel(&mut self, pleasantness: i8, energy: i8) {
        let before = self.quadrant();
        self.pleasantness = Some(pleasantness);
        self.energy = Some(energy);
        if before != self.quadrant() {
            self.word = None;
        }
    }

    /// Turns a tag on or off. "Nothing special" and the other tags exclude each other.
    pub fn toggle_tag(&mut self, tag: &str) {
        if let Some(at) = self.tags.iter().position(|t| t == tag) {
            self.tags.remove(at);
        } else if tag == NOTHING {
            self.tags = vec![NOTHING.to_string()];
        } else {
            self.tags.retain(|t| t != NOTHING);
            self.tags.push(tag.to_string());
        }
    }

    /// The check-in as picked, checked against the vocabulary.
    pub fn check_in(&self, vocabulary: &Vocabulary) -> Result<CheckIn, CheckInError> {
        let p = self.pleasantness.unwrap_or(0);
        let e = self.energy.unwrap_or(0);
        let q = Quadrant::of(p, e);
        CheckIn::new(
            vocabulary,
            q,
            p.into(),
            e.into(),
            self.word.as_deref().unwrap_or(""),
            &self.tags,
        )
    }

    /// Starts a new check-in in the same visit (the code, if any, stays).
    pub fn again(&mut self) {
        let code_keys = self.code_keys.take();
        let trend = std::mem::take(&mut self.trend);
        *self = MoodVisit {
            code_keys,
            trend,
            ..MoodVisit::default()
        };
    }

    /// Adds a typed character (ignoring any beyond a full code).
    pub fn type_char(&mut self, c: char) {
        if self.typed.chars().count() < super::code::LENGTH {
            self.typed.push(c);
        }
        self.notice = None;
    }

    pub fn erase(&mut self) {
        self.typed.pop();
        self.notice = None;
    }

    /// The first half of trying the typed code: refused while the throttle says wait, or when
    /// the code is malformed (the notice says which); otherwise the code, whose keys the caller
    /// derives off the UI thread (Argon2id) before `code_checked`.
    pub fn code_to_check(
        &mut self,
        throttle: &CodeThrottle,
        now: std::time::Duration,
    ) -> Option<PersonalCode> {
        if let Some(wait) = throttle.wait(now) {
            self.notice = Some(CodeNotice::Wait(wait));
            return None;
        }
        match PersonalCode::parse(&self.typed) {
            Ok(code) => {
                self.notice = None;
                Some(code)
            }
            Err(_) => {
                self.notice = Some(CodeNotice::Malformed);
                None
            }
        }
    }

    /// The second half: the code's keys and the check-ins found under them (none for a code
    /// this kiosk does not know, which counts against the kiosk-wide throttle). Returns
    /// whether the code was known.
    pub fn code_checked(
        &mut self,
        throttle: &mut CodeThrottle,
        now: std::time::Duration,
        keys: CodeKeys,
        trend: Vec<TrendPoint>,
    ) -> bool {
        self.typed.clear();
        if trend.is_empty() {
            throttle.failed(now);
            self.notice = Some(
                throttle
                    .wait(now)
                    .map_or(CodeNotice::Unknown, CodeNotice::Wait),
            );
            return false;
        }
        throttle.succeeded();
        self.code_keys = Some(keys);
        self.trend = trend;
        self.notice = None;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_new_point_in_another_quadrant_drops_the_word() {
        let mut v = MoodVisit::default();
        v.feel(-1, 1);
        v.word = Some("tense".into());
        v.feel(-2, 2);
        assert_eq!(v.word.as_deref(), Some("tense"));
        v.feel(1, 1);
        assert_eq!(v.word, None);
    }

    #[test]
    fn nothing_special_and_other_tags_exclude_each_other() {
        let mut v = MoodVisit::default();
        v.toggle_tag("sleep");
        v.toggle_tag("income");
        v.toggle_tag("nothing");
        assert_eq!(v.tags, ["nothing"]);
        v.toggle_tag("fines");
        assert_eq!(v.tags, ["fines"]);
        v.toggle_tag("fines");
        assert!(v.tags.is_empty());
    }

    /// Both halves, as the kiosk runs them (the lookup off the UI thread in between).
    fn try_code(
        v: &mut MoodVisit,
        throttle: &mut CodeThrottle,
        now: Duration,
        lookup: impl FnOnce(&PersonalCode) -> (CodeKeys, Vec<TrendPoint>),
    ) -> bool {
        match v.code_to_check(throttle, now) {
            Some(code) => {
                let (keys, trend) = lookup(&code);
                v.code_checked(throttle, now, keys, trend)
            }
            None => false,
        }
    }

    #[test]
    fn a_wrong_code_counts_against_the_throttle_and_a_right_one_shows_the_trend() {
        let mut v = MoodVisit::default();
        let mut throttle = CodeThrottle::default();
        let point = TrendPoint {
            day: "2026-11-20".into(),
            quadrant: Quadrant::Blue,
            word: "tired".into(),
        };
        let s = Duration::from_secs;
        "ABC".chars().for_each(|c| v.type_char(c));
        assert!(!try_code(&mut v, &mut throttle, s(0), |_| (
            CodeKeys::derive(&[0; 32]),
            vec![]
        )));
        assert_eq!(v.notice, Some(CodeNotice::Malformed));
        for attempt in 0..3 {
            v.typed = "ABCD-EFGH".into();
            assert!(!try_code(&mut v, &mut throttle, s(attempt), |_| (
                CodeKeys::derive(&[0; 32]),
                vec![]
            )));
        }
        assert_eq!(v.notice, Some(CodeNotice::Wait(30)));
        v.typed = "ABCDEFGH".into();
        assert!(
            !try_code(&mut v, &mut throttle, s(10), |_| (
                CodeKeys::derive(&[1; 32]),
                vec![point.clone()]
            )),
            "locked: not even looked up"
        );
        assert!(try_code(&mut v, &mut throttle, s(40), |_| (
            CodeKeys::derive(&[1; 32]),
            vec![point.clone()]
        )));
        assert_eq!(v.trend, [point]);
        assert_eq!(v.code_keys, Some(CodeKeys::derive(&[1; 32])));
        assert_eq!(throttle.wait(s(40)), None);
    }

    #[test]
    fn another_check_in_keeps_the_code_but_nothing_else() {
        let mut v = MoodVisit {
            code_keys: Some(CodeKeys::derive(&[4; 32])),
            word: Some("calm".into()),
            ..Default::default()
        };
        v.feel(1, -1);
        v.again();
        assert_eq!(v.code_keys, Some(CodeKeys::derive(&[4; 32])));
        assert_eq!((v.pleasantness, v.word.clone()), (None, None));
    }
}
