//! The emergency screen's adapter: the built-in lines in the current language.

use slint::Global;

use super::{AppWindow, EmergencyAdapter, KioskState, line_models, set_if_changed};

pub(super) fn render(window: &AppWindow, state: &KioskState) {
    let adapter = EmergencyAdapter::get(window);
    let lines = line_models(state.emergency_lines.iter(), state.session.language);
    set_if_changed(adapter.get_lines(), lines, |m| adapter.set_lines(m));
}
