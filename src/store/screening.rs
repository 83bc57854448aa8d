//! Storing self-checks: nothing per visit, only the day's counts (the instrument and band,
//! each item's answer, a referral), added in one transaction.

use chrono::{DateTime, Utc};
use waystation_protocol::Metric;

use super::counts::Count;
use super::{Store, StoreError};
use crate::screening::Score;
use crate::screening::flow::Abandoned;

/// What a completed self-check adds to its day: one for its band, one for each item's answer
/// (item numbers from 1), and one referral when the result suggested talking to someone.
pub fn completed_counts(instrument: &str, band: &str, answers: &[u8], refer: bool) -> Vec<Count> {
    let mut counts = vec![Count::new(Metric::Band, &[instrument, band])];
    for (item, answer) in answers.iter().enumerate() {
        let (item, answer) = ((item + 1).to_string(), answer.to_string());
        counts.push(Count::new(Metric::Answer, &[instrument, &item, &answer]));
    }
    if refer {
        counts.push(Count::new(Metric::Referral, &[instrument]));
    }
    counts
}

/// Counts a completed self-check on its day (in Shanghai time).
pub fn commit_completed(
    store: &mut Store,
    wall: DateTime<Utc>,
    score: &Score,
) -> Result<(), StoreError> {
    let counts = completed_counts(&score.instrument, &score.band, &score.answers, score.refer);
    store.count(wall, &counts)
}

/// Counts a self-check left before its end: only which instrument.
pub fn commit_abandoned(
    store: &mut Store,
    wall: DateTime<Utc>,
    left: &Abandoned,
) -> Result<(), StoreError> {
    store.count(wall, &[Count::new(Metric::Abandoned, &[&left.instrument])])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::screening::{Catalogue, score};

    fn at(rfc3339: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(rfc3339).unwrap().into()
    }

    #[test]
    fn a_completed_check_adds_its_band_and_answers_to_its_shanghai_day_and_nothing_else() {
        let catalogue = Catalogue::builtin();
        let phq9 = catalogue.get("phq9").unwrap();
        let result = score(phq9, &[1, 1, 1, 1, 1, 1, 1, 1, 1], Some(10)).unwrap();
        let mut store = Store::open_in_memory().unwrap();
        // 2026-11-28 17:30 UTC is already 2026-11-29 in Shanghai.
        commit_completed(&mut store, at("2026-11-28T17:30:00Z"), &result).unwrap();
        commit_completed(&mut store, at("2026-11-28T17:31:00Z"), &result).unwrap();
        let counts = store.day_counts("2026-11-29").unwrap();
        assert!(counts.contains(&("band".into(), "phq9/mild".into(), 2)));
        assert!(counts.contains(&("answer".into(), "phq9/9/1".into(), 2)));
        assert!(counts.contains(&("referral".into(), "phq9".into(), 2)));
        assert_eq!(counts.len(), 1 + 9 + 1);
        assert!(store.day_counts("2026-11-28").unwrap().is_empty());
        // Nothing waits to leave: a self-check is no record of its own.
        assert_eq!(store.outbox_counts().unwrap().total(), 0);
    }

    #[test]
    fn an_abandoned_check_counts_only_its_instrument() {
        let mut store = Store::open_in_memory().unwrap();
        let left = Abandoned {
            instrument: "phq9".into(),
            version: 1,
            reached: 4,
        };
        commit_abandoned(&mut store, at("2026-11-28T02:00:00Z"), &left).unwrap();
        assert_eq!(
            store.day_counts("2026-11-28").unwrap(),
            [("abandoned".into(), "phq9".into(), 1)]
        );
    }
}
