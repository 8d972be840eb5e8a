//! 2D resampling as PyRadiomics 3.0.1 does it with SimpleITK 2.5 (ITK 5.4).
//!
//! [`resample`] is `radiomics.imageoperations.resampleImage`, [`check_roi`] is `_checkROI` and
//! [`correct_mask`] is `_correctMask`. The arithmetic follows ITK operation by operation (same
//! operands, same order, no fused multiply-add), so that results are bit-identical to SimpleITK,
//! not merely close:
//!
//! * Index ↔ physical point: `M = D·diag(s)`; index → point is `(o + M₀₀·i) + M₀₁·j` (ITK's
//!   `TransformIndexToPhysicalPoint`), continuous index → point is `(0 + M₀₀·i + M₀₁·j) + o`, and
//!   point → continuous index multiplies by the inverse matrix (for an axis-aligned direction
//!   `1/s`, a multiplication by the reciprocal, not a division).
//! * `ResampleImageFilter` (linear-transform path): for each output row it maps the output
//!   indices `(0, y)` and `(width, y)` into the input and takes the sample `x` at
//!   `start + (x / width)·(end − start)`; so continuous indices are interpolated along the scan
//!   line, not computed per pixel. Nearest-neighbour at exact half pixels depends on this.
//! * A sample is evaluated when `−0.5 ≤ c < size − 0.5` on both axes, otherwise it is 0.
//! * The interpolated double is cast to the input pixel type: clamped to the type's range
//!   (`≤ min → min`, `≥ max → max`), then truncated toward zero (integers) or rounded to
//!   `f32`.
//! * Nearest neighbour rounds half up: `floor(c + 0.5)`.
//! * Linear is ITK's 2D `LinearInterpolateImageFunction::EvaluateOptimized`, its branches for
//!   zero distances and for neighbours past the last row/column included.
//! * B-spline (order 3) is `BSplineDecompositionImageFilter` (pole `√3 − 2`, gain
//!   `(1 − z)(1 − 1/z)`, initial causal coefficient truncated at a horizon of
//!   `⌈ln 1e-10 / ln|z|⌉ = 18` samples on longer lines and the exact mirror sum otherwise, x then
//!   y) followed by `BSplineInterpolateImageFunction` (support start `floor((float) c) − 1`, the
//!   cubic weights in ITK's form, mirror boundary, x-fastest summation).
//!
//! Everything is checked against SimpleITK by the fixtures of
//! `tests/fixtures/make_resample_fixtures.py`.

use crate::io::PixelType;

/// Largest number of output pixels [`resample`] produces unless told otherwise (2^28).
pub const DEFAULT_MAX_PIXELS: usize = 1 << 28;

/// `_checkROI`'s tolerance, in pixels, on the ROI lying inside the image.
const ROI_TOLERANCE: f64 = 1e-3;

/// Geometry of a 2D image as ITK sees it, x (column) first.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Geometry {
    /// Physical position of the centre of pixel (0, 0).
    pub origin: [f64; 2],
    /// Pixel size along x and y; must be finite and positive.
    pub spacing: [f64; 2],
    /// Direction cosines, row-major 2×2 (`[1, 0, 0, 1]` is the identity).
    pub direction: [f64; 4],
}

impl Geometry {
    /// A geometry with the identity direction.
    pub fn new(origin: [f64; 2], spacing: [f64; 2]) -> Self {
        Geometry {
            origin,
            spacing,
            direction: [1.0, 0.0, 0.0, 1.0],
        }
    }

    /// ITK's `IndexToPhysicalPoint` matrix `D·diag(s)`, row-major: element (i, j) is
    /// `D[i][j]·s[j]` (the other product of vnl's 2×2 multiply is an exact ±0).
    fn index_to_physical_matrix(&self) -> [f64; 4] {
        let [d00, d01, d10, d11] = self.direction;
        let [sx, sy] = self.spacing;
        [d00 * sx, d01 * sy, d10 * sx, d11 * sy]
    }

    /// ITK's `PhysicalPointToIndex` matrix, the inverse of [`Self::index_to_physical_matrix`].
    ///
    /// ITK inverts with an SVD. For axis-aligned directions (the diagonal or anti-diagonal
    /// zero) that gives the exact reciprocals, reproduced here; otherwise the cofactor
    /// formula is used, which may differ from ITK in the last bits.
    fn physical_to_index_matrix(&self) -> [f64; 4] {
        let [a, b, c, d] = self.index_to_physical_matrix();
        if b == 0.0 && c == 0.0 {
            [1.0 / a, 0.0, 0.0, 1.0 / d]
        } else if a == 0.0 && d == 0.0 {
            [0.0, 1.0 / c, 1.0 / b, 0.0]
        } else {
            let det = a * d - b * c;
            [d / det, -b / det, -c / det, a / det]
        }
    }

    /// ITK's `TransformIndexToPhysicalPoint` for an integer index: `p = (o + M·i)` summed from
    /// the origin.
    pub fn index_to_physical(&self, index: [f64; 2]) -> [f64; 2] {
        let m = self.index_to_physical_matrix();
        let row = |r: usize| (self.origin[r] + m[2 * r] * index[0]) + m[2 * r + 1] * index[1];
        [row(0), row(1)]
    }

    /// ITK's `TransformContinuousIndexToPhysicalPoint`: `p = (0 + M·c) + o`.
    pub fn continuous_index_to_physical(&self, index: [f64; 2]) -> [f64; 2] {
        let m = self.index_to_physical_matrix();
        let row =
            |r: usize| ((0.0 + m[2 * r] * index[0]) + m[2 * r + 1] * index[1]) + self.origin[r];
        [row(0), row(1)]
    }

    /// ITK's `TransformPhysicalPointToContinuousIndex`: `c = M⁻¹·(p − o)`, summed from 0.
    pub fn physical_to_continuous_index(&self, point: [f64; 2]) -> [f64; 2] {
        let inv = self.physical_to_index_matrix();
        let v = [point[0] - self.origin[0], point[1] - self.origin[1]];
        let row = |r: usize| (0.0 + inv[2 * r] * v[0]) + inv[2 * r + 1] * v[1];
        [row(0), row(1)]
    }

    /// Finite origin and direction, finite positive spacing, non-singular direction.
    fn validate(&self, what: &'static str) -> Result<(), ResampleError> {
        let bad = |reason: String| Err(ResampleError::InvalidGeometry { what, reason });
        if !self.spacing.iter().all(|s| s.is_finite() && *s > 0.0) {
            return bad(format!(
                "spacing {:?} must be finite and positive",
                self.spacing
            ));
        }
        if !self.origin.iter().all(|o| o.is_finite()) {
            return bad(format!("origin {:?} must be finite", self.origin));
        }
        let [a, b, c, d] = self.direction;
        if !self.direction.iter().all(|v| v.is_finite()) || a * d - b * c == 0.0 {
            return bad(format!(
                "direction {:?} must be finite and non-singular",
                self.direction
            ));
        }
        Ok(())
    }
}

/// The interpolators PyRadiomics' `interpolator` setting can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interpolator {
    /// `sitkNearestNeighbor`: the pixel at `floor(c + 0.5)`.
    NearestNeighbor,
    /// `sitkLinear`: bilinear.
    Linear,
    /// `sitkBSpline` (PyRadiomics' default): cubic B-spline.
    BSpline,
}

impl Interpolator {
    /// The SimpleITK names accepted by [`Interpolator::from_name`].
    pub const NAMES: [&'static str; 3] = ["sitkNearestNeighbor", "sitkLinear", "sitkBSpline"];

    /// Parses a SimpleITK interpolator name (`"sitkBSpline3"` is SimpleITK's alias of
    /// `"sitkBSpline"`).
    pub fn from_name(name: &str) -> Result<Self, String> {
        match name {
            "sitkNearestNeighbor" => Ok(Interpolator::NearestNeighbor),
            "sitkLinear" => Ok(Interpolator::Linear),
            "sitkBSpline" | "sitkBSpline3" => Ok(Interpolator::BSpline),
            _ => Err(format!(
                "unsupported interpolator {name:?}; supported: {}",
                Self::NAMES.join(", ")
            )),
        }
    }
}

/// A 2D image: `values[y * width + x]`.
#[derive(Debug, Clone, Copy)]
pub struct Grid<'a, T> {
    /// Width in pixels (x).
    pub width: usize,
    /// Height in pixels (y).
    pub height: usize,
    /// `width * height` values, row-major.
    pub values: &'a [T],
    /// Where the pixels lie.
    pub geometry: Geometry,
}

impl<T: Copy> Grid<'_, T> {
    /// Checks that the size is non-zero and matches `values`, and the geometry is valid.
    fn validate(&self, what: &'static str) -> Result<(), ResampleError> {
        let expected = self.width.checked_mul(self.height);
        if self.width == 0 || self.height == 0 || expected != Some(self.values.len()) {
            return Err(ResampleError::SizeMismatch {
                what,
                width: self.width,
                height: self.height,
                len: self.values.len(),
            });
        }
        self.geometry.validate(what)
    }

    fn at(&self, x: usize, y: usize) -> T {
        self.values[y * self.width + x]
    }
}

/// Settings of [`resample`], PyRadiomics' names in brackets.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ResampleSettings {
    /// Target spacing x, y (`resampledPixelSpacing`); 0 keeps the mask's spacing.
    pub spacing: [f64; 2],
    /// (`interpolator`), default B-spline.
    pub interpolator: Interpolator,
    /// Margin in output pixels around the ROI (`padDistance`), default 5. PyRadiomics'
    /// `cropToTumorMask` defaults it to 0 when the setting is absent from its kwargs; the
    /// feature extractor always passes it, which is what this reproduces.
    pub pad_distance: usize,
    /// ROI label (`label`), default 1.
    pub label: u32,
    /// Refuse outputs with more pixels than this (not in PyRadiomics), default 2^28.
    pub max_pixels: usize,
}

impl ResampleSettings {
    /// PyRadiomics' defaults for a target spacing.
    pub fn new(spacing: [f64; 2]) -> Self {
        ResampleSettings {
            spacing,
            interpolator: Interpolator::BSpline,
            pad_distance: 5,
            label: 1,
            max_pixels: DEFAULT_MAX_PIXELS,
        }
    }
}

/// Resampled (and cropped) image and mask on a common grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Resampled {
    /// Width of the new grid.
    pub width: usize,
    /// Height of the new grid.
    pub height: usize,
    /// Image values, already cast to the input pixel type.
    pub image: Vec<f64>,
    /// Mask labels (nearest neighbour).
    pub mask: Vec<u32>,
    /// The new grid's geometry.
    pub geometry: Geometry,
}

/// Bounding box of a label in index space: lower corner and size, x first
/// (`LabelShapeStatisticsImageFilter::GetBoundingBox`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoundingBox {
    /// First column and row.
    pub lower: [usize; 2],
    /// Width and height.
    pub size: [usize; 2],
}

/// Why resampling was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ResampleError {
    /// Zero width or height, or `width·height != values.len()`.
    #[error("{what}: size {width}x{height} does not match its {len} values (or is empty)")]
    SizeMismatch {
        /// `image` or `mask`.
        what: &'static str,
        /// Its width.
        width: usize,
        /// Its height.
        height: usize,
        /// How many values it holds.
        len: usize,
    },
    /// Non-finite or non-positive spacing, non-finite origin, singular direction.
    #[error("{what}: {reason}")]
    InvalidGeometry {
        /// `image` or `mask`.
        what: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A target spacing entry that is negative or not finite.
    #[error("resampled pixel spacing {spacing:?} must be finite and >= 0 (0 keeps the mask's)")]
    InvalidTargetSpacing {
        /// The spacing asked for.
        spacing: [f64; 2],
    },
    /// The label does not occur in the mask (0, the background, never does).
    #[error("Label ({label}) not present in mask")]
    LabelAbsent {
        /// The label.
        label: u32,
    },
    /// `_checkROI`: the ROI's bounding box reaches outside the image (continuous indices of
    /// its corners in the image's index space).
    #[error(
        "Bounding box of ROI is larger than image space:\n\tROI bounds (x, y image coordinate space) ({lower:?}, {upper:?})\n\tImage Size {image_size:?}"
    )]
    RoiOutsideImage {
        /// The ROI's lower corner.
        lower: [f64; 2],
        /// The ROI's upper corner.
        upper: [f64; 2],
        /// The image's size.
        image_size: [usize; 2],
    },
    /// The output grid would exceed the pixel limit.
    #[error("resampled grid of {} x {} pixels exceeds the limit of {limit} pixels", size[0], size[1])]
    TooLarge {
        /// The grid's size.
        size: [f64; 2],
        /// The limit.
        limit: usize,
    },
}

/// PyRadiomics' `resampleImage` for a 2D image and mask.
///
/// The output grid is derived from the mask alone: spacing `settings.spacing` (0 entries and
/// axes along which the ROI is one pixel wide keep the mask's spacing), aligned so that the
/// new pixel 0 starts at the mask's corner (`origin index = ½(s_new − s_mask)/s_mask`),
/// cropped to the ROI's bounding box `[⌊(lb − ½)·r − pad⌋, ⌈(lb + size − ½)·r + pad⌉]`
/// (`r = s_mask/s_new`) clipped to `[0, ⌈size_mask·r⌉ − 1]`. The image is sampled there with
/// the chosen interpolator (0 outside it) and cast to `pixel_type`, the mask with nearest
/// neighbour. When the new spacing is `allclose` to the image's, nothing is interpolated: the
/// mask is mapped onto the image grid (nearest neighbour) and both are cropped to the ROI's
/// bounding box plus `pad_distance`.
pub fn resample(
    image: &Grid<f64>,
    pixel_type: PixelType,
    mask: &Grid<u32>,
    settings: &ResampleSettings,
) -> Result<Resampled, ResampleError> {
    image.validate("image")?;
    mask.validate("mask")?;
    if !settings.spacing.iter().all(|s| s.is_finite() && *s >= 0.0) {
        return Err(ResampleError::InvalidTargetSpacing {
            spacing: settings.spacing,
        });
    }
    let mask_spacing = mask.geometry.spacing;
    let mut spacing = settings.spacing;
    for (s, m) in spacing.iter_mut().zip(mask_spacing) {
        if *s == 0.0 {
            *s = m;
        }
    }
    let bb = check_roi(
        &image.geometry,
        [image.width, image.height],
        mask,
        settings.label,
    )?;
    for axis in 0..2 {
        if bb.size[axis] == 1 {
            spacing[axis] = mask_spacing[axis];
        }
    }
    if all_close(image.geometry.spacing, spacing) {
        return crop_on_image_grid(image, mask, settings);
    }
    let (lower, size) = output_extent(mask, bb, spacing, settings)?;
    let geometry = output_geometry(mask, spacing, lower);
    let [width, height] = size;
    let out_image = resample_image(image, pixel_type, settings.interpolator, &geometry, size);
    let out_mask = resample_nearest(mask, &geometry, size);
    Ok(Resampled {
        width,
        height,
        image: out_image,
        mask: out_mask,
        geometry,
    })
}

/// numpy's `allclose(a, b)`: `|a − b| ≤ 1e-8 + 1e-5·|b|` on every axis.
fn all_close(a: [f64; 2], b: [f64; 2]) -> bool {
    a.iter()
        .zip(b)
        .all(|(a, b)| (a - b).abs() <= 1e-8 + 1e-5 * b.abs())
}

/// Lower bound (in new-grid indices) and size of the resampled grid; see [`resample`].
fn output_extent(
    mask: &Grid<u32>,
    bb: BoundingBox,
    spacing: [f64; 2],
    settings: &ResampleSettings,
) -> Result<([f64; 2], [usize; 2]), ResampleError> {
    let pad = settings.pad_distance as f64;
    let mask_size = [mask.width as f64, mask.height as f64];
    let mut lower = [0.0; 2];
    let mut size_f = [0.0; 2];
    for axis in 0..2 {
        let ratio = mask.geometry.spacing[axis] / spacing[axis];
        let lb = bb.lower[axis] as f64;
        let ub_edge = (bb.lower[axis] + bb.size[axis]) as f64;
        let lo = ((lb - 0.5) * ratio - pad).floor();
        let hi = ((ub_edge - 0.5) * ratio + pad).ceil();
        let max_upper = (mask_size[axis] * ratio).ceil() - 1.0;
        lower[axis] = if lo < 0.0 { 0.0 } else { lo };
        let upper = if hi > max_upper { max_upper } else { hi };
        size_f[axis] = upper - lower[axis] + 1.0;
    }
    let pixels = size_f[0] * size_f[1];
    if !(pixels.is_finite() && size_f.iter().all(|s| *s >= 1.0))
        || pixels > settings.max_pixels as f64
    {
        return Err(ResampleError::TooLarge {
            size: size_f,
            limit: settings.max_pixels,
        });
    }
    Ok((lower, [size_f[0] as usize, size_f[1] as usize]))
}

/// The resampled grid's geometry: origin at the continuous mask index
/// `½(s_new − s_mask)/s_mask + lower/r`, the mask's direction.
fn output_geometry(mask: &Grid<u32>, spacing: [f64; 2], lower: [f64; 2]) -> Geometry {
    let mut origin_index = [0.0; 2];
    for axis in 0..2 {
        let ms = mask.geometry.spacing[axis];
        let ratio = ms / spacing[axis];
        origin_index[axis] = 0.5 * (spacing[axis] - ms) / ms + lower[axis] / ratio;
    }
    Geometry {
        origin: mask.geometry.continuous_index_to_physical(origin_index),
        spacing,
        direction: mask.geometry.direction,
    }
}

/// The equal-spacing branch of `resampleImage`: mask onto the image grid, then
/// `cropToTumorMask` of both with `pad_distance`.
fn crop_on_image_grid(
    image: &Grid<f64>,
    mask: &Grid<u32>,
    settings: &ResampleSettings,
) -> Result<Resampled, ResampleError> {
    let size = [image.width, image.height];
    let on_grid = resample_nearest(mask, &image.geometry, size);
    let bb =
        bounding_box(&on_grid, image.width, settings.label).ok_or(ResampleError::LabelAbsent {
            label: settings.label,
        })?;
    let pad = settings.pad_distance;
    let mut lo = [0usize; 2];
    let mut hi = [0usize; 2];
    for axis in 0..2 {
        lo[axis] = bb.lower[axis].saturating_sub(pad);
        let last = bb.lower[axis] + bb.size[axis] - 1;
        hi[axis] = last.saturating_add(pad).saturating_add(1).min(size[axis]);
    }
    let crop = |values: &[u32]| -> Vec<u32> {
        (lo[1]..hi[1])
            .flat_map(|y| {
                values[y * size[0] + lo[0]..y * size[0] + hi[0]]
                    .iter()
                    .copied()
            })
            .collect()
    };
    let image_values = (lo[1]..hi[1])
        .flat_map(|y| {
            image.values[y * size[0] + lo[0]..y * size[0] + hi[0]]
                .iter()
                .copied()
        })
        .collect();
    Ok(Resampled {
        width: hi[0] - lo[0],
        height: hi[1] - lo[1],
        image: image_values,
        mask: crop(&on_grid),
        geometry: Geometry {
            origin: image
                .geometry
                .index_to_physical([lo[0] as f64, lo[1] as f64]),
            ..image.geometry
        },
    })
}

/// Bounding box of `label` in a row-major label image; `None` if absent or 0.
fn bounding_box(values: &[u32], width: usize, label: u32) -> Option<BoundingBox> {
    if label == 0 || width == 0 {
        return None;
    }
    let mut lo = [usize::MAX; 2];
    let mut hi = [0usize; 2];
    for (i, _) in values.iter().enumerate().filter(|(_, v)| **v == label) {
        let p = [i % width, i / width];
        for axis in 0..2 {
            lo[axis] = lo[axis].min(p[axis]);
            hi[axis] = hi[axis].max(p[axis]);
        }
    }
    (lo[0] != usize::MAX).then(|| BoundingBox {
        lower: lo,
        size: [hi[0] - lo[0] + 1, hi[1] - lo[1] + 1],
    })
}

/// PyRadiomics' `_checkROI`: the label must occur in the mask and the corners of its bounding
/// box (pixel edges, i.e. indices `lb − ½` and `lb + size − ½`), mapped into the image's index
/// space, must lie within `[−½ − 10⁻³, size − ½ + 10⁻³]`. Returns the bounding box.
pub fn check_roi(
    image_geometry: &Geometry,
    image_size: [usize; 2],
    mask: &Grid<u32>,
    label: u32,
) -> Result<BoundingBox, ResampleError> {
    mask.validate("mask")?;
    image_geometry.validate("image")?;
    let bb =
        bounding_box(mask.values, mask.width, label).ok_or(ResampleError::LabelAbsent { label })?;
    let corner = |offset: [usize; 2]| {
        let index = [
            (bb.lower[0] + offset[0]) as f64 - 0.5,
            (bb.lower[1] + offset[1]) as f64 - 0.5,
        ];
        let point = mask.geometry.continuous_index_to_physical(index);
        image_geometry.physical_to_continuous_index(point)
    };
    let lower = corner([0, 0]);
    let upper = corner(bb.size);
    for axis in 0..2 {
        let min = lower[axis].min(upper[axis]);
        let max = lower[axis].max(upper[axis]);
        let limit = image_size[axis] as f64 - 0.5 + ROI_TOLERANCE;
        if min < -0.5 - ROI_TOLERANCE || max > limit {
            return Err(ResampleError::RoiOutsideImage {
                lower,
                upper,
                image_size,
            });
        }
    }
    Ok(bb)
}

/// PyRadiomics' `_correctMask`: [`check_roi`], then the mask resampled onto the image's grid
/// with nearest neighbour (`ResampleImageFilter` with the image as reference). Returns the
/// mask's values on the image grid, row-major; image sizes above [`DEFAULT_MAX_PIXELS`] are
/// refused.
pub fn correct_mask(
    image_geometry: &Geometry,
    image_size: [usize; 2],
    mask: &Grid<u32>,
    label: u32,
) -> Result<Vec<u32>, ResampleError> {
    if image_size[0] == 0 || image_size[1] == 0 {
        return Err(ResampleError::SizeMismatch {
            what: "image",
            width: image_size[0],
            height: image_size[1],
            len: 0,
        });
    }
    let pixels = image_size[0] as f64 * image_size[1] as f64;
    if pixels > DEFAULT_MAX_PIXELS as f64 {
        return Err(ResampleError::TooLarge {
            size: [image_size[0] as f64, image_size[1] as f64],
            limit: DEFAULT_MAX_PIXELS,
        });
    }
    check_roi(image_geometry, image_size, mask, label)?;
    Ok(resample_nearest(mask, image_geometry, image_size))
}

/// Calls `sample(x, y, c)` for every output pixel, row by row, with `c` the continuous index
/// in `input` of output pixel (x, y), or `None` when it is outside `input`'s buffer.
///
/// As ITK's `LinearThreadedGenerateData`: per row, `start` and `end` are the mapped indices
/// of output pixels (0, y) and (width, y), and pixel x is at `start + (x/width)·(end − start)`.
fn for_each_sample<F: FnMut(Option<[f64; 2]>)>(
    input: &Geometry,
    input_size: [usize; 2],
    output: &Geometry,
    output_size: [usize; 2],
    mut sample: F,
) {
    let [width, height] = output_size;
    let w = width as f64;
    let upper = [input_size[0] as f64 - 0.5, input_size[1] as f64 - 0.5];
    for y in 0..height {
        let row = y as f64;
        let start = input.physical_to_continuous_index(output.index_to_physical([0.0, row]));
        let end = input.physical_to_continuous_index(output.index_to_physical([w, row]));
        let delta = [end[0] - start[0], end[1] - start[1]];
        for x in 0..width {
            let alpha = x as f64 / w;
            let c = [start[0] + alpha * delta[0], start[1] + alpha * delta[1]];
            // Written as in ITK's IsInsideBuffer so that NaN is outside.
            let inside = (0..2).all(|i| c[i] >= -0.5 && c[i] < upper[i]);
            sample(inside.then_some(c));
        }
    }
}

/// Nearest index of a continuous index inside the buffer: ITK's `Math::Round`
/// (`floor(c + 0.5)`), kept within `[0, n − 1]` (ITK would read past the row if `c + 0.5`
/// rounds up to `n`).
fn nearest_index(c: f64, n: usize) -> usize {
    let i = (c + 0.5).floor();
    if i <= 0.0 {
        0
    } else {
        (i as usize).min(n - 1)
    }
}

/// Nearest-neighbour resampling of a label image (the mask's pixel type is kept, so values
/// pass unchanged; 0 outside).
fn resample_nearest(input: &Grid<u32>, output: &Geometry, size: [usize; 2]) -> Vec<u32> {
    let mut out = Vec::with_capacity(size[0] * size[1]);
    let input_size = [input.width, input.height];
    for_each_sample(&input.geometry, input_size, output, size, |c| {
        out.push(c.map_or(0, |c| {
            input.at(
                nearest_index(c[0], input.width),
                nearest_index(c[1], input.height),
            )
        }));
    });
    out
}

/// Resamples the image with the chosen interpolator and casts to its pixel type.
fn resample_image(
    input: &Grid<f64>,
    pixel_type: PixelType,
    interpolator: Interpolator,
    output: &Geometry,
    size: [usize; 2],
) -> Vec<f64> {
    let coefficients = match interpolator {
        Interpolator::BSpline => bspline_coefficients(input.values, input.width, input.height),
        _ => Vec::new(),
    };
    let mut out = Vec::with_capacity(size[0] * size[1]);
    let input_size = [input.width, input.height];
    for_each_sample(&input.geometry, input_size, output, size, |c| {
        let value = match c {
            None => 0.0,
            Some(c) => pixel_type.cast(match interpolator {
                Interpolator::NearestNeighbor => input.at(
                    nearest_index(c[0], input.width),
                    nearest_index(c[1], input.height),
                ),
                Interpolator::Linear => linear(input, c),
                Interpolator::BSpline => bspline(&coefficients, input.width, input.height, c),
            }),
        };
        out.push(value);
    });
    out
}

/// ITK's 2D `LinearInterpolateImageFunction::EvaluateOptimized` at a continuous index inside
/// the buffer: base index `max(⌊c⌋, 0)`, distances `c − base`; a neighbour is used only where
/// its distance is positive and it exists (else the row/column is not interpolated), and
/// `v₀ + (v₁ − v₀)·d` along x, then along y.
fn linear(input: &Grid<f64>, c: [f64; 2]) -> f64 {
    let base = |c: f64, n: usize| -> usize {
        let f = c.floor();
        if f <= 0.0 {
            0
        } else {
            (f as usize).min(n - 1)
        }
    };
    let (x0, y0) = (base(c[0], input.width), base(c[1], input.height));
    let (d0, d1) = (c[0] - x0 as f64, c[1] - y0 as f64);
    let v00 = input.at(x0, y0);
    let has_x = x0 + 1 < input.width;
    let has_y = y0 + 1 < input.height;
    let lerp = |a: f64, b: f64, d: f64| a + (b - a) * d;
    match (d0 <= 0.0, d1 <= 0.0) {
        (true, true) => v00,
        (false, true) if has_x => lerp(v00, input.at(x0 + 1, y0), d0),
        (true, false) if has_y => lerp(v00, input.at(x0, y0 + 1), d1),
        (false, false) if !has_x && has_y => lerp(v00, input.at(x0, y0 + 1), d1),
        (false, false) if has_x => {
            let vx0 = lerp(v00, input.at(x0 + 1, y0), d0);
            if !has_y {
                return vx0;
            }
            let vx1 = lerp(input.at(x0, y0 + 1), input.at(x0 + 1, y0 + 1), d0);
            lerp(vx0, vx1, d1)
        }
        _ => v00,
    }
}

/// The cubic B-spline pole `√3 − 2`.
fn bspline_pole() -> f64 {
    3.0f64.sqrt() - 2.0
}

/// ITK's `BSplineDecompositionImageFilter` (order 3): the interpolation coefficients, each
/// row along x then each column along y.
fn bspline_coefficients(values: &[f64], width: usize, height: usize) -> Vec<f64> {
    let mut c = values.to_vec();
    let mut line = vec![0.0; width.max(height)];
    for y in 0..height {
        let row = &mut c[y * width..(y + 1) * width];
        line[..width].copy_from_slice(row);
        decompose_line(&mut line[..width]);
        row.copy_from_slice(&line[..width]);
    }
    for x in 0..width {
        for y in 0..height {
            line[y] = c[y * width + x];
        }
        decompose_line(&mut line[..height]);
        for y in 0..height {
            c[y * width + x] = line[y];
        }
    }
    c
}

/// One line of the recursive B-spline prefilter (Unser): gain `(1 − z)(1 − 1/z)`, causal
/// pass `s[n] += z·s[n−1]`, anti-causal pass `s[n] = z·(s[n+1] − s[n])`, with ITK's initial
/// values and mirror boundary. A line of length 1 is left as is.
fn decompose_line(s: &mut [f64]) {
    let n = s.len();
    if n < 2 {
        return;
    }
    let z = bspline_pole();
    let gain = (1.0 * (1.0 - z)) * (1.0 - 1.0 / z);
    for v in s.iter_mut() {
        *v *= gain;
    }
    s[0] = initial_causal_coefficient(s, z);
    for i in 1..n {
        s[i] += z * s[i - 1];
    }
    s[n - 1] = (z / (z * z - 1.0)) * (z * s[n - 2] + s[n - 1]);
    for i in (0..n - 1).rev() {
        s[i] = z * (s[i + 1] - s[i]);
    }
}

/// ITK's `SetInitialCausalCoefficient` with its tolerance 1e-10: `Σ zⁿ s[n]` over the first
/// `⌈ln 1e-10 / ln|z|⌉` samples when the line is longer, else the exact sum for a
/// mirror-symmetric extension, `(Σ (zⁿ + z²ᴺ⁻²⁻ⁿ) s[n]) / (1 − z²ᴺ⁻²)`, in ITK's order.
fn initial_causal_coefficient(s: &[f64], z: f64) -> f64 {
    let n = s.len();
    let horizon = ((1e-10f64).ln() / z.abs().ln()).ceil() as usize;
    let mut zn = z;
    if horizon < n {
        let mut sum = s[0];
        for v in &s[1..horizon] {
            sum += zn * v;
            zn *= z;
        }
        return sum;
    }
    let iz = 1.0 / z;
    let mut z2n = z.powf((n - 1) as f64);
    let mut sum = s[0] + z2n * s[n - 1];
    z2n = z2n * (z2n * iz); // ITK: z2n *= z2n * iz
    for v in &s[1..n - 1] {
        sum += (zn + z2n) * v;
        zn *= z;
        z2n *= iz;
    }
    sum / (1.0 - zn * zn)
}

/// ITK's `BSplineInterpolateImageFunction` (order 3) at a continuous index inside the buffer.
///
/// Support: indices `k₀ … k₀ + 3` with `k₀ = ⌊(float) c⌋ − 1` (ITK rounds c to `f32` here);
/// weights of `w = c − (k₀ + 1)`: `w₃ = w³/6`, `w₀ = 1/6 + ½w(w − 1) − w₃`,
/// `w₂ = w + w₀ − 2w₃`, `w₁ = 1 − w₀ − w₂ − w₃`; indices mirrored at the borders; the sum
/// runs x fastest.
fn bspline(coefficients: &[f64], width: usize, height: usize, c: [f64; 2]) -> f64 {
    let (ix, wx) = bspline_support(c[0], width);
    let (iy, wy) = bspline_support(c[1], height);
    let mut sum = 0.0;
    for (y, wy) in iy.iter().zip(wy) {
        for (x, wx) in ix.iter().zip(wx) {
            sum += (wx * wy) * coefficients[y * width + x];
        }
    }
    sum
}

/// Support indices (mirrored into `[0, n)`) and weights of one axis; see [`bspline`].
fn bspline_support(c: f64, n: usize) -> ([usize; 4], [f64; 4]) {
    let first = (c as f32).floor() as i64 - 1;
    let w = c - (first + 1) as f64;
    let w3 = (1.0 / 6.0) * w * w * w;
    let w0 = (1.0 / 6.0) + 0.5 * w * (w - 1.0) - w3;
    let w2 = w + w0 - 2.0 * w3;
    let w1 = 1.0 - w0 - w2 - w3;
    let mut index = [0usize; 4];
    if n > 1 {
        let last = n as i64 - 1;
        for (k, slot) in index.iter_mut().enumerate() {
            let mut i = first + k as i64;
            if i < 0 {
                i = -i;
            }
            if i >= last {
                i = last - (i - last);
            }
            // ITK reads outside the buffer here for lines shorter than 3 pixels; clamp.
            *slot = i.clamp(0, last) as usize;
        }
    }
    (index, [w0, w1, w2, w3])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::path::PathBuf;

    /// Where `tests/fixtures/make_resample_fixtures.py` writes its cases (or `$RESAMPLE_FIXTURES`).
    fn fixture_dir() -> PathBuf {
        std::env::var_os("RESAMPLE_FIXTURES")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/resample")
            })
    }

    /// A fixture: lines "key tokens...", `#` comments skipped.
    struct Fixture {
        name: String,
        fields: HashMap<String, String>,
    }

    impl Fixture {
        fn read(path: &std::path::Path) -> Fixture {
            let text = std::fs::read_to_string(path).expect("fixture readable");
            let mut fields = HashMap::new();
            for line in text
                .lines()
                .filter(|l| !l.starts_with('#') && !l.is_empty())
            {
                let (key, rest) = line.split_once(' ').unwrap_or((line, ""));
                fields.insert(key.to_string(), rest.to_string());
            }
            let name = fields["name"].clone();
            Fixture { name, fields }
        }

        fn get(&self, key: &str) -> Option<&str> {
            self.fields.get(key).map(String::as_str)
        }

        fn floats(&self, key: &str) -> Vec<f64> {
            let text = self
                .get(key)
                .unwrap_or_else(|| panic!("{}: no {key}", self.name));
            text.split_whitespace()
                .map(|t| t.parse::<f64>().expect("float"))
                .collect()
        }

        fn pair(&self, key: &str) -> [f64; 2] {
            let v = self.floats(key);
            [v[0], v[1]]
        }

        fn geometry(&self, prefix: &str) -> Geometry {
            let d = self.floats(&format!("{prefix}_direction"));
            Geometry {
                origin: self.pair(&format!("{prefix}_origin")),
                spacing: self.pair(&format!("{prefix}_spacing")),
                direction: [d[0], d[1], d[2], d[3]],
            }
        }

        fn size(&self, prefix: &str) -> [usize; 2] {
            let s = self.pair(&format!("{prefix}_size"));
            [s[0] as usize, s[1] as usize]
        }

        fn labels(&self, key: &str) -> Vec<u32> {
            self.floats(key).iter().map(|v| *v as u32).collect()
        }

        fn pixel_type(&self) -> PixelType {
            match self.get("pixel_type").unwrap_or("") {
                "U8" => PixelType::U8,
                "I8" => PixelType::I8,
                "U16" => PixelType::U16,
                "I16" => PixelType::I16,
                "U32" => PixelType::U32,
                "I32" => PixelType::I32,
                "F32" => PixelType::F32,
                "F64" => PixelType::F64,
                other => panic!("{}: pixel type {other}", self.name),
            }
        }
    }

    fn fixtures() -> Vec<Fixture> {
        let mut paths: Vec<_> = std::fs::read_dir(fixture_dir())
            .expect("fixture directory")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "txt"))
            .collect();
        paths.sort();
        assert!(paths.len() >= 40, "fixtures missing");
        paths.iter().map(|p| Fixture::read(p)).collect()
    }

    /// Largest relative difference (denominator max(|expected|, 1)) and number of values
    /// that differ in any bit.
    fn compare(actual: &[f64], expected: &[f64]) -> (f64, usize) {
        assert_eq!(actual.len(), expected.len());
        let mut worst = 0.0f64;
        let mut differing = 0;
        for (a, e) in actual.iter().zip(expected) {
            if a.to_bits() != e.to_bits() {
                differing += 1;
                worst = worst.max((a - e).abs() / e.abs().max(1.0));
            }
        }
        (worst, differing)
    }

    fn assert_geometry(name: &str, actual: &Geometry, expected: &Geometry) {
        let pairs = [
            (actual.origin, expected.origin),
            (actual.spacing, expected.spacing),
        ];
        for (a, e) in pairs {
            for i in 0..2 {
                assert_eq!(a[i].to_bits(), e[i].to_bits(), "{name}: {a:?} vs {e:?}");
            }
        }
        assert_eq!(actual.direction, expected.direction, "{name}");
    }

    /// A 7x6 image and a mask with label 1 on a 3x2 block, identity direction.
    fn small() -> (Vec<f64>, Vec<u32>) {
        let image = (0..42).map(|i| (i * 37 % 101) as f64).collect();
        let mut mask = vec![0; 42];
        for (x, y) in [(2, 2), (3, 2), (4, 3)] {
            mask[y * 7 + x] = 1;
        }
        (image, mask)
    }

    fn grid<T>(width: usize, height: usize, values: &[T]) -> Grid<'_, T> {
        Grid {
            width,
            height,
            values,
            geometry: Geometry::new([3.25, -7.5], [1.0, 1.0]),
        }
    }

    #[test]
    fn cast_clamps_then_truncates_or_rounds() {
        assert_eq!(PixelType::U8.cast(-0.5), 0.0);
        assert_eq!(PixelType::U8.cast(255.7), 255.0);
        assert_eq!(PixelType::U8.cast(254.9), 254.0);
        assert_eq!(PixelType::I16.cast(-3.7), -3.0);
        assert_eq!(PixelType::I8.cast(-0.3).to_bits(), 0.0f64.to_bits());
        assert_eq!(PixelType::I32.cast(f64::NAN), 0.0);
        assert_eq!(PixelType::F32.cast(0.1), 0.1f32 as f64);
        assert_eq!(PixelType::F32.cast(1e300), f32::MAX as f64);
        assert_eq!(PixelType::F64.cast(0.1), 0.1);
    }

    #[test]
    fn interpolator_names() {
        assert_eq!(
            Interpolator::from_name("sitkBSpline"),
            Ok(Interpolator::BSpline)
        );
        assert_eq!(
            Interpolator::from_name("sitkLinear"),
            Ok(Interpolator::Linear)
        );
        let err = Interpolator::from_name("sitkGaussian").expect_err("unsupported");
        for name in Interpolator::NAMES {
            assert!(err.contains(name), "{err}");
        }
    }

    #[test]
    fn invalid_inputs_are_errors() {
        let (image, mask) = small();
        let settings = ResampleSettings::new([0.5, 0.5]);
        let run = |image: &Grid<f64>, mask: &Grid<u32>, settings: &ResampleSettings| {
            resample(image, PixelType::U8, mask, settings).expect_err("error")
        };
        let (i, m) = (grid(7, 6, &image), grid(7, 6, &mask));
        let absent = ResampleSettings {
            label: 2,
            ..settings
        };
        assert_eq!(
            run(&i, &m, &absent),
            ResampleError::LabelAbsent { label: 2 }
        );
        let background = ResampleSettings {
            label: 0,
            ..settings
        };
        assert_eq!(
            run(&i, &m, &background),
            ResampleError::LabelAbsent { label: 0 }
        );
        let empty = vec![0u32; 42];
        assert!(matches!(
            run(&i, &grid(7, 6, &empty), &settings),
            ResampleError::LabelAbsent { .. }
        ));
        assert!(matches!(
            run(&grid(6, 7, &image[..41]), &m, &settings),
            ResampleError::SizeMismatch { .. }
        ));
        assert!(matches!(
            run(&grid(0, 6, &[]), &m, &settings),
            ResampleError::SizeMismatch { .. }
        ));
        assert!(matches!(
            run(&i, &grid(usize::MAX, 2, &mask), &settings),
            ResampleError::SizeMismatch { .. }
        ));
        for bad in [
            [0.0, 1.0],
            [f64::NAN, 1.0],
            [-1.0, 1.0],
            [1.0, f64::INFINITY],
        ] {
            let mut g = grid(7, 6, &image);
            g.geometry.spacing = bad;
            assert!(matches!(
                run(&g, &m, &settings),
                ResampleError::InvalidGeometry { .. }
            ));
        }
        let mut singular = grid(7, 6, &mask);
        singular.geometry.direction = [1.0, 1.0, 1.0, 1.0];
        assert!(matches!(
            run(&i, &singular, &settings),
            ResampleError::InvalidGeometry { .. }
        ));
        for bad in [[-0.5, 0.5], [f64::NAN, 0.5], [0.5, f64::INFINITY]] {
            let s = ResampleSettings {
                spacing: bad,
                ..settings
            };
            assert!(matches!(
                run(&i, &m, &s),
                ResampleError::InvalidTargetSpacing { .. }
            ));
        }
        for tiny in [1e-6, 1e-320, f64::MIN_POSITIVE] {
            let s = ResampleSettings {
                spacing: [tiny, tiny],
                ..settings
            };
            let e = run(&i, &m, &s);
            assert!(matches!(e, ResampleError::TooLarge { .. }), "{e}");
            assert!(e.to_string().contains("exceeds the limit"), "{e}");
        }
        let limited = ResampleSettings {
            max_pixels: 10,
            ..settings
        };
        assert!(matches!(
            run(&i, &m, &limited),
            ResampleError::TooLarge { .. }
        ));
        let mut far = grid(7, 6, &mask);
        far.geometry.origin = [30.0, 0.0];
        let e = run(&i, &far, &settings);
        assert!(
            e.to_string()
                .starts_with("Bounding box of ROI is larger than image space"),
            "{e}"
        );
        assert!(correct_mask(&i.geometry, [7, 6], &far, 1).is_err());
        assert!(correct_mask(&i.geometry, [0, 6], &m, 1).is_err());
        assert!(correct_mask(&i.geometry, [usize::MAX, 6], &m, 1).is_err());
        let huge_pad = ResampleSettings {
            spacing: [1.0, 1.0],
            pad_distance: usize::MAX,
            ..settings
        };
        let out = resample(&i, PixelType::U8, &m, &huge_pad).expect("whole image");
        assert_eq!([out.width, out.height], [7, 6]);
    }

    #[test]
    fn tiny_and_degenerate_images_do_not_panic() {
        for (w, h) in [(1, 1), (2, 2), (1, 5), (5, 1), (2, 3), (3, 2)] {
            let image: Vec<f64> = (0..w * h).map(|i| i as f64 * 10.0 - 7.0).collect();
            let mut mask = vec![0u32; w * h];
            mask[w * h - 1] = 1;
            mask[0] = 1;
            for interpolator in [
                Interpolator::NearestNeighbor,
                Interpolator::Linear,
                Interpolator::BSpline,
            ] {
                for spacing in [[0.3, 0.3], [0.5, 2.0], [3.0, 0.0], [1.0, 1.0]] {
                    let settings = ResampleSettings {
                        spacing,
                        interpolator,
                        ..ResampleSettings::new(spacing)
                    };
                    let out = resample(
                        &grid(w, h, &image),
                        PixelType::I16,
                        &grid(w, h, &mask),
                        &settings,
                    )
                    .expect("resampled");
                    assert_eq!(out.image.len(), out.width * out.height);
                    assert_eq!(out.mask.len(), out.width * out.height);
                    assert!(out.image.iter().all(|v| v.is_finite()));
                }
            }
        }
    }

    #[test]
    fn nan_pixels_do_not_panic() {
        let (mut image, mask) = small();
        image[17] = f64::NAN;
        for interpolator in [
            Interpolator::NearestNeighbor,
            Interpolator::Linear,
            Interpolator::BSpline,
        ] {
            let settings = ResampleSettings {
                interpolator,
                ..ResampleSettings::new([0.4, 0.7])
            };
            for pixel_type in [PixelType::U8, PixelType::F64] {
                resample(
                    &grid(7, 6, &image),
                    pixel_type,
                    &grid(7, 6, &mask),
                    &settings,
                )
                .expect("resampled");
            }
        }
    }

    #[test]
    fn fixtures_match_simpleitk() {
        let mut report = Vec::new();
        let mut failures = Vec::new();
        for f in fixtures() {
            let image_values = f.floats("image_values");
            let mask_values = f.labels("mask_values");
            let [iw, ih] = f.size("image");
            let [mw, mh] = f.size("mask");
            let image = Grid {
                width: iw,
                height: ih,
                values: &image_values,
                geometry: f.geometry("image"),
            };
            let mask = Grid {
                width: mw,
                height: mh,
                values: &mask_values,
                geometry: f.geometry("mask"),
            };
            let label = f.floats("label")[0] as u32;
            if f.get("function") == Some("correct_mask") {
                let result = correct_mask(&image.geometry, [iw, ih], &mask, label);
                match f.get("error") {
                    Some(err) => {
                        let e = result.expect_err(&f.name).to_string();
                        assert!(
                            err.contains(e.lines().next().unwrap_or("")),
                            "{}: {e}",
                            f.name
                        );
                    }
                    None => assert_eq!(result.expect(&f.name), f.labels("out_mask"), "{}", f.name),
                }
                report.push(format!("{}: as expected", f.name));
                continue;
            }
            let interpolator =
                Interpolator::from_name(f.get("interpolator").unwrap_or("")).expect("interpolator");
            let settings = ResampleSettings {
                spacing: f.pair("resampled_spacing"),
                interpolator,
                pad_distance: f.floats("pad_distance")[0] as usize,
                label,
                max_pixels: DEFAULT_MAX_PIXELS,
            };
            let result = resample(&image, f.pixel_type(), &mask, &settings);
            if let Some(err) = f.get("error") {
                let e = result.expect_err(&f.name).to_string();
                let first = e.lines().next().unwrap_or("");
                assert!(
                    err.contains(first)
                        || err.contains(&format!("'Label (%d) not present in mask', {label}")),
                    "{}: {e} vs {err}",
                    f.name
                );
                report.push(format!("{}: error as expected", f.name));
                continue;
            }
            let out = result.unwrap_or_else(|e| panic!("{}: {e}", f.name));
            assert_eq!([out.width, out.height], f.size("out"), "{}", f.name);
            assert_geometry(&f.name, &out.geometry, &f.geometry("out"));
            if out.mask != f.labels("out_mask") {
                failures.push(format!("{}: mask differs", f.name));
            }
            let (worst, differing) = compare(&out.image, &f.floats("out_image"));
            report.push(format!(
                "{}: {} values, {differing} not bit-equal, max rel diff {worst:e}",
                f.name,
                out.image.len()
            ));
            let exact_required = interpolator == Interpolator::NearestNeighbor;
            if (exact_required && differing > 0) || worst > 1e-12 {
                failures.push(report.last().cloned().unwrap_or_default());
            }
        }
        println!("{}", report.join("\n"));
        assert!(failures.is_empty(), "differences:\n{}", failures.join("\n"));
    }
}
