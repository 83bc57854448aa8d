//! Staff mode end to end on the kiosk window: the hidden corner, the PIN pad and its throttle,
//! a restock, leaving, the 60-second idle exit, the staff-call button and the status LED.

use std::time::Duration;

use slint::platform::{PointerEventButton, WindowEvent};
use slint::{ComponentHandle, Global};
use waystation::board::FakeBoard;
use waystation::clock::{Clock, FakeClock};
use waystation::config::Config;
use waystation::staff::status::LedPattern;
use waystation::store::{RecordStamp, Store};
use waystation::ui::{PinPadNotice, Screen as UiScreen};

use crate::ui::{kiosk_on, press_key, said_by, shown, touch, visible, visible_id, wait};

pub(crate) const PIN: &str = "246813";

/// A kiosk on disk whose station PIN is 246813, with a fake board.
fn staffed_kiosk() -> (waystation::Kiosk, FakeClock, tempfile::TempDir, FakeBoard) {
    let (dir, store) = store_with_pin();
    let (kiosk, clock) = kiosk_on(Config::demo(), store);
    let board = FakeBoard::default();
    kiosk.attach_board(Box::new(board.clone()));
    (kiosk, clock, dir, board)
}

/// A store in a temporary folder, with the station PIN set.
fn store_with_pin() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let clock = FakeClock::new(
        chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap(),
        true,
    );
    let hash = waystation::staff::pin::hash(PIN, [3; 16]).unwrap();
    store
        .set_pin_hash(
            &hash,
            RecordStamp::now(&clock, &waystation::entropy::SystemEntropy).unwrap(),
        )
        .unwrap();
    (dir, store)
}

/// Holds the attract screen's top-left corner for `held`, then lets go.
pub(crate) fn hold_corner(kiosk: &waystation::Kiosk, clock: &FakeClock, held: Duration) {
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

pub(crate) fn type_pin(kiosk: &waystation::Kiosk, pin: &str) {
    for digit in pin.chars() {
        press_key(kiosk, &digit.to_string());
    }
    press_key(kiosk, "确定");
    // The check runs off the UI thread; what follows is shown once the tick takes it in.
    kiosk.settle();
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

pub(crate) fn audit(dir: &std::path::Path) -> Vec<String> {
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
    assert_eq!(
        said_by(&kiosk, "StaffScreen::done"),
        "已记录补货 20 份宣传册。"
    );
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
fn wrong_pins_are_throttled_with_waits_up_to_an_hour_but_never_locked_for_good() {
    let (kiosk, clock, dir, _) = staffed_kiosk();
    hold_corner(&kiosk, &clock, Duration::from_millis(3100));
    for _ in 0..5 {
        type_pin(&kiosk, "1111");
        assert_eq!(shown(&kiosk), UiScreen::StaffPin);
    }
    assert_eq!(said_by(&kiosk, "StaffPinScreen::notice"), "密码不对。");
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

    // A passer-by tries twenty wrong PINs, waiting out every wait: the waits grow to an hour,
    // and the right PIN still opens the pad after the last one.
    touch(&kiosk, "返回");
    hold_corner(&kiosk, &clock, Duration::from_millis(3100));
    let mut longest = 0;
    for _ in 0..20 {
        type_pin(&kiosk, "111111");
        let pad = waystation::ui::StaffPinAdapter::get(kiosk.window());
        let seconds = match pad.get_notice() {
            PinPadNotice::WaitSeconds => pad.get_wait(),
            PinPadNotice::WaitMinutes => pad.get_wait() * 60,
            _ => 0,
        };
        longest = longest.max(seconds);
        if seconds == 3600 {
            // An hour is said in minutes.
            assert_eq!(
                said_by(&kiosk, "StaffPinScreen::notice"),
                "密码输错太多次，请等 60 分钟。"
            );
        }
        wait(&clock, Duration::from_secs(3601));
        kiosk.tick_idle();
        if shown(&kiosk) != UiScreen::StaffPin {
            hold_corner(&kiosk, &clock, Duration::from_millis(3100));
        }
    }
    assert_eq!(longest, 3600);
    type_pin(&kiosk, PIN);
    assert_eq!(shown(&kiosk), UiScreen::Staff);
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

/// Presses the board's staff-call button for half a second, as a worker would.
fn press_button(kiosk: &waystation::Kiosk, board: &FakeBoard) {
    board.state.borrow_mut().button_down = true;
    kiosk.tick_idle();
    kiosk.tick_idle();
    board.state.borrow_mut().button_down = false;
    kiosk.tick_idle();
}

/// The outbox's `staff_alert` payloads, in order.
fn alert_payloads(dir: &std::path::Path) -> Vec<serde_json::Value> {
    let conn = rusqlite::Connection::open(dir.join(waystation::store::DB_FILE)).unwrap();
    let mut stmt = conn
        .prepare("SELECT payload FROM outbox WHERE kind = 'staff_alert' ORDER BY seq")
        .unwrap();
    stmt.query_map([], |r| r.get::<_, Vec<u8>>(0))
        .unwrap()
        .map(|p| serde_json::from_slice(&p.unwrap()).unwrap())
        .collect()
}

#[test]
fn a_staff_call_with_no_light_buzzer_or_hub_says_go_and_find_the_staff() {
    // NoBoard, no hub: the only way to call is on screen (the crisis screen, see
    // selfcheck.rs); a board with a button and nothing to switch on is the same case here.
    let (kiosk, _clock, dir, _) = staffed_kiosk();
    let board = FakeBoard::without_outputs();
    kiosk.attach_board(Box::new(board.clone()));
    press_button(&kiosk, &board);
    assert_eq!(shown(&kiosk), UiScreen::StaffCall);
    assert!(visible(&kiosk, "请直接去找驿站工作人员"));
    assert!(visible(&kiosk, "这台机器没能通知到他们。"));
    assert!(visible_id(&kiosk, "StaffCallScreen::emergency-pointer"));
    for never in [
        "已通知驿站工作人员",
        "马上有人来。",
        "正在通知驿站工作人员…",
    ] {
        assert!(!visible(&kiosk, never), "{never}");
    }
    // Still written down, for the service centre to see later: station and kind only.
    assert_eq!(
        alert_payloads(dir.path()),
        [serde_json::json!({ "station": "demo-0001", "kind": "staff_call" })]
    );
    let english = |kiosk: &waystation::Kiosk| {
        touch(kiosk, "English");
        visible(kiosk, "Please go and find the station staff yourself")
    };
    assert!(english(&kiosk));
}

#[test]
fn the_staff_call_button_double_blinks_the_led_sounds_the_buzzer_and_says_so() {
    let (kiosk, clock, dir, board) = staffed_kiosk();
    wait(&clock, Duration::from_millis(300));
    kiosk.tick_idle();
    assert_eq!(kiosk.led(), LedPattern::Steady);
    press_button(&kiosk, &board);
    assert_eq!(shown(&kiosk), UiScreen::StaffCall);
    assert_eq!(kiosk.led(), LedPattern::StaffCall);
    assert!(visible(&kiosk, "已通知驿站工作人员"));
    assert!(visible(&kiosk, "驿站的提示灯和蜂鸣器已经打开"));
    assert!(!visible(&kiosk, "已通过服务中心发消息给驿站工作人员"));
    assert!(board.state.borrow().buzzer_changes.contains(&true));
    // A worker pressing again while the call is on makes no second alert.
    press_button(&kiosk, &board);
    assert_eq!(alert_payloads(dir.path()).len(), 1);
    // The LED double-blinks until staff answer; the buzzer goes quiet after its bursts.
    let mut seen = vec![];
    for _ in 0..16 {
        kiosk.tick_idle();
        seen.push(board.state.borrow().led_on);
    }
    assert!(seen.contains(&true) && seen.contains(&false), "{seen:?}");
    clock.advance(Duration::from_secs(120));
    kiosk.tick_idle();
    assert!(!board.state.borrow().buzzer_on);
    assert_eq!(kiosk.led(), LedPattern::StaffCall);
    // Ten minutes on, unanswered: the LED goes back to the status pattern.
    clock.advance(Duration::from_secs(600));
    kiosk.tick_idle();
    assert_eq!(kiosk.led(), LedPattern::Steady);
}

#[test]
fn holding_the_button_three_seconds_or_signing_in_answers_the_call_and_is_logged() {
    let (kiosk, clock, dir, board) = staffed_kiosk();
    press_button(&kiosk, &board);
    assert_eq!(kiosk.led(), LedPattern::StaffCall);
    // Held for three seconds (twelve ticks): answered, the light and buzzer stop.
    board.state.borrow_mut().button_down = true;
    for _ in 0..12 {
        kiosk.tick_idle();
    }
    board.state.borrow_mut().button_down = false;
    kiosk.tick_idle();
    assert_ne!(kiosk.led(), LedPattern::StaffCall);
    assert!(!board.state.borrow().buzzer_on);
    assert!(visible(&kiosk, "这次呼叫已经结束"));
    let store = Store::open(dir.path()).unwrap();
    let answered: Vec<_> = store
        .recent_audit(10)
        .unwrap()
        .into_iter()
        .filter(|a| a.action == "call_answered")
        .map(|a| a.detail)
        .collect();
    assert_eq!(answered, [Some("button".to_string())]);

    // A new call, answered by signing in.
    touch(&kiosk, "离开");
    press_button(&kiosk, &board);
    assert_eq!(kiosk.led(), LedPattern::StaffCall);
    touch(&kiosk, "离开");
    hold_corner(&kiosk, &clock, Duration::from_millis(3100));
    type_pin(&kiosk, PIN);
    assert_eq!(shown(&kiosk), UiScreen::Staff);
    kiosk.tick_idle();
    assert_ne!(kiosk.led(), LedPattern::StaffCall);
    let actions = audit(dir.path());
    assert_eq!(
        actions[actions.len() - 2..],
        ["sign_in".to_string(), "call_answered".to_string()]
    );
    assert_eq!(alert_payloads(dir.path()).len(), 2);
}

#[test]
fn while_the_hub_is_silent_the_screen_says_sending_then_after_twenty_seconds_go_and_find() {
    let (kiosk, clock, _dir, _) = staffed_kiosk();
    let board = FakeBoard::without_outputs();
    kiosk.attach_board(Box::new(board.clone()));
    // An uploader that takes the wake-up and never answers.
    let (wake, woken) = std::sync::mpsc::channel();
    kiosk.set_sync_now(wake);
    let (_answers, heard) = std::sync::mpsc::channel();
    kiosk.set_alert_answers(heard);
    press_button(&kiosk, &board);
    assert!(woken.try_recv().is_ok(), "the uploader was woken at once");
    assert!(visible(&kiosk, "正在通知驿站工作人员…"));
    assert!(visible(
        &kiosk,
        "还不确定他们收到了没有。请直接去找驿站工作人员，不用在这里等。"
    ));
    wait(&clock, Duration::from_secs(19));
    kiosk.tick_idle();
    assert!(visible(&kiosk, "正在通知驿站工作人员…"));
    wait(&clock, Duration::from_secs(1));
    kiosk.tick_idle();
    assert!(visible(&kiosk, "请直接去找驿站工作人员"));
    assert!(!visible(&kiosk, "已通知驿站工作人员"));
    // Pressing again wakes the uploader for the same alert and waits once more; no new one.
    press_button(&kiosk, &board);
    assert!(woken.try_recv().is_ok());
    assert!(visible(&kiosk, "正在通知驿站工作人员…"));
    assert_eq!(alert_payloads(_dir.path()).len(), 1);
}

/// A webhook on loopback that keeps the JSON body of every POST and answers 200.
fn webhook() -> (
    String,
    std::sync::Arc<std::sync::Mutex<Vec<serde_json::Value>>>,
) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/staff-alerts", listener.local_addr().unwrap());
    let posts = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let kept = posts.clone();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut raw = Vec::new();
            let mut buf = [0u8; 4096];
            let body = loop {
                let Ok(n) = stream.read(&mut buf) else {
                    break None;
                };
                if n == 0 {
                    break None;
                }
                raw.extend_from_slice(&buf[..n]);
                let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
                    continue;
                };
                let head = String::from_utf8_lossy(&raw[..end]).to_lowercase();
                let length: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(0);
                if raw.len() >= end + 4 + length {
                    break Some(raw[end + 4..end + 4 + length].to_vec());
                }
            };
            if let Some(body) = body {
                kept.lock()
                    .unwrap()
                    .push(serde_json::from_slice(&body).unwrap_or_default());
            }
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}");
        }
    });
    (url, posts)
}

#[test]
fn with_a_light_buzzer_and_a_hub_the_screen_says_told_and_the_webhook_gets_one_post() {
    let pair = crate::sync::Pair::new();
    let (url, posts) = webhook();
    waystation_hub::set_webhook(
        pair.hub_dir.path(),
        &url,
        waystation_hub::WebhookFormat::Json,
    )
    .unwrap();
    let mut config = Config::demo();
    config.hub = toml::from_str(&format!(
        "url = 'http://{}'\npublic_key = '{}'",
        pair.hub_addr(),
        pair.centre
    ))
    .unwrap();
    // The kiosk as `waystation run` wires it: a sealing store, the uploader on its thread,
    // its wake-up and the channel of what the hub said.
    let (kiosk, clock) = crate::ui::kiosk_on(config.clone(), pair.store());
    // The kiosk's clock set to now: the hub passes on only alerts made in the last half hour.
    let behind = chrono::Utc::now() - clock.read().wall;
    clock.advance(behind.to_std().unwrap_or_default());
    let board = FakeBoard::default();
    kiosk.attach_board(Box::new(board.clone()));
    let (bundles, _) = std::sync::mpsc::channel();
    let (alerts, answers) = std::sync::mpsc::channel();
    let worker = waystation::sync::spawn_worker(
        &config,
        pair.kiosk_dir.path(),
        bundles,
        alerts,
        Default::default(),
    )
    .unwrap();
    kiosk.set_sync_now(worker.wake.clone());
    kiosk.set_alert_answers(answers);

    press_button(&kiosk, &board);
    assert_eq!(shown(&kiosk), UiScreen::StaffCall);
    // The light and buzzer are on at once.
    assert!(visible(&kiosk, "已通知驿站工作人员"));
    assert!(visible(&kiosk, "驿站的提示灯和蜂鸣器已经打开"));
    // The hub's word comes back through the uploader, drained by the tick.
    let started = std::time::Instant::now();
    while !visible(&kiosk, "已通过服务中心发消息给驿站工作人员") {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the hub never said it passed the alert on: {:?} {:?}",
            kiosk.staff_call(),
            waystation_hub::alerts(pair.hub_dir.path(), 10),
        );
        std::thread::sleep(Duration::from_millis(20));
        kiosk.tick_idle();
    }
    let took = started.elapsed();
    // One alert, one post, and nothing more to come: the hub counts one attempt and has it
    // as forwarded, which it never posts again.
    let alerts = waystation_hub::alerts(pair.hub_dir.path(), 10).unwrap();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].attempts, 1);
    assert!(alerts[0].forwarded_ms.is_some());
    let posts = posts.lock().unwrap().clone();
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert_eq!(posts[0]["station"], "demo-0001");
    assert_eq!(posts[0]["kind"], "staff_call");
    assert!(posts[0]["time"].as_str().unwrap().ends_with("+08:00"));
    assert_eq!(posts[0].as_object().unwrap().len(), 3);
    eprintln!("the hub's answer reached the screen in {took:?}");

    worker
        .stop
        .store(true, std::sync::atomic::Ordering::Relaxed);
    drop(worker.wake);
    // The kiosk holds the other wake-up; dropping it lets the worker see the end at once.
    drop(kiosk);
    worker.thread.join().unwrap();
    let alerts = waystation_hub::alerts(pair.hub_dir.path(), 10).unwrap();
    assert_eq!(alerts.len(), 1);
    assert!(alerts[0].forwarded_ms.is_some());
}

#[test]
fn no_pin_set_means_the_pad_says_so() {
    let (kiosk, clock) = crate::ui::kiosk();
    hold_corner(&kiosk, &clock, Duration::from_millis(3100));
    type_pin(&kiosk, "1234");
    assert_eq!(shown(&kiosk), UiScreen::StaffPin);
    assert_eq!(
        waystation::ui::StaffPinAdapter::get(kiosk.window()).get_notice(),
        PinPadNotice::NoPin
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
    let hashed = run(&["staff", "hash-pin"], "246813\n");
    assert!(hashed.status.success());
    let phc = String::from_utf8(hashed.stdout).unwrap().trim().to_string();
    assert!(waystation::staff::pin::verify("246813", &phc) && !phc.contains("246813"));
    for short in ["12\n", "1234\n", "12345\n"] {
        assert_eq!(
            run(&["staff", "set-pin"], short).status.code(),
            Some(2),
            "too short: {short}"
        );
    }
    assert!(
        run(&["staff", "set-pin", "--hash", &phc], "")
            .status
            .success()
    );
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.pin_hash().unwrap().as_deref(), Some(phc.as_str()));
}

/// However a screen is made to ask (a stray binding, a crafted touch), the staff screens do not
/// open without the PIN: the core refuses, not only the screens' buttons.
#[test]
fn asking_for_a_staff_screen_without_the_pin_opens_nothing() {
    let (kiosk, _) = kiosk_on(Config::demo(), Store::open_in_memory().unwrap());
    let shell = waystation::ui::Shell::get(kiosk.window());
    for screen in [
        UiScreen::Staff,
        UiScreen::StaffRestock,
        UiScreen::StaffErrors,
    ] {
        shell.invoke_open(screen);
        assert_eq!(
            shown(&kiosk),
            UiScreen::Attract,
            "{screen:?} opened without the PIN"
        );
    }
    touch(&kiosk, "点击开始");
    shell.invoke_open(UiScreen::Staff);
    assert_eq!(shown(&kiosk), UiScreen::Home);
    assert!(!kiosk.session().staff.signed_in);
}

/// Argon2id runs off the UI thread: the pad says it is checking and takes no second try
/// meanwhile. Leaving at once does not escape the throttle (the wrong PIN still counts), and a
/// right PIN whose visit ended signs no one in.
#[test]
fn a_pin_is_checked_off_the_ui_thread_and_leaving_at_once_changes_nothing() {
    let (kiosk, clock, dir, _) = staffed_kiosk();
    hold_corner(&kiosk, &clock, Duration::from_millis(3100));
    for digit in "1111".chars() {
        press_key(&kiosk, &digit.to_string());
    }
    press_key(&kiosk, "确定");
    assert!(
        kiosk.session().staff.checking.is_some(),
        "checked in the callback"
    );
    let pad = waystation::ui::StaffPinAdapter::get(kiosk.window());
    assert_eq!(pad.get_notice(), PinPadNotice::Checking);
    touch(&kiosk, "快速隐藏：清除全部内容并离开");
    assert_eq!(shown(&kiosk), UiScreen::Attract);
    kiosk.settle();
    assert_eq!(
        audit(dir.path())
            .iter()
            .filter(|a| *a == "wrong_pin")
            .count(),
        1
    );

    hold_corner(&kiosk, &clock, Duration::from_millis(3100));
    for digit in PIN.chars() {
        press_key(&kiosk, &digit.to_string());
    }
    press_key(&kiosk, "确定");
    touch(&kiosk, "快速隐藏：清除全部内容并离开");
    kiosk.settle();
    assert_eq!(shown(&kiosk), UiScreen::Attract);
    assert!(!kiosk.session().staff.signed_in);
    assert!(!audit(dir.path()).contains(&"sign_in".to_string()));
}

/// Facts that make the status lines say every kind of part between them: each problem, one
/// day and several, minutes, hours and days, a printer fault in the staff's words and one
/// as the transport gave it.
fn facts_saying_everything() -> Vec<waystation::staff::status::Facts> {
    use waystation::printer::PrinterStatus;
    use waystation::staff::status::{BrochureFacts, Facts, NetworkFacts, PaperFacts, PrinterFacts};
    use waystation::update::{Outcome, StatusFile};
    let name = |zh: &str, en: &str| waystation::slip::Pair {
        zh: zh.into(),
        en: en.into(),
    };
    let brochure = |last_restock| BrochureFacts {
        name: name("热线卡", "Hotline cards"),
        last_restock,
        restock_every_days: 14,
    };
    let date = |d| chrono::NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
    let problems = Facts {
        printer: PrinterFacts {
            configured: true,
            status: Some(PrinterStatus::PaperOut),
            last_fault: Some("timed out".into()),
        },
        paper: PaperFacts {
            roll_mm: Some(20_000.0),
            used_since_restock_mm: 19_400.0,
            sensor_low: Some(true),
        },
        brochures: vec![
            brochure(Some((1, 40))),
            brochure(Some((20, 1))),
            brochure(None),
        ],
        network: NetworkFacts {
            hub_configured: true,
            last_success_age_s: Some(2 * 86_400),
            waiting: 312,
            oldest_waiting_age_s: Some(2 * 86_400),
            quarantined: 1,
        },
        clock_synced: false,
        clock_problem: true,
        directory_version: 3,
        directory_expires: date(1),
        today: date(28),
        version: "0.1.0".into(),
        uptime_s: 3 * 86_400,
        disk_free_bytes: Some(100 * 1024 * 1024),
        image_version: None,
        temperature_c: Some(83.0),
        update: update_status("A", Some(("2026.12.4", Outcome::RolledBack))),
    };
    let mut unknown = problems.clone();
    unknown.printer.status = None;
    unknown.printer.last_fault = Some("cover open".into());
    unknown.paper.roll_mm = None;
    unknown.network.last_success_age_s = None;
    unknown.network.oldest_waiting_age_s = Some(3 * 3600);
    unknown.uptime_s = 30 * 60;
    unknown.disk_free_bytes = None;
    unknown.temperature_c = None;
    unknown.update = StatusFile::Unreadable("expected value".into());
    let mut quiet = problems.clone();
    quiet.printer.configured = false;
    quiet.network.hub_configured = false;
    quiet.network.waiting = 0;
    quiet.network.quarantined = 0;
    quiet.clock_synced = true;
    quiet.clock_problem = false;
    quiet.directory_expires = date(30);
    quiet.disk_free_bytes = Some(20 * 1024 * 1024 * 1024);
    quiet.temperature_c = Some(52.0);
    quiet.image_version = Some("2026.12.3".into());
    quiet.update = update_status("B", Some(("2026.12.3", Outcome::Installed)));
    let mut waiting = quiet.clone();
    waiting.update = update_status("B", Some(("2026.12.4", Outcome::AwaitingReboot)));
    let mut trying = quiet.clone();
    trying.update = update_status("A", Some(("2026.12.4", Outcome::Trying)));
    let mut installing = quiet.clone();
    installing.update = update_status("B", Some(("2026.12.4", Outcome::Installing)));
    let mut failed = quiet.clone();
    failed.update = update_status("B", Some(("2026.12.4", Outcome::Failed)));
    let mut never = quiet.clone();
    never.update = update_status("A", None);
    let mut off_image = quiet.clone();
    off_image.update = StatusFile::Absent;
    vec![
        problems, unknown, quiet, waiting, trying, installing, failed, never, off_image,
    ]
}

/// Root's `update-status.json` as the kiosk reads it: the slot and the last update.
fn update_status(
    slot: &str,
    last: Option<(&str, waystation::update::Outcome)>,
) -> waystation::update::StatusFile {
    waystation::update::StatusFile::Read(waystation::update::UpdateStatus {
        slot: slot.into(),
        last: last.map(|(version, outcome)| waystation::update::LastUpdate {
            version: version.into(),
            outcome,
            detail: String::new(),
            at: "2026-12-03T14:00:00Z".into(),
        }),
    })
}

/// The staff screen's lines as shown: label, value and advice.
fn shown_lines(kiosk: &waystation::Kiosk) -> Vec<(String, String, String)> {
    use slint::Model;
    let rows = waystation::ui::StaffAdapter::get(kiosk.window()).get_rows();
    rows.iter()
        .map(|r| (r.label.into(), r.value.into(), r.advice.into()))
        .collect()
}

#[test]
fn the_status_lines_are_in_the_catalogues_and_the_command_line_says_the_screens_english() {
    let (kiosk, clock, _dir, _) = staffed_kiosk();
    hold_corner(&kiosk, &clock, Duration::from_millis(3100));
    type_pin(&kiosk, PIN);
    assert_eq!(shown(&kiosk), UiScreen::Staff);
    let shell = waystation::ui::Shell::get(kiosk.window());
    let (mut chinese, mut english) = (String::new(), String::new());
    for facts in facts_saying_everything() {
        kiosk.show_example_staff_status(facts.clone());
        let zh = shown_lines(&kiosk);
        chinese += &format!("{zh:?}");
        shell.invoke_toggle_language();
        // The screen shows problems first; so does this.
        let mut lines = waystation::staff::status::lines(&facts);
        lines.sort_by_key(|line| std::cmp::Reverse(line.level));
        let command_line: Vec<(String, String, String)> = lines
            .iter()
            .map(waystation::status::english::line)
            .map(|l| (l.label, l.value, l.advice.unwrap_or_default()))
            .collect();
        assert_eq!(shown_lines(&kiosk), command_line);
        english += &format!("{command_line:?}");
        shell.invoke_toggle_language();
        assert_eq!(shown_lines(&kiosk), zh, "back in Chinese");
    }
    for said in [
        "没纸了；最近故障：timed out",
        "约 1 米（3%）；传感器显示纸少",
        "1 天前补货 40 份",
        "20 天前补货 1 份",
        "在线，2 天前上传成功；待上传 312 条，最早的已等 2 天；1 条被服务中心拒收",
        "状态未知；最近故障：机盖开着",
        "待上传 312 条，最早的已等 3 小时",
        "\"30 分钟\"",
        "版本 3，已于 2026-11-01 过期",
        "剩余 100 MB",
        "83 °C",
        "未连接（纸条只在屏幕上显示）",
        "宣传册：热线卡",
        "0.1.0；不是从系统映像安装的",
        "0.1.0；系统映像 2026.12.3",
        "请检查网络：时间要从网上获取。联网几分钟后会自动对时。",
        "分区 A；2026.12.4 已回退",
        "更新状态无法读取",
        "分区 B；已安装 2026.12.3",
        "分区 B；已安装 2026.12.4，空闲时重启进入",
        "终端仍在运行原来的系统。服务中心也能看到这一情况，这里无需处理。",
    ] {
        assert!(chinese.contains(said), "{said} not in {chinese}");
    }
    assert!(!chinese.contains('{'), "a field not filled in: {chinese}");
    for said in [
        "40 added 1 day ago",
        "1 added 20 days ago",
        "about 1 m (3%)",
        "0.1.0; not installed from an image",
        "0.1.0; image 2026.12.3",
        "slot A; 2026.12.4 rolled back",
        "update status cannot be read",
        "slot B; 2026.12.3 installed",
        "slot A; trying 2026.12.4",
        "slot B; installing 2026.12.4",
        "slot B; 2026.12.4 failed to install",
    ] {
        assert!(english.contains(said), "{said} not in {english}");
    }
}

/// Reads a QR code shown on screen with rqrr, as a phone's camera would.
fn read_screen_qr(image: &slint::Image) -> String {
    let pixels = image.to_rgb8().expect("the code is an RGB image");
    let (w, h) = (pixels.width() as usize, pixels.height() as usize);
    let data = pixels.as_slice();
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| data[y * w + x].r);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "expected one QR code");
    grids[0].decode().expect("the QR code decodes").1
}

/// Signs in on the attract screen's hidden corner and opens "This kiosk".
fn open_this_kiosk(kiosk: &waystation::Kiosk, clock: &FakeClock) {
    hold_corner(kiosk, clock, Duration::from_millis(3100));
    type_pin(kiosk, PIN);
    assert_eq!(shown(kiosk), UiScreen::Staff);
    touch(kiosk, "本机信息");
    assert_eq!(shown(kiosk), UiScreen::StaffDevice);
}

#[test]
fn this_kiosk_shows_its_id_and_a_code_that_opens_the_hubs_registration_form_with_its_key() {
    let (dir, store) = store_with_pin();
    let mut config = Config::demo();
    config.hub.url = Some(waystation::config::HubUrl(
        url::Url::parse("https://hub.example.org/").unwrap(),
    ));
    let error = "/boot/firmware/waystation-provision.toml:3:1: unknown field `statoin`";
    let machine = waystation::machine::FakeMachine {
        provision_result: Some(waystation::machine::ProvisionResult::Failed(error.into())),
        ..Default::default()
    };
    let (kiosk, clock) =
        crate::ui::kiosk_on_machine(config, store, waystation::printer::no_printer(), machine);
    open_this_kiosk(&kiosk, &clock);
    // The key the kiosk signs its uploads with, as `waystation device` reads it.
    let key = Store::open(dir.path()).unwrap().device_key().unwrap();
    let device = waystation::ui::StaffDeviceAdapter::get(kiosk.window());
    let code = read_screen_qr(&device.get_qr());
    let link = url::Url::parse(&code).unwrap();
    assert_eq!(
        link.as_str().split('?').next(),
        Some("https://hub.example.org/kiosks")
    );
    let (name, value) = link.query_pairs().next().unwrap();
    assert_eq!(
        (name.as_ref(), value.as_ref()),
        ("key", key.public_base64().as_str())
    );
    assert_eq!(device.get_device_id(), key.device_id().as_str());
    assert!(device.get_links_to_hub());
    assert_eq!(
        device.get_provision(),
        waystation::ui::ProvisionState::Failed
    );
    assert_eq!(device.get_provision_error(), error);
    // Back is the status screen, still signed in.
    waystation::ui::Shell::get(kiosk.window()).invoke_go_back();
    assert_eq!(shown(&kiosk), UiScreen::Staff);
}

#[test]
fn without_a_hub_the_code_is_the_public_key_alone() {
    let (kiosk, clock, dir, _) = staffed_kiosk();
    open_this_kiosk(&kiosk, &clock);
    let key = Store::open(dir.path()).unwrap().device_key().unwrap();
    let device = waystation::ui::StaffDeviceAdapter::get(kiosk.window());
    assert_eq!(read_screen_qr(&device.get_qr()), key.public_base64());
    assert!(!device.get_links_to_hub());
    assert_eq!(device.get_provision(), waystation::ui::ProvisionState::None);
}
