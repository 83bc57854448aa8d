//! Building the engine, and one lookup per keystroke while phrases are typed letter by letter.
//!
//! Run with `cargo bench -p waystation-pinyin --bench lookup`. Each phrase is typed a letter at
//! a time, a lookup after each letter; then the worker picks, again and again, the first
//! candidate that the phrase starts with (a lookup after each pick) until the phrase is
//! written or nothing fits. Reports load times, the median, 90th percentile and slowest
//! lookup, and, for each phrase, the place in the list (from 0) of each candidate picked. These
//! machines are noisy: compare figures from one run. Not a test: nothing here fails.

use std::time::{Duration, Instant};

use waystation_pinyin::{Engine, FuzzySet, Options, lists};

/// What a rider might type at a rest station, and what they mean.
const PHRASES: [(&str, &str); 12] = [
    ("zhanzhangnihao", "站长你好"),
    ("jintianhenlei", "今天很累"),
    ("wozuotianmeishuihao", "我昨天没睡好"),
    ("xiangjiale", "想家了"),
    ("pingtaikoulewodegongzi", "平台扣了我的工资"),
    ("wodediandongchehuaile", "我的电动车坏了"),
    ("youmeiyouchongdianbao", "有没有充电宝"),
    ("qishoudouhenxinku", "骑手都很辛苦"),
    ("buxianghuole", "不想活了"),
    ("huozhemeiyisi", "活着没意思"),
    ("nvershengbingle", "女儿生病了"),
    ("xiexienimen", "谢谢你们"),
];

/// How many times the phrases are typed for the timings.
const ROUNDS: usize = 20;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    load();
    let engine = Engine::builtin();
    for (name, fuzzy) in [
        ("exact", FuzzySet::NONE),
        ("all fuzzy pairs", FuzzySet::all()),
    ] {
        let options = Options { fuzzy };
        let mut times = Vec::new();
        for _ in 0..ROUNDS {
            for (letters, _) in PHRASES {
                type_phrase(&engine, letters, options, &mut times);
            }
        }
        times.sort_by_key(|(time, _)| *time);
        let (slowest, slowest_input) = times[times.len() - 1];
        let times: Vec<Duration> = times.into_iter().map(|(time, _)| time).collect();
        println!(
            "lookups, {name}: {} keystrokes, median {:.1?}, p90 {:.1?}, p99 {:.1?}, slowest {:.1?} ({slowest_input})",
            times.len(),
            percentile(&times, 0.5),
            percentile(&times, 0.9),
            percentile(&times, 0.99),
            slowest,
        );
    }
    println!("{:<24} {:<10} written", "typed", "picks");
    for (letters, meant) in PHRASES {
        let (written, places) = pick(&engine, letters, meant);
        let places: Vec<String> = places.iter().map(usize::to_string).collect();
        let short = if written == meant {
            ""
        } else {
            " (not all it meant)"
        };
        println!("{letters:<24} {:<10} {written}{short}", places.join(" "));
    }
}

/// Unpacking and indexing the built-in lists, five times each.
fn load() {
    let mut unpack = Vec::new();
    let mut index = Vec::new();
    let mut builtin = Vec::new();
    for _ in 0..5 {
        let start = Instant::now();
        let aosp = lists::aosp();
        unpack.push(start.elapsed());
        let start = Instant::now();
        let engine = Engine::from_lists(&[&aosp, lists::SUPPLEMENT]).expect("lists read");
        index.push(start.elapsed());
        std::hint::black_box(engine);
        let start = Instant::now();
        std::hint::black_box(Engine::builtin());
        builtin.push(start.elapsed());
    }
    for (name, times) in [
        ("unpack", unpack),
        ("index", index),
        ("Engine::builtin", builtin),
    ] {
        let mut times = times;
        times.sort();
        println!(
            "{name:<16} fastest {:>8.1?}  median {:>8.1?}  slowest {:>8.1?}",
            times[0],
            percentile(&times, 0.5),
            times[times.len() - 1]
        );
    }
}

/// Types `letters` one at a time, timing the lookup after each.
fn type_phrase<'a>(
    engine: &Engine,
    letters: &'a str,
    options: Options,
    times: &mut Vec<(Duration, &'a str)>,
) {
    for end in 1..=letters.len() {
        let start = Instant::now();
        std::hint::black_box(engine.candidates(&letters[..end], options));
        times.push((start.elapsed(), &letters[..end]));
    }
}

/// Picks candidates for the typed phrase until it is written or nothing fits: what was
/// written, and the place in the list of each pick.
fn pick(engine: &Engine, letters: &str, meant: &str) -> (String, Vec<usize>) {
    let mut input = letters.to_owned();
    let mut written = String::new();
    let mut places = Vec::new();
    while !input.is_empty() {
        let candidates = engine.candidates(&input, Options::default());
        let rest = &meant[written.len()..];
        let Some(place) = candidates.iter().position(|c| rest.starts_with(&c.text)) else {
            break;
        };
        written.push_str(&candidates[place].text);
        input.drain(..candidates[place].consumed);
        places.push(place);
    }
    (written, places)
}
