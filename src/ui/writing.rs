//! The tree hole's adapter (写下来, "Write it down"): the page, the on-screen keyboard and the
//! handwriting pad, the help card, and the three ways out (tear, print, talk to someone).
//!
//! The text goes from a key to `tree_hole::Page` and from there to the screen, the phrase
//! matching and, when the worker asks, the printing thread; to nothing else. It is never
//! logged (no `tracing` call here names it), counted or stored: the day counts get only
//! `writing opened`, how the page ended, and `writing despair_card`. The page ends (and its
//! bytes are overwritten) when it is torn, printed, left for the help lines, or when the
//! worker leaves the screen or the visit ends (`leave_if_away`, `wipe`).
//!
//! Handwriting is recognised on a thread (`SlowWork`, as the PIN checks), with zinnia opened
//! there the first time; the tick takes the guesses in. A kiosk without zinnia or its model
//! says so on the pad and keeps the other layouts.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use slint::{ComponentHandle, Global, SharedString};
use waystation_handwriting::{Ink, Recogniser};
use waystation_pinyin::{Engine, FuzzySet, Options};
use waystation_protocol::Metric;

use super::runtime::update;
use super::{AppWindow, CardLine, KeyCap, KeyRole, KioskState, PagePrint, WritingAdapter};
use crate::keyboard::{Edit, Key, Keyboard, Layout};
use crate::kiosk::Screen;
use crate::printer::PrinterStatus;
use crate::slip::PrintState;
use crate::store::counts::Count;
use crate::tree_hole::despair::DespairPhrases;
use crate::tree_hole::page::{Card, Ending, Page};

/// How long the torn page's animation runs before the fresh page shows.
const TEARING: Duration = Duration::from_millis(1000);

/// How long after the last key the page is looked at as it stands: a phrase of despair at its
/// very end that might still have become an everyday expression (想死 before 你了) counts now.
const PAUSE: Duration = Duration::from_secs(2);

/// How many guesses the recogniser is asked for (two pages of the candidate bar).
const HANDWRITING_GUESSES: usize = 12;

/// The pinyin dictionary, built once per process the first time a page opens.
fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(Engine::builtin)
}

/// A keyboard as a visit finds it: pinyin, exact, offering only words the embedded font draws.
fn fresh_keyboard() -> Keyboard {
    Keyboard::new(Options::default(), crate::slip::layout::has_glyphs)
}

fn phrases() -> &'static DespairPhrases {
    static PHRASES: OnceLock<DespairPhrases> = OnceLock::new();
    PHRASES.get_or_init(DespairPhrases::builtin)
}

/// What a recognition job sends back: the ink's version it read, and the guesses (or why
/// zinnia could not be opened).
type Guesses = (u64, Result<Vec<String>, String>);

/// The tree hole's state. Kiosk-wide rather than in `Session` (which is cloned and compared),
/// so that the text has exactly one owner; `wipe` ends it with every visit.
pub(crate) struct Desk {
    page: Page,
    keyboard: Keyboard,
    keyboard_shown: bool,
    /// The English layout's shift, for the next letter.
    shift: bool,
    prompt: i32,
    /// Whether this page was counted as opened (and so must be counted as ended).
    open: bool,
    ink: Ink,
    /// Bumped at every change of the ink, so an old guess is never offered for new strokes.
    ink_version: u64,
    recognition: super::slow::SlowWork<Guesses>,
    /// zinnia, opened on the recognition thread the first time and kept for the next.
    recogniser: Arc<Mutex<Option<Recogniser>>>,
    handwriting_missing: Option<String>,
    tearing_since: Option<Duration>,
    /// The pinyin dictionary and the phrase list being built at start, off the UI thread
    /// (tens of milliseconds here, more on a Pi: too long for the first keystroke's frame).
    warm_up: Option<std::thread::JoinHandle<()>>,
    /// When the page last changed, until the pause after it has been looked at.
    typed_at: Option<Duration>,
    print: PrintState,
}

impl Default for Desk {
    fn default() -> Desk {
        Desk {
            page: Page::default(),
            keyboard: fresh_keyboard(),
            keyboard_shown: true,
            shift: false,
            prompt: 0,
            open: false,
            ink: Ink::default(),
            ink_version: 0,
            recognition: super::slow::SlowWork::new(),
            recogniser: Arc::new(Mutex::new(None)),
            handwriting_missing: None,
            tearing_since: None,
            warm_up: None,
            typed_at: None,
            print: PrintState::Idle,
        }
    }
}

pub(super) fn connect(window: &AppWindow, state: &std::rc::Rc<std::cell::RefCell<KioskState>>) {
    // A key pressed before this is done waits for it (`OnceLock`), but a worker reaches the
    // page seconds after the kiosk starts. The embedded font is parsed here too: every lookup
    // asks it which words it can draw.
    state.borrow_mut().writing.warm_up = Some(std::thread::spawn(|| {
        engine();
        phrases();
        crate::slip::layout::has_glyphs("字");
    }));
    let adapter = WritingAdapter::get(window);
    let on = |f: fn(&mut KioskState)| {
        let (w, s) = (window.as_weak(), state.clone());
        move || update(&w, &s, f)
    };
    adapter.on_tear(on(tear));
    adapter.on_print(on(print));
    adapter.on_help(on(help));
    adapter.on_close_card(on(|st| st.writing.page.close_card()));
    adapter.on_show_keyboard(on(|st| st.writing.keyboard_shown = true));
    adapter.on_next_prompt(on(|st| st.writing.prompt += 1));
    adapter.on_toggle_fuzzy(on(toggle_fuzzy));
    adapter.on_next_page(on(|st| press(st, Key::NextPage)));
    adapter.on_previous_page(on(|st| press(st, Key::PreviousPage)));
    adapter.on_ink_up(on(ink_up));
    let (w, s) = (window.as_weak(), state.clone());
    adapter.on_key(move |cap| update(&w, &s, |st| key(st, &cap)));
    let (w, s) = (window.as_weak(), state.clone());
    adapter.on_candidate(move |at| {
        let at = usize::try_from(at).unwrap_or(usize::MAX);
        update(&w, &s, |st| press(st, Key::Candidate(at)))
    });
    // A finger moving on the pad redraws the ink and nothing else: a full render per point
    // would be wasted work in the middle of a stroke.
    let (w, s) = (window.as_weak(), state.clone());
    adapter.on_ink_down(move |x, y, width, height| {
        let Some(window) = w.upgrade() else { return };
        let mut st = s.borrow_mut();
        let now = st.clock.monotonic();
        st.idle.touch(now);
        let ink = &mut st.writing.ink;
        if ink.width != width || ink.height != height {
            *ink = Ink::new(width, height);
        }
        ink.strokes.push(vec![(x, y)]);
        show_ink(&window, &st.writing);
    });
    let (w, s) = (window.as_weak(), state.clone());
    adapter.on_ink_move(move |x, y| {
        let Some(window) = w.upgrade() else { return };
        let mut st = s.borrow_mut();
        if let Some(stroke) = st.writing.ink.strokes.last_mut() {
            stroke.push((x, y));
            show_ink(&window, &st.writing);
        }
    });
}

/// Counts the page as opened when the screen shows it, and ends it as left when the worker
/// went anywhere else (the emergency lines excepted: a look at them and back keeps the page).
pub(super) fn leave_if_away(st: &mut KioskState) {
    let here = st.session.navigation.current();
    if here == Screen::Writing && !st.writing.open {
        st.writing.open = true;
        super::count(st, &[Count::new(Metric::Writing, &["opened"])]);
    } else if st.writing.open && here != Screen::Writing && here != Screen::Emergency {
        end(st, Ending::Left);
    }
}

/// The visit ends: an open page ends with it, as left.
pub(super) fn wipe(st: &mut KioskState) {
    if st.writing.open {
        end(st, Ending::Left);
    }
    let prompt = st.writing.prompt;
    st.writing.keyboard = fresh_keyboard();
    st.writing.keyboard_shown = true;
    st.writing.shift = false;
    st.writing.print = PrintState::Idle;
    clear_ink(&mut st.writing);
    // The next visitor gets the next prompt: nothing of the last visit, only variety.
    st.writing.prompt = prompt + 1;
}

/// The page ends: its text overwritten, the ending counted (a printed page is counted by the
/// print job's record, with the printer's outcome), the ink and composition gone.
fn end(st: &mut KioskState, ending: Ending) {
    let ending = st.writing.page.end(ending);
    st.writing.open = false;
    st.writing.typed_at = None;
    st.writing
        .keyboard
        .press(Key::Switch(st.writing.keyboard.layout()), engine());
    clear_ink(&mut st.writing);
    if ending != Ending::Printed {
        super::count(st, &[Count::new(Metric::Writing, &[ending.name()])]);
    }
}

fn tear(st: &mut KioskState) {
    if st.writing.page.text().is_empty() {
        return;
    }
    end(st, Ending::Torn);
    st.writing.tearing_since = Some(st.clock.monotonic());
    st.writing.print = PrintState::Idle;
    // A fresh page, counted as opened again.
    leave_if_away(st);
}

fn help(st: &mut KioskState) {
    end(st, Ending::Help);
    super::runtime::open(st, Screen::Emergency);
}

fn print(st: &mut KioskState) {
    let text = st.writing.page.text();
    if text.is_empty() || !st.writing.print.may_print() {
        return;
    }
    let page = crate::slip::PageSlip::new(
        st.session.language,
        text,
        &st.emergency_lines,
        &st.slip_text,
    );
    let Some(page) = page else { return };
    st.writing.print = PrintState::Printing(super::slip::send_page(st, page));
}

/// A print job's outcome, if it was this desk's page: a printed page ends (counted with the
/// job); one that did not print stays, with the reason shown. Returns whether the screen
/// changes.
pub(super) fn printed(st: &mut KioskState, job: u64, outcome: PrintState) -> bool {
    if st.writing.print != PrintState::Printing(job) {
        return false;
    }
    st.writing.print = outcome;
    if matches!(outcome, PrintState::Printed | PrintState::Sent) && st.writing.open {
        end(st, Ending::Printed);
        leave_if_away(st);
    }
    true
}

/// A key of the keyboard: the keyboard's own keys here, the typing ones through its rules.
fn key(st: &mut KioskState, cap: &KeyCap) {
    let desk = &mut st.writing;
    let key = match cap.role {
        KeyRole::Letter => {
            let Some(c) = cap.text.chars().next() else {
                return;
            };
            desk.shift = false;
            Key::Letter(c)
        }
        KeyRole::Text => Key::Text(cap.text.to_string()),
        KeyRole::Apostrophe => Key::Apostrophe,
        KeyRole::Space => Key::Space,
        KeyRole::Enter => Key::Enter,
        KeyRole::Backspace => Key::Backspace,
        KeyRole::Shift => {
            desk.shift = !desk.shift;
            return;
        }
        KeyRole::Pinyin => Key::Switch(Layout::Pinyin),
        KeyRole::English => Key::Switch(Layout::English),
        KeyRole::Symbols => Key::Switch(Layout::Symbols),
        KeyRole::Handwriting => Key::Switch(Layout::Handwriting),
        KeyRole::Hide => {
            // The letters typed go in as they are, as a phone's keyboard does when put away.
            if !desk.keyboard.composing().is_empty() {
                press(st, Key::Enter);
            }
            st.writing.keyboard_shown = false;
            if st.writing.page.settle(phrases()) {
                card_came_up(st);
            }
            return;
        }
        KeyRole::Rewrite => {
            clear_ink(desk);
            desk.keyboard.offer_handwriting(Vec::new());
            return;
        }
    };
    press(st, key);
}

/// A key through the keyboard's rules, and its edits onto the page.
fn press(st: &mut KioskState, key: Key) {
    let edits = st.writing.keyboard.press(key, engine());
    let mut card = false;
    for edit in edits {
        match edit {
            Edit::Insert(text) => {
                card |= st.writing.page.insert(&text, phrases());
                st.writing.typed_at = Some(st.clock.monotonic());
            }
            Edit::DeleteBack => st.writing.page.delete_back(),
            Edit::ClearInk => clear_ink(&mut st.writing),
        }
    }
    if card {
        card_came_up(st);
    }
    if st.writing.print != PrintState::Idle && !matches!(st.writing.print, PrintState::Printing(_))
    {
        st.writing.print = PrintState::Idle;
    }
}

/// Fuzzy pinyin (模糊音) on or off: all seven pairs at once (z/zh, c/ch, s/sh, n/l, an/ang,
/// en/eng, in/ing), the sounds many speakers from the south, or whose first language is not
/// Mandarin, do not tell apart. Off for every new visit.
fn toggle_fuzzy(st: &mut KioskState) {
    let keyboard = &mut st.writing.keyboard;
    let fuzzy = if keyboard.options().fuzzy.is_empty() {
        FuzzySet::all()
    } else {
        FuzzySet::NONE
    };
    keyboard.set_options(Options { fuzzy }, engine());
}

/// The help card came up: it takes the keyboard's place, beside the text, and is counted.
fn card_came_up(st: &mut KioskState) {
    st.writing.keyboard_shown = false;
    super::count(st, &[Count::new(Metric::Writing, &["despair_card"])]);
}

fn clear_ink(desk: &mut Desk) {
    desk.ink.strokes.clear();
    desk.ink_version += 1;
}

/// A stroke ended: the ink so far goes to the recogniser.
fn ink_up(st: &mut KioskState) {
    let desk = &mut st.writing;
    if desk.ink.strokes.is_empty() || desk.handwriting_missing.is_some() {
        return;
    }
    desk.ink_version += 1;
    let (version, ink, recogniser) = (desk.ink_version, desk.ink.clone(), desk.recogniser.clone());
    desk.recognition
        .spawn(move || (version, recognise(&recogniser, &ink)));
}

/// On the recognition thread: zinnia opened the first time, then asked.
fn recognise(recogniser: &Mutex<Option<Recogniser>>, ink: &Ink) -> Result<Vec<String>, String> {
    let mut guard = recogniser.lock().unwrap_or_else(|e| e.into_inner());
    if guard.is_none() {
        *guard = Some(Recogniser::open_default().map_err(|e| e.to_string())?);
    }
    let Some(recogniser) = guard.as_ref() else {
        return Ok(Vec::new());
    };
    Ok(recogniser
        .candidates(ink, HANDWRITING_GUESSES)
        .into_iter()
        .map(|c| c.text)
        .collect())
}

/// The tick: guesses that came back, the end of the tearing animation. Returns whether the
/// screen changes.
pub(super) fn tick(st: &mut KioskState) -> bool {
    let mut changed = false;
    for (_, (version, guesses)) in st.writing.recognition.finished() {
        match guesses {
            Ok(words) if version == st.writing.ink_version => {
                st.writing.keyboard.offer_handwriting(words);
                changed = true;
            }
            Ok(_) => {}
            Err(why) => {
                tracing::warn!("no handwriting on this kiosk: {why}");
                st.writing.handwriting_missing = Some(why);
                changed = true;
            }
        }
    }
    let now = st.clock.monotonic();
    if st
        .writing
        .typed_at
        .is_some_and(|at| now.saturating_sub(at) >= PAUSE)
    {
        st.writing.typed_at = None;
        if st.writing.page.settle(phrases()) {
            card_came_up(st);
            changed = true;
        }
    }
    if st
        .writing
        .tearing_since
        .is_some_and(|since| now.saturating_sub(since) >= TEARING)
    {
        st.writing.tearing_since = None;
        changed = true;
    }
    changed
}

/// Whether the keyboard is still being built or a recognition job is still running (tests
/// and benches wait for them).
pub(super) fn busy(st: &KioskState) -> bool {
    let warming = st
        .writing
        .warm_up
        .as_ref()
        .is_some_and(|h| !h.is_finished());
    warming || st.writing.recognition.busy()
}

/// The ink as path commands in the pad's pixels.
fn ink_path(ink: &Ink) -> String {
    let mut path = String::new();
    for stroke in &ink.strokes {
        for (i, (x, y)) in stroke.iter().enumerate() {
            let command = if i == 0 { 'M' } else { 'L' };
            path.push_str(&format!("{command} {x:.1} {y:.1} "));
        }
        // A dot (a stroke that never moved) still shows.
        if let [(x, y)] = stroke.as_slice() {
            path.push_str(&format!("L {:.1} {y:.1} ", x + 0.5));
        }
    }
    path
}

fn show_ink(window: &AppWindow, desk: &Desk) {
    let adapter = WritingAdapter::get(window);
    adapter.set_ink_width(desk.ink.width.max(1.0));
    adapter.set_ink_height(desk.ink.height.max(1.0));
    adapter.set_ink(ink_path(&desk.ink).into());
}

fn page_print(print: &PrintState) -> PagePrint {
    match print {
        PrintState::Idle => PagePrint::Idle,
        PrintState::Printing(_) => PagePrint::Printing,
        PrintState::Printed | PrintState::Sent => PagePrint::Printed,
        PrintState::NotPrinted(PrinterStatus::PaperOut) => PagePrint::NoPaper,
        PrintState::NotPrinted(_) | PrintState::Failed => PagePrint::Failed,
    }
}

/// The help card's lines: the psychological assistance line, the union's line, and 120 and
/// 110 together, from the shipped lines (every one with its source).
fn card_lines(st: &KioskState) -> Vec<CardLine> {
    let lang = st.session.language;
    let line = |number: &str| {
        st.emergency_lines
            .iter()
            .find(|l| l.number == number)
            .map(|l| l.text(lang))
    };
    let mut lines: Vec<CardLine> = ["12356", "12351"]
        .into_iter()
        .filter_map(line)
        .map(|t| CardLine {
            number: t.number.into(),
            name: t.name.into(),
        })
        .collect();
    if let (Some(ambulance), Some(police)) = (line("120"), line("110")) {
        lines.push(CardLine {
            number: "120 / 110".into(),
            name: format!("{} / {}", ambulance.name, police.name).into(),
        });
    }
    lines
}

pub(super) fn render(window: &AppWindow, st: &KioskState) {
    let adapter = WritingAdapter::get(window);
    let desk = &st.writing;
    adapter.set_tearing(desk.tearing_since.is_some());
    if st.session.navigation.current() != Screen::Writing {
        // Nothing of a page stays in the window once it has ended.
        adapter.set_text(SharedString::new());
        adapter.set_composing(SharedString::new());
        adapter.set_ink(SharedString::new());
        return;
    }
    adapter.set_prompt(desk.prompt);
    adapter.set_text(desk.page.text().into());
    adapter.set_composing(desk.keyboard.composing().into());
    let words: Vec<SharedString> = desk.keyboard.candidates().map(Into::into).collect();
    super::set_if_changed(adapter.get_candidates(), words, |m| {
        adapter.set_candidates(m)
    });
    adapter.set_has_previous(desk.keyboard.has_previous_page());
    adapter.set_has_next(desk.keyboard.has_next_page());
    let layout = desk.keyboard.layout();
    super::set_if_changed(adapter.get_keys(), keys(layout, desk.shift), |m| {
        adapter.set_keys(m)
    });
    adapter.set_keyboard_shown(desk.keyboard_shown);
    adapter.set_fuzzy(!desk.keyboard.options().fuzzy.is_empty());
    adapter.set_pinyin(desk.keyboard.layout() == Layout::Pinyin);
    adapter.set_handwriting(layout == Layout::Handwriting);
    adapter.set_handwriting_missing(desk.handwriting_missing.clone().unwrap_or_default().into());
    show_ink(window, desk);
    adapter.set_card_shown(desk.page.card() == Card::Showing);
    super::set_if_changed(adapter.get_card_lines(), card_lines(st), |m| {
        adapter.set_card_lines(m)
    });
    let fitted = st.config.printer.transport != crate::config::PrinterTransport::None;
    adapter.set_can_print(fitted && !desk.page.text().is_empty());
    adapter.set_print_state(page_print(&desk.print));
}

/// A key at `row`, from cell `column`, `span` cells wide.
fn cap(text: &str, role: KeyRole, row: i32, column: f32, span: f32) -> KeyCap {
    KeyCap {
        text: text.into(),
        role,
        row,
        column,
        span,
        active: false,
    }
}

/// A row of one-cell keys that put in what they show.
fn row_of(keys: &str, role: KeyRole, row: i32, from: f32) -> impl Iterator<Item = KeyCap> + '_ {
    keys.chars()
        .enumerate()
        .map(move |(i, c)| cap(&c.to_string(), role, row, from + i as f32, 1.0))
}

/// The keys of a layout on a grid of 10 cells by 4 rows (the handwriting pad covers the first
/// seven cells of the first three rows). The last row is the same in every layout.
fn keys(layout: Layout, shift: bool) -> Vec<KeyCap> {
    let mut keys: Vec<KeyCap> = Vec::new();
    match layout {
        Layout::Pinyin | Layout::English => {
            let english = layout == Layout::English;
            let letters = |s: &str| {
                if english && shift {
                    s.to_uppercase()
                } else {
                    s.to_string()
                }
            };
            keys.extend(
                row_of(&letters("qwertyuiop"), KeyRole::Letter, 0, 0.0).collect::<Vec<_>>(),
            );
            keys.extend(row_of(&letters("asdfghjkl"), KeyRole::Letter, 1, 0.0).collect::<Vec<_>>());
            keys.push(cap("", KeyRole::Backspace, 1, 9.0, 1.0));
            if english {
                keys.push(KeyCap {
                    active: shift,
                    ..cap("", KeyRole::Shift, 2, 0.0, 1.0)
                });
            } else {
                keys.push(cap("", KeyRole::Apostrophe, 2, 0.0, 1.0));
            }
            keys.extend(row_of(&letters("zxcvbnm"), KeyRole::Letter, 2, 1.0).collect::<Vec<_>>());
            let marks = if english { ",." } else { "，。" };
            keys.extend(row_of(marks, KeyRole::Text, 2, 8.0));
        }
        Layout::Symbols => {
            keys.extend(row_of("1234567890", KeyRole::Text, 0, 0.0));
            keys.extend(row_of("，。？！、：；“”", KeyRole::Text, 1, 0.0));
            keys.push(cap("", KeyRole::Backspace, 1, 9.0, 1.0));
            keys.extend(row_of("（）《》—…-@%~", KeyRole::Text, 2, 0.0));
        }
        Layout::Handwriting => {
            keys.extend(row_of("，。", KeyRole::Text, 0, 7.0));
            keys.push(cap("", KeyRole::Backspace, 0, 9.0, 1.0));
            keys.extend(row_of("？！、", KeyRole::Text, 1, 7.0));
            keys.push(cap("", KeyRole::Rewrite, 2, 7.0, 3.0));
        }
    }
    let switches = [
        (KeyRole::Pinyin, Layout::Pinyin),
        (KeyRole::English, Layout::English),
        (KeyRole::Symbols, Layout::Symbols),
        (KeyRole::Handwriting, Layout::Handwriting),
    ];
    // Handwriting takes two cells: its word is the longest in English.
    for (i, (role, to)) in switches.into_iter().enumerate() {
        let span = if role == KeyRole::Handwriting {
            2.0
        } else {
            1.0
        };
        keys.push(KeyCap {
            active: to == layout,
            ..cap("", role, 3, i as f32, span)
        });
    }
    keys.push(cap("", KeyRole::Space, 3, 5.0, 2.0));
    keys.push(cap("", KeyRole::Enter, 3, 7.0, 1.0));
    keys.push(cap("", KeyRole::Hide, 3, 8.0, 2.0));
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_layout_fills_its_grid_without_overlaps() {
        for layout in [
            Layout::Pinyin,
            Layout::English,
            Layout::Symbols,
            Layout::Handwriting,
        ] {
            let mut taken = [[false; 10]; 4];
            if layout == Layout::Handwriting {
                for row in taken.iter_mut().take(3) {
                    row[..7].fill(true);
                }
            }
            for key in keys(layout, false) {
                for cell in 0..key.span as usize {
                    let column = key.column as usize + cell;
                    let slot = &mut taken[key.row as usize][column];
                    assert!(
                        !*slot,
                        "{layout:?}: two keys at row {} cell {column}",
                        key.row
                    );
                    *slot = true;
                }
            }
            assert!(
                taken.iter().flatten().all(|t| *t),
                "{layout:?}: a hole in the keyboard"
            );
        }
    }

    #[test]
    fn the_ink_becomes_a_path_and_a_dot_still_shows() {
        let mut ink = Ink::new(100.0, 100.0);
        ink.strokes.push(vec![(10.0, 20.0), (30.0, 40.0)]);
        ink.strokes.push(vec![(50.0, 50.0)]);
        assert_eq!(
            ink_path(&ink),
            "M 10.0 20.0 L 30.0 40.0 M 50.0 50.0 L 50.5 50.0 "
        );
    }
}
