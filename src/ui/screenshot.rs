//! Renders any screen to a PNG with Slint's software renderer, with no display and no GPU: for
//! docs, review and tests (`waystation screenshot`).

use std::path::Path;
use std::rc::Rc;
use std::time::Duration;

use slint::Rgb8Pixel;
use slint::platform::software_renderer::{MinimalSoftwareWindow, RepaintBufferType};
use slint::platform::{Platform, WindowAdapter};
use slint::{ComponentHandle, Global};

use super::{
    AppWindow, KeypadKey, Kiosk, KioskParts, MoodCodeAdapter, MoodDoneAdapter, MoodFeelAdapter,
    MoodTagsAdapter, MoodWordAdapter, QuestionAdapter, ResourcesAdapter, Screen as UiScreen, Shell,
    TopicsAdapter, init,
};
use crate::board::FakeBoard;
use crate::clock::{Clock, FakeClock};
use crate::config::Config;
use crate::kiosk::{Language, Screen};
use crate::screening::Catalogue;
use crate::staff::alert::{HubAnswer, HubOutcome};
use crate::store::Store;

/// What can be captured: every screen, plus states worth reviewing on their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shot {
    Screen(Screen),
    /// The home screen under the "are you still there?" countdown.
    IdleCountdown,
    /// The staff status with several problems (example facts).
    StaffProblems,
    /// The result after a crisis answer (PHQ-9 with only item 9 answered): crisis-aware words.
    ResultAfterCrisis,
    /// The mood check-in done with a word marked as distress: the help lines beside the offer.
    MoodDistress,
    /// The staff-call screen after a call that reached the staff: the board's light and
    /// buzzer switched on, and the hub's word that it passed the message on.
    StaffCallNotified,
    /// Crisis help after the worker asked for station staff, with no board and no hub.
    CrisisAsked,
    /// `waystation out-of-service`: the screen of a kiosk that keeps failing.
    OutOfService,
    /// Staff's export to a USB stick, finished (an example number of records).
    StaffUsbDone,
    /// The tree hole's page with the English layout, the symbols, the handwriting pad (a
    /// character drawn on it), the help card after words of despair, and the page with the
    /// keyboard put away (its three ways out), and pinyin with fuzzy pinyin switched on.
    WritingEnglish,
    WritingSymbols,
    WritingHandwriting,
    WritingCard,
    WritingPage,
    WritingFuzzy,
}

/// The pictures other than a screen as a visit first shows it, listed after the screens.
const VARIANTS: &[(Shot, &str)] = &[
    (
        Shot::IdleCountdown,
        "the home screen under the idle countdown",
    ),
    (
        Shot::StaffProblems,
        "staff status with several problems (example facts)",
    ),
    (
        Shot::ResultAfterCrisis,
        "the result after crisis help (PHQ-9, only item 9 answered)",
    ),
    (
        Shot::MoodDistress,
        "mood check-in done with a distress word (快撑不住了): help lines too",
    ),
    (
        Shot::StaffCallNotified,
        "after the staff-call button: light and buzzer on, message passed on by the hub",
    ),
    (
        Shot::CrisisAsked,
        "crisis help after asking for staff, with no light, buzzer or hub",
    ),
    (
        Shot::StaffUsbDone,
        "staff: export to a USB stick, done and safe to pull out",
    ),
    (Shot::WritingEnglish, "write it down: the English layout"),
    (
        Shot::WritingSymbols,
        "write it down: digits and punctuation",
    ),
    (
        Shot::WritingHandwriting,
        "write it down: a character drawn on the handwriting pad, with its guesses",
    ),
    (
        Shot::WritingCard,
        "write it down: the help card beside words of despair",
    ),
    (
        Shot::WritingPage,
        "write it down: the keyboard put away, the three ways out",
    ),
    (
        Shot::WritingFuzzy,
        "write it down: pinyin with fuzzy pinyin (模糊音) switched on",
    ),
    (
        Shot::OutOfService,
        "out of service after a crash loop: the emergency lines, and when it tries again",
    ),
];

impl Shot {
    pub fn all() -> Vec<(Shot, &'static str)> {
        let mut shots: Vec<(Shot, &'static str)> = Screen::ALL
            .into_iter()
            .map(|s| {
                let what = match s {
                    Screen::Attract => "the idle screen that invites people in",
                    Screen::Home => "the capability tiles",
                    Screen::Emergency => "emergency lines and when to call which",
                    Screen::About => "what the kiosk keeps and never keeps",
                    Screen::CheckNotice => "before a self-check: anonymous, not a diagnosis",
                    Screen::CheckTopics => "the themes that lead to a questionnaire",
                    Screen::Question => "question 3 of the PHQ-9",
                    Screen::Result => "a GAD-7 result (moderate: talk to a professional)",
                    Screen::Crisis => "crisis help after PHQ-9 item 9",
                    Screen::MoodFeel => "mood check-in: the pleasantness × energy grid",
                    Screen::MoodWord => "mood check-in: one word",
                    Screen::MoodTags => "mood check-in: what weighs on you",
                    Screen::MoodDone => "mood check-in done, with a personal code",
                    Screen::Breathing => "the 60-second breathing exercise",
                    Screen::MoodWeek => "this station last week (example check-ins)",
                    Screen::MoodCode => "the personal code keypad",
                    Screen::Slip => "the slip on screen after a crisis (QR and lines)",
                    Screen::Writing => "write it down: a page, pinyin typed (xiangjia) with its words",
                    Screen::Resources => "the directory as the configured station lists it",
                    Screen::ResourceDetail => "one directory entry with its QR code",
                    Screen::StaffPin => "the station PIN pad after a wrong PIN",
                    Screen::Staff => "staff status, all well (example facts)",
                    Screen::StaffRestock => "staff: recording a restock",
                    Screen::StaffErrors => "staff: recent errors",
                    Screen::StaffDevice => "staff: this kiosk's id and registration QR code",
                    Screen::StaffUsb => "staff: export to a USB stick, before it starts",
                    Screen::StaffCall => {
                        "after the staff-call button, with no light, buzzer or hub: go and find the staff"
                    }
                };
                (Shot::Screen(s), what)
            })
            .collect();
        shots.extend_from_slice(VARIANTS);
        shots
    }

    pub fn name(self) -> &'static str {
        match self {
            Shot::Screen(s) => s.name(),
            Shot::IdleCountdown => "idle",
            Shot::StaffProblems => "staff-problems",
            Shot::ResultAfterCrisis => "result-after-crisis",
            Shot::MoodDistress => "mood-distress",
            Shot::StaffCallNotified => "staff-call-notified",
            Shot::CrisisAsked => "crisis-asked",
            Shot::OutOfService => "out-of-service",
            Shot::StaffUsbDone => "staff-usb-done",
            Shot::WritingEnglish => "writing-english",
            Shot::WritingSymbols => "writing-symbols",
            Shot::WritingHandwriting => "writing-handwriting",
            Shot::WritingCard => "writing-card",
            Shot::WritingPage => "writing-page",
            Shot::WritingFuzzy => "writing-fuzzy",
        }
    }

    pub fn from_name(name: &str) -> Option<Shot> {
        Shot::all()
            .into_iter()
            .map(|(s, _)| s)
            .find(|s| s.name() == name)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ScreenshotError {
    #[error("size {0}x{1} is too small or too large (320x240 to 3840x2160)")]
    BadSize(u32, u32),
    #[error("cannot start the headless renderer: {0}")]
    Platform(String),
    #[error("cannot prepare the kiosk: {0}")]
    Kiosk(String),
    #[error("cannot write {path}: {reason}")]
    Write { path: String, reason: String },
}

struct Headless {
    window: Rc<MinimalSoftwareWindow>,
}

impl Platform for Headless {
    fn create_window_adapter(&self) -> Result<Rc<dyn WindowAdapter>, slint::PlatformError> {
        Ok(self.window.clone())
    }
}

/// Renders `shot` at `width`×`height` in `language` to RGB pixels. Installs a headless Slint
/// platform, so it can run once per process (the screenshot command is one process per image).
pub fn render(
    config: Config,
    shot: Shot,
    language: Language,
    width: u32,
    height: u32,
) -> Result<Vec<Rgb8Pixel>, ScreenshotError> {
    let window = install(width, height)?;
    let (kiosk, _clock) = prepare(config, shot, language)?;
    let mut pixels = vec![Rgb8Pixel::default(); width as usize * height as usize];
    // Two passes: the first settles properties that depend on the window size (the theme's
    // scale), the second draws the settled frame.
    for _ in 0..2 {
        draw(&window, &mut pixels, width);
    }
    drop(kiosk);
    Ok(pixels)
}

/// Installs the headless platform with one window of the given size. Once per process.
pub fn install(width: u32, height: u32) -> Result<Rc<MinimalSoftwareWindow>, ScreenshotError> {
    if !(320..=3840).contains(&width) || !(240..=2160).contains(&height) {
        return Err(ScreenshotError::BadSize(width, height));
    }
    let window = MinimalSoftwareWindow::new(RepaintBufferType::NewBuffer);
    window.set_size(slint::PhysicalSize::new(width, height));
    slint::platform::set_platform(Box::new(Headless {
        window: window.clone(),
    }))
    .map_err(|e| ScreenshotError::Platform(e.to_string()))?;
    Ok(window)
}

/// Draws the whole window into `pixels` (a full repaint: the window's buffer is new each time).
pub fn draw(window: &MinimalSoftwareWindow, pixels: &mut [Rgb8Pixel], width: u32) {
    slint::platform::update_timers_and_animations();
    window.request_redraw();
    window.draw_if_needed(|renderer| {
        renderer.render(pixels, width as usize);
    });
}

/// A kiosk showing `shot`, on a fixed clock and a private in-memory store, in the installed
/// headless window. Drop it before preparing the next.
pub fn prepare(
    config: Config,
    shot: Shot,
    language: Language,
) -> Result<(Kiosk, FakeClock), ScreenshotError> {
    // A fixed clock and an empty in-memory store: a screenshot shows no one's data and writes
    // nothing to the kiosk's disk.
    let clock = FakeClock::new(
        chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap_or_default(),
        true,
    );
    let idle_after = config.kiosk.idle_seconds.duration();
    let mut store = Store::open_in_memory().map_err(|e| ScreenshotError::Kiosk(e.to_string()))?;
    if shot == Shot::Screen(Screen::MoodWeek) {
        example_week(&mut store, &clock).map_err(|e| ScreenshotError::Kiosk(e.to_string()))?;
    }
    let staff_shot = matches!(
        shot,
        Shot::StaffProblems
            | Shot::StaffUsbDone
            | Shot::Screen(
                Screen::StaffPin
                    | Screen::Staff
                    | Screen::StaffRestock
                    | Screen::StaffErrors
                    | Screen::StaffDevice
                    | Screen::StaffUsb
            )
    );
    if staff_shot {
        example_staff(&mut store, &clock).map_err(|e| ScreenshotError::Kiosk(e.to_string()))?;
    }
    let mut config = config;
    if shot == Shot::WritingPage {
        // The page's picture is of a station with a printer, so that it shows all three ways
        // out (the button is there only when one is fitted); nothing is printed.
        config.printer.transport = crate::config::PrinterTransport::Usb;
    }
    let kiosk: Kiosk = init(KioskParts {
        config,
        store,
        clock: Rc::new(clock.clone()) as Rc<dyn Clock>,
        // The same slip number and codes in every picture.
        entropy: Rc::new(crate::entropy::FakeEntropy::new(2026)),
        // A screenshot never prints.
        printer: crate::printer::no_printer(),
        directory: crate::directory::Bundle::shipped(),
        // The staff screen's pictures show example facts, never this machine's.
        machine: std::sync::Arc::new(crate::machine::FakeMachine::default()),
    })
    .map_err(|e| ScreenshotError::Kiosk(e.to_string()))?;

    match shot {
        Shot::Screen(Screen::Staff) => kiosk.show_example_staff_status(example_facts(false)),
        Shot::StaffProblems => kiosk.show_example_staff_status(example_facts(true)),
        _ => {}
    }
    walk_to(&kiosk, shot, language);
    after_walk(&kiosk, shot, language, &clock);
    if shot == Shot::IdleCountdown {
        clock.advance(idle_after + Duration::from_millis(100));
        kiosk.tick_idle();
    }
    kiosk
        .window()
        .show()
        .map_err(|e| ScreenshotError::Kiosk(e.to_string()))?;
    Ok((kiosk, clock))
}

/// What a shot does once the walk has reached its screen: a press or an answer that only
/// happens there, or the out of service mode's screen put over the window.
fn after_walk(kiosk: &Kiosk, shot: Shot, language: Language, clock: &FakeClock) {
    match shot {
        Shot::CrisisAsked => super::CrisisAdapter::get(kiosk.window()).invoke_ask_staff(),
        Shot::StaffUsbDone => kiosk.show_example_usb_export_done(128),
        Shot::Screen(Screen::Writing)
        | Shot::WritingEnglish
        | Shot::WritingSymbols
        | Shot::WritingHandwriting
        | Shot::WritingCard
        | Shot::WritingPage
        | Shot::WritingFuzzy => example_writing(kiosk, shot, language),
        Shot::Screen(Screen::StaffCall) => press_staff_call(kiosk, FakeBoard::without_outputs()),
        Shot::StaffCallNotified => {
            press_staff_call(kiosk, FakeBoard::default());
            // The hub's answer, through the same channel the uploader uses.
            let (tell, answers) = std::sync::mpsc::channel();
            kiosk.set_alert_answers(answers);
            if let Some(record_id) = kiosk.staff_call().and_then(|call| call.record_id) {
                let _ = tell.send(HubAnswer {
                    record_id,
                    outcome: HubOutcome::Forwarded,
                });
            }
            kiosk.tick_idle();
        }
        Shot::OutOfService => {
            let now = clock.monotonic();
            let mut mode = super::out_of_service::OutOfService::new(now);
            mode.language = language;
            super::out_of_service::render(kiosk.window(), &mode, now);
        }
        _ => {}
    }
}

/// Writes an example page through the keyboard's own callbacks: words as a text key would put
/// them in, pinyin letter by letter, a character drawn on the pad. The words exist only in the
/// picture.
fn example_writing(kiosk: &Kiosk, shot: Shot, language: Language) {
    use super::{KeyCap, KeyRole, WritingAdapter};
    let writing = WritingAdapter::get(kiosk.window());
    let key = |role: KeyRole, text: &str| {
        writing.invoke_key(KeyCap {
            text: text.into(),
            role,
            row: 0,
            column: 0.0,
            span: 1.0,
            active: false,
        })
    };
    let english = language == Language::English;
    let page = match shot {
        Shot::WritingCard if english => {
            "Forty orders today in the rain, and a bad rating for being late. Some nights I just want to die."
        }
        Shot::WritingCard => "今天下雨跑了四十单，还被差评。有时候真的不想活了。",
        _ if english => "Forty orders today in the rain, and a bad rating for being late. ",
        _ => "今天下雨跑了四十单，还被差评，",
    };
    key(KeyRole::Text, page);
    match shot {
        Shot::Screen(Screen::Writing) => {
            for c in "xiangjia".chars() {
                key(KeyRole::Letter, &c.to_string());
            }
        }
        Shot::WritingEnglish => {
            key(KeyRole::English, "");
            key(KeyRole::Shift, "");
        }
        Shot::WritingSymbols => key(KeyRole::Symbols, ""),
        Shot::WritingHandwriting => {
            key(KeyRole::Handwriting, "");
            draw_example_character(kiosk);
        }
        Shot::WritingPage => key(KeyRole::Hide, ""),
        Shot::WritingFuzzy => writing.invoke_toggle_fuzzy(),
        _ => {}
    }
}

/// 大, drawn on the pad in three strokes as a finger would (the pad's size at 800×480; a
/// slightly different size only stretches the picture).
fn draw_example_character(kiosk: &Kiosk) {
    use super::WritingAdapter;
    let writing = WritingAdapter::get(kiosk.window());
    let (width, height) = (547.0, 150.0);
    let strokes: [&[(f32, f32)]; 3] = [
        &[(0.25, 0.40), (0.50, 0.37), (0.75, 0.35)],
        &[
            (0.50, 0.12),
            (0.49, 0.40),
            (0.44, 0.62),
            (0.36, 0.80),
            (0.28, 0.90),
        ],
        &[(0.51, 0.45), (0.57, 0.62), (0.65, 0.78), (0.75, 0.90)],
    ];
    let (side, left) = (height, (width - height) / 2.0);
    for stroke in strokes {
        let at = |(x, y): (f32, f32)| (left + x * side, y * side);
        let (x, y) = at(stroke[0]);
        writing.invoke_ink_down(x, y, width, height);
        for point in &stroke[1..] {
            let (x, y) = at(*point);
            writing.invoke_ink_move(x, y);
        }
        writing.invoke_ink_up();
    }
    kiosk.settle();
}

/// Presses the staff-call button of `board` (a pretend board, for the picture only) for half a
/// second, as a worker would.
fn press_staff_call(kiosk: &Kiosk, board: FakeBoard) {
    kiosk.attach_board(Box::new(board.clone()));
    board.state.borrow_mut().button_down = true;
    kiosk.tick_idle();
    kiosk.tick_idle();
    board.state.borrow_mut().button_down = false;
    kiosk.tick_idle();
}

/// Fills the screenshot's private in-memory store with an example week, so the week view shows
/// what it does with real numbers: two quadrants shown, one hidden for being small and one
/// hidden because it could otherwise be worked out. These check-ins exist only in the picture.
fn example_week(store: &mut Store, clock: &FakeClock) -> Result<(), crate::store::StoreError> {
    use crate::mood::{CheckIn, Quadrant, Vocabulary};
    let vocabulary = Vocabulary::builtin();
    // Quadrant, pleasantness, energy, word, tags, how many times.
    type Example<'a> = (Quadrant, i64, i64, &'a str, &'a [&'a str], usize);
    let plan: [Example; 7] = [
        (Quadrant::Blue, -1, -2, "tired", &["sleep", "orders"], 18),
        (Quadrant::Blue, -2, -1, "down", &["income", "sleep"], 9),
        (Quadrant::Blue, -1, -1, "exhausted", &["weather"], 7),
        (Quadrant::Red, -1, 2, "stressed", &["orders", "ratings"], 12),
        (Quadrant::Red, -2, 1, "rushed", &["traffic", "weather"], 9),
        (Quadrant::Green, 1, -1, "calm", &["nothing"], 14),
        (Quadrant::Yellow, 2, 1, "happy", &[], 6),
    ];
    // Last week: the view shows only closed weeks, never the one under way.
    let last_week = FakeClock::new(clock.read().wall - chrono::Duration::days(7), true);
    for (quadrant, p, e, word, tags, times) in plan {
        let tags: Vec<String> = tags.iter().map(|t| t.to_string()).collect();
        let check_in = CheckIn::new(&vocabulary, quadrant, p, e, word, &tags)
            .expect("the example check-ins are valid");
        for _ in 0..times {
            let wall = last_week.read().wall;
            crate::store::mood::commit_check_in(store, wall, &check_in, false, None)?;
        }
    }
    Ok(())
}

/// The example station PIN of the staff screenshots (in their private in-memory store only).
const EXAMPLE_PIN: &str = "246813";

/// Fills the screenshot's private store for the staff screens: the example PIN, one wrong
/// try, a printer fault and a refused record for the errors screen.
fn example_staff(store: &mut Store, clock: &FakeClock) -> Result<(), crate::store::StoreError> {
    use crate::store::RecordStamp;
    let hash = crate::staff::pin::hash(EXAMPLE_PIN, [1; 16]).expect("the example PIN is valid");
    let entropy = crate::entropy::FakeEntropy::new(11);
    store.set_pin_hash(&hash, RecordStamp::now(clock, &entropy)?)?;
    store.record_wrong_pin(RecordStamp::now(clock, &entropy)?)?;
    clock.advance(Duration::from_secs(600));
    let slip = crate::slip::Slip::demo(Language::Chinese, "示例", false);
    let outcome = crate::printer::PrintOutcome::NotReady(crate::printer::PrinterStatus::PaperOut);
    let stamp = RecordStamp::now(clock, &entropy)?;
    crate::store::slip::commit_print(store, stamp, &slip, &outcome, 0.0)?;
    Ok(())
}

/// Example facts for the staff status pictures: all well, or several problems at once.
fn example_facts(problems: bool) -> crate::staff::status::Facts {
    use crate::printer::PrinterStatus;
    use crate::staff::status::{BrochureFacts, Facts, NetworkFacts, PaperFacts, PrinterFacts};
    let pair = |zh: &str, en: &str| crate::slip::Pair {
        zh: zh.into(),
        en: en.into(),
    };
    let date = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
    Facts {
        printer: PrinterFacts {
            configured: true,
            status: Some(if problems {
                PrinterStatus::PaperOut
            } else {
                PrinterStatus::Ready
            }),
            last_fault: problems.then(|| "paper out".to_string()),
        },
        paper: PaperFacts {
            roll_mm: Some(20_000.0),
            used_since_restock_mm: if problems { 19_400.0 } else { 6_200.0 },
            sensor_low: None,
        },
        brochures: vec![
            BrochureFacts {
                name: pair("心理热线卡（示例）", "Hotline cards (example)"),
                last_restock: Some(if problems { (19, 40) } else { (3, 40) }),
                restock_every_days: 14,
            },
            BrochureFacts {
                name: pair("睡眠小贴士（示例）", "Sleep tips (example)"),
                last_restock: Some((12, 20)),
                restock_every_days: 30,
            },
        ],
        network: NetworkFacts {
            hub_configured: true,
            last_success_age_s: Some(if problems { 2 * 86_400 + 3600 } else { 240 }),
            waiting: if problems { 312 } else { 0 },
            oldest_waiting_age_s: problems.then_some(2 * 86_400),
            quarantined: u64::from(problems),
        },
        clock_synced: !problems,
        clock_problem: false,
        directory_version: 3,
        directory_expires: if problems {
            date(2026, 9, 1)
        } else {
            date(2027, 6, 30)
        },
        today: date(2026, 9, 21),
        version: env!("CARGO_PKG_VERSION").to_string(),
        uptime_s: 3 * 86_400 + 5 * 3600,
        disk_free_bytes: Some(if problems { 150 } else { 11_800 } * 1024 * 1024),
        image_version: Some("2026.12.3".into()),
        temperature_c: Some(if problems { 74.0 } else { 51.0 }),
        update: crate::update::StatusFile::Read(crate::update::UpdateStatus {
            slot: if problems { "A" } else { "B" }.into(),
            last: Some(crate::update::LastUpdate {
                version: "2026.12.4".into(),
                outcome: if problems {
                    crate::update::Outcome::RolledBack
                } else {
                    crate::update::Outcome::Installed
                },
                detail: String::new(),
                at: "2026-12-03T14:00:00Z".into(),
            }),
        }),
    }
}

/// Reaches a shot the way a worker would, through the same callbacks a touch fires, so a
/// screenshot shows exactly what the kiosk shows (the answers are fixed examples).
fn walk_to(kiosk: &Kiosk, shot: Shot, language: Language) {
    let window = kiosk.window();
    let shell = Shell::get(window);
    if shell.get_language() != super::shell::language_to_ui(language) {
        shell.invoke_toggle_language();
    }
    let screen = match shot {
        Shot::Screen(Screen::Attract) => return,
        Shot::Screen(screen) => screen,
        Shot::IdleCountdown => Screen::Home,
        Shot::StaffProblems => Screen::Staff,
        Shot::StaffUsbDone => Screen::StaffUsb,
        Shot::WritingEnglish
        | Shot::WritingSymbols
        | Shot::WritingHandwriting
        | Shot::WritingCard
        | Shot::WritingPage
        | Shot::WritingFuzzy => Screen::Writing,
        Shot::ResultAfterCrisis => {
            shell.invoke_start();
            walk_to_result_after_crisis(window);
            return;
        }
        Shot::MoodDistress => {
            shell.invoke_start();
            walk_to_mood_distress(window);
            return;
        }
        // The staff-call button is pressed after the walk, on the attract screen.
        Shot::StaffCallNotified => return,
        Shot::CrisisAsked => Screen::Crisis,
        // Its own mode's screen, over the attract screen (see `prepare`).
        Shot::OutOfService => return,
    };
    match screen {
        Screen::StaffPin
        | Screen::Staff
        | Screen::StaffRestock
        | Screen::StaffErrors
        | Screen::StaffDevice
        | Screen::StaffUsb => {
            walk_to_staff(kiosk, screen);
        }
        // The staff-call button is pressed after the walk, on the attract screen.
        Screen::StaffCall => {}
        _ => {
            shell.invoke_start();
            walk_through_visit(kiosk, screen);
        }
    }
}

/// A check-in whose word signals distress, up to the screen that offers help.
fn walk_to_mood_distress(window: &AppWindow) {
    Shell::get(window).invoke_open(UiScreen::MoodFeel);
    MoodFeelAdapter::get(window).invoke_feel(-1, 1);
    let vocabulary = crate::mood::Vocabulary::builtin();
    let overwhelmed = vocabulary
        .words_in(crate::mood::Quadrant::Red)
        .position(|w| w.id == "overwhelmed")
        .unwrap_or(0);
    MoodWordAdapter::get(window).invoke_choose(overwhelmed as i32);
    MoodTagsAdapter::get(window).invoke_done();
}

/// Staff mode from the attract screen: the PIN pad after one wrong try, or signed in and on to
/// the status, the restock form (with a few changes made) or the error list.
fn walk_to_staff(kiosk: &Kiosk, screen: Screen) {
    let window = kiosk.window();
    Shell::get(window).invoke_open(UiScreen::StaffPin);
    let pin = super::StaffPinAdapter::get(window);
    if screen == Screen::StaffPin {
        // One wrong try: the notice shows until the next digit is typed.
        for digit in "1111".chars() {
            pin.invoke_pressed(KeypadKey::character(digit));
        }
        pin.invoke_pressed(KeypadKey::enter());
        kiosk.settle();
        return;
    }
    for digit in EXAMPLE_PIN.chars() {
        pin.invoke_pressed(KeypadKey::character(digit));
    }
    pin.invoke_pressed(KeypadKey::enter());
    // The check runs off the UI thread; the picture is of what follows it.
    kiosk.settle();
    match screen {
        Screen::StaffRestock => {
            super::StaffAdapter::get(window).invoke_restock();
            let restock = super::StaffRestockAdapter::get(window);
            restock.invoke_adjust(0, 10);
            restock.invoke_adjust(0, 10);
            restock.invoke_adjust(1, 1);
        }
        Screen::StaffErrors => super::StaffAdapter::get(window).invoke_errors(),
        Screen::StaffDevice => super::StaffAdapter::get(window).invoke_device(),
        Screen::StaffUsb => super::StaffAdapter::get(window).invoke_usb_export(),
        _ => {}
    }
}

/// A worker's screens, from the home screen of a started visit.
fn walk_through_visit(kiosk: &Kiosk, screen: Screen) {
    let window = kiosk.window();
    let shell = Shell::get(window);
    let answer_topic = |topic: &str, answers: &[i32]| answer_topic(window, topic, answers);
    match screen {
        Screen::Attract | Screen::Home => {}
        Screen::Emergency => shell.invoke_open(UiScreen::Emergency),
        Screen::About => shell.invoke_open(UiScreen::About),
        Screen::CheckNotice => shell.invoke_open(UiScreen::CheckNotice),
        Screen::CheckTopics => {
            shell.invoke_open(UiScreen::CheckNotice);
            shell.invoke_open(UiScreen::CheckTopics);
        }
        Screen::Question => answer_topic("low", &[1, 2]),
        Screen::Result => answer_topic("worried", &[2, 2, 1, 2, 1, 1, 2]),
        Screen::Crisis => answer_topic("low", &[1, 1, 0, 1, 0, 0, 0, 0, 1]),
        Screen::MoodFeel
        | Screen::MoodWord
        | Screen::MoodTags
        | Screen::MoodDone
        | Screen::Breathing
        | Screen::MoodWeek
        | Screen::MoodCode => walk_through_mood(kiosk, screen),
        Screen::Slip => {
            answer_topic("low", &[1, 1, 0, 1, 0, 0, 0, 0, 1]);
            shell.invoke_open(UiScreen::Slip);
        }
        Screen::Resources => shell.invoke_open(UiScreen::Resources),
        Screen::Writing => shell.invoke_open(UiScreen::Writing),
        Screen::ResourceDetail => {
            shell.invoke_open(UiScreen::Resources);
            ResourcesAdapter::get(window).invoke_open_entry(1);
        }
        Screen::StaffPin
        | Screen::Staff
        | Screen::StaffRestock
        | Screen::StaffErrors
        | Screen::StaffDevice
        | Screen::StaffUsb
        | Screen::StaffCall => {}
    }
}

/// The mood check-in's screens, from the home screen of a started visit.
fn walk_through_mood(kiosk: &Kiosk, screen: Screen) {
    let window = kiosk.window();
    let shell = Shell::get(window);
    match screen {
        Screen::MoodWord | Screen::MoodTags | Screen::MoodDone => {
            shell.invoke_open(UiScreen::MoodFeel);
            MoodFeelAdapter::get(window).invoke_feel(-1, -2);
            if screen == Screen::MoodWord {
                return;
            }
            MoodWordAdapter::get(window).invoke_choose(0);
            let tags = MoodTagsAdapter::get(window);
            tags.invoke_toggle(7);
            tags.invoke_toggle(5);
            if screen == Screen::MoodDone {
                tags.invoke_done();
                MoodDoneAdapter::get(window).invoke_take_code();
                kiosk.settle();
            }
        }
        Screen::Breathing => {
            shell.invoke_open(UiScreen::MoodFeel);
            MoodFeelAdapter::get(window).invoke_feel(-2, 2);
            MoodWordAdapter::get(window).invoke_choose(0);
            MoodTagsAdapter::get(window).invoke_done();
            MoodDoneAdapter::get(window).invoke_take_offer();
        }
        Screen::MoodWeek => shell.invoke_open(UiScreen::MoodWeek),
        Screen::MoodCode => {
            shell.invoke_open(UiScreen::MoodFeel);
            MoodFeelAdapter::get(window).invoke_enter_code();
            for key in "7K3MQ".chars() {
                MoodCodeAdapter::get(window).invoke_pressed(KeypadKey::character(key));
            }
        }
        Screen::MoodFeel => shell.invoke_open(UiScreen::MoodFeel),
        // The other screens are not the check-in's; `walk_through_visit` sends none here.
        _ => {}
    }
}

/// Through the notice and the themes to the questionnaire `topic` leads to, answering each
/// question in turn (answers are option indices).
fn answer_topic(window: &AppWindow, topic: &str, answers: &[i32]) {
    let shell = Shell::get(window);
    shell.invoke_open(UiScreen::CheckNotice);
    shell.invoke_open(UiScreen::CheckTopics);
    let topics = Catalogue::builtin().topics;
    let index = topics.iter().position(|t| t.id == topic).unwrap_or(0);
    TopicsAdapter::get(window).invoke_choose(index as i32);
    for answer in answers {
        QuestionAdapter::get(window).invoke_answer(*answer);
    }
}

/// PHQ-9 with every answer "not at all" but item 9 "several days", through crisis help to the
/// result.
fn walk_to_result_after_crisis(window: &AppWindow) {
    answer_topic(window, "low", &[0, 0, 0, 0, 0, 0, 0, 0, 1]);
    super::CrisisAdapter::get(window).invoke_go_on();
}

/// Writes RGB pixels as a PNG.
pub fn write_png(
    path: &Path,
    pixels: &[Rgb8Pixel],
    width: u32,
    height: u32,
) -> Result<(), ScreenshotError> {
    let write_err = |reason: String| ScreenshotError::Write {
        path: path.display().to_string(),
        reason,
    };
    let file = std::fs::File::create(path).map_err(|e| write_err(e.to_string()))?;
    let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder
        .write_header()
        .map_err(|e| write_err(e.to_string()))?;
    let bytes: Vec<u8> = pixels.iter().flat_map(|p| [p.r, p.g, p.b]).collect();
    writer
        .write_image_data(&bytes)
        .map_err(|e| write_err(e.to_string()))?;
    writer.finish().map_err(|e| write_err(e.to_string()))
}
