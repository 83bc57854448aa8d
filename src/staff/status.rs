//! The staff status at a glance: facts in, one line per item out, each green, amber or red,
//! and every amber or red line with what to do. Pure: the facts are gathered elsewhere
//! (`crate::status::staff_facts`), so every rule is tested with fixed values. A line holds no
//! words, only what it says as values (`Said`, `Advice`): the staff screen puts them into
//! words through the UI's gettext catalogues (`ui/screens/staff-words.slint`), and
//! `waystation status` in English (`crate::status`).

use chrono::NaiveDate;

use crate::printer::status::PrinterStatus;
use crate::slip::Pair;

/// Below this share of the roll, paper is "near end" by the estimate.
pub const PAPER_LOW_SHARE: f64 = 0.15;
/// Records waiting longer than this mean the kiosk is offline.
pub const OFFLINE_AFTER_S: i64 = 60 * 60;
/// Records waiting longer than this mean the queue is stuck.
pub const STUCK_AFTER_S: i64 = 24 * 60 * 60;
/// Free space below which staff are warned.
pub const DISK_AMBER_BYTES: u64 = 1024 * 1024 * 1024;
/// Below this much free space it is urgent (and `waystation status` warns "disk nearly full"):
/// nothing is ever dropped to make room, so staff must act (get the kiosk online, or export the
/// queue) before the card is full.
pub const DISK_RED_BYTES: u64 = 200 * 1024 * 1024;
/// Board temperatures (°C) for amber and red. A Pi 4 starts to slow itself down at 80 °C.
pub const WARM_C: f32 = 70.0;
pub const HOT_C: f32 = 80.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Green,
    Amber,
    Red,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Item {
    Printer,
    Paper,
    Brochure,
    Network,
    Clock,
    Directory,
    Software,
    /// The system image's update, from root's `update-status.json`.
    Update,
    Uptime,
    Disk,
    Temperature,
}

/// One line of the status.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusLine {
    pub item: Item,
    pub level: Level,
    /// The brochure kind a brochure line is about (its label names it); None for other lines.
    pub brochure: Option<Pair>,
    /// What the line says: one part or more, shown one after another.
    pub value: Vec<Said>,
    /// What to do, for amber and red lines.
    pub advice: Option<Advice>,
    /// Whether this line makes the status LED blink: something staff can fix at the kiosk
    /// (paper low or out, the printer's cover, the queue stuck, the directory expired, the
    /// clock not set).
    pub needs_staff: bool,
}

/// One part of what a status line says, with its numbers.
#[derive(Debug, Clone, PartialEq)]
pub enum Said {
    /// No printer is configured: slips are shown on screen only.
    NoPrinter,
    /// What the printer said about itself last (unknown when it was never asked).
    Printer(PrinterStatus),
    /// The fault stored with the last print attempt, when it says more than the status.
    LastFault(Fault),
    /// Paper left by the estimate, in whole metres and percent of the roll.
    PaperLeft {
        metres: u64,
        percent: u64,
    },
    /// The station did not set its roll's length, so paper left cannot be estimated.
    RollNotSet,
    /// The board's paper sensor says the roll is low.
    SensorLow,
    Restocked {
        count: i64,
        days_ago: i64,
    },
    NeverRestocked,
    Online {
        last_upload: Span,
    },
    NeverUploaded,
    Waiting {
        count: u64,
        oldest: Span,
    },
    Refused {
        count: u64,
    },
    NoHub,
    ClockSet,
    ClockNotSet,
    DirectoryValid {
        version: u64,
        until: NaiveDate,
    },
    DirectoryExpired {
        version: u64,
        on: NaiveDate,
    },
    DiskFree {
        megabytes: u64,
    },
    Celsius(i64),
    /// The kiosk could not read this (free space, the board's temperature).
    NotAvailable,
    /// The software's version, as it is.
    Version(String),
    /// The system image's version, as it is.
    Image(String),
    /// The system was not installed from Waystation's image (a developer's machine).
    NoImage,
    /// How long the kiosk has been running.
    Running(Span),
    /// The image slot the kiosk runs from.
    UpdateSlot(String),
    /// The last image update and what became of it.
    UpdateLast {
        version: String,
        outcome: crate::update::Outcome,
    },
    /// Root's `update-status.json` is there but cannot be read.
    UpdateUnreadable,
}

/// A printer fault as stored with a print attempt: a printer status (said in the staff's
/// words), or a transport's own error text (shown as it is).
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    Status(PrinterStatus),
    Other(String),
}

impl Fault {
    pub fn from_stored(fault: &str) -> Fault {
        match PrinterStatus::from_name(fault) {
            Some(status) => Fault::Status(status),
            None => Fault::Other(fault.to_string()),
        }
    }
}

/// A length of time in whole days, hours or minutes: the largest unit that is at least one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Span {
    Days(i64),
    Hours(i64),
    Minutes(i64),
}

impl Span {
    /// `seconds` in the largest whole unit (never negative).
    pub fn of(seconds: i64) -> Span {
        let seconds = seconds.max(0);
        if seconds >= 86_400 {
            Span::Days(seconds / 86_400)
        } else if seconds >= 3600 {
            Span::Hours(seconds / 3600)
        } else {
            Span::Minutes(seconds / 60)
        }
    }
}

/// What staff should do about an amber or red line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Advice {
    PaperNearEnd,
    PaperOut,
    CoverOpen,
    PrinterOffline,
    PaperUnknown,
    BrochureLow,
    Offline,
    Stuck,
    Refused,
    NoHub,
    Clock,
    Directory,
    DiskLow,
    Hot,
    /// The last image update failed or was rolled back, or its status cannot be read.
    UpdateFailed,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PrinterFacts {
    pub configured: bool,
    /// The last status the printer gave (None before it was ever asked).
    pub status: Option<PrinterStatus>,
    pub last_fault: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PaperFacts {
    /// The roll's length from the config; None when the station did not set it.
    pub roll_mm: Option<f64>,
    pub used_since_restock_mm: f64,
    /// The optional paper-low sensor on the board.
    pub sensor_low: Option<bool>,
}

/// Brochures of one kind. The kiosk cannot see brochures taken from the rack, so their stock
/// is judged by time: each kind has the number of days a restock lasts at this station, and
/// the line turns amber when the last recorded restock is older than that.
#[derive(Debug, Clone, PartialEq)]
pub struct BrochureFacts {
    pub name: Pair,
    /// Days since the last recorded restock of this kind, and how many were added then.
    pub last_restock: Option<(i64, i64)>,
    pub restock_every_days: u32,
}

impl BrochureFacts {
    /// Never restocked, or longer ago than a restock lasts at this station.
    pub fn due(&self) -> bool {
        self.last_restock
            .is_none_or(|(days, _)| days > i64::from(self.restock_every_days))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct NetworkFacts {
    pub hub_configured: bool,
    pub last_success_age_s: Option<i64>,
    pub waiting: u64,
    pub oldest_waiting_age_s: Option<i64>,
    pub quarantined: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    pub printer: PrinterFacts,
    pub paper: PaperFacts,
    pub brochures: Vec<BrochureFacts>,
    pub network: NetworkFacts,
    pub clock_synced: bool,
    /// The last upload failed in a way that points at the clock.
    pub clock_problem: bool,
    pub directory_version: u64,
    pub directory_expires: NaiveDate,
    pub today: NaiveDate,
    pub version: String,
    pub uptime_s: u64,
    pub disk_free_bytes: Option<u64>,
    /// The version of the image the system was installed from; None off the image.
    pub image_version: Option<String>,
    pub temperature_c: Option<f32>,
    /// Root's `update-status.json` as `waystation status` reads it (`sync::update::read_status`).
    pub update: crate::update::StatusFile,
}

impl StatusLine {
    /// A line with its advice kept only when it is amber or red, and the LED rule for its item:
    /// paper, the directory and the clock call staff when not green, the network only when red.
    fn new(item: Item, level: Level, value: Vec<Said>, advice: Option<Advice>) -> Self {
        StatusLine {
            item,
            level,
            brochure: None,
            value,
            advice: if level == Level::Green { None } else { advice },
            needs_staff: match item {
                Item::Paper | Item::Directory | Item::Clock => level != Level::Green,
                Item::Network => level == Level::Red,
                _ => false,
            },
        }
    }
}

/// The status lines, in the screen's order.
pub fn lines(facts: &Facts) -> Vec<StatusLine> {
    let mut out = vec![printer_line(&facts.printer)];
    out.extend(paper_line(facts));
    out.extend(facts.brochures.iter().map(brochure_line));
    out.push(network_line(&facts.network));
    out.push(clock_line(facts));
    out.push(directory_line(facts));
    let version = Said::Version(facts.version.clone());
    let image = facts
        .image_version
        .clone()
        .map_or(Said::NoImage, Said::Image);
    out.push(StatusLine::new(
        Item::Software,
        Level::Green,
        vec![version, image],
        None,
    ));
    out.extend(update_line(&facts.update));
    let running = Said::Running(Span::of(facts.uptime_s as i64));
    out.push(StatusLine::new(
        Item::Uptime,
        Level::Green,
        vec![running],
        None,
    ));
    out.push(disk_line(facts.disk_free_bytes));
    out.push(temperature_line(facts.temperature_c));
    out
}

/// The image update: the slot, and the last update with what became of it; amber when it
/// failed, was rolled back or cannot be read (the centre sees it too; the old system runs on).
/// No line off an A/B image.
fn update_line(file: &crate::update::StatusFile) -> Option<StatusLine> {
    use crate::update::{Outcome, StatusFile};
    let (level, value) = match file {
        StatusFile::Absent => return None,
        StatusFile::Unreadable(_) => (Level::Amber, vec![Said::UpdateUnreadable]),
        StatusFile::Read(status) => {
            let mut value = vec![Said::UpdateSlot(status.slot.clone())];
            let mut level = Level::Green;
            if let Some(last) = &status.last {
                if matches!(last.outcome, Outcome::Failed | Outcome::RolledBack) {
                    level = Level::Amber;
                }
                value.push(Said::UpdateLast {
                    version: last.version.clone(),
                    outcome: last.outcome,
                });
            }
            (level, value)
        }
    };
    Some(StatusLine::new(
        Item::Update,
        level,
        value,
        Some(Advice::UpdateFailed),
    ))
}

/// The printer's last status, and its last fault when that says something more.
fn printer_line(p: &PrinterFacts) -> StatusLine {
    if !p.configured {
        return StatusLine::new(Item::Printer, Level::Green, vec![Said::NoPrinter], None);
    }
    let status = p.status.unwrap_or(PrinterStatus::Unknown);
    let (level, advice) = match status {
        PrinterStatus::Ready => (Level::Green, None),
        PrinterStatus::PaperNearEnd => (Level::Amber, Some(Advice::PaperNearEnd)),
        PrinterStatus::PaperOut => (Level::Red, Some(Advice::PaperOut)),
        PrinterStatus::CoverOpen => (Level::Red, Some(Advice::CoverOpen)),
        PrinterStatus::Offline => (Level::Red, Some(Advice::PrinterOffline)),
        // Never asked, or no answer: not "ok", and worth a test print.
        PrinterStatus::Unknown => (Level::Amber, Some(Advice::PrinterOffline)),
    };
    let mut value = vec![Said::Printer(status)];
    let repeated = |fault: &String| p.status.is_some_and(|s| s.name() == fault);
    if let Some(fault) = p.last_fault.as_ref().filter(|f| !repeated(f)) {
        value.push(Said::LastFault(Fault::from_stored(fault)));
    }
    let mut line = StatusLine::new(Item::Printer, level, value, advice);
    // A printer that has not answered yet is worth a look on screen, not a blinking LED.
    line.needs_staff = matches!(
        status,
        PrinterStatus::PaperNearEnd
            | PrinterStatus::PaperOut
            | PrinterStatus::CoverOpen
            | PrinterStatus::Offline
    );
    line
}

/// Paper left, estimated from the roll and what was printed since the last new roll, and the
/// board's sensor when it has one. No printer, no paper line.
fn paper_line(facts: &Facts) -> Option<StatusLine> {
    if !facts.printer.configured {
        return None;
    }
    let paper = &facts.paper;
    let (mut level, estimate, advice) = match paper.roll_mm {
        None => (Level::Amber, Said::RollNotSet, Advice::PaperUnknown),
        Some(roll) => {
            let left = (roll - paper.used_since_restock_mm).max(0.0);
            let share = if roll > 0.0 { left / roll } else { 0.0 };
            let level = if share < PAPER_LOW_SHARE {
                Level::Amber
            } else {
                Level::Green
            };
            let said = Said::PaperLeft {
                metres: (left / 1000.0).round() as u64,
                percent: (share * 100.0).round() as u64,
            };
            (level, said, Advice::PaperNearEnd)
        }
    };
    let mut value = vec![estimate];
    if paper.sensor_low == Some(true) {
        level = level.max(Level::Amber);
        value.push(Said::SensorLow);
    }
    Some(StatusLine::new(Item::Paper, level, value, Some(advice)))
}

/// Brochures of one kind, judged by the time since their last recorded restock.
fn brochure_line(brochure: &BrochureFacts) -> StatusLine {
    let (level, value) = match brochure.last_restock {
        None => (Level::Red, Said::NeverRestocked),
        Some((days, count)) => {
            let level = if brochure.due() {
                Level::Amber
            } else {
                Level::Green
            };
            let days_ago = days.max(0);
            (level, Said::Restocked { count, days_ago })
        }
    };
    let mut line = StatusLine::new(
        Item::Brochure,
        level,
        vec![value],
        Some(Advice::BrochureLow),
    );
    line.brochure = Some(brochure.name.clone());
    line
}

/// The hub, the last upload, what waits and for how long, and what the hub refused.
fn network_line(n: &NetworkFacts) -> StatusLine {
    let mut parts = vec![];
    let (mut level, mut advice) = (Level::Green, None);
    if !n.hub_configured {
        parts.push(Said::NoHub);
        (level, advice) = (Level::Amber, Some(Advice::NoHub));
    } else {
        parts.push(match n.last_success_age_s {
            Some(age) => Said::Online {
                last_upload: Span::of(age),
            },
            None => Said::NeverUploaded,
        });
    }
    if n.waiting > 0 {
        let age = n.oldest_waiting_age_s.unwrap_or(0);
        parts.push(Said::Waiting {
            count: n.waiting,
            oldest: Span::of(age),
        });
        if n.hub_configured && age > STUCK_AFTER_S {
            (level, advice) = (Level::Red, Some(Advice::Stuck));
        } else if n.hub_configured && age > OFFLINE_AFTER_S {
            (level, advice) = (Level::Amber, Some(Advice::Offline));
        }
    }
    if n.quarantined > 0 {
        parts.push(Said::Refused {
            count: n.quarantined,
        });
        if level == Level::Green {
            (level, advice) = (Level::Amber, Some(Advice::Refused));
        }
    }
    StatusLine::new(Item::Network, level, parts, advice)
}

fn clock_line(facts: &Facts) -> StatusLine {
    let (level, value) = match (facts.clock_synced, facts.clock_problem) {
        (true, false) => (Level::Green, Said::ClockSet),
        (false, false) => (Level::Amber, Said::ClockNotSet),
        (_, true) => (Level::Red, Said::ClockNotSet),
    };
    StatusLine::new(Item::Clock, level, vec![value], Some(Advice::Clock))
}

/// The directory's version and expiry; an expired one is still shown, so it is amber.
fn directory_line(facts: &Facts) -> StatusLine {
    let (version, date) = (facts.directory_version, facts.directory_expires);
    let (level, value) = if date < facts.today {
        (Level::Amber, Said::DirectoryExpired { version, on: date })
    } else {
        (
            Level::Green,
            Said::DirectoryValid {
                version,
                until: date,
            },
        )
    };
    StatusLine::new(Item::Directory, level, vec![value], Some(Advice::Directory))
}

fn disk_line(free: Option<u64>) -> StatusLine {
    let (level, value) = match free {
        None => (Level::Amber, Said::NotAvailable),
        Some(free) => {
            let level = if free < DISK_RED_BYTES {
                Level::Red
            } else if free < DISK_AMBER_BYTES {
                Level::Amber
            } else {
                Level::Green
            };
            let megabytes = free / (1024 * 1024);
            (level, Said::DiskFree { megabytes })
        }
    };
    StatusLine::new(Item::Disk, level, vec![value], Some(Advice::DiskLow))
}

/// The board's temperature; a board that cannot say is no worry of the staff's.
fn temperature_line(celsius: Option<f32>) -> StatusLine {
    let (level, value) = match celsius {
        None => (Level::Green, Said::NotAvailable),
        Some(c) => {
            let level = if c >= HOT_C {
                Level::Red
            } else if c >= WARM_C {
                Level::Amber
            } else {
                Level::Green
            };
            (level, Said::Celsius(c.round() as i64))
        }
    };
    StatusLine::new(Item::Temperature, level, vec![value], Some(Advice::Hot))
}

/// What the status LED shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LedPattern {
    /// All is well.
    Steady,
    /// Staff are needed: paper low or out, the queue stuck or offline, the directory expired,
    /// the clock not set. A slow blink: one second on, one second off.
    Blinking,
    /// A worker called for staff: a fast double blink (a quarter second on, off, on, then off
    /// for a second and a quarter), which no supply fault uses, so staff can tell a person is
    /// waiting from a roll of paper running out.
    StaffCall,
}

impl LedPattern {
    /// Whether the LED is lit at the kiosk's `tick`th quarter-second tick.
    pub fn lit(self, tick: u64) -> bool {
        match self {
            LedPattern::Steady => true,
            LedPattern::Blinking => (tick / 4).is_multiple_of(2),
            LedPattern::StaffCall => matches!(tick % 8, 0 | 2),
        }
    }
}

/// The LED pattern for a status: blinking when any line needs staff at the kiosk.
pub fn led(lines: &[StatusLine]) -> LedPattern {
    if lines.iter().any(|l| l.needs_staff) {
        LedPattern::Blinking
    } else {
        LedPattern::Steady
    }
}

/// The worst level of a status, for a summary.
pub fn worst(lines: &[StatusLine]) -> Level {
    lines.iter().map(|l| l.level).max().unwrap_or(Level::Green)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(facts: &Facts) -> Vec<StatusLine> {
        super::lines(facts)
    }

    #[test]
    fn a_stored_fault_is_a_printer_status_or_the_transports_own_text() {
        assert_eq!(
            Fault::from_stored("paper out"),
            Fault::Status(PrinterStatus::PaperOut)
        );
        assert_eq!(
            Fault::from_stored("timed out"),
            Fault::Other("timed out".into())
        );
    }

    #[test]
    fn a_span_is_the_largest_whole_unit_and_never_negative() {
        assert_eq!(Span::of(-5), Span::Minutes(0));
        assert_eq!(Span::of(59), Span::Minutes(0));
        assert_eq!(Span::of(3599), Span::Minutes(59));
        assert_eq!(Span::of(3600), Span::Hours(1));
        assert_eq!(Span::of(86_399), Span::Hours(23));
        assert_eq!(Span::of(2 * 86_400 + 3600), Span::Days(2));
    }

    #[test]
    fn the_network_line_says_the_last_upload_what_waits_and_what_was_refused() {
        let mut facts = healthy();
        facts.network.waiting = 3;
        facts.network.oldest_waiting_age_s = Some(7200);
        facts.network.quarantined = 1;
        facts.printer.last_fault = Some("timed out".into());
        let lines = lines(&facts);
        let line = |item| lines.iter().find(|l| l.item == item).unwrap();
        assert_eq!(
            line(Item::Network).value,
            [
                Said::Online {
                    last_upload: Span::Minutes(2)
                },
                Said::Waiting {
                    count: 3,
                    oldest: Span::Hours(2)
                },
                Said::Refused { count: 1 },
            ]
        );
        assert_eq!(
            line(Item::Printer).value,
            [
                Said::Printer(PrinterStatus::Ready),
                Said::LastFault(Fault::Other("timed out".into()))
            ]
        );
        let mut repeated = healthy();
        repeated.printer.status = Some(PrinterStatus::PaperOut);
        repeated.printer.last_fault = Some("paper out".into());
        let printer = super::lines(&repeated).remove(0);
        assert_eq!(
            printer.value,
            [Said::Printer(PrinterStatus::PaperOut)],
            "a fault the status already says is not said twice"
        );
        let brochure = line(Item::Brochure);
        assert_eq!(brochure.brochure.as_ref().unwrap().en, "Hotline cards");
        assert_eq!(
            brochure.value,
            [Said::Restocked {
                count: 40,
                days_ago: 3
            }]
        );
    }

    pub(crate) fn healthy() -> Facts {
        Facts {
            printer: PrinterFacts {
                configured: true,
                status: Some(PrinterStatus::Ready),
                last_fault: None,
            },
            paper: PaperFacts {
                roll_mm: Some(20_000.0),
                used_since_restock_mm: 5_000.0,
                sensor_low: None,
            },
            brochures: vec![BrochureFacts {
                name: Pair {
                    zh: "热线卡".into(),
                    en: "Hotline cards".into(),
                },
                last_restock: Some((3, 40)),
                restock_every_days: 14,
            }],
            network: NetworkFacts {
                hub_configured: true,
                last_success_age_s: Some(120),
                waiting: 0,
                oldest_waiting_age_s: None,
                quarantined: 0,
            },
            clock_synced: true,
            clock_problem: false,
            directory_version: 3,
            directory_expires: NaiveDate::from_ymd_opt(2027, 6, 30).unwrap(),
            today: NaiveDate::from_ymd_opt(2026, 11, 28).unwrap(),
            version: "0.1.0".into(),
            uptime_s: 3 * 86_400,
            disk_free_bytes: Some(20 * 1024 * 1024 * 1024),
            image_version: Some("2026.12.3".into()),
            temperature_c: Some(52.0),
            update: crate::update::StatusFile::Absent,
        }
    }

    fn level_of(lines: &[StatusLine], item: Item) -> Level {
        lines.iter().find(|l| l.item == item).unwrap().level
    }

    #[test]
    fn a_healthy_kiosk_is_green_throughout_with_a_steady_led() {
        let lines = lines(&healthy());
        assert!(lines.iter().all(|l| l.level == Level::Green), "{lines:#?}");
        assert!(lines.iter().all(|l| l.advice.is_none()));
        assert_eq!(led(&lines), LedPattern::Steady);
        let paper = lines.iter().find(|l| l.item == Item::Paper).unwrap();
        assert_eq!(
            paper.value,
            [Said::PaperLeft {
                metres: 15,
                percent: 75
            }]
        );
    }

    #[test]
    fn the_update_line_says_the_slot_and_the_last_update_and_is_amber_when_it_went_wrong() {
        use crate::update::{LastUpdate, Outcome, StatusFile, UpdateStatus};
        let mut facts = healthy();
        assert!(
            lines(&facts).iter().all(|l| l.item != Item::Update),
            "no line off the image"
        );
        let read = |outcome: Option<Outcome>| {
            StatusFile::Read(UpdateStatus {
                slot: "B".into(),
                last: outcome.map(|outcome| LastUpdate {
                    version: "2026.12.4".into(),
                    outcome,
                    detail: "x".into(),
                    at: "2026-12-03T14:00:00Z".into(),
                }),
            })
        };
        let update = |facts: &Facts| {
            lines(facts)
                .into_iter()
                .find(|l| l.item == Item::Update)
                .unwrap()
        };
        facts.update = read(None);
        let line = update(&facts);
        assert_eq!(
            (line.level, line.value),
            (Level::Green, vec![Said::UpdateSlot("B".into())])
        );
        for (outcome, level) in [
            (Outcome::Installed, Level::Green),
            (Outcome::Installing, Level::Green),
            (Outcome::AwaitingReboot, Level::Green),
            (Outcome::Trying, Level::Green),
            (Outcome::RolledBack, Level::Amber),
            (Outcome::Failed, Level::Amber),
        ] {
            facts.update = read(Some(outcome));
            let line = update(&facts);
            assert_eq!(line.level, level, "{outcome:?}");
            assert_eq!(
                line.value[1],
                Said::UpdateLast {
                    version: "2026.12.4".into(),
                    outcome
                }
            );
            assert_eq!(line.advice.is_some(), level == Level::Amber);
            assert!(!line.needs_staff, "nothing for staff to fix at the kiosk");
        }
        facts.update = StatusFile::Unreadable("expected value".into());
        let line = update(&facts);
        assert_eq!(
            (line.level, line.advice),
            (Level::Amber, Some(Advice::UpdateFailed))
        );
    }

    #[test]
    fn the_software_line_names_the_image_or_says_there_is_none() {
        let software = |facts: &Facts| {
            lines(facts)
                .into_iter()
                .find(|l| l.item == Item::Software)
                .unwrap()
                .value
        };
        let mut facts = healthy();
        assert_eq!(
            software(&facts),
            [
                Said::Version("0.1.0".into()),
                Said::Image("2026.12.3".into())
            ]
        );
        facts.image_version = None;
        assert_eq!(
            software(&facts),
            [Said::Version("0.1.0".into()), Said::NoImage]
        );
    }

    #[test]
    fn every_amber_or_red_line_says_what_to_do() {
        let mut facts = healthy();
        facts.printer.status = Some(PrinterStatus::CoverOpen);
        facts.printer.last_fault = Some("cover open".into());
        facts.paper.used_since_restock_mm = 19_000.0;
        facts.brochures[0].last_restock = Some((20, 40));
        facts.network.waiting = 40;
        facts.network.oldest_waiting_age_s = Some(2 * 86_400);
        facts.network.quarantined = 1;
        facts.clock_synced = false;
        facts.directory_expires = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        facts.disk_free_bytes = Some(100 * 1024 * 1024);
        facts.temperature_c = Some(83.0);
        let lines = lines(&facts);
        for line in &lines {
            if line.level != Level::Green {
                assert!(line.advice.is_some(), "{line:?}");
            }
        }
        assert_eq!(level_of(&lines, Item::Printer), Level::Red);
        assert_eq!(level_of(&lines, Item::Paper), Level::Amber);
        assert_eq!(level_of(&lines, Item::Brochure), Level::Amber);
        assert_eq!(level_of(&lines, Item::Network), Level::Red);
        assert_eq!(level_of(&lines, Item::Clock), Level::Amber);
        assert_eq!(level_of(&lines, Item::Directory), Level::Amber);
        assert_eq!(level_of(&lines, Item::Disk), Level::Red);
        assert_eq!(level_of(&lines, Item::Temperature), Level::Red);
        assert_eq!(led(&lines), LedPattern::Blinking);
        assert_eq!(worst(&lines), Level::Red);
    }

    #[test]
    fn the_paper_estimate_follows_the_roll_and_the_sensor() {
        let paper_line = |facts: &Facts| {
            lines(facts)
                .into_iter()
                .find(|l| l.item == Item::Paper)
                .unwrap()
        };
        let mut facts = healthy();
        facts.paper.used_since_restock_mm = 16_900.0;
        assert_eq!(
            paper_line(&facts).level,
            Level::Green,
            "15.5% left is still fine"
        );
        facts.paper.used_since_restock_mm = 17_100.0;
        assert_eq!(paper_line(&facts).level, Level::Amber);
        facts.paper.used_since_restock_mm = 25_000.0;
        assert_eq!(
            paper_line(&facts).value,
            [Said::PaperLeft {
                metres: 0,
                percent: 0
            }],
            "never negative"
        );
        let mut sensor = healthy();
        sensor.paper.sensor_low = Some(true);
        let line = paper_line(&sensor);
        assert_eq!(line.level, Level::Amber);
        assert_eq!(line.value.last(), Some(&Said::SensorLow));
        let mut untracked = healthy();
        untracked.paper.roll_mm = None;
        assert_eq!(paper_line(&untracked).level, Level::Amber);
        let mut none = healthy();
        none.printer.configured = false;
        let lines = lines(&none);
        assert!(
            lines.iter().all(|l| l.item != Item::Paper),
            "no printer, no paper line"
        );
        assert_eq!(level_of(&lines, Item::Printer), Level::Green);
    }

    #[test]
    fn the_led_blinks_only_for_what_staff_can_fix_here() {
        let mut facts = healthy();
        facts.temperature_c = Some(75.0);
        facts.brochures[0].last_restock = None;
        let lines_hot = lines(&facts);
        assert_eq!(worst(&lines_hot), Level::Red);
        assert_eq!(
            led(&lines_hot),
            LedPattern::Steady,
            "brochures and heat show on screen only"
        );
        // Offline for a few hours, no hub yet, or a printer not asked yet: on screen only.
        let mut quiet = healthy();
        quiet.network.waiting = 5;
        quiet.network.oldest_waiting_age_s = Some(3 * 3600);
        quiet.printer.status = None;
        let lines_quiet = lines(&quiet);
        assert_eq!(worst(&lines_quiet), Level::Amber);
        assert_eq!(led(&lines_quiet), LedPattern::Steady);
        for change in [
            |f: &mut Facts| f.clock_synced = false,
            |f: &mut Facts| f.directory_expires = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            |f: &mut Facts| f.paper.used_since_restock_mm = 19_999.0,
            |f: &mut Facts| {
                f.network.waiting = 5;
                f.network.oldest_waiting_age_s = Some(2 * 86_400);
            },
            |f: &mut Facts| f.printer.status = Some(PrinterStatus::CoverOpen),
        ] {
            let mut facts = healthy();
            change(&mut facts);
            assert_eq!(led(&lines(&facts)), LedPattern::Blinking);
        }
    }

    #[test]
    fn a_staff_call_blinks_in_a_pattern_no_supply_fault_uses() {
        let over = |p: LedPattern| -> Vec<bool> { (0..16).map(|t| p.lit(t)).collect() };
        assert!(over(LedPattern::Steady).iter().all(|on| *on));
        // The slow blink: a second on, a second off.
        assert_eq!(
            over(LedPattern::Blinking),
            [
                true, true, true, true, false, false, false, false, true, true, true, true, false,
                false, false, false
            ]
        );
        // The double blink: on, off, on, then off for five ticks, every two seconds.
        let call = over(LedPattern::StaffCall);
        assert_eq!(
            &call[..8],
            [true, false, true, false, false, false, false, false]
        );
        assert_eq!(call[..8], call[8..]);
        assert_ne!(call, over(LedPattern::Blinking));
        // Nothing the status can find makes the LED show the staff-call pattern.
        let mut facts = healthy();
        facts.clock_synced = false;
        facts.printer.status = Some(PrinterStatus::PaperOut);
        assert_eq!(led(&lines(&facts)), LedPattern::Blinking);
    }

    #[test]
    fn a_printer_never_asked_is_not_called_ready() {
        let mut facts = healthy();
        facts.printer.status = None;
        assert_eq!(level_of(&lines(&facts), Item::Printer), Level::Amber);
    }
}
