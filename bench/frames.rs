//! The worst frame while the kiosk does something slow: a staff PIN check and a personal code
//! check (Argon2id, 19 MiB, two passes), a slip sent to print (rasterising the slip), and on
//! the tree hole's page typing pinyin (a dictionary lookup per key) and a handwritten character
//! (zinnia). All but the typing run off the UI thread; this measures every UI-thread step from the touch until the result
//! is on screen (the callback and a full repaint, then each tick and repaint while waiting),
//! and prints the longest beside the time of the slow work itself, which is what one frame
//! took when the work ran inside the callback. A frame at 60 Hz is 16.7 ms.
//!
//! Run with `cargo bench --bench frames [-- 800x480]`.

use std::time::{Duration, Instant};

use slint::{Global, Model, Rgb8Pixel};
use waystation::config::Config;
use waystation::kiosk::{Language, Screen};
use waystation::ui::screenshot::{Shot, draw, install, prepare};
use waystation::ui::{
    KeyCap, KeyRole, KeypadKey, MoodCodeAdapter, SlipAdapter, SlipPrintState, StaffPinAdapter,
    WritingAdapter,
};

const RUNS: usize = 5;

struct Frames<'a> {
    window: &'a slint::platform::software_renderer::MinimalSoftwareWindow,
    pixels: Vec<Rgb8Pixel>,
    width: u32,
    worst: Duration,
}

impl Frames<'_> {
    /// One UI-thread step and the repaint after it, timed together.
    fn step(&mut self, step: impl FnOnce()) {
        let start = Instant::now();
        step();
        draw(self.window, &mut self.pixels, self.width);
        self.worst = self.worst.max(start.elapsed());
    }

    /// Ticks (as the quarter-second timer does) until `done`, timing each tick's frame.
    fn until(&mut self, kiosk: &waystation::Kiosk, done: impl Fn() -> bool) {
        let started = Instant::now();
        while !done() && started.elapsed() < Duration::from_secs(20) {
            std::thread::sleep(Duration::from_millis(2));
            self.step(|| kiosk.tick_idle());
        }
    }
}

fn main() {
    let size = std::env::args()
        .skip(1)
        .find(|a| a.contains('x') && !a.starts_with('-'))
        .unwrap_or_else(|| "800x480".into());
    let (w, h): (u32, u32) = size
        .split_once('x')
        .and_then(|(w, h)| Some((w.parse().ok()?, h.parse().ok()?)))
        .expect("a size such as 800x480");
    let window = install(w, h).expect("the headless platform");
    let mut frames = Frames {
        window: &window,
        pixels: vec![Rgb8Pixel::default(); (w * h) as usize],
        width: w,
        worst: Duration::ZERO,
    };
    println!("worst UI-thread frame (step + full repaint) at {w}x{h}, {RUNS} runs each:");
    println!(
        "{:<22} {:>12} {:>18}",
        "while", "worst frame", "the work itself"
    );

    // The staff PIN: the slow part is one Argon2id verify.
    let hash = waystation::staff::pin::hash("246813", [1; 16]).unwrap();
    let argon = time(|| {
        waystation::staff::pin::verify("135792", &hash);
    });
    frames.worst = Duration::ZERO;
    for _ in 0..RUNS {
        let kiosk = at(Screen::StaffPin);
        let pin = StaffPinAdapter::get(kiosk.window());
        for digit in "135792".chars() {
            frames.step(|| pin.invoke_pressed(KeypadKey::character(digit)));
        }
        frames.step(|| pin.invoke_pressed(KeypadKey::enter()));
        frames.until(&kiosk, || kiosk.session().staff.checking.is_none());
    }
    report("a PIN check", frames.worst, argon);

    // A personal code: the slow part is one Argon2id derivation.
    let code = waystation::mood::code::PersonalCode::parse("7K3M-QX2P").unwrap();
    let argon = time(|| {
        code.keys(&[9; 16]);
    });
    frames.worst = Duration::ZERO;
    for _ in 0..RUNS {
        let kiosk = at(Screen::MoodCode);
        let pad = MoodCodeAdapter::get(kiosk.window());
        for key in "X2P".chars() {
            frames.step(|| pad.invoke_pressed(KeypadKey::character(key)));
        }
        frames.step(|| pad.invoke_pressed(KeypadKey::enter()));
        frames.until(&kiosk, || kiosk.session().mood.checking.is_none());
    }
    report("a code check", frames.worst, argon);

    // A crisis slip sent to print: the slow part is rasterising it.
    let text = waystation::slip::SlipText::builtin();
    let slip = waystation::slip::Slip::demo(Language::Chinese, "示例驿站", true);
    let raster = time(|| {
        waystation::slip::layout::render(&slip, &text, 384);
    });
    frames.worst = Duration::ZERO;
    for _ in 0..RUNS {
        let kiosk = at(Screen::Slip);
        let adapter = SlipAdapter::get(kiosk.window());
        frames.step(|| adapter.invoke_print());
        frames.until(&kiosk, || adapter.get_state() != SlipPrintState::Printing);
    }
    report("a slip print", frames.worst, raster);

    typing(&mut frames);
    handwriting(&mut frames);
}

/// A key of the on-screen keyboard, as its model gives it to the callback.
fn key(role: KeyRole, text: &str) -> KeyCap {
    KeyCap {
        text: text.into(),
        role,
        ..KeyCap::default()
    }
}

/// Pinyin typed letter by letter on the tree hole's page: every letter looks the composition
/// up in the dictionary on the UI thread, then the bar shows the candidates; a word is picked.
fn typing(frames: &mut Frames) {
    let engine = waystation_pinyin::Engine::builtin();
    let lookup = time(|| {
        engine.candidates("xiangjiale", waystation_pinyin::Options::default());
    });
    frames.worst = Duration::ZERO;
    for _ in 0..RUNS {
        let kiosk = at(Screen::Writing);
        let page = WritingAdapter::get(kiosk.window());
        for word in ["xiangjiale", "jintianhenlei", "buzhidaozenmeban"] {
            for letter in word.chars() {
                frames.step(|| page.invoke_key(key(KeyRole::Letter, &letter.to_string())));
            }
            frames.step(|| page.invoke_candidate(0));
            frames.step(|| page.invoke_key(key(KeyRole::Space, "")));
            frames.step(|| page.invoke_key(key(KeyRole::Text, "，")));
        }
    }
    report("typing pinyin", frames.worst, lookup);
}

/// The character 大 drawn on the handwriting pad (three strokes, a point every few pixels):
/// the ink shows at every point, and the recogniser runs off the UI thread after each stroke.
fn handwriting(frames: &mut Frames) {
    let strokes: [&[(f32, f32)]; 3] = [
        &[(60.0, 130.0), (150.0, 125.0), (240.0, 120.0)],
        &[(150.0, 40.0), (148.0, 130.0), (120.0, 200.0), (60.0, 260.0)],
        &[(155.0, 140.0), (200.0, 200.0), (250.0, 255.0)],
    ];
    let Ok(recogniser) = waystation_handwriting::Recogniser::open_default() else {
        println!(
            "{:<22} (zinnia or its model is not installed)",
            "handwriting"
        );
        return;
    };
    let mut ink = waystation_handwriting::Ink::new(300.0, 300.0);
    ink.strokes = strokes.iter().map(|s| s.to_vec()).collect();
    let recognise = time(|| {
        recogniser.candidates(&ink, 12);
    });
    frames.worst = Duration::ZERO;
    for _ in 0..RUNS {
        let kiosk = at(Screen::Writing);
        let page = WritingAdapter::get(kiosk.window());
        frames.step(|| page.invoke_key(key(KeyRole::Handwriting, "")));
        for stroke in strokes {
            let (x, y) = stroke[0];
            frames.step(|| page.invoke_ink_down(x, y, 300.0, 300.0));
            for pair in stroke.windows(2) {
                // A point every 5 pixels, as a finger moving on the screen reports them.
                let ((x0, y0), (x1, y1)) = (pair[0], pair[1]);
                for i in 1..=20 {
                    let t = i as f32 / 20.0;
                    frames.step(|| page.invoke_ink_move(x0 + (x1 - x0) * t, y0 + (y1 - y0) * t));
                }
            }
            frames.step(|| page.invoke_ink_up());
        }
        frames.until(&kiosk, || page.get_candidates().row_count() > 0);
    }
    report("handwriting", frames.worst, recognise);
}

/// A fresh kiosk on `screen`, in Chinese, as the screenshots reach it.
fn at(screen: Screen) -> waystation::Kiosk {
    let (kiosk, _) =
        prepare(Config::demo(), Shot::Screen(screen), Language::Chinese).expect("kiosk");
    // The keyboard's dictionary is built at start, off the UI thread: a worker reaches the
    // page seconds later.
    kiosk.settle();
    kiosk
}

/// The median of five runs of `work`.
fn time(work: impl Fn()) -> Duration {
    let mut runs: Vec<Duration> = (0..5)
        .map(|_| {
            let start = Instant::now();
            work();
            start.elapsed()
        })
        .collect();
    runs.sort();
    runs[2]
}

fn report(what: &str, worst: Duration, work: Duration) {
    println!(
        "{:<22} {:>9.2} ms {:>15.2} ms",
        what,
        worst.as_secs_f64() * 1e3,
        work.as_secs_f64() * 1e3
    );
}
