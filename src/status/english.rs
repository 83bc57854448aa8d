//! The staff status lines in English words, for `waystation status` (the field team reads it
//! at a shell, where there is no UI and so no gettext catalogue). The staff screen says the
//! same in either language through the catalogues (`ui/screens/staff-words.slint`); the UI
//! test `staff::the_command_line_says_the_screens_english` keeps the two alike.

use crate::printer::status::PrinterStatus;
use crate::staff::status::{Advice, Fault, Item, Level, Said, Span, StatusLine};

/// One staff status line in English, as `waystation status` prints it (and `--json` gives it).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct EnglishLine {
    pub item: Item,
    pub level: Level,
    pub label: String,
    pub value: String,
    pub advice: Option<String>,
    pub needs_staff: bool,
}

pub fn line(line: &StatusLine) -> EnglishLine {
    let value: Vec<String> = line.value.iter().map(said).collect();
    EnglishLine {
        item: line.item,
        level: line.level,
        label: label(line),
        value: value.join("; "),
        advice: line.advice.map(|a| advice(a).to_string()),
        needs_staff: line.needs_staff,
    }
}

fn label(line: &StatusLine) -> String {
    match line.item {
        Item::Printer => "Printer".into(),
        Item::Paper => "Paper left".into(),
        Item::Brochure => {
            let name = line.brochure.as_ref().map_or("", |n| n.en.as_str());
            format!("Brochures: {name}")
        }
        Item::Network => "Network and uploads".into(),
        Item::Clock => "Clock".into(),
        Item::Directory => "Service directory".into(),
        Item::Software => "Software version".into(),
        Item::Update => "System update".into(),
        Item::Uptime => "Running for".into(),
        Item::Disk => "Storage".into(),
        Item::Temperature => "Board temperature".into(),
    }
}

fn printer(status: PrinterStatus) -> &'static str {
    match status {
        PrinterStatus::Ready => "ready",
        PrinterStatus::PaperNearEnd => "paper near end",
        PrinterStatus::PaperOut => "out of paper",
        PrinterStatus::CoverOpen => "cover open",
        PrinterStatus::Offline => "not answering",
        PrinterStatus::Unknown => "status unknown",
    }
}

fn span(span: Span) -> String {
    match span {
        Span::Days(n) => format!("{n} d"),
        Span::Hours(n) => format!("{n} h"),
        Span::Minutes(n) => format!("{n} min"),
    }
}

fn said(said: &Said) -> String {
    match said {
        Said::NoPrinter => "none (slips shown on screen only)".into(),
        Said::Printer(status) => printer(*status).into(),
        Said::LastFault(Fault::Status(status)) => format!("last fault: {}", printer(*status)),
        Said::LastFault(Fault::Other(text)) => format!("last fault: {text}"),
        Said::PaperLeft { metres, percent } => format!("about {metres} m ({percent}%)"),
        Said::RollNotSet => "roll length not set".into(),
        Said::SensorLow => "the sensor says low".into(),
        Said::Restocked { count, days_ago: 1 } => format!("{count} added 1 day ago"),
        Said::Restocked { count, days_ago } => format!("{count} added {days_ago} days ago"),
        Said::NeverRestocked => "no restock recorded".into(),
        Said::Online { last_upload } => format!("online, last upload {} ago", span(*last_upload)),
        Said::NeverUploaded => "no upload yet".into(),
        Said::Waiting { count, oldest } => format!("{count} waiting, oldest {}", span(*oldest)),
        Said::Refused { count } => format!("{count} refused by the hub"),
        Said::NoHub => "no hub configured".into(),
        Said::ClockSet => "set from the network".into(),
        Said::ClockNotSet => "not set".into(),
        Said::DirectoryValid { version, until } => {
            format!("version {version}, valid until {until}")
        }
        Said::DirectoryExpired { version, on } => format!("version {version}, expired on {on}"),
        Said::DiskFree { megabytes } => format!("{megabytes} MB free"),
        Said::Celsius(c) => format!("{c} °C"),
        Said::NotAvailable => "not available".into(),
        Said::Version(version) => version.clone(),
        Said::Image(version) => format!("image {version}"),
        Said::NoImage => "not installed from an image".into(),
        Said::Running(running) => span(*running),
        Said::UpdateSlot(slot) => format!("slot {slot}"),
        Said::UpdateLast { version, outcome } => update_outcome(*outcome).replace("{}", version),
        Said::UpdateUnreadable => "update status cannot be read".into(),
    }
}

fn advice(advice: Advice) -> &'static str {
    match advice {
        Advice::PaperNearEnd => {
            "Get a new roll ready; after changing it, press \"New paper roll\"."
        }
        Advice::PaperOut => "Put in a new roll, then press \"New paper roll\".",
        Advice::CoverOpen => "Close the printer's cover.",
        Advice::PrinterOffline => "Check the printer's power and cable, then press \"Test print\".",
        Advice::PaperUnknown => "Ask the field team to set the roll length.",
        Advice::BrochureLow => {
            "Check the rack for these brochures; after restocking, record how many you added."
        }
        Advice::Offline => {
            "Check the network cable or Wi-Fi. Records are kept on the kiosk and not lost."
        }
        Advice::Stuck => {
            "Nothing has been uploaded for over a day: call the field team. Records are not lost."
        }
        Advice::Refused => "Call the field team to look at the refused records.",
        Advice::NoHub => "Call the field team to set the hub address.",
        Advice::Clock => {
            "Check the network: the time comes from the internet and is set a few minutes after connecting."
        }
        Advice::Directory => "The directory is still shown; ask the service centre for an update.",
        Advice::DiskLow => {
            "Storage is nearly full: call the field team now. No record will be deleted."
        }
        Advice::Hot => "The kiosk is too hot: check its vents are not blocked.",
        Advice::UpdateFailed => {
            "The kiosk still runs its old system. The service centre sees this too; nothing to do here."
        }
    }
}

/// The last update's outcome, with `{}` for its version: the screen's words.
fn update_outcome(outcome: crate::update::Outcome) -> &'static str {
    use crate::update::Outcome;
    match outcome {
        Outcome::Installed => "{} installed",
        Outcome::Installing => "installing {}",
        Outcome::AwaitingReboot => "{} installed, restarts when idle",
        Outcome::Trying => "trying {}",
        Outcome::RolledBack => "{} rolled back",
        Outcome::Failed => "{} failed to install",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_day_is_not_days() {
        let said = |days_ago| {
            super::said(&Said::Restocked {
                count: 40,
                days_ago,
            })
        };
        assert_eq!(said(1), "40 added 1 day ago");
        assert_eq!(said(3), "40 added 3 days ago");
        assert_eq!(said(0), "40 added 0 days ago");
    }
}
