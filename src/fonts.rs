//! The kiosk's one embedded copy of each face of its font: the Noto Sans CJK SC subset in
//! `assets/fonts/` (GB2312 level 1 with ASCII and punctuation; `make-subset.py` makes it).
//!
//! The screens and the printed slip use the same bytes. Slint would embed its own copy of any
//! font a `.slint` file imports, so the window imports none: `ui::init` registers these faces
//! with Slint's font collection at run time instead, and the slip's renderer parses the regular
//! face from here. One copy each keeps 1.8 MB out of the Pi's binary (docs/benchmarks.md).
//!
//! A leaf: it imports nothing, and both the pure `slip` and the `ui` adapters may use it.

/// The regular face: body text on screen and everything printed on a slip.
pub static REGULAR: &[u8] = include_bytes!("../assets/fonts/NotoSansCJKsc-Regular-subset.otf");

/// The bold face: headings and buttons on screen.
pub static BOLD: &[u8] = include_bytes!("../assets/fonts/NotoSansCJKsc-Bold-subset.otf");

/// The family name both faces carry; `ui/app-window.slint` asks for it as its
/// `default-font-family`.
pub const FAMILY: &str = "Noto Sans CJK SC";
