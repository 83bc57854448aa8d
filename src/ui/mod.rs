//! The adapters: the only code that sees both the Slint UI and the core.
//!
//! Each screen has one adapter module here and one adapter global in `ui/` (in the manner of
//! Slint's todo-mvc example). The adapters hold no rules of their own: a touch becomes a call
//! into the core (`crate::kiosk`), the result is stored if it must be, and then [`render`]
//! shows the new state on every screen. After a wipe everything is rendered afresh from an
//! empty session, so no screen can keep something of the last visit.

mod about;
mod emergency;
mod home;
pub mod screenshot;
mod shell;

use std::cell::{Ref, RefCell};
use std::rc::Rc;
use std::time::Duration;

use slint::ComponentHandle;

use crate::clock::Clock;
use crate::config::Config;
use crate::kiosk::session::SessionDefaults;
use crate::kiosk::{IdleTimer, Session};
use crate::store::Store;

slint::include_modules!();

/// What the kiosk needs from the outside world.
pub struct KioskParts {
    pub config: Config,
    pub store: Store,
    pub clock: Rc<dyn Clock>,
}

/// The state behind the window, shared by the adapters' callbacks.
pub(crate) struct KioskState {
    pub(crate) session: Session,
    pub(crate) idle: IdleTimer,
    pub(crate) config: Config,
    pub(crate) clock: Rc<dyn Clock>,
    pub(crate) emergency_lines: Vec<crate::kiosk::emergency::EmergencyLine>,
    /// Held for the capabilities that write records from the UI (none in the shell itself).
    #[allow(dead_code)]
    pub(crate) store: Store,
}

/// A built kiosk window with its adapters wired. Tests drive it without an event loop;
/// `waystation run` shows it and runs the loop.
pub struct Kiosk {
    window: AppWindow,
    state: Rc<RefCell<KioskState>>,
    // The idle timer lives as long as the kiosk; dropping it would stop idle resets.
    _idle_timer: slint::Timer,
}

/// How often the idle timer looks at the clock. A quarter second keeps the countdown's
/// seconds on time without waking the Pi often.
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
        idle: IdleTimer::new(
            kiosk_config.idle_seconds.duration(),
            kiosk_config.countdown_seconds.duration(),
            now,
        ),
        emergency_lines: crate::kiosk::emergency::builtin(),
        config: parts.config,
        clock: parts.clock,
        store: parts.store,
    }));

    shell::connect(&window, &state);
    home::connect(&window, &state);
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
}

impl Kiosk {
    pub fn window(&self) -> &AppWindow {
        &self.window
    }

    /// The current session, for tests and diagnostics.
    pub fn session(&self) -> Ref<'_, Session> {
        Ref::map(self.state.borrow(), |s| &s.session)
    }

    /// Runs the idle check now, as the timer does every quarter second.
    pub fn tick_idle(&self) {
        shell::tick_idle(&self.window, &self.state);
    }

    /// Starts a visit and opens `screen`, in `language`: how `screenshot` reaches any screen
    /// through the same rules a touch would.
    pub fn open_for_review(&self, screen: crate::kiosk::Screen, language: crate::kiosk::Language) {
        {
            let mut state = self.state.borrow_mut();
            let now = state.clock.monotonic();
            if screen != crate::kiosk::Screen::Attract {
                state.session.start(now);
                state.idle.touch(now);
            }
            state.session.navigation.open(screen);
            state.session.language = language;
        }
        render(&self.window, &self.state.borrow());
    }
}
