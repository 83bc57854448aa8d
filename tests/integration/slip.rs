//! The referral slip: the printed bytes decode back to the rendered image, the QR code reads
//! back with a real decoder, and the command line makes both without a display.

use waystation::kiosk::Language;
use waystation::slip::{Slip, SlipText, escpos, layout};

fn demo(crisis: bool, lang: Language) -> Slip {
    Slip::new(
        lang,
        "示例驿站（演示）",
        Some("2026-11-28 17:30".into()),
        crisis,
        &waystation::kiosk::emergency::builtin(),
        "K7M2QX".into(),
    )
}

#[test]
fn the_escpos_job_decodes_to_exactly_the_rendered_image() {
    for width in layout::WIDTHS {
        for crisis in [false, true] {
            let image = layout::render(
                &demo(crisis, Language::Chinese),
                &SlipText::builtin(),
                width,
            );
            let job = escpos::encode(&image);
            let back = escpos::decode(&job, width).unwrap();
            assert_eq!(back, image, "width {width}, crisis {crisis}");
            // No needless rows: the job is well under the raw size of the image.
            let raw = image.bytes_per_row() * image.height() as usize;
            assert!(job.len() < raw, "{} bytes for {raw} raw", job.len());
        }
    }
}

/// Reads the QR code on a rendered slip with rqrr, as a phone camera would read the paper.
fn read_qr(image: &layout::Bitmap) -> String {
    let (w, h) = (image.width() as usize, image.height() as usize);
    let mut grid = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| {
        if image.get(x as u32, y as u32) {
            0
        } else {
            255
        }
    });
    let grids = grid.detect_grids();
    assert_eq!(grids.len(), 1, "expected one QR code on the slip");
    let (_, content) = grids[0].decode().expect("the QR code decodes");
    content
}

#[test]
fn the_qr_code_reads_back_with_the_lines_in_it() {
    for (lang, width) in [(Language::Chinese, 384), (Language::English, 576)] {
        let slip = demo(false, lang);
        let image = layout::render(&slip, &SlipText::builtin(), width);
        let content = read_qr(&image);
        assert_eq!(content, slip.qr_text(&SlipText::builtin()));
        for number in ["12356", "12351", "120", "110", "K7M-2QX"] {
            assert!(content.contains(number), "{content}");
        }
    }
}

#[test]
fn the_command_line_writes_a_png_and_the_escpos_bytes_headlessly() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("slip.png");
    let bin = dir.path().join("slip.bin");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_waystation"))
        .args([
            "slip",
            "--demo",
            "--crisis",
            "--width",
            "576",
            "--png",
            png.to_str().unwrap(),
            "--escpos",
            bin.to_str().unwrap(),
        ])
        .env_remove("DISPLAY")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let job = std::fs::read(&bin).unwrap();
    let image = escpos::decode(&job, 576).unwrap();
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&png).unwrap()));
    let reader = decoder.read_info().unwrap();
    assert_eq!(
        (reader.info().width, reader.info().height),
        (576, image.height())
    );
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_waystation"))
        .args([
            "slip",
            "--demo",
            "--width",
            "500",
            "--png",
            png.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}
