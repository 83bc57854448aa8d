//! Everything one worker's visit leaves in the kiosk's memory, and the one function that wipes
//! it.
//!
//! A session starts when someone touches the attract screen and ends when they finish, press
//! quick hide, or walk away (idle reset). Whatever a capability keeps about the person in front
//! of the kiosk (answers, a mood draft, the services picked for a slip) is a field of
//! [`Session`]; that field *is* its registration with the wipe, because [`Session::wipe`]
//! replaces the whole value with a fresh one. Nothing can be forgotten by a wipe that rebuilds
//! everything.

use std::time::Duration;

use super::{Language, Navigation, Screen};
use crate::mood::MoodVisit;
use crate::screening::SelfCheck;
use crate::slip::SlipVisit;

/// Why a session ended. Kept for counts and logs only: it says nothing about the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WipeReason {
    /// The worker pressed "finish" or reached the end of a flow.
    Finished,
    /// The worker pressed quick hide: someone may be looking over their shoulder.
    QuickHide,
    /// Nobody touched the screen through the idle countdown.
    IdleTimeout,
}

impl WipeReason {
    pub fn name(self) -> &'static str {
        match self {
            WipeReason::Finished => "finished",
            WipeReason::QuickHide => "quick_hide",
            WipeReason::IdleTimeout => "idle_timeout",
        }
    }
}

/// Settings that outlive every session (they come from the station's config).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SessionDefaults {
    pub language: Language,
}

/// The state of one visit. Add a capability's per-visit state as a field here, with a
/// `Default` that holds nothing about anyone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    defaults: SessionDefaults,
    /// The language the worker chose; back to the station default after a wipe.
    pub language: Language,
    pub navigation: Navigation,
    /// When (on the kiosk's monotonic clock) the worker first touched the attract screen.
    pub started_at: Option<Duration>,
    /// Whether this session was counted as a worker's visit (staff sessions are not), so that
    /// its end is counted once too.
    pub counted: bool,
    /// Self-checks: topic, answers under way, results, the crisis flag.
    pub check: SelfCheck,
    /// The mood check-in: what was picked, the saved check-in, the personal code.
    pub mood: MoodVisit,
    /// The referral slip asked for this visit, and its printing.
    pub slip: SlipVisit,
    /// The directory: the topic filter chosen, and the entry open (by id).
    pub resource_filter: Option<crate::directory::Topic>,
    pub resource_open: Option<String>,
    /// Directory entries (by id) the worker added to their slip.
    pub slip_services: Vec<String>,
    /// The worker asked for station staff (shown on the crisis screen until the wipe).
    pub staff_asked: bool,
    /// Station staff on the PIN pad or signed in. Wiped like everything else, so every reset
    /// signs staff out.
    pub staff: crate::staff::visit::StaffVisit,
}

impl Session {
    pub fn new(defaults: SessionDefaults) -> Session {
        Session {
            defaults,
            language: defaults.language,
            navigation: Navigation::default(),
            started_at: None,
            counted: false,
            check: SelfCheck::default(),
            mood: MoodVisit::default(),
            slip: SlipVisit::default(),
            resource_filter: None,
            resource_open: None,
            slip_services: Vec::new(),
            staff_asked: false,
            staff: Default::default(),
        }
    }

    /// Begins a visit: the worker touched the attract screen.
    pub fn start(&mut self, now: Duration) {
        self.started_at = Some(now);
        self.navigation.open(Screen::Home);
    }

    /// Opens a screen a touch asked for, and says whether it did. Staff-mode screens open only
    /// for staff who signed in with the PIN: no button, and no touch a screen could be made to
    /// send, takes a worker there. (The PIN pad itself is open to all: it is the way in.)
    pub fn open_requested(&mut self, screen: Screen) -> bool {
        if screen.is_staff_only() && !self.staff.signed_in {
            return false;
        }
        self.navigation.open(screen);
        true
    }

    /// Where crisis help's "go on" leads: back to the questions if the questionnaire is still
    /// under way, else to its result (which, after a crisis answer, never reassures:
    /// `SelfCheck::shown_result`); with neither, nowhere.
    pub fn go_on_from_crisis(&mut self) {
        if self.check.running.is_some() {
            self.navigation.back();
        } else if self.check.latest().is_some() {
            self.navigation.open(Screen::Result);
        }
    }

    /// Whether someone is using the kiosk (anything but the attract screen is showing).
    pub fn is_active(&self) -> bool {
        self.navigation.current() != Screen::Attract
    }

    /// Forgets everything about the visit and returns to the attract screen. This is the only
    /// way a session ends, whatever the reason.
    pub fn wipe(&mut self, _reason: WipeReason) {
        *self = Session::new(self.defaults);
    }

    /// True when the session holds nothing a worker did (used by tests and by a debug check
    /// after every wipe).
    pub fn is_fresh(&self) -> bool {
        *self == Session::new(self.defaults)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wipe_returns_every_field_to_fresh_for_every_reason() {
        let defaults = SessionDefaults {
            language: Language::Chinese,
        };
        for reason in [
            WipeReason::Finished,
            WipeReason::QuickHide,
            WipeReason::IdleTimeout,
        ] {
            let mut session = Session::new(defaults);
            session.start(Duration::from_secs(5));
            session.language = Language::English;
            session.navigation.open(Screen::Emergency);
            let catalogue = crate::screening::Catalogue::builtin();
            session.check.start(&catalogue, "phq9").unwrap();
            session.check.answer(&catalogue, 2, Some(10)).unwrap();
            session.check.topic = Some("low".into());
            session.staff_asked = true;
            session.staff.signed_in = true;
            session.staff.press(
                crate::keypad::PadKey::Char('4'),
                crate::staff::throttle::PinGate::Open,
            );
            session.mood.feel(-1, -2);
            session.mood.new_code = Some("ABCD-EFGH".into());
            session.mood.code_keys = Some(crate::mood::personal::CodeKeys::derive(&[1; 32]));
            session.slip.print = crate::slip::PrintState::Printing(3);
            assert!(!session.is_fresh());
            session.wipe(reason);
            assert!(session.is_fresh(), "{reason:?} left state behind");
            assert_eq!(session.navigation.current(), Screen::Attract);
            assert_eq!(session.language, Language::Chinese);
            assert_eq!(session.started_at, None);
            assert_eq!(
                session.check,
                SelfCheck::default(),
                "answers survived the wipe"
            );
            assert!(!session.staff_asked);
            assert_eq!(
                session.mood,
                MoodVisit::default(),
                "the mood check-in survived the wipe"
            );
            assert_eq!(session.slip, SlipVisit::default());
        }
    }

    #[test]
    fn wipe_restores_the_station_default_language_not_chinese_blindly() {
        let mut session = Session::new(SessionDefaults {
            language: Language::English,
        });
        session.start(Duration::ZERO);
        session.language = Language::Chinese;
        session.wipe(WipeReason::Finished);
        assert_eq!(session.language, Language::English);
    }

    #[test]
    fn going_on_from_crisis_help_returns_to_the_questions_or_nowhere() {
        let catalogue = crate::screening::Catalogue::builtin();
        let mut session = Session::new(SessionDefaults::default());
        session.navigation.open(Screen::Home);
        session.navigation.open(Screen::Crisis);
        // Nothing under way and no result: crisis help stays.
        session.go_on_from_crisis();
        assert_eq!(session.navigation.current(), Screen::Crisis);
        session.check.start(&catalogue, "phq9").unwrap();
        session.navigation.open(Screen::Home);
        session.navigation.open(Screen::Question);
        session.navigation.open(Screen::Crisis);
        assert!(Screen::Crisis.keeps_a_questionnaire());
        session.go_on_from_crisis();
        assert_eq!(session.navigation.current(), Screen::Question);
        for left in [
            Screen::Home,
            Screen::MoodFeel,
            Screen::Resources,
            Screen::CheckTopics,
        ] {
            assert!(!left.keeps_a_questionnaire(), "{left:?}");
        }
    }

    #[test]
    fn staff_screens_open_only_for_staff_who_signed_in() {
        let mut session = Session::new(SessionDefaults::default());
        for screen in [
            Screen::Staff,
            Screen::StaffRestock,
            Screen::StaffErrors,
            Screen::StaffDevice,
            Screen::StaffUsb,
        ] {
            assert!(
                !session.open_requested(screen),
                "{screen:?} opened for a worker"
            );
            assert_eq!(session.navigation.current(), Screen::Attract);
        }
        assert!(session.open_requested(Screen::StaffPin));
        assert!(session.open_requested(Screen::Emergency));
        session.staff.signed_in = true;
        for screen in [
            Screen::Staff,
            Screen::StaffRestock,
            Screen::StaffErrors,
            Screen::StaffDevice,
            Screen::StaffUsb,
        ] {
            assert!(session.open_requested(screen));
            assert_eq!(session.navigation.current(), screen);
        }
    }

    #[test]
    fn a_session_is_active_once_started() {
        let mut session = Session::new(SessionDefaults::default());
        assert!(!session.is_active());
        session.start(Duration::from_millis(1));
        assert!(session.is_active());
        assert_eq!(session.navigation.current(), Screen::Home);
    }
}
