//! The staff status at a glance: facts in, one line per item out, each green, amber or red,
//! and every amber or red line with what to do in plain words. Pure: the facts are gathered
//! elsewhere (`crate::status::staff_facts`), so every rule is tested with fixed values.

use chrono::NaiveDate;
use serde::Deserialize;

use crate::language::Language;
use crate::printer::status::PrinterStatus;
use crate::slip::Pair;

const TEXT: &str = include_str!("../../assets/staff/text.toml");

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

/// The words of the staff status (`assets/staff/text.toml`), both languages. The kiosk parses
/// them once at start and keeps them. Every entry the rules use is a field, so a missing or
/// misspelt entry fails the parse (and with it the test of the embedded file), never a lookup
/// while the kiosk runs.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusText {
    items: Items,
    values: Values,
    advice: Advice,
}

/// The name of each line.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Items {
    printer: Pair,
    paper: Pair,
    brochure: Pair,
    network: Pair,
    clock: Pair,
    directory: Pair,
    software: Pair,
    uptime: Pair,
    disk: Pair,
    temperature: Pair,
}

/// What a line says, some with `{field}`s to fill in.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Values {
    printer_none: Pair,
    printer_ready: Pair,
    printer_near_end: Pair,
    printer_out: Pair,
    printer_cover: Pair,
    printer_offline: Pair,
    printer_unknown: Pair,
    last_fault: Pair,
    paper_left: Pair,
    paper_untracked: Pair,
    paper_sensor_low: Pair,
    brochure_restocked: Pair,
    brochure_never: Pair,
    online: Pair,
    never_uploaded: Pair,
    waiting: Pair,
    quarantined: Pair,
    no_hub: Pair,
    synced: Pair,
    not_synced: Pair,
    directory_ok: Pair,
    directory_expired: Pair,
    disk_free: Pair,
    temperature: Pair,
    unknown: Pair,
    days: Pair,
    hours: Pair,
    minutes: Pair,
}

/// What to do, for amber and red lines.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Advice {
    paper_near_end: Pair,
    paper_out: Pair,
    cover_open: Pair,
    printer_offline: Pair,
    paper_unknown: Pair,
    brochure_low: Pair,
    offline: Pair,
    stuck: Pair,
    refused: Pair,
    no_hub: Pair,
    clock: Pair,
    directory: Pair,
    disk_low: Pair,
    hot: Pair,
}

impl StatusText {
    pub fn parse(text: &str) -> Result<StatusText, toml::de::Error> {
        toml::from_str(text)
    }

    /// The embedded words. Parsing them cannot fail in a build whose tests pass
    /// (`the_embedded_words_parse`), and the kiosk does it once, at start.
    pub fn builtin() -> StatusText {
        StatusText::parse(TEXT).expect("the staff text is checked by tests")
    }

    fn printer(&self, status: PrinterStatus) -> &Pair {
        let v = &self.values;
        match status {
            PrinterStatus::Ready => &v.printer_ready,
            PrinterStatus::PaperNearEnd => &v.printer_near_end,
            PrinterStatus::PaperOut => &v.printer_out,
            PrinterStatus::CoverOpen => &v.printer_cover,
            PrinterStatus::Offline => &v.printer_offline,
            PrinterStatus::Unknown => &v.printer_unknown,
        }
    }

    /// A printer fault as stored with a print attempt, in words: a printer status's name in
    /// the staff's words, or a transport's own error text as it is.
    pub fn fault_words(&self, fault: &str, lang: Language) -> String {
        match PrinterStatus::from_name(fault) {
            Some(status) => self.printer(status).get(lang).to_string(),
            None => fault.to_string(),
        }
    }
}

/// The words in one language, with the fields of a template filled in.
struct Say<'a> {
    text: &'a StatusText,
    lang: Language,
}

impl Say<'_> {
    fn word(&self, pair: &Pair) -> String {
        pair.get(self.lang).to_string()
    }

    fn fill(&self, pair: &Pair, fields: &[(&str, String)]) -> String {
        let mut text = self.word(pair);
        for (name, value) in fields {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }

    /// Between the parts of one value: Chinese text takes the full-width semicolon.
    fn sep(&self) -> &'static str {
        self.lang.pick("；", "; ")
    }

    /// A length of time in whole days, hours or minutes (never negative).
    fn span(&self, seconds: i64) -> String {
        let v = &self.text.values;
        let seconds = seconds.max(0);
        if seconds >= 86_400 {
            self.fill(&v.days, &[("n", (seconds / 86_400).to_string())])
        } else if seconds >= 3600 {
            self.fill(&v.hours, &[("n", (seconds / 3600).to_string())])
        } else {
            self.fill(&v.minutes, &[("n", (seconds / 60).to_string())])
        }
    }
}

impl StatusLine {
    /// A line with its advice kept only when it is amber or red, and the LED rule for its item:
    /// paper, the directory and the clock call staff when not green, the network only when red.
    fn new(item: Item, level: Level, label: String, value: String, advice: Option<String>) -> Self {
        StatusLine {
            item,
            level,
            label,
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

/// The status lines in `lang`, in the screen's order.
pub fn lines(facts: &Facts, text: &StatusText, lang: Language) -> Vec<StatusLine> {
    let say = Say { text, lang };
    let mut out = vec![printer_line(&facts.printer, &say)];
    out.extend(paper_line(facts, &say));
    out.extend(facts.brochures.iter().map(|b| brochure_line(b, &say)));
    out.push(network_line(&facts.network, &say));
    out.push(clock_line(facts, &say));
    out.push(directory_line(facts, &say));
    out.push(StatusLine::new(
        Item::Software,
        Level::Green,
        say.word(&text.items.software),
        facts.version.clone(),
        None,
    ));
    out.push(StatusLine::new(
        Item::Uptime,
        Level::Green,
        say.word(&text.items.uptime),
        say.span(facts.uptime_s as i64),
        None,
    ));
    out.push(disk_line(facts.disk_free_bytes, &say));
    out.push(temperature_line(facts.temperature_c, &say));
    out
}

/// The printer's last status, and its last fault when that says something more.
fn printer_line(p: &PrinterFacts, say: &Say) -> StatusLine {
    let (words, a) = (say.text, &say.text.advice);
    let label = say.word(&words.items.printer);
    if !p.configured {
        let value = say.word(&words.values.printer_none);
        return StatusLine::new(Item::Printer, Level::Green, label, value, None);
    }
    let status = p.status.unwrap_or(PrinterStatus::Unknown);
    let (level, advice) = match status {
        PrinterStatus::Ready => (Level::Green, None),
        PrinterStatus::PaperNearEnd => (Level::Amber, Some(&a.paper_near_end)),
        PrinterStatus::PaperOut => (Level::Red, Some(&a.paper_out)),
        PrinterStatus::CoverOpen => (Level::Red, Some(&a.cover_open)),
        PrinterStatus::Offline => (Level::Red, Some(&a.printer_offline)),
        // Never asked, or no answer: not "ok", and worth a test print.
        PrinterStatus::Unknown => (Level::Amber, Some(&a.printer_offline)),
    };
    let mut value = say.word(words.printer(status));
    let repeated = |fault: &String| p.status.is_some_and(|s| s.name() == fault);
    if let Some(fault) = p.last_fault.as_ref().filter(|f| !repeated(f)) {
        let fault = words.fault_words(fault, say.lang);
        let last = say.fill(&words.values.last_fault, &[("fault", fault)]);
        value = format!("{value}{}{last}", say.sep());
    }
    let advice = advice.map(|a| say.word(a));
    let mut line = StatusLine::new(Item::Printer, level, label, value, advice);
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
fn paper_line(facts: &Facts, say: &Say) -> Option<StatusLine> {
    if !facts.printer.configured {
        return None;
    }
    let (v, a) = (&say.text.values, &say.text.advice);
    let paper = &facts.paper;
    let (level, mut value, advice) = match paper.roll_mm {
        None => (Level::Amber, say.word(&v.paper_untracked), &a.paper_unknown),
        Some(roll) => {
            let left = (roll - paper.used_since_restock_mm).max(0.0);
            let share = if roll > 0.0 { left / roll } else { 0.0 };
            let fields = [
                ("m", format!("{:.0}", left / 1000.0)),
                ("pct", format!("{:.0}", share * 100.0)),
            ];
            let level = if share < PAPER_LOW_SHARE {
                Level::Amber
            } else {
                Level::Green
            };
            (level, say.fill(&v.paper_left, &fields), &a.paper_near_end)
        }
    };
    let mut level = level;
    if paper.sensor_low == Some(true) {
        level = level.max(Level::Amber);
        value = format!("{value}{}{}", say.sep(), say.word(&v.paper_sensor_low));
    }
    let label = say.word(&say.text.items.paper);
    Some(StatusLine::new(
        Item::Paper,
        level,
        label,
        value,
        Some(say.word(advice)),
    ))
}

/// Brochures of one kind, judged by the time since their last recorded restock.
fn brochure_line(brochure: &BrochureFacts, say: &Say) -> StatusLine {
    let v = &say.text.values;
    let (level, value) = match brochure.last_restock {
        None => (Level::Red, say.word(&v.brochure_never)),
        Some((days, count)) => {
            let fields = [("days", days.max(0).to_string()), ("n", count.to_string())];
            let level = if days > i64::from(brochure.restock_every_days) {
                Level::Amber
            } else {
                Level::Green
            };
            (level, say.fill(&v.brochure_restocked, &fields))
        }
    };
    let name = [("name", brochure.name.get(say.lang).to_string())];
    let label = say.fill(&say.text.items.brochure, &name);
    let advice = Some(say.word(&say.text.advice.brochure_low));
    StatusLine::new(Item::Brochure, level, label, value, advice)
}

/// The hub, the last upload, what waits and for how long, and what the hub refused.
fn network_line(n: &NetworkFacts, say: &Say) -> StatusLine {
    let (v, a) = (&say.text.values, &say.text.advice);
    let mut parts = vec![];
    let (mut level, mut advice) = (Level::Green, None);
    if !n.hub_configured {
        parts.push(say.word(&v.no_hub));
        (level, advice) = (Level::Amber, Some(&a.no_hub));
    } else {
        parts.push(match n.last_success_age_s {
            Some(age) => say.fill(&v.online, &[("ago", say.span(age))]),
            None => say.word(&v.never_uploaded),
        });
    }
    if n.waiting > 0 {
        let age = n.oldest_waiting_age_s.unwrap_or(0);
        let fields = [("n", n.waiting.to_string()), ("age", say.span(age))];
        parts.push(say.fill(&v.waiting, &fields));
        if n.hub_configured && age > STUCK_AFTER_S {
            (level, advice) = (Level::Red, Some(&a.stuck));
        } else if n.hub_configured && age > OFFLINE_AFTER_S {
            (level, advice) = (Level::Amber, Some(&a.offline));
        }
    }
    if n.quarantined > 0 {
        parts.push(say.fill(&v.quarantined, &[("n", n.quarantined.to_string())]));
        if level == Level::Green {
            (level, advice) = (Level::Amber, Some(&a.refused));
        }
    }
    let label = say.word(&say.text.items.network);
    let advice = advice.map(|a| say.word(a));
    StatusLine::new(Item::Network, level, label, parts.join(say.sep()), advice)
}

fn clock_line(facts: &Facts, say: &Say) -> StatusLine {
    let v = &say.text.values;
    let (level, value) = match (facts.clock_synced, facts.clock_problem) {
        (true, false) => (Level::Green, &v.synced),
        (false, false) => (Level::Amber, &v.not_synced),
        (_, true) => (Level::Red, &v.not_synced),
    };
    StatusLine::new(
        Item::Clock,
        level,
        say.word(&say.text.items.clock),
        say.word(value),
        Some(say.word(&say.text.advice.clock)),
    )
}

/// The directory's version and expiry; an expired one is still shown, so it is amber.
fn directory_line(facts: &Facts, say: &Say) -> StatusLine {
    let v = &say.text.values;
    let fields = [
        ("v", facts.directory_version.to_string()),
        ("date", facts.directory_expires.to_string()),
    ];
    let (level, value) = if facts.directory_expires < facts.today {
        (Level::Amber, &v.directory_expired)
    } else {
        (Level::Green, &v.directory_ok)
    };
    StatusLine::new(
        Item::Directory,
        level,
        say.word(&say.text.items.directory),
        say.fill(value, &fields),
        Some(say.word(&say.text.advice.directory)),
    )
}

fn disk_line(free: Option<u64>, say: &Say) -> StatusLine {
    let v = &say.text.values;
    let (level, value) = match free {
        None => (Level::Amber, say.word(&v.unknown)),
        Some(free) => {
            let level = if free < DISK_RED_BYTES {
                Level::Red
            } else if free < DISK_AMBER_BYTES {
                Level::Amber
            } else {
                Level::Green
            };
            let mb = [("mb", (free / (1024 * 1024)).to_string())];
            (level, say.fill(&v.disk_free, &mb))
        }
    };
    StatusLine::new(
        Item::Disk,
        level,
        say.word(&say.text.items.disk),
        value,
        Some(say.word(&say.text.advice.disk_low)),
    )
}

/// The board's temperature; a board that cannot say is no worry of the staff's.
fn temperature_line(celsius: Option<f32>, say: &Say) -> StatusLine {
    let v = &say.text.values;
    let (level, value) = match celsius {
        None => (Level::Green, say.word(&v.unknown)),
        Some(c) => {
            let level = if c >= HOT_C {
                Level::Red
            } else if c >= WARM_C {
                Level::Amber
            } else {
                Level::Green
            };
            (level, say.fill(&v.temperature, &[("c", format!("{c:.0}"))]))
        }
    };
    StatusLine::new(
        Item::Temperature,
        level,
        say.word(&say.text.items.temperature),
        value,
        Some(say.word(&say.text.advice.hot)),
    )
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

    fn lines(facts: &Facts, lang: Language) -> Vec<StatusLine> {
        super::lines(facts, &StatusText::builtin(), lang)
    }

    #[test]
    fn the_embedded_words_parse() {
        assert_eq!(StatusText::parse(TEXT), Ok(StatusText::builtin()));
    }

    #[test]
    fn a_missing_or_unknown_entry_fails_the_parse() {
        let missing = TEXT.replace("hot = {", "hott = {");
        assert!(StatusText::parse(&missing).is_err(), "an unknown entry");
        let without: String = TEXT
            .lines()
            .filter(|l| !l.starts_with("minutes ="))
            .map(|l| format!("{l}\n"))
            .collect();
        let error = StatusText::parse(&without).unwrap_err().to_string();
        assert!(error.contains("minutes"), "{error}");
    }

    #[test]
    fn every_field_of_every_line_is_filled_in_both_languages() {
        let mut facts = healthy();
        facts.printer.last_fault = Some("timed out".into());
        facts.network.waiting = 3;
        facts.network.oldest_waiting_age_s = Some(7200);
        facts.network.quarantined = 1;
        facts.paper.sensor_low = Some(true);
        let mut never = healthy();
        never.brochures[0].last_restock = None;
        never.network.hub_configured = false;
        never.disk_free_bytes = None;
        never.temperature_c = None;
        never.printer.configured = false;
        for facts in [facts, never] {
            for lang in [Language::Chinese, Language::English] {
                for line in lines(&facts, lang) {
                    let text = format!("{} {} {:?}", line.label, line.value, line.advice);
                    assert!(!text.contains('{') && !text.contains('}'), "{text}");
                }
            }
        }
    }

    #[test]
    fn a_fault_is_said_in_the_staffs_words_or_as_the_transport_gave_it() {
        let text = StatusText::builtin();
        assert_eq!(text.fault_words("paper out", Language::Chinese), "没纸了");
        assert_eq!(
            text.fault_words("cover open", Language::English),
            "cover open"
        );
        assert_eq!(
            text.fault_words("timed out", Language::Chinese),
            "timed out"
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
