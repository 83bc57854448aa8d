//! The recogniser with the real library and model (Debian's libzinnia0 and
//! tegaki-zinnia-simplified-chinese), on stroke medians from hanzi-writer-data (tests/data).

use std::path::Path;

use waystation_handwriting::{DEFAULT_MODEL, Ink, OpenError, Recogniser};

/// The installed recogniser; a test that needs it fails (never skips) without the packages.
fn recogniser() -> Recogniser {
    Recogniser::open_default().unwrap_or_else(|error| {
        panic!("install libzinnia0 and tegaki-zinnia-simplified-chinese (.ci/run does): {error}")
    })
}

/// Strokes, each a list of points.
type Strokes = Vec<Vec<(f32, f32)>>;

/// The fixture's characters with their medians.
fn fixtures() -> Vec<(String, Strokes)> {
    let map: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(include_str!("data/medians.json"))
            .expect("tests/data/medians.json is JSON");
    map.into_iter()
        .map(|(character, medians)| {
            let medians = serde_json::from_value(medians).expect("medians are lists of [x, y]");
            (character, medians)
        })
        .collect()
}

/// One fixture character's medians.
fn medians(character: &str) -> Strokes {
    fixtures()
        .into_iter()
        .find(|(c, _)| c == character)
        .unwrap_or_else(|| panic!("{character} is not in tests/data/medians.json"))
        .1
}

/// A character's medians as a finger would draw them in a `side` × `side` pad: the data's box
/// is 1024 units with y up and the baseline at 900 (tests/data/README.md).
fn drawn(medians: &[Vec<(f32, f32)>], side: f32) -> Ink {
    let scale = side / 1024.0;
    Ink {
        width: side,
        height: side,
        strokes: medians
            .iter()
            .map(|stroke| {
                stroke
                    .iter()
                    .map(|&(x, y)| (x * scale, (900.0 - y) * scale))
                    .collect()
            })
            .collect(),
    }
}

/// Where `character` is among the first ten candidates (1 = first), if it is.
fn rank(recogniser: &Recogniser, ink: &Ink, character: &str) -> Option<usize> {
    let candidates = recogniser.candidates(ink, 10);
    candidates
        .iter()
        .position(|c| c.text == character)
        .map(|i| i + 1)
}

/// The same strokes with `points` evenly spaced points each (a finger sampled at the screen's
/// rate gives tens of points a stroke, the medians 3 to 13).
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

/// Each fixture character's rank as measured (2026-12-03, zinnia 0.06 with the Tegaki model
/// 0.3): ten first, 十 third (力 and 日 before it: the medians' cross is short and high).
const MEASURED_RANKS: [(&str, usize); 11] = [
    ("一", 1),
    ("十", 3),
    ("大", 1),
    ("口", 1),
    ("中", 1),
    ("心", 1),
    ("活", 1),
    ("家", 1),
    ("累", 1),
    ("谢", 1),
    ("想", 1),
];

#[test]
fn every_fixture_character_is_found_where_it_was_measured() {
    let recogniser = recogniser();
    let mut in_file: Vec<String> = fixtures().into_iter().map(|(c, _)| c).collect();
    let mut measured: Vec<&str> = MEASURED_RANKS.iter().map(|&(c, _)| c).collect();
    in_file.sort();
    measured.sort();
    assert_eq!(
        in_file, measured,
        "tests/data/medians.json against MEASURED_RANKS"
    );
    for (character, at_worst) in MEASURED_RANKS {
        let ink = drawn(&medians(character), 300.0);
        let found = rank(&recogniser, &ink, character);
        assert!(
            found.is_some_and(|r| r <= at_worst),
            "{character}: rank {found:?}, expected {at_worst} or better: {:?}",
            recogniser.candidates(&ink, 5)
        );
    }
}

#[test]
fn a_finger_s_many_points_give_the_same_ranks_as_the_medians_few() {
    let recogniser = recogniser();
    for (character, at_worst) in MEASURED_RANKS {
        let ink = densified(&drawn(&medians(character), 300.0), 60);
        let found = rank(&recogniser, &ink, character);
        assert!(
            found.is_some_and(|r| r <= at_worst),
            "{character}: rank {found:?}"
        );
    }
}

#[test]
fn candidates_come_best_first_and_as_many_as_asked() {
    let recogniser = recogniser();
    let candidates = recogniser.candidates(&drawn(&medians("家"), 300.0), 10);
    assert_eq!(candidates.len(), 10);
    assert_eq!(candidates[0].text, "家");
    assert!(
        candidates
            .windows(2)
            .all(|pair| pair[0].score >= pair[1].score),
        "{candidates:?}"
    );
    assert!(
        candidates.iter().all(|c| c.text.chars().count() == 1),
        "{candidates:?}"
    );
}

#[test]
fn the_same_strokes_in_a_300_and_an_800_pixel_box_give_the_same_candidates() {
    let recogniser = recogniser();
    for (character, medians) in fixtures() {
        let small = recogniser.candidates(&drawn(&medians, 300.0), 5);
        let large = recogniser.candidates(&drawn(&medians, 800.0), 5);
        assert!(!small.is_empty(), "{character}");
        assert_eq!(small[0].text, large[0].text, "{character}");
        assert_eq!(small, large, "{character}");
    }
}

#[test]
fn a_character_in_the_middle_of_a_wide_pad_is_read_as_in_a_square_one() {
    let recogniser = recogniser();
    for (character, medians) in fixtures() {
        let square = drawn(&medians, 300.0);
        let wide = Ink {
            width: 500.0,
            height: 300.0,
            strokes: square
                .strokes
                .iter()
                .map(|s| s.iter().map(|&(x, y)| (x + 100.0, y)).collect())
                .collect(),
        };
        assert_eq!(
            recogniser.candidates(&wide, 5),
            recogniser.candidates(&square, 5),
            "{character}"
        );
    }
}

#[test]
fn nothing_written_gives_no_candidates() {
    let recogniser = recogniser();
    assert!(
        recogniser
            .candidates(&Ink::new(300.0, 300.0), 10)
            .is_empty()
    );
    let empty_strokes = Ink {
        strokes: vec![vec![], vec![]],
        ..Ink::new(300.0, 300.0)
    };
    assert!(recogniser.candidates(&empty_strokes, 10).is_empty());
    let yi = drawn(&medians("一"), 300.0);
    assert_eq!(recogniser.candidates(&yi, 1).len(), 1);
    assert!(recogniser.candidates(&yi, 0).is_empty());
    let no_box = Ink {
        width: 0.0,
        height: 0.0,
        ..yi
    };
    assert!(recogniser.candidates(&no_box, 10).is_empty());
}

#[test]
fn asking_for_more_than_the_model_knows_gives_every_class_once() {
    let recogniser = recogniser();
    assert_eq!(recogniser.classes(), 6763);
    let all = recogniser.candidates(&drawn(&medians("一"), 300.0), 100_000);
    assert_eq!(all.len(), 6763);
}

#[test]
fn a_long_winding_stroke_is_recognised_without_exhausting_memory() {
    // Given to zinnia as it is, this spiral makes it grow a vector past 19 GB (ink.rs).
    let recogniser = recogniser();
    let spiral: Vec<(f32, f32)> = (0..2000)
        .map(|i| {
            let t = i as f32 / 1999.0;
            let (angle, radius) = (t * 10.0 * std::f32::consts::TAU, 140.0 * (1.0 - t));
            (150.0 + radius * angle.cos(), 150.0 + radius * angle.sin())
        })
        .collect();
    let ink = Ink {
        strokes: vec![spiral],
        ..Ink::new(300.0, 300.0)
    };
    assert_eq!(recogniser.candidates(&ink, 5).len(), 5);
}

#[test]
fn a_recogniser_opened_on_one_thread_works_on_another() {
    let recogniser = recogniser();
    let ink = drawn(&medians("想"), 300.0);
    let top = std::thread::spawn(move || recogniser.candidates(&ink, 1).remove(0).text)
        .join()
        .expect("the recogniser's thread ends");
    assert_eq!(top, "想");
}

#[test]
fn a_missing_model_is_one_line_naming_its_path() {
    let path = Path::new("/nonexistent/waystation/handwriting-zh_CN.model");
    let error = Recogniser::open(path).err().expect("no model there");
    let OpenError::Model { path: named, .. } = &error else {
        panic!("not a model error: {error}");
    };
    assert_eq!(named, path);
    let line = error.to_string();
    assert!(!line.contains('\n'), "{line}");
    assert!(
        line.contains("/nonexistent/waystation/handwriting-zh_CN.model"),
        "{line}"
    );
    assert!(line.contains("tegaki-zinnia-simplified-chinese"), "{line}");
}

#[test]
fn a_file_that_is_not_a_model_is_refused_with_zinnia_s_reason() {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let fake = folder.path().join("handwriting-zh_CN.model");
    std::fs::write(
        &fake,
        "not a zinnia model, only some words that fill a page",
    )
    .unwrap();
    for (path, reason) in [
        (fake.as_path(), "model file is broken"),
        (folder.path(), "not a file"),
    ] {
        // A missing library is a different error; this needs the real one.
        let error = match Recogniser::open(path) {
            Err(error @ OpenError::Model { .. }) => error,
            Err(other) => panic!("install libzinnia0 (.ci/run does): {other}"),
            Ok(_) => panic!("{} opened as a model", path.display()),
        };
        let line = error.to_string();
        assert!(
            !line.contains('\n') && line.contains(&path.display().to_string()),
            "{line}"
        );
        assert!(line.ends_with(reason), "{line}");
    }
}

#[test]
fn a_missing_library_says_which_and_what_to_install() {
    let error = Recogniser::open_with("libzinnia-not-here.so.0", Path::new(DEFAULT_MODEL))
        .err()
        .expect("no such library");
    assert!(
        matches!(&error, OpenError::Library { library, .. } if library == "libzinnia-not-here.so.0")
    );
    let line = error.to_string();
    assert!(
        !line.contains('\n') && line.contains("libzinnia-not-here.so.0"),
        "{line}"
    );
    assert!(line.contains("libzinnia0"), "{line}");
}
