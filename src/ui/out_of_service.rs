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
    adapter.set_lines(
        Rc::new(slint::VecModel::from(line_models(
            mode.lines.iter(),
            mode.language,
        )))
        .into(),
    );
    adapter.set_minutes_left(mode.retry.minutes_left(now) as i32);
    adapter.set_asking(mode.retry.asking(now));
}

/// Shows the screen full screen until the kiosk should be tried again.
pub fn run(display: Display) -> Result<(), String> {
    super::run::select_backend()?;
    super::register_fonts();
    let window = AppWindow::new().map_err(|e| e.to_string())?;
    let clock: Rc<dyn Clock> = Rc::new(SystemClock::new());
    let mode = Rc::new(RefCell::new(OutOfService::new(clock.monotonic())));
    let leave: Rc<dyn Fn()> = Rc::new(|| {
        let _ = slint::quit_event_loop();
    });
    render(&window, &mode.borrow(), clock.monotonic());
    attach(&window, &mode, &clock, &leave);
    // Every few seconds: the minutes left, a question left unanswered, and the end.
    let timer = slint::Timer::default();
    timer.start(slint::TimerMode::Repeated, Duration::from_secs(5), {
        let (weak, mode, clock) = (window.as_weak(), mode.clone(), clock.clone());
        move || {
            if let Some(window) = weak.upgrade() {
                tick(&window, &mode.borrow(), clock.monotonic(), leave.as_ref());
            }
        }
    });
    super::run::show_window(window.window(), display);
    let _systemd = super::run::feed_systemd();
    tracing::warn!("the kiosk keeps failing: showing the out of service screen");
    let result = window.run().map_err(|e| format!("the UI stopped: {e}"));
    let _ = crate::systemd::stopping();
    result
}

/// The screen's clock tick: shows the minutes left, and leaves once the retry is due.
pub fn tick(window: &AppWindow, mode: &OutOfService, now: Duration, leave: &dyn Fn()) {
    if mode.retry.due(now) {
        tracing::info!("out of service for an hour: trying the kiosk again");
        leave();
    }
    render(window, mode, now);
}

/// Connects the screen's buttons: each changes the state, then shows it; a confirmed "start
/// again" calls `leave` (in the real mode, the end of the event loop and a status of 0).
pub fn attach(
    window: &AppWindow,
    mode: &Rc<RefCell<OutOfService>>,
    clock: &Rc<dyn Clock>,
    leave: &Rc<dyn Fn()>,
) {
    let adapter = OutOfServiceAdapter::get(window);
    let on = |change: fn(&mut OutOfService, Duration) -> bool| {
        let (weak, mode, clock, leave) =
            (window.as_weak(), mode.clone(), clock.clone(), leave.clone());
        move || {
            let Some(window) = weak.upgrade() else { return };
            let now = clock.monotonic();
            let leaving = change(&mut mode.borrow_mut(), now);
            render(&window, &mode.borrow(), now);
            if leaving {
                tracing::info!("staff asked to try the kiosk again");
                leave();
            }
        }
    };
    adapter.on_switch_language(on(|m, _| {
        m.language = m.language.other();
        false
    }));
    adapter.on_try_again(on(|m, now| {
        m.retry.ask(now);
        false
    }));
    adapter.on_cancel(on(|m, _| {
        m.retry.cancel();
        false
    }));
    adapter.on_confirm(on(|m, now| m.retry.confirm(now)));
}
