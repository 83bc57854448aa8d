//! The anonymous mood check-in (情绪打卡): how you feel on two axes, one word, what weighs on
//! you, and a kind reply with one offer that fits.
//!
//! Pure: the vocabulary is embedded data, the station's week view is computed from counts the
//! caller reads, and the personal code's hash and throttle take their salt, randomness and
//! time from outside. `vocabulary.rs` holds the words and tags, `week.rs` the station view with
//! small-count suppression, `code.rs` the personal code.

pub mod code;
pub mod personal;
pub mod visit;
pub mod vocabulary;
pub mod week;

use serde::{Deserialize, Serialize};

pub use visit::{MoodVisit, TrendPoint};
pub use vocabulary::Vocabulary;

/// The four quadrants of the pleasantness × energy grid, named by their Mood Meter colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Quadrant {
    /// High energy, unpleasant (tense, angry, stressed).
    Red,
    /// High energy, pleasant (happy, motivated).
    Yellow,
    /// Low energy, unpleasant (tired, down, lonely).
    Blue,
    /// Low energy, pleasant (calm, relaxed).
    Green,
}

impl Quadrant {
    pub const ALL: [Quadrant; 4] = [
        Quadrant::Red,
        Quadrant::Yellow,
        Quadrant::Blue,
        Quadrant::Green,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Quadrant::Red => "red",
            Quadrant::Yellow => "yellow",
            Quadrant::Blue => "blue",
            Quadrant::Green => "green",
        }
    }

    pub fn from_id(id: &str) -> Option<Quadrant> {
        Quadrant::ALL.into_iter().find(|q| q.id() == id)
    }

    /// The quadrant of a point on the grid.
    pub fn of(pleasantness: i8, energy: i8) -> Quadrant {
        match (pleasantness > 0, energy > 0) {
            (false, true) => Quadrant::Red,
            (true, true) => Quadrant::Yellow,
            (false, false) => Quadrant::Blue,
            (true, false) => Quadrant::Green,
        }
    }
}

/// The values each axis of the grid can take: two steps either side, no neutral middle (as on
/// the Mood Meter, a feeling leans one way).
pub const AXIS_VALUES: [i8; 4] = [-2, -1, 1, 2];

/// One check-in: where on the grid, one word, and what weighs on the worker. No free text and
/// nothing about who they are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckIn {
    pub quadrant: Quadrant,
    pub pleasantness: i8,
    pub energy: i8,
    pub word: String,
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckInError {
    #[error("{axis} must be one of -2, -1, 1, 2, not {value}")]
    Axis { axis: &'static str, value: i64 },
    #[error(
        "pleasantness {pleasantness} and energy {energy} are in the {actual} quadrant, not {claimed}"
    )]
    WrongQuadrant {
        pleasantness: i8,
        energy: i8,
        actual: &'static str,
        claimed: &'static str,
    },
    #[error("unknown word '{0}'")]
    UnknownWord(String),
    #[error("the word '{word}' belongs to the {actual} quadrant, not {claimed}")]
    WordQuadrant {
        word: String,
        actual: &'static str,
        claimed: &'static str,
    },
    #[error("unknown tag '{0}'")]
    UnknownTag(String),
    #[error("'nothing' cannot be picked together with other tags")]
    NothingWithOthers,
}

impl CheckIn {
    /// Builds a check-in and checks every part against the grid and the vocabulary.
    pub fn new(
        vocabulary: &Vocabulary,
        quadrant: Quadrant,
        pleasantness: i64,
        energy: i64,
        word: &str,
        tags: &[String],
    ) -> Result<CheckIn, CheckInError> {
        let axis = |axis: &'static str, value: i64| {
            i8::try_from(value)
                .ok()
                .filter(|v| AXIS_VALUES.contains(v))
                .ok_or(CheckInError::Axis { axis, value })
        };
        let p = axis("pleasantness", pleasantness)?;
        let e = axis("energy", energy)?;
        let actual = Quadrant::of(p, e);
        if actual != quadrant {
            return Err(CheckInError::WrongQuadrant {
                pleasantness: p,
                energy: e,
                actual: actual.id(),
                claimed: quadrant.id(),
            });
        }
        let found = vocabulary
            .word(word)
            .ok_or_else(|| CheckInError::UnknownWord(word.into()))?;
        if found.quadrant != quadrant {
            return Err(CheckInError::WordQuadrant {
                word: word.into(),
                actual: found.quadrant.id(),
                claimed: quadrant.id(),
            });
        }
        let mut clean: Vec<String> = Vec::new();
        for tag in tags {
            if vocabulary.tag(tag).is_none() {
                return Err(CheckInError::UnknownTag(tag.clone()));
            }
            if !clean.contains(tag) {
                clean.push(tag.clone());
            }
        }
        if clean.len() > 1 && clean.iter().any(|t| t == vocabulary::NOTHING) {
            return Err(CheckInError::NothingWithOthers);
        }
        Ok(CheckIn {
            quadrant,
            pleasantness: p,
            energy: e,
            word: word.into(),
            tags: clean,
        })
    }
}

/// The one thing offered after a check-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offer {
    /// A 60-second breathing exercise.
    Breathing,
    /// The self-check (its notice screen).
    SelfCheck,
    /// The help lines.
    Help,
}

/// What fits a check-in. Tension (red) and calm (green) get the breathing exercise: to come
/// down, or to stay there. Low mood (blue) gets the self-check, and the very heaviest corner of
/// it (most unpleasant and most drained) the help lines straight away. A good mood (yellow)
/// gets the self-check, as a look at one's well-being.
pub fn offer_for(check_in: &CheckIn) -> Offer {
    match check_in.quadrant {
        Quadrant::Red | Quadrant::Green => Offer::Breathing,
        Quadrant::Blue if check_in.pleasantness == -2 && check_in.energy == -2 => Offer::Help,
        Quadrant::Blue | Quadrant::Yellow => Offer::SelfCheck,
    }
}

/// Whether the done screen shows the help lines (12356, 12351) beside the offer: always for a
/// word the vocabulary marks as distress, in any cell of the grid; when the offer is the help
/// lines anyway; and after a crisis answer earlier in the same visit, so that no kind reply to
/// a later check-in stands alone after it (docs/care.md).
pub fn shows_help_lines(
    vocabulary: &Vocabulary,
    check_in: &CheckIn,
    crisis_this_visit: bool,
) -> bool {
    let distress = vocabulary.word(&check_in.word).is_some_and(|w| w.distress);
    distress || crisis_this_visit || offer_for(check_in) == Offer::Help
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(q: Quadrant, p: i64, e: i64, word: &str) -> Result<CheckIn, CheckInError> {
        CheckIn::new(&Vocabulary::builtin(), q, p, e, word, &[])
    }

    #[test]
    fn every_grid_cell_has_exactly_one_quadrant() {
        for p in AXIS_VALUES {
            for e in AXIS_VALUES {
                let q = Quadrant::of(p, e);
                assert_eq!(q == Quadrant::Red || q == Quadrant::Blue, p < 0);
                assert_eq!(q == Quadrant::Red || q == Quadrant::Yellow, e > 0);
            }
        }
    }

    #[test]
    fn a_check_in_must_agree_with_itself() {
        assert!(check(Quadrant::Red, -2, 2, "tense").is_ok());
        assert!(matches!(
            check(Quadrant::Red, 0, 2, "tense"),
            Err(CheckInError::Axis {
                axis: "pleasantness",
                ..
            })
        ));
        assert!(matches!(
            check(Quadrant::Red, -1, 3, "tense"),
            Err(CheckInError::Axis { axis: "energy", .. })
        ));
        assert!(matches!(
            check(Quadrant::Yellow, -1, 1, "happy"),
            Err(CheckInError::WrongQuadrant { .. })
        ));
        assert!(matches!(
            check(Quadrant::Red, -1, 1, "happy"),
            Err(CheckInError::WordQuadrant { .. })
        ));
        assert!(matches!(
            check(Quadrant::Red, -1, 1, "meh"),
            Err(CheckInError::UnknownWord(_))
        ));
    }

    #[test]
    fn tags_are_known_deduplicated_and_nothing_stands_alone() {
        let v = Vocabulary::builtin();
        let tags = |t: &[&str]| t.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let c = CheckIn::new(
            &v,
            Quadrant::Blue,
            -1,
            -1,
            "tired",
            &tags(&["sleep", "income", "sleep"]),
        )
        .unwrap();
        assert_eq!(c.tags, ["sleep", "income"]);
        assert_eq!(
            CheckIn::new(
                &v,
                Quadrant::Blue,
                -1,
                -1,
                "tired",
                &tags(&["nothing", "sleep"])
            ),
            Err(CheckInError::NothingWithOthers)
        );
        assert!(matches!(
            CheckIn::new(&v, Quadrant::Blue, -1, -1, "tired", &tags(&["boss"])),
            Err(CheckInError::UnknownTag(_))
        ));
    }

    #[test]
    fn every_distress_word_offers_the_help_lines_in_every_cell_of_its_quadrant() {
        let vocabulary = Vocabulary::builtin();
        let distress: Vec<&str> = vocabulary
            .words
            .iter()
            .filter(|w| w.distress)
            .map(|w| w.zh.as_str())
            .collect();
        assert_eq!(distress, ["快撑不住了", "麻木", "无助"]);
        let mut cells = 0;
        for word in &vocabulary.words {
            for p in AXIS_VALUES {
                for e in AXIS_VALUES {
                    if Quadrant::of(p, e) != word.quadrant {
                        continue;
                    }
                    let c = check(word.quadrant, p.into(), e.into(), &word.id).unwrap();
                    let help = shows_help_lines(&vocabulary, &c, false);
                    if word.distress {
                        assert!(help, "{} at ({p}, {e})", word.zh);
                        cells += 1;
                    } else {
                        // Other words get the lines only in the heaviest corner.
                        assert_eq!(help, (p, e) == (-2, -2), "{} at ({p}, {e})", word.zh);
                    }
                    assert!(shows_help_lines(&vocabulary, &c, true), "after a crisis");
                }
            }
        }
        assert_eq!(cells, 3 * 4);
    }

    #[test]
    fn each_quadrant_gets_an_offer_that_fits() {
        let offer = |q, p, e, w| offer_for(&check(q, p, e, w).unwrap());
        assert_eq!(offer(Quadrant::Red, -2, 2, "angry"), Offer::Breathing);
        assert_eq!(offer(Quadrant::Green, 1, -1, "calm"), Offer::Breathing);
        assert_eq!(offer(Quadrant::Blue, -1, -2, "tired"), Offer::SelfCheck);
        assert_eq!(offer(Quadrant::Blue, -2, -1, "down"), Offer::SelfCheck);
        assert_eq!(offer(Quadrant::Blue, -2, -2, "helpless"), Offer::Help);
        assert_eq!(offer(Quadrant::Yellow, 2, 2, "happy"), Offer::SelfCheck);
    }
}
