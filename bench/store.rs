//! Commit latency of one mood check-in with `synchronous=FULL` (its day counts: quadrant and
//! word, quadrant and each tag, in one transaction), p50 and p99 over many commits to a real
//! file.
//!
//! Run with `cargo bench --bench store [-- DIR]` (DIR: where to put the database; the default
//! is the system's temporary folder, which should be on the disk under test, not tmpfs).
//! Count the fsync calls per commit with strace, as docs/benchmarks.md shows.

use std::time::{Duration, Instant};

use waystation::clock::Clock;
use waystation::clock::SystemClock;
use waystation::mood::{CheckIn, Quadrant, Vocabulary};
use waystation::store::Store;

const COMMITS: usize = 1000;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let base = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .map(std::path::PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let dir = tempfile::tempdir_in(&base).expect("a scratch folder");
    let mut store = Store::open(dir.path()).expect("the store");
    let vocabulary = Vocabulary::builtin();
    let check_in = CheckIn::new(
        &vocabulary,
        Quadrant::Blue,
        -1,
        -2,
        "tired",
        &["sleep".to_string(), "orders".to_string()],
    )
    .expect("a valid check-in");
    let clock = SystemClock::new();
    // Warm-up: the first commits create the tables' pages and the WAL.
    for _ in 0..20 {
        let wall = clock.read().wall;
        waystation::store::mood::commit_check_in(&mut store, wall, &check_in, false, None)
            .expect("commit");
    }
    let mut times = Vec::with_capacity(COMMITS);
    for _ in 0..COMMITS {
        let wall = clock.read().wall;
        let start = Instant::now();
        waystation::store::mood::commit_check_in(&mut store, wall, &check_in, false, None)
            .expect("commit");
        times.push(start.elapsed());
    }
    times.sort();
    println!(
        "{COMMITS} mood check-ins committed in {} (synchronous=FULL):",
        base.display()
    );
    for (name, p) in [("p10", 0.10), ("p50", 0.50), ("p90", 0.90), ("p99", 0.99)] {
        println!(
            "  {name} {:>8.3} ms",
            percentile(&times, p).as_secs_f64() * 1e3
        );
    }
}
