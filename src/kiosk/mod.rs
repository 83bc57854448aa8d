//! The kiosk's pure core: what a session holds, where a touch may lead, and when an unattended
//! session is wiped.
//!
//! Nothing in this module does I/O or knows about Slint, SQLite or the clock: time comes in as
//! a `Duration` read by the caller, so every rule here is tested with fixed values.

// Leaf modules of their own (`crate::emergency`, `crate::language`), so that the pure modules
// the session holds (mood, screening, slip, staff) need not import this one.
pub use crate::emergency;
pub mod backlight;
pub mod drift;
pub mod idle;
pub mod navigation;
pub mod session;

pub use crate::language::Language;
pub use idle::{IdleLimits, IdlePhase, IdleTimer};
pub use navigation::{Navigation, Request, Screen};
pub use session::{Session, WipeReason};
