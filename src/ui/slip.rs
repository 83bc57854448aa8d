//! The slip screen's adapter: the slip on screen (QR code and text) and printing it.
//!
//! Printing runs on its own thread (opening the device, asking its status and sending the job
//! can each take seconds), one job at a time; the outcome comes back over a channel that the
//! UI's quarter-second tick drains. A job is never retried, and an outcome that arrives after
//! the session was wiped is recorded but shown to no one.

use std::sync::Mutex;

use slint::{ComponentHandle, Global, Rgb8Pixel, SharedPixelBuffer};

use super::runtime::update;
use super::{AppWindow, KioskState, SlipAdapter, SlipPrintState, SlipRow, set_if_changed};
use crate::kiosk::Screen;
use crate::printer::{Opener, PrintOutcome, PrinterStatus};
use crate::slip::layout::{length_mm, qr_matrix, render as render_slip, render_page};
use crate::slip::{PageSlip, PrintState, Slip, SlipText, escpos, printed_at, slip_code};
use zeroize::Zeroize;

/// What a print job's thread sends back: the slip it printed, or None for a tree-hole page
/// (whose text the thread overwrote once it was drawn: it never comes back).
pub(crate) struct PrintDone {
    slip: Option<Slip>,
    outcome: PrintOutcome,
    paper_mm: f32,
}

/// The printing side of the kiosk: how to reach the printer, and the jobs running off the UI
/// thread (`SlowWork`, like the PIN and code checks), whose outcomes the tick drains.
pub(crate) struct Printing {
    opener: Opener,
    jobs: super::slow::SlowWork<PrintDone>,
}

impl Printing {
    pub(crate) fn new(opener: Opener) -> Printing {
        Printing {
            opener,
            jobs: super::slow::SlowWork::new(),
        }
    }
}

/// One job at a time reaches the printer, whichever visit sent it.
static PRINTER: Mutex<()> = Mutex::new(());

pub(super) fn connect(window: &AppWindow, state: &std::rc::Rc<std::cell::RefCell<KioskState>>) {
    let (w, s) = (window.as_weak(), state.clone());
    SlipAdapter::get(window).on_print(move || update(&w, &s, start_printing));
}

/// Makes this visit's slip when the slip screen is first shown: the counselling lines, the
/// crisis form after a crisis, the time only if the clock is synchronised, a random number.
pub(super) fn prepare(st: &mut KioskState) {
    if st.session.navigation.current() != Screen::Slip {
        return;
    }
    match &st.session.slip.slip {
        None => {
            // Without randomness there is no slip rather than a guessable number (logged).
            let Some(random) = st.entropy.bytes::<4>() else {
                return;
            };
            st.session.slip.slip = Some(build(st, slip_code(random)));
        }
        // A crisis since the slip was made: it becomes a crisis slip (with the safety plan),
        // which may be printed even if the earlier one was.
        Some(slip) if slip.crisis != st.session.check.crisis => {
            let rebuilt = build(st, slip.code.clone());
            st.session.slip.slip = Some(rebuilt);
            st.session.slip.print = PrintState::Idle;
        }
        Some(_) => {}
    }
}

fn build(st: &KioskState, code: String) -> Slip {
    let lang = st.session.language;
    Slip::new(
        lang,
        st.config.station.name(lang),
        printed_at(&st.clock.read()),
        st.session.check.crisis,
        &st.emergency_lines,
        code,
    )
}

/// The visit's slip in the language shown now (the number and time stay the same).
fn current(st: &KioskState) -> Option<Slip> {
    let slip = st.session.slip.slip.as_ref()?;
    let slip = if slip.language == st.session.language {
        slip.clone()
    } else {
        Slip {
            printed_at: slip.printed_at.clone(),
            ..build(st, slip.code.clone())
        }
    };
    let chosen: Vec<&crate::directory::Entry> = st
        .session
        .slip_services
        .iter()
        .filter_map(|id| st.directory.entries.iter().find(|e| &e.id == id))
        .collect();
    Some(slip.with_services(&chosen))
}

fn start_printing(st: &mut KioskState) {
    if !st.session.slip.print.may_print() {
        return;
    }
    let Some(slip) = current(st) else { return };
    st.session.slip.print = PrintState::Printing(send_job(st, slip));
}

/// A test slip for staff: the real lines and the time, with TEST as its number.
pub(super) fn print_test(st: &mut KioskState) {
    if matches!(st.session.staff.test_print, PrintState::Printing(_)) {
        return;
    }
    let lang = st.session.language;
    let slip = Slip::new(
        lang,
        st.config.station.name(lang),
        printed_at(&st.clock.read()),
        false,
        &st.emergency_lines,
        "TEST".into(),
    );
    st.session.staff.done = None;
    st.session.staff.test_print = PrintState::Printing(send_job(st, slip));
}

/// Hands a slip to the printing thread, which rasterises and prints it; returns the job's
/// number.
fn send_job(st: &mut KioskState, slip: Slip) -> u64 {
    let opener = st.printing.opener.clone();
    let (text, width) = (st.slip_text.clone(), st.config.printer.width.0);
    st.printing.jobs.spawn(move || {
        // Rasterising a long slip (fonts, QR, a crisis slip's safety plan) takes long enough
        // to drop frames: it happens here, never on the UI thread.
        let image = render_slip(&slip, &text, width);
        let (outcome, paper_mm) = print_image(&opener, &image);
        PrintDone {
            slip: Some(slip),
            outcome,
            paper_mm,
        }
    })
}

/// Hands a tree-hole page to the printing thread (`crate::slip::PageSlip`: the text and one
/// line); returns the job's number. The thread overwrites the text as soon as it is drawn.
pub(super) fn send_page(st: &mut KioskState, mut page: PageSlip) -> u64 {
    let opener = st.printing.opener.clone();
    let width = st.config.printer.width.0;
    st.printing.jobs.spawn(move || {
        let image = render_page(&page, width);
        page.text.zeroize();
        let (outcome, paper_mm) = print_image(&opener, &image);
        PrintDone {
            slip: None,
            outcome,
            paper_mm,
        }
    })
}

/// Sends a drawn slip or page to the printer, one job at a time; the outcome and the paper
/// it took.
fn print_image(opener: &Opener, image: &crate::slip::layout::Bitmap) -> (PrintOutcome, f32) {
    let job = escpos::encode(image);
    let paper_mm = length_mm(image);
    let _one_at_a_time = PRINTER.lock();
    let outcome = match opener() {
        Ok(Some(mut transport)) => crate::printer::print(transport.as_mut(), &job),
        Ok(None) => PrintOutcome::NoPrinter,
        Err(e) => PrintOutcome::Failed(e.to_string()),
    };
    (outcome, paper_mm)
}

/// Takes in finished jobs: records each, and shows the outcome if its visit is still here.
/// Returns whether anything changed on screen.
pub(super) fn poll(st: &mut KioskState) -> bool {
    let mut changed = false;
    for (id, done) in st.printing.jobs.finished() {
        let recorded = st.stamp().and_then(|stamp| match &done.slip {
            Some(slip) => crate::store::slip::commit_print(
                &mut st.store,
                stamp,
                slip,
                &done.outcome,
                done.paper_mm,
            ),
            None => crate::store::slip::commit_page_print(
                &mut st.store,
                stamp,
                &done.outcome,
                done.paper_mm,
            ),
        });
        if let Err(e) = recorded {
            tracing::error!("cannot record a print job: {e}");
        }
        if !done.outcome.printed() {
            tracing::warn!(outcome = ?done.outcome, "slip not printed");
        }
        let state = match done.outcome {
            PrintOutcome::Printed {
                after: PrinterStatus::Unknown,
            } => PrintState::Sent,
            PrintOutcome::Printed { .. } => PrintState::Printed,
            PrintOutcome::NotReady(status) => PrintState::NotPrinted(status),
            PrintOutcome::Failed(_) | PrintOutcome::NoPrinter => PrintState::Failed,
        };
        if st.session.slip.print == PrintState::Printing(id) {
            st.session.slip.print = state;
            changed = true;
        }
        if st.session.staff.test_print == PrintState::Printing(id) {
            st.session.staff.test_print = state;
            changed = true;
        }
        changed |= super::writing::printed(st, id, state);
    }
    changed
}

/// The QR code as an image, 8 pixels a module with the standard quiet zone.
pub(super) fn qr_image(text: &str) -> slint::Image {
    let Some((side, dark)) = qr_matrix(text) else {
        return slint::Image::default();
    };
    const SCALE: usize = 8;
    let full = (side + 8) * SCALE;
    let mut buffer = SharedPixelBuffer::<Rgb8Pixel>::new(full as u32, full as u32);
    let pixels = buffer.make_mut_slice();
    for (i, px) in pixels.iter_mut().enumerate() {
        let (x, y) = (i % full / SCALE, i / full / SCALE);
        let is_dark =
            x >= 4 && y >= 4 && x < side + 4 && y < side + 4 && dark[(y - 4) * side + (x - 4)];
        *px = if is_dark {
            Rgb8Pixel::new(0, 0, 0)
        } else {
            Rgb8Pixel::new(255, 255, 255)
        };
    }
    slint::Image::from_rgb8(buffer)
}

/// What the slip screen says about printing. Only running out of paper has words of its own.
fn print_state(print: &PrintState) -> SlipPrintState {
    match print {
        PrintState::Idle => SlipPrintState::Idle,
        PrintState::Printing(_) => SlipPrintState::Printing,
        PrintState::Printed => SlipPrintState::Printed,
        PrintState::Sent => SlipPrintState::Sent,
        PrintState::NotPrinted(status) => match status {
            PrinterStatus::PaperOut => SlipPrintState::NoPaper,
            PrinterStatus::Ready
            | PrinterStatus::PaperNearEnd
            | PrinterStatus::CoverOpen
            | PrinterStatus::Offline
            | PrinterStatus::Unknown => SlipPrintState::NotPrinted,
        },
        PrintState::Failed => SlipPrintState::NotPrinted,
    }
}

pub(super) fn render(window: &AppWindow, st: &KioskState) {
    let adapter = SlipAdapter::get(window);
    let fitted = st.config.printer.transport != crate::config::PrinterTransport::None;
    adapter.set_can_print(fitted && st.session.slip.print.may_print());
    adapter.set_state(print_state(&st.session.slip.print));
    if st.session.navigation.current() != Screen::Slip {
        return;
    }
    let Some(slip) = current(st) else { return };
    let lang = slip.language;
    let words: &SlipText = &st.slip_text;
    adapter.set_qr(qr_image(&slip.qr_text(words)));
    let rows = slip
        .lines
        .iter()
        .chain(&slip.services)
        .map(|l| SlipRow {
            number: l.number.clone().into(),
            name: l.name.clone().into(),
            note: l.note.clone().into(),
        })
        .collect();
    set_if_changed(adapter.get_lines(), rows, |m| adapter.set_lines(m));
    adapter.set_emergency(words.emergency.get(lang).into());
    adapter.set_scan(words.scan.get(lang).into());
    adapter.set_not_diagnosis(words.not_diagnosis.get(lang).into());
    adapter.set_code(format!("{} {}", words.code.get(lang), slip.display_code()).into());
}
