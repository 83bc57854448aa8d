//! The kiosk's opening hours against the OpenStreetMap reference library, opening_hours.js.
//!
//! `tools/opening-hours-reference/generate.mjs` evaluates every expression of the shipped bundle
//! and a handwritten set at a few hundred moments with the reference, and commits the answers
//! to `tests/data/opening-hours-reference.json`; `tools/opening-hours-reference/check`
//! regenerates them with npm and fails if they changed. Here the kiosk's own evaluation
//! (`rank::open_now`, with the bundle's holiday calendar) must give the same answer on every
//! moment the fixture compares: open, closed or unknown, and the next change. What the
//! fixture leaves out (public-holiday dates where the State Council's notice and the
//! reference's fixed list for China differ, and years with no notice) is explained in it.

use chrono::{Duration, NaiveDateTime};
use serde_json::Value;
use waystation::directory::Bundle;
use waystation::directory::holidays::Calendar;
use waystation::directory::rank::{OpenNow, evaluable, open_now};

const FIXTURE: &str = include_str!("../data/opening-hours-reference.json");

fn fixture() -> Value {
    serde_json::from_str(FIXTURE).expect("the fixture is JSON")
}

fn moment(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").expect("moments are YYYY-MM-DD HH:MM")
}

fn letter(open: &OpenNow) -> char {
    match open {
        OpenNow::Always | OpenNow::Open { .. } => 'o',
        OpenNow::Closed { .. } => 'c',
        OpenNow::Unknown => 'u',
        OpenNow::HolidaysMayDiffer => 'm',
    }
}

/// The kiosk's next change, as the fixture writes it: minutes ahead, or `n` for none (the
/// kiosk looks only up to the end of the sixth day after today, and so did the generator).
fn next_change(open: &OpenNow, at: NaiveDateTime) -> String {
    let next = match open {
        OpenNow::Open { until } => *until,
        OpenNow::Closed { opens } => *opens,
        _ => None,
    };
    next.map_or("n".into(), |t| (t - at).num_minutes().to_string())
}

#[test]
fn the_kiosk_agrees_with_opening_hours_js_on_every_compared_moment() {
    let f = fixture();
    let bundle = Bundle::shipped();
    assert_eq!(
        f["bundle_version"], bundle.version,
        "the bundle changed: regenerate the fixture with tools/opening-hours-reference/check"
    );
    let calendar = Calendar::new(&bundle.holidays);
    let moments: Vec<NaiveDateTime> = f["moments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| moment(m.as_str().unwrap()))
        .collect();
    let rows = f["expressions"].as_array().unwrap();
    for e in bundle
        .entries
        .iter()
        .filter(|e| !e.opening_hours.is_empty())
    {
        assert!(
            rows.iter().any(|r| r["hours"] == e.opening_hours.as_str()),
            "{}'s hours are not in the fixture: regenerate it",
            e.id
        );
    }
    let (mut states, mut changes) = (0, 0);
    let mut disagreements = Vec::new();
    for row in rows {
        let hours = row["hours"].as_str().unwrap();
        assert_eq!(evaluable(hours), Ok(()), "{hours}");
        let expected: Vec<char> = row["states"].as_str().unwrap().chars().collect();
        let next: Vec<&str> = row["next"].as_str().unwrap().split(' ').collect();
        assert_eq!((expected.len(), next.len()), (moments.len(), moments.len()));
        for ((&at, &want), &want_next) in moments.iter().zip(&expected).zip(&next) {
            let kiosk = open_now(hours, at, &calendar);
            if want == '-' {
                // Left out; in a year without a notice the kiosk must not guess.
                if !calendar.covers(at.date()) {
                    assert_eq!(kiosk, OpenNow::HolidaysMayDiffer, "{hours} at {at}");
                }
                continue;
            }
            states += 1;
            if letter(&kiosk) != want {
                disagreements.push(format!(
                    "{hours:?} at {at}: reference {want}, kiosk {kiosk:?}"
                ));
                continue;
            }
            if want_next == "." || want_next == "-" {
                continue;
            }
            changes += 1;
            let got = next_change(&kiosk, at);
            if got != want_next {
                let show = |m: &str| {
                    m.parse::<i64>()
                        .map_or(m.to_string(), |m| (at + Duration::minutes(m)).to_string())
                };
                disagreements.push(format!(
                    "{hours:?} at {at}: next change reference {}, kiosk {}",
                    show(want_next),
                    show(&got)
                ));
            }
        }
    }
    // The first few of each expression, so one bad expression does not hide the others.
    let mut shown: Vec<&String> = Vec::new();
    for d in &disagreements {
        let hours = d.split(" at ").next();
        if shown
            .iter()
            .filter(|s| s.split(" at ").next() == hours)
            .count()
            < 3
        {
            shown.push(d);
        }
    }
    assert!(
        disagreements.is_empty(),
        "{} disagreements, a few of each:\n{}",
        disagreements.len(),
        shown
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    // Every compared moment was compared here too, and there are many.
    assert_eq!(states, f["compared_states"].as_u64().unwrap() as usize);
    assert_eq!(
        changes,
        f["compared_next_changes"].as_u64().unwrap() as usize
    );
    assert!(states > 10_000 && changes > 10_000, "{states} {changes}");
}

#[test]
fn what_the_kiosk_cannot_evaluate_faithfully_it_refuses() {
    let f = fixture();
    let refused = f["refused"].as_array().unwrap();
    assert!(refused.len() >= 5);
    for r in refused {
        let hours = r["hours"].as_str().unwrap();
        assert!(evaluable(hours).is_err(), "{hours} should be refused");
    }
}
