//! The staff status lines and recent errors in words: the core's values (`staff::status`)
//! put into the words of `ui/screens/staff-words.slint`, which come from the gettext
//! catalogues in the language the kiosk shows now. Called on every render, so a change of
//! language changes these words with all the others.

use slint::{Global, SharedString};

use super::{AppWindow, StaffError, StaffWords, StatusAdvice, StatusItem, StatusPart};
use crate::language::Language;
use crate::printer::status::PrinterStatus;
use crate::staff::status::{Advice, Fault, Item, Said, Span, StatusLine};

/// A status line's name, what it says and what to do, as the staff screen shows them.
pub(super) struct LineWords {
    pub label: SharedString,
    pub value: SharedString,
    pub advice: SharedString,
}

pub(super) fn status_line(window: &AppWindow, line: &StatusLine, lang: Language) -> LineWords {
    let words = StaffWords::get(window);
    let brochure = line.brochure.as_ref().map_or("", |name| name.get(lang));
    let mut parts = line.value.iter().map(|said| part(&words, said));
    let first = parts.next().unwrap_or_default();
    LineWords {
        label: words.invoke_label(item(line.item), brochure.into()),
        value: parts.fold(first, |value, next| words.invoke_joined(value, next)),
        advice: line
            .advice
            .map(|a| words.invoke_advice(advice(a)))
            .unwrap_or_default(),
    }
}

/// What went wrong, in words: `kind` is the kind of a record the hub refused, `what` the
/// printer's fault (as stored) or the upload's error.
pub(super) fn error(window: &AppWindow, error: StaffError, kind: &str, what: &str) -> SharedString {
    let words = StaffWords::get(window);
    let what = match error {
        StaffError::PrinterFault => fault(&words, &Fault::from_stored(what)),
        _ => what.into(),
    };
    words.invoke_error(error, kind.into(), what)
}

fn item(item: Item) -> StatusItem {
    match item {
        Item::Printer => StatusItem::Printer,
        Item::Paper => StatusItem::Paper,
        Item::Brochure => StatusItem::Brochure,
        Item::Network => StatusItem::Network,
        Item::Clock => StatusItem::Clock,
        Item::Directory => StatusItem::Directory,
        Item::Software => StatusItem::Software,
        Item::Update => StatusItem::Update,
        Item::Uptime => StatusItem::Uptime,
        Item::Disk => StatusItem::Disk,
        Item::Temperature => StatusItem::Temperature,
    }
}

fn advice(advice: Advice) -> StatusAdvice {
    match advice {
        Advice::PaperNearEnd => StatusAdvice::PaperNearEnd,
        Advice::PaperOut => StatusAdvice::PaperOut,
        Advice::CoverOpen => StatusAdvice::CoverOpen,
        Advice::PrinterOffline => StatusAdvice::PrinterOffline,
        Advice::PaperUnknown => StatusAdvice::PaperUnknown,
        Advice::BrochureLow => StatusAdvice::BrochureLow,
        Advice::Offline => StatusAdvice::Offline,
        Advice::Stuck => StatusAdvice::Stuck,
        Advice::Refused => StatusAdvice::Refused,
        Advice::NoHub => StatusAdvice::NoHub,
        Advice::Clock => StatusAdvice::Clock,
        Advice::Directory => StatusAdvice::Directory,
        Advice::DiskLow => StatusAdvice::DiskLow,
        Advice::Hot => StatusAdvice::Hot,
        Advice::UpdateFailed => StatusAdvice::UpdateFailed,
    }
}

fn printer(status: PrinterStatus) -> StatusPart {
    match status {
        PrinterStatus::Ready => StatusPart::PrinterReady,
        PrinterStatus::PaperNearEnd => StatusPart::PrinterNearEnd,
        PrinterStatus::PaperOut => StatusPart::PrinterOut,
        PrinterStatus::CoverOpen => StatusPart::PrinterCover,
        PrinterStatus::Offline => StatusPart::PrinterOffline,
        PrinterStatus::Unknown => StatusPart::PrinterUnknown,
    }
}

/// A printer fault: a status in the staff's words, or a transport's own text as it is.
fn fault(words: &StaffWords, fault: &Fault) -> SharedString {
    match fault {
        Fault::Status(status) => plain(words, printer(*status)),
        Fault::Other(text) => text.into(),
    }
}

fn update_outcome(outcome: crate::update::Outcome) -> StatusPart {
    use crate::update::Outcome;
    match outcome {
        Outcome::Installed => StatusPart::UpdateInstalled,
        Outcome::Installing => StatusPart::UpdateInstalling,
        Outcome::AwaitingReboot => StatusPart::UpdateAwaitingReboot,
        Outcome::Trying => StatusPart::UpdateTrying,
        Outcome::RolledBack => StatusPart::UpdateRolledBack,
        Outcome::Failed => StatusPart::UpdateFailed,
    }
}

fn plain(words: &StaffWords, part: StatusPart) -> SharedString {
    words.invoke_part(part, 0, "".into(), "".into())
}

fn with(words: &StaffWords, part: StatusPart, a: impl ToString, b: impl ToString) -> SharedString {
    let (a, b) = (a.to_string().into(), b.to_string().into());
    words.invoke_part(part, 0, a, b)
}

fn span(words: &StaffWords, span: Span) -> SharedString {
    match span {
        Span::Days(n) => with(words, StatusPart::Days, n, ""),
        Span::Hours(n) => with(words, StatusPart::Hours, n, ""),
        Span::Minutes(n) => with(words, StatusPart::Minutes, n, ""),
    }
}

fn part(words: &StaffWords, said: &Said) -> SharedString {
    match said {
        Said::NoPrinter => plain(words, StatusPart::NoPrinter),
        Said::Printer(status) => plain(words, printer(*status)),
        Said::LastFault(f) => with(words, StatusPart::LastFault, fault(words, f), ""),
        Said::PaperLeft { metres, percent } => with(words, StatusPart::PaperLeft, metres, percent),
        Said::RollNotSet => plain(words, StatusPart::RollNotSet),
        Said::SensorLow => plain(words, StatusPart::SensorLow),
        Said::Restocked { count, days_ago } => {
            let days = i32::try_from(*days_ago).unwrap_or(i32::MAX);
            words.invoke_part(
                StatusPart::Restocked,
                days,
                count.to_string().into(),
                "".into(),
            )
        }
        Said::NeverRestocked => plain(words, StatusPart::NeverRestocked),
        Said::Online { last_upload } => {
            with(words, StatusPart::Online, span(words, *last_upload), "")
        }
        Said::NeverUploaded => plain(words, StatusPart::NeverUploaded),
        Said::Waiting { count, oldest } => {
            with(words, StatusPart::Waiting, count, span(words, *oldest))
        }
        Said::Refused { count } => with(words, StatusPart::Refused, count, ""),
        Said::NoHub => plain(words, StatusPart::NoHub),
        Said::ClockSet => plain(words, StatusPart::ClockSet),
        Said::ClockNotSet => plain(words, StatusPart::ClockNotSet),
        Said::DirectoryValid { version, until } => {
            with(words, StatusPart::DirectoryValid, version, until)
        }
        Said::DirectoryExpired { version, on } => {
            with(words, StatusPart::DirectoryExpired, version, on)
        }
        Said::DiskFree { megabytes } => with(words, StatusPart::DiskFree, megabytes, ""),
        // A temperature and a version number read the same in either language.
        Said::Celsius(c) => format!("{c} °C").into(),
        Said::NotAvailable => plain(words, StatusPart::NotAvailable),
        Said::Version(version) => version.into(),
        Said::Image(version) => with(words, StatusPart::Image, version, ""),
        Said::NoImage => plain(words, StatusPart::NoImage),
        Said::Running(running) => span(words, *running),
        Said::UpdateSlot(slot) => with(words, StatusPart::UpdateSlot, slot, ""),
        Said::UpdateLast { version, outcome } => with(words, update_outcome(*outcome), version, ""),
        Said::UpdateUnreadable => plain(words, StatusPart::UpdateUnreadable),
    }
}
