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

use super::{Slip, SlipText};

/// The regular face of the embedded Noto Sans CJK SC subset (the same file the screens use).
const FONT: &[u8] = include_bytes!("../../assets/fonts/NotoSansCJKsc-Regular-subset.otf");

/// The printable widths the kiosk supports, in dots (8 dots per millimetre).
pub const WIDTHS: [u32; 2] = [384, 576];
/// Thermal printers of this kind print 8 dots per millimetre (203 dpi).
pub const DOTS_PER_MM: f32 = 8.0;

fn font() -> &'static fontdue::Font {
    static FONT_CELL: OnceLock<fontdue::Font> = OnceLock::new();
    // The embedded font is checked by the glyph-coverage test; parsing it cannot fail at run
    // time for a released binary.
    FONT_CELL.get_or_init(|| {
        fontdue::Font::from_bytes(FONT, fontdue::FontSettings::default())
            .expect("embedded font parses")
    })
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

impl OriginDimensions for Bitmap {
    fn size(&self) -> Size {
        Size::new(self.width, self.height)
    }
}

impl DrawTarget for Bitmap {
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

/// How a piece of text is set: size in pixels, bold, centred.
#[derive(Debug, Clone, Copy)]
struct Style {
    px: f32,
    bold: bool,
    center: bool,
}

/// Draws text into `width` dots from `x`, top at `y`, and returns the y below it.
fn text(bitmap: &mut Bitmap, x: u32, y: u32, width: u32, s: &str, style: Style) -> u32 {
    let Style { px, bold, center } = style;
    let font = font();
    let mut layout: Layout<()> = Layout::new(CoordinateSystem::PositiveYDown);
    layout.reset(&LayoutSettings {
        x: x as f32,
        y: y as f32,
        max_width: Some(width as f32),
        wrap_style: WrapStyle::Word,
        horizontal_align: if center {
            HorizontalAlign::Center
        } else {
            HorizontalAlign::Left
        },
        ..LayoutSettings::default()
    });
    layout.append(&[font], &TextStyle::new(s, px, 0));
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
                        bitmap.set(gx as u32, gy as u32);
                        if bold {
                            bitmap.set(gx as u32 + 1, gy as u32);
                        }
                    }
                }
            }
        }
    }
    y + layout.height().ceil() as u32
}

fn rule(bitmap: &mut Bitmap, y: u32, margin: u32, dashed: bool) -> u32 {
    let style = PrimitiveStyle::with_stroke(BinaryColor::On, if dashed { 1 } else { 2 });
    let (from, to) = (margin as i32, (bitmap.width() - margin) as i32);
    if dashed {
        let mut x = from;
        while x < to {
            let _ = Line::new(
                Point::new(x, y as i32),
                Point::new((x + 6).min(to), y as i32),
            )
            .into_styled(style)
            .draw(bitmap);
            x += 12;
        }
    } else {
        let _ = Line::new(Point::new(from, y as i32), Point::new(to, y as i32))
            .into_styled(style)
            .draw(bitmap);
    }
    y + 2
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

fn qr(bitmap: &mut Bitmap, y: u32, text: &str, target: u32) -> u32 {
    let Some((modules, dark)) = qr_matrix(text) else {
        return y;
    };
    // Whole dots per module, at least 3 so a phone reads it off thermal paper; plus the
    // 4-module quiet zone the standard asks for.
    let scale = (target / (modules as u32 + 8)).max(3);
    let side = (modules as u32 + 8) * scale;
    let left = bitmap.width().saturating_sub(side) / 2 + 4 * scale;
    let top = y + 4 * scale;
    let fill = PrimitiveStyle::with_fill(BinaryColor::On);
    for (i, is_dark) in dark.iter().enumerate() {
        if *is_dark {
            let (mx, my) = ((i % modules) as u32, (i / modules) as u32);
            let origin = Point::new((left + mx * scale) as i32, (top + my * scale) as i32);
            let _ = Rectangle::new(origin, Size::new(scale, scale))
                .into_styled(fill)
                .draw(bitmap);
        }
    }
    y + side
}

/// Lays a slip out at `width` dots and returns the image, cropped to what was drawn.
pub fn render(slip: &Slip, words: &SlipText, width: u32) -> Bitmap {
    let lang = slip.language;
    let scale = width as f32 / 384.0;
    let px = |size: f32| size * scale;
    let margin = (8.0 * scale) as u32;
    let inner = width - 2 * margin;
    let mut b = Bitmap::new(width, 6000);
    let mut y = margin;

    // A crisis slip has no station (Slip::new leaves it out).
    if !slip.station.is_empty() {
        y = text(
            &mut b,
            margin,
            y,
            inner,
            &slip.station,
            Style {
                px: px(30.0),
                bold: true,
                center: true,
            },
        );
    }
    if let Some(at) = &slip.printed_at {
        y = text(
            &mut b,
            margin,
            y + 2,
            inner,
            at,
            Style {
                px: px(20.0),
                bold: false,
                center: true,
            },
        );
    }
    y = rule(&mut b, y + 10, margin, false) + 10;

    let heading = if slip.crisis {
        &words.crisis_heading
    } else {
        &words.talk_heading
    };
    y = text(
        &mut b,
        margin,
        y,
        inner,
        heading.get(lang),
        Style {
            px: px(24.0),
            bold: true,
            center: false,
        },
    ) + 6;
    for line in &slip.lines {
        let number_end = text(
            &mut b,
            margin,
            y,
            inner,
            &line.number,
            Style {
                px: px(40.0),
                bold: true,
                center: false,
            },
        );
        y = text(
            &mut b,
            margin,
            number_end,
            inner,
            &line.name,
            Style {
                px: px(24.0),
                bold: true,
                center: false,
            },
        );
        if !line.note.is_empty() {
            y = text(
                &mut b,
                margin,
                y,
                inner,
                &line.note,
                Style {
                    px: px(22.0),
                    bold: false,
                    center: false,
                },
            );
        }
        y += 10;
    }
    if !slip.services.is_empty() {
        y = text(
            &mut b,
            margin,
            y + 4,
            inner,
            words.services_heading.get(lang),
            Style {
                px: px(24.0),
                bold: true,
                center: false,
            },
        ) + 6;
        for service in &slip.services {
            if !service.number.is_empty() {
                y = text(
                    &mut b,
                    margin,
                    y,
                    inner,
                    &service.number,
                    Style {
                        px: px(32.0),
                        bold: true,
                        center: false,
                    },
                );
            }
            y = text(
                &mut b,
                margin,
                y,
                inner,
                &service.name,
                Style {
                    px: px(24.0),
                    bold: true,
                    center: false,
                },
            );
            if !service.note.is_empty() {
                y = text(
                    &mut b,
                    margin,
                    y,
                    inner,
                    &service.note,
                    Style {
                        px: px(20.0),
                        bold: false,
                        center: false,
                    },
                );
            }
            y += 10;
        }
    }
    // Emergency numbers in a box, so they stand out on the paper.
    let box_top = y;
    y = text(
        &mut b,
        margin + 8,
        y + 8,
        inner - 16,
        words.emergency.get(lang),
        Style {
            px: px(24.0),
            bold: true,
            center: false,
        },
    ) + 8;
    let _ = Rectangle::new(
        Point::new(margin as i32, box_top as i32),
        Size::new(inner, y - box_top),
    )
    .into_styled(PrimitiveStyle::with_stroke(BinaryColor::On, 3))
    .draw(&mut b);
    y += 12;

    if slip.crisis {
        y = rule(&mut b, y, margin, false) + 10;
        y = text(
            &mut b,
            margin,
            y,
            inner,
            words.plan_heading.get(lang),
            Style {
                px: px(26.0),
                bold: true,
                center: false,
            },
        ) + 4;
        for step in &words.plan_steps {
            y = text(
                &mut b,
                margin,
                y + 6,
                inner,
                step.get(lang),
                Style {
                    px: px(22.0),
                    bold: true,
                    center: false,
                },
            );
            // Two dashed lines to write on by hand.
            for _ in 0..2 {
                y = rule(&mut b, y + 34, margin, true);
            }
        }
        y += 12;
    }

    y = rule(&mut b, y, margin, false) + 6;
    y = qr(
        &mut b,
        y,
        &slip.qr_text(words),
        inner.min((240.0 * scale) as u32),
    );
    y = text(
        &mut b,
        margin,
        y,
        inner,
        words.scan.get(lang),
        Style {
            px: px(20.0),
            bold: false,
            center: true,
        },
    ) + 10;
    y = text(
        &mut b,
        margin,
        y,
        inner,
        words.not_diagnosis.get(lang),
        Style {
            px: px(26.0),
            bold: true,
            center: true,
        },
    ) + 6;
    let code = format!("{} {}", words.code.get(lang), slip.display_code());
    y = text(
        &mut b,
        margin,
        y,
        inner,
        &code,
        Style {
            px: px(24.0),
            bold: true,
            center: true,
        },
    );
    y = text(
        &mut b,
        margin,
        y,
        inner,
        words.code_note.get(lang),
        Style {
            px: px(18.0),
            bold: false,
            center: true,
        },
    );
    b.truncate(y);
    b.trim_bottom();
    b
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
    use crate::kiosk::Language;

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

    #[test]
    fn chinese_and_english_text_wrap_inside_the_margins() {
        let mut b = Bitmap::new(384, 400);
        let long_zh = "有生命危险时，马上拨打一二零急救或者一一零报警，驿站工作人员也可以帮你联系";
        let end = text(
            &mut b,
            8,
            0,
            368,
            long_zh,
            Style {
                px: 24.0,
                bold: false,
                center: false,
            },
        );
        assert!(
            end > 60,
            "a long Chinese sentence must wrap onto several lines (ended at {end})"
        );
        for y in 0..b.height() {
            for x in 377..384 {
                assert!(!b.get(x, y), "ink beyond the right margin at {x},{y}");
            }
        }
        let mut e = Bitmap::new(384, 400);
        let end_en = text(
            &mut e,
            8,
            0,
            368,
            "If a life is in danger, call 120 (ambulance) or 110 (police) at once",
            Style {
                px: 24.0,
                bold: false,
                center: false,
            },
        );
        assert!(end_en > 50);
        assert!((0..e.height()).all(|y| (377..384).all(|x| !e.get(x, y))));
    }

    #[test]
    fn the_qr_matrix_is_square_and_has_dark_modules() {
        let (side, modules) = qr_matrix("12356 全国心理援助热线").unwrap();
        assert_eq!(modules.len(), side * side);
        assert!(modules.iter().filter(|m| **m).count() > side);
    }
}
