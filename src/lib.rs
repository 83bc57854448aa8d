//! Waystation: the software of a touchscreen kiosk in the rest stations of Shanghai's delivery
//! riders, couriers and drivers. ARCHITECTURE.md at the repository root is the map.

pub mod backlight;
pub mod board;
pub mod cli;
pub mod clock;
pub mod config;
pub mod directory;
pub mod emergency;
pub mod entropy;
pub mod fonts;
pub mod health;
pub mod inventory;
pub mod keyboard;
pub mod keypad;
pub mod kiosk;
pub mod language;
pub mod machine;
pub mod mood;
pub mod network;
pub mod printer;
pub mod remote_help;
pub mod screening;
pub mod slip;
pub mod staff;
pub mod station_time;
pub mod status;
pub mod store;
pub mod sync;
pub mod systemd;
pub mod tree_hole;
pub mod ui;
pub mod update;
pub mod usb_stick;

pub use ui::{Kiosk, KioskParts, init};
