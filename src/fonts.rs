//! The kiosk's one embedded copy of each face of its font: the Noto Sans CJK SC subset in
//! `assets/fonts/` (GB2312 level 1 with ASCII, punctuation and every character the kiosk ships;
//! `make-subset.py` makes it).
//!
//! The screens and the printed slip use the same bytes. Slint would embed its own copy of any
//! font a `.slint` file imports, so the window imports none: `ui::init` registers these faces
//! with Slint's font collection at run time instead, and the slip's renderer parses the regular
//! face from here. The faces are stored xz-compressed (3.6 MB of font is 2.2 MB in the binary)
//! and unpacked once per process, the first time one is asked for; the Pi's package must stay
//! under 15 MB (docs/benchmarks.md).
//!
//! A leaf: it imports nothing of the kiosk, and both the pure `slip` and the `ui` adapters may
//! use it.

use std::sync::OnceLock;

static REGULAR_XZ: &[u8] = include_bytes!("../assets/fonts/NotoSansCJKsc-Regular-subset.otf.xz");
static BOLD_XZ: &[u8] = include_bytes!("../assets/fonts/NotoSansCJKsc-Bold-subset.otf.xz");

/// The family name both faces carry; `ui/app-window.slint` asks for it as its
/// `default-font-family`.
pub const FAMILY: &str = "Noto Sans CJK SC";

/// The regular face: body text on screen and everything printed on a slip.
pub fn regular() -> &'static [u8] {
    static FACE: OnceLock<Vec<u8>> = OnceLock::new();
    FACE.get_or_init(|| unpack(REGULAR_XZ))
}

/// The bold face: headings and buttons on screen.
pub fn bold() -> &'static [u8] {
    static FACE: OnceLock<Vec<u8>> = OnceLock::new();
    FACE.get_or_init(|| unpack(BOLD_XZ))
}

/// Unpacks an embedded face. The input is fixed at build time and every test run unpacks both
/// faces (`tests::both_faces_unpack_to_fonts`), so a failure here is a broken build, never
/// something a kiosk in the field can meet.
fn unpack(xz: &[u8]) -> Vec<u8> {
    let mut face = Vec::with_capacity(xz.len() * 2);
    lzma_rs::xz_decompress(&mut std::io::Cursor::new(xz), &mut face)
        .expect("the embedded font unpacks (checked by the fonts tests)");
    face
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both faces unpack to OpenType fonts with CFF outlines ("OTTO"), of the sizes the subset
    /// script writes, and each call hands out the same bytes rather than unpacking again.
    #[test]
    fn both_faces_unpack_to_fonts() {
        for face in [regular(), bold()] {
            assert_eq!(&face[..4], b"OTTO");
            assert!(face.len() > 1_500_000, "{} bytes", face.len());
        }
        assert_eq!(regular().as_ptr(), regular().as_ptr());
        assert_ne!(regular(), bold());
    }
}
