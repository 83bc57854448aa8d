//! The privacy page's adapter. Its sentences are the data inventory's (`crate::inventory`), in
//! the session's language with the station's idle time filled in, so the page can only say
//! what the inventory says; the column headings are translated in `ui/screens/about.slint`.

use slint::{Global, SharedString};

use super::{AboutAdapter, AppWindow, KioskState, PointKind, PrivacyPoint, set_if_changed};
use crate::inventory::{self, Column};

pub(super) fn render(window: &AppWindow, state: &KioskState) {
    let adapter = AboutAdapter::get(window);
    adapter.set_version(env!("CARGO_PKG_VERSION").into());
    let idle_seconds = u64::from(state.config.kiosk.idle_seconds.0);
    let mut promise = Vec::new();
    let mut points = Vec::new();
    for (column, text) in inventory::about_points(state.session.language, idle_seconds) {
        let kind = match column {
            Column::Never => PointKind::Never,
            Column::Kept => PointKind::Kept,
            Column::Leaves => PointKind::Leaves,
            Column::Promise => {
                promise.push(text);
                continue;
            }
        };
        points.push(PrivacyPoint {
            text: text.into(),
            kind,
        });
    }
    // Chinese sentences run on without a space; English ones take one.
    let promise = SharedString::from(promise.join(state.session.language.pick("", " ")));
    if adapter.get_promise() != promise {
        adapter.set_promise(promise);
    }
    set_if_changed(adapter.get_points(), points, |m| adapter.set_points(m));
}
