//! The staff status at a glance: facts in, one line per item out, each green, amber or red,
//! and every amber or red line with what to do in plain words. Pure: the facts are gathered
//! elsewhere (`staff::facts`), so every rule is tested with fixed values.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Deserialize;

use crate::kiosk::Language;
use crate::printer::PrinterStatus;
use crate::slip::Pair;

const TEXT: &str = include_str!("../../assets/staff/text.toml");

/// Below this share of the roll, paper is "near end" by the estimate.
pub const PAPER_LOW_SHARE: f64 = 0.15;
/// Records waiting longer than this mean the kiosk is offline.
pub const OFFLINE_AFTER_S: i64 = 60 * 60;
/// Records waiting longer than this mean the queue is stuck.
pub const STUCK_AFTER_S: i64 = 24 * 60 * 60;
/// Free space below which staff are warned, and below which it is urgent.
pub const DISK_AMBER_BYTES: u64 = 1024 * 1024 * 1024;
pub const DISK_RED_BYTES: u64 = crate::status::DISK_LOW_BYTES;
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
    Uptime,
    Disk,
    Temperature,
}

/// One line of the status, in one language.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StatusLine {
    pub item: Item,
    pub level: Level,
    pub label: String,
    pub value: String,
    /// What to do, for amber and red lines.
    pub advice: Option<String>,
    /// Whether this line makes the status LED blink: something staff can fix at the kiosk
    /// (paper low or out, the printer's cover, the queue stuck, the directory expired, the
    /// clock not set).
    pub needs_staff: bool,
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
    pub temperature_c: Option<f32>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Words {
    items: BTreeMap<String, Pair>,
    values: BTreeMap<String, Pair>,
    advice: BTreeMap<String, Pair>,
}

/// The status lines in `lang`, in the screen's order.
pub fn lines(facts: &Facts, lang: Language) -> Vec<StatusLine> {
    let words: Words = toml::from_str(TEXT).expect("the staff text is checked by tests");
    let say = |table: &BTreeMap<String, Pair>, key: &str, fields: &[(&str, String)]| {
        let mut text = table
            .get(key)
            .unwrap_or_else(|| panic!("staff text has no {key}"))
            .get(lang)
            .to_string();
        for (name, value) in fields {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    };
    let item = |key: &str| say(&words.items, key, &[]);
    let value = |key: &str, fields: &[(&str, String)]| say(&words.values, key, fields);
    let advice = |key: &str| Some(say(&words.advice, key, &[]));
    let span = |seconds: i64| {
        let seconds = seconds.max(0);
        if seconds >= 86_400 {
            value("days", &[("n", (seconds / 86_400).to_string())])
        } else if seconds >= 3600 {
            value("hours", &[("n", (seconds / 3600).to_string())])
        } else {
            value("minutes", &[("n", (seconds / 60).to_string())])
        }
    };
    let line =
        |item_kind, level, label: String, value: String, advice: Option<String>| StatusLine {
            item: item_kind,
            level,
            label,
            value,
            advice: if level == Level::Green { None } else { advice },
            needs_staff: match item_kind {
                Item::Paper | Item::Directory | Item::Clock => level != Level::Green,
                Item::Network => level == Level::Red,
                _ => false,
            },
        };
    let mut out = Vec::new();

    // Printer.
    let p = &facts.printer;
    let (level, key, what, status) = if !p.configured {
        (Level::Green, "printer_none", None, PrinterStatus::Ready)
    } else {
        let status = p.status.unwrap_or(PrinterStatus::Unknown);
        let (level, what) = match status {
            PrinterStatus::Ready => (Level::Green, None),
            PrinterStatus::PaperNearEnd => (Level::Amber, advice("paper_near_end")),
            PrinterStatus::PaperOut => (Level::Red, advice("paper_out")),
            PrinterStatus::CoverOpen => (Level::Red, advice("cover_open")),
            PrinterStatus::Offline => (Level::Red, advice("printer_offline")),
            // Never asked, or no answer: not "ok", and worth a test print.
            PrinterStatus::Unknown => (Level::Amber, advice("printer_offline")),
        };
        (level, printer_key(status), what, status)
    };
    // Chinese text takes the full-width semicolon between parts.
    let sep = lang.pick("；", "; ");
    let mut text = value(key, &[]);
    let repeated = |fault: &String| p.status.is_some_and(|s| s.name() == fault);
    if let Some(fault) = p
        .last_fault
        .as_ref()
        .filter(|f| p.configured && !repeated(f))
    {
        // A fault is a printer status name, or a transport's own error text.
        let fault = PrinterStatus::from_name(fault)
            .map(|status| value(printer_key(status), &[]))
            .unwrap_or_else(|| fault.clone());
        text = format!("{text}{sep}{}", value("last_fault", &[("fault", fault)]));
    }
    let mut printer = line(Item::Printer, level, item("printer"), text, what);
    // A printer that has not answered yet is worth a look on screen, not a blinking LED.
    printer.needs_staff = matches!(
        status,
        PrinterStatus::PaperNearEnd
            | PrinterStatus::PaperOut
            | PrinterStatus::CoverOpen
            | PrinterStatus::Offline
    ) && p.configured;
    out.push(printer);

    // Paper left, estimated from the roll and what was printed since the last new roll.
    if facts.printer.configured {
        let paper = &facts.paper;
        let (level, text, what) = match paper.roll_mm {
            None => (
                Level::Amber,
                value("paper_untracked", &[]),
                advice("paper_unknown"),
            ),
            Some(roll) => {
                let left = (roll - paper.used_since_restock_mm).max(0.0);
                let share = if roll > 0.0 { left / roll } else { 0.0 };
                let text = value(
                    "paper_left",
                    &[
                        ("m", format!("{:.0}", left / 1000.0)),
                        ("pct", format!("{:.0}", share * 100.0)),
                    ],
                );
                if share < PAPER_LOW_SHARE {
                    (Level::Amber, text, advice("paper_near_end"))
                } else {
                    (Level::Green, text, None)
                }
            }
        };
        let (level, text) = if paper.sensor_low == Some(true) {
            (
                level.max(Level::Amber),
                format!("{text}{sep}{}", value("paper_sensor_low", &[])),
            )
        } else {
            (level, text)
        };
        out.push(line(
            Item::Paper,
            level,
            item("paper"),
            text,
            what.or(advice("paper_near_end")),
        ));
    }

    // Brochures, by kind.
    for brochure in &facts.brochures {
        let (level, text) = match brochure.last_restock {
            None => (Level::Red, value("brochure_never", &[])),
            Some((days, count)) => {
                let text = value(
                    "brochure_restocked",
                    &[("days", days.max(0).to_string()), ("n", count.to_string())],
                );
                if days > i64::from(brochure.restock_every_days) {
                    (Level::Amber, text)
                } else {
                    (Level::Green, text)
                }
            }
        };
        out.push(line(
            Item::Brochure,
            level,
            say(
                &words.items,
                "brochure",
                &[("name", brochure.name.get(lang).to_string())],
            ),
            text,
            advice("brochure_low"),
        ));
    }

    // Network and uploads.
    let n = &facts.network;
    let mut parts = vec![];
    let (mut level, mut what) = (Level::Green, None);
    if !n.hub_configured {
        parts.push(value("no_hub", &[]));
        (level, what) = (Level::Amber, advice("no_hub"));
    } else {
        parts.push(match n.last_success_age_s {
            Some(age) => value("online", &[("ago", span(age))]),
            None => value("never_uploaded", &[]),
        });
    }
    if n.waiting > 0 {
        let age = n.oldest_waiting_age_s.unwrap_or(0);
        parts.push(value(
            "waiting",
            &[("n", n.waiting.to_string()), ("age", span(age))],
        ));
        if n.hub_configured && age > STUCK_AFTER_S {
            (level, what) = (Level::Red, advice("stuck"));
        } else if n.hub_configured && age > OFFLINE_AFTER_S {
            (level, what) = (Level::Amber, advice("offline"));
        }
    }
    if n.quarantined > 0 {
        parts.push(value("quarantined", &[("n", n.quarantined.to_string())]));
        if level == Level::Green {
            (level, what) = (Level::Amber, advice("refused"));
        }
    }
    out.push(line(
        Item::Network,
        level,
        item("network"),
        parts.join(sep),
        what,
    ));

    // Clock.
    let (level, key) = match (facts.clock_synced, facts.clock_problem) {
        (true, false) => (Level::Green, "synced"),
        (false, false) => (Level::Amber, "not_synced"),
        (_, true) => (Level::Red, "not_synced"),
    };
    out.push(line(
        Item::Clock,
        level,
        item("clock"),
        value(key, &[]),
        advice("clock"),
    ));

    // Directory.
    let expired = facts.directory_expires < facts.today;
    let fields = [
        ("v", facts.directory_version.to_string()),
        ("date", facts.directory_expires.to_string()),
    ];
    out.push(if expired {
        line(
            Item::Directory,
            Level::Amber,
            item("directory"),
            value("directory_expired", &fields),
            advice("directory"),
        )
    } else {
        line(
            Item::Directory,
            Level::Green,
            item("directory"),
            value("directory_ok", &fields),
            None,
        )
    });

    out.push(line(
        Item::Software,
        Level::Green,
        item("software"),
        facts.version.clone(),
        None,
    ));
    out.push(line(
        Item::Uptime,
        Level::Green,
        item("uptime"),
        span(facts.uptime_s as i64),
        None,
    ));

    let (level, text) = match facts.disk_free_bytes {
        None => (Level::Amber, value("unknown", &[])),
        Some(free) => {
            let text = value("disk_free", &[("mb", (free / (1024 * 1024)).to_string())]);
            if free < DISK_RED_BYTES {
                (Level::Red, text)
            } else if free < DISK_AMBER_BYTES {
                (Level::Amber, text)
            } else {
                (Level::Green, text)
            }
        }
    };
    out.push(line(
        Item::Disk,
        level,
        item("disk"),
        text,
        advice("disk_low"),
    ));

    let (level, text) = match facts.temperature_c {
        None => (Level::Green, value("unknown", &[])),
        Some(c) => {
            let text = value("temperature", &[("c", format!("{c:.0}"))]);
            if c >= HOT_C {
                (Level::Red, text)
            } else if c >= WARM_C {
                (Level::Amber, text)
            } else {
                (Level::Green, text)
            }
        }
    };
    out.push(line(
        Item::Temperature,
        level,
        item("temperature"),
        text,
        advice("hot"),
    ));
    out
}

fn printer_key(status: PrinterStatus) -> &'static str {
    match status {
        PrinterStatus::Ready => "printer_ready",
        PrinterStatus::PaperNearEnd => "printer_near_end",
        PrinterStatus::PaperOut => "printer_out",
        PrinterStatus::CoverOpen => "printer_cover",
        PrinterStatus::Offline => "printer_offline",
        PrinterStatus::Unknown => "printer_unknown",
    }
}

/// A printer status in words, for the staff screens.
pub fn printer_words(status: PrinterStatus, lang: Language) -> String {
    let words: Words = toml::from_str(TEXT).expect("the staff text is checked by tests");
    words.values[printer_key(status)].get(lang).to_string()
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
            temperature_c: Some(52.0),
        }
    }

    fn level_of(lines: &[StatusLine], item: Item) -> Level {
        lines.iter().find(|l| l.item == item).unwrap().level
    }

    #[test]
    fn a_healthy_kiosk_is_green_throughout_with_a_steady_led() {
        for lang in [Language::Chinese, Language::English] {
            let lines = lines(&healthy(), lang);
            assert!(lines.iter().all(|l| l.level == Level::Green), "{lines:#?}");
            assert!(lines.iter().all(|l| l.advice.is_none()));
            assert!(lines.iter().all(|l| !l.value.contains('{')), "{lines:#?}");
            assert_eq!(led(&lines), LedPattern::Steady);
        }
        let en = lines(&healthy(), Language::English);
        let paper = en.iter().find(|l| l.item == Item::Paper).unwrap();
        assert_eq!(paper.value, "about 15 m (75%)");
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
        for lang in [Language::Chinese, Language::English] {
            let lines = lines(&facts, lang);
            for line in &lines {
                if line.level != Level::Green {
                    assert!(
                        line.advice.as_deref().is_some_and(|a| !a.is_empty()),
                        "{line:?}"
                    );
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
    }

    #[test]
    fn the_paper_estimate_follows_the_roll_and_the_sensor() {
        let paper_line = |facts: &Facts| {
            lines(facts, Language::English)
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
        assert_eq!(paper_line(&facts).value, "about 0 m (0%)", "never negative");
        let mut sensor = healthy();
        sensor.paper.sensor_low = Some(true);
        let line = paper_line(&sensor);
        assert_eq!(line.level, Level::Amber);
        assert!(line.value.contains("sensor"));
        let mut untracked = healthy();
        untracked.paper.roll_mm = None;
        assert_eq!(paper_line(&untracked).level, Level::Amber);
        let mut none = healthy();
        none.printer.configured = false;
        let lines = lines(&none, Language::English);
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
        let lines_hot = lines(&facts, Language::English);
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
        let lines_quiet = lines(&quiet, Language::English);
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
            assert_eq!(led(&lines(&facts, Language::English)), LedPattern::Blinking);
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
        assert_eq!(led(&lines(&facts, Language::English)), LedPattern::Blinking);
    }

    #[test]
    fn a_printer_never_asked_is_not_called_ready() {
        let mut facts = healthy();
        facts.printer.status = None;
        assert_eq!(
            level_of(&lines(&facts, Language::English), Item::Printer),
            Level::Amber
        );
    }
}
