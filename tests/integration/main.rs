//! Waystation's integration tests, in one binary so they build once.
//!
//! - `ui`: the kiosk window driven through Slint's testing backend (no display).
//! - `cli`: the `waystation` binary as the field team and scripts use it.
//! - `text`: translations complete, and every character of every string in the embedded font.

mod cli;
mod text;
mod ui;
