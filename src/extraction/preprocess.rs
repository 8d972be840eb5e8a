//! PyRadiomics' pre-processing of a case, between reading it and discretizing its regions.
//!
//! In PyRadiomics' order (`RadiomicsFeatureExtractor.loadImage` and `execute`):
//! 1. **Normalisation** of the whole image (`normalize`, `normalizeScale`, `removeOutliers`):
//!    `f(x) = s · clamp((x − μ) / σ, −n, n)`, with `μ` and `σ` the mean and sample standard
//!    deviation of every pixel of the image, not only the region's. It is how an archive of
//!    several scanners puts their gray scales on one footing.
//! 2. **Alignment** of the mask on the image's pixels, or resampling of both
//!    ([`crate::alignment`]: `correctMask`, `geometryTolerance`; [`crate::resample`]).
//! 3. **ROI checks** of each region ([`RoiLimits`]: `minimumROIDimensions`, `minimumROISize`).
//! 4. **Resegmentation** of each region by gray value ([`Resegmentation`]: `resegmentRange`,
//!    `resegmentMode`, `resegmentShape`), then the ROI checks again.
//!
//! A region here is the tumour or one of sonorad's peritumoral rings: every region is checked
//! and resegmented on its own, with the thresholds of `relative` and `sigma` modes taken from
//! its own pixels, as PyRadiomics does for its one mask.

use std::path::Path;

use crate::error::{Error, Result};
use crate::io::Image;
use crate::numpy::{numpy_sum, numpy_sum_of};
use crate::roi::Region;

/// PyRadiomics' intensity normalisation (`normalize: true`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Normalization {
    /// `normalizeScale` `s` (default 1), applied last.
    pub scale: f64,
    /// `removeOutliers` `n`: normalised values are clamped to `[−n, n]` before scaling.
    pub remove_outliers: Option<f64>,
}

impl Default for Normalization {
    fn default() -> Normalization {
        Normalization {
            scale: 1.0,
            remove_outliers: None,
        }
    }
}

impl Normalization {
    /// Normalises every pixel of `image` in place. The statistics are SimpleITK's
    /// `NormalizeImageFilter`'s: `μ = Σx / N`, `σ² = (Σx² − (Σx)²/N) / (N − 1)` with compensated
    /// sums, then `(x − μ) · (1/σ)` (a product with the reciprocal, as ITK's shift-scale filter
    /// computes it). An image whose pixels are all equal has `σ = 0`; ITK then divides by zero,
    /// and sonorad refuses the image instead of producing NaN everywhere.
    pub fn apply(&self, image: &mut Image) -> Result<()> {
        let (mean, sigma) = image_statistics(&image.pixels);
        if !(sigma > 0.0 && sigma.is_finite()) {
            return Err(Error::PixelValue {
                path: image.source.clone(),
                region: "image".into(),
                detail: format!(
                    "cannot be normalised: its {} pixels have standard deviation {sigma} (normalize needs an image whose gray values vary)",
                    image.pixels.len()
                ),
            });
        }
        let reciprocal = 1.0 / sigma;
        let limit = self.remove_outliers;
        for v in image.pixels.to_mut().iter_mut() {
            let mut z = (*v - mean) * reciprocal;
            if let Some(n) = limit {
                z = z.clamp(-n, n);
            }
            *v = z * self.scale;
        }
        Ok(())
    }
}

/// Mean and sample standard deviation of every value, as ITK's `StatisticsImageFilter` gives
/// them (compensated sums of `x` and `x²`).
fn image_statistics(values: &[f64]) -> (f64, f64) {
    let (sum, squares) = values.iter().fold(
        (Compensated::default(), Compensated::default()),
        |(mut s, mut q), &x| {
            s.add(x);
            q.add(x * x);
            (s, q)
        },
    );
    let n = values.len() as f64;
    let (sum, squares) = (sum.total(), squares.total());
    let mean = sum / n;
    let variance = (squares - sum * sum / n) / (n - 1.0);
    (mean, variance.sqrt())
}

/// Kahan–Babuška (Neumaier) summation, the compensated sum ITK's statistics use.
#[derive(Debug, Default, Clone, Copy)]
struct Compensated {
    sum: f64,
    compensation: f64,
}

impl Compensated {
    fn add(&mut self, x: f64) {
        let t = self.sum + x;
        if self.sum.abs() >= x.abs() {
            self.compensation += (self.sum - t) + x;
        } else {
            self.compensation += (x - t) + self.sum;
        }
        self.sum = t;
    }

    fn total(self) -> f64 {
        self.sum + self.compensation
    }
}

/// How `resegmentRange` is read (`resegmentMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResegmentMode {
    /// The thresholds are gray values.
    Absolute,
    /// The thresholds are fractions of the region's largest gray value.
    Relative,
    /// The thresholds are numbers of standard deviations (population) from the region's mean.
    Sigma,
}

impl ResegmentMode {
    /// The mode PyRadiomics names `name` (`absolute`, `relative`, `sigma`).
    pub fn from_name(name: &str) -> Option<ResegmentMode> {
        match name {
            "absolute" => Some(ResegmentMode::Absolute),
            "relative" => Some(ResegmentMode::Relative),
            "sigma" => Some(ResegmentMode::Sigma),
            _ => None,
        }
    }
}

/// PyRadiomics' resegmentation: a region keeps the pixels whose gray value `x` lies in
/// `[T_lower, T_upper]` (or `x ≥ T_lower` with one threshold).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Resegmentation {
    /// The sorted thresholds: the lower one, and the upper one where two are given.
    pub range: (f64, Option<f64>),
    /// How the thresholds are read.
    pub mode: ResegmentMode,
    /// `resegmentShape`: shape features from the resegmented region too (default: from the
    /// region as drawn).
    pub shape: bool,
}

impl Resegmentation {
    /// A resegmentation from `resegmentRange`'s one or two values, in any order; an error for
    /// any other count or a value that is not finite.
    pub fn new(values: &[f64], mode: ResegmentMode, shape: bool) -> Result<Resegmentation> {
        if values.iter().any(|v| !v.is_finite()) {
            return Err(Error::Setting(format!(
                "resegmentRange must hold finite numbers, got {values:?}"
            )));
        }
        let range = match *values {
            [t] => (t, None),
            [a, b] => (a.min(b), Some(a.max(b))),
            _ => {
                return Err(Error::Setting(format!(
                    "resegmentRange takes 1 or 2 thresholds, got {} (Length {} is not allowed for resegmentRange)",
                    values.len(),
                    values.len()
                )))
            }
        };
        Ok(Resegmentation { range, mode, shape })
    }

    /// The thresholds in gray values for a region whose pixels hold `values`.
    fn thresholds(&self, values: &[f64]) -> (f64, Option<f64>) {
        let (lower, upper) = self.range;
        let to_gray: Box<dyn Fn(f64) -> f64> = match self.mode {
            ResegmentMode::Absolute => Box::new(|t| t),
            ResegmentMode::Relative => {
                let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                Box::new(move |t| max * t)
            }
            ResegmentMode::Sigma => {
                // numpy.mean and numpy.std (population) of the region's values
                let n = values.len() as f64;
                let mean = numpy_sum(values) / n;
                let sd = (numpy_sum_of(values, |x| (x - mean) * (x - mean)) / n).sqrt();
                Box::new(move |t| mean + sd * t)
            }
        };
        (to_gray(lower), upper.map(to_gray))
    }

    /// The pixels of `region` whose gray value in `image` lies within the thresholds, as a
    /// region of the same name (cropped to its new bounding box); an error naming the mask
    /// when one pixel or none remains, as PyRadiomics refuses that.
    pub fn apply(&self, image: &Image, region: &Region, mask_path: &Path) -> Result<Region> {
        let values = region_values(image, region);
        let (lower, upper) = self.thresholds(&values);
        let keep = |v: f64| v >= lower && upper.is_none_or(|u| v <= u);
        let full = region_membership(image, region, keep);
        let kept = Region::from_full_mask(&region.name, &full, image.width, image.height);
        match kept {
            Some(r) if r.pixel_count() > 1 => Ok(r),
            other => Err(Error::DegenerateRegion {
                path: mask_path.to_path_buf(),
                region: region.name.clone(),
                detail: format!(
                    "keeps {} pixel(s) after resegmentation (thresholds {lower}{}); PyRadiomics cannot extract features from that",
                    other.map_or(0, |r| r.pixel_count()),
                    upper.map_or(String::new(), |u| format!(" to {u}"))
                ),
            }),
        }
    }
}

/// The region whose shape PyRadiomics reports after resegmenting `drawn` into `resegmented`:
/// the resegmented region with `resegmentShape`, otherwise the drawn region cropped to the
/// resegmented region's bounding box (PyRadiomics crops the original mask to the bounding box
/// it computed last, that of the resegmented mask).
pub fn shape_region(drawn: &Region, resegmented: &Region, shape: bool) -> Region {
    if shape {
        return resegmented.clone();
    }
    let mut mask = Vec::with_capacity(resegmented.width * resegmented.height);
    for y in resegmented.y0..resegmented.y0 + resegmented.height {
        for x in resegmented.x0..resegmented.x0 + resegmented.width {
            let inside = y >= drawn.y0
                && y < drawn.y0 + drawn.height
                && x >= drawn.x0
                && x < drawn.x0 + drawn.width
                && drawn.mask[(y - drawn.y0) * drawn.width + x - drawn.x0];
            mask.push(inside);
        }
    }
    Region {
        mask,
        ..resegmented.clone()
    }
}

/// The gray values of a region's pixels, row-major.
fn region_values(image: &Image, region: &Region) -> Vec<f64> {
    let mut values = Vec::with_capacity(region.pixel_count());
    for y in 0..region.height {
        for x in 0..region.width {
            if region.mask[y * region.width + x] {
                values.push(image.pixels[(region.y0 + y) * image.width + region.x0 + x]);
            }
        }
    }
    values
}

/// A full-image mask of the region's pixels whose value passes `keep`.
fn region_membership(image: &Image, region: &Region, keep: impl Fn(f64) -> bool) -> Vec<bool> {
    let mut full = vec![false; image.width * image.height];
    for y in 0..region.height {
        for x in 0..region.width {
            let at = (region.y0 + y) * image.width + region.x0 + x;
            full[at] = region.mask[y * region.width + x] && keep(image.pixels[at]);
        }
    }
    full
}

/// PyRadiomics' `checkMask` limits on a region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoiLimits {
    /// `minimumROIDimensions` (1 to 3, default 2): the least number of axes along which the
    /// region spans more than one pixel. A 2D region has at most 2, so 3 refuses every case.
    pub minimum_dimensions: u8,
    /// `minimumROISize`: a region must have more pixels than this.
    pub minimum_size: Option<u64>,
}

impl Default for RoiLimits {
    fn default() -> RoiLimits {
        RoiLimits {
            minimum_dimensions: 2,
            minimum_size: None,
        }
    }
}

impl RoiLimits {
    /// PyRadiomics' checks of a region, with its messages: a single pixel is always refused,
    /// then too few dimensions, then too few pixels.
    pub fn check(&self, region: &Region, mask_path: &Path) -> Result<()> {
        let degenerate = |detail: String| Error::DegenerateRegion {
            path: mask_path.to_path_buf(),
            region: region.name.clone(),
            detail,
        };
        let dimensions = u8::from(region.width > 1) + u8::from(region.height > 1);
        if dimensions == 0 {
            return Err(degenerate(
                "has a single pixel; PyRadiomics cannot extract features for a single voxel".into(),
            ));
        }
        if dimensions < self.minimum_dimensions {
            let shape = if dimensions == 1 {
                "is one pixel thick".to_string()
            } else {
                format!("spans {dimensions} dimensions")
            };
            return Err(degenerate(format!(
                "{shape} ({}x{} bounding box) and minimumROIDimensions is {}; PyRadiomics: mask has too few dimensions",
                region.width, region.height, self.minimum_dimensions
            )));
        }
        if let Some(minimum) = self.minimum_size {
            let count = region.pixel_count() as u64;
            if count <= minimum {
                return Err(degenerate(format!(
                    "has {count} pixels, and minimumROISize requires more than {minimum}; PyRadiomics: Size of the ROI is too small"
                )));
            }
        }
        Ok(())
    }
}

/// The pre-processing settings of a run, PyRadiomics' defaults when not set.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Preprocessing {
    /// Intensity normalisation of the whole image (`normalize`); `None`: none.
    pub normalize: Option<Normalization>,
    /// Resegmentation of every region (`resegmentRange`); `None`: none.
    pub resegment: Option<Resegmentation>,
    /// The ROI checks.
    pub roi: RoiLimits,
    /// `preCrop` with its `padDistance`: filters see only the regions' bounding box grown by
    /// this many pixels; `None`: the whole image. Ignored when resampling, which crops itself
    /// (PyRadiomics does one or the other).
    pub pre_crop: Option<usize>,
    /// `resampledPixelSpacing` with its `interpolator` and `padDistance`; `None`: none.
    pub resample: Option<Resampling>,
    /// `correctMask` and `geometryTolerance`: what a mask that does not lie on its image's
    /// pixels does (resampling aligns them itself, as PyRadiomics' `resampleImage`).
    pub alignment: crate::alignment::MaskAlignment,
}

/// PyRadiomics' resampling of image and mask to a new pixel spacing ([`crate::resample`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Resampling {
    /// The new spacing in mm, x (between columns) then y (between rows); 0 keeps the mask's.
    pub spacing: [f64; 2],
    /// How the image is interpolated (the mask: nearest neighbour).
    pub interpolator: crate::resample::Interpolator,
    /// New pixels kept around the region's bounding box (`padDistance`, default 5).
    pub pad_distance: usize,
}

/// A rectangle of an image: left column, top row, width, height.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CropBox {
    /// Left column.
    pub x0: usize,
    /// Top row.
    pub y0: usize,
    /// Width.
    pub width: usize,
    /// Height.
    pub height: usize,
}

impl CropBox {
    /// PyRadiomics' `cropToTumorMask` box: the bounding box of `regions` grown by `pad` pixels
    /// on each side, clipped to the `width × height` image.
    pub fn around(regions: &[Region], pad: usize, (width, height): (usize, usize)) -> CropBox {
        let x0 = regions.iter().map(|r| r.x0).min().unwrap_or(0);
        let y0 = regions.iter().map(|r| r.y0).min().unwrap_or(0);
        let x1 = regions
            .iter()
            .map(|r| r.x0 + r.width)
            .max()
            .unwrap_or(width);
        let y1 = regions
            .iter()
            .map(|r| r.y0 + r.height)
            .max()
            .unwrap_or(height);
        let (x0, y0) = (x0.saturating_sub(pad), y0.saturating_sub(pad));
        let (x1, y1) = (
            x1.saturating_add(pad).min(width),
            y1.saturating_add(pad).min(height),
        );
        CropBox {
            x0,
            y0,
            width: x1 - x0,
            height: y1 - y0,
        }
    }

    /// The part of `image` inside the box, as an image of its own (same source).
    pub fn crop(&self, image: &Image) -> Image<'static> {
        let mut pixels = Vec::with_capacity(self.width * self.height);
        for y in self.y0..self.y0 + self.height {
            let row = y * image.width + self.x0;
            pixels.extend_from_slice(&image.pixels[row..row + self.width]);
        }
        Image {
            width: self.width,
            height: self.height,
            pixels: std::borrow::Cow::Owned(pixels),
            source: image.source.clone(),
        }
    }

    /// `cropped` (an image of the box's size) put back at the box's place in a `width × height`
    /// image of zeros, so that regions keep their coordinates; only the box is ever read.
    pub fn embed(&self, cropped: Image, (width, height): (usize, usize)) -> Image<'static> {
        let mut pixels = vec![0.0; width * height];
        for (y, row) in cropped.pixels.chunks_exact(self.width.max(1)).enumerate() {
            let at = (self.y0 + y) * width + self.x0;
            pixels[at..at + self.width].copy_from_slice(row);
        }
        Image {
            width,
            height,
            pixels: std::borrow::Cow::Owned(pixels),
            source: cropped.source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;
    use std::path::PathBuf;

    fn image(width: usize, height: usize, pixels: Vec<f64>) -> Image<'static> {
        Image {
            width,
            height,
            pixels: Cow::Owned(pixels),
            source: PathBuf::from("img.png"),
        }
    }

    #[test]
    fn statistics_are_itks_sample_deviation() {
        let (mean, sd) = image_statistics(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(mean, 2.5);
        assert_eq!(sd, (5.0f64 / 3.0).sqrt());
    }

    #[test]
    fn a_flat_image_cannot_be_normalised() {
        let mut flat = image(2, 2, vec![7.0; 4]);
        let e = Normalization::default().apply(&mut flat).unwrap_err();
        assert!(e.to_string().contains("img.png"), "{e}");
        assert!(e.to_string().contains("standard deviation 0"), "{e}");
    }

    #[test]
    fn outliers_are_clamped_before_scaling() {
        let mut img = image(5, 1, vec![0.0, 0.0, 0.0, 0.0, 100.0]);
        let n = Normalization {
            scale: 10.0,
            remove_outliers: Some(1.5),
        };
        n.apply(&mut img).unwrap();
        assert_eq!(img.pixels[4], 15.0);
        assert!(img.pixels[0] < 0.0 && img.pixels[0] > -15.0);
    }

    #[test]
    fn resegmentation_keeps_the_closed_range_and_refuses_one_pixel() {
        let img = image(3, 1, vec![10.0, 20.0, 30.0]);
        let region = Region::from_full_mask("tumor", &[true; 3], 3, 1).unwrap();
        let r = Resegmentation::new(&[30.0, 20.0], ResegmentMode::Absolute, false).unwrap();
        let kept = r.apply(&img, &region, Path::new("m.png")).unwrap();
        assert_eq!((kept.x0, kept.width, kept.pixel_count()), (1, 2, 2));
        let shape = shape_region(&region, &kept, false);
        assert_eq!((shape.x0, shape.width, shape.pixel_count()), (1, 2, 2));
        let relative = Resegmentation::new(&[0.9], ResegmentMode::Relative, false).unwrap();
        let e = relative
            .apply(&img, &region, Path::new("m.png"))
            .unwrap_err();
        assert!(e.to_string().contains("keeps 1 pixel(s)"), "{e}");
        assert!(Resegmentation::new(&[], ResegmentMode::Sigma, false).is_err());
    }

    #[test]
    fn a_pre_crop_box_is_the_regions_box_grown_and_clipped() {
        let region = Region::from_full_mask(
            "tumor",
            &(0..100).map(|p| p == 23 || p == 45).collect::<Vec<_>>(),
            10,
            10,
        )
        .unwrap();
        let b = CropBox::around(&[region], 2, (10, 10));
        assert_eq!((b.x0, b.y0, b.width, b.height), (1, 0, 7, 7));
        let img = image(10, 10, (0..100).map(f64::from).collect());
        let cropped = b.crop(&img);
        assert_eq!(cropped.pixels[0], 1.0);
        let back = b.embed(cropped, (10, 10));
        assert_eq!(back.pixels[45], 45.0);
        assert_eq!(back.pixels[0], 0.0);
    }

    #[test]
    fn roi_limits_follow_check_mask() {
        let line = Region::from_full_mask("tumor", &[true; 4], 4, 1).unwrap();
        let path = Path::new("m.png");
        assert!(RoiLimits::default().check(&line, path).is_err());
        let one = RoiLimits {
            minimum_dimensions: 1,
            minimum_size: None,
        };
        assert!(one.check(&line, path).is_ok());
        let sized = RoiLimits {
            minimum_dimensions: 1,
            minimum_size: Some(4),
        };
        let e = sized.check(&line, path).unwrap_err();
        assert!(e.to_string().contains("has 4 pixels"), "{e}");
    }
}
