//! The report's figures, drawn with plotters into SVG (inlined in the report) and PNG files:
//! ROC curves, the LASSO path and CV curve, feature weights, calibration, decision curves and
//! the nomogram. Text is set in DejaVu Sans (bundled, `assets/fonts`), so the PNGs look the
//! same on every machine.

use std::path::Path;
use std::sync::Once;

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{register_font, FontStyle};

use super::error::{ReportError, ReportResult};
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
    /// Error bars `(x, low, high)`, drawn as vertical segments with caps in the series' colour.
    pub bars: Vec<(f64, f64, f64)>,
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
            bars: Vec::new(),
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

    /// The same series with error bars `(x, low, high)`.
    pub fn with_bars(self, bars: Vec<(f64, f64, f64)>) -> Self {
        Series { bars, ..self }
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
        /// Vertical marker lines (x, label), dashed and labelled at the top of the plot.
        verticals: Vec<(f64, String)>,
        /// Labels along the top edge (x, text), as glmnet's plots show the number of non-zero
        /// coefficients; the first is prefixed by `top_title`.
        top_labels: Vec<(f64, String)>,
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

pub(super) fn register() {
    FONT.call_once(|| {
        // a failed registration leaves plotters without text; the bundled font parses
        let _ = register_font(
            "sans-serif",
            FontStyle::Normal,
            include_bytes!("../../../assets/fonts/DejaVuSans.ttf"),
        );
    });
}

/// The Okabe–Ito colour-blind-safe palette without its yellow (too pale on white): blue,
/// vermillion, bluish green, reddish purple, orange, sky blue, black. Series beyond seven reuse
/// the colours dashed ([`Figure::Lines`]).
const PALETTE: [RGBColor; 7] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(0, 0, 0),
];

fn palette(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Width added on the right of a line chart for a legend outside the plot: room for its
/// longest label.
fn outside_legend_width(figure: &Figure) -> u32 {
    let Figure::Lines { series, .. } = figure else {
        return 0;
    };
    let longest = series
        .iter()
        .map(|s| s.label.chars().count())
        .max()
        .unwrap_or(0);
    (longest as u32 * 15 / 2 + 60).clamp(200, 560)
}

type DrawResult<E> = Result<(), DrawingAreaErrorKind<E>>;

impl Figure {
    /// Pixel size of the figure.
    pub fn size(&self) -> (u32, u32) {
        match self {
            Figure::Lines { .. } => match legend_place(self) {
                LegendPlace::Outside => (720 + outside_legend_width(self), 540),
                LegendPlace::Inside(_) => (720, 540),
            },
            Figure::Bars { bars, .. } => (820, 160 + 26 * bars.len() as u32),
            Figure::Nomogram { nomogram, .. } => {
                (980, 130 + 70 * (nomogram.predictors.len() as u32 + 3))
            }
        }
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<DB::ErrorType> {
        area.fill(&WHITE)?;
        match self {
            Figure::Lines { .. } => draw_lines(area, self)?,
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
    pub fn render(&self, dir: &Path, name: &str) -> ReportResult<String> {
        register();
        let (w, h) = self.size();
        let failure = |e: String| ReportError::Figure {
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
        std::fs::write(&svg_path, &svg).map_err(|e| ReportError::Write {
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

/// Where a line chart's legend goes.
#[derive(Debug, Clone, Copy, PartialEq)]
enum LegendPlace {
    /// In a corner of the plot free of data.
    Inside(Corner),
    /// To the right of the plot.
    Outside,
}

/// A corner of the plot.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Corner {
    LowerRight,
    UpperRight,
    UpperLeft,
    LowerLeft,
}

/// The legend's place: inside, in the first corner (lower right, upper right, upper left, lower
/// left) whose legend-sized box no series passes through, for at most six entries; otherwise
/// outside on the right, so that a legend never covers data.
fn legend_place(figure: &Figure) -> LegendPlace {
    let Figure::Lines {
        x_range,
        y_range,
        series,
        verticals,
        ..
    } = figure
    else {
        return LegendPlace::Outside;
    };
    let labelled: Vec<&Series> = series.iter().filter(|s| !s.label.is_empty()).collect();
    if labelled.len() > 6 {
        return LegendPlace::Outside;
    }
    // the legend's share of the plot (about 620 × 430 pixels)
    let longest = labelled
        .iter()
        .map(|s| s.label.chars().count())
        .max()
        .unwrap_or(0);
    let width = (longest as f64 * 7.5 + 50.0) / 620.0;
    let height = (labelled.len() as f64 * 20.0 + 16.0) / 430.0;
    // every series sampled densely, in plot units 0..1
    let unit = |(x, y): (f64, f64)| {
        (
            (x - x_range.0) / (x_range.1 - x_range.0),
            (y - y_range.0) / (y_range.1 - y_range.0),
        )
    };
    let mut samples = Vec::new();
    for s in series {
        let points: Vec<(f64, f64)> = s.points.iter().map(|&p| unit(p)).collect();
        samples.extend(points.iter().copied());
        if !s.markers {
            for w in points.windows(2) {
                samples.extend((1..20).map(|k| {
                    let t = k as f64 / 20.0;
                    (
                        w[0].0 + t * (w[1].0 - w[0].0),
                        w[0].1 + t * (w[1].1 - w[0].1),
                    )
                }));
            }
        }
        samples.extend(
            s.bars
                .iter()
                .flat_map(|&(x, lo, hi)| [unit((x, lo)), unit((x, hi))]),
        );
    }
    // the vertical marker lines and their labels are data too
    for (x, _) in verticals {
        samples.extend(
            (0..=20).map(|k| unit((*x, y_range.0 + (y_range.1 - y_range.0) * k as f64 / 20.0))),
        );
    }
    let corners = [
        (Corner::LowerRight, (1.0 - width, 1.0), (0.0, height)),
        (Corner::UpperRight, (1.0 - width, 1.0), (1.0 - height, 1.0)),
        (Corner::UpperLeft, (0.0, width), (1.0 - height, 1.0)),
        (Corner::LowerLeft, (0.0, width), (0.0, height)),
    ];
    corners
        .into_iter()
        .find(|(_, (x0, x1), (y0, y1))| {
            !samples
                .iter()
                .any(|&(u, v)| u >= x0 - 0.02 && u <= x1 + 0.02 && v >= y0 - 0.02 && v <= y1 + 0.02)
        })
        .map_or(LegendPlace::Outside, |(corner, _, _)| {
            LegendPlace::Inside(corner)
        })
}

/// The style of a series: palette colour (the next free one when it has none), dashed beyond
/// the palette's seven colours; reference lines thin dark grey.
fn series_style(s: &Series, next_colour: &mut usize) -> (ShapeStyle, bool) {
    if s.reference {
        return (RGBColor(90, 90, 90).stroke_width(1), true);
    }
    let colour = s.colour.unwrap_or_else(|| {
        *next_colour += 1;
        *next_colour - 1
    });
    let dashed = s.dashed || (colour / PALETTE.len()) % 2 == 1;
    (palette(colour).stroke_width(2), dashed)
}

/// A line chart: mesh, vertical marker lines labelled at the top, top labels, the series
/// (lines, dashed lines, markers, error bars) and the legend where [`legend_place`] puts it.
fn draw_lines<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    figure: &Figure,
) -> DrawResult<DB::ErrorType> {
    let Figure::Lines {
        title,
        x_label,
        y_label,
        x_range,
        y_range,
        series,
        verticals,
        top_labels,
    } = figure
    else {
        return Ok(());
    };
    let place = legend_place(figure);
    let (plot_area, legend_area) = match place {
        LegendPlace::Outside => {
            let (w, _) = area.dim_in_pixel();
            let (a, b) = area.split_horizontally(w - outside_legend_width(figure));
            (a, Some(b))
        }
        LegendPlace::Inside(_) => (area.clone(), None),
    };
    // the title above, then the top labels' band, then the plot
    let (w, _) = plot_area.dim_in_pixel();
    plot_area.draw(&Text::new(
        title.clone(),
        (w as i32 / 2, 12),
        ("sans-serif", 22)
            .into_font()
            .color(&BLACK)
            .pos(Pos::new(HPos::Center, VPos::Top)),
    ))?;
    let mut chart = ChartBuilder::on(&plot_area)
        .margin(14)
        .margin_top(if top_labels.is_empty() { 48 } else { 66 })
        .x_label_area_size(44)
        .y_label_area_size(60)
        .build_cartesian_2d(x_range.0..x_range.1, y_range.0..y_range.1)?;
    chart
        .configure_mesh()
        .x_desc(x_label)
        .y_desc(y_label)
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 16))
        .light_line_style(RGBColor(240, 240, 240))
        .bold_line_style(RGBColor(215, 215, 215))
        .draw()?;
    draw_markings(
        &mut chart,
        &plot_area,
        verticals,
        top_labels,
        (*x_range, *y_range),
    )?;
    let entries = draw_all_series(&mut chart, series, (*x_range, *y_range))?;
    match (place, legend_area) {
        (LegendPlace::Outside, Some(legend)) => draw_legend(&legend, &entries, (8, 50)),
        (LegendPlace::Inside(corner), _) => {
            let top_left = chart.backend_coord(&(x_range.0, y_range.1));
            let bottom_right = chart.backend_coord(&(x_range.1, y_range.0));
            draw_inside_legend(&plot_area, (top_left, bottom_right), corner, &entries)
        }
        _ => Ok(()),
    }
}

/// A line chart's coordinate system.
type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// A legend entry: label, style, markers, dashed.
type LegendEntry = (String, ShapeStyle, bool, bool);

/// The vertical marker lines (dashed, labelled at the top, labels on alternating sides) and
/// the labels along the top edge.
fn draw_markings<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    plot_area: &DrawingArea<DB, Shift>,
    verticals: &[(f64, String)],
    top_labels: &[(f64, String)],
    (x_range, y_range): ((f64, f64), (f64, f64)),
) -> DrawResult<DB::ErrorType> {
    let small = |h: HPos, v: VPos| {
        ("sans-serif", 13)
            .into_font()
            .color(&BLACK)
            .pos(Pos::new(h, v))
    };
    for (k, (x, label)) in verticals.iter().enumerate() {
        let dark = RGBColor(60, 60, 60).stroke_width(1);
        chart.draw_series(DashedLineSeries::new(
            [(*x, y_range.0), (*x, y_range.1)],
            4,
            3,
            dark,
        ))?;
        // alternate sides so that two close lines keep apart labels
        let (pos, shift) = if k % 2 == 0 {
            (small(HPos::Right, VPos::Top), -0.006)
        } else {
            (small(HPos::Left, VPos::Top), 0.006)
        };
        let y = y_range.1 - 0.01 * (y_range.1 - y_range.0);
        chart.draw_series(std::iter::once(Text::new(
            label.clone(),
            (x + shift * (x_range.1 - x_range.0), y),
            pos,
        )))?;
    }
    for (x, label) in top_labels {
        let (px, _) = chart.backend_coord(&(*x, y_range.1));
        let (_, top) = chart.backend_coord(&(*x, y_range.1));
        plot_area.draw(&Text::new(
            label.clone(),
            (px, top - 6),
            ("sans-serif", 12)
                .into_font()
                .color(&BLACK)
                .pos(Pos::new(HPos::Center, VPos::Bottom)),
        ))?;
    }
    Ok(())
}

/// Every series (error bars, then markers, dashed or solid line, clipped to the plot), with
/// the legend entries of the labelled ones.
fn draw_all_series<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    series: &[Series],
    (x_range, y_range): ((f64, f64), (f64, f64)),
) -> Result<Vec<LegendEntry>, DrawingAreaErrorKind<DB::ErrorType>> {
    let mut next_colour = 0;
    let mut entries = Vec::new();
    for s in series {
        let (style, dashed) = series_style(s, &mut next_colour);
        let inside = |&(x, y): &(f64, f64)| {
            x.is_finite()
                && y.is_finite()
                && (y_range.0..=y_range.1).contains(&y)
                && (x_range.0..=x_range.1).contains(&x)
        };
        let clipped = s.points.iter().copied().filter(inside);
        for &(x, lo, hi) in &s.bars {
            let (lo, hi) = (lo.max(y_range.0), hi.min(y_range.1));
            let cap = 0.004 * (x_range.1 - x_range.0);
            let grey = RGBColor(150, 150, 150).stroke_width(1);
            chart.draw_series([
                PathElement::new([(x, lo), (x, hi)], grey),
                PathElement::new([(x - cap, lo), (x + cap, lo)], grey),
                PathElement::new([(x - cap, hi), (x + cap, hi)], grey),
            ])?;
        }
        if s.markers {
            chart.draw_series(clipped.map(|p| Circle::new(p, 3, style.filled())))?;
        } else if dashed {
            chart.draw_series(DashedLineSeries::new(clipped, 6, 4, style))?;
        } else {
            chart.draw_series(LineSeries::new(clipped, style))?;
        }
        if !s.label.is_empty() {
            entries.push((s.label.clone(), style, s.markers, dashed));
        }
    }
    Ok(entries)
}

/// A legend in a corner of the plot (`frame`: its top-left and bottom-right pixels), on a
/// white box with a grey border.
fn draw_inside_legend<DB: DrawingBackend>(
    plot_area: &DrawingArea<DB, Shift>,
    ((x0, y0), (x1, y1)): ((i32, i32), (i32, i32)),
    corner: Corner,
    entries: &[LegendEntry],
) -> DrawResult<DB::ErrorType> {
    let longest = entries
        .iter()
        .map(|e| e.0.chars().count())
        .max()
        .unwrap_or(0) as i32;
    let (w, h) = (longest * 15 / 2 + 50, entries.len() as i32 * 20 + 16);
    let origin = match corner {
        Corner::UpperLeft => (x0 + 8, y0 + 8),
        Corner::UpperRight => (x1 - w - 8, y0 + 8),
        Corner::LowerLeft => (x0 + 8, y1 - h - 8),
        Corner::LowerRight => (x1 - w - 8, y1 - h - 8),
    };
    plot_area.draw(&Rectangle::new(
        [origin, (origin.0 + w, origin.1 + h)],
        WHITE.mix(0.9).filled(),
    ))?;
    plot_area.draw(&Rectangle::new(
        [origin, (origin.0 + w, origin.1 + h)],
        RGBColor(180, 180, 180),
    ))?;
    draw_legend(plot_area, entries, (origin.0 + 8, origin.1 + 8))
}

/// Legend entries from `origin` downwards: a sample of each style and its label.
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[LegendEntry],
    origin: (i32, i32),
) -> DrawResult<DB::ErrorType> {
    let text = ("sans-serif", 13)
        .into_font()
        .color(&BLACK)
        .pos(Pos::new(HPos::Left, VPos::Center));
    for (k, (label, style, markers, dashed)) in entries.iter().enumerate() {
        let y = origin.1 + 10 + 20 * k as i32;
        let (x0, x1) = (origin.0, origin.0 + 26);
        if *markers {
            area.draw(&Circle::new((x0 + 13, y), 4, style.filled()))?;
        } else if *dashed {
            area.draw(&DashedPathElement::new([(x0, y), (x1, y)], 6, 4, *style))?;
        } else {
            area.draw(&PathElement::new([(x0, y), (x1, y)], *style))?;
        }
        area.draw(&Text::new(label.clone(), (x1 + 8, y), text.clone()))?;
    }
    Ok(())
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
