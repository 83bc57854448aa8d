//! The home screen's adapter: which tiles exist, and where each leads.

use std::cell::RefCell;
use std::rc::Rc;

use slint::{ComponentHandle, Global, ModelRc, VecModel};

use super::{AppWindow, HomeAdapter, KioskState, TileKind};
use crate::kiosk::Screen;

/// The tiles of the built capabilities, in order. A capability adds its tile kind here (and
/// its look in `ui/screens/home.slint`) when it is built, never before.
fn tiles(_state: &KioskState) -> Vec<TileKind> {
    vec![TileKind::Emergency, TileKind::About]
}

fn destination(tile: TileKind) -> Screen {
    match tile {
        TileKind::Emergency => Screen::Emergency,
        TileKind::About => Screen::About,
    }
}

pub(super) fn connect(window: &AppWindow, state: &Rc<RefCell<KioskState>>) {
    let weak = window.as_weak();
    let state = state.clone();
    HomeAdapter::get(window).on_open_tile(move |tile| {
        let Some(window) = weak.upgrade() else { return };
        super::shell::open(&mut state.borrow_mut(), destination(tile));
        super::render(&window, &state.borrow());
    });
}

pub(super) fn render(window: &AppWindow, state: &KioskState) {
    let adapter = HomeAdapter::get(window);
    let tiles = tiles(state);
    // Replace the model only when the tiles change, so a render does not rebuild the tiles.
    let current: Vec<TileKind> = slint::Model::iter(&adapter.get_tiles()).collect();
    if current != tiles {
        adapter.set_tiles(ModelRc::new(VecModel::from(tiles)));
    }
}
