//! `waystation staff` and `waystation restock`: setting the station PIN, the field team's
//! unlock after too many wrong PINs, and recording restocks from a shell.

use std::io::BufRead;
use std::path::Path;

use super::kiosk::open_configured;
use super::{Failure, RestockAction, StaffAction, bad_input};
use crate::staff::pin;
use crate::store::staff::Action;

/// Reads a PIN from standard input (so it never appears in the shell history or the process
/// list) and returns its Argon2id hash with a fresh salt.
fn hash_typed_pin() -> Result<String, Failure> {
    eprintln!("Type the station PIN (4 to 8 digits) and press Enter:");
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the PIN: {e}"))?;
    let typed = line.trim();
    pin::check_shape(typed).map_err(|e| bad_input(e.to_string()))?;
    let mut salt = [0u8; 16];
    crate::entropy::Entropy::fill(&crate::entropy::SystemEntropy, &mut salt)
        .map_err(|e| format!("no randomness for the PIN's salt: {e}"))?;
    Ok(pin::hash(typed, salt).map_err(|e| e.to_string())?)
}

pub(super) fn staff(
    config_file: Option<&Path>,
    data_dir: Option<&Path>,
    action: StaffAction,
) -> Result<(), Failure> {
    match action {
        // Needs no kiosk: the field team runs it on a laptop to fill in a provision file.
        StaffAction::HashPin => {
            outln!("{}", hash_typed_pin()?)?;
            Ok(())
        }
        StaffAction::SetPin { hash } => {
            // The PIN is checked before the kiosk's database is opened, so that a bad one
            // leaves nothing behind.
            let phc = match hash {
                Some(phc) => {
                    pin::check_hash(&phc).map_err(|e| bad_input(e.to_string()))?;
                    phc
                }
                None => hash_typed_pin()?,
            };
            let (_, _, mut store) = open_configured(config_file, data_dir)?;
            store
                .set_pin_hash(&phc, super::stamp_now()?)
                .map_err(|e| e.to_string())?;
            outln!("station PIN set")?;
            Ok(())
        }
        StaffAction::Unlock => {
            let (_, _, mut store) = open_configured(config_file, data_dir)?;
            let failures = store.pin_failures().map_err(|e| e.to_string())?;
            store
                .record_pin_accepted(super::stamp_now()?, Action::Unlocked)
                .map_err(|e| e.to_string())?;
            outln!("PIN pad unlocked ({failures} wrong PIN(s) cleared)")?;
            Ok(())
        }
    }
}

pub(super) fn restock(
    config_file: Option<&Path>,
    data_dir: Option<&Path>,
    action: RestockAction,
) -> Result<(), Failure> {
    let (config, _, mut store) = open_configured(config_file, data_dir)?;
    let stamp = super::stamp_now()?;
    match action {
        RestockAction::Paper => {
            let id = store.restock_paper(stamp).map_err(|e| e.to_string())?;
            outln!("new paper roll recorded: record {id}")?;
        }
        RestockAction::Brochure { kind, count } => {
            let known: Vec<&str> = config
                .staff
                .brochures
                .iter()
                .map(|b| b.kind.as_str())
                .collect();
            if !known.contains(&kind.as_str()) {
                return Err(bad_input(format!(
                    "no brochure kind '{kind}' in this station's config (known: {})",
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                )));
            }
            if !(1..=10_000).contains(&count) {
                return Err(bad_input(format!(
                    "a restock adds 1 to 10000 brochures, not {count}"
                )));
            }
            let id = store
                .restock_brochures(stamp, &kind, count)
                .map_err(|e| e.to_string())?;
            outln!("{count} {kind} recorded: record {id}")?;
        }
    }
    Ok(())
}
