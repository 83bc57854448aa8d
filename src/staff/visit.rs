//! One staff visit's state on the kiosk: what is typed on the PIN pad, whether staff are
//! signed in, the restock being entered, and the last action's outcome. It lives in the
//! session, so every wipe (leaving, quick hide, the 60-second idle reset) signs staff out.

use crate::slip::PrintState;

/// The longest PIN; the pad ignores further digits.
pub const MAX_PIN: usize = 8;

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
    pub fn key(&mut self, digit: char) {
        if digit.is_ascii_digit() && self.typed.len() < MAX_PIN {
            self.typed.push(digit);
            self.notice = PinNotice::None;
        }
    }

    pub fn erase(&mut self) {
        self.typed.pop();
    }

    /// Takes the typed PIN for checking; the pad is empty again whatever the outcome.
    pub fn take_typed(&mut self) -> String {
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

    #[test]
    fn the_pad_takes_up_to_eight_digits_and_forgets_them_on_a_try() {
        let mut visit = StaffVisit::default();
        for d in "123456789x".chars() {
            visit.key(d);
        }
        assert_eq!(visit.typed, "12345678");
        visit.erase();
        assert_eq!(visit.take_typed(), "1234567");
        assert!(visit.typed.is_empty());
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
