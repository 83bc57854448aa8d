//! The overview page's figures: the stations' day summaries added up by week, this week and
//! the twelve before it, then passed through small-cell suppression (`crate::suppression`).
//!
//! A summary counts in the week of its first day. A kiosk sends a summary for a day once that
//! day has at least 11 visits, or for a run of days that together reach 11, so a run that
//! crosses a Sunday counts wholly in the earlier week; it is never split, since the hub does
//! not know how its visits fell across its days.

use chrono::{Datelike, Days, NaiveDate};
use waystation_protocol::Metric;

use crate::storage::StoredSummary;
use crate::suppression::{Counts, Shown};

/// How many weeks the overview shows: this one and the twelve before it.
pub const WEEKS: usize = 13;

/// What each column of the overview counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    Visits,
    SelfChecks,
    MoodCheckIns,
    CrisisReached,
    Referrals,
    Slips,
}

impl Measure {
    pub const ALL: [Measure; 6] = [
        Measure::Visits,
        Measure::SelfChecks,
        Measure::MoodCheckIns,
        Measure::CrisisReached,
        Measure::Referrals,
        Measure::Slips,
    ];

    fn of(self, summary: &StoredSummary) -> u64 {
        let s = &summary.summary;
        match self {
            Measure::Visits => s.visits(),
            Measure::SelfChecks => s.total(Metric::Band),
            Measure::MoodCheckIns => s.total(Metric::MoodWord),
            Measure::CrisisReached => s.count(Metric::Crisis, "reached"),
            Measure::Referrals => s.total(Metric::Referral),
            Measure::Slips => s.total(Metric::Slip),
        }
    }
}

/// The Monday that begins the week of `day`.
pub fn monday_of(day: NaiveDate) -> NaiveDate {
    let back = u64::from(day.weekday().num_days_from_monday());
    day.checked_sub_days(Days::new(back)).unwrap_or(day)
}

/// The overview's table: one row per week, newest first, from the week of `today`.
pub struct Weekly {
    /// Each row's Monday.
    pub mondays: Vec<NaiveDate>,
    pub shown: Shown,
}

pub fn weekly(summaries: &[StoredSummary], today: NaiveDate) -> Weekly {
    let this_monday = monday_of(today);
    let mondays: Vec<NaiveDate> = (0..WEEKS as u64)
        .filter_map(|w| this_monday.checked_sub_days(Days::new(7 * w)))
        .collect();
    let mut cells = vec![vec![0u64; Measure::ALL.len()]; mondays.len()];
    for summary in summaries {
        let Ok(first) = NaiveDate::parse_from_str(&summary.summary.first_day, "%Y-%m-%d") else {
            continue;
        };
        let Some(row) = mondays.iter().position(|&m| m == monday_of(first)) else {
            continue;
        };
        for (column, measure) in Measure::ALL.into_iter().enumerate() {
            cells[row][column] += measure.of(summary);
        }
    }
    Weekly {
        mondays,
        shown: Counts {
            cells,
            rows_add_up: false,
        }
        .suppress(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use waystation_protocol::DaySummary;

    use super::*;

    fn summary(first_day: &str, visits: u64, crisis: u64) -> StoredSummary {
        let mut counts: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
        counts
            .entry("visit".into())
            .or_default()
            .insert("started".into(), visits);
        if crisis > 0 {
            counts
                .entry("crisis".into())
                .or_default()
                .insert("reached".into(), crisis);
        }
        StoredSummary {
            device_id: "ws-1".into(),
            record_id: first_day.into(),
            station: None,
            received_day: first_day.into(),
            visits,
            summary: DaySummary {
                first_day: first_day.into(),
                last_day: first_day.into(),
                counts,
            },
        }
    }

    #[test]
    fn summaries_add_up_by_week_and_small_weeks_are_hidden() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap(); // a Wednesday
        let rows = [
            summary("2026-11-30", 20, 0),  // this week (Monday)
            summary("2026-12-01", 15, 3),  // this week
            summary("2026-11-29", 40, 12), // last week (Sunday)
            summary("2026-08-31", 99, 0),  // 13 weeks ago: outside
        ];
        let w = weekly(&rows, today);
        assert_eq!(w.mondays.len(), WEEKS);
        assert_eq!(w.mondays[0], NaiveDate::from_ymd_opt(2026, 11, 30).unwrap());
        assert_eq!(w.mondays[12], NaiveDate::from_ymd_opt(2026, 9, 7).unwrap());
        let visits = 0;
        let crisis = 3;
        assert_eq!(w.shown.cells[0][visits], Some(35));
        assert_eq!(w.shown.cells[1][visits], Some(40));
        // 3 crisis routes this week are hidden, and so is last week's 12: otherwise the total
        // (15) minus 12 would give the 3 away.
        assert_eq!(w.shown.cells[0][crisis], None);
        assert_eq!(w.shown.cells[1][crisis], None);
        assert_eq!(w.shown.column_totals[crisis], Some(15));
        assert_eq!(w.shown.column_totals[visits], Some(75));
        // Weeks without summaries are zeros, hidden like every count below 11.
        assert!(w.shown.cells[2..].iter().all(|row| row[visits].is_none()));
    }
}
