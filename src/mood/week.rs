//! "This station this week": how people here felt, with small counts hidden.
//!
//! A count below [`MIN_SHOWN`] is never shown, and neither is any cell that could be worked
//! out from the others: when the total is shown and only one quadrant is hidden, it would be
//! the total minus the rest, so the next smallest is hidden too; and while the hidden cells
//! together add up to a small positive number, more are hidden. Tags and words are shown only
//! as "many here felt …" for counts of at least [`MIN_SHOWN`].

use std::collections::BTreeMap;

use super::Quadrant;
use super::vocabulary::NOTHING;

/// The smallest count ever shown.
pub const MIN_SHOWN: u64 = 11;

/// Raw counts for the week, as read from the store.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WeekCounts {
    pub quadrants: BTreeMap<Quadrant, u64>,
    pub words: BTreeMap<String, u64>,
    pub tags: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct QuadrantShare {
    pub quadrant: Quadrant,
    /// `None` when hidden.
    pub count: Option<u64>,
    /// Share of the week's check-ins, rounded to whole percent; `None` when hidden.
    pub percent: Option<u32>,
}

/// What may be shown.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StationWeek {
    /// `None` when the week has fewer than [`MIN_SHOWN`] check-ins (then nothing is shown).
    pub total: Option<u64>,
    pub quadrants: Vec<QuadrantShare>,
    /// Up to three tags, most frequent first, each with at least [`MIN_SHOWN`] check-ins.
    pub top_tags: Vec<(String, u64)>,
    /// The most frequent word, when it has at least [`MIN_SHOWN`] check-ins.
    pub top_word: Option<(String, u64)>,
}

pub fn station_week(counts: &WeekCounts) -> StationWeek {
    let total: u64 = counts.quadrants.values().sum();
    let hidden_all = || StationWeek {
        total: None,
        quadrants: Quadrant::ALL
            .iter()
            .map(|&quadrant| QuadrantShare {
                quadrant,
                count: None,
                percent: None,
            })
            .collect(),
        top_tags: Vec::new(),
        top_word: None,
    };
    if total < MIN_SHOWN {
        return hidden_all();
    }

    let count = |q: Quadrant| counts.quadrants.get(&q).copied().unwrap_or(0);
    let mut hidden: Vec<Quadrant> = Quadrant::ALL
        .into_iter()
        .filter(|&q| count(q) < MIN_SHOWN)
        .collect();
    loop {
        let hidden_sum: u64 = hidden.iter().map(|&q| count(q)).sum();
        let derivable = hidden.len() == 1 || (hidden_sum > 0 && hidden_sum < MIN_SHOWN);
        if !derivable || hidden.len() == Quadrant::ALL.len() {
            break;
        }
        // Hide the smallest cell still shown (ties: the first in quadrant order).
        let next = Quadrant::ALL
            .into_iter()
            .filter(|q| !hidden.contains(q))
            .min_by_key(|&q| count(q));
        match next {
            Some(q) => hidden.push(q),
            None => break,
        }
    }

    let quadrants = Quadrant::ALL
        .iter()
        .map(|&quadrant| {
            if hidden.contains(&quadrant) {
                QuadrantShare {
                    quadrant,
                    count: None,
                    percent: None,
                }
            } else {
                let c = count(quadrant);
                let percent = ((c * 100 + total / 2) / total) as u32;
                QuadrantShare {
                    quadrant,
                    count: Some(c),
                    percent: Some(percent),
                }
            }
        })
        .collect();

    let mut tags: Vec<(String, u64)> = counts
        .tags
        .iter()
        .filter(|(t, c)| t.as_str() != NOTHING && **c >= MIN_SHOWN)
        .map(|(t, c)| (t.clone(), *c))
        .collect();
    tags.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    tags.truncate(3);

    let top_word = counts
        .words
        .iter()
        .filter(|(_, c)| **c >= MIN_SHOWN)
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map(|(w, c)| (w.clone(), *c));

    StationWeek {
        total: Some(total),
        quadrants,
        top_tags: tags,
        top_word,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn week(red: u64, yellow: u64, blue: u64, green: u64) -> StationWeek {
        let mut counts = WeekCounts::default();
        for (q, n) in [
            (Quadrant::Red, red),
            (Quadrant::Yellow, yellow),
            (Quadrant::Blue, blue),
            (Quadrant::Green, green),
        ] {
            counts.quadrants.insert(q, n);
        }
        station_week(&counts)
    }

    fn shown(w: &StationWeek) -> Vec<Option<u64>> {
        w.quadrants.iter().map(|q| q.count).collect()
    }

    #[test]
    fn a_week_with_fewer_than_11_check_ins_shows_nothing() {
        let w = week(4, 3, 2, 1);
        assert_eq!(w.total, None);
        assert_eq!(shown(&w), [None; 4]);
    }

    #[test]
    fn every_cell_of_11_or_more_is_shown_with_its_share() {
        let w = week(11, 22, 33, 44);
        assert_eq!(w.total, Some(110));
        assert_eq!(shown(&w), [Some(11), Some(22), Some(33), Some(44)]);
        assert_eq!(
            w.quadrants
                .iter()
                .map(|q| q.percent.unwrap())
                .collect::<Vec<_>>(),
            [10, 20, 30, 40]
        );
    }

    #[test]
    fn a_single_small_cell_takes_the_next_smallest_with_it() {
        // Red 3 alone would be the total minus the other three.
        assert_eq!(
            shown(&week(3, 20, 15, 12)),
            [None, Some(20), Some(15), None]
        );
    }

    #[test]
    fn small_cells_that_add_up_to_a_small_number_take_another_with_them() {
        // Blue 5 and green 4 hidden still add up to 9, which the total would reveal.
        assert_eq!(shown(&week(30, 25, 5, 4)), [Some(30), None, None, None]);
    }

    #[test]
    fn hidden_zeros_reveal_no_one_and_need_no_partner() {
        assert_eq!(shown(&week(0, 40, 0, 0)), [None, Some(40), None, None]);
        // A single zero cell is still derivable, so it takes a partner.
        assert_eq!(
            shown(&week(0, 40, 30, 20)),
            [None, Some(40), Some(30), None]
        );
    }

    #[test]
    fn no_shown_combination_lets_a_hidden_small_count_be_worked_out() {
        // Exhaustively over small weeks: whatever is hidden must not be derivable as a
        // positive number below 11 from the total and the shown cells.
        for r in 0..16 {
            for y in 0..16 {
                for b in 0..16 {
                    for g in [0, 5, 11, 30] {
                        let w = week(r, y, b, g);
                        let Some(total) = w.total else { continue };
                        let hidden: Vec<u64> = w
                            .quadrants
                            .iter()
                            .zip([r, y, b, g])
                            .filter(|(q, _)| q.count.is_none())
                            .map(|(_, n)| n)
                            .collect();
                        assert_ne!(hidden.len(), 1, "{:?}", (r, y, b, g));
                        let sum: u64 = hidden.iter().sum();
                        assert!(
                            sum == 0 || sum >= MIN_SHOWN || hidden.len() == 4,
                            "{:?} hides {sum}",
                            (r, y, b, g)
                        );
                        assert!(
                            w.quadrants
                                .iter()
                                .all(|q| q.count.is_none_or(|c| c >= MIN_SHOWN))
                        );
                        assert!(total >= MIN_SHOWN);
                    }
                }
            }
        }
    }

    #[test]
    fn tags_and_words_show_only_when_many_share_them() {
        let mut counts = WeekCounts::default();
        counts.quadrants.insert(Quadrant::Blue, 40);
        for (t, n) in [
            ("sleep", 25),
            ("income", 11),
            ("fines", 10),
            ("nothing", 30),
            ("orders", 12),
            ("weather", 11),
        ] {
            counts.tags.insert(t.into(), n);
        }
        counts.words.insert("tired".into(), 18);
        counts.words.insert("down".into(), 10);
        let w = station_week(&counts);
        assert_eq!(
            w.top_tags,
            [
                ("sleep".into(), 25),
                ("orders".into(), 12),
                ("income".into(), 11)
            ]
        );
        assert_eq!(w.top_word, Some(("tired".into(), 18)));
        counts.words.insert("tired".into(), 10);
        assert_eq!(station_week(&counts).top_word, None);
    }
}
