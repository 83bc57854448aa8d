//! The shell's adapter: navigation, the language switch, quick hide, finish and the idle reset.
//! What every adapter calls back into (`update`, `open`, `wipe`, the idle tick) is in
//! `runtime.rs`.

use std::cell::RefCell;
use std::rc::Rc;

use slint::{ComponentHandle, Global};

use super::runtime::{count_visit, open, update, wipe};
use super::{AppWindow, KioskState, Screen as UiScreen, Shell};
use crate::kiosk::{Screen, WipeReason};

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
        Screen::Writing => UiScreen::Writing,
        Screen::Resources => UiScreen::Resources,
        Screen::ResourceDetail => UiScreen::ResourceDetail,
        Screen::StaffPin => UiScreen::StaffPin,
        Screen::Staff => UiScreen::Staff,
        Screen::StaffRestock => UiScreen::StaffRestock,
        Screen::StaffErrors => UiScreen::StaffErrors,
        Screen::StaffDevice => UiScreen::StaffDevice,
        Screen::StaffUsb => UiScreen::StaffUsb,
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
        UiScreen::Writing => Screen::Writing,
        UiScreen::Resources => Screen::Resources,
        UiScreen::ResourceDetail => Screen::ResourceDetail,
        UiScreen::StaffPin => Screen::StaffPin,
        UiScreen::Staff => Screen::Staff,
        UiScreen::StaffRestock => Screen::StaffRestock,
        UiScreen::StaffErrors => Screen::StaffErrors,
        UiScreen::StaffDevice => Screen::StaffDevice,
        UiScreen::StaffUsb => Screen::StaffUsb,
        UiScreen::StaffCall => Screen::StaffCall,
    }
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
