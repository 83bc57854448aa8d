//! Prints the first candidates for each argument, to try the engine by hand:
//! `cargo run --release -p waystation-pinyin --example candidates -- xiangjia xi\'an`.
//! An argument `--fuzzy` switches every fuzzy pair on for the arguments after it.

use std::time::Instant;

use waystation_pinyin::{Engine, FuzzySet, Options};

fn main() {
    let start = Instant::now();
    let engine = Engine::builtin();
    println!(
        "{} entries, loaded in {:.1?}",
        engine.len(),
        start.elapsed()
    );
    let mut options = Options::default();
    for input in std::env::args().skip(1) {
        if input == "--fuzzy" {
            options.fuzzy = FuzzySet::all();
            continue;
        }
        let candidates = engine.candidates(&input, options);
        let first: Vec<String> = candidates
            .iter()
            .take(12)
            .map(|c| format!("{}({})", c.text, c.consumed))
            .collect();
        println!(
            "{input}: {} candidates: {}",
            candidates.len(),
            first.join(" ")
        );
    }
}
