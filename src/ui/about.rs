//! The about/privacy screen's adapter. The privacy text itself is in `ui/screens/about.slint`
//! (translated there); this fills in the facts: the version. The idle time and station name
//! come from the shell.

use slint::Global;

use super::{AboutAdapter, AppWindow, KioskState};

pub(super) fn render(window: &AppWindow, _state: &KioskState) {
    AboutAdapter::get(window).set_version(env!("CARGO_PKG_VERSION").into());
}
