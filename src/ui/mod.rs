//! The adapters: the only code that sees both the Slint UI and the core.
//!
//! Each screen has one adapter module here and one adapter global in `ui/` (in the manner of
//! Slint's todo-mvc example). The adapters hold no rules of their own: a touch becomes a call
//! into the core (`crate::kiosk`), the result is stored if it must be, and then [`render`]
//! shows the new state on every screen. After a wipe everything is rendered afresh from an
//! empty session, so no screen can keep something of the last visit.

mod about;
mod crisis;
mod emergency;
mod facts;
mod home;
mod mood;
mod notice;
pub mod out_of_service;
mod resources;
mod run;
mod runtime;
pub mod screenshot;
mod selfcheck;
mod shell;
mod slip;
mod slow;
mod staff;
mod staff_words;
mod usb_export;
mod writing;

use std::cell::{Ref, RefCell};
use std::rc::Rc;
use std::time::Duration;

use slint::ComponentHandle;

use crate::clock::Clock;
use crate::config::Config;
use crate::kiosk::session::SessionDefaults;
use crate::kiosk::{IdleLimits, IdleTimer, Session};
use crate::screening::Catalogue;
use crate::store::Store;

slint::include_modules!();

pub use run::{Display, Links, UploaderLinks, run};

/// What the kiosk needs from the outside world.
pub struct KioskParts {
    pub config: Config,
    pub store: Store,
    pub clock: Rc<dyn Clock>,
    /// Where random bytes come from (`SystemEntropy` on a kiosk, `FakeEntropy` in tests).
    pub entropy: Rc<dyn crate::entropy::Entropy>,
    /// How to reach the slip printer (`printer::opener(&config.printer)` on a kiosk).
    pub printer: crate::printer::Opener,
    /// The resource directory to serve (`store::directory::active` on a kiosk).
    pub directory: crate::directory::Bundle,
    /// The board's temperature and the installed image (`machine::Host` on a kiosk).
    pub machine: std::sync::Arc<dyn crate::machine::Machine>,
}

/// The state behind the window, shared by the adapters' callbacks.
pub(crate) struct KioskState {
    pub(crate) session: Session,
    pub(crate) idle: IdleTimer,
    pub(crate) config: Config,
    pub(crate) clock: Rc<dyn Clock>,
    pub(crate) emergency_lines: Vec<crate::kiosk::emergency::EmergencyLine>,
    pub(crate) catalogue: Catalogue,
    pub(crate) vocabulary: crate::mood::Vocabulary,
    /// Wrong personal codes, counted kiosk-wide: it outlives every session on purpose.
    pub(crate) code_throttle: crate::mood::code::CodeThrottle,
    /// Idle limits on every screen but the crisis screen, and there.
    pub(crate) limits: IdleLimits,
    pub(crate) crisis_limits: IdleLimits,
    pub(crate) store: Store,
    pub(crate) slip_text: crate::slip::SlipText,
    pub(crate) printing: slip::Printing,
    pub(crate) directory: crate::directory::Bundle,
    /// Where the database lives (for the free space on the staff screen); None in memory.
    pub(crate) data_dir: Option<std::path::PathBuf>,
    pub(crate) machine: std::sync::Arc<dyn crate::machine::Machine>,
    /// Wrong station PINs, restored from the store at start.
    pub(crate) pin_throttle: crate::staff::throttle::PinThrottle,
    /// When the hidden corner of the attract screen was pressed, while it is held.
    pub(crate) corner_held_since: Option<Duration>,
    pub(crate) board: Box<dyn crate::board::Board>,
    pub(crate) board_driver: crate::board::BoardDriver,
    /// The last paper-sensor reading and LED pattern, worked out every few seconds.
    pub(crate) paper_sensor: Option<bool>,
    pub(crate) led: crate::staff::status::LedPattern,
    pub(crate) led_checked_at: Option<Duration>,
    /// A worker's latest call for staff: kiosk-wide, so that the light and buzzer go on after
    /// the worker's session ends, until staff answer it or it times out.
    pub(crate) call: Option<crate::staff::alert::Call>,
    /// What the uploader heard from the hub about staff alerts; None without a hub.
    pub(crate) alert_answers: Option<std::sync::mpsc::Receiver<crate::staff::alert::HubAnswer>>,
    /// The staff-call wording last worked out, so the tick re-renders only when it changes.
    pub(crate) call_wording: Option<crate::staff::alert::Wording>,
    /// Wakes the uploader thread ("sync now"); None without a hub.
    pub(crate) sync_now: Option<std::sync::mpsc::Sender<()>>,
    /// Tells the uploader thread whether a worker is using the kiosk (an image update waits
    /// for a quiet spell); None without a hub.
    pub(crate) idle_signal: Option<crate::update::IdleSignal>,
    /// Example facts for the staff screen's screenshots; None on a real kiosk.
    pub(crate) staff_example: Option<crate::staff::status::Facts>,
    /// The staff status's latest facts, and the thread that gathers them (with a data folder).
    pub(crate) facts: Option<crate::staff::status::Facts>,
    pub(crate) gatherer: Option<facts::FactsGatherer>,
    /// Whether a language was ever selected in Slint (the first render must select one).
    pub(crate) language_selected: std::cell::Cell<bool>,
    /// PIN checks running off the UI thread (Argon2id): true when the PIN was right.
    pub(crate) pin_checks: slow::SlowWork<bool>,
    /// Personal codes' keys being derived off the UI thread (Argon2id), and what for.
    pub(crate) code_checks: slow::SlowWork<(mood::CodeJob, crate::mood::personal::CodeKeys)>,
    /// Randomness: slip numbers, personal codes and their salt, nonces, record ids.
    pub(crate) entropy: Rc<dyn crate::entropy::Entropy>,
    /// The display's backlight, with night hours configured (`Kiosk::attach_backlight`), and
    /// the level last asked of it.
    pub(crate) backlight: Option<Box<dyn crate::backlight::Backlight>>,
    pub(crate) dimmer: crate::kiosk::backlight::Dimmer,
    /// Staff's export to a USB stick: kiosk-wide, it outlives the staff visit that started it.
    pub(crate) usb_export: usb_export::UsbExport,
    /// The tree hole's page, keyboard and pad: kiosk-wide so the text has one owner, ended
    /// with every visit (`writing::wipe`).
    pub(crate) writing: writing::Desk,
    /// The station day on which closed days were last summarised: once at start, then again
    /// when the day changes.
    pub(crate) summarised_on: Option<chrono::NaiveDate>,
}

/// A built kiosk window with its adapters wired. Tests drive it without an event loop;
/// `waystation run` shows it and runs the loop.
pub struct Kiosk {
    window: AppWindow,
    state: Rc<RefCell<KioskState>>,
    // The idle timer lives as long as the kiosk; dropping it would stop idle resets.
    _idle_timer: slint::Timer,
}

/// How often the kiosk's tick runs: the idle countdown, the breathing exercise's seconds and
/// finished print jobs. A quarter second keeps the seconds on time without waking the Pi often.
const IDLE_TICK: Duration = Duration::from_millis(250);

/// Registers the embedded font's faces (`crate::fonts`) with the font collection of this
/// thread's Slint context, once: Slint keeps one context per thread and never replaces it, and
/// registering a face twice would list its family twice. The window imports no font file (that
/// would embed a second copy of the bytes), so without this the screens would fall back to
/// whatever fonts the system has.
pub(super) fn register_fonts() {
    use slint::fontique_011::fontique::Blob;
    thread_local! {
        static REGISTERED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }
    if REGISTERED.replace(true) {
        return;
    }
    let mut collection = slint::fontique_011::shared_collection();
    for face in [crate::fonts::regular(), crate::fonts::bold()] {
        collection.register_fonts(Blob::new(std::sync::Arc::new(face)), None);
    }
}

/// Builds the window and wires every adapter. The Slint platform must already be chosen (the
/// `run` command picks a real backend, `screenshot` a headless one, tests the testing backend).
pub fn init(parts: KioskParts) -> Result<Kiosk, slint::PlatformError> {
    register_fonts();
    let window = AppWindow::new()?;
    let now = parts.clock.monotonic();
    let kiosk_config = &parts.config.kiosk;
    let state = Rc::new(RefCell::new(KioskState {
        session: Session::new(SessionDefaults {
            language: kiosk_config.default_language,
        }),
        idle: IdleTimer::new(now),
        limits: IdleLimits {
            idle_after: kiosk_config.idle_seconds.duration(),
            countdown: kiosk_config.countdown_seconds.duration(),
        },
        crisis_limits: IdleLimits {
            idle_after: kiosk_config.crisis_idle_seconds.duration(),
            countdown: kiosk_config.crisis_countdown_seconds.duration(),
        },
        emergency_lines: crate::kiosk::emergency::builtin(),
        catalogue: Catalogue::builtin(),
        vocabulary: crate::mood::Vocabulary::builtin(),
        code_throttle: Default::default(),
        slip_text: crate::slip::SlipText::builtin(),
        printing: slip::Printing::new(parts.printer),
        language_selected: std::cell::Cell::new(false),
        summarised_on: None,
        usb_export: Default::default(),
        writing: Default::default(),
        backlight: None,
        dimmer: Default::default(),
        pin_checks: slow::SlowWork::new(),
        code_checks: slow::SlowWork::new(),
        entropy: parts.entropy,
        directory: parts.directory,
        data_dir: None,
        machine: parts.machine,
        pin_throttle: crate::staff::throttle::PinThrottle::restore(
            parts.store.pin_failures().unwrap_or(0),
            now,
        ),
        corner_held_since: None,
        board: Box::new(crate::board::NoBoard),
        board_driver: Default::default(),
        paper_sensor: None,
        led: crate::staff::status::LedPattern::Steady,
        led_checked_at: None,
        call: None,
        alert_answers: None,
        call_wording: None,
        sync_now: None,
        idle_signal: None,
        staff_example: None,
        facts: None,
        gatherer: None,
        config: parts.config,
        clock: parts.clock,
        store: parts.store,
    }));

    shell::connect(&window, &state);
    home::connect(&window, &state);
    selfcheck::connect(&window, &state);
    crisis::connect(&window, &state);
    mood::connect(&window, &state);
    slip::connect(&window, &state);
    resources::connect(&window, &state);
    staff::connect(&window, &state);
    usb_export::connect(&window, &state);
    writing::connect(&window, &state);
    render(&window, &state.borrow());

    let idle_timer = start_tick(&window, &state);
    Ok(Kiosk {
        window,
        state,
        _idle_timer: idle_timer,
    })
}

/// Starts the kiosk's tick every [`IDLE_TICK`]; it runs for as long as the returned timer lives.
fn start_tick(window: &AppWindow, state: &Rc<RefCell<KioskState>>) -> slint::Timer {
    let timer = slint::Timer::default();
    let window = window.as_weak();
    let state = state.clone();
    timer.start(slint::TimerMode::Repeated, IDLE_TICK, move || {
        if let Some(window) = window.upgrade() {
            tick(&window, &state);
        }
    });
    timer
}

impl KioskState {
    /// A stamp for a record made now: the clocks and a random id, from their edges.
    pub(crate) fn stamp(&self) -> Result<crate::store::RecordStamp, crate::store::StoreError> {
        crate::store::RecordStamp::now(self.clock.as_ref(), self.entropy.as_ref())
    }
}

/// Adds one to each of today's counts for a step of a visit. A failure is logged for the
/// staff's error list; the worker's visit goes on.
pub(crate) fn count(st: &mut KioskState, counts: &[crate::store::counts::Count]) {
    let wall = st.clock.read().wall;
    if let Err(e) = st.store.count(wall, counts) {
        tracing::error!("cannot count a visit's step: {e}");
    }
}

/// Turns closed days into day summaries (`store::counts::make_summaries`) the first time the
/// tick runs on a new station day. Only with a synchronised clock: a clock that is still
/// wrong could close a day that has not ended. A small transaction, once a day.
fn summarise_closed_days(st: &mut KioskState) {
    let reading = st.clock.read();
    if !reading.synced {
        return;
    }
    let today = crate::station_time::day_of(reading.wall);
    if st.summarised_on == Some(today) {
        return;
    }
    let entropy = st.entropy.clone();
    match crate::store::counts::make_summaries(&mut st.store, today, entropy.as_ref()) {
        Ok(made) => {
            st.summarised_on = Some(today);
            if !made.is_empty() {
                tracing::info!("{} day summaries queued", made.len());
                if let Some(wake) = &st.sync_now {
                    let _ = wake.send(());
                }
            }
        }
        Err(e) => tracing::error!("cannot make the day summaries: {e}"),
    }
}

/// The kiosk's quarter-second tick: the day's summaries when the day changed, then the idle
/// check, breathing, print outcomes and staff mode (`runtime::tick_idle`), then the backlight
/// (after the idle check, so that a visit wiped in this tick dims in this tick).
fn tick(window: &AppWindow, state: &Rc<RefCell<KioskState>>) {
    summarise_closed_days(&mut state.borrow_mut());
    runtime::tick_idle(window, state);
    dim_at_night(&mut state.borrow_mut());
}

/// Asks the backlight for the level `kiosk::backlight::wanted` gives now, only when it
/// changed: the attract screen dims in the night hours, a visit is at full brightness. The
/// request is handed to the backlight's own thread, so the tick never waits for the card.
fn dim_at_night(st: &mut KioskState) {
    let Some(backlight) = st.backlight.as_mut() else {
        return;
    };
    let reading = st.clock.read();
    let wanted = crate::kiosk::backlight::wanted(
        st.config.screen.night.as_ref(),
        reading.wall,
        reading.synced,
        st.session.is_active(),
    );
    if let Some(level) = st.dimmer.change(wanted) {
        tracing::info!(percent = level.get(), "backlight");
        backlight.set(level);
    }
}

/// Shows the current state on every screen. Called after every change.
pub(crate) fn render(window: &AppWindow, state: &KioskState) {
    shell::render(window, state);
    home::render(window, state);
    emergency::render(window, state);
    about::render(window, state);
    notice::render(window, state);
    selfcheck::render(window, state);
    crisis::render(window, state);
    mood::render(window, state);
    slip::render(window, state);
    resources::render(window, state);
    staff::render(window, state);
    usb_export::render(window, state);
    writing::render(window, state);
}

/// Key presses as the `Keypad` widget gives them, for driving a pad from Rust (screenshots,
/// benchmarks and tests) as a touch would.
impl KeypadKey {
    pub fn character(c: char) -> KeypadKey {
        KeypadKey {
            text: c.to_string().into(),
            action: KeyAction::Character,
            span: 1,
        }
    }

    pub fn erase() -> KeypadKey {
        KeypadKey {
            text: Default::default(),
            action: KeyAction::Erase,
            span: 1,
        }
    }

    pub fn enter() -> KeypadKey {
        KeypadKey {
            text: Default::default(),
            action: KeyAction::Enter,
            span: 1,
        }
    }
}

/// The core's key for a key the `Keypad` widget says was pressed; a character key without a
/// character is no key at all.
pub(crate) fn pad_key(key: &KeypadKey) -> Option<crate::keypad::PadKey> {
    use crate::keypad::PadKey;
    match key.action {
        KeyAction::Character => key.text.chars().next().map(PadKey::Char),
        KeyAction::Erase => Some(PadKey::Erase),
        KeyAction::Enter => Some(PadKey::Enter),
    }
}

/// The emergency lines in one language, as the UI's model, in the order given.
pub(crate) fn line_models<'a>(
    lines: impl Iterator<Item = &'a crate::kiosk::emergency::EmergencyLine>,
    language: crate::kiosk::Language,
) -> Vec<EmergencyLine> {
    lines
        .map(|line| {
            let text = line.text(language);
            EmergencyLine {
                number: text.number.into(),
                name: text.name.into(),
                when: text.when.into(),
                then: text.then.into(),
                hours: text.hours.into(),
                urgent: text.urgent,
            }
        })
        .collect()
}

/// Replaces a model only when its contents changed, so a render does not rebuild what is
/// already shown.
pub(crate) fn set_if_changed<T: Clone + PartialEq + 'static>(
    current: slint::ModelRc<T>,
    wanted: Vec<T>,
    set: impl FnOnce(slint::ModelRc<T>),
) {
    let shown: Vec<T> = slint::Model::iter(&current).collect();
    if shown != wanted {
        set(slint::ModelRc::new(slint::VecModel::from(wanted)));
    }
}

impl Kiosk {
    pub fn window(&self) -> &AppWindow {
        &self.window
    }

    /// The current session, for tests and diagnostics.
    pub fn session(&self) -> Ref<'_, Session> {
        Ref::map(self.state.borrow(), |s| &s.session)
    }

    /// Runs the kiosk's tick now (day summaries, idle check, breathing, print outcomes), as
    /// the timer does every quarter second.
    pub fn tick_idle(&self) {
        tick(&self.window, &self.state);
    }

    /// Waits until the work running off the UI thread (a PIN or code check, the keyboard's
    /// dictionary being built, a handwritten character being recognised) has come back and the
    /// tick has taken it in, for tests and screenshots that look at what follows. Gives up
    /// after ten seconds.
    pub fn settle(&self) {
        let started = std::time::Instant::now();
        let busy = |st: &KioskState| {
            st.pin_checks.busy()
                || st.code_checks.busy()
                || st.gatherer.as_ref().is_some_and(|g| g.waiting())
                || writing::busy(st)
        };
        while busy(&self.state.borrow()) && started.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(5));
            self.tick_idle();
        }
    }

    /// Connects the station's board (LED, paper sensor, staff-call button).
    pub fn attach_board(&self, board: Box<dyn crate::board::Board>) {
        self.state.borrow_mut().board = board;
    }

    /// Connects the display's backlight, dimmed in the config's night hours.
    pub fn attach_backlight(&self, backlight: Box<dyn crate::backlight::Backlight>) {
        self.state.borrow_mut().backlight = Some(backlight);
    }

    /// Where root's side mounts a USB stick for the staff's export (the image's
    /// `usb_stick::MOUNT_POINT` unless told otherwise: tests point it at a folder of theirs).
    pub fn set_usb_stick_mount(&self, mount: std::path::PathBuf) {
        self.state.borrow_mut().usb_export.mount = mount;
    }

    /// Tells the kiosk where its database lives (for the free space shown to staff, and the
    /// export to a USB stick, which opens it on a thread of its own).
    pub fn set_data_dir(&self, dir: std::path::PathBuf) {
        let mut st = self.state.borrow_mut();
        st.gatherer = Some(facts::FactsGatherer::start(
            dir.clone(),
            st.config.clone(),
            st.machine.clone(),
        ));
        st.data_dir = Some(dir);
    }

    /// Gives the tick the signal through which the uploader thread learns whether the kiosk
    /// is idle.
    pub fn set_idle_signal(&self, signal: crate::update::IdleSignal) {
        self.state.borrow_mut().idle_signal = Some(signal);
    }

    /// Gives staff mode's "sync now" the uploader thread's wake-up.
    pub fn set_sync_now(&self, wake: std::sync::mpsc::Sender<()>) {
        self.state.borrow_mut().sync_now = Some(wake);
    }

    /// Gives the kiosk what the uploader hears from the hub about staff alerts (drained by the
    /// quarter-second tick, so nothing waits on the network on the UI thread).
    pub fn set_alert_answers(
        &self,
        answers: std::sync::mpsc::Receiver<crate::staff::alert::HubAnswer>,
    ) {
        self.state.borrow_mut().alert_answers = Some(answers);
    }

    /// The current call for staff, if any (for tests and diagnostics).
    pub fn staff_call(&self) -> Option<crate::staff::alert::Call> {
        self.state.borrow().call.clone()
    }

    /// Shows example facts on the staff screen (for screenshots only).
    pub fn show_example_staff_status(&self, facts: crate::staff::status::Facts) {
        self.state.borrow_mut().staff_example = Some(facts);
        render(&self.window, &self.state.borrow());
    }

    /// Shows the USB export as finished with `records` on the stick (screenshots only).
    pub fn show_example_usb_export_done(&self, records: usize) {
        self.state.borrow_mut().usb_export.shown = usb_export::Shown::Done { records };
        render(&self.window, &self.state.borrow());
    }

    /// The status LED's pattern now: the staff-call pattern during a call, otherwise the
    /// status's as last worked out.
    pub fn led(&self) -> crate::staff::status::LedPattern {
        staff::led(&self.state.borrow())
    }

    /// Serves a newer resource directory (installed by the uploader from the hub) from now
    /// on. A worker looking at an entry keeps seeing it until they leave the screen.
    pub fn replace_directory(&self, bundle: crate::directory::Bundle) {
        self.state.borrow_mut().directory = bundle;
        render(&self.window, &self.state.borrow());
    }
}
