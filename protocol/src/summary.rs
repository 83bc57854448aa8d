//! The only record about workers that leaves a kiosk: a station's anonymous totals over whole
//! days (Asia/Shanghai), released only once at least [`MIN_VISITS`] visits contributed.
//!
//! A summary names the days it covers and holds counts, nothing else: no time of day, no
//! per-visit id, no order of events. A quiet station's days accumulate until the window holds
//! enough visits, so no summary ever describes one person's answers. Kiosk and hub both check a
//! summary with [`DaySummary::check`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The record kind of a day summary.
pub const DAY_SUMMARY_KIND: &str = "day_summary";
/// Its payload's schema version.
pub const DAY_SUMMARY_VERSION: u32 = 1;
/// A summary is released only when at least this many visits contributed to it.
pub const MIN_VISITS: u64 = 11;
/// What separates the parts of a count's key ("phq9/9/2": instrument, item, answer).
pub const KEY_SEPARATOR: char = '/';

/// What a count counts. The key's parts are listed with each; a key joins them with
/// [`KEY_SEPARATOR`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Metric {
    /// Visits: `started`, and how each ended: `finished`, `idle_timeout`, `quick_hide`.
    Visit,
    /// Mood check-ins: quadrant, word.
    MoodWord,
    /// Mood check-ins' tags: quadrant, tag.
    MoodTag,
    /// Self-check themes chosen: theme.
    Theme,
    /// Completed self-checks: instrument, band.
    Band,
    /// Completed self-checks' answers: instrument, item (from 1), answer value.
    Answer,
    /// Self-checks left before their end: instrument.
    Abandoned,
    /// The crisis route: `reached` (the crisis screen after an answer), `asked_staff` (the
    /// crisis screen's call for staff), `mood_help_lines` (help lines after a word of distress).
    Crisis,
    /// Results that suggested talking to a professional: instrument.
    Referral,
    /// Slips printed: `normal` or `crisis`.
    Slip,
    /// The lines and services printed slips carried: the number or the directory entry.
    SlipEntry,
    /// Directory entries opened: the entry's id.
    EntryOpened,
    /// Calls for station staff: `button` or `screen`.
    StaffCall,
    /// The tree hole (写下来): pages `opened`, and how each ended: `torn`, `printed`, `help`,
    /// `left` (the visit ended with the page open); `despair_card`, the help card shown beside
    /// a page. Nothing of what was written.
    Writing,
}

impl Metric {
    pub const ALL: [Metric; 14] = [
        Metric::Visit,
        Metric::MoodWord,
        Metric::MoodTag,
        Metric::Theme,
        Metric::Band,
        Metric::Answer,
        Metric::Abandoned,
        Metric::Crisis,
        Metric::Referral,
        Metric::Slip,
        Metric::SlipEntry,
        Metric::EntryOpened,
        Metric::StaffCall,
        Metric::Writing,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Metric::Visit => "visit",
            Metric::MoodWord => "mood_word",
            Metric::MoodTag => "mood_tag",
            Metric::Theme => "theme",
            Metric::Band => "band",
            Metric::Answer => "answer",
            Metric::Abandoned => "abandoned",
            Metric::Crisis => "crisis",
            Metric::Referral => "referral",
            Metric::Slip => "slip",
            Metric::SlipEntry => "slip_entry",
            Metric::EntryOpened => "entry_opened",
            Metric::StaffCall => "staff_call",
            Metric::Writing => "writing",
        }
    }

    pub fn from_name(name: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.name() == name)
    }

    /// How many parts its keys have.
    pub fn key_parts(self) -> usize {
        match self {
            Metric::MoodWord | Metric::MoodTag | Metric::Band => 2,
            Metric::Answer => 3,
            _ => 1,
        }
    }
}

/// One count's key: its parts joined with [`KEY_SEPARATOR`]. A part must not be empty or hold
/// the separator, so that every key splits back into exactly its parts.
pub fn key(parts: &[&str]) -> Result<String, SummaryError> {
    for part in parts {
        if part.is_empty() || part.contains(KEY_SEPARATOR) {
            return Err(SummaryError::Key(parts.join("|")));
        }
    }
    Ok(parts.join(&KEY_SEPARATOR.to_string()))
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SummaryError {
    #[error("day {0:?} is not a date written YYYY-MM-DD")]
    Day(String),
    #[error("the summary's first day {first} comes after its last day {last}")]
    Order { first: String, last: String },
    #[error("the summary covers {0} visits, fewer than the {MIN_VISITS} it needs")]
    TooFew(u64),
    #[error("key {0:?} is not a count's key (empty parts, a '/' inside one, or the wrong number)")]
    Key(String),
    #[error("a count of zero for {0}")]
    Zero(String),
}

/// The station's totals over the days from `first_day` to `last_day` (both included).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DaySummary {
    pub first_day: String,
    pub last_day: String,
    /// Metric name, then key, then how many. Only counts above zero are listed. A metric this
    /// side does not know (from a newer kiosk) is kept as it came.
    pub counts: BTreeMap<String, BTreeMap<String, u64>>,
}

impl DaySummary {
    /// How many visits started in the days it covers.
    pub fn visits(&self) -> u64 {
        self.count(Metric::Visit, "started")
    }

    pub fn count(&self, metric: Metric, key: &str) -> u64 {
        self.counts
            .get(metric.name())
            .and_then(|keys| keys.get(key))
            .copied()
            .unwrap_or(0)
    }

    /// The total of a metric over all its keys.
    pub fn total(&self, metric: Metric) -> u64 {
        self.counts
            .get(metric.name())
            .map(|keys| keys.values().sum())
            .unwrap_or(0)
    }

    /// Checks what both sides rely on: real days in order, enough visits, well-formed keys of
    /// the metrics it knows, no zero counts.
    pub fn check(&self) -> Result<(), SummaryError> {
        for day in [&self.first_day, &self.last_day] {
            if !is_day(day) {
                return Err(SummaryError::Day(day.clone()));
            }
        }
        // YYYY-MM-DD sorts as the days do.
        if self.first_day > self.last_day {
            return Err(SummaryError::Order {
                first: self.first_day.clone(),
                last: self.last_day.clone(),
            });
        }
        if self.visits() < MIN_VISITS {
            return Err(SummaryError::TooFew(self.visits()));
        }
        for (name, keys) in &self.counts {
            let metric = Metric::from_name(name);
            for (key, count) in keys {
                if *count == 0 {
                    return Err(SummaryError::Zero(format!("{name} {key}")));
                }
                let parts: Vec<&str> = key.split(KEY_SEPARATOR).collect();
                let shape_ok = parts.iter().all(|p| !p.is_empty())
                    && metric.is_none_or(|m| m.key_parts() == parts.len());
                if !shape_ok {
                    return Err(SummaryError::Key(key.clone()));
                }
            }
        }
        Ok(())
    }
}

/// Whether `text` is a real calendar date written `YYYY-MM-DD` (leap years included). Both the
/// kiosk and the hub check days with it; it reads untrusted text, so it never slices a string.
pub fn is_day(text: &str) -> bool {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return false;
    }
    // Read digits byte by byte: slicing the string could split a multi-byte character.
    let number = |from: usize, to: usize| -> Option<u32> {
        bytes[from..to].iter().try_fold(0u32, |n, &b| {
            b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0'))
        })
    };
    let (Some(year), Some(month), Some(day)) = (number(0, 4), number(5, 7), number(8, 10)) else {
        return false;
    };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(visits: u64) -> DaySummary {
        let mut counts = BTreeMap::new();
        counts.insert(
            "visit".to_string(),
            BTreeMap::from([("started".to_string(), visits)]),
        );
        counts.insert(
            "answer".to_string(),
            BTreeMap::from([("phq9/9/1".to_string(), 2)]),
        );
        DaySummary {
            first_day: "2026-11-30".into(),
            last_day: "2026-12-01".into(),
            counts,
        }
    }

    #[test]
    fn a_summary_needs_eleven_visits() {
        assert_eq!(summary(10).check(), Err(SummaryError::TooFew(10)));
        assert_eq!(summary(11).check(), Ok(()));
        assert_eq!(summary(11).visits(), 11);
        assert_eq!(summary(11).count(Metric::Answer, "phq9/9/1"), 2);
    }

    #[test]
    fn days_must_be_real_and_in_order() {
        let mut s = summary(20);
        s.first_day = "2026-02-29".into();
        assert_eq!(s.check(), Err(SummaryError::Day("2026-02-29".into())));
        s.first_day = "2026-12-02".into();
        assert!(matches!(s.check(), Err(SummaryError::Order { .. })));
        assert!(is_day("2028-02-29"));
        assert!(!is_day("2100-02-29"));
        assert!(!is_day("2026-13-01"));
        assert!(!is_day("2026-1-01x"));
    }

    #[test]
    fn keys_have_the_parts_their_metric_names() {
        let mut s = summary(20);
        s.counts
            .get_mut("answer")
            .unwrap()
            .insert("phq9/9".into(), 1);
        assert_eq!(s.check(), Err(SummaryError::Key("phq9/9".into())));
        assert!(key(&["a/b"]).is_err());
        assert!(key(&[""]).is_err());
        assert_eq!(key(&["phq9", "9", "1"]).unwrap(), "phq9/9/1");
        // A metric from a newer kiosk is kept, its keys only checked for empty parts.
        let mut s = summary(20);
        s.counts
            .insert("future".into(), BTreeMap::from([("a/b/c/d".into(), 1)]));
        assert_eq!(s.check(), Ok(()));
        s.counts.get_mut("future").unwrap().insert("x".into(), 0);
        assert!(matches!(s.check(), Err(SummaryError::Zero(_))));
    }

    #[test]
    fn every_metric_name_reads_back() {
        for m in Metric::ALL {
            assert_eq!(Metric::from_name(m.name()), Some(m));
        }
    }
}
