//! Time to open zinnia with the Tegaki model, and time per recognition by stroke count.
//!
//! Run with `cargo bench -p waystation-handwriting`. Needs libzinnia0 and
//! tegaki-zinnia-simplified-chinese (.ci/run installs them). Reports the median and the worst
//! of many runs in one process (these machines are noisy: compare figures from one run, not
//! across machines). Not a test: nothing here fails on a slow machine.

use std::time::{Duration, Instant};

use waystation_handwriting::{Ink, Recogniser};

const RUNS: usize = 200;
const OPENS: usize = 50;
/// The kiosk's pad is about this size; the size does not change the work (tests/recognise.rs).
const SIDE: f32 = 300.0;

fn median(sorted: &[Duration]) -> Duration {
    sorted[sorted.len() / 2]
}

/// A character's medians from the test fixture, drawn in a SIDE × SIDE pad (the data's box is
/// 1024 units, y up, baseline at 900).
fn character(wanted: &str) -> Ink {
    let all: serde_json::Value =
        serde_json::from_str(include_str!("../tests/data/medians.json")).expect("fixture is JSON");
    let medians: Vec<Vec<(f32, f32)>> =
        serde_json::from_value(all[wanted].clone()).expect("character in the fixture");
    let scale = SIDE / 1024.0;
    Ink {
        width: SIDE,
        height: SIDE,
        strokes: medians
            .iter()
            .map(|s| {
                s.iter()
                    .map(|&(x, y)| (x * scale, (900.0 - y) * scale))
                    .collect()
            })
            .collect(),
    }
}

/// The same strokes with `points` evenly spaced points each, as a finger sampled at the
/// screen's rate gives rather than the medians' 3 to 13.
fn densified(ink: &Ink, points: usize) -> Ink {
    let strokes = ink
        .strokes
        .iter()
        .map(|stroke| {
            (0..points)
                .map(|i| {
                    let at = i as f32 * (stroke.len() - 1) as f32 / (points - 1) as f32;
                    let (j, t) = (at.floor() as usize, at.fract());
                    let (a, b) = (stroke[j], stroke[(j + 1).min(stroke.len() - 1)]);
                    (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t)
                })
                .collect()
        })
        .collect();
    Ink {
        strokes,
        ..ink.clone()
    }
}

fn main() {
    let cold = Instant::now();
    let recogniser = Recogniser::open_default().unwrap_or_else(|error| {
        eprintln!("install libzinnia0 and tegaki-zinnia-simplified-chinese: {error}");
        std::process::exit(1)
    });
    let first_open = cold.elapsed();
    drop(recogniser);
    let mut opens: Vec<Duration> = (0..OPENS)
        .map(|_| {
            let start = Instant::now();
            let recogniser = Recogniser::open_default().expect("opened once already");
            let elapsed = start.elapsed();
            std::hint::black_box(recogniser.classes());
            elapsed
        })
        .collect();
    opens.sort();
    println!(
        "model open: first {first_open:.2?}; then median {:.2?}, worst {:.2?} of {OPENS}",
        median(&opens),
        opens[OPENS - 1]
    );

    let recogniser = Recogniser::open_default().expect("opened once already");
    println!(
        "{:<34} {:>10} {:>10}  top",
        "ink (10 candidates)", "median", "worst"
    );
    let jia = character("家");
    let cases = [
        ("一, 1 stroke", character("一")),
        ("中, 4 strokes", character("中")),
        ("家, 10 strokes", jia.clone()),
        ("想, 13 strokes", character("想")),
        ("家, 10 strokes of 40 points", densified(&jia, 40)),
    ];
    for (name, ink) in cases {
        let mut times = Vec::with_capacity(RUNS);
        let mut top = String::new();
        for _ in 0..RUNS {
            let start = Instant::now();
            let candidates = recogniser.candidates(&ink, 10);
            times.push(start.elapsed());
            top = candidates
                .first()
                .map(|c| c.text.clone())
                .unwrap_or_default();
        }
        times.sort();
        println!(
            "{name:<34} {:>10.2?} {:>10.2?}  {top}",
            median(&times),
            times[RUNS - 1]
        );
    }
}
