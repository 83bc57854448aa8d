//! One staff visit's state on the kiosk: what is typed on the PIN pad, whether staff are
//! signed in, the restock being entered, and the last action's outcome. It lives in the
//! session, so every wipe (leaving, quick hide, the 60-second idle reset) signs staff out.
//!
//! The PIN pad's rules are here: what a key does, when a check starts, what a check's answer
//! does to the visit, and what the pad says. The adapter runs the check off the UI thread
//! and keeps the throttle and the audit log.

use super::throttle::PinGate;
use crate::keypad::PadKey;
use crate::slip::PrintState;

/// The longest PIN; the pad ignores further digits.
pub const MAX_PIN: usize = 8;

/// The longest wait the pad gives in seconds; a longer one is given in whole minutes.
pub const WAIT_IN_SECONDS_UP_TO: u64 = 120;

/// What the PIN pad says under the dots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PinNotice {
    #[default]
    None,
    /// The last PIN was wrong.
    Wrong,
    /// No PIN was ever set: the field team must set one.
    NoPin,
}

/// What the PIN pad shows under the dots now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PadNotice {
    None,
    /// A PIN is being checked.
    Checking,
    Wrong,
    NoPin,
    /// Too many wrong PINs: wait this many seconds (at most `WAIT_IN_SECONDS_UP_TO`)…
    WaitSeconds(u64),
    /// …or this many minutes, rounded up.
    WaitMinutes(u64),
}

/// What a PIN check's answer did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checked {
    /// The right PIN, typed on the pad still showing: staff are signed in.
    SignedIn,
    /// A wrong PIN. It counts against the throttle whatever became of the visit: leaving at
    /// once must not be a way round it.
    Wrong,
    /// The right PIN, but for a pad that is gone (the visit ended meanwhile): nothing.
    Gone,
}

/// The last staff action's outcome, shown on the status screen until the next one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffDone {
    Paper,
    Brochures(u32),
    SyncAsked,
    /// "Sync now" with no hub configured.
    NoHub,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StaffVisit {
    pub signed_in: bool,
    /// The PIN check under way (its job number), while Argon2id runs off the UI thread; the
    /// pad waits and says it is checking. Wiped with the session: a result that comes back for
    /// a visit that ended signs no one in.
    pub checking: Option<u64>,
    /// Digits typed on the pad; never stored anywhere, cleared on every try.
    pub typed: String,
    pub notice: PinNotice,
    /// Brochures being added, one count per kind in the config's order.
    pub restock: Vec<u32>,
    pub done: Option<StaffDone>,
    pub test_print: PrintState,
}

impl StaffVisit {
    /// A key on the PIN pad. A digit is typed and erase takes one back; enter takes the typed
    /// PIN off the pad, and returns it when a check may start: the throttle is open, something
    /// was typed, and no check is under way.
    pub fn press(&mut self, key: PadKey, gate: PinGate) -> Option<String> {
        match key {
            PadKey::Char(c) => self.key(c),
            PadKey::Erase => self.erase(),
            PadKey::Enter => {
                let typed = self.take_typed();
                let may = gate == PinGate::Open && !typed.is_empty() && self.checking.is_none();
                return may.then_some(typed);
            }
        }
        None
    }

    /// No PIN was ever set, so nothing can be checked: the pad says so.
    pub fn no_pin_set(&mut self) {
        self.notice = PinNotice::NoPin;
    }

    /// A check started as job `job`: the pad says it is checking.
    pub fn checking_started(&mut self, job: u64) {
        self.checking = Some(job);
        self.notice = PinNotice::None;
    }

    /// Job `job`'s answer came back: `right` signs staff in only if the pad it was typed on is
    /// still the one checking.
    pub fn checked(&mut self, job: u64, right: bool) -> Checked {
        let here = self.checking == Some(job);
        if here {
            self.checking = None;
        }
        match (right, here) {
            (true, true) => {
                self.signed_in = true;
                Checked::SignedIn
            }
            (true, false) => Checked::Gone,
            (false, here) => {
                if here {
                    self.notice = PinNotice::Wrong;
                }
                Checked::Wrong
            }
        }
    }

    /// What the pad says: a wait first (nothing can be tried meanwhile), then a check under
    /// way, then the last try's outcome.
    pub fn shown_notice(&self, gate: PinGate) -> PadNotice {
        match gate {
            PinGate::Wait(seconds) if seconds <= WAIT_IN_SECONDS_UP_TO => {
                PadNotice::WaitSeconds(seconds)
            }
            PinGate::Wait(seconds) => PadNotice::WaitMinutes(seconds.div_ceil(60)),
            PinGate::Open if self.checking.is_some() => PadNotice::Checking,
            PinGate::Open => match self.notice {
                PinNotice::None => PadNotice::None,
                PinNotice::Wrong => PadNotice::Wrong,
                PinNotice::NoPin => PadNotice::NoPin,
            },
        }
    }

    fn key(&mut self, digit: char) {
        if digit.is_ascii_digit() && self.typed.len() < MAX_PIN {
            self.typed.push(digit);
            self.notice = PinNotice::None;
        }
    }

    fn erase(&mut self) {
        self.typed.pop();
    }

    /// Takes the typed PIN for checking; the pad is empty again whatever the outcome.
    fn take_typed(&mut self) -> String {
        std::mem::take(&mut self.typed)
    }

    /// Changes the count of one brochure kind being added, within 0..=999.
    pub fn adjust(&mut self, kinds: usize, index: usize, by: i32) {
        self.restock.resize(kinds, 0);
        if let Some(count) = self.restock.get_mut(index) {
            *count = (i64::from(*count) + i64::from(by)).clamp(0, 999) as u32;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn type_keys(visit: &mut StaffVisit, keys: &str) {
        for c in keys.chars() {
            assert_eq!(visit.press(PadKey::Char(c), PinGate::Open), None);
        }
    }

    #[test]
    fn the_pad_takes_up_to_eight_digits_and_forgets_them_on_a_try() {
        let mut visit = StaffVisit::default();
        type_keys(&mut visit, "123456789x");
        assert_eq!(visit.typed, "12345678");
        visit.press(PadKey::Erase, PinGate::Open);
        assert_eq!(
            visit.press(PadKey::Enter, PinGate::Open).as_deref(),
            Some("1234567")
        );
        assert!(visit.typed.is_empty());
    }

    #[test]
    fn enter_starts_a_check_only_when_one_may_start_and_empties_the_pad_anyway() {
        let mut visit = StaffVisit::default();
        assert_eq!(
            visit.press(PadKey::Enter, PinGate::Open),
            None,
            "nothing typed"
        );
        type_keys(&mut visit, "1234");
        assert_eq!(
            visit.press(PadKey::Enter, PinGate::Wait(30)),
            None,
            "a wait"
        );
        assert!(
            visit.typed.is_empty(),
            "typed during a wait: gone all the same"
        );
        type_keys(&mut visit, "1234");
        visit.checking_started(7);
        assert_eq!(
            visit.press(PadKey::Enter, PinGate::Open),
            None,
            "a check runs"
        );
        assert!(visit.typed.is_empty());
    }

    #[test]
    fn a_check_signs_in_only_the_pad_that_asked_and_a_wrong_pin_always_counts() {
        let mut visit = StaffVisit::default();
        visit.checking_started(1);
        assert_eq!(visit.checked(1, false), Checked::Wrong);
        assert_eq!(visit.notice, PinNotice::Wrong);
        assert_eq!(visit.checking, None);
        visit.checking_started(2);
        assert_eq!(
            visit.notice,
            PinNotice::None,
            "checking clears the last notice"
        );
        assert_eq!(visit.checked(2, true), Checked::SignedIn);
        assert!(visit.signed_in);

        // The visit was wiped while job 3 ran: a fresh visit is checking nothing.
        let mut fresh = StaffVisit::default();
        assert_eq!(fresh.checked(3, true), Checked::Gone);
        assert!(!fresh.signed_in);
        assert_eq!(fresh.checked(3, false), Checked::Wrong, "still counted");
        assert_eq!(
            fresh.notice,
            PinNotice::None,
            "but not said on a pad that never asked"
        );
    }

    #[test]
    fn the_pad_says_a_wait_first_then_checking_then_the_last_outcome() {
        let mut visit = StaffVisit::default();
        assert_eq!(visit.shown_notice(PinGate::Open), PadNotice::None);
        visit.no_pin_set();
        assert_eq!(visit.shown_notice(PinGate::Open), PadNotice::NoPin);
        visit.checking_started(1);
        assert_eq!(visit.shown_notice(PinGate::Open), PadNotice::Checking);
        assert_eq!(
            visit.shown_notice(PinGate::Wait(30)),
            PadNotice::WaitSeconds(30)
        );
        visit.checked(1, false);
        assert_eq!(visit.shown_notice(PinGate::Open), PadNotice::Wrong);
        assert_eq!(
            visit.shown_notice(PinGate::Wait(120)),
            PadNotice::WaitSeconds(120)
        );
        assert_eq!(
            visit.shown_notice(PinGate::Wait(121)),
            PadNotice::WaitMinutes(3)
        );
        assert_eq!(
            visit.shown_notice(PinGate::Wait(3600)),
            PadNotice::WaitMinutes(60)
        );
    }

    #[test]
    fn restock_counts_stay_between_zero_and_999() {
        let mut visit = StaffVisit::default();
        visit.adjust(2, 1, 10);
        visit.adjust(2, 1, -3);
        visit.adjust(2, 0, -5);
        assert_eq!(visit.restock, [0, 7]);
        visit.adjust(2, 0, 5000);
        assert_eq!(visit.restock[0], 999);
        visit.adjust(2, 9, 1);
        assert_eq!(visit.restock, [999, 7], "an unknown kind changes nothing");
    }
}
