//! Full-screen repaint time of the main screens with the software renderer, at 800×480 and
//! 1280×800, and the kiosk's resident memory across 10,000 screen changes in one process.
//!
//! Run with `cargo bench --bench screens -- 800x480` (or `1280x800`): one size per process,
//! since the headless platform is installed once. A frame at 60 Hz is 16.7 ms; a Raspberry
//! Pi 4 is several times slower than a desktop core, so compare the margin, not the number.

use std::time::{Duration, Instant};

use slint::{Global, Rgb8Pixel};
use waystation::config::Config;
use waystation::kiosk::{Language, Screen};
use waystation::ui::screenshot::{Shot, draw, install, prepare};
use waystation::ui::{Screen as UiScreen, Shell};

/// The screens a worker sees most, and the staff status.
const MAIN: [Screen; 9] = [
    Screen::Attract,
    Screen::Home,
    Screen::Emergency,
    Screen::Question,
    Screen::Crisis,
    Screen::MoodFeel,
    Screen::MoodWeek,
    Screen::Resources,
    Screen::Slip,
];

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Resident memory of this process in KiB, from /proc/self/statm.
fn rss_kib() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as u64;
    pages * page / 1024
}

fn main() {
    let size = std::env::args()
        .skip(1)
        .find(|a| a.contains('x') && !a.starts_with('-'))
        .unwrap_or_else(|| "800x480".into());
    let (w, h) = size
        .split_once('x')
        .and_then(|(w, h)| Some((w.parse().ok()?, h.parse().ok()?)))
        .expect("a size such as 800x480");
    // The embedded font is unpacked once per process, before the first window: what a kiosk
    // pays once at start (src/fonts.rs).
    let start = Instant::now();
    let faces = waystation::fonts::regular().len() + waystation::fonts::bold().len();
    println!(
        "font unpacked at start: {faces} bytes in {:.0} ms",
        start.elapsed().as_secs_f64() * 1000.0
    );
    let window = install(w, h).expect("the headless platform");
    let mut pixels = vec![Rgb8Pixel::default(); (w * h) as usize];

    println!("full repaint at {w}x{h}, Chinese, 100 frames each after 3 warm-up frames");
    println!("{:<12} {:>9} {:>9} {:>9}", "screen", "p10", "median", "p90");
    for screen in MAIN {
        let (kiosk, _clock) =
            prepare(Config::demo(), Shot::Screen(screen), Language::Chinese).expect("kiosk");
        for _ in 0..3 {
            draw(&window, &mut pixels, w);
        }
        let mut times = Vec::new();
        for _ in 0..100 {
            let start = Instant::now();
            draw(&window, &mut pixels, w);
            times.push(start.elapsed());
        }
        times.sort();
        println!(
            "{:<12} {:>7.2}ms {:>7.2}ms {:>7.2}ms",
            screen.name(),
            percentile(&times, 0.1).as_secs_f64() * 1e3,
            percentile(&times, 0.5).as_secs_f64() * 1e3,
            percentile(&times, 0.9).as_secs_f64() * 1e3
        );
        drop(kiosk);
    }

    // Memory over time: one kiosk, 10,000 screen changes through the same callbacks a touch
    // fires, a frame drawn after each, and the session wiped every 20 changes as a worker
    // leaving would. Resident memory must level off, not grow.
    let (kiosk, _clock) = prepare(
        Config::demo(),
        Shot::Screen(Screen::Attract),
        Language::Chinese,
    )
    .expect("kiosk");
    let shell = Shell::get(kiosk.window());
    let cycle = [
        UiScreen::Emergency,
        UiScreen::About,
        UiScreen::MoodFeel,
        UiScreen::MoodWeek,
        UiScreen::Resources,
        UiScreen::CheckNotice,
        UiScreen::CheckTopics,
    ];
    println!("resident memory across 10,000 screen changes at {w}x{h}:");
    let start = Instant::now();
    for change in 0..=10_000usize {
        if change % 1000 == 0 {
            println!("  after {change:>6} changes: {:>7} KiB", rss_kib());
        }
        if change % 20 == 0 {
            shell.invoke_quick_hide();
            shell.invoke_start();
            if change % 40 == 0 {
                shell.invoke_toggle_language();
            }
        }
        shell.invoke_open(cycle[change % cycle.len()]);
        draw(&window, &mut pixels, w);
    }
    println!("  ({:.1} s in all)", start.elapsed().as_secs_f64());
}
