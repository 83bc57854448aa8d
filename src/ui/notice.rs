//! The adapter of the notice before a self-check, for what it says about data: the data
//! inventory's notice sentences (`crate::inventory::notice_sentences`) in the session's
//! language. The rest of the notice is translated in `ui/screens/check-notice.slint`.

use slint::{Global, SharedString};

use super::{AppWindow, KioskState, NoticeAdapter, set_if_changed};
use crate::inventory;

pub(super) fn render(window: &AppWindow, state: &KioskState) {
    let adapter = NoticeAdapter::get(window);
    let idle_seconds = u64::from(state.config.kiosk.idle_seconds.0);
    let lines: Vec<SharedString> =
        inventory::notice_sentences(state.session.language, idle_seconds)
            .into_iter()
            .map(SharedString::from)
            .collect();
    set_if_changed(adapter.get_privacy(), lines, |m| adapter.set_privacy(m));
}
