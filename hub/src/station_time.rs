//! Station time at the hub: the one place the hub knows the stations' time zone, for a
//! summary's days and midnights, an alert's time and the times in messages. The kiosk has the
//! same in its own `station_time` (the hub does not depend on the kiosk's crate, which brings
//! the whole kiosk); a kiosk test checks that the two agree. Every station is in Shanghai,
//! which has kept UTC+8 all year since 1991 (its last summer time ended that September), so a
//! fixed offset is right for any time a kiosk sends, and no time-zone data is needed.

use chrono::{DateTime, FixedOffset};

/// The stations' offset east of UTC, in milliseconds.
pub const OFFSET_MS: i64 = 8 * 3_600_000;

const DAY_MS: i64 = 24 * 3_600_000;

/// The stations' time zone, for `DateTime::with_timezone`.
pub const ZONE: FixedOffset = match FixedOffset::east_opt((OFFSET_MS / 1000) as i32) {
    Some(zone) => zone,
    None => panic!("the stations' offset is less than a day"),
};

/// The station midnight at or before `ms` (ms since the epoch).
pub fn midnight(ms: i64) -> i64 {
    // Clamped so that a kiosk's absurd clock cannot overflow the arithmetic; what comes out
    // is still a midnight, just not one near the absurd time.
    let ms = ms.clamp(i64::MIN / 2, i64::MAX / 2);
    (ms + OFFSET_MS).div_euclid(DAY_MS) * DAY_MS - OFFSET_MS
}

/// The station date of `ms`, `YYYY-MM-DD`.
pub fn day(ms: i64) -> String {
    DateTime::from_timestamp_millis(midnight(ms) + OFFSET_MS)
        .map(|t| t.format("%Y-%m-%d").to_string())
        // Only for times chrono cannot represent (beyond the year 262,000).
        .unwrap_or_else(|| "0000-00-00".into())
}

/// `ms` as the stations' clocks show it, if chrono can represent it.
pub fn local(ms: i64) -> Option<DateTime<FixedOffset>> {
    DateTime::from_timestamp_millis(ms).map(|t| t.with_timezone(&ZONE))
}

/// The station date of `ms`, as a date (what the figures count weeks from).
pub fn date(ms: i64) -> chrono::NaiveDate {
    local(ms).map(|t| t.date_naive()).unwrap_or_default()
}

/// `ms` in station time to the minute, `YYYY-MM-DD HH:MM`, for messages and tables.
pub fn minute(ms: i64) -> Option<String> {
    local(ms).map(|t| t.format("%Y-%m-%d %H:%M").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-11-18 19:06:40 in Shanghai.
    const NOV_2026: i64 = 1_795_000_000_000;
    /// 2026-11-18 00:00 in Shanghai (2026-11-17 16:00 UTC).
    const NOV_18_MIDNIGHT: i64 = 1_794_931_200_000;

    #[test]
    fn midnights_are_shanghai_midnights() {
        assert_eq!(midnight(NOV_2026), NOV_18_MIDNIGHT);
        assert_eq!(midnight(NOV_18_MIDNIGHT), NOV_18_MIDNIGHT);
        assert_eq!(midnight(NOV_18_MIDNIGHT - 1), NOV_18_MIDNIGHT - DAY_MS);
        // 1970-01-01 00:00 in Shanghai was 8 hours before the epoch.
        assert_eq!(midnight(0), -OFFSET_MS);
        assert_eq!(day(NOV_2026), "2026-11-18");
        assert_eq!(day(NOV_18_MIDNIGHT - 1), "2026-11-17");
        for absurd in [i64::MIN, i64::MIN + 1, -1, i64::MAX - 1, i64::MAX] {
            let midnight = midnight(absurd);
            assert_eq!((midnight + OFFSET_MS) % DAY_MS, 0, "{absurd}");
            assert!(!day(absurd).is_empty());
        }
    }

    #[test]
    fn times_are_shown_in_shanghai_time() {
        assert_eq!(minute(NOV_2026).as_deref(), Some("2026-11-18 19:06"));
        assert_eq!(
            local(NOV_2026).unwrap().to_rfc3339(),
            "2026-11-18T19:06:40+08:00"
        );
        assert_eq!(minute(i64::MAX), None);
    }
}
