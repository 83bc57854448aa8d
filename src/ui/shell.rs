//! The shell's adapter: navigation, the language switch, quick hide, finish and the idle reset.

use std::cell::RefCell;
use std::rc::Rc;

use slint::{ComponentHandle, Global};

use super::{AppWindow, KioskState, Screen as UiScreen, Shell};
use crate::kiosk::{IdlePhase, Screen, WipeReason};
use crate::store::counts::Count;
use waystation_protocol::Metric;

fn to_ui(screen: Screen) -> UiScreen {
    match screen {
        Screen::Attract => UiScreen::Attract,
        Screen::Home => UiScreen::Home,
        Screen::Emergency => UiScreen::Emergency,
        Screen::About => UiScreen::About,
        Screen::CheckNotice => UiScreen::CheckNotice,
        Screen::CheckTopics => UiScreen::CheckTopics,
        Screen::Question => UiScreen::Question,
        Screen::Result => UiScreen::Result,
        Screen::Crisis => UiScreen::Crisis,
        Screen::MoodFeel => UiScreen::MoodFeel,
        Screen::MoodWord => UiScreen::MoodWord,
        Screen::MoodTags => UiScreen::MoodTags,
        Screen::MoodDone => UiScreen::MoodDone,
        Screen::Breathing => UiScreen::Breathing,
        Screen::MoodWeek => UiScreen::MoodWeek,
        Screen::MoodCode => UiScreen::MoodCode,
        Screen::Slip => UiScreen::Slip,
        Screen::Resources => UiScreen::Resources,
        Screen::ResourceDetail => UiScreen::ResourceDetail,
        Screen::StaffPin => UiScreen::StaffPin,
        Screen::Staff => UiScreen::Staff,
        Screen::StaffRestock => UiScreen::StaffRestock,
        Screen::StaffErrors => UiScreen::StaffErrors,
        Screen::StaffCall => UiScreen::StaffCall,
    }
}

/// The session's language as the UI's enum.
pub(super) fn language_to_ui(language: crate::language::Language) -> super::Language {
    match language {
        crate::language::Language::Chinese => super::Language::Chinese,
        crate::language::Language::English => super::Language::English,
    }
}

fn request_from_ui(request: super::Request) -> crate::kiosk::Request {
    use crate::kiosk::Request as R;
    match request {
        super::Request::EmergencyHelp => R::EmergencyHelp,
        super::Request::TakeNumbers => R::TakeNumbers,
        super::Request::StartSelfCheck => R::StartSelfCheck,
        super::Request::CrisisHelp => R::CrisisHelp,
    }
}

fn from_ui(screen: UiScreen) -> Screen {
    match screen {
        UiScreen::Attract => Screen::Attract,
        UiScreen::Home => Screen::Home,
        UiScreen::Emergency => Screen::Emergency,
        UiScreen::About => Screen::About,
        UiScreen::CheckNotice => Screen::CheckNotice,
        UiScreen::CheckTopics => Screen::CheckTopics,
        UiScreen::Question => Screen::Question,
        UiScreen::Result => Screen::Result,
        UiScreen::Crisis => Screen::Crisis,
        UiScreen::MoodFeel => Screen::MoodFeel,
        UiScreen::MoodWord => Screen::MoodWord,
        UiScreen::MoodTags => Screen::MoodTags,
        UiScreen::MoodDone => Screen::MoodDone,
        UiScreen::Breathing => Screen::Breathing,
        UiScreen::MoodWeek => Screen::MoodWeek,
        UiScreen::MoodCode => Screen::MoodCode,
        UiScreen::Slip => Screen::Slip,
        UiScreen::Resources => Screen::Resources,
        UiScreen::ResourceDetail => Screen::ResourceDetail,
        UiScreen::StaffPin => Screen::StaffPin,
        UiScreen::Staff => Screen::Staff,
        UiScreen::StaffRestock => Screen::StaffRestock,
        UiScreen::StaffErrors => Screen::StaffErrors,
        UiScreen::StaffCall => Screen::StaffCall,
    }
}

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
        super::slip::prepare(&mut st);
    }
    super::render(&window, &state.borrow());
}

pub(super) fn wipe(state: &mut KioskState, reason: WipeReason) {
    super::selfcheck::abandon_running(state);
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

pub(super) fn connect(window: &AppWindow, state: &Rc<RefCell<KioskState>>) {
    let shell = Shell::get(window);
    let weak = window.as_weak();

    shell.on_start({
        let (w, s) = (weak.clone(), state.clone());
        move || {
            update(&w, &s, |st| {
                // Only the attract screen starts a visit: a touch released after the hidden
                // corner opened the PIN pad must not lead elsewhere.
                if st.session.navigation.current() != Screen::Attract {
                    return;
                }
                let now = st.clock.monotonic();
                st.idle.touch(now);
                st.session.start(now);
                count_visit(st);
            })
        }
    });
    shell.on_go_home({
        let (w, s) = (weak.clone(), state.clone());
        move || update(&w, &s, |st| st.session.navigation.open(Screen::Home))
    });
    shell.on_go_back({
        let (w, s) = (weak.clone(), state.clone());
        move || {
            update(&w, &s, |st| {
                // On a question, back means the previous question until the first one.
                let on_question = st.session.navigation.current() == Screen::Question;
                if !(on_question && st.session.check.previous()) {
                    st.session.navigation.back();
                }
            })
        }
    });
    shell.on_open({
        let (w, s) = (weak.clone(), state.clone());
        move |screen| update(&w, &s, |st| open(st, from_ui(screen)))
    });
    shell.on_request({
        let (w, s) = (weak.clone(), state.clone());
        move |request| update(&w, &s, |st| open(st, request_from_ui(request).leads_to()))
    });
    shell.on_toggle_language({
        let (w, s) = (weak.clone(), state.clone());
        move || {
            update(&w, &s, |st| {
                st.session.language = st.session.language.other()
            })
        }
    });
    shell.on_quick_hide({
        let (w, s) = (weak.clone(), state.clone());
        move || update(&w, &s, |st| wipe(st, WipeReason::QuickHide))
    });
    shell.on_finish({
        let (w, s) = (weak.clone(), state.clone());
        move || update(&w, &s, |st| wipe(st, WipeReason::Finished))
    });
    shell.on_touched({
        let (w, s) = (weak.clone(), state.clone());
        move || {
            let Some(window) = w.upgrade() else { return };
            let now = s.borrow().clock.monotonic();
            s.borrow_mut().idle.touch(now);
            // Only the countdown depends on touches; skip a full render on every press.
            Shell::get(&window).set_idle_seconds_left(0);
        }
    });
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
fn count_visit(state: &mut KioskState) {
    if !state.session.counted {
        state.session.counted = true;
        super::count(state, &[Count::new(Metric::Visit, &["started"])]);
    }
}

/// The idle check: shows the countdown, or wipes the session when it has run out.
/// Staff mode leaves by itself after 60 s without a touch: 50 s, then a 10-second countdown.
const STAFF_LIMITS: crate::kiosk::IdleLimits = crate::kiosk::IdleLimits {
    idle_after: std::time::Duration::from_secs(50),
    countdown: std::time::Duration::from_secs(10),
};

pub(super) fn tick_idle(window: &AppWindow, state: &Rc<RefCell<KioskState>>) {
    super::mood::tick(window, &state.borrow());
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
    if printed || staff {
        super::render(window, &state.borrow());
    }
    let phase = {
        let st = state.borrow();
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

pub(super) fn render(window: &AppWindow, state: &KioskState) {
    let shell = Shell::get(window);
    let session = &state.session;
    let language = session.language;
    // Selecting a language re-translates every string on every screen, so only on a change.
    // (The shell's language starts as Chinese while Slint starts untranslated: the first
    // render always selects, see `init`.)
    if shell.get_language() != language_to_ui(language) || !state.language_selected.get() {
        if let Err(e) = slint::select_bundled_translation(language.catalogue()) {
            tracing::error!("cannot select language {}: {e}", language.catalogue());
        }
        state.language_selected.set(true);
    }
    shell.set_language(language_to_ui(language));
    shell.set_screen(to_ui(session.navigation.current()));
    shell.set_can_go_back(session.navigation.can_go_back());
    shell.set_station_name(state.config.station.name(language).into());
    shell.set_demo(state.config.station.demo);
    shell.set_idle_seconds(i32::try_from(state.config.kiosk.idle_seconds.0).unwrap_or(i32::MAX));
    if !session.is_active() {
        shell.set_idle_seconds_left(0);
    }
    super::Theme::get(window).set_high_contrast(state.config.kiosk.high_contrast);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_screen_maps_to_the_ui_and_back() {
        for screen in Screen::ALL {
            assert_eq!(from_ui(to_ui(screen)), screen);
        }
    }
}
