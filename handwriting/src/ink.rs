//! Ink as the screen gives it, turned into what zinnia is given: integer points in a square box.
//! Pure, so every rule here is tested without the library.

/// The side of the square box zinnia is given. Zinnia divides every coordinate by the box's
/// width and height, so the side only sets how finely a point is rounded: a thousandth of the
/// box is far finer than a finger.
pub(crate) const GRID: i32 = 1000;

/// How many levels of zinnia's stroke splitting are kept (see `simplify`). Zinnia makes its
/// features from the parts numbered 0 to 50 only (`kMaxCharacterSize` in feature.cpp); the
/// splits of levels 0 to 4 make every part up to number 62.
const SPLIT_LEVELS: usize = 5;

/// Strokes written in screen pixels inside a writing pad of `width` × `height` (its top left
/// at 0, 0), the first point of a stroke where the finger came down. The pad should be square:
/// of a pad that is not, the square in its middle is the writing box (see `to_grid`). Points
/// outside the box (a finger that slid off the pad) are taken as on its edge.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Ink {
    pub width: f32,
    pub height: f32,
    pub strokes: Vec<Vec<(f32, f32)>>,
}

impl Ink {
    /// A writing box with nothing written yet.
    pub fn new(width: f32, height: f32) -> Ink {
        Ink {
            width,
            height,
            strokes: Vec::new(),
        }
    }
}

/// The ink in zinnia's box: each point scaled by `GRID / side` and rounded, so that the same
/// strokes drawn in a 300 px and an 800 px pad give the same points. `side` is the pad's
/// shorter side and the box is the square of that side in the pad's middle, because zinnia's
/// features include where a stroke sits in the box and its model was trained on square boxes:
/// stretching a wide pad to a square would make every character wider than anything it knows,
/// and a character written across the middle of a wide pad fills that square as it would fill
/// a square pad.
///
/// Points that are not finite are dropped, points outside the box are put on its edge, repeats
/// of the point before are dropped, strokes left empty are dropped, and each stroke is cut down
/// by `simplify`.
pub(crate) fn to_grid(ink: &Ink) -> Vec<Vec<(i32, i32)>> {
    let side = ink.width.min(ink.height);
    if !(side.is_finite() && side > 0.0 && ink.width.is_finite() && ink.height.is_finite()) {
        return Vec::new();
    }
    let scale = GRID as f32 / side;
    let (left, top) = ((ink.width - side) / 2.0, (ink.height - side) / 2.0);
    // Clamped to 0..=GRID, so the cast cannot overflow.
    let place =
        |value: f32, start: f32| ((value - start) * scale).round().clamp(0.0, GRID as f32) as i32;
    ink.strokes
        .iter()
        .map(|stroke| {
            let mut points: Vec<(i32, i32)> = Vec::with_capacity(stroke.len());
            for &(x, y) in stroke {
                if !(x.is_finite() && y.is_finite()) {
                    continue;
                }
                let point = (place(x, left), place(y, top));
                if points.last() != Some(&point) {
                    points.push(point);
                }
            }
            simplify(&points)
        })
        .filter(|stroke| !stroke.is_empty())
        .collect()
}

/// The stroke's points that zinnia's features can depend on, in order: its ends and the points
/// at which zinnia would split it in the first `SPLIT_LEVELS` levels.
///
/// Why: zinnia (getVertex in feature.cpp) splits a stroke recursively at the point farthest from
/// the line through its ends, numbering the parts as a binary heap and growing a vector to the
/// deepest part's number. On a long winding stroke (a child's scribble, a spiral of 2,000 touch
/// points) the depth reaches hundreds and the vector tens of gigabytes: measured, a 1,000-point
/// spiral of 6 turns took 1.2 s and 550 MB, and one of 10 turns was killed by the kernel at
/// 19 GB. Its features use only the first levels of that tree, so this keeps exactly the points
/// those levels split at (same measure, same first-farthest rule) and nothing below: zinnia then
/// finds the same splits and cannot go more than one level deeper.
pub(crate) fn simplify(points: &[(i32, i32)]) -> Vec<(i32, i32)> {
    if points.len() <= 2 {
        return points.to_vec();
    }
    let mut keep = vec![false; points.len()];
    keep[0] = true;
    keep[points.len() - 1] = true;
    let mut level = vec![(0, points.len() - 1)];
    for _ in 0..SPLIT_LEVELS {
        let mut next = Vec::new();
        for (first, last) in level {
            if let Some(best) = farthest(points, first, last) {
                keep[best] = true;
                next.push((first, best));
                next.push((best, last));
            }
        }
        level = next;
    }
    points
        .iter()
        .zip(keep)
        .filter_map(|(point, kept)| kept.then_some(*point))
        .collect()
}

/// The index between `first` and `last` (both excluded) farthest from the line through them, by
/// zinnia's measure (minimum_distance in feature.cpp: the first of equal farthest points), or
/// none when no point strays from the line by more than zinnia's threshold (0.001 of the box,
/// squared), where zinnia stops splitting.
fn farthest(points: &[(i32, i32)], first: usize, last: usize) -> Option<usize> {
    let unit = |(x, y): (i32, i32)| {
        (
            f64::from(x) / f64::from(GRID),
            f64::from(y) / f64::from(GRID),
        )
    };
    let ((x0, y0), (x1, y1)) = (unit(points[first]), unit(points[last]));
    let (a, b, c) = (x1 - x0, y1 - y0, y1 * x0 - x1 * y0);
    let length = a * a + b * b;
    let mut best: Option<(usize, f64)> = None;
    for (index, &point) in points.iter().enumerate().take(last).skip(first + 1) {
        let (x, y) = unit(point);
        let distance = (a * y - b * x + c).abs();
        if best.is_none_or(|(_, far)| distance > far) {
            best = Some((index, distance));
        }
    }
    // A closed loop (ends on one point) has no line: zinnia divides by zero there and stops.
    let (index, far) = best?;
    (length > 0.0 && far * far / length > 0.001).then_some(index)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ink(width: f32, height: f32, strokes: &[&[(f32, f32)]]) -> Ink {
        Ink {
            width,
            height,
            strokes: strokes.iter().map(|s| s.to_vec()).collect(),
        }
    }

    #[test]
    fn the_same_strokes_in_a_small_and_a_large_box_give_the_same_points() {
        let small = ink(
            300.0,
            300.0,
            &[
                &[(30.0, 150.0), (270.0, 150.0)],
                &[(150.0, 30.0), (150.0, 270.0)],
            ],
        );
        let scale = |s: &[(f32, f32)]| {
            s.iter()
                .map(|&(x, y)| (x * 8.0 / 3.0, y * 8.0 / 3.0))
                .collect()
        };
        let large = Ink {
            width: 800.0,
            height: 800.0,
            strokes: small.strokes.iter().map(|s| scale(s)).collect(),
        };
        assert_eq!(
            to_grid(&small),
            vec![vec![(100, 500), (900, 500)], vec![(500, 100), (500, 900)]]
        );
        assert_eq!(to_grid(&large), to_grid(&small));
    }

    #[test]
    fn a_wide_pad_s_box_is_the_square_in_its_middle() {
        // 400 × 200: the box is the square from x = 100 to 300.
        let wide = ink(
            400.0,
            200.0,
            &[
                &[(100.0, 0.0), (300.0, 100.0), (200.0, 200.0)],
                &[(0.0, 100.0), (400.0, 50.0)],
            ],
        );
        let boxed = vec![
            vec![(0, 0), (1000, 500), (500, 1000)],
            vec![(0, 500), (1000, 250)],
        ];
        assert_eq!(to_grid(&wide), boxed);
        let tall = ink(
            200.0,
            400.0,
            &[&[(0.0, 100.0), (200.0, 200.0), (100.0, 300.0)]],
        );
        assert_eq!(to_grid(&tall), vec![boxed[0].clone()]);
    }

    #[test]
    fn points_off_the_pad_are_put_on_its_edge_and_broken_points_are_dropped() {
        let sloppy = ink(
            100.0,
            100.0,
            &[&[
                (-20.0, 50.0),
                (f32::NAN, 10.0),
                (50.0, f32::INFINITY),
                (130.0, 50.0),
            ]],
        );
        assert_eq!(to_grid(&sloppy), vec![vec![(0, 500), (1000, 500)]]);
    }

    #[test]
    fn nothing_written_or_no_box_gives_no_strokes() {
        assert!(to_grid(&Ink::new(300.0, 300.0)).is_empty());
        assert!(to_grid(&ink(300.0, 300.0, &[&[], &[(f32::NAN, 1.0)]])).is_empty());
        for (w, h) in [
            (0.0, 0.0),
            (-5.0, 300.0),
            (f32::NAN, 300.0),
            (f32::INFINITY, 300.0),
        ] {
            assert!(
                to_grid(&ink(w, h, &[&[(1.0, 1.0), (2.0, 2.0)]])).is_empty(),
                "{w} × {h}"
            );
        }
    }

    #[test]
    fn a_tap_stays_one_point_and_repeated_points_count_once() {
        let taps = ink(
            300.0,
            300.0,
            &[&[(150.0, 150.0), (150.0, 150.0), (150.0, 150.0)]],
        );
        assert_eq!(to_grid(&taps), vec![vec![(500, 500)]]);
    }

    #[test]
    fn simplify_keeps_the_ends_and_the_corners() {
        // An L with many points on each arm: the corner is the only split zinnia makes.
        let mut stroke: Vec<(i32, i32)> = (0..=50).map(|i| (100, 100 + i * 16)).collect();
        stroke.extend((1..=50).map(|i| (100 + i * 16, 900)));
        assert_eq!(simplify(&stroke), vec![(100, 100), (100, 900), (900, 900)]);
        assert_eq!(simplify(&[(1, 1), (2, 2)]), vec![(1, 1), (2, 2)]);
    }

    /// How deep zinnia's recursion (getVertex) goes on a stroke, the whole stroke being level 0.
    /// The vector it grows has about 2^levels entries.
    fn zinnia_levels(points: &[(i32, i32)], first: usize, last: usize) -> usize {
        match farthest(points, first, last) {
            Some(best) => {
                1 + zinnia_levels(points, first, best).max(zinnia_levels(points, best, last))
            }
            None => 0,
        }
    }

    /// A part of a stroke zinnia makes features of: its number and its two ends.
    type Part = (usize, (i32, i32), (i32, i32));

    /// The ends of each part zinnia makes features of (getVertex, makeVertexFeature), by number.
    fn feature_parts(
        points: &[(i32, i32)],
        (first, last): (usize, usize),
        id: usize,
        parts: &mut Vec<Part>,
    ) {
        if id > 50 {
            return;
        }
        parts.push((id, points[first], points[last]));
        if let Some(best) = farthest(points, first, last) {
            feature_parts(points, (first, best), id * 2 + 1, parts);
            feature_parts(points, (best, last), id * 2 + 2, parts);
        }
    }

    /// The points after `from` of a segment bent at its middle by 0.45 of its length to one
    /// side, each half bent again to the other, `levels` times.
    fn fold(
        from: (f64, f64),
        to: (f64, f64),
        levels: u32,
        side: f64,
        points: &mut Vec<(f64, f64)>,
    ) {
        if levels == 0 {
            points.push(to);
            return;
        }
        let (dx, dy) = (to.0 - from.0, to.1 - from.1);
        let middle = (
            (from.0 + to.0) / 2.0 - dy * 0.45 * side,
            (from.1 + to.1) / 2.0 + dx * 0.45 * side,
        );
        fold(from, middle, levels - 1, -side, points);
        fold(middle, to, levels - 1, -side, points);
    }

    fn parts_of(points: &[(i32, i32)]) -> Vec<Part> {
        let mut parts = Vec::new();
        feature_parts(points, (0, points.len() - 1), 0, &mut parts);
        parts.sort();
        parts
    }

    #[test]
    fn simplify_leaves_zinnia_the_same_parts_to_make_features_of() {
        // A stroke bent at every scale (each half of a segment bent again the other way),
        // which zinnia splits evenly, deep enough to make every part up to number 50 and past;
        // and a wavy stroke (a slow finger's 乙), which it splits on one side only.
        let mut folded = vec![(50.0, 500.0)];
        fold((50.0, 500.0), (950.0, 500.0), 8, 1.0, &mut folded);
        let folded: Vec<(i32, i32)> = folded.iter().map(|&(x, y)| (x as i32, y as i32)).collect();
        let wave: Vec<(i32, i32)> = (0..300)
            .map(|i| {
                let t = f64::from(i) / 299.0;
                let y = 500.0 + 300.0 * (t * 5.0 * std::f64::consts::TAU).sin() * (1.0 - t / 2.0);
                ((100.0 + 800.0 * t) as i32, y as i32)
            })
            .collect();
        let numbers: Vec<usize> = parts_of(&folded).iter().map(|&(id, ..)| id).collect();
        assert_eq!(
            numbers,
            (0..=50).collect::<Vec<_>>(),
            "not deep enough to test"
        );
        for stroke in [folded, wave] {
            let kept = simplify(&stroke);
            assert!(kept.len() < stroke.len() / 4, "{} points kept", kept.len());
            assert_eq!(parts_of(&kept), parts_of(&stroke));
        }
    }

    #[test]
    fn a_long_spiral_is_cut_down_to_a_bounded_split_tree() {
        let spiral: Vec<(i32, i32)> = (0..2000)
            .map(|i| {
                let t = f64::from(i) / 1999.0;
                let (angle, radius) = (t * 10.0 * std::f64::consts::TAU, 480.0 * (1.0 - t));
                (
                    (500.0 + radius * angle.cos()) as i32,
                    (500.0 + radius * angle.sin()) as i32,
                )
            })
            .collect();
        let raw = zinnia_levels(&spiral, 0, spiral.len() - 1);
        let kept = simplify(&spiral);
        let cut = zinnia_levels(&kept, 0, kept.len() - 1);
        // Uncut, zinnia's vector would have 2^raw entries of 16 bytes: 16 GB at 30.
        assert!(raw > 30, "raw levels {raw}");
        assert!(
            kept.len() <= (1 << SPLIT_LEVELS) + 1,
            "{} points kept",
            kept.len()
        );
        assert!(cut <= SPLIT_LEVELS, "cut levels {cut}");
    }
}
