//! China's public holidays, year by year, as the State Council General Office's yearly notice
//! (国务院办公厅关于20XX年部分节假日安排的通知) sets them, carried in the signed bundle.
//!
//! Opening hours say `PH` for public holidays. The dates move every year (lunar festivals,
//! and the swapped weekend days that make the breaks longer), so the kiosk cannot work them out:
//! it takes them from the bundle, and for a year the bundle has no notice for it says hours
//! may differ instead of guessing (see `rank::open_now`).
//!
//! What counts as `PH`: every day off in the notice, including the weekend days inside a break
//! and the weekdays swapped for a make-up working day. A make-up working day (调休上班日, a
//! Saturday or Sunday worked instead) is never `PH`, and it keeps its own weekday for the
//! weekday rules: a 调休 Saturday is a Saturday. That is how the OpenStreetMap reference
//! library (opening_hours.js) evaluates it too, since the `opening_hours` syntax has no way to
//! name such a day; and it never sends anyone to a closed door: a place the hours call closed
//! on Saturdays is shown closed, even if it may in fact open on that working day.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{Datelike, NaiveDate, Weekday};
use compact_calendar::CompactCalendar;
use serde::{Deserialize, Serialize};

/// Where a year's dates come from: the notice, and where its text or dates were read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoticeSource {
    /// The notice's title, e.g. 国务院办公厅关于2026年部分节假日安排的通知.
    pub document: String,
    /// Its document number (国办发明电〔…〕…号), when known.
    #[serde(default)]
    pub number: String,
    /// The day it was issued.
    pub date: NaiveDate,
    /// Where the dates were read: a republication of the full text, a maintained package and
    /// its version.
    pub via: String,
}

/// One year's days off and make-up working days.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HolidayYear {
    pub year: i32,
    /// Every day off the notice gives, in date order.
    pub days_off: Vec<NaiveDate>,
    /// The make-up working days (调休上班日), in date order.
    #[serde(default)]
    pub working_days: Vec<NaiveDate>,
    pub source: NoticeSource,
}

impl HolidayYear {
    /// Checks one year; the error names the year and what is wrong.
    pub fn check(&self) -> Result<(), String> {
        let at = |what: String| Err(format!("holidays {}: {what}", self.year));
        let s = &self.source;
        if s.document.trim().is_empty() || s.via.trim().is_empty() {
            return at("source must name the notice and where its dates were read".into());
        }
        if !s.document.contains(&self.year.to_string()) {
            return at(format!(
                "source document {:?} is not the notice for this year",
                s.document
            ));
        }
        if self.days_off.is_empty() {
            return at("days_off is empty".into());
        }
        for list in [&self.days_off, &self.working_days] {
            if let Some(d) = list.iter().find(|d| d.year() != self.year) {
                return at(format!("{d} is not in {}", self.year));
            }
            if list.windows(2).any(|w| w[0] >= w[1]) {
                return at("dates must be in order, each once".into());
            }
        }
        if let Some(d) = self.working_days.iter().find(|d| self.days_off.contains(d)) {
            return at(format!("{d} is both a day off and a working day"));
        }
        // A make-up working day is always a weekend day worked instead; anything else is a typo.
        if let Some(d) = self
            .working_days
            .iter()
            .find(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
        {
            return at(format!(
                "working day {d} is a {}, not a weekend day",
                d.weekday()
            ));
        }
        Ok(())
    }
}

/// The bundle's holiday years, ready to answer "is this day a public holiday?".
#[derive(Debug, Clone, Default)]
pub struct Calendar {
    years: BTreeSet<i32>,
    days_off: Arc<CompactCalendar>,
    working_days: BTreeSet<NaiveDate>,
}

impl Calendar {
    pub fn new(years: &[HolidayYear]) -> Calendar {
        let mut days_off = CompactCalendar::default();
        for day in years.iter().flat_map(|y| &y.days_off) {
            days_off.insert(*day);
        }
        Calendar {
            years: years.iter().map(|y| y.year).collect(),
            days_off: Arc::new(days_off),
            working_days: years
                .iter()
                .flat_map(|y| y.working_days.iter().copied())
                .collect(),
        }
    }

    /// Whether the bundle has the notice for this date's year.
    pub fn covers(&self, date: NaiveDate) -> bool {
        self.years.contains(&date.year())
    }

    /// A day off by the notice (`PH`).
    pub fn is_day_off(&self, date: NaiveDate) -> bool {
        self.days_off.contains(date)
    }

    /// A weekend day worked instead of a day off (调休上班日).
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        self.working_days.contains(&date)
    }

    /// The evaluation context that makes `PH` mean these days off.
    pub(super) fn context(&self) -> opening_hours::Context {
        let public = opening_hours::ContextHolidays::new(self.days_off.clone(), Arc::default());
        opening_hours::Context::default().with_holidays(public)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn year_2026() -> HolidayYear {
        crate::directory::Bundle::shipped()
            .holidays
            .into_iter()
            .find(|y| y.year == 2026)
            .expect("the shipped bundle carries 2026")
    }

    #[test]
    fn the_shipped_2026_calendar_is_the_notice_s() {
        let y = year_2026();
        y.check().unwrap();
        // 国办发明电〔2025〕7号: seven breaks, 33 days off, six make-up working days.
        assert_eq!(y.days_off.len(), 33);
        assert_eq!(
            y.working_days,
            [
                "2026-01-04",
                "2026-02-14",
                "2026-02-28",
                "2026-05-09",
                "2026-09-20",
                "2026-10-10"
            ]
            .map(day)
        );
        let calendar = Calendar::new(&[y]);
        for off in [
            "2026-10-01",
            "2026-10-07",
            "2026-02-15",
            "2026-02-23",
            "2026-06-19",
        ] {
            assert!(calendar.is_day_off(day(off)), "{off}");
        }
        for on in [
            "2026-10-08",
            "2026-02-14",
            "2026-03-08",
            "2026-06-01",
            "2026-12-25",
        ] {
            assert!(!calendar.is_day_off(day(on)), "{on}");
        }
        assert!(calendar.is_working_day(day("2026-10-10")));
        assert!(calendar.covers(day("2026-12-31")));
        assert!(!calendar.covers(day("2027-01-01")));
    }

    #[test]
    fn a_bad_year_is_refused_with_what_is_wrong() {
        let err = |change: fn(&mut HolidayYear)| {
            let mut y = year_2026();
            change(&mut y);
            y.check().unwrap_err()
        };
        assert!(err(|y| y.days_off.push(day("2027-01-01"))).contains("2027-01-01 is not in 2026"));
        // Sunday 4 October, inside the National Day break.
        assert!(err(|y| y.working_days.insert(5, day("2026-10-04"))).contains("both"));
        // 2026-10-09 is a Friday: a make-up working day is always a weekend day.
        assert!(err(|y| y.working_days.insert(5, day("2026-10-09"))).contains("not a weekend day"));
        assert!(err(|y| y.days_off.swap(0, 1)).contains("in order"));
        assert!(err(|y| y.source.via.clear()).contains("source"));
        assert!(err(|y| y.year = 2025).contains("not the notice for this year"));
    }
}
