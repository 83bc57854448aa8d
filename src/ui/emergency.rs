//! The emergency screen's adapter: the built-in lines in the current language.

use slint::{Global, ModelRc, VecModel};

use super::{AppWindow, EmergencyAdapter, EmergencyLine as UiLine, KioskState};

pub(super) fn render(window: &AppWindow, state: &KioskState) {
    let language = state.session.language;
    let lines: Vec<UiLine> = state
        .emergency_lines
        .iter()
        .map(|line| {
            let text = line.text(language);
            UiLine {
                number: text.number.into(),
                name: text.name.into(),
                when: text.when.into(),
                then: text.then.into(),
                hours: text.hours.into(),
                urgent: text.urgent,
            }
        })
        .collect();
    let adapter = EmergencyAdapter::get(window);
    let current: Vec<UiLine> = slint::Model::iter(&adapter.get_lines()).collect();
    if current != lines {
        adapter.set_lines(ModelRc::new(VecModel::from(lines)));
    }
}
