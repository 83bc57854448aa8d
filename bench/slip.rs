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
    let mut encode = Vec::new();
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
        // Encoding alone, for comparison with other encoders given the finished image
        // (bench/slip_python_escpos.py does the same with python-escpos).
        let image = layout::render(&slip, &words, width);
        let mut encode_times = Vec::new();
        for _ in 0..200 {
            let start = Instant::now();
            std::hint::black_box(escpos::encode(&image));
            encode_times.push(start.elapsed());
        }
        encode_times.sort();
        encode.push((width, crisis, percentile(&encode_times, 0.5)));
        let name = format!("{width} dots{}", if crisis { ", crisis" } else { "" });
        println!(
            "{name:<22} {:>10.2?} {:>10.2?} {:>10.2?} {bytes:>9} {:>6.0}mm",
            percentile(&times, 0.1),
            percentile(&times, 0.5),
            percentile(&times, 0.9),
            mm
        );
    }
    println!("ESC/POS encoding alone (median of 200):");
    for (width, crisis, median) in encode {
        let name = format!("{width} dots{}", if crisis { ", crisis" } else { "" });
        println!("{name:<22} {median:>10.2?}");
    }
}
