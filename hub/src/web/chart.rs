//! The overview's chart, drawn on the server as SVG: one bar per week. Only figures that passed
//! suppression reach it; a hidden week is drawn as a mark, never as a bar of its true height.

use std::fmt::Write;

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 200.0;
const BASE: f64 = 170.0;
const TOP: f64 = 20.0;

/// Bars for `(label, shown value)` pairs, left to right.
pub fn bars(weeks: &[(String, Option<u64>)]) -> String {
    let highest = weeks
        .iter()
        .filter_map(|(_, v)| *v)
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let slot = WIDTH / weeks.len().max(1) as f64;
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img">"#
    );
    for (i, (label, value)) in weeks.iter().enumerate() {
        let x = i as f64 * slot + slot * 0.15;
        let width = slot * 0.7;
        let middle = x + width / 2.0;
        let label = escape(label);
        // Writing to a String cannot fail.
        let _ = match value {
            Some(v) => {
                let height = (BASE - TOP) * (*v as f64) / highest;
                write!(
                    svg,
                    r##"<rect x="{x:.1}" y="{:.1}" width="{width:.1}" height="{height:.1}" fill="#0f4c5c"><title>{label}: {v}</title></rect><text x="{middle:.1}" y="{:.1}" font-size="10" text-anchor="middle">{v}</text>"##,
                    BASE - height,
                    BASE - height - 4.0
                )
            }
            None => write!(
                svg,
                r##"<text x="{middle:.1}" y="{:.1}" font-size="10" text-anchor="middle" fill="#4a5b66">&lt;11</text>"##,
                BASE - 4.0
            ),
        };
        let _ = write!(
            svg,
            r##"<text x="{middle:.1}" y="{:.1}" font-size="10" text-anchor="middle">{label}</text>"##,
            BASE + 16.0
        );
    }
    let _ = write!(
        svg,
        r##"<line x1="0" y1="{BASE}" x2="{WIDTH}" y2="{BASE}" stroke="#8a9ba5"/></svg>"##
    );
    svg
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_weeks_have_no_bar_and_shown_ones_are_to_scale() {
        let svg = bars(&[
            ("11-23".into(), Some(40)),
            ("11-30".into(), None),
            ("12-07".into(), Some(20)),
        ]);
        assert_eq!(svg.matches("<rect").count(), 2);
        assert!(svg.contains(r#"height="150.0""#), "{svg}");
        assert!(svg.contains(r#"height="75.0""#), "{svg}");
        assert!(svg.contains("&lt;11"));
        assert!(bars(&[("<b>".into(), Some(1))]).contains("&lt;b&gt;"));
    }
}
