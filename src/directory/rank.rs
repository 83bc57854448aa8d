//! Ordering the directory for one person at one station at one moment.
//!
//! First, what this station may show at all: example entries only at a demo station, and a
//! district's own services only at a station in that district (`Entry::shown_at`). Then, in a
//! crisis the lines to call come first. Otherwise entries that help with the topics of this
//! visit (from the self-check or the mood tags) come first; then the counselling lines, then
//! other lines, then walk-in places open now, nearest first, then places closed now with when
//! they open; 110 and 120 last (they are on every screen's emergency button anyway).

use chrono::NaiveDateTime;
use opening_hours::OpeningHours;
use opening_hours_syntax::rules::day::{HolidayKind, WeekDayRange};
use opening_hours_syntax::rules::time::Time;

use super::holidays::Calendar;
use super::{Bundle, District, Entry, Kind, Topic};

/// Whether a place is open at the moment asked about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenNow {
    /// "24/7".
    Always,
    Open {
        until: Option<NaiveDateTime>,
    },
    Closed {
        opens: Option<NaiveDateTime>,
    },
    /// The hours say something about public holidays (`PH`) and the bundle has no holiday
    /// calendar for this year: the kiosk cannot tell, so it says hours may differ on holidays.
    HolidaysMayDiffer,
    /// The source gives no hours (or the hours themselves say "unknown").
    Unknown,
}

impl OpenNow {
    pub fn is_open(&self) -> bool {
        matches!(self, OpenNow::Always | OpenNow::Open { .. })
    }
}

/// Whether an `opening_hours` value mentions public holidays (`PH`).
fn says_public_holiday(oh: &OpeningHours) -> bool {
    oh.get_expression().rules.iter().any(|rule| {
        rule.day_selector.weekday.iter().any(|w| {
            matches!(
                w,
                WeekDayRange::Holiday {
                    kind: HolidayKind::Public,
                    ..
                }
            )
        })
    })
}

/// Checks that the kiosk can evaluate an `opening_hours` value faithfully (a bundle with one
/// it cannot is refused). It must parse, and use nothing the kiosk has no data for or cannot
/// show: school holidays (`SH`: no calendar); sunrise, sunset, dawn and dusk (the crate would
/// put them at fixed times of its own, a guess); an open end (`09:00+`: no closing time, which
/// the crate calls open until midnight and the reference library unknown); or a comment ("by
/// appointment": the screens do not show it, so "open now" would drop the condition, and the
/// reference library calls a commented rule unknown where the crate says open).
pub fn evaluable(opening_hours: &str) -> Result<(), String> {
    let oh: OpeningHours = opening_hours
        .parse()
        .map_err(|_| "is not valid OpenStreetMap opening_hours syntax".to_string())?;
    for rule in &oh.get_expression().rules {
        let school = rule.day_selector.weekday.iter().any(|w| {
            matches!(
                w,
                WeekDayRange::Holiday {
                    kind: HolidayKind::School,
                    ..
                }
            )
        });
        if school {
            return Err("uses SH (school holidays), which the kiosk has no calendar for".into());
        }
        if !rule.comment.is_empty() {
            return Err(format!(
                "has a comment ({:?}), which the screens do not show: put it in the note",
                rule.comment.as_ref()
            ));
        }
        if rule.time_selector.spans.iter().any(|span| span.open_end) {
            return Err(
                "has an open end (e.g. 09:00+): with no closing time the kiosk cannot say closed"
                    .into(),
            );
        }
        let sun = rule.time_selector.spans.iter().any(|span| {
            matches!(span.range.start, Time::Variable(_))
                || matches!(span.range.end, Time::Variable(_))
        });
        if sun {
            return Err(
                "uses sunrise, sunset, dawn or dusk, which the kiosk cannot place in time".into(),
            );
        }
    }
    Ok(())
}

/// How many days ahead the kiosk looks for the next change: to the end of the sixth day after
/// today, so a weekday alone ("Opens Mon 09:00") names it without doubt, and the search stays
/// short whatever the hours say (the crate walks day by day, and for hours that never change,
/// such as `Mo-Su 00:00-24:00`, it would walk to the year 10000).
pub const NEXT_CHANGE_DAYS: u64 = 7;

/// The first change of state after `at`, if it comes before the end of the window.
fn next_change(oh: &OpeningHours, at: NaiveDateTime) -> Option<NaiveDateTime> {
    let limit = (at.date() + chrono::Days::new(NEXT_CHANGE_DAYS)).and_time(chrono::NaiveTime::MIN);
    let end = oh.iter_range(at, limit).next()?.range.end;
    (end < limit).then_some(end)
}

/// Evaluates an `opening_hours` value at a local time (Asia/Shanghai, no time zone attached),
/// with `PH` meaning the days off of the bundle's holiday calendar (see `holidays`). The next
/// change (`until`, `opens`) is given only within `NEXT_CHANGE_DAYS`.
pub fn open_now(opening_hours: &str, at: NaiveDateTime, calendar: &Calendar) -> OpenNow {
    if opening_hours.trim().is_empty() {
        return OpenNow::Unknown;
    }
    let Ok(oh) = opening_hours.parse::<OpeningHours>() else {
        return OpenNow::Unknown;
    };
    if opening_hours.trim() == "24/7" {
        return OpenNow::Always;
    }
    let holidays_matter = says_public_holiday(&oh);
    if holidays_matter && !calendar.covers(at.date()) {
        return OpenNow::HolidaysMayDiffer;
    }
    let oh = oh.with_context(calendar.context());
    // A change that falls in a year with no calendar may be a holiday's: better no time than
    // a wrong one.
    let next = || next_change(&oh, at).filter(|t| !holidays_matter || calendar.covers(t.date()));
    if oh.is_open(at) {
        OpenNow::Open { until: next() }
    } else if oh.is_closed(at) {
        OpenNow::Closed { opens: next() }
    } else {
        OpenNow::Unknown
    }
}

/// Great-circle distance in metres (haversine, mean Earth radius).
pub fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    const R: f64 = 6_371_008.8;
    let (lat1, lat2) = (a.0.to_radians(), b.0.to_radians());
    let dlat = lat2 - lat1;
    let dlon = (b.1 - a.1).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * R * h.sqrt().asin()
}

/// The topics a visit has shown, for putting the fitting services first: a crisis; a
/// self-check (emotional distress); the theme picked before it; and what weighs on the worker
/// in the mood check-in.
pub fn visit_topics(
    crisis: bool,
    screened: bool,
    check_topic: Option<&str>,
    mood_tags: &[String],
) -> Vec<Topic> {
    let mut topics = Vec::new();
    let mut add = |t: Topic| {
        if !topics.contains(&t) {
            topics.push(t);
        }
    };
    if crisis {
        add(Topic::Crisis);
    }
    if screened {
        add(Topic::EmotionalDistress);
    }
    match check_topic {
        Some("family") => add(Topic::FamilyRelationships),
        Some("work_pressure" | "future") => add(Topic::PersonalDevelopment),
        Some(_) => add(Topic::EmotionalDistress),
        None => {}
    }
    for tag in mood_tags {
        match tag.as_str() {
            "family" => add(Topic::FamilyRelationships),
            "orders" | "ratings" | "fines" | "income" => add(Topic::PersonalDevelopment),
            "loneliness" | "sleep" | "health" => add(Topic::EmotionalDistress),
            _ => {}
        }
    }
    topics
}

/// Who is asking, where and when.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// A demo station (the only kind that shows example entries).
    pub demo: bool,
    /// The station's district, when the config gives one.
    pub district: Option<District>,
    /// The station's location, when the config gives one.
    pub here: Option<(f64, f64)>,
    /// Local time in Shanghai.
    pub now: NaiveDateTime,
    pub crisis: bool,
    pub topics: Vec<Topic>,
    /// Only entries with one of these topics (the filter chips); empty for all.
    pub only_topic: Option<Topic>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Ranked<'a> {
    pub entry: &'a Entry,
    pub distance_m: Option<f64>,
    pub open: OpenNow,
}

pub fn rank<'a>(bundle: &'a Bundle, query: &Query) -> Vec<Ranked<'a>> {
    let calendar = Calendar::new(&bundle.holidays);
    let mut ranked: Vec<Ranked> = bundle
        .entries
        .iter()
        .filter(|e| e.shown_at(query.demo, query.district))
        .filter(|e| query.only_topic.is_none_or(|t| e.topics.contains(&t)))
        .map(|entry| Ranked {
            entry,
            distance_m: query
                .here
                .zip(entry.location())
                .map(|(a, b)| distance_m(a, b)),
            open: open_now(&entry.opening_hours, query.now, &calendar),
        })
        .collect();
    let key = |r: &Ranked| {
        let e = r.entry;
        let crisis_line = query.crisis && e.kind.is_line() && !e.phones.is_empty();
        let on_topic = e.topics.iter().any(|t| query.topics.contains(t));
        let group = match e.kind {
            Kind::Hotline => 0,
            Kind::CompanyLine | Kind::DistrictLine => 1,
            Kind::Emergency => 3,
            _ => 2,
        };
        (
            !crisis_line,
            !on_topic,
            group,
            // Only places are told apart by open now and distance: a line's hours say little.
            group == 2 && !r.open.is_open(),
            // Distances to the metre are enough to order by, and integers sort totally.
            r.distance_m.map_or(u64::MAX, |d| d as u64),
        )
    };
    ranked.sort_by(|a, b| {
        key(a)
            .cmp(&key(b))
            .then_with(|| a.entry.id.cmp(&b.entry.id))
    });
    ranked
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    /// The shipped bundle's holiday calendar (2026, from the State Council's notice).
    fn calendar() -> Calendar {
        Calendar::new(&Bundle::shipped().holidays)
    }

    /// `open_now` with the shipped calendar.
    fn open(hours: &str, when: &str) -> OpenNow {
        open_now(hours, at(when), &calendar())
    }

    #[test]
    fn opening_hours_around_midnight_all_week_and_on_closed_days() {
        // A place open across midnight: Friday 22:00 to Saturday 02:00.
        let late = "Fr 22:00-02:00";
        assert!(open(late, "2026-11-27 23:30").is_open(), "Friday night");
        assert!(
            open(late, "2026-11-28 01:30").is_open(),
            "after midnight, Saturday"
        );
        assert!(!open(late, "2026-11-28 02:30").is_open());
        assert_eq!(open("24/7", "2026-11-29 03:00"), OpenNow::Always);
        // Closed on Sundays: the next opening is Monday morning.
        let weekdays = "Mo-Sa 09:00-17:00; Su off";
        match open(weekdays, "2026-11-29 10:00") {
            OpenNow::Closed { opens } => assert_eq!(opens, Some(at("2026-11-30 09:00"))),
            other => panic!("{other:?}"),
        }
        match open(weekdays, "2026-11-28 16:00") {
            OpenNow::Open { until } => assert_eq!(until, Some(at("2026-11-28 17:00"))),
            other => panic!("{other:?}"),
        }
        assert_eq!(open("", "2026-11-28 16:00"), OpenNow::Unknown);
    }

    #[test]
    fn the_next_change_is_given_only_within_the_week_ahead() {
        // Opens on the sixth day after today: named by its weekday.
        assert_eq!(
            open("Tu 09:00-12:00", "2026-12-02 10:00"),
            OpenNow::Closed {
                opens: Some(at("2026-12-08 09:00"))
            }
        );
        // A week or more ahead, or never: no time, rather than a weekday that reads as this
        // week's.
        assert_eq!(
            open("We 09:00-12:00", "2026-12-02 13:00"),
            OpenNow::Closed { opens: None }
        );
        assert_eq!(
            open("off", "2026-12-02 13:00"),
            OpenNow::Closed { opens: None }
        );
        // Hours that never change come back at once (the crate alone would walk to the year
        // 10000).
        assert_eq!(
            open("Mo-Su 00:00-24:00", "2026-12-02 13:00"),
            OpenNow::Open { until: None }
        );
    }

    #[test]
    fn haversine_distances_are_right_to_a_few_metres() {
        // One hundredth of a degree of latitude is about 1,112 m anywhere.
        let d = distance_m((31.23, 121.47), (31.24, 121.47));
        assert!((d - 1112.0).abs() < 5.0, "{d}");
        assert_eq!(distance_m((31.23, 121.47), (31.23, 121.47)), 0.0);
    }

    /// At the demo station (People's Square, Huangpu), where the examples show.
    fn query(crisis: bool, topics: Vec<Topic>, now: &str) -> Query {
        Query {
            demo: true,
            district: Some(District::Huangpu),
            here: Some((31.2304, 121.4737)),
            now: at(now),
            crisis,
            topics,
            only_topic: None,
        }
    }

    #[test]
    fn a_crisis_puts_the_lines_to_call_first() {
        let bundle = Bundle::shipped();
        let ranked = rank(&bundle, &query(true, vec![], "2026-11-28 10:00"));
        let first: Vec<&str> = ranked.iter().take(5).map(|r| r.entry.id.as_str()).collect();
        assert!(
            ranked
                .iter()
                .take(5)
                .all(|r| r.entry.kind.is_line() && !r.entry.phones.is_empty()),
            "{first:?}"
        );
        assert!(first.contains(&"national-12356") && first.contains(&"emergency-120"));
    }

    #[test]
    fn walk_in_places_sort_open_first_then_nearest() {
        let bundle = Bundle::shipped();
        // Saturday 10:00: the example clinic (Sa mornings) and waystation are open, the
        // counselling point (weekdays) is closed.
        let ranked = rank(&bundle, &query(false, vec![], "2026-11-28 10:00"));
        let places: Vec<&str> = ranked
            .iter()
            .filter(|r| r.distance_m.is_some())
            .map(|r| r.entry.id.as_str())
            .collect();
        assert_eq!(
            places,
            [
                "example-hospital-clinic",
                "example-waystation",
                "example-counselling-point"
            ]
        );
        let distances: Vec<f64> = ranked.iter().filter_map(|r| r.distance_m).collect();
        assert!(
            distances[0] < distances[1],
            "the two open ones nearest first: {distances:?}"
        );
    }

    #[test]
    fn without_a_crisis_the_counselling_lines_lead_and_110_120_close() {
        let bundle = Bundle::shipped();
        let ranked = rank(&bundle, &query(false, vec![], "2026-11-28 10:00"));
        let ids: Vec<&str> = ranked.iter().map(|r| r.entry.id.as_str()).collect();
        assert_eq!(&ids[..2], ["national-12356", "union-12351"]);
        assert_eq!(&ids[ids.len() - 2..], ["emergency-110", "emergency-120"]);
    }

    #[test]
    fn a_visit_shows_its_topics() {
        assert_eq!(
            visit_topics(true, true, Some("family"), &[]),
            [
                Topic::Crisis,
                Topic::EmotionalDistress,
                Topic::FamilyRelationships
            ]
        );
        assert_eq!(
            visit_topics(false, false, None, &["fines".into(), "income".into()]),
            [Topic::PersonalDevelopment]
        );
        assert!(visit_topics(false, false, None, &["nothing".into()]).is_empty());
    }

    #[test]
    fn topics_of_the_visit_come_first_and_the_filter_keeps_only_its_topic() {
        let bundle = Bundle::shipped();
        let ranked = rank(
            &bundle,
            &query(false, vec![Topic::FamilyRelationships], "2026-11-28 10:00"),
        );
        assert!(ranked[0].entry.topics.contains(&Topic::FamilyRelationships));
        let q = Query {
            only_topic: Some(Topic::PersonalDevelopment),
            ..query(false, vec![], "2026-11-28 10:00")
        };
        let only = rank(&bundle, &q);
        assert!(
            !only.is_empty()
                && only
                    .iter()
                    .all(|r| r.entry.topics.contains(&Topic::PersonalDevelopment))
        );
    }

    /// The ids a station would list, in order.
    fn listed(demo: bool, district: Option<District>, now: &str) -> Vec<String> {
        let q = Query {
            demo,
            district,
            ..query(false, vec![], now)
        };
        rank(&Bundle::shipped(), &q)
            .iter()
            .map(|r| r.entry.id.clone())
            .collect()
    }

    #[test]
    fn examples_show_only_at_a_demo_station_never_nearest_or_open_elsewhere() {
        let bundle = Bundle::shipped();
        let examples: Vec<&str> = bundle
            .entries
            .iter()
            .filter(|e| e.example)
            .map(|e| e.id.as_str())
            .collect();
        assert!(examples.len() >= 3);
        let demo = listed(true, None, "2026-11-28 10:00");
        assert!(examples.iter().all(|id| demo.iter().any(|d| d == id)));
        // A real station at the same place and time: no example is listed, so none is the
        // nearest or open; what is left are the sourced services, none of them located.
        let q = Query {
            demo: false,
            ..query(false, vec![], "2026-11-28 10:00")
        };
        let real = rank(&bundle, &q);
        assert!(!real.is_empty());
        assert!(real.iter().all(|r| !r.entry.example), "{real:?}");
        assert!(real.iter().all(|r| r.distance_m.is_none()));
        assert!(
            real.iter()
                .filter(|r| r.open.is_open())
                .all(|r| r.entry.kind.is_line()),
            "only lines can be open at a real station with this bundle"
        );
        // Not in a crisis either.
        let crisis = rank(
            &bundle,
            &Query {
                demo: false,
                ..query(true, vec![Topic::Crisis], "2026-11-28 10:00")
            },
        );
        assert!(crisis.iter().all(|r| !r.entry.example));
    }

    #[test]
    fn a_district_s_own_services_show_only_in_that_district() {
        let when = "2026-11-28 10:00";
        let has = |list: &[String], id: &str| list.iter().any(|l| l == id);
        let jingan = listed(false, Some(District::Jingan), when);
        assert!(has(&jingan, "jingan-tree-hole") && !has(&jingan, "pudong-heart-cabins"));
        let pudong = listed(false, Some(District::Pudong), when);
        assert!(has(&pudong, "pudong-heart-cabins") && !has(&pudong, "jingan-tree-hole"));
        let xuhui = listed(false, Some(District::Xuhui), when);
        let unset = listed(false, None, when);
        for list in [&xuhui, &unset] {
            assert!(!has(list, "jingan-tree-hole") && !has(list, "pudong-heart-cabins"));
            // Entries with no districts show everywhere.
            for everywhere in ["national-12356", "union-12351", "district-clinics"] {
                assert!(has(list, everywhere), "{everywhere} in {list:?}");
            }
        }
        assert_eq!(jingan.len(), xuhui.len() + 1);
    }

    #[test]
    fn public_holidays_follow_the_bundle_s_calendar() {
        let weekdays = "Mo-Fr 09:00-17:00; PH off";
        // 1 October 2026 is a Thursday and a day off: closed. The break runs to the 7th, so
        // it opens again on Thursday the 8th: a week ahead, too far to name by its weekday,
        // but on Monday the 5th it is named.
        assert_eq!(
            open(weekdays, "2026-10-01 10:00"),
            OpenNow::Closed { opens: None }
        );
        assert_eq!(
            open(weekdays, "2026-10-05 10:00"),
            OpenNow::Closed {
                opens: Some(at("2026-10-08 09:00"))
            }
        );
        assert!(!open("Mo-Su 08:00-20:00; PH off", "2026-10-05 10:00").is_open());
        // Spring Festival 2026: Tuesday 17 February is a day off, and so is Friday the 20th,
        // a weekday swapped into the break.
        assert!(!open(weekdays, "2026-02-17 10:00").is_open());
        assert!(!open(weekdays, "2026-02-20 10:00").is_open());
        assert!(open(weekdays, "2026-02-24 10:00").is_open());
        // The make-up working Saturday 10 October is a Saturday for weekday rules, and not a
        // holiday.
        assert!(!open(weekdays, "2026-10-10 10:00").is_open());
        assert!(open("Sa 09:00-12:00; PH off", "2026-10-10 10:00").is_open());
        assert!(!open("PH", "2026-10-10 10:00").is_open());
        // Holiday hours of their own.
        let holiday_mornings = "Mo-Su 08:00-20:00; PH 09:00-12:00";
        assert!(open(holiday_mornings, "2026-10-01 10:00").is_open());
        assert!(!open(holiday_mornings, "2026-10-01 13:00").is_open());
        assert!(open(holiday_mornings, "2026-10-08 13:00").is_open());
        // Days the notice does not give are not holidays (8 March, 1 June).
        assert!(open(weekdays, "2026-06-01 10:00").is_open());
        // Hours that do not mention holidays are not touched by them.
        assert!(open("Mo-Fr 09:00-17:00", "2026-10-01 10:00").is_open());
    }

    #[test]
    fn without_the_year_s_calendar_holiday_hours_may_differ() {
        let weekdays = "Mo-Fr 09:00-17:00; PH off";
        // The shipped bundle has no notice for 2027.
        assert_eq!(
            open(weekdays, "2027-01-01 10:00"),
            OpenNow::HolidaysMayDiffer
        );
        assert_eq!(
            open("PH 09:00-12:00", "2027-02-08 10:00"),
            OpenNow::HolidaysMayDiffer
        );
        assert!(open("Mo-Fr 09:00-17:00", "2027-01-01 10:00").is_open());
        // On the last evening of 2026 the next opening would be 1 January 2027, which may be
        // a holiday: no time is given rather than a wrong one.
        assert_eq!(
            open(weekdays, "2026-12-31 18:00"),
            OpenNow::Closed { opens: None }
        );
        assert_eq!(
            open("Mo-Fr 09:00-17:00", "2026-12-31 18:00"),
            OpenNow::Closed {
                opens: Some(at("2027-01-01 09:00"))
            }
        );
        // With no calendar at all, every `PH` hour may differ, even in 2026.
        assert_eq!(
            open_now(weekdays, at("2026-10-01 10:00"), &Calendar::default()),
            OpenNow::HolidaysMayDiffer
        );
    }

    #[test]
    fn hours_the_kiosk_cannot_evaluate_are_refused() {
        for good in [
            "24/7",
            "Mo-Fr 09:00-17:00; PH off",
            "Fr 22:00-02:00",
            "Jan-Mar Mo-Fr 08:00-12:00",
            "PH 09:00-12:00",
        ] {
            assert_eq!(evaluable(good), Ok(()), "{good}");
        }
        assert!(
            evaluable("Mo-Fr 25:00-26:00 nonsense")
                .unwrap_err()
                .contains("syntax")
        );
        assert!(
            evaluable("Mo-Fr 09:00-17:00; SH off")
                .unwrap_err()
                .contains("SH")
        );
        assert!(
            evaluable("Mo-Su sunrise-sunset")
                .unwrap_err()
                .contains("sunrise")
        );
        assert!(
            evaluable("Mo-Su 08:00-(sunset-01:00)")
                .unwrap_err()
                .contains("sunset")
        );
        assert!(evaluable("Mo-Fr 09:00+").unwrap_err().contains("open end"));
        assert!(
            evaluable("Mo-Fr 09:00-17:00 \"by appointment\"")
                .unwrap_err()
                .contains("comment")
        );
        assert!(
            evaluable("Mo-Fr 09:00-17:00 || \"by appointment\"")
                .unwrap_err()
                .contains("comment")
        );
    }
}
