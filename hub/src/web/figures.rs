//! The dashboard's figures: the stations' day summaries added up by station and by week, and
//! passed through small-cell suppression (`crate::suppression`).
//!
//! What is shown is built so that no two views, on any two days, can be subtracted to reveal
//! a small count:
//! - **Only settled, closed weeks.** A week (Monday to Sunday, Shanghai) counts exactly the
//!   summaries that reached the hub by its settling day, the Thursday after it ends
//!   ([`SETTLE_DAYS`] after its Monday), and is shown from the day after that, when nothing
//!   more can be added to it. A summary that arrives later is kept
//!   but never added to a week already shown, so a week's figures never change once seen (the
//!   page says how many arrived late). A week in progress is never shown: its totals would grow
//!   day by day, and yesterday's view subtracted from today's would be one day's counts.
//! - **Nothing is added up across weeks.** A total over a window of weeks would slide as the
//!   weeks go by, and two windows subtract to a difference of single weeks.
//! - **One week is one set of lines.** For each week and each measure, the stations' counts,
//!   their totals by kind within each district, by district and over all stations are one
//!   tree of lines, suppressed once ([`week_table`]); the overview shows the totals, the
//!   stations page the stations, kinds or districts, so every view shows the same figures
//!   hidden the same way. Kinds are added up within a district only: a kind's total across
//!   districts would cross the districts' lines, and a reader could subtract the one from the
//!   other (`crate::suppression` says more).
//! - **A summary keeps where it was counted.** Its station, district and kind are those its
//!   kiosk was registered with when it arrived, so re-registering a kiosk later moves none of
//!   the weeks already shown.
//!
//! Because a shown week never changes, its table is worked out once and kept ([`WeekCache`]):
//! a year of a thousand kiosks' summaries is not read again for every page.
//!
//! A summary counts in the week of its first day; a run of days that crosses a Sunday counts
//! wholly in the earlier week (the hub does not know how its visits fell across its days).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use chrono::{Datelike, Days, NaiveDate};
use waystation_protocol::Metric;

use crate::HubError;
use crate::storage::{Storage, StoredSummary};
use crate::suppression::{Counts, Shown};

/// How many settled weeks the overview shows.
pub const WEEKS: usize = 13;
/// A week settles this many days after its Monday: the Thursday after it ends.
pub const SETTLE_DAYS: u64 = 10;

/// What each column counts.
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

fn settles(monday: NaiveDate) -> NaiveDate {
    monday
        .checked_add_days(Days::new(SETTLE_DAYS))
        .unwrap_or(monday)
}

fn sunday_of(monday: NaiveDate) -> NaiveDate {
    monday.checked_add_days(Days::new(6)).unwrap_or(monday)
}

/// Whether the week of `monday` may be shown on `today`: from the day after it settled, so
/// that nothing arriving on its settling day changes it after it was first seen.
fn shown_on(monday: NaiveDate, today: NaiveDate) -> bool {
    settles(monday) < today
}

/// The Mondays of the [`WEEKS`] newest weeks that may be shown on `today`, newest first.
pub fn settled_weeks(today: NaiveDate) -> Vec<NaiveDate> {
    let mut monday = monday_of(today);
    while !shown_on(monday, today) {
        monday = monday.checked_sub_days(Days::new(7)).unwrap_or(monday);
    }
    (0..WEEKS as u64)
        .filter_map(|w| monday.checked_sub_days(Days::new(7 * w)))
        .collect()
}

/// Where a summary was counted: district, kind, station ("" where not given; a station not
/// given is "-").
fn location_of(summary: &StoredSummary) -> Location {
    Location {
        district: summary.district.clone().unwrap_or_default(),
        kind: summary.station_kind.clone().unwrap_or_default(),
        station: summary.station.clone().unwrap_or_else(|| "-".to_string()),
    }
}

fn day(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

/// Whether a summary is counted in the week of `monday`: its first day is in that week, and it
/// reached the hub by the week's settling day.
fn counts_in(summary: &StoredSummary, monday: NaiveDate) -> bool {
    let first = day(&summary.summary.first_day).map(monday_of);
    let received = day(&summary.received_day);
    first == Some(monday) && received.is_some_and(|r| r <= settles(monday))
}

/// Where a row of a week was counted: a station, of a kind, in a district ("" where the
/// registration did not say).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Location {
    pub district: String,
    pub kind: String,
    pub station: String,
}

/// One settled week: a row per station, a column per [`Measure`], each column a tree of lines
/// (stations in kinds in districts in the total over all stations).
pub struct WeekTable {
    pub monday: NaiveDate,
    /// The stations, in the order of `shown.cells`, by district, kind and name.
    pub stations: Vec<Location>,
    /// The districts, in the order of `shown.group_totals[0]`.
    pub districts: Vec<String>,
    /// The kinds within districts as (district, kind), in the order of `shown.group_totals[1]`.
    pub kinds: Vec<(String, String)>,
    pub shown: Shown,
}

/// How the stations page adds a week up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Stations,
    KindsInDistricts,
    Districts,
}

/// One line of a view: where it counts, and its figures (`None` where hidden).
pub struct ViewRow<'a> {
    /// The station's, the kind's or the district's place; the parts below the view's level
    /// are empty.
    pub place: Location,
    pub cells: &'a [Option<u64>],
}

impl WeekTable {
    /// The week's rows in `view`; every view is the same suppressed tree, read at one level.
    pub fn rows(&self, view: View) -> Vec<ViewRow<'_>> {
        let place = |district: &str, kind: &str| Location {
            district: district.to_string(),
            kind: kind.to_string(),
            station: String::new(),
        };
        match view {
            View::Stations => self
                .stations
                .iter()
                .zip(&self.shown.cells)
                .map(|(p, cells)| ViewRow {
                    place: p.clone(),
                    cells,
                })
                .collect(),
            View::KindsInDistricts => self
                .kinds
                .iter()
                .zip(self.shown.group_totals.get(1).into_iter().flatten())
                .map(|((district, kind), cells)| ViewRow {
                    place: place(district, kind),
                    cells,
                })
                .collect(),
            View::Districts => self
                .districts
                .iter()
                .zip(self.shown.group_totals.first().into_iter().flatten())
                .map(|(district, cells)| ViewRow {
                    place: place(district, ""),
                    cells,
                })
                .collect(),
        }
    }
}

/// The week of `monday`, suppressed. Stations with no summary counted that week have no row.
pub fn week_table(summaries: &[StoredSummary], monday: NaiveDate) -> WeekTable {
    let mut by_place: BTreeMap<Location, Vec<u64>> = BTreeMap::new();
    for summary in summaries.iter().filter(|s| counts_in(s, monday)) {
        let row = by_place
            .entry(location_of(summary))
            .or_insert_with(|| vec![0; Measure::ALL.len()]);
        for (cell, measure) in row.iter_mut().zip(Measure::ALL) {
            *cell += measure.of(summary);
        }
    }
    let stations: Vec<Location> = by_place.keys().cloned().collect();
    let cells: Vec<Vec<u64>> = by_place.into_values().collect();
    // Rows are sorted by district, then kind, so each group is one run of rows.
    let mut districts: Vec<String> = Vec::new();
    let mut kinds: Vec<(String, String)> = Vec::new();
    let mut groupings = vec![Vec::new(), Vec::new()];
    for p in &stations {
        if districts.last() != Some(&p.district) {
            districts.push(p.district.clone());
        }
        let kind = (p.district.clone(), p.kind.clone());
        if kinds.last() != Some(&kind) {
            kinds.push(kind);
        }
        groupings[0].push(districts.len() - 1);
        groupings[1].push(kinds.len() - 1);
    }
    let shown = if cells.is_empty() {
        Shown {
            cells: Vec::new(),
            column_totals: vec![None; Measure::ALL.len()],
            row_totals: Vec::new(),
            grand_total: None,
            group_totals: Vec::new(),
        }
    } else {
        Counts {
            cells,
            rows_add_up: false,
            groupings,
        }
        .suppress()
    };
    WeekTable {
        monday,
        stations,
        districts,
        kinds,
        shown,
    }
}

/// The tables of the weeks already shown, by Monday.
#[derive(Default)]
pub struct WeekCache {
    weeks: Mutex<HashMap<NaiveDate, Arc<WeekTable>>>,
}

impl WeekCache {
    /// The table of the week of `monday` as it is shown on `today`: kept from the first time
    /// once the week may be shown, worked out again each time before (the pages never ask
    /// for such a week, but nothing wrong is kept if one does).
    pub fn week(
        &self,
        storage: &mut dyn Storage,
        monday: NaiveDate,
        today: NaiveDate,
    ) -> Result<Arc<WeekTable>, HubError> {
        let shown = shown_on(monday, today);
        if shown && let Some(table) = self.kept().get(&monday) {
            return Ok(table.clone());
        }
        let summaries =
            storage.summaries_between(&day_text(monday), &day_text(sunday_of(monday)))?;
        let table = Arc::new(week_table(&summaries, monday));
        if shown {
            self.kept().insert(monday, table.clone());
        }
        Ok(table)
    }

    /// Each settled week's table, newest first: the overview.
    pub fn overview(
        &self,
        storage: &mut dyn Storage,
        today: NaiveDate,
    ) -> Result<Vec<Arc<WeekTable>>, HubError> {
        settled_weeks(today)
            .into_iter()
            .map(|monday| self.week(storage, monday, today))
            .collect()
    }

    fn kept(&self) -> std::sync::MutexGuard<'_, HashMap<NaiveDate, Arc<WeekTable>>> {
        // Tables are inserted whole, so a panic elsewhere cannot leave half of one.
        self.weeks.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn day_text(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

/// How many summaries of these weeks reached the hub after their week had settled, and so are
/// in no figure (asked each time: unlike the figures, it grows as late ones arrive).
pub fn late(storage: &mut dyn Storage, mondays: &[NaiveDate]) -> Result<u64, HubError> {
    mondays.iter().try_fold(0, |late, &monday| {
        let after = storage.summaries_received_after(
            &day_text(monday),
            &day_text(sunday_of(monday)),
            &day_text(settles(monday)),
        )?;
        Ok(late + after)
    })
}

#[cfg(test)]
mod tests {
    use waystation_protocol::DaySummary;

    use super::*;

    fn summary(
        station: &str,
        first_day: &str,
        received: &str,
        visits: u64,
        crisis: u64,
    ) -> StoredSummary {
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
            record_id: format!("{station}-{first_day}"),
            station: Some(station.into()),
            district: None,
            station_kind: None,
            received_day: received.into(),
            visits,
            summary: DaySummary {
                first_day: first_day.into(),
                last_day: first_day.into(),
                counts,
            },
        }
    }

    fn date(text: &str) -> NaiveDate {
        day(text).unwrap()
    }

    #[test]
    fn only_weeks_settled_by_the_thursday_after_them_are_shown() {
        // Wednesday 2026-12-02: the week of 11-23 settles on Thursday 12-03 and is shown
        // from Friday 12-04, so the newest shown is the week of 11-16.
        let weeks = settled_weeks(date("2026-12-02"));
        assert_eq!(weeks.len(), WEEKS);
        assert_eq!(weeks[0], date("2026-11-16"));
        assert_eq!(settled_weeks(date("2026-12-03"))[0], date("2026-11-16"));
        assert_eq!(settled_weeks(date("2026-12-04"))[0], date("2026-11-23"));
        assert_eq!(weeks[12], date("2026-08-24"));
    }

    #[test]
    fn a_week_counts_what_arrived_by_its_settling_day_and_never_changes_after() {
        let rows = vec![
            summary("A", "2026-11-16", "2026-11-17", 30, 4),
            summary("B", "2026-11-18", "2026-11-26", 20, 9),
            // Arrived the Friday after settling: kept, counted nowhere.
            summary("C", "2026-11-20", "2026-11-27", 25, 2),
        ];
        let week = week_table(&rows, date("2026-11-16"));
        let names: Vec<&str> = week.stations.iter().map(|p| p.station.as_str()).collect();
        assert_eq!(names, ["A", "B"]);
        let (visits, crisis) = (0, 3);
        assert_eq!(week.shown.column_totals[visits], Some(50));
        assert_eq!(week.shown.cells[0][visits], Some(30));
        // 4 and 9 hidden add up to 13: enough, and the total of 13 is shown.
        assert_eq!(week.shown.cells[0][crisis], None);
        assert_eq!(week.shown.cells[1][crisis], None);
        assert_eq!(week.shown.column_totals[crisis], Some(13));
        // Without the late one, the week is the same: it added nothing.
        assert_eq!(week_table(&rows[..2], date("2026-11-16")).shown, week.shown);
    }

    #[test]
    fn the_overview_shows_each_weeks_all_station_total_and_hides_small_ones() {
        let rows = vec![
            summary("A", "2026-11-16", "2026-11-17", 14, 3),
            summary("A", "2026-11-09", "2026-11-10", 12, 0),
        ];
        let weeks: Vec<WeekTable> = settled_weeks(date("2026-12-02"))
            .into_iter()
            .map(|monday| week_table(&rows, monday))
            .collect();
        assert_eq!(weeks[0].shown.column_totals[0], Some(14));
        assert_eq!(weeks[0].shown.column_totals[3], None, "3 crisis routes");
        assert_eq!(weeks[1].shown.column_totals[0], Some(12));
        assert!(
            weeks[2..]
                .iter()
                .all(|w| w.shown.column_totals.iter().all(Option::is_none))
        );
    }
}
