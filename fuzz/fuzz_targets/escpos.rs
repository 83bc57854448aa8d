//! The ESC/POS decoder the tests read print jobs back with: any bytes decode to an image or
//! give an error naming the byte, and every image survives encoding and decoding unchanged.

#![no_main]

use libfuzzer_sys::fuzz_target;
use waystation::slip::escpos;
use waystation::slip::layout::Bitmap;

fuzz_target!(|data: &[u8]| {
    let Some((&choice, job)) = data.split_first() else {
        return;
    };
    // The two printer widths the kiosk drives, and any other from the input.
    let width = match choice % 3 {
        0 => 384,
        1 => 576,
        _ => u32::from(choice),
    };
    let _ = escpos::decode(job, width);

    // The input as an image of that width: encode, decode, compare.
    let mut image = Bitmap::new(width, 0);
    image.push_rows(job);
    let back = escpos::decode(&escpos::encode(&image), width).expect("an encoded job decodes");
    // Blank rows at the bottom become feed, which is not part of the image read back.
    let mut trimmed = image.clone();
    trimmed.trim_bottom();
    assert_eq!(back, trimmed);
});
