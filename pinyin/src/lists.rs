//! The word lists built into the crate (data/README.md says where they come from).

/// The Android PinyinIME list's GB2312 entries, xz-compressed: 470 KB in the binary instead
/// of 1.7 MB.
static AOSP_XZ: &[u8] = include_bytes!("../data/aosp-rawdict-gb2312.tsv.xz");

/// Our own words for delivery work that the 2009 list lacks.
pub const SUPPLEMENT: &str = include_str!("../data/supplement.tsv");

/// The Android list, unpacked: `word<TAB>syllables<TAB>frequency` lines. Unpacked afresh on
/// each call; [`crate::Engine::builtin`] does it once.
pub fn aosp() -> String {
    let mut text = Vec::with_capacity(AOSP_XZ.len() * 4);
    // The bytes are fixed at build time and every test run unpacks them, so a failure here is
    // a broken build, never something a kiosk in the field can meet.
    lzma_rs::xz_decompress(&mut std::io::Cursor::new(AOSP_XZ), &mut text)
        .expect("the built-in list unpacks (checked by the tests)");
    String::from_utf8(text).expect("the built-in list is UTF-8 (checked by the tests)")
}
