//! The referral slip: what a worker takes away on paper (or sees on screen when there is no
//! paper): the lines to call, a QR code carrying the same as plain text, a random slip number,
//! and "this is not a diagnosis". A crisis slip puts the lines first and adds a safety plan to
//! fill in by hand.
//!
//! `mod.rs` builds the content (pure: time, randomness and the station come in from outside);
//! `layout.rs` draws it onto a 1-bit image at the printer's width; `escpos.rs` turns that image
//! into the bytes a thermal printer takes.

pub mod escpos;
pub mod layout;

use serde::Deserialize;

use crate::emergency::EmergencyLine;
use crate::language::Language;
use crate::printer::status::PrinterStatus;

const TEXT: &str = include_str!("../../assets/slip/text.toml");

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pair {
    pub zh: String,
    pub en: String,
}

impl Pair {
    pub fn get(&self, lang: Language) -> &str {
        lang.pick(&self.zh, &self.en)
    }
}

/// The fixed words of a slip (`assets/slip/text.toml`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlipText {
    pub talk_heading: Pair,
    pub emergency: Pair,
    pub not_diagnosis: Pair,
    pub scan: Pair,
    pub code: Pair,
    pub code_note: Pair,
    pub services_heading: Pair,
    pub crisis_heading: Pair,
    pub plan_heading: Pair,
    pub plan_steps: Vec<Pair>,
}

impl SlipText {
    pub fn builtin() -> SlipText {
        toml::from_str(TEXT).expect("the slip text is checked by tests")
    }
}

/// One line to call, as printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlipLine {
    pub number: String,
    pub name: String,
    /// What to press once connected, and the hours, when the source gives them.
    pub note: String,
}

/// A tree-hole page printed for the worker who wrote it (写下来, "打印给自己"): their text and
/// one line to call, and nothing else: no station, no time, no number, no QR code, so the
/// paper says nothing of where or when it was written (docs/care.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageSlip {
    pub text: String,
    pub heading: String,
    pub line: SlipLine,
}

impl PageSlip {
    /// The page with the psychological assistance line (12356), from the shipped lines. None
    /// when the shipped lines have no such line (the data says so, and a test checks it has).
    pub fn new(
        language: Language,
        text: &str,
        lines: &[EmergencyLine],
        words: &SlipText,
    ) -> Option<PageSlip> {
        let t = lines.iter().find(|l| l.number == "12356")?.text(language);
        Some(PageSlip {
            text: text.to_string(),
            heading: words.talk_heading.get(language).to_string(),
            line: SlipLine {
                number: t.number.into(),
                name: t.name.into(),
                note: join_given(&[t.then, t.hours]),
            },
        })
    }
}

/// Everything printed on one slip, in one language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slip {
    pub language: Language,
    pub station: String,
    /// Local date and time, or `None` when the clock was never synchronised (never 1970).
    pub printed_at: Option<String>,
    pub crisis: bool,
    pub lines: Vec<SlipLine>,
    /// Services the worker added from the directory ("add to my slip").
    pub services: Vec<SlipLine>,
    /// Random characters only: no person, no result, nothing derived from either.
    pub code: String,
}

/// The parts that are given, joined with a middle dot (a missing part leaves no stray dot).
fn join_given(parts: &[&str]) -> String {
    parts
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" · ")
}

/// The slip number: 6 characters of Crockford's base 32 (30 random bits), from the caller's
/// randomness.
pub fn slip_code(random: [u8; 4]) -> String {
    let bits = u32::from_be_bytes(random);
    (0..6)
        .rev()
        .map(|i| crate::mood::code::ALPHABET[((bits >> (5 * i)) & 31) as usize] as char)
        .collect()
}

impl Slip {
    /// A slip with the counselling lines (12356, 12351 key 3); 110 and 120 are printed as the
    /// emergency sentence. `printed_at` is the local time only when the clock is synchronised.
    /// A crisis slip carries neither the station nor the time, whatever is passed: it may be
    /// found in a pocket, and should not say where and when its owner was in crisis.
    pub fn new(
        language: Language,
        station: &str,
        printed_at: Option<String>,
        crisis: bool,
        lines: &[EmergencyLine],
        code: String,
    ) -> Slip {
        let lines = lines
            .iter()
            .filter(|l| !l.urgent)
            .map(|l| {
                let t = l.text(language);
                let note = join_given(&[t.then, t.hours]);
                SlipLine {
                    number: t.number.into(),
                    name: t.name.into(),
                    note,
                }
            })
            .collect();
        let (station, printed_at) = if crisis {
            (String::new(), None)
        } else {
            (station.to_string(), printed_at)
        };
        Slip {
            language,
            station,
            printed_at,
            crisis,
            lines,
            services: Vec::new(),
            code,
        }
    }

    /// The demo slip: the built-in lines, a fixed time and slip number, so previews, tests and
    /// benchmarks all show the same slip (`waystation slip --demo`).
    pub fn demo(language: Language, station: &str, crisis: bool) -> Slip {
        let lines = crate::emergency::builtin();
        Slip::new(
            language,
            station,
            Some("2026-11-28 17:30".into()),
            crisis,
            &lines,
            "K7M2QX".into(),
        )
    }

    /// Adds directory entries the worker chose: name, phone (or the address), and a note with
    /// what to press or the hours, as the entry's source gives them.
    pub fn with_services(mut self, entries: &[&crate::directory::Entry]) -> Slip {
        let lang = self.language;
        self.services = entries
            .iter()
            .map(|e| {
                let note = join_given(&[e.address(lang), e.note(lang), &e.opening_hours]);
                SlipLine {
                    number: e.phones.join(" "),
                    name: e.name(lang).into(),
                    note,
                }
            })
            .collect();
        self
    }

    /// The QR code's text: the same lines as plain text, readable by any phone camera offline.
    pub fn qr_text(&self, text: &SlipText) -> String {
        let lang = self.language;
        let mut out = String::new();
        if !self.station.is_empty() {
            out += &format!("{}\n", self.station);
        }
        for line in self.lines.iter().chain(&self.services) {
            if !line.number.is_empty() {
                out += &format!("{} ", line.number);
            }
            out += &line.name;
            if !line.note.is_empty() {
                out += &format!(" ({})", line.note);
            }
            out.push('\n');
        }
        out += &format!("{}\n", text.emergency.get(lang));
        out += &format!("{}\n", text.not_diagnosis.get(lang));
        out += &format!("{} {}", text.code.get(lang), self.display_code());
        out
    }

    pub fn display_code(&self) -> String {
        if self.code.len() == 6 {
            format!("{}-{}", &self.code[..3], &self.code[3..])
        } else {
            self.code.clone()
        }
    }
}

/// Where printing this visit's slip stands (session state).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PrintState {
    #[default]
    Idle,
    /// Sent to the printer thread as job `n`.
    Printing(u64),
    Printed,
    /// Sent, but the printer could not say whether it printed (a one-way connection).
    Sent,
    /// Not printed, with the printer's status when it said so.
    NotPrinted(PrinterStatus),
    /// The printer stopped answering or could not be reached.
    Failed,
}

impl PrintState {
    /// Whether the slip may be sent to the printer (again): not while it prints, and not once
    /// it printed or was sent, so the same slip is never printed twice by accident; after a
    /// failure the worker may try again.
    pub fn may_print(&self) -> bool {
        !matches!(
            self,
            PrintState::Printing(_) | PrintState::Printed | PrintState::Sent
        )
    }
}

/// The slip of this visit, once the worker asked for it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SlipVisit {
    pub slip: Option<Slip>,
    pub print: PrintState,
}

/// The local time printed on a slip, or nothing when the clock cannot be trusted.
pub fn printed_at(reading: &crate::clock::ClockReading) -> Option<String> {
    reading.synced.then(|| {
        crate::station_time::local(reading.wall)
            .format("%Y-%m-%d %H:%M")
            .to_string()
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_slip_may_be_printed_again_only_after_it_failed() {
        use super::PrintState;
        use crate::printer::PrinterStatus;
        assert!(PrintState::Idle.may_print());
        assert!(PrintState::Failed.may_print());
        assert!(PrintState::NotPrinted(PrinterStatus::PaperOut).may_print());
        for done in [
            PrintState::Printing(1),
            PrintState::Printed,
            PrintState::Sent,
        ] {
            assert!(!done.may_print(), "{done:?}");
        }
    }

    use super::*;
    use crate::clock::{Clock, FakeClock};

    fn slip(crisis: bool, lang: Language) -> Slip {
        Slip::new(
            lang,
            "示例驿站（演示）",
            Some("2026-11-28 17:30".into()),
            crisis,
            &crate::emergency::builtin(),
            slip_code([1, 2, 3, 4]),
        )
    }

    #[test]
    fn the_text_data_has_both_languages_and_six_plan_steps() {
        let t = SlipText::builtin();
        assert_eq!(t.plan_steps.len(), 6);
        for p in [
            &t.talk_heading,
            &t.emergency,
            &t.not_diagnosis,
            &t.scan,
            &t.code,
            &t.code_note,
        ]
        .into_iter()
        .chain(&t.plan_steps)
        {
            assert!(!p.zh.is_empty() && !p.en.is_empty());
        }
    }

    #[test]
    fn a_slip_carries_the_counselling_lines_and_the_qr_says_the_same() {
        let s = slip(false, Language::Chinese);
        let numbers: Vec<&str> = s.lines.iter().map(|l| l.number.as_str()).collect();
        assert_eq!(numbers, ["12356", "12351"]);
        assert!(s.lines[1].note.contains("3"));
        let qr = s.qr_text(&SlipText::builtin());
        for needle in [
            "12356",
            "12351",
            "120",
            "110",
            "这不是诊断",
            &s.display_code(),
        ] {
            assert!(qr.contains(needle), "QR text lacks {needle}: {qr}");
        }
    }

    #[test]
    fn a_crisis_slip_names_no_station_and_no_time_but_keeps_the_numbers_and_the_plan() {
        let text = SlipText::builtin();
        for lang in [Language::Chinese, Language::English] {
            let s = slip(true, lang);
            assert_eq!((s.station.as_str(), s.printed_at.as_deref()), ("", None));
            let qr = s.qr_text(&text);
            assert!(!qr.contains("示例驿站") && !qr.contains("2026"), "{qr}");
            assert!(qr.contains("12356") && qr.contains("12351"), "{qr}");
            // The plan is printed on every crisis slip (layout.rs draws it when `crisis`).
            assert!(s.crisis && !text.plan_steps.is_empty());
            let normal = slip(false, lang);
            assert!(!normal.station.is_empty() && normal.printed_at.is_some());
        }
    }

    #[test]
    fn the_slip_code_is_randomness_only() {
        assert_eq!(slip_code([0, 0, 0, 0]), "000000");
        assert_ne!(slip_code([1, 2, 3, 4]), slip_code([1, 2, 3, 5]));
        assert_eq!(slip_code([255; 4]).len(), 6);
    }

    #[test]
    fn an_unsynchronised_clock_prints_no_time_at_all() {
        let unsynced = FakeClock::new(chrono::DateTime::from_timestamp(0, 0).unwrap(), false);
        assert_eq!(printed_at(&unsynced.read()), None);
        let synced = FakeClock::new(
            chrono::DateTime::parse_from_rfc3339("2026-11-28T09:30:00Z")
                .unwrap()
                .into(),
            true,
        );
        assert_eq!(
            printed_at(&synced.read()).as_deref(),
            Some("2026-11-28 17:30")
        );
    }
}
