//! Waystation's integration tests, in one binary so they build once.
//!
//! - `architecture`: the invariants of ARCHITECTURE.md a reading of the source can check.
//! - `backlight`: night dimming: the tick's requests through a night and a visit, and root's
//!   script applying a request to a stand-in for /sys.
//! - `ui`: the kiosk window driven through Slint's testing backend (no display).
//! - `cli`: the `waystation` binary as the field team and scripts use it.
//! - `directory`: the resource directory: list, signed bundles, install and refusals, screens.
//! - `hours_reference`: the kiosk's opening-hours evaluation against the OpenStreetMap
//!   reference library's answers (tests/data/opening-hours-reference.json).
//! - `pipes`: every command that prints, with its standard output closed by its reader.
//! - `mood`: the mood check-in end to end: day counts, personal code, breathing, week view.
//! - `privacy`: a day of 60 visits through the screens, summarised, read raw from the card and
//!   opened at a real hub: one summary of whole days, nothing per visit (issue 16).
//! - `provision`: `waystation provision`: the provision file to config, device key and secrets.
//! - `scoring`: every answer vector of every instrument against an independent formulation.
//! - `selfcheck`: the self-check screens end to end, with the day counts they leave.
//! - `slip`: the slip image, its ESC/POS bytes and its QR code, read back.
//! - `text`: translations complete, and every character of every string in the embedded font.
//! - `usb_stick`: root's `waystation-usb-stick` against a stand-in for /sys and a logging
//!   `mount`: a stick mounted nodev, nosuid, noexec while asked, then unmounted.
//! - `update`: image updates through a real hub: rollouts, a download in parts with a cut,
//!   the check, and root's request files written only while idle.
//! - `writing`: the tree hole (写下来): pinyin, handwriting from recorded strokes, English,
//!   tearing, printing, the help card, and the text found nowhere afterwards.

mod architecture;
mod backlight;
mod cli;
mod directory;
mod faults;
mod hours_reference;
mod mood;
mod pipes;
mod privacy;
mod provision;
mod scoring;
mod selfcheck;
mod slip;
mod staff;
mod sync;
mod text;
mod torture;
mod ui;
mod update;
mod usb_stick;
mod writing;
