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
}

impl Screen {
    pub const ALL: [Screen; 4] = [
        Screen::Attract,
        Screen::Home,
        Screen::Emergency,
        Screen::About,
    ];

    /// The stable name used by `waystation screenshot --screen NAME` and in tests.
    pub fn name(self) -> &'static str {
        match self {
            Screen::Attract => "attract",
            Screen::Home => "home",
            Screen::Emergency => "emergency",
            Screen::About => "about",
        }
    }

    pub fn from_name(name: &str) -> Option<Screen> {
        Screen::ALL.into_iter().find(|s| s.name() == name)
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

    /// Opens a screen on top of the current one. Opening the screen already shown does nothing,
    /// so a double tap does not make "back" need two taps. Opening home starts the history over.
    pub fn open(&mut self, screen: Screen) {
        match screen {
            Screen::Attract => self.stack = vec![Screen::Attract],
            Screen::Home => self.stack = vec![Screen::Home],
            _ if self.current() == screen => {}
            _ => {
                if self.stack.len() == MAX_HISTORY {
                    // Keep the root (home or attract) and drop the oldest step after it.
                    self.stack.remove(1);
                }
                self.stack.push(screen);
            }
        }
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
    fn history_is_bounded_and_keeps_its_root() {
        let mut nav = Navigation::default();
        nav.open(Screen::Home);
        for i in 0..100 {
            nav.open(if i % 2 == 0 {
                Screen::Emergency
            } else {
                Screen::About
            });
        }
        assert_eq!(nav.depth(), MAX_HISTORY);
        for _ in 0..MAX_HISTORY {
            nav.back();
        }
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
