//! Where a touch may lead. The kiosk keeps a short history so "back" returns to where the worker
//! came from, "home" always reaches the tiles, and a reset always lands on the attract screen.

/// Every screen of the kiosk. A new screen is added here, in `ui/screens/`, and in the shell
/// adapter's mapping (`src/ui/shell.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Screen {
    /// The idle screen that invites people in. Nothing of a session is visible here.
    Attract,
    /// Large tiles for each capability.
    Home,
    /// The emergency lines (紧急求助), reachable from every screen.
    Emergency,
    /// What the kiosk stores and what it never stores.
    About,
    /// Before a self-check: what is asked, anonymous, not a diagnosis, stop any time.
    CheckNotice,
    /// The plain-language themes that lead to a questionnaire.
    CheckTopics,
    /// One question of the questionnaire under way.
    Question,
    /// The result of the latest self-check.
    Result,
    /// Crisis help, shown at once when an answer meets a crisis rule (PHQ-9 item 9).
    Crisis,
    /// Mood check-in, step 1: the pleasantness × energy grid (and the personal code).
    MoodFeel,
    /// Step 2: one word from the chosen quadrant.
    MoodWord,
    /// Step 3: what weighs on you.
    MoodTags,
    /// Done: a kind reply, one offer, the station's week and a personal code.
    MoodDone,
    /// A 60-second breathing exercise.
    Breathing,
    /// How people at this station felt last week, rounded, small counts hidden.
    MoodWeek,
    /// The keypad for a personal code.
    MoodCode,
    /// The referral slip on screen, with "print" when a printer is fitted.
    Slip,
    /// The tree hole (写下来): a page to write on, with the on-screen keyboard; the text never
    /// leaves the session.
    Writing,
    /// The resource directory, ranked for this station and visit.
    Resources,
    /// One directory entry in full.
    ResourceDetail,
    /// The station PIN pad, opened by the hidden gesture on the attract screen.
    StaffPin,
    /// Staff mode: the kiosk's status at a glance, and the staff actions.
    Staff,
    /// Staff mode: recording a restock (paper roll, brochures by kind).
    StaffRestock,
    /// Staff mode: recent errors and staff events.
    StaffErrors,
    /// Staff mode: this kiosk's device id and key (as a QR code to register it at the
    /// centre), and how the last provisioning went.
    StaffDevice,
    /// Staff mode: the records waiting to upload copied onto a USB stick.
    StaffUsb,
    /// "Someone is coming": a worker asked for a person (the staff-call button, or on screen).
    StaffCall,
}

impl Screen {
    pub const ALL: [Screen; 27] = [
        Screen::Attract,
        Screen::Home,
        Screen::Emergency,
        Screen::About,
        Screen::CheckNotice,
        Screen::CheckTopics,
        Screen::Question,
        Screen::Result,
        Screen::Crisis,
        Screen::MoodFeel,
        Screen::MoodWord,
        Screen::MoodTags,
        Screen::MoodDone,
        Screen::Breathing,
        Screen::MoodWeek,
        Screen::MoodCode,
        Screen::Slip,
        Screen::Writing,
        Screen::Resources,
        Screen::ResourceDetail,
        Screen::StaffPin,
        Screen::Staff,
        Screen::StaffRestock,
        Screen::StaffErrors,
        Screen::StaffDevice,
        Screen::StaffUsb,
        Screen::StaffCall,
    ];

    /// The stable name used by `waystation screenshot --screen NAME` and in tests.
    pub fn name(self) -> &'static str {
        match self {
            Screen::Attract => "attract",
            Screen::Home => "home",
            Screen::Emergency => "emergency",
            Screen::About => "about",
            Screen::CheckNotice => "check-notice",
            Screen::CheckTopics => "check-topics",
            Screen::Question => "question",
            Screen::Result => "result",
            Screen::Crisis => "crisis",
            Screen::MoodFeel => "mood",
            Screen::MoodWord => "mood-word",
            Screen::MoodTags => "mood-tags",
            Screen::MoodDone => "mood-done",
            Screen::Breathing => "breathing",
            Screen::MoodWeek => "mood-week",
            Screen::MoodCode => "mood-code",
            Screen::Slip => "slip",
            Screen::Writing => "writing",
            Screen::Resources => "resources",
            Screen::ResourceDetail => "resource",
            Screen::StaffPin => "staff-pin",
            Screen::Staff => "staff",
            Screen::StaffRestock => "staff-restock",
            Screen::StaffErrors => "staff-errors",
            Screen::StaffDevice => "staff-device",
            Screen::StaffUsb => "staff-usb",
            Screen::StaffCall => "staff-call",
        }
    }

    /// Whether a questionnaire under way survives being on this screen: its questions, crisis
    /// help, and a quick look at emergency help, privacy or the slip (from which back returns
    /// to it). Anywhere else it is left, and counted as abandoned.
    pub fn keeps_a_questionnaire(self) -> bool {
        matches!(
            self,
            Screen::Question | Screen::Crisis | Screen::Emergency | Screen::About | Screen::Slip
        )
    }

    /// The screens only signed-in staff may see.
    pub fn is_staff_only(self) -> bool {
        matches!(
            self,
            Screen::Staff
                | Screen::StaffRestock
                | Screen::StaffErrors
                | Screen::StaffDevice
                | Screen::StaffUsb
        )
    }

    pub fn from_name(name: &str) -> Option<Screen> {
        Screen::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// What a button asks for, named for what the worker wants. Where each leads is decided here,
/// in one place, never in a screen's layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// The emergency button every screen has.
    EmergencyHelp,
    /// "Take these numbers" (crisis help, emergency help, a result): the slip.
    TakeNumbers,
    /// The self-check notice's "Start": the themes to choose from.
    StartSelfCheck,
    /// "Talk to someone now" on a result after a crisis answer: crisis help again.
    CrisisHelp,
}

impl Request {
    pub const ALL: [Request; 4] = [
        Request::EmergencyHelp,
        Request::TakeNumbers,
        Request::StartSelfCheck,
        Request::CrisisHelp,
    ];

    pub fn leads_to(self) -> Screen {
        match self {
            Request::EmergencyHelp => Screen::Emergency,
            Request::TakeNumbers => Screen::Slip,
            Request::StartSelfCheck => Screen::CheckTopics,
            Request::CrisisHelp => Screen::Crisis,
        }
    }
}

/// The history of screens in this session, most recent last. It is never empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Navigation {
    stack: Vec<Screen>,
}

/// The history is short on purpose: a worker on a kiosk never needs to go back far, and an
/// unbounded stack would let a long session grow without limit.
const MAX_HISTORY: usize = 16;

impl Default for Navigation {
    fn default() -> Self {
        Navigation {
            stack: vec![Screen::Attract],
        }
    }
}

impl Navigation {
    pub fn current(&self) -> Screen {
        *self
            .stack
            .last()
            .expect("navigation history is never empty")
    }

    /// Opens a screen on top of the current one. Opening a screen that is already in the
    /// history returns to it (dropping what came after), so the history never loops and a
    /// double tap does not make "back" need two taps. Opening home starts the history over.
    pub fn open(&mut self, screen: Screen) {
        match screen {
            Screen::Attract => self.stack = vec![Screen::Attract],
            Screen::Home => self.stack = vec![Screen::Home],
            _ if self.stack.contains(&screen) => {
                let at = self.stack.iter().position(|s| *s == screen).unwrap_or(0);
                self.stack.truncate(at + 1);
            }
            _ => {
                if self.stack.len() == MAX_HISTORY {
                    // Keep the root (home or attract) and drop the oldest step after it.
                    self.stack.remove(1);
                }
                self.stack.push(screen);
            }
        }
    }

    /// Opens a screen right after home, dropping the steps in between. Used where going back
    /// must not lead into a finished flow (a result cannot be "un-answered").
    pub fn open_after_home(&mut self, screen: Screen) {
        self.stack = vec![Screen::Home];
        self.open(screen);
    }

    /// Whether a screen is in the history (shown now or reachable with back).
    pub fn contains(&self, screen: Screen) -> bool {
        self.stack.contains(&screen)
    }

    /// Goes back one step. From the root, back leads home (and from home it stays home), so
    /// "back" is never a dead button.
    pub fn back(&mut self) {
        if self.stack.len() > 1 {
            self.stack.pop();
        } else if self.current() != Screen::Home && self.current() != Screen::Attract {
            self.stack = vec![Screen::Home];
        }
    }

    /// Whether "back" leads anywhere other than where we are.
    pub fn can_go_back(&self) -> bool {
        self.stack.len() > 1
    }

    /// How many steps the history holds (for tests and diagnostics).
    pub fn depth(&self) -> usize {
        self.stack.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_request_leads_where_the_worker_asked_and_never_to_staff_mode() {
        let led: Vec<Screen> = Request::ALL.iter().map(|r| r.leads_to()).collect();
        assert_eq!(
            led,
            [
                Screen::Emergency,
                Screen::Slip,
                Screen::CheckTopics,
                Screen::Crisis
            ]
        );
        assert!(
            led.iter()
                .all(|s| !s.is_staff_only() && *s != Screen::StaffPin)
        );
    }

    #[test]
    fn starts_on_attract_and_home_resets_history() {
        let mut nav = Navigation::default();
        assert_eq!(nav.current(), Screen::Attract);
        nav.open(Screen::Home);
        nav.open(Screen::Emergency);
        nav.open(Screen::About);
        assert_eq!(nav.depth(), 3);
        nav.open(Screen::Home);
        assert_eq!(nav.current(), Screen::Home);
        assert_eq!(nav.depth(), 1);
    }

    #[test]
    fn back_retraces_steps_and_never_leaves_an_empty_history() {
        let mut nav = Navigation::default();
        nav.open(Screen::Home);
        nav.open(Screen::Emergency);
        nav.back();
        assert_eq!(nav.current(), Screen::Home);
        nav.back();
        assert_eq!(nav.current(), Screen::Home);
        assert!(!nav.can_go_back());
    }

    #[test]
    fn emergency_from_attract_goes_back_to_attract() {
        let mut nav = Navigation::default();
        nav.open(Screen::Emergency);
        nav.back();
        assert_eq!(nav.current(), Screen::Attract);
    }

    #[test]
    fn opening_the_current_screen_twice_adds_no_step() {
        let mut nav = Navigation::default();
        nav.open(Screen::Home);
        nav.open(Screen::Emergency);
        nav.open(Screen::Emergency);
        assert_eq!(nav.depth(), 2);
    }

    #[test]
    fn going_round_in_circles_does_not_grow_the_history() {
        let mut nav = Navigation::default();
        nav.open(Screen::Home);
        for i in 0..100 {
            nav.open(if i % 2 == 0 {
                Screen::Emergency
            } else {
                Screen::About
            });
        }
        assert!(nav.depth() <= 3, "{nav:?}");
        nav.open(Screen::Emergency);
        nav.back();
        assert_eq!(nav.current(), Screen::Home);
        assert!(nav.depth() <= MAX_HISTORY);
    }

    #[test]
    fn a_finished_flow_cannot_be_reentered_with_back() {
        let mut nav = Navigation::default();
        nav.open(Screen::Home);
        nav.open(Screen::CheckNotice);
        nav.open(Screen::CheckTopics);
        nav.open(Screen::Question);
        nav.open_after_home(Screen::Crisis);
        nav.open(Screen::Result);
        assert!(!nav.contains(Screen::Question));
        nav.back();
        assert_eq!(nav.current(), Screen::Crisis);
        nav.back();
        assert_eq!(nav.current(), Screen::Home);
    }

    #[test]
    fn screen_names_round_trip() {
        for s in Screen::ALL {
            assert_eq!(Screen::from_name(s.name()), Some(s));
        }
        assert_eq!(Screen::from_name("nope"), None);
    }
}
