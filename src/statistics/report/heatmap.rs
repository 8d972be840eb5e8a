//! Texture-map heatmaps: a feature map in colour (viridis) over the gray image, the region
//! outlined, with a colour bar and a title, as a PNG. `sonorad map` writes one per map, and the
//! demo's report shows one.
//!
//! The image is scaled (nearest neighbour) so that its longer side is 480 pixels;
//! colours span the map's smallest to largest finite value inside the region, and pixels
//! outside the region (or with no finite value) show the gray image alone.

use std::io::Cursor;
use std::path::Path;

use image::codecs::png::{CompressionType, FilterType as PngFilter, PngEncoder};
use image::ImageEncoder;

use plotters::prelude::*;
use plotters::style::colors::colormaps::ViridisRGB;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::error::{ReportError, ReportResult};
use super::figures::register;

/// Longer side of the displayed image, in pixels.
const DISPLAY: f64 = 480.0;
/// Height of the title band above the image.
const TITLE: u32 = 30;
/// Width of the colour bar band right of the image (bar and labels).
const BAR_BAND: u32 = 110;
/// Weight of the map's colour over the gray image inside the region.
const OPACITY: f64 = 0.7;

/// One map to draw: `gray` and `values` are `width * height` row-major, `region` marks the
/// pixels the map belongs to.
pub struct Heatmap<'a> {
    /// Title above the image (the map's name).
    pub title: &'a str,
    /// Image width.
    pub width: usize,
    /// Image height.
    pub height: usize,
    /// The gray image.
    pub gray: &'a [f64],
    /// The map.
    pub values: &'a [f64],
    /// The region.
    pub region: &'a [bool],
}

impl Heatmap<'_> {
    /// The smallest and largest finite map value inside the region.
    fn range(&self) -> Option<(f64, f64)> {
        let finite = self
            .values
            .iter()
            .zip(self.region)
            .filter(|(v, &r)| r && v.is_finite())
            .map(|(&v, _)| v);
        finite.fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        })
    }

    /// Whether region pixel `k` has a 4-neighbour outside the region (or the image).
    fn on_outline(&self, k: usize) -> bool {
        let (x, y) = (k % self.width, k / self.width);
        let outside = |dx: isize, dy: isize| {
            let (nx, ny) = (x as isize + dx, y as isize + dy);
            nx < 0
                || ny < 0
                || nx >= self.width as isize
                || ny >= self.height as isize
                || !self.region[ny as usize * self.width + nx as usize]
        };
        self.region[k] && (outside(-1, 0) || outside(1, 0) || outside(0, -1) || outside(0, 1))
    }

    /// The colour of image pixel `k` (on the region's `outline` or not): gray, blended with the
    /// map's colour inside the region, white on the outline.
    fn colour(
        &self,
        k: usize,
        outline: bool,
        gray: (f64, f64),
        range: Option<(f64, f64)>,
    ) -> [u8; 3] {
        if outline {
            return [255, 255, 255];
        }
        let g = if gray.1 > gray.0 {
            (self.gray[k] - gray.0) / (gray.1 - gray.0) * 255.0
        } else {
            128.0
        };
        let v = self.values[k];
        match range {
            Some((lo, hi)) if self.region[k] && v.is_finite() => {
                let t = if hi > lo { (v - lo) / (hi - lo) } else { 0.5 };
                let c = ViridisRGB.get_color(t as f32);
                let blend = |c: u8| (OPACITY * f64::from(c) + (1.0 - OPACITY) * g).round() as u8;
                [blend(c.0), blend(c.1), blend(c.2)]
            }
            _ => [g as u8; 3],
        }
    }

    /// The heatmap as PNG bytes.
    pub fn png(&self) -> ReportResult<Vec<u8>> {
        register();
        let fail = |message: String| ReportError::Figure {
            figure: self.title.to_string(),
            message,
        };
        let scale = DISPLAY / self.width.max(self.height).max(1) as f64;
        let (dw, dh) = (
            ((self.width as f64 * scale).round() as u32).max(1),
            ((self.height as f64 * scale).round() as u32).max(1),
        );
        let (cw, ch) = (dw + BAR_BAND, dh + TITLE + 10);
        let mut buffer = vec![255u8; (cw * ch * 3) as usize];
        let gray = self
            .gray
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
                (lo.min(v), hi.max(v))
            });
        let range = self.range();
        // each image pixel's place on the outline, once (the display repeats pixels)
        let outline: Vec<bool> = (0..self.gray.len()).map(|k| self.on_outline(k)).collect();
        for py in 0..dh {
            let y = ((f64::from(py) + 0.5) / scale)
                .floor()
                .min((self.height - 1) as f64) as usize;
            for px in 0..dw {
                let x = ((f64::from(px) + 0.5) / scale)
                    .floor()
                    .min((self.width - 1) as f64) as usize;
                let at = (((py + TITLE) * cw + px) * 3) as usize;
                let k = y * self.width + x;
                buffer[at..at + 3].copy_from_slice(&self.colour(k, outline[k], gray, range));
            }
        }
        self.colour_bar(&mut buffer, (cw, dh), range);
        self.labels(&mut buffer, (cw, ch), dh, range)
            .map_err(fail)?;
        let mut png = Vec::new();
        // fast compression: a map's page may show hundreds of these
        let encoder = PngEncoder::new_with_quality(
            Cursor::new(&mut png),
            CompressionType::Fast,
            PngFilter::Adaptive,
        );
        encoder
            .write_image(&buffer, cw, ch, image::ExtendedColorType::Rgb8)
            .map_err(|e| fail(e.to_string()))?;
        Ok(png)
    }

    /// The colour bar: a vertical viridis gradient right of the image, top = largest value.
    fn colour_bar(&self, buffer: &mut [u8], (cw, dh): (u32, u32), range: Option<(f64, f64)>) {
        if range.is_none() {
            return;
        }
        let x0 = cw - BAR_BAND + 14;
        for py in 0..dh {
            let t = 1.0 - f64::from(py) / f64::from(dh.max(2) - 1);
            let c = ViridisRGB.get_color(t as f32);
            for px in x0..x0 + 18 {
                let at = (((py + TITLE) * cw + px) * 3) as usize;
                buffer[at..at + 3].copy_from_slice(&[c.0, c.1, c.2]);
            }
        }
    }

    /// The title, and the colour bar's five value labels.
    fn labels(
        &self,
        buffer: &mut [u8],
        (cw, ch): (u32, u32),
        dh: u32,
        range: Option<(f64, f64)>,
    ) -> Result<(), String> {
        let area = BitMapBackend::with_buffer(buffer, (cw, ch)).into_drawing_area();
        let title = ("sans-serif", 15).into_font().color(&BLACK);
        area.draw_text(self.title, &title, (6, 8))
            .map_err(|e| e.to_string())?;
        let label = ("sans-serif", 12).into_font().color(&BLACK);
        let left = label.pos(Pos::new(HPos::Left, VPos::Center));
        match range {
            Some((lo, hi)) => {
                let x = (cw - BAR_BAND + 36) as i32;
                for k in 0..5 {
                    let t = f64::from(k) / 4.0;
                    let y = (TITLE as f64 + (1.0 - t) * f64::from(dh - 1)) as i32;
                    let text = format_label(lo + t * (hi - lo));
                    area.draw_text(&text, &left, (x, y))
                        .map_err(|e| e.to_string())?;
                }
            }
            None => {
                let y = (TITLE + dh / 2) as i32;
                let x = (cw - BAR_BAND + 8) as i32;
                area.draw_text("no value", &left, (x, y))
                    .map_err(|e| e.to_string())?;
            }
        }
        area.present().map_err(|e| e.to_string())
    }

    /// Writes the heatmap to `path` as a PNG.
    pub fn write_png(&self, path: &Path) -> ReportResult<()> {
        let png = self.png()?;
        std::fs::write(path, png).map_err(|e| ReportError::Write {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
    }
}

/// A colour-bar label: four significant digits, in exponent form outside 1e-3..1e5.
fn format_label(v: f64) -> String {
    if v != 0.0 && (v.abs() < 1e-3 || v.abs() >= 1e5) {
        format!("{v:.3e}")
    } else {
        let text = format!("{v:.4}");
        let text = text.trim_end_matches('0').trim_end_matches('.');
        if text == "-0" {
            "0".into()
        } else {
            text.into()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn heatmap<'a>(gray: &'a [f64], values: &'a [f64], region: &'a [bool]) -> Heatmap<'a> {
        Heatmap {
            title: "tumor_original_glcm_Contrast",
            width: 4,
            height: 3,
            gray,
            values,
            region,
        }
    }

    /// Inside the region the map's colour over the gray; the outline white; outside, gray.
    #[test]
    fn region_pixels_take_the_map_colour_and_the_outline_is_white() {
        let gray = [
            0.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0, 100.0, 110.0,
        ];
        let values = [0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 3.0, 0.0, 0.0, 0.0, 0.0, 0.0];
        let mut region = [false; 12];
        region[5] = true;
        region[6] = true;
        let h = heatmap(&gray, &values, &region);
        assert_eq!(h.range(), Some((1.0, 3.0)));
        assert!(h.on_outline(5) && h.on_outline(6) && !h.on_outline(0));
        assert_eq!(h.colour(5, true, (0.0, 110.0), h.range()), [255, 255, 255]);
        assert_eq!(h.colour(0, false, (0.0, 110.0), h.range()), [0, 0, 0]);
        assert_eq!(
            h.colour(11, false, (0.0, 110.0), h.range()),
            [255, 255, 255]
        );
        let png = h.png().unwrap();
        let decoded = image::load_from_memory(&png).unwrap().to_rgb8();
        assert_eq!(decoded.width(), 480 + BAR_BAND);
        assert_eq!(decoded.height(), 360 + TITLE + 10);
    }

    #[test]
    fn colour_bar_labels_keep_four_significant_digits() {
        assert_eq!(format_label(0.5), "0.5");
        assert_eq!(format_label(12.34567), "12.3457");
        assert_eq!(format_label(-0.0), "0");
        assert_eq!(format_label(123456.0), "1.235e5");
        assert_eq!(format_label(0.0001234), "1.234e-4");
    }
}
