//! Station time: the one place that knows which time zone the kiosk's days, printed times and
//! opening hours are in. Every station is in Shanghai, and Shanghai has kept UTC+8 all year
//! since 1991 (China's last summer time ended that September), so a fixed offset gives the
//! right local time for every moment a kiosk can meet (its clock may read 1970 before NTP,
//! which is still UTC+8 then), and no time-zone database is needed.
//!
//! A "day" is a station calendar day: what the day counts, summaries, a record's clear `day`
//! and the station week are kept by. Pure: every function takes the moment it works on.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Utc};

/// The station's offset east of UTC, in seconds, as a literal, for SQL text built with
/// `concat!` at compile time (where a `const` cannot go): a stored wall time in milliseconds
/// becomes its station day with `date(ms / 1000 + 28800, 'unixepoch')`.
macro_rules! station_offset_seconds {
    () => {
        28800
    };
}
pub(crate) use station_offset_seconds;

/// The station's offset east of UTC, in seconds.
pub const OFFSET_SECONDS: i32 = station_offset_seconds!();

/// The same offset in milliseconds, for arithmetic on stored wall times.
pub const OFFSET_MS: i64 = OFFSET_SECONDS as i64 * 1000;

/// The station's time zone, for `DateTime::with_timezone`.
pub const ZONE: FixedOffset = match FixedOffset::east_opt(OFFSET_SECONDS) {
    Some(zone) => zone,
    None => panic!("the station's offset is less than a day"),
};

/// A moment as the station's clock shows it (for formatting, e.g. `%Y-%m-%d %H:%M`).
pub fn local(at: DateTime<Utc>) -> DateTime<FixedOffset> {
    at.with_timezone(&ZONE)
}

/// A moment as the station's wall clock reads, with no zone attached (what opening hours are
/// written in).
pub fn naive_local(at: DateTime<Utc>) -> NaiveDateTime {
    local(at).naive_local()
}

/// The station day a moment falls on.
pub fn day_of(at: DateTime<Utc>) -> NaiveDate {
    local(at).date_naive()
}

/// The station day a moment falls on, as `YYYY-MM-DD` (how days are stored and sent).
pub fn day_string(at: DateTime<Utc>) -> String {
    day_of(at).to_string()
}

/// The moment a station day begins (its midnight), in UTC. A day at the very start of chrono's
/// range, which no clock reaches, gives the earliest moment chrono has rather than a panic.
pub fn midnight_utc(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(NaiveTime::MIN)
        .and_utc()
        .checked_sub_signed(TimeDelta::seconds(OFFSET_SECONDS.into()))
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().into()
    }

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn the_station_day_turns_at_shanghai_midnight_16_00_utc() {
        assert_eq!(day_of(at("2026-11-28T15:59:59Z")), date("2026-11-28"));
        assert_eq!(day_of(at("2026-11-28T16:00:00Z")), date("2026-11-29"));
        assert_eq!(day_string(at("2026-11-28T17:30:00Z")), "2026-11-29");
        // Before NTP a kiosk's clock may read the epoch: 08:00 on its first day.
        assert_eq!(day_string(DateTime::UNIX_EPOCH), "1970-01-01");
        assert_eq!(
            local(at("2026-11-28T06:03:05Z"))
                .format("%Y-%m-%d %H:%M")
                .to_string(),
            "2026-11-28 14:03"
        );
        assert_eq!(
            naive_local(at("2026-11-28T06:03:05Z")),
            date("2026-11-28").and_hms_opt(14, 3, 5).unwrap()
        );
    }

    #[test]
    fn a_day_s_midnight_is_its_first_moment_and_the_day_before_ends_just_before() {
        let day = date("2026-11-24");
        let midnight = midnight_utc(day);
        assert_eq!(midnight, at("2026-11-23T16:00:00Z"));
        assert_eq!(day_of(midnight), day);
        assert_eq!(
            day_of(midnight - TimeDelta::milliseconds(1)),
            date("2026-11-23")
        );
        assert_eq!(midnight_utc(NaiveDate::MIN), DateTime::<Utc>::MIN_UTC);
    }

    /// Asia/Shanghai in the time-zone database has been UTC+8 without summer time since its
    /// last change on 1991-09-15: checked every week and five hours (so at every hour of the
    /// day in turn) from then until 2040.
    #[test]
    fn the_fixed_offset_agrees_with_the_time_zone_database_since_1991() {
        let shanghai = chrono_tz::Asia::Shanghai;
        let mut moment = at("1991-09-15T00:00:00Z");
        while moment < at("2040-01-01T00:00:00Z") {
            assert_eq!(
                local(moment).naive_local(),
                moment.with_timezone(&shanghai).naive_local(),
                "{moment}"
            );
            moment += TimeDelta::hours(7 * 24 + 5);
        }
    }

    /// The SQL form of the offset gives the same day as `day_string`, around midnight too.
    #[test]
    fn the_sql_offset_gives_the_same_day() {
        let db = rusqlite::Connection::open_in_memory().unwrap();
        let sql = concat!(
            "SELECT date(?1 / 1000 + ",
            station_offset_seconds!(),
            ", 'unixepoch')"
        );
        for text in [
            "2026-11-28T15:59:59.999Z",
            "2026-11-28T16:00:00Z",
            "2026-01-01T00:00:00Z",
            "1970-01-01T00:00:00Z",
        ] {
            let moment = at(text);
            let day: String = db
                .query_row(sql, [moment.timestamp_millis()], |r| r.get(0))
                .unwrap();
            assert_eq!(day, day_string(moment), "{text}");
        }
        assert_eq!(OFFSET_MS, 8 * 3_600_000);
    }

    /// The hub keeps a summary's days by its own copy of the offset (it does not depend on
    /// this crate); both sides must cut days at the same midnight.
    #[test]
    fn the_hub_keeps_the_same_days() {
        assert_eq!(OFFSET_MS, waystation_hub::station_time::OFFSET_MS);
        let moment = DateTime::parse_from_rfc3339("2026-11-28T15:59:59Z").unwrap();
        let ms = moment.timestamp_millis();
        assert_eq!(
            waystation_hub::station_time::day(ms),
            day_string(moment.into())
        );
        assert_eq!(
            waystation_hub::station_time::midnight(ms),
            midnight_utc(day_of(moment.into())).timestamp_millis()
        );
    }
}
