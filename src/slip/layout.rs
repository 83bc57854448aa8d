//! Drawing a slip onto a 1-bit image at the printer's width (384 dots on 58 mm paper, 576 on
//! 80 mm). Text is rasterised with fontdue from the embedded CJK font and wrapped by Unicode
//! line breaking (between any two hanzi, at spaces in English); lines, boxes and the QR code
//! are drawn with embedded-graphics.

use std::sync::OnceLock;

use embedded_graphics::pixelcolor::BinaryColor;
use embedded_graphics::prelude::*;
use embedded_graphics::primitives::{Line, PrimitiveStyle, Rectangle};
use fontdue::layout::{
    CoordinateSystem, HorizontalAlign, Layout, LayoutSettings, TextStyle, WrapStyle,
};

use super::{Slip, SlipLine, SlipText};
use crate::language::Language;

/// The printable widths the kiosk supports, in dots (8 dots per millimetre).
pub const WIDTHS: [u32; 2] = [384, 576];
/// Thermal printers of this kind print 8 dots per millimetre (203 dpi).
pub const DOTS_PER_MM: f32 = 8.0;

fn font() -> &'static fontdue::Font {
    static FONT_CELL: OnceLock<fontdue::Font> = OnceLock::new();
    // The embedded font is checked by the glyph-coverage test; parsing it cannot fail at run
    // time for a released binary.
    FONT_CELL.get_or_init(|| {
        fontdue::Font::from_bytes(crate::fonts::regular(), fontdue::FontSettings::default())
            .expect("embedded font parses")
    })
}

/// Whether the embedded font draws every character of `text` (the screens and the slip use
/// the same faces). The on-screen keyboard offers only words it draws.
pub fn has_glyphs(text: &str) -> bool {
    let font = font();
    text.chars().all(|c| font.lookup_glyph_index(c) != 0)
}

/// A 1-bit image, rows top to bottom, each row most-significant bit first, 1 = black: exactly
/// the bit order of ESC/POS `GS v 0`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bitmap {
    width: u32,
    height: u32,
    bits: Vec<u8>,
}

impl Bitmap {
    pub fn new(width: u32, height: u32) -> Bitmap {
        let row = width.div_ceil(8) as usize;
        Bitmap {
            width,
            height,
            bits: vec![0; row * height as usize],
        }
    }

    pub fn width(&self) -> u32 {
        self.width
    }

    pub fn height(&self) -> u32 {
        self.height
    }

    pub fn bytes_per_row(&self) -> usize {
        self.width.div_ceil(8) as usize
    }

    pub fn row(&self, y: u32) -> &[u8] {
        let n = self.bytes_per_row();
        &self.bits[y as usize * n..(y as usize + 1) * n]
    }

    pub fn row_is_blank(&self, y: u32) -> bool {
        self.row(y).iter().all(|b| *b == 0)
    }

    pub fn get(&self, x: u32, y: u32) -> bool {
        x < self.width
            && y < self.height
            && self.bits[y as usize * self.bytes_per_row() + (x / 8) as usize] & (0x80 >> (x % 8))
                != 0
    }

    pub fn set(&mut self, x: u32, y: u32) {
        if x < self.width && y < self.height {
            let n = self.bytes_per_row();
            self.bits[y as usize * n + (x / 8) as usize] |= 0x80 >> (x % 8);
        }
    }

    /// Appends rows (raw, MSB first) at the bottom; used when decoding a print job.
    pub fn push_rows(&mut self, rows: &[u8]) {
        let n = self.bytes_per_row();
        self.bits.extend_from_slice(&rows[..rows.len() / n * n]);
        self.height = (self.bits.len() / n) as u32;
    }

    /// Keeps only the first `height` rows.
    pub fn truncate(&mut self, height: u32) {
        self.height = self.height.min(height);
        self.bits
            .truncate(self.bytes_per_row() * self.height as usize);
    }

    /// Drops blank rows at the bottom (the printer's feed makes the margin there).
    pub fn trim_bottom(&mut self) {
        while self.height > 0 && self.row_is_blank(self.height - 1) {
            self.truncate(self.height - 1);
        }
    }

    /// Black pixels, for tests and previews.
    pub fn count_black(&self) -> usize {
        self.bits.iter().map(|b| b.count_ones() as usize).sum()
    }
}

/// How a piece of text is set on the slip, and the room kept above and below it. Sizes are in
/// dots on 58 mm paper and grow with the paper's width; spacing is in dots on any paper.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Style {
    size: f32,
    bold: bool,
    centre: bool,
    above: u32,
    below: u32,
}

impl Style {
    const fn new(size: f32, bold: bool, centre: bool) -> Style {
        Style {
            size,
            bold,
            centre,
            above: 0,
            below: 0,
        }
    }

    const fn spaced(self, above: u32, below: u32) -> Style {
        Style {
            above,
            below,
            ..self
        }
    }

    /// The station's name at the top.
    const TITLE: Style = Style::new(30.0, true, true);
    /// The date and time under the station's name.
    const STAMP: Style = Style::new(20.0, false, true).spaced(2, 0);
    /// A section's heading ("lines to call", "services you chose").
    const HEADING: Style = Style::new(24.0, true, false).spaced(0, 6);
    /// A counselling line's number: the largest text, to be read at a glance.
    const NUMBER: Style = Style::new(40.0, true, false);
    /// A chosen service's number, a step below the counselling lines'.
    const SERVICE_NUMBER: Style = Style::new(32.0, true, false);
    /// Names of lines and services, and the emergency sentence in its box.
    const STRONG: Style = Style::new(24.0, true, false);
    /// A counselling line's note: what to press, the hours.
    const BODY: Style = Style::new(22.0, false, false);
    /// The worker's own words on a printed tree-hole page.
    const PAGE: Style = Style::new(24.0, false, false).spaced(0, 4);
    /// A chosen service's note: the address, what to press, the hours.
    const SMALL: Style = Style::new(20.0, false, false);
    /// The safety plan's heading.
    const PLAN_HEADING: Style = Style::new(26.0, true, false).spaced(0, 4);
    /// One step of the safety plan, its writing lines below it.
    const PLAN_STEP: Style = Style::new(22.0, true, false).spaced(6, 0);
    /// "Scan this with your phone", under the QR code.
    const CAPTION: Style = Style::new(20.0, false, true).spaced(0, 10);
    /// "This is not a diagnosis."
    const NOTICE: Style = Style::new(26.0, true, true).spaced(0, 6);
    /// The slip number.
    const CODE: Style = Style::new(24.0, true, true);
    /// What the slip number is for.
    const FINE: Style = Style::new(18.0, false, true);
}

/// Room, in dots, between the parts of a slip that are not text.
mod space {
    /// Between the header and the rule under it, and between that rule and the lines.
    pub const AROUND_HEADER_RULE: u32 = 10;
    /// After each line or service to call.
    pub const AFTER_ENTRY: u32 = 10;
    /// Above the chosen services' heading, on top of the last line's own room.
    pub const BEFORE_SERVICES: u32 = 4;
    /// Inside the emergency box, on every side.
    pub const BOX_PADDING: u32 = 8;
    /// After the emergency box and after the safety plan.
    pub const AFTER_BLOCK: u32 = 12;
    /// Under the rule that opens the safety plan.
    pub const UNDER_PLAN_RULE: u32 = 10;
    /// The height of one line to write on by hand.
    pub const WRITING_LINE: u32 = 34;
    /// Under the rule above the QR code.
    pub const UNDER_QR_RULE: u32 = 6;
}

/// A rule across the slip: solid between parts, dashed to write on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    Solid,
    Dashed,
}

/// A 1-bit image as wide as the paper that grows downwards as it is drawn on, so a slip is as
/// long as its content and nothing is cut off.
struct Canvas(Bitmap);

impl Canvas {
    fn new(width: u32) -> Canvas {
        Canvas(Bitmap::new(width, 0))
    }

    /// Makes sure rows up to (not including) `height` exist.
    fn reach(&mut self, height: u32) {
        let bitmap = &mut self.0;
        if height > bitmap.height {
            bitmap
                .bits
                .resize(bitmap.bytes_per_row() * height as usize, 0);
            bitmap.height = height;
        }
    }

    fn set(&mut self, x: u32, y: u32) {
        self.reach(y + 1);
        self.0.set(x, y);
    }
}

impl OriginDimensions for Canvas {
    fn size(&self) -> Size {
        Size::new(self.0.width, self.0.height)
    }
}

impl DrawTarget for Canvas {
    type Color = BinaryColor;
    type Error = core::convert::Infallible;

    fn draw_iter<I: IntoIterator<Item = Pixel<BinaryColor>>>(
        &mut self,
        pixels: I,
    ) -> Result<(), Self::Error> {
        for Pixel(p, color) in pixels {
            if color == BinaryColor::On && p.x >= 0 && p.y >= 0 {
                self.set(p.x as u32, p.y as u32);
            }
        }
        Ok(())
    }
}

/// Lays a slip out from top to bottom: it knows the paper's width and margins and where the
/// next thing goes, and moves down past everything it draws.
struct Cursor {
    canvas: Canvas,
    /// The top of the next thing drawn.
    y: u32,
    margin: u32,
    /// The width between the margins.
    inner: u32,
    /// The paper's width over the 384 dots of 58 mm paper, which text sizes are given for.
    scale: f32,
}

impl Cursor {
    fn new(width: u32) -> Cursor {
        let scale = width as f32 / 384.0;
        let margin = (8.0 * scale) as u32;
        Cursor {
            canvas: Canvas::new(width),
            y: margin,
            margin,
            inner: width - 2 * margin,
            scale,
        }
    }

    fn gap(&mut self, dots: u32) {
        self.y += dots;
    }

    /// Sets text between the margins.
    fn text(&mut self, s: &str, style: Style) {
        self.text_within(self.margin, self.inner, s, style);
    }

    /// Sets text `width` dots wide from `x`, wrapped by Unicode line breaking (between any two
    /// hanzi, at spaces in English).
    fn text_within(&mut self, x: u32, width: u32, s: &str, style: Style) {
        self.y += style.above;
        let font = font();
        let mut layout: Layout<()> = Layout::new(CoordinateSystem::PositiveYDown);
        layout.reset(&LayoutSettings {
            x: x as f32,
            y: self.y as f32,
            max_width: Some(width as f32),
            wrap_style: WrapStyle::Word,
            horizontal_align: if style.centre {
                HorizontalAlign::Center
            } else {
                HorizontalAlign::Left
            },
            ..LayoutSettings::default()
        });
        layout.append(&[font], &TextStyle::new(s, style.size * self.scale, 0));
        for glyph in layout.glyphs() {
            if glyph.width == 0 || glyph.height == 0 {
                continue;
            }
            let (metrics, coverage) = font.rasterize_config(glyph.key);
            for row in 0..metrics.height {
                for col in 0..metrics.width {
                    // A threshold slightly below half keeps thin strokes of small hanzi.
                    if coverage[row * metrics.width + col] >= 110 {
                        let (gx, gy) = (glyph.x as i64 + col as i64, glyph.y as i64 + row as i64);
                        if gx >= 0 && gy >= 0 {
                            self.canvas.set(gx as u32, gy as u32);
                            if style.bold {
                                self.canvas.set(gx as u32 + 1, gy as u32);
                            }
                        }
                    }
                }
            }
        }
        self.y += layout.height().ceil() as u32 + style.below;
    }

    /// Text in a heavy box, so it stands out on the paper.
    fn boxed(&mut self, s: &str, style: Style) {
        let top = self.y;
        let padding = space::BOX_PADDING;
        self.gap(padding);
        self.text_within(self.margin + padding, self.inner - 2 * padding, s, style);
        self.gap(padding);
        self.canvas.reach(self.y);
        let _ = Rectangle::new(
            Point::new(self.margin as i32, top as i32),
            Size::new(self.inner, self.y - top),
        )
        .into_styled(PrimitiveStyle::with_stroke(BinaryColor::On, 3))
        .draw(&mut self.canvas);
    }

    /// A rule between the margins, two dots of paper high.
    fn rule(&mut self, rule: Rule) {
        let y = self.y as i32;
        let (from, to) = (
            self.margin as i32,
            (self.canvas.0.width - self.margin) as i32,
        );
        self.canvas.reach(self.y + 2);
        let mut segment = |from: i32, to: i32, stroke: u32| {
            let _ = Line::new(Point::new(from, y), Point::new(to, y))
                .into_styled(PrimitiveStyle::with_stroke(BinaryColor::On, stroke))
                .draw(&mut self.canvas);
        };
        match rule {
            Rule::Solid => segment(from, to, 2),
            Rule::Dashed => {
                for x in (from..to).step_by(12) {
                    segment(x, (x + 6).min(to), 1);
                }
            }
        }
        self.gap(2);
    }

    /// The QR code, centred, at most `target` dots wide when the text allows; nothing when the
    /// text is too long for any QR code.
    fn qr(&mut self, text: &str) {
        let Some((modules, dark)) = qr_matrix(text) else {
            return;
        };
        let target = self.inner.min((240.0 * self.scale) as u32);
        // Whole dots per module, at least 3 so a phone reads it off thermal paper; plus the
        // 4-module quiet zone the standard asks for.
        let scale = (target / (modules as u32 + 8)).max(3);
        let side = (modules as u32 + 8) * scale;
        let left = self.canvas.0.width.saturating_sub(side) / 2 + 4 * scale;
        let top = self.y + 4 * scale;
        self.canvas.reach(self.y + side);
        let fill = PrimitiveStyle::with_fill(BinaryColor::On);
        for (i, is_dark) in dark.iter().enumerate() {
            if *is_dark {
                let (mx, my) = ((i % modules) as u32, (i / modules) as u32);
                let origin = Point::new((left + mx * scale) as i32, (top + my * scale) as i32);
                let _ = Rectangle::new(origin, Size::new(scale, scale))
                    .into_styled(fill)
                    .draw(&mut self.canvas);
            }
        }
        self.gap(side);
    }

    /// The image down to the last thing drawn, without blank rows at the bottom (the
    /// printer's feed makes the margin there).
    fn finish(self) -> Bitmap {
        let mut bitmap = self.canvas.0;
        bitmap.truncate(self.y);
        bitmap.trim_bottom();
        bitmap
    }
}

/// The QR code's modules as a square matrix of dark (true) and light.
pub fn qr_matrix(text: &str) -> Option<(usize, Vec<bool>)> {
    let code =
        qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M).ok()?;
    let width = code.width();
    let modules = code
        .to_colors()
        .into_iter()
        .map(|c| c == qrcode::Color::Dark)
        .collect();
    Some((width, modules))
}

/// Lays a slip out at `width` dots and returns the image, as long as its content.
pub fn render(slip: &Slip, words: &SlipText, width: u32) -> Bitmap {
    let lang = slip.language;
    let mut c = Cursor::new(width);
    header(&mut c, slip);
    let heading = if slip.crisis {
        &words.crisis_heading
    } else {
        &words.talk_heading
    };
    c.text(heading.get(lang), Style::HEADING);
    for line in &slip.lines {
        entry(&mut c, line, Style::NUMBER, Style::BODY);
    }
    if !slip.services.is_empty() {
        c.gap(space::BEFORE_SERVICES);
        c.text(words.services_heading.get(lang), Style::HEADING);
        for service in &slip.services {
            entry(&mut c, service, Style::SERVICE_NUMBER, Style::SMALL);
        }
    }
    c.boxed(words.emergency.get(lang), Style::STRONG);
    c.gap(space::AFTER_BLOCK);
    if slip.crisis {
        safety_plan(&mut c, words, lang);
    }
    footer(&mut c, slip, words);
    c.finish()
}

/// Lays a tree-hole page out at `width` dots: the worker's text as they wrote it (a line for
/// each line they began), a dashed rule, and the one line to call.
pub fn render_page(page: &super::PageSlip, width: u32) -> Bitmap {
    let mut c = Cursor::new(width);
    for paragraph in page.text.split('\n') {
        if paragraph.trim().is_empty() {
            c.gap(space::AFTER_ENTRY);
        } else {
            c.text(paragraph, Style::PAGE);
        }
    }
    c.gap(space::AFTER_BLOCK);
    c.rule(Rule::Dashed);
    c.gap(space::AFTER_BLOCK);
    c.text(&page.heading, Style::HEADING);
    entry(&mut c, &page.line, Style::NUMBER, Style::BODY);
    c.finish()
}

/// The station and the time, when the slip carries them (a crisis slip does not), and a rule.
fn header(c: &mut Cursor, slip: &Slip) {
    if !slip.station.is_empty() {
        c.text(&slip.station, Style::TITLE);
    }
    if let Some(at) = &slip.printed_at {
        c.text(at, Style::STAMP);
    }
    c.gap(space::AROUND_HEADER_RULE);
    c.rule(Rule::Solid);
    c.gap(space::AROUND_HEADER_RULE);
}

/// One line or service to call: its number (when it has one), its name and its note.
fn entry(c: &mut Cursor, line: &SlipLine, number: Style, note: Style) {
    if !line.number.is_empty() {
        c.text(&line.number, number);
    }
    c.text(&line.name, Style::STRONG);
    if !line.note.is_empty() {
        c.text(&line.note, note);
    }
    c.gap(space::AFTER_ENTRY);
}

/// The safety plan of a crisis slip: each step with two lines to write on by hand.
fn safety_plan(c: &mut Cursor, words: &SlipText, lang: Language) {
    c.rule(Rule::Solid);
    c.gap(space::UNDER_PLAN_RULE);
    c.text(words.plan_heading.get(lang), Style::PLAN_HEADING);
    for step in &words.plan_steps {
        c.text(step.get(lang), Style::PLAN_STEP);
        for _ in 0..2 {
            c.gap(space::WRITING_LINE);
            c.rule(Rule::Dashed);
        }
    }
    c.gap(space::AFTER_BLOCK);
}

/// The QR code with the same lines, "not a diagnosis", and the slip number.
fn footer(c: &mut Cursor, slip: &Slip, words: &SlipText) {
    let lang = slip.language;
    c.rule(Rule::Solid);
    c.gap(space::UNDER_QR_RULE);
    c.qr(&slip.qr_text(words));
    c.text(words.scan.get(lang), Style::CAPTION);
    c.text(words.not_diagnosis.get(lang), Style::NOTICE);
    c.text(
        &format!("{} {}", words.code.get(lang), slip.display_code()),
        Style::CODE,
    );
    c.text(words.code_note.get(lang), Style::FINE);
}

/// The image as 8-bit grey PNG bytes (black on white), for previews and the on-screen slip.
pub fn to_png(bitmap: &Bitmap) -> Result<Vec<u8>, png::EncodingError> {
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, bitmap.width(), bitmap.height());
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header()?;
        let mut grey = Vec::with_capacity((bitmap.width() * bitmap.height()) as usize);
        for y in 0..bitmap.height() {
            for x in 0..bitmap.width() {
                grey.push(if bitmap.get(x, y) { 0 } else { 255 });
            }
        }
        writer.write_image_data(&grey)?;
    }
    Ok(out)
}

/// Paper used by an image, in millimetres.
pub fn length_mm(bitmap: &Bitmap) -> f32 {
    bitmap.height() as f32 / DOTS_PER_MM
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::language::Language;

    fn demo(crisis: bool, lang: Language) -> Slip {
        Slip::demo(lang, "示例驿站（演示）", crisis)
    }

    #[test]
    fn bits_are_msb_first_with_one_as_black() {
        let mut b = Bitmap::new(16, 2);
        b.set(0, 0);
        b.set(9, 1);
        assert_eq!(b.row(0), [0x80, 0x00]);
        assert_eq!(b.row(1), [0x00, 0x40]);
        assert!(b.get(9, 1) && !b.get(8, 1));
        b.set(99, 99);
        assert_eq!(b.count_black(), 2);
    }

    #[test]
    fn a_slip_fills_the_width_and_a_crisis_slip_is_longer() {
        for width in WIDTHS {
            let normal = render(&demo(false, Language::Chinese), &SlipText::builtin(), width);
            let crisis = render(&demo(true, Language::Chinese), &SlipText::builtin(), width);
            assert_eq!(normal.width(), width);
            assert!(
                normal.height() > 300 && normal.height() < 3000,
                "{}",
                normal.height()
            );
            assert!(
                crisis.height() > normal.height() + 300,
                "the safety plan needs room"
            );
            // Something is drawn near both edges (the rules), and nothing beyond the width.
            let margin = 8 * width / 384;
            assert!((0..normal.height()).any(|y| normal.get(margin + 1, y)));
            assert!((0..normal.height()).any(|y| normal.get(width - margin - 1, y)));
        }
    }

    #[test]
    fn chosen_services_make_the_slip_longer_and_go_into_the_qr_text() {
        let bundle = crate::directory::Bundle::shipped();
        let yto = bundle
            .entries
            .iter()
            .find(|e| e.id == "yto-courier-line")
            .unwrap();
        let plain = demo(false, Language::Chinese);
        let with = plain.clone().with_services(&[yto]);
        let words = SlipText::builtin();
        assert!(render(&with, &words, 384).height() > render(&plain, &words, 384).height() + 60);
        assert!(with.qr_text(&words).contains("400-820-0393"));
    }

    /// Sets `s` alone at 24 dots between the margins of 58 mm paper: the height it took, and
    /// the image.
    fn set_alone(s: &str) -> (u32, Bitmap) {
        let mut c = Cursor::new(384);
        let top = c.y;
        c.text(s, Style::new(24.0, false, false));
        (c.y - top, c.canvas.0)
    }

    #[test]
    fn chinese_and_english_text_wrap_inside_the_margins() {
        let long_zh = "有生命危险时，马上拨打一二零急救或者一一零报警，驿站工作人员也可以帮你联系";
        let (height, b) = set_alone(long_zh);
        assert!(
            height > 60,
            "a long Chinese sentence must wrap onto several lines (took {height} dots)"
        );
        for y in 0..b.height() {
            for x in 377..384 {
                assert!(!b.get(x, y), "ink beyond the right margin at {x},{y}");
            }
        }
        let (height_en, e) =
            set_alone("If a life is in danger, call 120 (ambulance) or 110 (police) at once");
        assert!(height_en > 50);
        assert!((0..e.height()).all(|y| (377..384).all(|x| !e.get(x, y))));
    }

    #[test]
    fn the_canvas_grows_to_what_is_drawn_on_it() {
        let mut canvas = Canvas::new(16);
        assert_eq!(canvas.0.height(), 0);
        canvas.set(3, 9000);
        assert_eq!(canvas.0.height(), 9001);
        assert!(canvas.0.get(3, 9000));
        // Beyond the paper's width nothing is drawn, and the canvas does not widen.
        canvas.set(16, 2);
        assert_eq!((canvas.0.width(), canvas.0.count_black()), (16, 1));
    }

    #[test]
    fn the_cursor_moves_past_each_style_and_its_spacing() {
        let mut c = Cursor::new(384);
        c.text("12356", Style::NUMBER);
        let number = c.y - 8;
        let before = c.y;
        c.text("12356", Style::PLAN_HEADING.spaced(5, 7));
        let spaced = c.y - before;
        assert!(
            number >= 40,
            "a 40-dot number takes at least 40 dots ({number})"
        );
        assert!(
            spaced > 5 + 7 + 26,
            "room above and below is kept ({spaced})"
        );
        c.rule(Rule::Solid);
        assert_eq!(c.y, before + spaced + 2);
    }

    #[test]
    fn the_qr_matrix_is_square_and_has_dark_modules() {
        let (side, modules) = qr_matrix("12356 全国心理援助热线").unwrap();
        assert_eq!(modules.len(), side * side);
        assert!(modules.iter().filter(|m| **m).count() > side);
    }
}
