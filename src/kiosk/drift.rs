//! The attract screen's slow drift: an LCD that shows the same bright letters for months keeps
//! a faint copy of them (image retention). The attract screen is what a kiosk shows most of
//! the day, so its content moves by one unit (a pixel at 800×480) a minute along a path that
//! takes it over a box of ±[`DRIFT_X`] by ±[`DRIFT_Y`] units, and back.
//!
//! One step a minute, not a smooth animation: the Pi's software renderer redraws what changed,
//! and a whole screen every frame all day would cost power and heat for nothing.

use std::time::Duration;

/// How far the content may move from its place, in theme units, each way. The attract
/// screen's padding is twice this, so nothing leaves the screen.
pub const DRIFT_X: i32 = 16;
pub const DRIFT_Y: i32 = 12;
/// How often the content moves one unit.
pub const STEP: Duration = Duration::from_secs(60);

/// A triangle wave through 0, 1, …, `amplitude`, …, 0, …, -`amplitude`, …: one unit a step.
fn triangle(step: u64, amplitude: i32) -> i32 {
    let amplitude = i64::from(amplitude.max(1));
    let period = 4 * amplitude;
    let phase = (step % period as u64) as i64;
    let value = if phase <= amplitude {
        phase
    } else if phase <= 3 * amplitude {
        2 * amplitude - phase
    } else {
        phase - 4 * amplitude
    };
    value as i32
}

/// The offset (x, y) in theme units after the kiosk has run for `running`. The two axes have
/// periods of 64 and 48 steps, so the content's corners trace a Lissajous path rather than
/// one diagonal line.
pub fn offset(running: Duration) -> (i32, i32) {
    let step = running.as_secs() / STEP.as_secs();
    (triangle(step, DRIFT_X), triangle(step, DRIFT_Y))
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn at_minute(minute: u64) -> (i32, i32) {
        offset(Duration::from_secs(minute * 60))
    }

    #[test]
    fn it_starts_in_place_and_moves_one_unit_a_minute_at_most_within_its_box() {
        assert_eq!(at_minute(0), (0, 0));
        let mut last = at_minute(0);
        for minute in 1..=24 * 60 {
            let (x, y) = at_minute(minute);
            assert!(
                x.abs() <= DRIFT_X && y.abs() <= DRIFT_Y,
                "{minute}: {x},{y}"
            );
            assert!(
                (x - last.0).abs() <= 1 && (y - last.1).abs() <= 1,
                "{minute}"
            );
            last = (x, y);
        }
        // Within a minute nothing moves.
        assert_eq!(offset(Duration::from_secs(59)), (0, 0));
    }

    #[test]
    fn over_a_day_the_content_reaches_every_column_and_row_of_its_box() {
        let places: Vec<(i32, i32)> = (0..24 * 60).map(at_minute).collect();
        let xs: HashSet<i32> = places.iter().map(|p| p.0).collect();
        let ys: HashSet<i32> = places.iter().map(|p| p.1).collect();
        assert_eq!(xs.len(), (2 * DRIFT_X + 1) as usize);
        assert_eq!(ys.len(), (2 * DRIFT_Y + 1) as usize);
        // And no place holds it for long: the path repeats every 192 minutes (the periods'
        // least common multiple) and passes a place at most twice in that time, so no place
        // holds it for more than 16 minutes of a day (about 1 %).
        let mut stays = std::collections::HashMap::new();
        for place in &places {
            *stays.entry(*place).or_insert(0) += 1;
        }
        assert!(stays.values().all(|&minutes| minutes <= 16), "{stays:?}");
    }
}
