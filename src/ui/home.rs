//! The home screen's adapter: which tiles exist, and where each leads.

use std::cell::RefCell;
use std::rc::Rc;

use slint::{ComponentHandle, Global};

use super::{AppWindow, HomeAdapter, KioskState, TileKind};
use crate::kiosk::Screen;

/// The tiles of the built capabilities, in order. A capability adds its tile kind here (and
/// its look in `ui/screens/home.slint`) when it is built, never before.
fn tiles(_state: &KioskState) -> Vec<TileKind> {
    vec![
        TileKind::Mood,
        TileKind::Check,
        TileKind::Writing,
        TileKind::Resources,
        TileKind::Emergency,
        TileKind::About,
    ]
}

fn destination(tile: TileKind) -> Screen {
    match tile {
        TileKind::Mood => Screen::MoodFeel,
        TileKind::Check => Screen::CheckNotice,
        TileKind::Writing => Screen::Writing,
        TileKind::Resources => Screen::Resources,
        TileKind::Emergency => Screen::Emergency,
        TileKind::About => Screen::About,
    }
}

pub(super) fn connect(window: &AppWindow, state: &Rc<RefCell<KioskState>>) {
    let weak = window.as_weak();
    let state = state.clone();
    HomeAdapter::get(window).on_open_tile(move |tile| {
        super::runtime::update(&weak, &state, |st| {
            super::runtime::open(st, destination(tile))
        });
    });
}

pub(super) fn render(window: &AppWindow, state: &KioskState) {
    let adapter = HomeAdapter::get(window);
    super::set_if_changed(adapter.get_tiles(), tiles(state), |m| adapter.set_tiles(m));
}
