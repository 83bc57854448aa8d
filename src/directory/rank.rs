//! Ordering the directory for one person at one station at one moment.
//!
//! In a crisis the lines to call come first. Otherwise entries that help with the topics of
//! this visit (from the self-check or the mood tags) come first; then the counselling lines,
//! then other lines, then walk-in places open now, nearest first, then places closed now with
//! when they open; 110 and 120 last (they are on every screen's emergency button anyway).

use chrono::NaiveDateTime;
use opening_hours::OpeningHours;

use super::{Bundle, Entry, Kind, Topic};

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
    /// The source gives no hours.
    Unknown,
}

impl OpenNow {
    pub fn is_open(&self) -> bool {
        matches!(self, OpenNow::Always | OpenNow::Open { .. })
    }
}

/// Evaluates an `opening_hours` value at a local time (Asia/Shanghai, no time zone attached).
pub fn open_now(opening_hours: &str, at: NaiveDateTime) -> OpenNow {
    if opening_hours.trim().is_empty() {
        return OpenNow::Unknown;
    }
    let Ok(oh) = opening_hours.parse::<OpeningHours>() else {
        return OpenNow::Unknown;
    };
    if opening_hours.trim() == "24/7" {
        return OpenNow::Always;
    }
    if oh.is_open(at) {
        OpenNow::Open {
            until: oh.next_change(at),
        }
    } else if oh.is_closed(at) {
        OpenNow::Closed {
            opens: oh.next_change(at),
        }
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
    let mut ranked: Vec<Ranked> = bundle
        .entries
        .iter()
        .filter(|e| query.only_topic.is_none_or(|t| e.topics.contains(&t)))
        .map(|entry| Ranked {
            entry,
            distance_m: query
                .here
                .zip(entry.location())
                .map(|(a, b)| distance_m(a, b)),
            open: open_now(&entry.opening_hours, query.now),
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

    #[test]
    fn opening_hours_around_midnight_all_week_and_on_closed_days() {
        // A place open across midnight: Friday 22:00 to Saturday 02:00.
        let late = "Fr 22:00-02:00";
        assert!(
            open_now(late, at("2026-11-27 23:30")).is_open(),
            "Friday night"
        );
        assert!(
            open_now(late, at("2026-11-28 01:30")).is_open(),
            "after midnight, Saturday"
        );
        assert!(!open_now(late, at("2026-11-28 02:30")).is_open());
        assert_eq!(open_now("24/7", at("2026-11-29 03:00")), OpenNow::Always);
        // Closed on Sundays: the next opening is Monday morning.
        let weekdays = "Mo-Sa 09:00-17:00; Su off";
        match open_now(weekdays, at("2026-11-29 10:00")) {
            OpenNow::Closed { opens } => assert_eq!(opens, Some(at("2026-11-30 09:00"))),
            other => panic!("{other:?}"),
        }
        match open_now(weekdays, at("2026-11-28 16:00")) {
            OpenNow::Open { until } => assert_eq!(until, Some(at("2026-11-28 17:00"))),
            other => panic!("{other:?}"),
        }
        assert_eq!(open_now("", at("2026-11-28 16:00")), OpenNow::Unknown);
    }

    #[test]
    fn haversine_distances_are_right_to_a_few_metres() {
        // One hundredth of a degree of latitude is about 1,112 m anywhere.
        let d = distance_m((31.23, 121.47), (31.24, 121.47));
        assert!((d - 1112.0).abs() < 5.0, "{d}");
        assert_eq!(distance_m((31.23, 121.47), (31.23, 121.47)), 0.0);
    }

    fn query(crisis: bool, topics: Vec<Topic>, now: &str) -> Query {
        Query {
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
}
