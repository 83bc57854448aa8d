//! `waystation out-of-service`: the screen a kiosk that keeps failing shows instead of
//! rebooting forever (docs/deploy.md). It uses nothing that may be what fails: no config, no
//! database, no uploader; only the window, the embedded font and the built-in emergency lines.
//! It ends (status 0, which starts the kiosk again) after `health::RETRY_AFTER`, or when staff
//! ask for it and confirm; when to is `health::retry::Retry`'s rule.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use slint::{ComponentHandle, Global};

use super::{AppWindow, Display, OutOfServiceAdapter, line_models};
use crate::clock::{Clock, SystemClock};
use crate::health::retry::Retry;
use crate::kiosk::Language;

/// What the screen shows: the built-in lines, the language, and the retry's state.
pub struct OutOfService {
    pub lines: Vec<crate::emergency::EmergencyLine>,
    pub language: Language,
    pub retry: Retry,
}

impl OutOfService {
    pub fn new(now: Duration) -> OutOfService {
        OutOfService {
            lines: crate::emergency::builtin(),
            language: Language::Chinese,
            retry: Retry::new(now),
        }
    }
}

/// Puts the screen's state on the window (and the language into Slint's translations).
pub fn render(window: &AppWindow, mode: &OutOfService, now: Duration) {
    if let Err(e) = slint::select_bundled_translation(mode.language.catalogue()) {
        tracing::error!("cannot select language {}: {e}", mode.language.catalogue());
    }
    let adapter = OutOfServiceAdapter::get(window);
    adapter.set_shown(true);
    adapter.set_english(mode.language == Language::English);
    adapter.set_lines(Rc::new(slint::VecModel::from(line_models(mode.lines.iter(), mode.language))).into());
    adapter.set_minutes_left(mode.retry.minutes_left(now) as i32);
    adapter.set_asking(mode.retry.asking(now));
}

/// Shows the screen full screen until the kiosk should be tried again.
pub fn run(display: Display) -> Result<(), String> {
    super::run::select_backend()?;
    super::register_fonts();
    let window = AppWindow::new().map_err(|e| e.to_string())?;
    let clock = Rc::new(SystemClock::new());
    let mode = Rc::new(RefCell::new(OutOfService::new(clock.monotonic())));
    render(&window, &mode.borrow(), clock.monotonic());
    connect(&window, &mode, &clock);
    // Every few seconds: the minutes left, a question left unanswered, and the end.
    let tick = slint::Timer::default();
    tick.start(slint::TimerMode::Repeated, Duration::from_secs(5), {
        let (weak, mode, clock) = (window.as_weak(), mode.clone(), clock.clone());
        move || {
            let Some(window) = weak.upgrade() else { return };
            let now = clock.monotonic();
            if mode.borrow().retry.due(now) {
                tracing::info!("out of service for an hour: trying the kiosk again");
                let _ = slint::quit_event_loop();
            }
            render(&window, &mode.borrow(), now);
        }
    });
    super::run::show_window(window.window(), display);
    let _systemd = super::run::feed_systemd();
    tracing::warn!("the kiosk keeps failing: showing the out of service screen");
    let result = window.run().map_err(|e| format!("the UI stopped: {e}"));
    let _ = crate::systemd::stopping();
    result
}

fn connect(window: &AppWindow, mode: &Rc<RefCell<OutOfService>>, clock: &Rc<SystemClock>) {
    let adapter = OutOfServiceAdapter::get(window);
    // Each callback changes the state, then shows it.
    let on = |change: fn(&mut OutOfService, Duration)| {
        let (weak, mode, clock) = (window.as_weak(), mode.clone(), clock.clone());
        move || {
            let Some(window) = weak.upgrade() else { return };
            let now = clock.monotonic();
            change(&mut mode.borrow_mut(), now);
            render(&window, &mode.borrow(), now);
        }
    };
    adapter.on_switch_language(on(|m, _| m.language = m.language.other()));
    adapter.on_try_again(on(|m, now| m.retry.ask(now)));
    adapter.on_cancel(on(|m, _| m.retry.cancel()));
    adapter.on_confirm(on(|m, now| {
        if m.retry.confirm(now) {
            tracing::info!("staff asked to try the kiosk again");
            let _ = slint::quit_event_loop();
        }
    }));
}
