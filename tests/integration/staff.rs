//! Staff mode end to end on the kiosk window: the hidden corner, the PIN pad and its throttle,
//! a restock, leaving, the 60-second idle exit, the staff-call button and the status LED.

use std::time::Duration;

use slint::platform::{PointerEventButton, WindowEvent};
use slint::{ComponentHandle, Global};
use waystation::board::FakeBoard;
use waystation::clock::FakeClock;
use waystation::config::Config;
use waystation::staff::status::LedPattern;
use waystation::store::{RecordStamp, Store};
use waystation::ui::Screen as UiScreen;

use crate::ui::{kiosk_on, shown, touch, visible, wait};

const PIN: &str = "2468";

/// A kiosk on disk whose station PIN is 2468, with a fake board.
fn staffed_kiosk() -> (waystation::Kiosk, FakeClock, tempfile::TempDir, FakeBoard) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let clock = FakeClock::new(
        chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap(),
        true,
    );
    let hash = waystation::staff::pin::hash(PIN, [3; 16]).unwrap();
    store.set_pin_hash(&hash, RecordStamp::now(&clock)).unwrap();
    let (kiosk, clock) = kiosk_on(Config::demo(), store);
    let board = FakeBoard::default();
    kiosk.attach_board(Box::new(board.clone()));
    (kiosk, clock, dir, board)
}

/// Holds the attract screen's top-left corner for `held`, then lets go.
fn hold_corner(kiosk: &waystation::Kiosk, clock: &FakeClock, held: Duration) {
    let window = kiosk.window().window();
    let position = slint::LogicalPosition::new(20.0, 20.0);
    window.dispatch_event(WindowEvent::PointerPressed {
        position,
        button: PointerEventButton::Left,
    });
    wait(clock, held);
    kiosk.tick_idle();
    window.dispatch_event(WindowEvent::PointerReleased {
        position,
        button: PointerEventButton::Left,
    });
}

fn type_pin(kiosk: &waystation::Kiosk, pin: &str) {
    for digit in pin.chars() {
        touch(kiosk, &format!("pin {digit}"));
    }
    touch(kiosk, "pin ok");
}

/// The kinds and actions of the records in the kiosk's outbox, in order.
fn records(dir: &std::path::Path) -> Vec<(String, String)> {
    let store = Store::open(dir).unwrap();
    store
        .queue_entries(None, 0, 1000)
        .unwrap()
        .into_iter()
        .map(|e| (e.kind, String::new()))
        .collect()
}

fn audit(dir: &std::path::Path) -> Vec<String> {
    let store = Store::open(dir).unwrap();
    let mut actions: Vec<String> = store
        .recent_audit(100)
        .unwrap()
        .into_iter()
        .map(|a| a.action)
        .collect();
    actions.reverse();
    actions
}

#[test]
fn staff_sign_in_with_the_pin_record_a_restock_and_leave() {
    let (kiosk, clock, dir, _) = staffed_kiosk();
    // A short touch on the corner starts a visit like anywhere else on the attract screen.
    hold_corner(&kiosk, &clock, Duration::from_millis(200));
    assert_eq!(shown(&kiosk), UiScreen::Home);
    touch(&kiosk, "离开");
    assert_eq!(shown(&kiosk), UiScreen::Attract);

    // Three seconds opens the PIN pad, and letting go does not start a visit.
    hold_corner(&kiosk, &clock, Duration::from_millis(3100));
    assert_eq!(shown(&kiosk), UiScreen::StaffPin);

    type_pin(&kiosk, PIN);
    assert_eq!(shown(&kiosk), UiScreen::Staff);
    assert!(visible(
        &kiosk,
        "status 打印机: 未连接（纸条只在屏幕上显示）"
    ));

    touch(&kiosk, "补货");
    assert_eq!(shown(&kiosk), UiScreen::StaffRestock);
    touch(&kiosk, "plus 10 心理热线卡（示例）");
    touch(&kiosk, "plus 10 心理热线卡（示例）");
    touch(&kiosk, "minus 1 心理热线卡（示例）");
    touch(&kiosk, "plus 1 睡眠小贴士（示例）");
    touch(&kiosk, "记录宣传册补货");
    assert_eq!(shown(&kiosk), UiScreen::Staff);
    assert!(visible(&kiosk, "staff-done"));
    // The hotline cards were restocked today: their line is green again.
    assert!(visible(
        &kiosk,
        "status 宣传册：心理热线卡（示例）: 0 天前补货 19 份"
    ));

    touch(&kiosk, "退出管理");
    assert_eq!(shown(&kiosk), UiScreen::Attract);
    assert!(kiosk.session().is_fresh());

    let store = Store::open(dir.path()).unwrap();
    let restocks = store.brochure_restocks().unwrap();
    let counts: Vec<(String, i64)> = restocks
        .iter()
        .map(|r| (r.kind.clone(), r.last_count))
        .collect();
    assert_eq!(
        counts,
        [
            ("hotline-card".to_string(), 19),
            ("sleep-guide".to_string(), 1)
        ]
    );
    assert_eq!(
        audit(dir.path()),
        ["pin_set", "sign_in", "restock", "restock", "sign_out"]
    );
    // Every restock and every audit entry is a record for the service centre.
    let kinds: Vec<String> = records(dir.path()).into_iter().map(|r| r.0).collect();
    assert_eq!(kinds.iter().filter(|k| *k == "restock").count(), 2);
    assert_eq!(kinds.iter().filter(|k| *k == "staff_audit").count(), 3);
}

#[test]
fn wrong_pins_are_throttled_then_locked_and_logged() {
    let (kiosk, clock, dir, _) = staffed_kiosk();
    hold_corner(&kiosk, &clock, Duration::from_millis(3100));
    for _ in 0..5 {
        type_pin(&kiosk, "1111");
        assert_eq!(shown(&kiosk), UiScreen::StaffPin);
    }
    assert!(visible(&kiosk, "pin-notice"));
    // The sixth wrong PIN starts a 30-second wait, during which even the right PIN is refused.
    type_pin(&kiosk, "1111");
    type_pin(&kiosk, PIN);
    assert_eq!(shown(&kiosk), UiScreen::StaffPin);
    wait(&clock, Duration::from_secs(31));
    kiosk.tick_idle();
    type_pin(&kiosk, PIN);
    assert_eq!(shown(&kiosk), UiScreen::Staff);
    let actions = audit(dir.path());
    assert_eq!(actions.iter().filter(|a| *a == "wrong_pin").count(), 6);
    assert_eq!(actions.last().unwrap(), "sign_in");
}

#[test]
fn staff_mode_leaves_by_itself_after_a_minute_and_back_signs_out() {
    let (kiosk, clock, dir, _) = staffed_kiosk();
    hold_corner(&kiosk, &clock, Duration::from_millis(3100));
    type_pin(&kiosk, PIN);
    assert_eq!(shown(&kiosk), UiScreen::Staff);
    wait(&clock, Duration::from_secs(45));
    kiosk.tick_idle();
    assert_eq!(shown(&kiosk), UiScreen::Staff, "not yet");
    wait(&clock, Duration::from_secs(16));
    kiosk.tick_idle();
    assert_eq!(shown(&kiosk), UiScreen::Attract);
    assert!(!kiosk.session().staff.signed_in);

    // Back from the status screen is leaving too: staff mode never stays open behind it.
    hold_corner(&kiosk, &clock, Duration::from_millis(3100));
    type_pin(&kiosk, PIN);
    touch(&kiosk, "返回");
    assert!(!kiosk.session().staff.signed_in);
    let actions = audit(dir.path());
    assert_eq!(actions.iter().filter(|a| *a == "sign_out").count(), 2);
}

#[test]
fn the_staff_call_button_says_someone_is_coming_logs_it_and_blinks_the_led() {
    let (kiosk, clock, dir, board) = staffed_kiosk();
    wait(&clock, Duration::from_millis(300));
    kiosk.tick_idle();
    assert_eq!(kiosk.led(), LedPattern::Steady);
    board.state.borrow_mut().button_down = true;
    kiosk.tick_idle();
    kiosk.tick_idle();
    assert_eq!(shown(&kiosk), UiScreen::StaffCall);
    board.state.borrow_mut().button_down = false;
    kiosk.tick_idle();
    let kinds: Vec<String> = records(dir.path()).into_iter().map(|r| r.0).collect();
    assert_eq!(kinds.iter().filter(|k| *k == "staff_call").count(), 1);
    // The LED blinks until staff come and sign in.
    let mut seen = vec![];
    for _ in 0..12 {
        kiosk.tick_idle();
        seen.push(board.state.borrow().led_on);
    }
    assert!(seen.contains(&true) && seen.contains(&false), "{seen:?}");
}

#[test]
fn no_pin_set_means_the_pad_says_so() {
    let (kiosk, clock) = crate::ui::kiosk();
    hold_corner(&kiosk, &clock, Duration::from_millis(3100));
    type_pin(&kiosk, "1234");
    assert_eq!(shown(&kiosk), UiScreen::StaffPin);
    assert_eq!(
        waystation::ui::StaffPinAdapter::get(kiosk.window()).get_notice(),
        "no-pin"
    );
}

#[test]
fn set_pin_and_hash_pin_read_the_pin_from_standard_input() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str], input: &str| {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_waystation"))
            .arg("--data-dir")
            .arg(dir.path())
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let hashed = run(&["staff", "hash-pin"], "2468\n");
    assert!(hashed.status.success());
    let phc = String::from_utf8(hashed.stdout).unwrap().trim().to_string();
    assert!(waystation::staff::pin::verify("2468", &phc) && !phc.contains("2468"));
    assert_eq!(
        run(&["staff", "set-pin"], "12\n").status.code(),
        Some(2),
        "too short"
    );
    assert!(
        run(&["staff", "set-pin", "--hash", &phc], "")
            .status
            .success()
    );
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.pin_hash().unwrap().as_deref(), Some(phc.as_str()));
}
