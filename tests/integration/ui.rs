//! The kiosk window driven as a worker would: touches on labelled elements, with the Slint
//! testing backend (no display) and a fake clock for the idle reset.

use std::rc::Rc;
use std::time::Duration;

use i_slint_backend_testing::{ElementHandle, ElementQuery, mock_elapsed_time};
use slint::{ComponentHandle, Global, platform::PointerEventButton};
use waystation::clock::{Clock, FakeClock};
use waystation::config::Config;
use waystation::kiosk::{Language, Screen};
use waystation::store::Store;
use waystation::ui::{Screen as UiScreen, Shell};
use waystation::{Kiosk, KioskParts};

pub(crate) fn kiosk_with(config: Config) -> (Kiosk, FakeClock) {
    kiosk_on(config, Store::open_in_memory().unwrap())
}

/// A kiosk on the given store, at 800×480 (the official 7" display), with a fake clock.
pub(crate) fn kiosk_on(config: Config, store: Store) -> (Kiosk, FakeClock) {
    kiosk_printing(config, store, waystation::printer::no_printer())
}

/// A kiosk whose store lives in a temporary directory (so tests can read its records), and
/// that directory.
pub(crate) fn kiosk_with_disk() -> (Kiosk, FakeClock, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let (kiosk, clock) = kiosk_on(Config::demo(), Store::open(dir.path()).unwrap());
    (kiosk, clock, dir)
}

/// Every day count the kiosk's store in `dir` holds, summed over the days, as "metric key"
/// (such as "band phq9/mild"): what a visit leaves behind.
pub(crate) fn day_counts(dir: &std::path::Path) -> std::collections::BTreeMap<String, u64> {
    let conn = rusqlite::Connection::open(dir.join(waystation::store::DB_FILE)).unwrap();
    let mut stmt = conn
        .prepare("SELECT metric || ' ' || key, SUM(count) FROM day_count GROUP BY metric, key")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// The kinds of the records waiting in the outbox of the store in `dir`, in order.
pub(crate) fn outbox_kinds(dir: &std::path::Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(dir.join(waystation::store::DB_FILE)).unwrap();
    let mut stmt = conn
        .prepare("SELECT kind FROM outbox ORDER BY seq")
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// The same, with a printer.
pub(crate) fn kiosk_printing(
    config: Config,
    store: Store,
    printer: waystation::printer::Opener,
) -> (Kiosk, FakeClock) {
    let machine = waystation::machine::FakeMachine::default();
    kiosk_on_machine(config, store, printer, machine)
}

/// A kiosk whose config says it has a printer, reaching the fake one given, with its store in
/// a temporary directory (returned, so tests can read the records).
pub(crate) fn kiosk_with_fake_printer(
    printer: &waystation::printer::FakePrinter,
) -> (Kiosk, FakeClock, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::demo();
    config.printer.transport = waystation::config::PrinterTransport::Usb;
    let (kiosk, clock) = kiosk_printing(
        config,
        Store::open(dir.path()).unwrap(),
        waystation::printer::fake_opener(printer.clone()),
    );
    (kiosk, clock, dir)
}

/// The same, on a machine that says what the test tells it (temperature, image, provisioning).
pub(crate) fn kiosk_on_machine(
    config: Config,
    store: Store,
    printer: waystation::printer::Opener,
    machine: waystation::machine::FakeMachine,
) -> (Kiosk, FakeClock) {
    i_slint_backend_testing::init_no_event_loop();
    let clock = FakeClock::new(
        chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap(),
        true,
    );
    let kiosk = waystation::init(KioskParts {
        config,
        store,
        clock: Rc::new(clock.clone()) as Rc<dyn Clock>,
        entropy: Rc::new(waystation::entropy::FakeEntropy::new(16)),
        printer,
        directory: waystation::directory::Bundle::shipped(),
        machine: std::sync::Arc::new(machine),
    })
    .unwrap();
    kiosk
        .window()
        .window()
        .set_size(slint::PhysicalSize::new(800, 480));
    kiosk.window().show().unwrap();
    (kiosk, clock)
}

pub(crate) fn kiosk() -> (Kiosk, FakeClock) {
    kiosk_with(Config::demo())
}

/// Touches the first element with this accessible label, as a finger would (press and
/// release at its centre), and fails if there is none.
pub(crate) fn touch(kiosk: &Kiosk, label: &str) {
    let found: Vec<ElementHandle> =
        ElementHandle::find_by_accessible_label(kiosk.window(), label).collect();
    assert!(
        !found.is_empty(),
        "nothing labelled '{label}' on {:?}",
        shown(kiosk)
    );
    found[0].mock_single_click(PointerEventButton::Left);
}

pub(crate) fn visible(kiosk: &Kiosk, label: &str) -> bool {
    ElementHandle::find_by_accessible_label(kiosk.window(), label)
        .next()
        .is_some()
}

/// The elements with this element id, qualified by the component that declares it
/// ("SlipScreen::print-state"), as Slint's testing backend finds them: only those on screen.
fn with_id(kiosk: &Kiosk, id: &str) -> Vec<ElementHandle> {
    ElementHandle::find_by_element_id(kiosk.window(), id).collect()
}

/// Presses the key that says `text` on the keypad on screen (the PIN pad or the code pad), as
/// a finger would, and fails if there is none.
pub(crate) fn press_key(kiosk: &Kiosk, text: &str) {
    let keys = with_id(kiosk, "Keypad::key");
    let key = keys
        .iter()
        .find(|key| key.accessible_label().as_deref() == Some(text))
        .unwrap_or_else(|| panic!("no key '{text}' on {:?}", shown(kiosk)));
    key.mock_single_click(PointerEventButton::Left);
}

/// Whether an element with this id is on screen.
pub(crate) fn visible_id(kiosk: &Kiosk, id: &str) -> bool {
    !with_id(kiosk, id).is_empty()
}

/// What the element with this id says to a screen reader (its accessible label), and fails if
/// it is not on screen.
pub(crate) fn said_by(kiosk: &Kiosk, id: &str) -> String {
    let found = with_id(kiosk, id);
    let first = found
        .first()
        .unwrap_or_else(|| panic!("no element '{id}' on {:?}", shown(kiosk)));
    first.accessible_label().unwrap_or_default().to_string()
}

pub(crate) fn shown(kiosk: &Kiosk) -> UiScreen {
    Shell::get(kiosk.window()).get_screen()
}

pub(crate) fn countdown(kiosk: &Kiosk) -> i32 {
    Shell::get(kiosk.window()).get_idle_seconds_left()
}

/// Lets time pass on both clocks: the kiosk's (read by the idle rules) and Slint's (which fires
/// the idle timer).
pub(crate) fn wait(clock: &FakeClock, by: Duration) {
    clock.advance(by);
    mock_elapsed_time(Duration::from_millis(300));
}

/// The window imports no font file; the kiosk registers the one embedded copy of each face
/// (`waystation::fonts`, which the slip shares), so the family the screens ask for must be
/// exactly those bytes, not a system font of the same name and not a second copy.
#[test]
fn the_screens_draw_with_the_one_embedded_copy_of_each_face() {
    use slint::fontique_011::fontique::SourceKind;
    let (_kiosk, _) = kiosk();
    let mut collection = slint::fontique_011::shared_collection();
    let family = collection
        .family_by_name(waystation::fonts::FAMILY)
        .expect("the embedded family is registered");
    let mut faces: Vec<*const u8> = family
        .fonts()
        .iter()
        .filter_map(|font| match font.source().kind() {
            SourceKind::Memory(blob) => Some(blob.data().as_ptr()),
            _ => None,
        })
        .collect();
    faces.sort();
    let mut expected = vec![
        waystation::fonts::regular().as_ptr(),
        waystation::fonts::bold().as_ptr(),
    ];
    expected.sort();
    assert_eq!(
        faces, expected,
        "each face registered once, from waystation::fonts"
    );
}

#[test]
fn touch_to_start_then_home_emergency_and_back() {
    let (kiosk, _) = kiosk();
    assert_eq!(shown(&kiosk), UiScreen::Attract);
    touch(&kiosk, "点击开始");
    assert_eq!(shown(&kiosk), UiScreen::Home);

    touch(&kiosk, "紧急求助");
    assert_eq!(shown(&kiosk), UiScreen::Emergency);
    // The four built-in lines are on screen, each labelled with its number and name.
    for label in [
        "120 医疗急救",
        "110 报警",
        "12356 全国心理援助热线",
        "12351 工会职工服务热线",
    ] {
        assert!(visible(&kiosk, label), "missing line '{label}'");
    }

    touch(&kiosk, "返回");
    assert_eq!(shown(&kiosk), UiScreen::Home);
    assert_eq!(kiosk.session().navigation.current(), Screen::Home);
}

#[test]
fn home_tiles_lead_to_their_screens_and_home_comes_back() {
    let (kiosk, _) = kiosk();
    touch(&kiosk, "点击开始");
    touch(&kiosk, "隐私说明");
    assert_eq!(shown(&kiosk), UiScreen::About);
    touch(&kiosk, "首页");
    assert_eq!(shown(&kiosk), UiScreen::Home);
    touch(&kiosk, "马上求助");
    assert_eq!(shown(&kiosk), UiScreen::Emergency);
}

/// Whether every sentence is on screen now.
fn all_visible(kiosk: &Kiosk, sentences: &[String]) {
    for sentence in sentences {
        assert!(
            visible(kiosk, sentence),
            "not on {:?}: {sentence}",
            shown(kiosk)
        );
    }
}

#[test]
fn the_privacy_page_and_the_notice_say_the_inventory_s_sentences_in_the_session_s_language() {
    use waystation::inventory::{Column, about_points, notice_sentences};
    let idle = u64::from(Config::demo().kiosk.idle_seconds.0);
    let (kiosk, _) = kiosk();
    touch(&kiosk, "点击开始");
    for (language, switch) in [
        (Language::Chinese, "切换语言"),
        (Language::English, "Switch language"),
    ] {
        Shell::get(kiosk.window()).invoke_open(UiScreen::About);
        let points = about_points(language, idle);
        let (promise, columns): (Vec<_>, Vec<_>) =
            points.into_iter().partition(|(c, _)| *c == Column::Promise);
        let columns: Vec<String> = columns.into_iter().map(|(_, t)| t).collect();
        all_visible(&kiosk, &columns);
        let promise: Vec<String> = promise.into_iter().map(|(_, t)| t).collect();
        all_visible(&kiosk, &[promise.join(language.pick("", " "))]);
        // The line saying nothing here is a diagnosis stays on the 800×480 screen below them
        // (a longer sentence in a column once pushed it off).
        let opening = language.pick("这里的任何内容都不是诊断", "Nothing here is a diagnosis");
        let footer = ElementQuery::from_root(kiosk.window())
            .match_descendants()
            .match_predicate(move |e| e.accessible_label().is_some_and(|l| l.starts_with(opening)))
            .find_first()
            .expect("the line about diagnosis");
        let bottom = footer.absolute_position().y + footer.size().height;
        assert!(bottom <= 480.0, "{language:?}: it ends at {bottom} px");
        Shell::get(kiosk.window()).invoke_open(UiScreen::CheckNotice);
        all_visible(&kiosk, &notice_sentences(language, idle));
        touch(&kiosk, switch);
    }
}

#[test]
fn emergency_help_works_from_the_attract_screen_without_starting_a_visit_first() {
    let (kiosk, _) = kiosk();
    touch(&kiosk, "紧急求助");
    assert_eq!(shown(&kiosk), UiScreen::Emergency);
    touch(&kiosk, "返回");
    assert_eq!(shown(&kiosk), UiScreen::Attract);
}

#[test]
fn the_language_switch_changes_every_label_and_back() {
    let (kiosk, _) = kiosk();
    touch(&kiosk, "点击开始");
    assert!(visible(&kiosk, "马上求助"));
    touch(&kiosk, "切换语言");
    assert_eq!(kiosk.session().language, Language::English);
    assert_eq!(
        Shell::get(kiosk.window()).get_language(),
        waystation::ui::Language::English
    );
    assert!(
        visible(&kiosk, "Get help now"),
        "the home tile is not in English"
    );
    assert!(!visible(&kiosk, "马上求助"));
    touch(&kiosk, "Get help now");
    assert!(
        visible(&kiosk, "120 Ambulance"),
        "the data-driven lines did not follow the language"
    );
    touch(&kiosk, "Switch language");
    assert!(visible(&kiosk, "120 医疗急救"));
    assert_eq!(kiosk.session().language, Language::Chinese);
}

#[test]
fn quick_hide_wipes_the_session_and_shows_the_attract_screen() {
    let (kiosk, _) = kiosk();
    touch(&kiosk, "点击开始");
    touch(&kiosk, "切换语言");
    touch(&kiosk, "Get help now");
    assert!(!kiosk.session().is_fresh());
    touch(&kiosk, "Quick hide: clear everything and leave");
    assert_eq!(shown(&kiosk), UiScreen::Attract);
    assert!(
        kiosk.session().is_fresh(),
        "quick hide left session state behind"
    );
    // The language went back to the station default, and the UI shows it.
    assert_eq!(
        Shell::get(kiosk.window()).get_language(),
        waystation::ui::Language::Chinese
    );
    assert!(visible(&kiosk, "点击开始"));
}

#[test]
fn idle_countdown_appears_then_wipes_the_session() {
    let (kiosk, clock) = kiosk();
    touch(&kiosk, "点击开始");
    touch(&kiosk, "切换语言");
    touch(&kiosk, "Get help now");

    wait(&clock, Duration::from_secs(89));
    assert_eq!(countdown(&kiosk), 0, "the countdown came before 90 s");
    wait(&clock, Duration::from_secs(1));
    assert_eq!(countdown(&kiosk), 20);
    assert!(visible(&kiosk, "Are you still there?"));
    wait(&clock, Duration::from_secs(15));
    assert_eq!(countdown(&kiosk), 5);
    assert_eq!(
        shown(&kiosk),
        UiScreen::Emergency,
        "the session must last through the countdown"
    );

    wait(&clock, Duration::from_secs(5));
    assert_eq!(shown(&kiosk), UiScreen::Attract);
    assert_eq!(countdown(&kiosk), 0);
    assert!(
        kiosk.session().is_fresh(),
        "idle reset left session state behind"
    );
    assert!(!visible(&kiosk, "Are you still there?"));
}

#[test]
fn continue_during_the_countdown_keeps_the_session() {
    let (kiosk, clock) = kiosk();
    touch(&kiosk, "点击开始");
    touch(&kiosk, "马上求助");
    wait(&clock, Duration::from_secs(95));
    assert!(countdown(&kiosk) > 0);
    touch(&kiosk, "继续使用");
    assert_eq!(countdown(&kiosk), 0);
    wait(&clock, Duration::from_secs(60));
    assert_eq!(shown(&kiosk), UiScreen::Emergency);
    assert_eq!(
        countdown(&kiosk),
        0,
        "continue must restart the full idle time"
    );
}

#[test]
fn any_touch_on_a_screen_postpones_the_idle_reset() {
    let (kiosk, clock) = kiosk();
    touch(&kiosk, "点击开始");
    touch(&kiosk, "马上求助");
    for _ in 0..5 {
        wait(&clock, Duration::from_secs(60));
        // A touch on a card (not a button) still counts as someone being there.
        touch(&kiosk, "12356 全国心理援助热线");
    }
    assert_eq!(shown(&kiosk), UiScreen::Emergency);
    assert_eq!(countdown(&kiosk), 0);
}

#[test]
fn finish_now_in_the_countdown_wipes_at_once() {
    let (kiosk, clock) = kiosk();
    touch(&kiosk, "点击开始");
    wait(&clock, Duration::from_secs(91));
    touch(&kiosk, "现在结束");
    assert_eq!(shown(&kiosk), UiScreen::Attract);
    assert!(kiosk.session().is_fresh());
}

#[test]
fn the_attract_screen_never_counts_down() {
    let (kiosk, clock) = kiosk();
    wait(&clock, Duration::from_secs(3600));
    assert_eq!(countdown(&kiosk), 0);
    assert_eq!(shown(&kiosk), UiScreen::Attract);
}

#[test]
fn configured_idle_times_are_used() {
    let mut config = Config::demo();
    config.kiosk.idle_seconds.0 = 30;
    config.kiosk.countdown_seconds.0 = 10;
    let (kiosk, clock) = kiosk_with(config);
    touch(&kiosk, "点击开始");
    wait(&clock, Duration::from_secs(30));
    assert_eq!(countdown(&kiosk), 10);
    wait(&clock, Duration::from_secs(10));
    assert_eq!(shown(&kiosk), UiScreen::Attract);
}

#[test]
fn every_button_is_at_least_72_px_high_at_800_by_480() {
    let (kiosk, _) = kiosk();
    let mut checked = 0;
    for screen_label in [None, Some("点击开始"), Some("马上求助")] {
        if let Some(label) = screen_label {
            touch(&kiosk, label);
        }
        let buttons = ElementQuery::from_root(kiosk.window())
            .match_descendants()
            .match_inherits("KioskButton")
            .find_all();
        for button in buttons {
            let size = button.size();
            assert!(
                size.height >= 72.0,
                "{:?} is {} px high",
                button.accessible_label(),
                size.height
            );
            assert!(
                size.width >= 72.0,
                "{:?} is {} px wide",
                button.accessible_label(),
                size.width
            );
            checked += 1;
        }
    }
    assert!(checked >= 8, "only {checked} buttons found");
}

/// The attract screen's words as a passer-by reads them: where they are drawn now.
fn invitation_at(kiosk: &Kiosk) -> slint::LogicalPosition {
    let found: Vec<ElementHandle> =
        ElementHandle::find_by_accessible_label(kiosk.window(), "歇一歇，照顾好自己。").collect();
    assert_eq!(found.len(), 1, "the invitation on {:?}", shown(kiosk));
    found[0].absolute_position()
}

#[test]
fn the_attract_screens_words_move_a_pixel_a_minute_against_image_retention() {
    use waystation::kiosk::drift::offset;
    let (kiosk, clock) = kiosk();
    kiosk.tick_idle();
    let (start, then) = (invitation_at(&kiosk), offset(clock.monotonic()));
    wait(&clock, Duration::from_secs(10 * 60));
    kiosk.tick_idle();
    let (moved, now) = (invitation_at(&kiosk), offset(clock.monotonic()));
    assert_ne!(now, then, "ten minutes move the content");
    // At 800×480 a theme unit is a pixel.
    assert_eq!(
        (moved.x - start.x, moved.y - start.y),
        ((now.0 - then.0) as f32, (now.1 - then.1) as f32)
    );
}

/// The out of service mode's screen over a kiosk's window, on the test's clock; the flag says
/// whether it asked to leave (to try the real kiosk again).
fn out_of_service(
    kiosk: &Kiosk,
    clock: &FakeClock,
) -> (
    std::rc::Rc<std::cell::RefCell<waystation::ui::out_of_service::OutOfService>>,
    std::rc::Rc<std::cell::Cell<bool>>,
) {
    use waystation::ui::out_of_service::{OutOfService, attach, render};
    let mode = std::rc::Rc::new(std::cell::RefCell::new(OutOfService::new(
        clock.monotonic(),
    )));
    let left = std::rc::Rc::new(std::cell::Cell::new(false));
    let leave: std::rc::Rc<dyn Fn()> = std::rc::Rc::new({
        let left = left.clone();
        move || left.set(true)
    });
    let clock: std::rc::Rc<dyn Clock> = std::rc::Rc::new(clock.clone());
    render(kiosk.window(), &mode.borrow(), clock.monotonic());
    attach(kiosk.window(), &mode, &clock, &leave);
    (mode, left)
}

#[test]
fn out_of_service_shows_every_built_in_line_in_both_languages_and_starts_again_only_when_confirmed()
{
    let (kiosk, clock) = kiosk();
    let (mode, left) = out_of_service(&kiosk, &clock);
    assert!(visible(&kiosk, "暂停服务，请告诉驿站工作人员"));
    let lines = waystation::emergency::builtin();
    for line in &lines {
        assert!(
            visible(&kiosk, &format!("{} {}", line.number, line.name_zh)),
            "{}",
            line.number
        );
    }
    // The attract screen below has a language button of its own; this screen's is drawn last.
    ElementHandle::find_by_accessible_label(kiosk.window(), "English")
        .last()
        .expect("a language button")
        .mock_single_click(PointerEventButton::Left);
    assert!(visible(
        &kiosk,
        "Out of service — please tell the station staff"
    ));
    for line in &lines {
        assert!(
            visible(&kiosk, &format!("{} {}", line.number, line.name_en)),
            "{}",
            line.number
        );
    }
    assert!(visible(
        &kiosk,
        "The kiosk will try to start again in 60 minutes."
    ));
    // Asked and left unanswered, asked and declined: the screen stays.
    touch(&kiosk, "Staff: start again now");
    assert!(visible(
        &kiosk,
        "Start the kiosk again now? It may stop again."
    ));
    touch(&kiosk, "Not now");
    assert!(visible(&kiosk, "Staff: start again now"));
    assert!(!left.get());
    touch(&kiosk, "Staff: start again now");
    clock.advance(Duration::from_secs(20));
    touch(&kiosk, "Start again");
    assert!(
        !left.get(),
        "a confirmation after the question went is not one"
    );
    touch(&kiosk, "Staff: start again now");
    touch(&kiosk, "Start again");
    assert!(left.get());
    // Left alone, it tries again after an hour by itself.
    left.set(false);
    let tick = |kiosk: &Kiosk| {
        let now = clock.monotonic();
        waystation::ui::out_of_service::tick(kiosk.window(), &mode.borrow(), now, &|| {
            left.set(true)
        });
    };
    clock.advance(Duration::from_secs(30 * 60));
    tick(&kiosk);
    assert!(!left.get());
    assert!(visible(
        &kiosk,
        "The kiosk will try to start again in 30 minutes."
    ));
    clock.advance(Duration::from_secs(30 * 60));
    tick(&kiosk);
    assert!(left.get());
}
