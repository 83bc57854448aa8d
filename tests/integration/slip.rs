//! The referral slip: the printed bytes decode back to the rendered image, the QR code reads
//! back with a real decoder, and the command line makes both without a display.

use waystation::kiosk::Language;
use waystation::slip::{Slip, SlipLine, SlipText, escpos, layout};

fn demo(crisis: bool, lang: Language) -> Slip {
    Slip::demo(lang, "示例驿站（演示）", crisis)
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

/// Reads the QR code on a rendered slip with rqrr, as a phone camera would read the paper: its
/// text, and the row of its top edge.
fn read_qr_at(image: &layout::Bitmap) -> (String, u32) {
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
    let top = grids[0].bounds.iter().map(|p| p.y).min().unwrap();
    (content, top as u32)
}

fn read_qr(image: &layout::Bitmap) -> String {
    read_qr_at(image).0
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

/// A slip with `n` chosen services, numbered, the last one named `last`.
fn with_services(n: usize, last: &str) -> Slip {
    let mut slip = demo(false, Language::English);
    slip.services = (1..=n)
        .map(|i| SlipLine {
            number: format!("400-000-{i:04}"),
            name: if i == n {
                last.to_string()
            } else {
                format!("Service {i}")
            },
            note: "Mon-Fri 09:00-17:00".into(),
        })
        .collect();
    slip
}

/// The first row at which two images differ, and the last.
fn rows_differing(a: &layout::Bitmap, b: &layout::Bitmap, below: u32) -> Option<(u32, u32)> {
    let rows = (0..below.min(a.height()).min(b.height())).filter(|y| a.row(*y) != b.row(*y));
    let found: Vec<u32> = rows.collect();
    Some((*found.first()?, *found.last()?))
}

#[test]
fn a_slip_with_forty_services_is_printed_whole() {
    let words = SlipText::builtin();
    let image = |n, last| layout::render(&with_services(n, last), &words, 576);
    let (forty, thirty_nine) = (image(40, "Last service"), image(39, "Service 39"));
    // The slip grows by one service's height, past the 6000 rows a slip once had to fit in.
    let entry = forty.height() - thirty_nine.height();
    assert!(entry > 100, "a service takes {entry} dots");
    assert!(forty.height() > 6000, "{} rows", forty.height());
    // The two slips are the same down to where the fortieth service begins.
    let (starts, _) = rows_differing(&forty, &thirty_nine, u32::MAX).unwrap();
    assert!(
        starts > 39 * entry,
        "the 40th service starts at row {starts}"
    );
    // The fortieth service's name is on the paper, in its place: another name changes those
    // rows (and the QR code), nothing else.
    let (content, qr_top) = read_qr_at(&forty);
    let renamed = image(40, "Final entry");
    let (first, last) = rows_differing(&forty, &renamed, qr_top).expect("the name is drawn");
    assert!(
        starts <= first && last < starts + entry,
        "rows {first}..={last}, the service at {starts}..{}",
        starts + entry
    );
    // The QR code below all of them reads back whole, with the last service in it.
    assert_eq!(content, with_services(40, "Last service").qr_text(&words));
    assert!(content.contains("400-000-0040 Last service"), "{content}");
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

mod on_screen {
    use std::time::{Duration, Instant};

    use slint::Global;
    use waystation::printer::{FakeBehaviour, FakePrinter};
    use waystation::store;
    use waystation::ui::{Screen as UiScreen, SlipAdapter, SlipPrintState};

    use crate::ui::{kiosk_with_fake_printer, said_by, shown, touch, visible, visible_id, wait};

    /// Lets the printing thread finish and the UI's tick take its outcome in.
    fn settle(kiosk: &waystation::Kiosk, clock: &waystation::clock::FakeClock) -> SlipPrintState {
        let start = Instant::now();
        loop {
            wait(clock, Duration::from_millis(250));
            let state = SlipAdapter::get(kiosk.window()).get_state();
            if state != SlipPrintState::Printing || start.elapsed() > Duration::from_secs(10) {
                return state;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// The `printer_fault` records: the printer's status and the reason, nothing of the slip.
    fn faults(dir: &tempfile::TempDir) -> Vec<serde_json::Value> {
        let conn = rusqlite::Connection::open(dir.path().join(store::DB_FILE)).unwrap();
        let mut stmt = conn
            .prepare("SELECT payload FROM outbox WHERE kind = 'printer_fault' ORDER BY seq")
            .unwrap();
        stmt.query_map([], |r| r.get::<_, Vec<u8>>(0))
            .unwrap()
            .map(|p| serde_json::from_slice(&p.unwrap()).unwrap())
            .collect()
    }

    fn count(dir: &tempfile::TempDir, what: &str) -> u64 {
        crate::ui::day_counts(dir.path())
            .get(what)
            .copied()
            .unwrap_or(0)
    }

    /// Every byte of the kiosk's files: the database and its WAL.
    fn disk(dir: &tempfile::TempDir) -> Vec<u8> {
        let mut bytes = Vec::new();
        for entry in std::fs::read_dir(dir.path()).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                bytes.extend(std::fs::read(path).unwrap());
            }
        }
        bytes
    }

    fn slip_code(kiosk: &waystation::Kiosk) -> String {
        kiosk.session().slip.slip.as_ref().unwrap().code.clone()
    }

    /// Through the PHQ-9 with item 9 answered, to the crisis screen, to the slip.
    fn crisis_slip(kiosk: &waystation::Kiosk) {
        touch(kiosk, "点击开始");
        touch(kiosk, "心理自测");
        touch(kiosk, "开始");
        touch(kiosk, "心情低落");
        for _ in 0..8 {
            touch(kiosk, "完全不会");
        }
        touch(kiosk, "好几天");
        assert_eq!(shown(kiosk), UiScreen::Crisis);
        touch(kiosk, "带走这些号码");
        assert_eq!(shown(kiosk), UiScreen::Slip);
        assert!(visible_id(kiosk, "SlipScreen::qr"));
    }

    #[test]
    fn a_ready_printer_prints_the_crisis_slip_and_it_is_recorded_without_answers() {
        let printer = FakePrinter::new(FakeBehaviour::Ready);
        let (kiosk, clock, dir) = kiosk_with_fake_printer(&printer);
        crisis_slip(&kiosk);
        touch(&kiosk, "打印纸条");
        assert_eq!(settle(&kiosk, &clock), SlipPrintState::Printed);
        let image = waystation::slip::escpos::decode(&printer.received(), 384).unwrap();
        assert!(
            image.height() > 1000,
            "a crisis slip with its safety plan is long"
        );
        // Counted for the day: one crisis slip and the lines it carried. Its number is kept
        // nowhere, and no record of it waits to be sent.
        assert_eq!(count(&dir, "slip crisis"), 1);
        assert_eq!(count(&dir, "slip_entry 12356"), 1);
        assert_eq!(count(&dir, "slip_entry 12351"), 1);
        assert_eq!(crate::ui::outbox_kinds(dir.path()), Vec::<String>::new());
        let code = slip_code(&kiosk);
        let bytes = disk(&dir);
        assert!(!bytes.windows(code.len()).any(|w| w == code.as_bytes()));
        // Printed once: the button is gone, so the same slip is not printed twice by accident.
        assert!(!visible(&kiosk, "打印纸条"));
    }

    #[test]
    fn paper_out_tells_the_worker_and_sends_nothing() {
        let printer = FakePrinter::new(FakeBehaviour::PaperOut);
        let (kiosk, clock, dir) = kiosk_with_fake_printer(&printer);
        crisis_slip(&kiosk);
        touch(&kiosk, "打印纸条");
        assert_eq!(settle(&kiosk, &clock), SlipPrintState::NoPaper);
        assert_eq!(
            said_by(&kiosk, "SlipScreen::print-state"),
            "打印机没纸了。请用手机扫描二维码，或拍下这个屏幕。"
        );
        assert!(printer.received().is_empty());
        assert_eq!(
            faults(&dir),
            [serde_json::json!({"status": "paper out", "reason": "paper out"})]
        );
        assert_eq!(count(&dir, "slip crisis"), 0);
        // The slip is still on screen to scan.
        assert!(visible_id(&kiosk, "SlipScreen::qr"));
    }

    fn not_printed(behaviour: FakeBehaviour, status: &str) {
        let printer = FakePrinter::new(behaviour);
        let (kiosk, clock, dir) = kiosk_with_fake_printer(&printer);
        crisis_slip(&kiosk);
        touch(&kiosk, "打印纸条");
        assert_eq!(
            settle(&kiosk, &clock),
            SlipPrintState::NotPrinted,
            "{behaviour:?}"
        );
        assert_eq!(faults(&dir).len(), 1);
        assert_eq!(faults(&dir)[0]["status"], status);
        assert_eq!(count(&dir, "slip crisis"), 0);
        // A failed job is offered again only when the worker asks; it is never resent on its
        // own.
        wait(&clock, Duration::from_secs(30));
        assert_eq!(faults(&dir).len(), 1);
        assert!(visible(&kiosk, "打印纸条"));
    }

    #[test]
    fn cover_open_is_not_printed() {
        not_printed(FakeBehaviour::CoverOpen, "cover open");
    }

    #[test]
    fn a_printer_that_stops_answering_mid_job_is_not_printed() {
        not_printed(FakeBehaviour::StopsAfter(2000), "unknown");
    }

    #[test]
    fn a_printer_that_cannot_answer_is_unknown_and_the_worker_is_told_to_check() {
        let printer = FakePrinter::new(FakeBehaviour::Silent);
        let (kiosk, clock, dir) = kiosk_with_fake_printer(&printer);
        crisis_slip(&kiosk);
        touch(&kiosk, "打印纸条");
        assert_eq!(settle(&kiosk, &clock), SlipPrintState::Sent);
        assert!(!printer.received().is_empty());
        // Sent, so counted; the printer's status stays unknown, and that is no fault.
        assert_eq!(count(&dir, "slip crisis"), 1);
        assert!(faults(&dir).is_empty());
    }

    #[test]
    fn without_a_printer_the_slip_is_on_screen_only() {
        let (kiosk, _) = crate::ui::kiosk();
        touch(&kiosk, "点击开始");
        touch(&kiosk, "马上求助");
        touch(&kiosk, "带走这些号码");
        assert_eq!(shown(&kiosk), UiScreen::Slip);
        assert!(visible_id(&kiosk, "SlipScreen::qr"));
        assert!(!visible(&kiosk, "打印纸条"));
        touch(&kiosk, "快速隐藏：清除全部内容并离开");
        assert!(kiosk.session().is_fresh());
    }

    #[test]
    fn a_slip_taken_before_a_crisis_becomes_a_crisis_slip_after_it() {
        let printer = FakePrinter::new(FakeBehaviour::Ready);
        let (kiosk, clock, dir) = kiosk_with_fake_printer(&printer);
        touch(&kiosk, "点击开始");
        touch(&kiosk, "马上求助");
        touch(&kiosk, "带走这些号码");
        touch(&kiosk, "打印纸条");
        assert_eq!(settle(&kiosk, &clock), SlipPrintState::Printed);
        let first = slip_code(&kiosk);
        touch(&kiosk, "首页");
        touch(&kiosk, "心理自测");
        touch(&kiosk, "开始");
        touch(&kiosk, "心情低落");
        for _ in 0..8 {
            touch(&kiosk, "完全不会");
        }
        touch(&kiosk, "几乎每天");
        touch(&kiosk, "带走这些号码");
        assert!(
            visible(&kiosk, "打印纸条"),
            "the crisis slip may be printed too"
        );
        touch(&kiosk, "打印纸条");
        assert_eq!(settle(&kiosk, &clock), SlipPrintState::Printed);
        assert_eq!(
            (count(&dir, "slip normal"), count(&dir, "slip crisis")),
            (1, 1)
        );
        assert_eq!(slip_code(&kiosk), first, "one visit, one slip number");
    }
}
