//! The tree hole (写下来) driven as a worker would: pinyin, handwriting drawn from recorded
//! strokes, English, tearing, printing on a fake printer, the help card; and afterwards the
//! text looked for, and not found, in every file under the data directory, every outbox row
//! and every log line the process wrote.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use i_slint_backend_testing::ElementHandle;
use slint::platform::{PointerEventButton, WindowEvent};
use slint::{ComponentHandle, Global, LogicalPosition, Model};
use waystation::kiosk::Language;
use waystation::printer::{FakeBehaviour, FakePrinter};
use waystation::slip::{PageSlip, SlipText, escpos, layout};
use waystation::ui::{PagePrint, Screen as UiScreen, WritingAdapter};

use crate::ui::{day_counts, kiosk_with_fake_printer, shown, touch, visible, wait};

/// Every log line of this test process, at every level and from every thread (the printing
/// and recognition threads included), kept in memory for the tests to search.
fn log() -> Arc<Mutex<Vec<u8>>> {
    static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOG.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let sink = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || LogSink(sink.clone()))
            .finish();
        tracing::subscriber::set_global_default(subscriber)
            .expect("no other test sets the global log subscriber");
        // Lines from other threads (printing, recognition) are caught too.
        std::thread::spawn(|| tracing::debug!("log capture for the tree hole's tests"))
            .join()
            .unwrap();
        assert!(
            String::from_utf8_lossy(&buffer.lock().unwrap()).contains("log capture"),
            "the capture sees other threads' lines"
        );
        buffer
    })
    .clone()
}

struct LogSink(Arc<Mutex<Vec<u8>>>);

impl Write for LogSink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let mut log = self.0.lock().unwrap_or_else(|e| e.into_inner());
        log.extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A kiosk with its store on disk, a fitted printer (the fake one given), logging to `log()`;
/// at the writing screen, in Chinese.
fn at_the_page(
    printer: &FakePrinter,
) -> (
    waystation::Kiosk,
    waystation::clock::FakeClock,
    tempfile::TempDir,
) {
    log();
    let (kiosk, clock, dir) = kiosk_with_fake_printer(printer);
    touch(&kiosk, "点击开始");
    touch(&kiosk, "写下来");
    assert_eq!(shown(&kiosk), UiScreen::Writing);
    (kiosk, clock, dir)
}

/// The visit ends (quick hide) and a new one opens the page again.
fn next_visit(kiosk: &waystation::Kiosk) {
    touch(kiosk, "快速隐藏：清除全部内容并离开");
    assert_eq!(shown(kiosk), UiScreen::Attract);
    touch(kiosk, "点击开始");
    touch(kiosk, "写下来");
}

fn adapter(kiosk: &waystation::Kiosk) -> WritingAdapter<'_> {
    WritingAdapter::get(kiosk.window())
}

fn page(kiosk: &waystation::Kiosk) -> String {
    adapter(kiosk).get_text().to_string()
}

/// Presses the keys that show these letters or marks, one by one.
fn type_keys(kiosk: &waystation::Kiosk, keys: &str) {
    for key in keys.chars() {
        touch(kiosk, &key.to_string());
    }
}

/// Types pinyin letters and picks `word` from the candidate bar (turning its pages if needed).
fn type_word(kiosk: &waystation::Kiosk, letters: &str, word: &str) {
    type_keys(kiosk, letters);
    let mut pages = 0;
    while !visible(kiosk, word) {
        assert!(
            adapter(kiosk).get_has_next() && pages < 5,
            "'{word}' is not offered for '{letters}'"
        );
        touch(kiosk, "更多候选");
        pages += 1;
    }
    touch(kiosk, word);
}

#[test]
fn pinyin_picks_words_and_punctuation_settles_the_rest() {
    let (kiosk, _, _dir) = at_the_page(&FakePrinter::new(FakeBehaviour::Ready));
    type_keys(&kiosk, "xiangjia");
    assert_eq!(adapter(&kiosk).get_composing(), "xiangjia");
    touch(&kiosk, "想家");
    assert_eq!(page(&kiosk), "想家");
    assert_eq!(adapter(&kiosk).get_composing(), "");
    // A sentence: words picked, the first candidate taken with space, punctuation.
    touch(&kiosk, "，");
    type_word(&kiosk, "jintian", "今天");
    type_word(&kiosk, "hen", "很");
    type_keys(&kiosk, "lei");
    let first = adapter(&kiosk).get_candidates().row_data(0).unwrap();
    touch(&kiosk, "空格");
    touch(&kiosk, "。");
    assert_eq!(page(&kiosk), format!("想家，今天很{first}。"));
    // Delete takes back a letter of the composition first, then the page's characters.
    type_keys(&kiosk, "ma");
    touch(&kiosk, "删除");
    assert_eq!(adapter(&kiosk).get_composing(), "m");
    touch(&kiosk, "删除");
    touch(&kiosk, "删除");
    assert_eq!(page(&kiosk), format!("想家，今天很{first}"));
}

#[test]
fn fuzzy_pinyin_is_a_switch_on_the_bar_and_off_for_the_next_visitor() {
    let (kiosk, _, _dir) = at_the_page(&FakePrinter::new(FakeBehaviour::Ready));
    // Exact pinyin: zong is not zhong.
    type_keys(&kiosk, "zongguo");
    assert!(!visible(&kiosk, "中国"));
    assert!(
        !visible(&kiosk, "模糊音：关"),
        "the switch makes room while composing"
    );
    touch(&kiosk, "换行");
    assert_eq!(page(&kiosk), "zongguo");
    touch(&kiosk, "模糊音：关");
    assert!(visible(&kiosk, "模糊音：开"));
    type_word(&kiosk, "zongguo", "中国");
    type_word(&kiosk, "lihao", "你好");
    assert_eq!(page(&kiosk), "zongguo中国你好");
    // The next visit starts with exact pinyin again.
    next_visit(&kiosk);
    assert!(visible(&kiosk, "模糊音：关"));
}

/// The stroke medians of `character` from the handwriting crate's recorded data (1024 units,
/// y up, baseline at 900).
fn strokes_of(character: &str) -> Vec<Vec<(f32, f32)>> {
    let all: serde_json::Value =
        serde_json::from_str(include_str!("../../handwriting/tests/data/medians.json")).unwrap();
    serde_json::from_value(all[character].clone()).unwrap()
}

/// Draws `character` on the handwriting pad with a finger: a press, moves and a release for
/// each stroke, at the pad's place in the window.
fn draw(kiosk: &waystation::Kiosk, character: &str) {
    let pad: Vec<ElementHandle> =
        ElementHandle::find_by_accessible_label(kiosk.window(), "手写板").collect();
    assert_eq!(pad.len(), 1, "one handwriting pad on screen");
    let (origin, size) = (pad[0].absolute_position(), pad[0].size());
    let side = size.width.min(size.height) * 0.9;
    let at = |(x, y): (f32, f32)| {
        LogicalPosition::new(
            origin.x + (size.width - side) / 2.0 + x / 1024.0 * side,
            origin.y + (size.height - side) / 2.0 + (900.0 - y) / 1024.0 * side,
        )
    };
    let window = kiosk.window().window();
    let button = PointerEventButton::Left;
    for stroke in strokes_of(character) {
        window.dispatch_event(WindowEvent::PointerPressed {
            position: at(stroke[0]),
            button,
        });
        for &point in &stroke[1..] {
            window.dispatch_event(WindowEvent::PointerMoved {
                position: at(point),
            });
        }
        let last = at(*stroke.last().unwrap());
        window.dispatch_event(WindowEvent::PointerReleased {
            position: last,
            button,
        });
    }
    kiosk.settle();
}

#[test]
fn handwritten_characters_come_up_as_candidates_and_go_onto_the_page() {
    let (kiosk, _, _dir) = at_the_page(&FakePrinter::new(FakeBehaviour::Ready));
    touch(&kiosk, "手写");
    assert!(adapter(&kiosk).get_handwriting());
    for character in ["想", "家", "大"] {
        draw(&kiosk, character);
        assert_eq!(
            adapter(&kiosk).get_handwriting_missing(),
            "",
            "zinnia and its model are installed (README)"
        );
        assert!(
            adapter(&kiosk).get_ink() != "",
            "the strokes show on the pad"
        );
        let offered: Vec<String> = adapter(&kiosk)
            .get_candidates()
            .iter()
            .map(|c| c.to_string())
            .collect();
        assert!(
            offered.contains(&character.to_string()),
            "{character} not among {offered:?}"
        );
        touch(&kiosk, character);
        assert_eq!(
            adapter(&kiosk).get_ink(),
            "",
            "a chosen character clears the pad"
        );
    }
    assert_eq!(page(&kiosk), "想家大");
    // Rewrite gives the strokes up without a character.
    draw(&kiosk, "一");
    touch(&kiosk, "重写");
    assert_eq!(adapter(&kiosk).get_ink(), "");
    assert_eq!(adapter(&kiosk).get_candidates().iter().count(), 0);
    assert_eq!(page(&kiosk), "想家大");
}

#[test]
fn the_english_layout_types_letters_with_shift_and_tearing_leaves_nothing() {
    let (kiosk, clock, dir) = at_the_page(&FakePrinter::new(FakeBehaviour::Ready));
    touch(&kiosk, "ABC");
    touch(&kiosk, "大写");
    type_keys(&kiosk, "I");
    touch(&kiosk, "空格");
    type_keys(&kiosk, "miss");
    touch(&kiosk, "空格");
    type_keys(&kiosk, "home");
    touch(&kiosk, "123");
    type_keys(&kiosk, "2");
    assert_eq!(page(&kiosk), "I miss home2");
    touch(&kiosk, "删除");
    touch(&kiosk, "收起键盘");
    touch(&kiosk, "撕掉");
    assert!(
        adapter(&kiosk).get_tearing(),
        "the page is torn up on screen"
    );
    assert_eq!(page(&kiosk), "");
    wait(&clock, Duration::from_secs(2));
    assert!(!adapter(&kiosk).get_tearing());
    let counts = day_counts(dir.path());
    assert_eq!(counts.get("writing torn"), Some(&1));
    nowhere(&dir, "I miss home");
}

/// Waits for the printing thread and the tick that takes its outcome in.
fn printed(kiosk: &waystation::Kiosk, clock: &waystation::clock::FakeClock) -> PagePrint {
    let start = Instant::now();
    loop {
        wait(clock, Duration::from_millis(250));
        let state = adapter(kiosk).get_print_state();
        if state != PagePrint::Printing || start.elapsed() > Duration::from_secs(10) {
            return state;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn a_printed_page_holds_the_text_and_one_line_and_then_the_text_is_nowhere() {
    let printer = FakePrinter::new(FakeBehaviour::Ready);
    let (kiosk, clock, dir) = at_the_page(&printer);
    type_word(&kiosk, "xiangjia", "想家");
    touch(&kiosk, "，");
    type_word(&kiosk, "jintian", "今天");
    touch(&kiosk, "。");
    let text = page(&kiosk);
    assert_eq!(text, "想家，今天。");
    touch(&kiosk, "收起键盘");
    touch(&kiosk, "打印给自己");
    assert_eq!(printed(&kiosk, &clock), PagePrint::Printed);
    // The paper is exactly the page's layout of the text and the 12356 line: nothing else
    // (no station, no time, no number) is drawn, because nothing else is given to it.
    let expected = PageSlip::new(
        Language::Chinese,
        &text,
        &waystation::emergency::builtin(),
        &SlipText::builtin(),
    )
    .unwrap();
    assert_eq!(expected.line.number, "12356");
    let paper = escpos::decode(&printer.received(), 384).unwrap();
    assert_eq!(paper, layout::render_page(&expected, 384));
    let other = PageSlip {
        text: "想家".into(),
        ..expected.clone()
    };
    assert_ne!(paper, layout::render_page(&other, 384), "the text is drawn");
    // The page is gone from the screen and counted as printed.
    assert_eq!(page(&kiosk), "");
    assert_eq!(day_counts(dir.path()).get("writing printed"), Some(&1));
    nowhere(&dir, &text);
    nowhere(&dir, "想家");
}

#[test]
fn a_page_that_did_not_print_stays_with_the_reason_and_is_not_counted_as_printed() {
    let printer = FakePrinter::new(FakeBehaviour::PaperOut);
    let (kiosk, clock, dir) = at_the_page(&printer);
    type_word(&kiosk, "xiangjia", "想家");
    touch(&kiosk, "收起键盘");
    touch(&kiosk, "打印给自己");
    assert_eq!(printed(&kiosk, &clock), PagePrint::NoPaper);
    assert!(visible(&kiosk, "打印机没纸了。你写的还在这里。"));
    assert_eq!(page(&kiosk), "想家");
    assert!(printer.received().is_empty());
    assert_eq!(day_counts(dir.path()).get("writing printed"), None);
    // The printer fault is recorded (outbox), without the page; tearing up ends it as usual.
    let kinds = crate::ui::outbox_kinds(dir.path());
    assert!(kinds.iter().any(|k| k == "printer_fault"), "{kinds:?}");
    touch(&kiosk, "撕掉");
    assert_eq!(page(&kiosk), "");
    assert_eq!(day_counts(dir.path()).get("writing torn"), Some(&1));
    nowhere(&dir, "想家");
}

#[test]
fn quick_hide_ends_the_page_and_the_next_visitor_finds_it_empty() {
    let (kiosk, _, dir) = at_the_page(&FakePrinter::new(FakeBehaviour::Ready));
    type_word(&kiosk, "xiangjia", "想家");
    touch(&kiosk, "快速隐藏：清除全部内容并离开");
    assert_eq!(shown(&kiosk), UiScreen::Attract);
    assert_eq!(page(&kiosk), "");
    touch(&kiosk, "点击开始");
    touch(&kiosk, "写下来");
    assert_eq!(page(&kiosk), "");
    let counts = day_counts(dir.path());
    assert_eq!(counts.get("writing opened"), Some(&2));
    assert_eq!(counts.get("writing left"), Some(&1));
    nowhere(&dir, "想家");
}

/// Whether the help card is up.
fn card(kiosk: &waystation::Kiosk) -> bool {
    visible(kiosk, "想现在找人聊聊吗？")
}

#[test]
fn words_of_despair_bring_the_card_beside_the_text_once_per_page() {
    let (kiosk, _, dir) = at_the_page(&FakePrinter::new(FakeBehaviour::Ready));
    type_word(&kiosk, "buxiang", "不想");
    type_word(&kiosk, "huo", "活");
    assert!(!card(&kiosk));
    type_word(&kiosk, "le", "了");
    assert!(card(&kiosk), "不想活了 brings the card");
    // Beside the text, which stays; with the lines to call.
    assert_eq!(page(&kiosk), "不想活了");
    for line in ["12356", "12351", "120 / 110"] {
        assert!(visible(&kiosk, line), "{line} on the card");
    }
    touch(&kiosk, "暂不");
    assert!(!card(&kiosk));
    // Once per page: more such words on the same page do not bring it again.
    touch(&kiosk, "继续写");
    type_word(&kiosk, "xiangsi", "想死");
    assert!(!card(&kiosk));
    assert_eq!(day_counts(dir.path()).get("writing despair_card"), Some(&1));
    // "Talk to someone" leads to the help lines; the page ends there.
    touch(&kiosk, "收起键盘");
    touch(&kiosk, "想找人聊聊");
    assert_eq!(shown(&kiosk), UiScreen::Emergency);
    assert_eq!(page(&kiosk), "");
    assert_eq!(day_counts(dir.path()).get("writing help"), Some(&1));
    nowhere(&dir, "不想活了");
}

#[test]
fn a_phrase_that_may_become_an_everyday_expression_waits_for_the_next_word_or_a_pause() {
    let (kiosk, clock, dir) = at_the_page(&FakePrinter::new(FakeBehaviour::Ready));
    // 想死你了 ("I miss you so much"), typed a word at a time: no card at 想死.
    type_word(&kiosk, "haojiubujian", "好久不见");
    touch(&kiosk, "，");
    type_word(&kiosk, "xiangsi", "想死");
    assert!(!card(&kiosk));
    type_word(&kiosk, "ni", "你");
    type_word(&kiosk, "le", "了");
    wait(&clock, Duration::from_secs(3));
    assert!(!card(&kiosk), "想死你了 is a near miss");
    // 想死 left standing: the card comes up once the worker pauses.
    touch(&kiosk, "。");
    type_word(&kiosk, "xiangsi", "想死");
    assert!(!card(&kiosk));
    wait(&clock, Duration::from_secs(1));
    assert!(!card(&kiosk));
    wait(&clock, Duration::from_secs(2));
    assert!(card(&kiosk), "a pause after 想死 brings the card");
    assert_eq!(day_counts(dir.path()).get("writing despair_card"), Some(&1));
    // The card's own "Yes, show me who" leads to the help lines too.
    touch(&kiosk, "想，告诉我找谁");
    assert_eq!(shown(&kiosk), UiScreen::Emergency);
    assert_eq!(day_counts(dir.path()).get("writing help"), Some(&1));
}

#[test]
fn english_phrases_of_despair_bring_the_card_and_near_misses_do_not() {
    let (kiosk, clock, dir) = at_the_page(&FakePrinter::new(FakeBehaviour::Ready));
    for (words, expected) in [
        ("i want to die", true),
        ("better off dead", true),
        ("i dont want to die", false),
        ("i am tired of work", false),
    ] {
        // Each in a visit of its own (a kiosk per thread: one, visited again).
        next_visit(&kiosk);
        touch(&kiosk, "ABC");
        for (i, word) in words.split(' ').enumerate() {
            if i > 0 {
                touch(&kiosk, "空格");
            }
            type_keys(&kiosk, word);
        }
        // A pause settles the text as it stands.
        wait(&clock, Duration::from_secs(3));
        assert_eq!(card(&kiosk), expected, "'{words}'");
    }
    assert_eq!(day_counts(dir.path()).get("writing despair_card"), Some(&2));
}

/// `text` is in no file under the data directory, no outbox row and no log line.
fn nowhere(dir: &tempfile::TempDir, text: &str) {
    let needle = text.as_bytes();
    let contains = |bytes: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    for file in files_under(dir.path()) {
        let bytes = std::fs::read(&file).unwrap();
        assert!(!contains(&bytes), "'{text}' in {}", file.display());
    }
    let conn = rusqlite::Connection::open(dir.path().join(waystation::store::DB_FILE)).unwrap();
    let mut rows = conn.prepare("SELECT kind, payload FROM outbox").unwrap();
    let rows: Vec<(String, Vec<u8>)> = rows
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for (kind, payload) in rows {
        assert!(!contains(&payload), "'{text}' in an outbox row ({kind})");
    }
    let log = log();
    let log = log.lock().unwrap_or_else(|e| e.into_inner());
    assert!(!contains(&log), "'{text}' in a log line");
}

fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}
