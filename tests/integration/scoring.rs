//! Every possible answer vector, scored by the kiosk and by an independent formulation written
//! straight from the published papers (Kroenke 2001, Spitzer 2006, Kroenke 2009, WHO-5 / Topp
//! 2015). The kiosk reads its bands from data files; this test hard-codes them again.

use waystation::screening::{Catalogue, score};

/// All vectors of `items` answers in `0..=max`, as base-(max+1) digits of a counter.
fn all_vectors(items: usize, max: u32) -> impl Iterator<Item = Vec<u32>> {
    let base = max + 1;
    (0..base.pow(items as u32)).map(move |mut n| {
        (0..items)
            .map(|_| {
                let digit = n % base;
                n /= base;
                digit
            })
            .collect()
    })
}

fn check_all(id: &str, items: usize, max: u32, expected: impl Fn(&[u32]) -> Expected) -> usize {
    let catalogue = Catalogue::builtin();
    let instrument = catalogue.get(id).unwrap();
    let mut count = 0;
    for answers in all_vectors(items, max) {
        let got = score(instrument, &answers, instrument.refer_at).unwrap();
        let want = expected(&answers);
        assert_eq!(got.total, want.total, "{id} {answers:?}");
        assert_eq!(got.band, want.band, "{id} {answers:?}");
        assert_eq!(got.crisis, want.crisis, "{id} {answers:?}");
        assert_eq!(got.suggest, want.suggest, "{id} {answers:?}");
        assert_eq!(got.refer, want.refer, "{id} {answers:?}");
        assert_eq!(got.percent, want.percent, "{id} {answers:?}");
        count += 1;
    }
    count
}

struct Expected {
    total: u32,
    band: &'static str,
    crisis: bool,
    suggest: Vec<String>,
    refer: bool,
    percent: Option<u32>,
}

#[test]
fn phq9_all_262144_answer_vectors() {
    let n = check_all("phq9", 9, 3, |a| {
        let total: u32 = a.iter().sum();
        let band = match total {
            0..=4 => "minimal",
            5..=9 => "mild",
            10..=14 => "moderate",
            15..=19 => "moderately_severe",
            _ => "severe",
        };
        Expected {
            total,
            band,
            crisis: a[8] >= 1,
            suggest: vec![],
            // Referral at the published cut-off of 10, and always after a crisis answer.
            refer: total >= 10 || a[8] >= 1,
            percent: None,
        }
    });
    assert_eq!(n, 262_144);
}

#[test]
fn gad7_all_16384_answer_vectors() {
    let n = check_all("gad7", 7, 3, |a| {
        let total: u32 = a.iter().sum();
        let band = match total {
            0..=4 => "minimal",
            5..=9 => "mild",
            10..=14 => "moderate",
            _ => "severe",
        };
        Expected {
            total,
            band,
            crisis: false,
            suggest: vec![],
            refer: total >= 10,
            percent: None,
        }
    });
    assert_eq!(n, 16_384);
}

#[test]
fn phq4_all_256_answer_vectors() {
    let n = check_all("phq4", 4, 3, |a| {
        let total: u32 = a.iter().sum();
        let band = match total {
            0..=2 => "normal",
            3..=5 => "mild",
            6..=8 => "moderate",
            _ => "severe",
        };
        let mut suggest = vec![];
        if a[0] + a[1] >= 3 {
            suggest.push("gad7".to_string());
        }
        // Kroenke 2009: a subscale of 3 or more suggests its full questionnaire; the kiosk also
        // suggests the PHQ-9 from a total of 3 (the "mild" band), so "mild" always has one.
        if a[2] + a[3] >= 3 || total >= 3 {
            suggest.push("phq9".to_string());
        }
        Expected {
            total,
            band,
            crisis: false,
            suggest,
            refer: false,
            percent: None,
        }
    });
    assert_eq!(n, 256);
}

#[test]
fn phq4_reports_both_subscales() {
    let catalogue = Catalogue::builtin();
    let phq4 = catalogue.get("phq4").unwrap();
    for a in all_vectors(4, 3) {
        let s = score(phq4, &a, None).unwrap();
        let subs = s.subscales.unwrap();
        assert_eq!(
            (subs["anxiety"], subs["depression"]),
            (a[0] + a[1], a[2] + a[3])
        );
    }
}

#[test]
fn who5_all_7776_answer_vectors() {
    let n = check_all("who5", 5, 5, |a| {
        let raw: u32 = a.iter().sum();
        let percent = raw * 4;
        let band = if percent > 50 {
            "good"
        } else if percent >= 29 {
            "low"
        } else {
            "very_low"
        };
        // Below 13 raw, or any item answered 0 or 1 (the WHO-5's scoring notes).
        let suggest = if raw < 13 || a.iter().any(|v| *v <= 1) {
            vec!["phq9".to_string()]
        } else {
            vec![]
        };
        Expected {
            total: raw,
            band,
            crisis: false,
            suggest,
            refer: false,
            percent: Some(percent),
        }
    });
    assert_eq!(n, 7_776);
}

/// A band whose words point to "the fuller check below" must have one below for every answer
/// vector that lands in it: no text may promise a suggestion that is not shown.
#[test]
fn every_band_that_mentions_a_suggestion_has_one_for_every_answer_vector() {
    let catalogue = Catalogue::builtin();
    let mut checked = 0;
    for instrument in &catalogue.instruments {
        let max = u32::from(instrument.max_answer());
        for answers in all_vectors(instrument.items.len(), max) {
            let got = score(instrument, &answers, instrument.refer_at).unwrap();
            let band = instrument.band(&got.band).unwrap();
            let points_below = band.text_zh.contains("下面") || band.text_en.contains("below");
            if points_below {
                assert!(!got.suggest.is_empty(), "{} {answers:?}", instrument.id);
                checked += 1;
            }
        }
    }
    // PHQ-4 mild and moderate (3 to 8) and WHO-5 low and very low (raw 0 to 12) are such
    // bands: thousands of vectors, so the rule was really exercised.
    assert!(checked > 1_000, "{checked}");
}
