//! One visit's mood check-in, as session state: what was picked so far, the check-in once it
//! is saved, and the personal code (entered, or taken afterwards). Wiped with the session.

use super::code::{ALPHABET, CodeThrottle, PersonalCode};
use super::personal::CodeKeys;
use super::{CheckIn, CheckInError, Quadrant, Vocabulary, vocabulary::NOTHING};
use crate::keypad::PadKey;

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

/// What the code pad says now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodePadShows {
    Nothing,
    /// A code's keys are being derived.
    Checking,
    /// The last try's outcome.
    Notice(CodeNotice),
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

    /// A key on the code pad. A code's character is typed and erase takes one back (each
    /// clears the last notice); enter returns the typed code when a check may start (none is
    /// under way and the throttle and the code's shape allow it: `code_to_check`).
    pub fn press(
        &mut self,
        key: PadKey,
        throttle: &CodeThrottle,
        now: std::time::Duration,
    ) -> Option<PersonalCode> {
        match key {
            // Only the pad's own characters: a code is never typed in another shape.
            PadKey::Char(c) if c.is_ascii() && ALPHABET.contains(&(c as u8)) => self.type_char(c),
            PadKey::Char(_) => {}
            PadKey::Erase => self.erase(),
            PadKey::Enter if self.checking.is_none() => return self.code_to_check(throttle, now),
            PadKey::Enter => {}
        }
        None
    }

    /// What is typed, as a code is written: in two groups of four ("ABCD-EF").
    pub fn typed_shown(&self) -> String {
        self.typed
            .chars()
            .enumerate()
            .flat_map(|(i, c)| (i == 4).then_some('-').into_iter().chain([c]))
            .collect()
    }

    /// What the pad says: that it is checking while a check runs, else the last notice.
    pub fn shown_notice(&self) -> CodePadShows {
        match (self.checking, self.notice) {
            (Some(_), _) => CodePadShows::Checking,
            (None, None) => CodePadShows::Nothing,
            (None, Some(notice)) => CodePadShows::Notice(notice),
        }
    }

    /// Adds a typed character (ignoring any beyond a full code).
    fn type_char(&mut self, c: char) {
        if self.typed.chars().count() < super::code::LENGTH {
            self.typed.push(c);
        }
        self.notice = None;
    }

    fn erase(&mut self) {
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

    #[test]
    fn the_code_pad_types_only_code_characters_and_shows_them_in_two_groups() {
        let mut v = MoodVisit::default();
        let throttle = CodeThrottle::default();
        let now = Duration::from_secs(0);
        for c in "AB1xI9-ZQ3RS".chars() {
            assert_eq!(v.press(PadKey::Char(c), &throttle, now), None);
        }
        // Lowercase, I and the dash are no code's characters; the ninth is one too many.
        assert_eq!(v.typed, "AB19ZQ3R");
        assert_eq!(v.typed_shown(), "AB19-ZQ3R");
        v.press(PadKey::Erase, &throttle, now);
        v.press(PadKey::Erase, &throttle, now);
        v.press(PadKey::Erase, &throttle, now);
        v.press(PadKey::Erase, &throttle, now);
        assert_eq!(v.typed_shown(), "AB19", "no dash before a second group");
    }

    #[test]
    fn enter_checks_a_well_formed_code_only_when_no_check_runs() {
        let mut v = MoodVisit::default();
        let throttle = CodeThrottle::default();
        let now = Duration::from_secs(0);
        v.press(PadKey::Char('7'), &throttle, now);
        assert_eq!(v.press(PadKey::Enter, &throttle, now), None);
        assert_eq!(
            v.shown_notice(),
            CodePadShows::Notice(CodeNotice::Malformed)
        );
        v.press(PadKey::Erase, &throttle, now);
        assert_eq!(
            v.shown_notice(),
            CodePadShows::Nothing,
            "a key clears the notice"
        );
        for c in "ABCDEFGH".chars() {
            v.press(PadKey::Char(c), &throttle, now);
        }
        v.checking = Some(1);
        assert_eq!(
            v.press(PadKey::Enter, &throttle, now),
            None,
            "one check at a time"
        );
        assert_eq!(v.shown_notice(), CodePadShows::Checking);
        v.checking = None;
        let code = v
            .press(PadKey::Enter, &throttle, now)
            .expect("a code to check");
        assert_eq!(code.display(), "ABCD-EFGH");
    }
}
