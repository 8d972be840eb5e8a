//! The report's figures, drawn with plotters into SVG (inlined in the report) and PNG files:
//! ROC curves, the LASSO path and CV curve, feature weights, calibration, decision curves and
//! the nomogram. Text is set in DejaVu Sans (bundled, `assets/fonts`), so the PNGs look the
//! same on every machine.

use std::path::Path;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{register_font, FontStyle};

use crate::clinical::error::{ClinicalError, ClinicalResult};
use crate::evaluate::nomogram::{Nomogram, Tick};

/// One line of a line chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend label.
    pub label: String,
    /// Points.
    pub points: Vec<(f64, f64)>,
    /// Draw markers instead of a line.
    pub markers: bool,
    /// Thin grey line (reference lines).
    pub reference: bool,
    /// Dashed line.
    pub dashed: bool,
    /// Palette colour; `None`: the next colour not yet taken by a series without one.
    pub colour: Option<usize>,
}

impl Series {
    /// A solid line.
    pub fn line(label: &str, points: Vec<(f64, f64)>) -> Self {
        Series {
            label: label.into(),
            points,
            markers: false,
            reference: false,
            dashed: false,
            colour: None,
        }
    }

    /// Markers at the points.
    pub fn markers(label: &str, points: Vec<(f64, f64)>) -> Self {
        Series {
            markers: true,
            ..Series::line(label, points)
        }
    }

    /// A thin grey reference line.
    pub fn reference(label: &str, points: Vec<(f64, f64)>) -> Self {
        Series {
            reference: true,
            ..Series::line(label, points)
        }
    }

    /// The same series drawn dashed.
    pub fn dashed(self) -> Self {
        Series {
            dashed: true,
            ..self
        }
    }

    /// The same series in palette colour `k`.
    pub fn in_colour(self, k: usize) -> Self {
        Series {
            colour: Some(k),
            ..self
        }
    }
}

/// A figure of the report.
#[derive(Debug, Clone, PartialEq)]
pub enum Figure {
    /// Lines in a box (ROC, LASSO path and CV curve, calibration, decision curves).
    Lines {
        /// Title.
        title: String,
        /// x-axis label.
        x_label: String,
        /// y-axis label.
        y_label: String,
        /// x range.
        x_range: (f64, f64),
        /// y range.
        y_range: (f64, f64),
        /// The lines.
        series: Vec<Series>,
        /// Vertical marker lines (x, label).
        verticals: Vec<(f64, String)>,
    },
    /// Horizontal bars (feature weights).
    Bars {
        /// Title.
        title: String,
        /// x-axis label.
        x_label: String,
        /// Bar labels and values.
        bars: Vec<(String, f64)>,
    },
    /// A nomogram.
    Nomogram {
        /// Title.
        title: String,
        /// The nomogram.
        nomogram: Nomogram,
    },
}

static FONT: Once = Once::new();

fn register() {
    FONT.call_once(|| {
        // a failed registration leaves plotters without text; the bundled font parses
        let _ = register_font(
            "sans-serif",
            FontStyle::Normal,
            include_bytes!("../../assets/fonts/DejaVuSans.ttf"),
        );
    });
}

fn palette(i: usize) -> RGBColor {
    const COLORS: [RGBColor; 10] = [
        RGBColor(31, 119, 180),
        RGBColor(255, 127, 14),
        RGBColor(44, 160, 44),
        RGBColor(214, 39, 40),
        RGBColor(148, 103, 189),
        RGBColor(140, 86, 75),
        RGBColor(227, 119, 194),
        RGBColor(127, 127, 127),
        RGBColor(188, 189, 34),
        RGBColor(23, 190, 207),
    ];
    COLORS[i % COLORS.len()]
}

type DrawResult<E> = Result<(), DrawingAreaErrorKind<E>>;

impl Figure {
    /// Pixel size of the figure.
    pub fn size(&self) -> (u32, u32) {
        match self {
            Figure::Lines { .. } => (720, 540),
            Figure::Bars { bars, .. } => (820, 160 + 26 * bars.len() as u32),
            Figure::Nomogram { nomogram, .. } => {
                (980, 130 + 70 * (nomogram.predictors.len() as u32 + 3))
            }
        }
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<DB::ErrorType> {
        area.fill(&WHITE)?;
        match self {
            Figure::Lines {
                title,
                x_label,
                y_label,
                x_range,
                y_range,
                series,
                verticals,
            } => {
                let mut chart = ChartBuilder::on(area)
                    .caption(title, ("sans-serif", 22))
                    .margin(14)
                    .x_label_area_size(44)
                    .y_label_area_size(60)
                    .build_cartesian_2d(x_range.0..x_range.1, y_range.0..y_range.1)?;
                chart
                    .configure_mesh()
                    .x_desc(x_label)
                    .y_desc(y_label)
                    .label_style(("sans-serif", 14))
                    .axis_desc_style(("sans-serif", 16))
                    .light_line_style(RGBColor(235, 235, 235))
                    .draw()?;
                for (x, label) in verticals {
                    chart
                        .draw_series(LineSeries::new(
                            [(*x, y_range.0), (*x, y_range.1)],
                            RGBColor(150, 150, 150).stroke_width(1),
                        ))?
                        .label(label.as_str())
                        .legend(|(x, y)| {
                            PathElement::new([(x, y), (x + 18, y)], RGBColor(150, 150, 150))
                        });
                }
                let mut next_colour = 0;
                for s in series {
                    let style = if s.reference {
                        RGBColor(90, 90, 90).stroke_width(1)
                    } else {
                        let colour = s.colour.unwrap_or_else(|| {
                            next_colour += 1;
                            next_colour - 1
                        });
                        palette(colour).stroke_width(2)
                    };
                    let clipped = s.points.iter().copied().filter(|(x, y)| {
                        x.is_finite()
                            && y.is_finite()
                            && (y_range.0..=y_range.1).contains(y)
                            && (x_range.0..=x_range.1).contains(x)
                    });
                    let legend_style = style;
                    if s.markers {
                        chart
                            .draw_series(clipped.map(|p| Circle::new(p, 4, style.filled())))?
                            .label(s.label.as_str())
                            .legend(move |(x, y)| {
                                Circle::new((x + 9, y), 4, legend_style.filled())
                            });
                    } else if s.dashed {
                        chart
                            .draw_series(DashedLineSeries::new(clipped, 6, 4, style))?
                            .label(s.label.as_str())
                            .legend(move |(x, y)| {
                                DashedPathElement::new([(x, y), (x + 18, y)], 6, 4, legend_style)
                            });
                    } else {
                        chart
                            .draw_series(LineSeries::new(clipped, style))?
                            .label(s.label.as_str())
                            .legend(move |(x, y)| {
                                PathElement::new([(x, y), (x + 18, y)], legend_style)
                            });
                    }
                }
                chart
                    .configure_series_labels()
                    .background_style(WHITE.mix(0.85))
                    .border_style(BLACK)
                    .label_font(("sans-serif", 13))
                    .position(SeriesLabelPosition::LowerRight)
                    .draw()?;
            }
            Figure::Bars {
                title,
                x_label,
                bars,
            } => {
                let extent = bars.iter().map(|(_, v)| v.abs()).fold(1e-9, f64::max) * 1.1;
                let n = bars.len();
                let mut chart = ChartBuilder::on(area)
                    .caption(title, ("sans-serif", 22))
                    .margin(14)
                    .x_label_area_size(44)
                    .y_label_area_size(10)
                    .build_cartesian_2d(-extent..extent, 0.0..n as f64)?;
                chart
                    .configure_mesh()
                    .x_desc(x_label)
                    .disable_y_mesh()
                    .disable_y_axis()
                    .label_style(("sans-serif", 14))
                    .axis_desc_style(("sans-serif", 16))
                    .draw()?;
                for (i, (label, value)) in bars.iter().enumerate() {
                    let y = (n - 1 - i) as f64;
                    let colour = if *value >= 0.0 {
                        palette(3)
                    } else {
                        palette(0)
                    };
                    chart.draw_series(std::iter::once(Rectangle::new(
                        [(0.0, y + 0.15), (*value, y + 0.85)],
                        colour.filled(),
                    )))?;
                    // label on the side opposite to the bar
                    let (anchor, x) = if *value >= 0.0 {
                        (Pos::new(HPos::Right, VPos::Center), -extent * 0.02)
                    } else {
                        (Pos::new(HPos::Left, VPos::Center), extent * 0.02)
                    };
                    chart.draw_series(std::iter::once(Text::new(
                        format!("{label} ({value:.3})"),
                        (x, y + 0.5),
                        ("sans-serif", 12)
                            .into_font()
                            .into_text_style(area)
                            .pos(anchor),
                    )))?;
                }
            }
            Figure::Nomogram { title, nomogram } => draw_nomogram(area, title, nomogram)?,
        }
        Ok(())
    }

    /// Draw as an SVG document (returned) and write `name.svg` and `name.png` into `dir`.
    pub fn render(&self, dir: &Path, name: &str) -> ClinicalResult<String> {
        register();
        let (w, h) = self.size();
        let failure = |e: String| ClinicalError::Figure {
            figure: name.into(),
            message: e,
        };
        let mut svg = String::new();
        {
            let area = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
            self.draw(&area).map_err(|e| failure(e.to_string()))?;
            area.present().map_err(|e| failure(e.to_string()))?;
        }
        let svg_path = dir.join(format!("{name}.svg"));
        std::fs::write(&svg_path, &svg).map_err(|e| ClinicalError::Write {
            path: svg_path,
            message: e.to_string(),
        })?;
        let png_path = dir.join(format!("{name}.png"));
        {
            let area = BitMapBackend::new(&png_path, (w, h)).into_drawing_area();
            self.draw(&area).map_err(|e| failure(e.to_string()))?;
            area.present().map_err(|e| failure(e.to_string()))?;
        }
        Ok(svg)
    }
}

/// Nomogram layout: a points ruler on top, one ruler per predictor, then total points and
/// predicted probability, all in pixel coordinates. A predictor's line spans its whole range
/// (0 to its span in points); tick labels that would overlap the previous label are left out
/// (the tick mark stays).
fn draw_nomogram<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    nomogram: &Nomogram,
) -> DrawResult<DB::ErrorType> {
    let (w, _) = area.dim_in_pixel();
    let left = 230i32;
    let right = w as i32 - 40;
    let text = |size: u32| ("sans-serif", size).into_font().color(&BLACK);
    area.draw(&Text::new(title.to_string(), (20, 14), text(22)))?;
    // pixel x of a position on the 0..100 points scale
    let px = |v: f64| left + (v / 100.0 * (right - left) as f64).round() as i32;
    let ruler = |y: i32,
                 name: &str,
                 ticks: &[(f64, String)],
                 line: (f64, f64)|
     -> DrawResult<DB::ErrorType> {
        area.draw(&Text::new(name.to_string(), (20, y - 8), text(15)))?;
        area.draw(&PathElement::new(
            [(px(line.0), y), (px(line.1), y)],
            BLACK.stroke_width(2),
        ))?;
        let label_style = ("sans-serif", 12)
            .into_font()
            .color(&BLACK)
            .pos(Pos::new(HPos::Center, VPos::Bottom));
        let mut sorted: Vec<&(f64, String)> = ticks.iter().collect();
        sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut free_from = i32::MIN;
        for (v, label) in sorted {
            let x = px(*v);
            area.draw(&PathElement::new([(x, y), (x, y - 8)], BLACK))?;
            let width = area
                .estimate_text_size(label, &label_style)
                .map_or(7 * label.len() as i32, |(w, _)| w as i32);
            if x - width / 2 < free_from {
                continue;
            }
            free_from = x + width / 2 + 6;
            area.draw(&Text::new(label.clone(), (x, y - 12), label_style.clone()))?;
        }
        Ok(())
    };
    let extent = |ticks: &[(f64, String)]| {
        ticks
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), (v, _)| {
                (a.min(*v), b.max(*v))
            })
    };
    let mut y = 90;
    let points: Vec<(f64, String)> = (0..=10)
        .map(|k| (k as f64 * 10.0, (k * 10).to_string()))
        .collect();
    ruler(y, "Points", &points, (0.0, 100.0))?;
    for axis in &nomogram.predictors {
        y += 70;
        let ticks: Vec<(f64, String)> = axis
            .ticks
            .iter()
            .map(|t| (t.points, t.label.clone()))
            .collect();
        ruler(y, &axis.name, &ticks, (0.0, axis.span))?;
    }
    // total points on its own scale 0..last total tick, drawn over the same width
    y += 70;
    let top = nomogram.total_points.last().copied().unwrap_or(100.0);
    let per_total = 100.0 / top.max(1e-9);
    let totals: Vec<(f64, String)> = nomogram
        .total_points
        .iter()
        .map(|&v| (v * per_total, format!("{v}")))
        .collect();
    ruler(y, "Total points", &totals, (0.0, 100.0))?;
    let on_total = |ticks: &[Tick]| -> Vec<(f64, String)> {
        ticks
            .iter()
            .map(|t| (t.points * per_total, t.label.clone()))
            .collect()
    };
    y += 70;
    let lp = on_total(&nomogram.linear_predictor);
    let line = extent(&lp);
    if line.0 <= line.1 {
        ruler(y, "Linear predictor", &lp, line)?;
    }
    y += 70;
    let probability = on_total(&nomogram.probability);
    let line = extent(&probability);
    if line.0 <= line.1 {
        ruler(y, "Predicted probability", &probability, line)?;
    }
    Ok(())
}
