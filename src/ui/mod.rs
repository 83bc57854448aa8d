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
mod home;
mod mood;
mod resources;
pub mod screenshot;
mod selfcheck;
mod shell;
mod slip;

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

/// What the kiosk needs from the outside world.
pub struct KioskParts {
    pub config: Config,
    pub store: Store,
    pub clock: Rc<dyn Clock>,
    /// How to reach the slip printer (`printer::opener(&config.printer)` on a kiosk).
    pub printer: crate::printer::Opener,
    /// The resource directory to serve (`store::directory::active` on a kiosk).
    pub directory: crate::directory::Bundle,
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
    /// Whether a language was ever selected in Slint (the first render must select one).
    pub(crate) language_selected: std::cell::Cell<bool>,
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

/// Builds the window and wires every adapter. The Slint platform must already be chosen (the
/// `run` command picks a real backend, `screenshot` a headless one, tests the testing backend).
pub fn init(parts: KioskParts) -> Result<Kiosk, slint::PlatformError> {
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
        directory: parts.directory,
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
    render(&window, &state.borrow());

    let idle_timer = slint::Timer::default();
    {
        let window = window.as_weak();
        let state = state.clone();
        idle_timer.start(slint::TimerMode::Repeated, IDLE_TICK, move || {
            if let Some(window) = window.upgrade() {
                shell::tick_idle(&window, &state);
            }
        });
    }

    Ok(Kiosk {
        window,
        state,
        _idle_timer: idle_timer,
    })
}

/// Shows the current state on every screen. Called after every change.
pub(crate) fn render(window: &AppWindow, state: &KioskState) {
    shell::render(window, state);
    home::render(window, state);
    emergency::render(window, state);
    about::render(window, state);
    selfcheck::render(window, state);
    crisis::render(window, state);
    mood::render(window, state);
    slip::render(window, state);
    resources::render(window, state);
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

    /// Runs the kiosk's tick now (idle check, breathing, print outcomes), as the timer does
    /// every quarter second.
    pub fn tick_idle(&self) {
        shell::tick_idle(&self.window, &self.state);
    }

    /// Serves a newer resource directory (installed by the uploader from the hub) from now
    /// on. A worker looking at an entry keeps seeing it until they leave the screen.
    pub fn replace_directory(&self, bundle: crate::directory::Bundle) {
        self.state.borrow_mut().directory = bundle;
        render(&self.window, &self.state.borrow());
    }
}
