//! Staff mode, pure: the station PIN and its throttle, the status rules (green, amber, red,
//! with what to do), and the LED pattern that follows from them. The facts come from the
//! store and the hardware through `staff::facts`; nothing here does I/O.

pub mod pin;
pub mod status;
pub mod throttle;
pub mod visit;
