//! `waystation assess`: scoring from the command line.

use std::path::Path;

use super::{Failure, bad_input};
use crate::config::Config;
use crate::screening::{Catalogue, score};

/// `waystation assess`: the same catalogue, scoring and referral thresholds as the kiosk.
pub(super) fn assess(
    config_file: Option<&Path>,
    id: &str,
    answers: &str,
    json: bool,
) -> Result<(), Failure> {
    let (config, _) = Config::locate(config_file).map_err(|e| e.to_string())?;
    let catalogue = Catalogue::builtin();
    let instrument = catalogue.get(id).ok_or_else(|| {
        bad_input(format!(
            "unknown instrument '{id}' (one of: {})",
            catalogue.ids().join(", ")
        ))
    })?;
    let values: Vec<u32> = answers
        .split(',')
        .map(|a| {
            a.trim()
                .parse::<u32>()
                .map_err(|_| bad_input(format!("answer '{}' is not a whole number", a.trim())))
        })
        .collect::<Result<_, _>>()?;
    let result = score(instrument, &values, config.screening.refer_at(instrument))
        .map_err(|e| bad_input(e.to_string()))?;
    if json {
        outln!(
            "{}",
            serde_json::to_string(&result).map_err(|e| e.to_string())?
        )?;
    } else {
        let mut line = format!("{}: total {}", result.instrument, result.total);
        if let Some(percent) = result.percent {
            line += &format!(" ({percent}%)");
        }
        line += &format!(", band {}", result.band);
        if let Some(subscales) = &result.subscales {
            let parts: Vec<String> = subscales.iter().map(|(k, v)| format!("{k} {v}")).collect();
            line += &format!(" ({})", parts.join(", "));
        }
        if result.crisis {
            line += ", CRISIS: show crisis help";
        }
        if result.refer {
            line += ", talk to a professional";
        }
        if !result.suggest.is_empty() {
            line += &format!(", suggests {}", result.suggest.join(" and "));
        }
        outln!("{line}")?;
    }
    Ok(())
}
