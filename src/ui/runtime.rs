//! The UI's runtime, which every adapter calls back into: `update` (run a change, settle what
//! it implies, show the result), `open` (a screen, through the core's rules), `wipe` (the one
//! end of a visit) and the quarter-second tick's idle check. The shell's own adapter is
//! `shell.rs`.

use std::cell::RefCell;
use std::rc::Rc;

use slint::Global;

use super::{AppWindow, KioskState, Shell};
use crate::kiosk::{IdlePhase, Screen, WipeReason};
use crate::store::counts::Count;
use waystation_protocol::Metric;

/// Runs `change` on the state, settles what the change implies (a questionnaire left behind is
/// recorded as abandoned), then shows the result. Every callback goes through here so no
/// change can skip either.
pub(super) fn update(
    window: &slint::Weak<AppWindow>,
    state: &Rc<RefCell<KioskState>>,
    change: impl FnOnce(&mut KioskState),
) {
    let Some(window) = window.upgrade() else {
        return;
    };
    {
        let mut st = state.borrow_mut();
        change(&mut st);
        super::selfcheck::leave_if_away(&mut st);
        super::staff::leave_if_away(&mut st);
        super::writing::leave_if_away(&mut st);
        super::slip::prepare(&mut st);
    }
    super::render(&window, &state.borrow());
}

pub(super) fn wipe(state: &mut KioskState, reason: WipeReason) {
    super::selfcheck::abandon_running(state);
    super::writing::wipe(state);
    if state.session.counted {
        super::count(state, &[Count::new(Metric::Visit, &[reason.name()])]);
    }
    if state.session.staff.signed_in {
        let action = crate::store::staff::Action::SignOut;
        let stamp = state.stamp();
        if let Err(e) =
            stamp.and_then(|stamp| state.store.audit(stamp, action, Some(reason.name())))
        {
            tracing::error!("cannot write the staff audit log: {e}");
        }
    }
    state.session.wipe(reason);
    let now = state.clock.monotonic();
    state.idle.touch(now);
    debug_assert!(state.session.is_fresh());
    // The reason is all that is logged, and only when debugging: a line per visit with its
    // time would be a per-visit record in the journal.
    tracing::debug!(reason = reason.name(), "session wiped");
}

/// Opens a screen from anywhere, if the core lets this session open it (staff screens only
/// for signed-in staff). Opening one from the attract screen (emergency help works without
/// starting a visit) still counts as someone being there, so the idle reset applies.
pub(super) fn open(state: &mut KioskState, screen: Screen) {
    let now = state.clock.monotonic();
    state.idle.touch(now);
    if !state.session.open_requested(screen) {
        tracing::warn!(
            screen = screen.name(),
            "a staff screen was asked for without the PIN"
        );
        return;
    }
    if state.session.started_at.is_none() {
        state.session.started_at = Some(now);
        if screen != Screen::StaffPin {
            count_visit(state);
        }
    }
}

/// Counts a worker's visit as started, once per session.
pub(super) fn count_visit(state: &mut KioskState) {
    if !state.session.counted {
        state.session.counted = true;
        super::count(state, &[Count::new(Metric::Visit, &["started"])]);
    }
}

/// The idle check: shows the countdown, or wipes the session when it has run out.
/// Moves the attract screen's content to where `kiosk::drift` says it is by now; Slint
/// redraws only when the value changes, once a minute.
fn drift_attract(window: &AppWindow, st: &KioskState) {
    let (x, y) = crate::kiosk::drift::offset(st.clock.monotonic());
    let shell = Shell::get(window);
    shell.set_attract_drift_x(x as f32);
    shell.set_attract_drift_y(y as f32);
}

/// Tells the uploader thread whether the kiosk is idle: the attract screen, no visit (the
/// same test as the idle countdown's). An image update is installed, and rebooted into, only
/// after a quiet spell of that (`update::decide`).
fn tell_the_uploader(st: &KioskState) {
    if let Some(signal) = &st.idle_signal {
        if st.session.is_active() {
            signal.busy();
        } else {
            signal.idle(st.clock.monotonic());
        }
    }
}

/// Staff mode leaves by itself after 60 s without a touch: 50 s, then a 10-second countdown.
const STAFF_LIMITS: crate::kiosk::IdleLimits = crate::kiosk::IdleLimits {
    idle_after: std::time::Duration::from_secs(50),
    countdown: std::time::Duration::from_secs(10),
};

pub(super) fn tick_idle(window: &AppWindow, state: &Rc<RefCell<KioskState>>) {
    super::mood::tick(window, &state.borrow());
    drift_attract(window, &state.borrow());
    let codes = {
        let mut st = state.borrow_mut();
        let done = st.code_checks.finished();
        let any = !done.is_empty();
        for (job, (purpose, keys)) in done {
            super::mood::code_derived(&mut st, job, purpose, keys);
        }
        any
    };
    if codes {
        super::render(window, &state.borrow());
    }
    let printed = super::slip::poll(&mut state.borrow_mut());
    let staff = super::staff::tick(&mut state.borrow_mut());
    let usb = super::usb_export::tick(&mut state.borrow_mut());
    let writing = super::writing::tick(&mut state.borrow_mut());
    if printed || staff || usb || writing {
        super::render(window, &state.borrow());
    }
    let phase = {
        let st = state.borrow();
        tell_the_uploader(&st);
        if !st.session.is_active() {
            return;
        }
        let here = st.session.navigation.current();
        let limits = if here == Screen::Crisis {
            st.crisis_limits
        } else if here.is_staff_only() || here == Screen::StaffPin {
            STAFF_LIMITS
        } else {
            st.limits
        };
        st.idle.phase(st.clock.monotonic(), limits)
    };
    match phase {
        IdlePhase::Active => Shell::get(window).set_idle_seconds_left(0),
        IdlePhase::Countdown { seconds_left } => Shell::get(window)
            .set_idle_seconds_left(i32::try_from(seconds_left).unwrap_or(i32::MAX)),
        IdlePhase::Expired => {
            wipe(&mut state.borrow_mut(), WipeReason::IdleTimeout);
            super::render(window, &state.borrow());
        }
    }
}
