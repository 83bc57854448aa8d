//! `waystation mood add|week`.

use std::path::Path;

use super::MoodAction;
use super::kiosk::open_store;
use super::{Failure, bad_input};
use crate::clock::{Clock, SystemClock};

/// `waystation mood add` and `waystation mood week`.
pub(super) fn mood(
    config_file: Option<&Path>,
    data_dir: Option<&Path>,
    action: MoodAction,
) -> Result<(), Failure> {
    let vocabulary = crate::mood::Vocabulary::builtin();
    match action {
        MoodAction::Add {
            quadrant,
            pleasantness,
            energy,
            word,
            tags,
        } => {
            let q = crate::mood::Quadrant::from_id(&quadrant).ok_or_else(|| {
                bad_input(format!(
                    "unknown quadrant '{quadrant}' (red, yellow, blue or green)"
                ))
            })?;
            let check_in =
                crate::mood::CheckIn::new(&vocabulary, q, pleasantness, energy, &word, &tags)
                    .map_err(|e| bad_input(e.to_string()))?;
            let mut store = open_store(config_file, data_dir)?;
            let wall = SystemClock::new().read().wall;
            let help_lines = crate::mood::shows_help_lines(&vocabulary, &check_in, false);
            crate::store::mood::commit_check_in(&mut store, wall, &check_in, help_lines, None)
                .map_err(|e| e.to_string())?;
            // Nothing of it is kept but the day's counts, so there is no record id to show.
            outln!("counted on {}", crate::station_time::day_string(wall))?;
            Ok(())
        }
        MoodAction::Week { json } => {
            let store = open_store(config_file, data_dir)?;
            let now = SystemClock::new().read().wall;
            let counts = crate::store::mood::week_counts(&store, now).map_err(|e| e.to_string())?;
            let week = crate::mood::week::station_week(&counts);
            if json {
                outln!(
                    "{}",
                    serde_json::to_string_pretty(&week).map_err(|e| e.to_string())?
                )?;
                return Ok(());
            }
            let Some(total) = week.total_about else {
                outln!(
                    "fewer than {} check-ins in the last closed week (Monday to Sunday): nothing is shown",
                    crate::mood::week::MIN_SHOWN
                )?;
                return Ok(());
            };
            outln!("about {total} check-ins in the last closed week (Monday to Sunday)")?;
            for q in &week.quadrants {
                let label = vocabulary.quadrant_label(q.quadrant, crate::kiosk::Language::English);
                match q.percent {
                    Some(0) => outln!("  {:<7} {label:<18} under 5%", q.quadrant.id())?,
                    Some(p) => outln!("  {:<7} {label:<18} about {p}%", q.quadrant.id())?,
                    None => outln!("  {:<7} {label:<18} hidden", q.quadrant.id())?,
                }
            }
            if let Some(word) = &week.top_word {
                outln!("most felt: {word}")?;
            }
            if !week.top_tags.is_empty() {
                outln!("weighing on many: {}", week.top_tags.join(", "))?;
            }
            Ok(())
        }
    }
}
