//! Night dimming, pure: how bright the display's backlight should be now. A kiosk in a rest
//! station glows all night in a room where riders sleep between orders, and a backlight at
//! full power for years ages the panel; so in the station's night hours (`[screen.night]`,
//! docs/config.md) the attract screen is dimmed to the configured percentage. A visit is
//! never dimmed: the touch that starts it brings full brightness back, and the screen dims
//! again once the session ends (the idle wipe, finish or quick hide, back to the attract
//! screen).
//!
//! A wrong clock must not darken the screen by day: a Pi has no real-time clock, and before
//! NTP has set it the wall clock may be hours off, so without a synchronised clock the
//! backlight stays at full brightness.
//!
//! Time is passed in; the edge that writes the level is `crate::backlight`.

use chrono::{DateTime, Timelike, Utc};
use serde::Deserialize;

/// A backlight level as a percentage of the panel's maximum, 1 to 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Percent(u8);

impl Percent {
    pub const FULL: Percent = Percent(100);

    pub fn get(self) -> u8 {
        self.0
    }

    /// A level from a number, when it is one (1 to 100): the root side reads it back.
    pub fn new(value: u8) -> Option<Percent> {
        (1..=100).contains(&value).then_some(Percent(value))
    }
}

/// The night's brightness, 10 to 100 %: never lower, so that a worker coming in at night
/// still sees that the kiosk is there and on (some panels go dark well above 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "i64")]
pub struct NightBrightness(Percent);

impl TryFrom<i64> for NightBrightness {
    type Error = String;

    fn try_from(value: i64) -> Result<Self, Self::Error> {
        match u8::try_from(value) {
            Ok(v @ 10..=100) => Ok(NightBrightness(Percent(v))),
            _ => Err(format!("must be between 10 and 100 (percent), not {value}")),
        }
    }
}

/// A time of day on the station's clock, `HH:MM` (00:00 to 23:59), as minutes since midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
pub struct TimeOfDay(u16);

impl TryFrom<String> for TimeOfDay {
    type Error = String;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        let bad = || format!("'{value}' is not a time of day (HH:MM, 00:00 to 23:59)");
        let (h, m) = value.split_once(':').ok_or_else(bad)?;
        let two_digits = |s: &str| s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit());
        if !two_digits(h) || !two_digits(m) {
            return Err(bad());
        }
        let (h, m): (u16, u16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        if h > 23 || m > 59 {
            return Err(bad());
        }
        Ok(TimeOfDay(h * 60 + m))
    }
}

impl TimeOfDay {
    /// Minutes since the station's midnight.
    pub fn minutes(self) -> u16 {
        self.0
    }
}

/// The station's night hours and the attract screen's brightness in them (`[screen.night]`).
/// `start` to `end` may cross midnight (22:00 to 06:00); `start` is in the night, `end` is not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "RawNightHours")]
pub struct NightHours {
    pub start: TimeOfDay,
    pub end: TimeOfDay,
    pub brightness: NightBrightness,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNightHours {
    start: TimeOfDay,
    end: TimeOfDay,
    brightness_percent: NightBrightness,
}

impl TryFrom<RawNightHours> for NightHours {
    type Error = String;

    fn try_from(raw: RawNightHours) -> Result<Self, Self::Error> {
        // The same start and end could mean "never" or "all night long"; neither is a night.
        if raw.start == raw.end {
            return Err("start and end are the same time: the night would have no length".into());
        }
        Ok(NightHours {
            start: raw.start,
            end: raw.end,
            brightness: raw.brightness_percent,
        })
    }
}

impl NightHours {
    /// Whether the station's clock reads night at `at`.
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        let local = crate::station_time::naive_local(at);
        let now = (local.hour() * 60 + local.minute()) as u16;
        let (start, end) = (self.start.minutes(), self.end.minutes());
        if start < end {
            start <= now && now < end
        } else {
            now >= start || now < end
        }
    }
}

/// What the backlight should show now. Full brightness without night hours, with a clock not
/// yet synchronised, during a visit and by day; the night's brightness otherwise.
pub fn wanted(night: Option<&NightHours>, at: DateTime<Utc>, synced: bool, visit: bool) -> Percent {
    match night {
        Some(night) if synced && !visit && night.contains(at) => night.brightness.0,
        _ => Percent::FULL,
    }
}

/// Remembers the level last asked of the backlight, so that it is written once per change and
/// never per tick (each write is a file on the SD card).
#[derive(Debug, Default)]
pub struct Dimmer {
    asked: Option<Percent>,
}

impl Dimmer {
    /// The level to write now, if it differs from the one last written. The first call always
    /// writes: after a restart nobody knows what the panel was left at.
    pub fn change(&mut self, wanted: Percent) -> Option<Percent> {
        if self.asked == Some(wanted) {
            return None;
        }
        self.asked = Some(wanted);
        Some(wanted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn night(start: &str, end: &str, percent: i64) -> NightHours {
        NightHours::try_from(RawNightHours {
            start: TimeOfDay::try_from(start.to_string()).unwrap(),
            end: TimeOfDay::try_from(end.to_string()).unwrap(),
            brightness_percent: NightBrightness::try_from(percent).unwrap(),
        })
        .unwrap()
    }

    /// A moment given on the station's clock (UTC+8).
    fn station(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 3, h, m, 0).unwrap() - chrono::Duration::hours(8)
    }

    #[test]
    fn a_night_across_midnight_holds_its_start_and_not_its_end() {
        let n = night("22:00", "06:00", 30);
        for (h, m, inside) in [
            (21, 59, false),
            (22, 0, true),
            (23, 59, true),
            (0, 0, true),
            (5, 59, true),
            (6, 0, false),
            (12, 0, false),
        ] {
            assert_eq!(n.contains(station(h, m)), inside, "{h:02}:{m:02}");
        }
    }

    #[test]
    fn a_night_within_one_day_is_between_its_times() {
        let n = night("01:30", "05:00", 40);
        assert!(!n.contains(station(1, 29)));
        assert!(n.contains(station(1, 30)));
        assert!(n.contains(station(4, 59)));
        assert!(!n.contains(station(5, 0)));
        assert!(!n.contains(station(23, 0)));
    }

    #[test]
    fn night_hours_are_station_time_not_utc() {
        // 23:00 in Shanghai is 15:00 UTC: a kiosk reading UTC would not dim at all.
        let n = night("22:00", "06:00", 30);
        let at = Utc.with_ymd_and_hms(2026, 12, 3, 15, 0, 0).unwrap();
        assert!(n.contains(at));
        assert!(!n.contains(Utc.with_ymd_and_hms(2026, 12, 3, 23, 0, 0).unwrap()));
    }

    #[test]
    fn the_attract_screen_dims_at_night_and_a_visit_brings_full_brightness_back() {
        let n = night("22:00", "06:00", 30);
        let late = station(23, 30);
        assert_eq!(wanted(Some(&n), late, true, false).get(), 30);
        assert_eq!(wanted(Some(&n), late, true, true), Percent::FULL);
        assert_eq!(wanted(Some(&n), station(14, 0), true, false), Percent::FULL);
        assert_eq!(wanted(None, late, true, false), Percent::FULL);
    }

    #[test]
    fn an_unsynchronised_clock_never_dims() {
        let n = night("22:00", "06:00", 30);
        assert_eq!(
            wanted(Some(&n), station(23, 30), false, false),
            Percent::FULL
        );
    }

    #[test]
    fn a_level_is_written_once_per_change_and_first_of_all() {
        let mut dimmer = Dimmer::default();
        let dim = night("22:00", "06:00", 30).brightness.0;
        assert_eq!(dimmer.change(Percent::FULL), Some(Percent::FULL));
        assert_eq!(dimmer.change(Percent::FULL), None);
        assert_eq!(dimmer.change(dim), Some(dim));
        for _ in 0..100 {
            assert_eq!(dimmer.change(dim), None);
        }
        assert_eq!(dimmer.change(Percent::FULL), Some(Percent::FULL));
    }

    #[test]
    fn a_visit_at_night_and_its_end_each_write_once() {
        // The tick's sequence through a night: dim, a touch starts a visit, it ends.
        let n = night("22:00", "06:00", 30);
        let mut dimmer = Dimmer::default();
        let mut writes = Vec::new();
        for (minute, visit) in [
            (0, false),
            (1, false),
            (2, true),
            (3, true),
            (4, false),
            (5, false),
        ] {
            let level = wanted(Some(&n), station(23, minute), true, visit);
            writes.extend(dimmer.change(level).map(Percent::get));
        }
        assert_eq!(writes, vec![30, 100, 30]);
    }

    #[test]
    fn times_and_brightness_outside_their_ranges_are_refused() {
        for bad in [
            "24:00", "7:00", "07:60", "0700", "ab:cd", "", "07:00:00", "+7:00",
        ] {
            assert!(TimeOfDay::try_from(bad.to_string()).is_err(), "{bad}");
        }
        assert_eq!(
            TimeOfDay::try_from("23:59".to_string()).unwrap().minutes(),
            1439
        );
        for bad in [0, 9, 101, -5, 300] {
            assert!(NightBrightness::try_from(bad).is_err(), "{bad}");
        }
        assert!(NightBrightness::try_from(10).is_ok());
        assert_eq!(Percent::new(0), None);
        assert_eq!(Percent::new(101), None);
    }
}
