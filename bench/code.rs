//! What one guess at a personal code costs someone who holds the card: one Argon2id hash
//! (19 MiB, 2 passes, the kiosk's parameters) and the HKDF that follows, timed in a release
//! build, and the expected cost of finding a stored code by trying codes offline
//! (docs/mood.md, "A personal trend without an account").
//!
//! Run with `cargo bench --bench code`. `WAYSTATION_BENCH_RUNS` sets the number of timed
//! hashes (default 30). The figures are this machine's, single-threaded; a Pi was not measured.

use std::time::{Duration, Instant};

use waystation::mood::code::PersonalCode;

fn main() {
    let runs: usize = std::env::var("WAYSTATION_BENCH_RUNS")
        .ok()
        .and_then(|n| n.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(30);
    let salt = [0x5au8; 16];
    let code = PersonalCode::parse("ABCD-EFGH").expect("a well-formed code");
    // Warm-up: the first run maps the 19 MiB of memory.
    std::hint::black_box(code.keys(&salt));
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(code.keys(std::hint::black_box(&salt)));
            start.elapsed()
        })
        .collect();
    times.sort();
    let at = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize].as_secs_f64();
    let median = at(0.5);
    println!("{runs} code lookups (Argon2id 19 MiB, 2 passes, then HKDF-SHA256), one thread:");
    println!(
        "  p10 {:.1} ms, median {:.1} ms, p90 {:.1} ms",
        at(0.1) * 1e3,
        median * 1e3,
        at(0.9) * 1e3
    );
    // One hash per guess tests it against every stored tag at once (one kiosk-wide salt), so
    // the expected number of guesses before the first hit is about 2^40 / (N + 1).
    let space = 2f64.powi(40);
    println!("expected single-thread time to find the first of N stored codes:");
    for n in [1u32, 100, 10_000] {
        let guesses = (space + 1.0) / (f64::from(n) + 1.0);
        let seconds = guesses * median;
        println!(
            "  N = {n:>6}: {guesses:.3e} guesses, {seconds:.3e} core-seconds = {:.0} core-days = {:.1} core-years",
            seconds / (24.0 * 3600.0),
            seconds / (365.25 * 24.0 * 3600.0)
        );
    }
}
