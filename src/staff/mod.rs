//! Staff mode, pure: the station PIN and its throttle, the status rules (green, amber, red,
//! with what to do), the LED pattern that follows from them, and a worker's call for staff
//! (`alert`: the light, buzzer and hub alert, and what the screen may say). The facts come
//! from the store and the hardware through `crate::status::staff_facts`; nothing here does
//! I/O, and nothing here imports `crate::status`.

pub mod alert;
pub mod device;
pub mod pin;
pub mod status;
pub mod throttle;
pub mod visit;
