//! The crisis screen's adapter: the lines (counselling first, then 120 and 110), asking the
//! station staff, and going on to the result or the remaining questions.

use std::cell::RefCell;
use std::rc::Rc;

use slint::{ComponentHandle, Global};

use super::runtime::update;
use super::{AppWindow, CrisisAdapter, KioskState, line_models, set_if_changed};
use crate::store::counts::Count;
use waystation_protocol::Metric;

pub(super) fn connect(window: &AppWindow, state: &Rc<RefCell<KioskState>>) {
    let adapter = CrisisAdapter::get(window);
    let weak = window.as_weak();
    adapter.on_ask_staff({
        let (w, s) = (weak.clone(), state.clone());
        move || {
            update(&w, &s, |st| {
                if !st.session.staff_asked {
                    st.session.staff_asked = true;
                    super::count(st, &[Count::new(Metric::Crisis, &["asked_staff"])]);
                    super::staff::staff_call(st, "screen");
                }
            })
        }
    });
    adapter.on_go_on({
        let (w, s) = (weak.clone(), state.clone());
        move || update(&w, &s, |st| st.session.go_on_from_crisis())
    });
}

pub(super) fn render(window: &AppWindow, st: &KioskState) {
    let adapter = CrisisAdapter::get(window);
    let counselling = st.emergency_lines.iter().filter(|l| !l.urgent);
    let emergency = st.emergency_lines.iter().filter(|l| l.urgent);
    let lines = line_models(counselling.chain(emergency), st.session.language);
    set_if_changed(adapter.get_lines(), lines, |m| adapter.set_lines(m));
    adapter.set_staff_asked(st.session.staff_asked);
    adapter.set_staff_call_state(super::staff::call_shown(st).0);
    adapter.set_questions_left(st.session.check.running.is_some());
    adapter
        .set_has_result(st.session.check.running.is_none() && st.session.check.latest().is_some());
}
