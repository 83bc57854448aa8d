//! The kiosk's pure core: what a session holds, where a touch may lead, and when an unattended
//! session is wiped.
//!
//! Nothing in this module does I/O or knows about Slint, SQLite or the clock: time comes in as
//! a `Duration` read by the caller, so every rule here is tested with fixed values.

pub mod emergency;
pub mod idle;
pub mod language;
pub mod navigation;
pub mod session;

pub use idle::{IdleLimits, IdlePhase, IdleTimer};
pub use language::Language;
pub use navigation::{Navigation, Request, Screen};
pub use session::{Session, WipeReason};
