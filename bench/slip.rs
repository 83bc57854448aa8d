//! Render + encode time and bytes of the demo slip, in both widths, normal and crisis.
//!
//! Run with `cargo bench --bench slip`. Reports the median and the 10th/90th percentiles of
//! many runs in one process (these machines are noisy: compare figures from one run, not
//! across machines). Not a test: nothing here fails on a slow machine.

use std::time::{Duration, Instant};

use waystation::kiosk::Language;
use waystation::slip::{Slip, SlipText, escpos, layout};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let words = SlipText::builtin();
    // The font is parsed once per process; do it before timing, as the kiosk does at its first slip.
    let _ = layout::render(
        &Slip::demo(Language::Chinese, "示例驿站（演示）", false),
        &words,
        384,
    );

    println!(
        "{:<22} {:>10} {:>10} {:>10} {:>9} {:>8}",
        "slip", "p10", "median", "p90", "bytes", "paper"
    );
    for (width, crisis) in [(384, false), (384, true), (576, false), (576, true)] {
        let slip = Slip::demo(Language::Chinese, "示例驿站（演示）", crisis);
        let mut times = Vec::new();
        let mut bytes = 0;
        let mut mm = 0.0;
        for _ in 0..200 {
            let start = Instant::now();
            let image = layout::render(&slip, &words, width);
            let job = escpos::encode(&image);
            times.push(start.elapsed());
            bytes = job.len();
            mm = layout::length_mm(&image);
            std::hint::black_box(job);
        }
        times.sort();
        let name = format!("{width} dots{}", if crisis { ", crisis" } else { "" });
        println!(
            "{name:<22} {:>10.2?} {:>10.2?} {:>10.2?} {bytes:>9} {:>6.0}mm",
            percentile(&times, 0.1),
            percentile(&times, 0.5),
            percentile(&times, 0.9),
            mm
        );
    }
}
