//! "This station last week": how people here felt, with small counts hidden and nothing a
//! passer-by could difference.
//!
//! What is shown covers one fixed, closed calendar week (Monday to Sunday, Asia/Shanghai) and
//! nothing of the week under way. A check-in today therefore changes nothing shown before and
//! after it, and from one day to the next the view either stays the same or moves to a week
//! that shares no day with the last: two views never overlap, so subtracting them reveals
//! nothing. (A window of the last seven days that slid by a day would: the difference of two
//! such views is one day minus another, small counts included.)
//!
//! Within the week, a count below [`MIN_SHOWN`] is never shown, and neither is any cell that
//! could be worked out from the others: when only one quadrant is hidden, it would be the total
//! minus the rest, so the next smallest is hidden too; and while the hidden cells together add
//! up to a small positive number, more are hidden. What is shown is rounded: the total to the
//! nearest 10 and each share to a 10 % step. The most-felt word and tags are named without
//! numbers, and only when at least [`MIN_SHOWN`] check-ins share them.

use std::collections::BTreeMap;

use chrono::{Datelike, Days, NaiveDate};

use super::Quadrant;
use super::vocabulary::NOTHING;

/// The smallest count ever shown, or named (a word or tag).
pub const MIN_SHOWN: u64 = 11;

/// Raw counts for the week, as read from the store. Never shown as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WeekCounts {
    pub quadrants: BTreeMap<Quadrant, u64>,
    pub words: BTreeMap<String, u64>,
    pub tags: BTreeMap<String, u64>,
}

/// The last closed calendar week before `today`: its Monday and its Sunday.
pub fn closed_week(today: NaiveDate) -> (NaiveDate, NaiveDate) {
    let since_monday = u64::from(today.weekday().num_days_from_monday());
    let this_monday = today
        .checked_sub_days(Days::new(since_monday))
        .unwrap_or(today);
    let monday = this_monday
        .checked_sub_days(Days::new(7))
        .unwrap_or(this_monday);
    let sunday = this_monday
        .checked_sub_days(Days::new(1))
        .unwrap_or(this_monday);
    (monday, sunday)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct QuadrantShare {
    pub quadrant: Quadrant,
    /// Share of the week's check-ins in 10 % steps (0 means under 5 %); `None` when hidden.
    pub percent: Option<u32>,
}

/// What may be shown.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StationWeek {
    /// The week's check-ins to the nearest 10; `None` when the week has fewer than
    /// [`MIN_SHOWN`] (then nothing is shown).
    pub total_about: Option<u64>,
    pub quadrants: Vec<QuadrantShare>,
    /// Up to three tags, most frequent first, each with at least [`MIN_SHOWN`] check-ins.
    pub top_tags: Vec<String>,
    /// The most frequent word, when it has at least [`MIN_SHOWN`] check-ins.
    pub top_word: Option<String>,
}

/// `n` to the nearest multiple of `step` (halves up).
fn to_nearest(n: u64, step: u64) -> u64 {
    (n + step / 2) / step * step
}

/// The quadrants that stay hidden: below [`MIN_SHOWN`], and whatever more it takes so that no
/// hidden cell can be worked out from the total and the cells shown.
fn hidden_quadrants(count: impl Fn(Quadrant) -> u64) -> Vec<Quadrant> {
    let mut hidden: Vec<Quadrant> = Quadrant::ALL
        .into_iter()
        .filter(|&q| count(q) < MIN_SHOWN)
        .collect();
    loop {
        let hidden_sum: u64 = hidden.iter().map(|&q| count(q)).sum();
        let derivable = hidden.len() == 1 || (hidden_sum > 0 && hidden_sum < MIN_SHOWN);
        if !derivable || hidden.len() == Quadrant::ALL.len() {
            return hidden;
        }
        // Hide the smallest cell still shown (ties: the first in quadrant order).
        let next = Quadrant::ALL
            .into_iter()
            .filter(|q| !hidden.contains(q))
            .min_by_key(|&q| count(q));
        match next {
            Some(q) => hidden.push(q),
            None => return hidden,
        }
    }
}

pub fn station_week(counts: &WeekCounts) -> StationWeek {
    let total: u64 = counts.quadrants.values().sum();
    if total < MIN_SHOWN {
        return StationWeek {
            total_about: None,
            quadrants: Quadrant::ALL
                .iter()
                .map(|&quadrant| QuadrantShare {
                    quadrant,
                    percent: None,
                })
                .collect(),
            top_tags: Vec::new(),
            top_word: None,
        };
    }
    let count = |q: Quadrant| counts.quadrants.get(&q).copied().unwrap_or(0);
    let hidden = hidden_quadrants(count);
    let quadrants = Quadrant::ALL
        .iter()
        .map(|&quadrant| QuadrantShare {
            quadrant,
            percent: (!hidden.contains(&quadrant))
                .then(|| (to_nearest(count(quadrant) * 100 * 10 / total, 100) / 10) as u32),
        })
        .collect();

    let mut tags: Vec<(&String, u64)> = counts
        .tags
        .iter()
        .filter(|(t, c)| t.as_str() != NOTHING && **c >= MIN_SHOWN)
        .map(|(t, c)| (t, *c))
        .collect();
    tags.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let top_tags = tags.into_iter().take(3).map(|(t, _)| t.clone()).collect();

    let top_word = counts
        .words
        .iter()
        .filter(|(_, c)| **c >= MIN_SHOWN)
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map(|(w, _)| w.clone());

    StationWeek {
        total_about: Some(to_nearest(total, 10)),
        quadrants,
        top_tags,
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

    /// Which quadrants are shown, with the exact counts they stand for (for readable tests).
    fn shown(w: &StationWeek, counts: [u64; 4]) -> Vec<Option<u64>> {
        w.quadrants
            .iter()
            .zip(counts)
            .map(|(q, n)| q.percent.map(|_| n))
            .collect()
    }

    fn shown_of(r: u64, y: u64, b: u64, g: u64) -> Vec<Option<u64>> {
        shown(&week(r, y, b, g), [r, y, b, g])
    }

    #[test]
    fn a_week_with_fewer_than_11_check_ins_shows_nothing() {
        let w = week(4, 3, 2, 1);
        assert_eq!(w.total_about, None);
        assert_eq!(shown(&w, [4, 3, 2, 1]), [None; 4]);
    }

    #[test]
    fn every_cell_of_11_or_more_is_shown_with_its_share() {
        let w = week(11, 22, 33, 44);
        assert_eq!(w.total_about, Some(110));
        assert_eq!(
            shown(&w, [11, 22, 33, 44]),
            [Some(11), Some(22), Some(33), Some(44)]
        );
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
        assert_eq!(shown_of(3, 20, 15, 12), [None, Some(20), Some(15), None]);
    }

    #[test]
    fn small_cells_that_add_up_to_a_small_number_take_another_with_them() {
        // Blue 5 and green 4 hidden still add up to 9, which the total would reveal.
        assert_eq!(shown_of(30, 25, 5, 4), [Some(30), None, None, None]);
    }

    #[test]
    fn hidden_zeros_reveal_no_one_and_need_no_partner() {
        assert_eq!(shown_of(0, 40, 0, 0), [None, Some(40), None, None]);
        // A single zero cell is still derivable, so it takes a partner.
        assert_eq!(shown_of(0, 40, 30, 20), [None, Some(40), Some(30), None]);
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
                        let Some(_) = w.total_about else { continue };
                        let total = r + y + b + g;
                        let cells = shown(&w, [r, y, b, g]);
                        let hidden: Vec<u64> = cells
                            .iter()
                            .zip([r, y, b, g])
                            .filter(|(c, _)| c.is_none())
                            .map(|(_, n)| n)
                            .collect();
                        assert_ne!(hidden.len(), 1, "{:?}", (r, y, b, g));
                        let sum: u64 = hidden.iter().sum();
                        assert!(
                            sum == 0 || sum >= MIN_SHOWN || hidden.len() == 4,
                            "{:?} hides {sum}",
                            (r, y, b, g)
                        );
                        assert!(cells.iter().all(|c| c.is_none_or(|c| c >= MIN_SHOWN)));
                        assert!(total >= MIN_SHOWN);
                    }
                }
            }
        }
    }

    #[test]
    fn the_total_is_rounded_to_10_and_shares_to_10_percent_steps() {
        let w = week(14, 0, 23, 0);
        // 37 check-ins: "about 40"; 14/37 = 37.8 % -> 40, 23/37 = 62.2 % -> 60.
        assert_eq!(w.total_about, Some(40));
        let percents: Vec<Option<u32>> = w.quadrants.iter().map(|q| q.percent).collect();
        assert_eq!(percents, [Some(40), None, Some(60), None]);
        // 11 of 300 is 3.7 %: shown as 0, "under 5 %".
        assert_eq!(week(11, 289, 0, 0).quadrants[0].percent, Some(0));
        assert_eq!(week(11, 0, 0, 0).total_about, Some(10));
    }

    #[test]
    fn the_window_is_the_last_closed_monday_to_sunday_week() {
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        // 2026-12-02 is a Wednesday: the week shown is Monday 23 to Sunday 29 November.
        let last = (day("2026-11-23"), day("2026-11-29"));
        for today in ["2026-11-30", "2026-12-02", "2026-12-06"] {
            assert_eq!(closed_week(day(today)), last, "{today}");
        }
        // From Monday 7 December on, the next week, which shares no day with the last.
        assert_eq!(
            closed_week(day("2026-12-07")),
            (day("2026-11-30"), day("2026-12-06"))
        );
        // Every day of a year: seven closed days, all before today, starting on a Monday.
        let mut today = day("2026-01-01");
        while today < day("2027-01-01") {
            let (monday, sunday) = closed_week(today);
            assert_eq!(monday.weekday(), chrono::Weekday::Mon);
            assert_eq!((sunday - monday).num_days(), 6);
            assert!(sunday < today && (today - sunday).num_days() <= 7);
            today = today.succ_opt().unwrap();
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
        assert_eq!(w.top_tags, ["sleep", "orders", "income"]);
        assert_eq!(w.top_word.as_deref(), Some("tired"));
        counts.words.insert("tired".into(), 10);
        assert_eq!(station_week(&counts).top_word, None);
    }
}
