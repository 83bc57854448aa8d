//! A key of the kiosk's on-screen keypads (the station PIN pad, the personal-code pad): a leaf
//! that the pure capabilities with a keypad share, so each decides what a key does to what is
//! typed (`staff::visit::StaffVisit::press`, `mood::visit::MoodVisit::press`).

/// One key press on a keypad.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PadKey {
    /// A character key (a digit on the PIN pad; a code character on the code pad).
    Char(char),
    /// Takes the last character back.
    Erase,
    /// Tries what is typed.
    Enter,
}
