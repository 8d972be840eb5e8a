//! Laplacian of Gaussian, as PyRadiomics' `getLoGImage` computes it with SimpleITK's
//! `LaplacianRecursiveGaussianImageFilter` (sigma in mm, `NormalizeAcrossScale` on).
//!
//! # Math
//!
//! The LoG of image `I` at scale `σ` (mm), normalized across scale, is
//!
//! ```text
//! LoG(I) = σ² (∂²/∂x² + ∂²/∂y²) (G_σ * I)
//! ```
//!
//! with `x`, `y` in mm. The Gaussian and its derivatives are not sampled kernels but Deriche's
//! recursive (IIR) approximations as ITK implements them (`RecursiveGaussianImageFilter`): along
//! one axis, with `σ_d = σ / spacing` in pixels, each line `u` of `n ≥ 4` samples is filtered by a
//! causal and an anti-causal 4th-order recursion whose sum is the output,
//!
//! ```text
//! y⁺[i] = N0 u[i] + N1 u[i-1] + N2 u[i-2] + N3 u[i-3] − (D1 y⁺[i-1] + D2 y⁺[i-2] + D3 y⁺[i-3] + D4 y⁺[i-4])
//! y⁻[i] = M1 u[i+1] + M2 u[i+2] + M3 u[i+3] + M4 u[i+4] − (D1 y⁻[i+1] + ... + D4 y⁻[i+4])
//! y[i]  = y⁺[i] + y⁻[i]
//! ```
//!
//! The coefficients come from two damped cosines `exp(L_k / σ_d) cos(W_k / σ_d)` (Deriche's
//! constants `A, B, W, L` for the Gaussian and its second derivative), normalized so that the
//! zero-order filter sums to 1 and the second-order filter has a unit second moment, times `σ²`
//! for the normalization across scale. **Borders:** the signal is taken as constant beyond
//! each end (`u[-k] = u[0]`, `u[n-1+k] = u[n-1]`): inputs past the end read the end sample,
//! and the feedback terms past the end use the steady-state response `BN_k u[0]`
//! (`BM_k u[n-1]`), `BN_k = D_k ΣN / ΣD`.
//!
//! The 2D LoG is accumulated axis by axis: for `x`, the second-derivative pass along `x` is
//! followed by a zero-order (smoothing) pass along `y`, and the result divided by
//! `spacing_x²` is added to the sum; then the same for `y`. Like ITK, every intermediate
//! image is stored as `f32` (its internal pixel type), while each line is filtered in `f64`
//! with ITK's order of operations; the result is the `f32` SimpleITK returns.
//!
//! # Validity (as PyRadiomics checks it)
//!
//! - width and height at least 4 ([`FilterError::ImageTooSmall`]; PyRadiomics then yields no LoG
//!   image at all);
//! - `σ > 0` ([`FilterError::SigmaNotPositive`], skipped with a warning by PyRadiomics);
//! - `size ≥ ceil(σ / spacing) + 1` along both axes ([`FilterError::SigmaTooLarge`], skipped with
//!   a warning by PyRadiomics).

use super::{check_shape, check_spacing, derived, to_f32, FilterError, FilteredImage};
use crate::io::{Image, PixelSpacing};

/// A LoG sigma as a settings file spells it: PyRadiomics names the image after Python's `str`
/// of the value, so `2` and `2.0` give different image type names.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sigma {
    /// The sigma in mm.
    pub mm: f64,
    /// Whether the settings gave an integer (`2`, named `log-sigma-2-mm-3D`) rather than a
    /// float (`2.0`, named `log-sigma-2-0-mm-3D`).
    pub integer: bool,
}

impl Sigma {
    /// A sigma given as a float (`1.0`, `2.5`): what the reference extractor's `--sigma` passes.
    pub fn mm(mm: f64) -> Sigma {
        Sigma { mm, integer: false }
    }

    /// A sigma given as an integer (`sigma: [1, 2, 3]` in a YAML settings file).
    pub fn integer(mm: i64) -> Sigma {
        Sigma {
            mm: mm as f64,
            integer: true,
        }
    }

    /// PyRadiomics' image type name: `'log-sigma-%s-mm-3D' % str(sigma).replace('.', '-')`.
    pub fn image_type_name(&self) -> String {
        let text = if self.integer && self.mm.fract() == 0.0 && self.mm.abs() < 1e18 {
            format!("{}", self.mm as i64)
        } else {
            python_float_repr(self.mm)
        };
        format!("log-sigma-{}-mm-3D", text.replace('.', "-"))
    }
}

/// Python's `repr` of a float: the shortest decimal that reads back as `x`, in fixed notation
/// with at least one decimal (`1.0`, `0.0001`) when its decimal exponent `e` satisfies
/// `-5 < e < 16`, in exponent notation with a signed 2-digit exponent (`1e-05`, `1.5e+16`)
/// otherwise.
pub fn python_float_repr(x: f64) -> String {
    if x.is_nan() {
        return "nan".to_string();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    // Rust's `{:e}` gives the same shortest round-trip digits: "1.25e-3".
    let scientific = format!("{:e}", x.abs());
    let (mantissa, exponent) = scientific
        .split_once('e')
        .unwrap_or((scientific.as_str(), "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    // The significant digits without the point.
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    // Position of the decimal point relative to the digits (0.d1d2... × 10^point).
    let point = exponent + 1;
    let body = if point > -4 && point <= 16 {
        if point <= 0 {
            format!("0.{}{}", "0".repeat(point.unsigned_abs() as usize), digits)
        } else if point as usize >= digits.len() {
            format!("{}{}.0", digits, "0".repeat(point as usize - digits.len()))
        } else {
            let (whole, fraction) = digits.split_at(point as usize);
            format!("{whole}.{fraction}")
        }
    } else {
        let (first, rest) = digits.split_at(1);
        let fraction = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{first}{fraction}e{sign}{:02}", exponent.unsigned_abs())
    };
    if x.is_sign_negative() && x != 0.0 {
        format!("-{body}")
    } else {
        body
    }
}

/// Checks an image size, spacing and sigma as PyRadiomics does before it runs the LoG.
pub fn check_sigma(
    width: usize,
    height: usize,
    spacing: PixelSpacing,
    sigma: f64,
) -> Result<(), FilterError> {
    check_spacing(spacing)?;
    if width.min(height) < 4 {
        return Err(FilterError::ImageTooSmall { width, height });
    }
    if !(sigma.is_finite() && sigma > 0.0) {
        return Err(FilterError::SigmaNotPositive { sigma });
    }
    // Pixels the sigma spans along each axis, plus one.
    let columns_needed = (sigma / spacing.column).ceil() + 1.0;
    let rows_needed = (sigma / spacing.row).ceil() + 1.0;
    if (width as f64) < columns_needed || (height as f64) < rows_needed {
        return Err(FilterError::SigmaTooLarge {
            sigma,
            width,
            height,
            columns_needed,
            rows_needed,
        });
    }
    Ok(())
}

/// The LoG image of `image` at `sigma` (mm), named `log-sigma-<sigma>-mm-3D`; values are the
/// `f32` results of SimpleITK (see the module docs for the math and the checks).
pub fn laplacian_of_gaussian(
    image: &Image,
    spacing: PixelSpacing,
    sigma: Sigma,
) -> Result<FilteredImage, FilterError> {
    check_shape(image)?;
    check_sigma(image.width, image.height, spacing, sigma.mm)?;
    let (width, height) = (image.width, image.height);
    // Sum of the per-axis second derivatives, as ITK's f32 accumulation image.
    let mut laplacian = vec![0.0; width * height];
    for pass in axis_passes(spacing, sigma.mm) {
        let derivative = filter_along(&image.pixels, width, height, pass.axis, &pass.second);
        let smoothed = filter_along(&derivative, width, height, pass.axis.other(), &pass.smooth);
        for (sum, &value) in laplacian.iter_mut().zip(&smoothed) {
            *sum = to_f32(*sum + value * pass.scale);
        }
    }
    Ok(derived(image, sigma.image_type_name(), laplacian))
}

/// One axis of the 2D LoG: the second derivative along `axis`, then smoothing along the
/// other axis, added to the sum times `scale`.
pub(crate) struct AxisPass {
    /// The axis of the derivative.
    pub(crate) axis: Axis,
    /// The second-derivative filter (along `axis`).
    pub(crate) second: Recursive,
    /// The smoothing filter (along the other axis).
    pub(crate) smooth: Recursive,
    /// `1 / spacing²` along `axis`: turns the per-pixel derivative into a per-mm² one.
    pub(crate) scale: f64,
}

/// The two axis passes of the LoG at `sigma` (mm), in ITK's order (x, then y); the CPU and the
/// device both run them in this order.
pub(crate) fn axis_passes(spacing: PixelSpacing, sigma: f64) -> [AxisPass; 2] {
    [Axis::Columns, Axis::Rows].map(|axis| {
        let (along, across) = match axis {
            Axis::Columns => (spacing.column, spacing.row),
            Axis::Rows => (spacing.row, spacing.column),
        };
        AxisPass {
            axis,
            second: Recursive::new(Order::Second, sigma, along),
            smooth: Recursive::new(Order::Zero, sigma, across),
            scale: 1.0 / (along * along),
        }
    })
}

/// An image axis along which a line filter runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Axis {
    /// Along x: each row is a line.
    Columns,
    /// Along y: each column is a line.
    Rows,
}

impl Axis {
    /// The other axis.
    pub(crate) fn other(self) -> Axis {
        match self {
            Axis::Columns => Axis::Rows,
            Axis::Rows => Axis::Columns,
        }
    }
}

/// Runs the recursive filter on every line of a row-major image along `axis`; the output is
/// rounded to `f32` as ITK's internal image stores it. Lines along x are filtered as the
/// columns of the transposed image.
fn filter_along(
    pixels: &[f64],
    width: usize,
    height: usize,
    axis: Axis,
    filter: &Recursive,
) -> Vec<f64> {
    match axis {
        Axis::Rows => filter_columns(pixels, width, height, filter),
        Axis::Columns => {
            let transposed = transpose(pixels, width, height);
            let filtered = filter_columns(&transposed, height, width, filter);
            transpose(&filtered, height, width)
        }
    }
}

/// The transpose of a row-major `width × height` image (a row-major `height × width` one).
fn transpose(pixels: &[f64], width: usize, height: usize) -> Vec<f64> {
    let mut out = vec![0.0; pixels.len()];
    for (y, row) in pixels.chunks_exact(width).enumerate() {
        for (x, &v) in row.iter().enumerate() {
            out[x * height + y] = v;
        }
    }
    out
}

/// Columns filtered together: their recurrences are independent, so stepping them side by side
/// lets the processor overlap (and vectorize) them.
const COLUMN_BLOCK: usize = 16;

/// Runs the recursive filter down every column of a row-major image, [`COLUMN_BLOCK`] columns
/// at a time, each column with exactly the arithmetic of [`Recursive::run`].
fn filter_columns(pixels: &[f64], width: usize, height: usize, filter: &Recursive) -> Vec<f64> {
    let mut out = vec![0.0; pixels.len()];
    let mut line = vec![0.0; height];
    let mut causal = vec![0.0; height];
    let mut anticausal = vec![0.0; height];
    let blocked = width - width % COLUMN_BLOCK;
    let b = COLUMN_BLOCK;
    let mut x = vec![0.0; b * height];
    let mut forward = vec![0.0; b * height];
    let mut backward = vec![0.0; b * height];
    for first in (0..blocked).step_by(b) {
        // x[y b + k]: sample y of column first + k.
        for y in 0..height {
            x[y * b..(y + 1) * b]
                .copy_from_slice(&pixels[y * width + first..y * width + first + b]);
        }
        filter.run_block(&x, height, &mut forward, &mut backward);
        for y in 0..height {
            let row = &mut out[y * width + first..y * width + first + b];
            for (k, r) in row.iter_mut().enumerate() {
                *r = to_f32(forward[y * b + k] + backward[y * b + k]);
            }
        }
    }
    for column in blocked..width {
        for (y, v) in line.iter_mut().enumerate() {
            *v = pixels[y * width + column];
        }
        filter.run(&line, &mut causal, &mut anticausal);
        for y in 0..height {
            out[y * width + column] = to_f32(causal[y] + anticausal[y]);
        }
    }
    out
}

/// Derivative order of a recursive Gaussian pass.
#[derive(Debug, Clone, Copy)]
enum Order {
    /// The Gaussian itself (smoothing).
    Zero,
    /// Its second derivative.
    Second,
}

/// Deriche's constants for the two damped cosines: Gaussian (index 0), first (1) and second (2)
/// derivative weights `A1, B1, A2, B2`, and the shared frequencies `W1, W2` and decays `L1, L2`.
const A1: [f64; 3] = [1.3530, -0.6724, -1.3563];
const B1: [f64; 3] = [1.8151, -3.4327, 5.2318];
const A2: [f64; 3] = [-0.3531, 0.6724, 0.3446];
const B2: [f64; 3] = [0.0902, 0.6100, -2.2355];
const W1: f64 = 0.6681;
const L1: f64 = -1.3932;
const W2: f64 = 2.0787;
const L2: f64 = -1.3732;

/// The damped cosine terms at one scale.
struct Waves {
    /// sin(W1 / σ_d), sin(W2 / σ_d).
    sin: [f64; 2],
    /// cos(W1 / σ_d), cos(W2 / σ_d).
    cos: [f64; 2],
    /// exp(L1 / σ_d), exp(L2 / σ_d).
    exp: [f64; 2],
}

impl Waves {
    fn new(sigma_pixels: f64) -> Waves {
        Waves {
            sin: [(W1 / sigma_pixels).sin(), (W2 / sigma_pixels).sin()],
            cos: [(W1 / sigma_pixels).cos(), (W2 / sigma_pixels).cos()],
            exp: [(L1 / sigma_pixels).exp(), (L2 / sigma_pixels).exp()],
        }
    }
}

/// Causal numerator `N0..N3` for one set of weights, with its moments
/// `ΣN`, `Σ k N_k` and `Σ k² N_k`.
struct Numerator {
    /// N0..N3.
    n: [f64; 4],
    /// Σ N_k.
    sum: f64,
    /// Σ k N_k.
    first_moment: f64,
    /// Σ k² N_k.
    second_moment: f64,
}

impl Numerator {
    /// ITK's `ComputeNCoefficients`, in its order of operations.
    fn new(w: &Waves, a1: f64, b1: f64, a2: f64, b2: f64) -> Numerator {
        let ([sin1, sin2], [cos1, cos2], [exp1, exp2]) = (w.sin, w.cos, w.exp);
        let n0 = a1 + a2;
        let mut n1 = exp2 * (b2 * sin2 - (a2 + 2.0 * a1) * cos2);
        n1 += exp1 * (b1 * sin1 - (a1 + 2.0 * a2) * cos1);
        let mut n2 = (a1 + a2) * cos2 * cos1;
        n2 -= b1 * cos2 * sin1 + b2 * cos1 * sin2;
        n2 *= 2.0 * exp1 * exp2;
        n2 += a2 * exp1 * exp1 + a1 * exp2 * exp2;
        let mut n3 = exp2 * exp1 * exp1 * (b2 * sin2 - a2 * cos2);
        n3 += exp1 * exp2 * exp2 * (b1 * sin1 - a1 * cos1);
        Numerator {
            n: [n0, n1, n2, n3],
            sum: n0 + n1 + n2 + n3,
            first_moment: n1 + 2.0 * n2 + 3.0 * n3,
            second_moment: n1 + 4.0 * n2 + 9.0 * n3,
        }
    }
}

/// Feedback coefficients `D1..D4` with their moments `1 + ΣD`, `Σ k D_k`, `Σ k² D_k`.
struct Denominator {
    /// D1..D4.
    d: [f64; 4],
    /// 1 + Σ D_k.
    sum: f64,
    /// Σ k D_k.
    first_moment: f64,
    /// Σ k² D_k.
    second_moment: f64,
}

impl Denominator {
    /// ITK's `ComputeDCoefficients`, in its order of operations.
    fn new(w: &Waves) -> Denominator {
        let ([cos1, cos2], [exp1, exp2]) = (w.cos, w.exp);
        let d4 = exp1 * exp1 * exp2 * exp2;
        let mut d3 = -2.0 * cos1 * exp1 * exp2 * exp2;
        d3 += -2.0 * cos2 * exp2 * exp1 * exp1;
        let mut d2 = 4.0 * cos2 * cos1 * exp1 * exp2;
        d2 += exp1 * exp1 + exp2 * exp2;
        let d1 = -2.0 * (exp2 * cos2 + exp1 * cos1);
        Denominator {
            d: [d1, d2, d3, d4],
            sum: 1.0 + d1 + d2 + d3 + d4,
            first_moment: d1 + 2.0 * d2 + 3.0 * d3 + 4.0 * d4,
            second_moment: d1 + 4.0 * d2 + 9.0 * d3 + 16.0 * d4,
        }
    }
}

/// The coefficients of one symmetric recursive Gaussian pass.
pub(crate) struct Recursive {
    /// Causal input coefficients N0..N3.
    n: [f64; 4],
    /// Feedback coefficients D1..D4.
    d: [f64; 4],
    /// Anti-causal input coefficients M1..M4.
    m: [f64; 4],
    /// Causal feedback at the start border, BN1..BN4.
    border_n: [f64; 4],
    /// Anti-causal feedback at the end border, BM1..BM4.
    border_m: [f64; 4],
}

impl Recursive {
    /// The 20 coefficients in the order `shaders/filter_log.wgsl` reads them: N0..N3, D1..D4,
    /// M1..M4, BN1..BN4, BM1..BM4.
    pub(crate) fn coefficients(&self) -> [f64; 20] {
        let parts = [self.n, self.d, self.m, self.border_n, self.border_m];
        std::array::from_fn(|k| parts[k / 4][k % 4])
    }

    /// ITK's `RecursiveGaussianImageFilter::SetUp` for `sigma` (mm) along an axis of pixel
    /// `spacing` (mm), normalized across scale.
    fn new(order: Order, sigma: f64, spacing: f64) -> Recursive {
        // Sigma in pixels.
        let sigma_pixels = sigma / spacing;
        let waves = Waves::new(sigma_pixels);
        let den = Denominator::new(&waves);
        let n = match order {
            Order::Zero => {
                let num = Numerator::new(&waves, A1[0], B1[0], A2[0], B2[0]);
                // Sum of the impulse response: the filter then preserves the mean.
                let alpha = 2.0 * num.sum / den.sum - num.n[0];
                num.n.map(|c| c * (1.0 / alpha))
            }
            Order::Second => {
                let gauss = Numerator::new(&waves, A1[0], B1[0], A2[0], B2[0]);
                let second = Numerator::new(&waves, A1[2], B1[2], A2[2], B2[2]);
                // Weight of the Gaussian that makes the response sum to zero.
                let beta = -(2.0 * second.sum - den.sum * second.n[0])
                    / (2.0 * gauss.sum - den.sum * gauss.n[0]);
                let n: [f64; 4] = std::array::from_fn(|k| second.n[k] + beta * gauss.n[k]);
                let sum = second.sum + beta * gauss.sum;
                let first_moment = second.first_moment + beta * gauss.first_moment;
                let second_moment = second.second_moment + beta * gauss.second_moment;
                // Second moment of the impulse response.
                let mut alpha = second_moment * den.sum * den.sum
                    - den.second_moment * sum * den.sum
                    - 2.0 * first_moment * den.first_moment * den.sum
                    + 2.0 * den.first_moment * den.first_moment * sum;
                alpha /= den.sum * den.sum * den.sum;
                // σ² normalization across scale.
                let normalization = sigma * sigma;
                n.map(|c| c * (normalization / alpha))
            }
        };
        let d = den.d;
        let m = [
            n[1] - d[0] * n[0],
            n[2] - d[1] * n[0],
            n[3] - d[2] * n[0],
            -d[3] * n[0],
        ];
        // Steady-state sums for a constant signal beyond the borders.
        let sum_n = n[0] + n[1] + n[2] + n[3];
        let sum_m = m[0] + m[1] + m[2] + m[3];
        let sum_d = 1.0 + d[0] + d[1] + d[2] + d[3];
        Recursive {
            n,
            d,
            m,
            border_n: d.map(|dk| dk * sum_n / sum_d),
            border_m: d.map(|dk| dk * sum_m / sum_d),
        }
    }

    /// [`Recursive::run`] on [`COLUMN_BLOCK`] interleaved lines of `length` samples
    /// (`data[i * COLUMN_BLOCK + k]` is sample `i` of line `k`), with the same operations in the
    /// same order per line.
    fn run_block(&self, data: &[f64], length: usize, causal: &mut [f64], anticausal: &mut [f64]) {
        const B: usize = COLUMN_BLOCK;
        let last = length - 1;
        let x = |i: usize, k: usize| data[i * B + k];
        for i in 0..length {
            for k in 0..B {
                causal[i * B + k] = if i >= 4 {
                    let forward = dot4([x(i, k), x(i - 1, k), x(i - 2, k), x(i - 3, k)], self.n);
                    let feedback = dot4(
                        [
                            causal[(i - 1) * B + k],
                            causal[(i - 2) * B + k],
                            causal[(i - 3) * B + k],
                            causal[(i - 4) * B + k],
                        ],
                        self.d,
                    );
                    forward - feedback
                } else {
                    let inputs: [f64; 4] = std::array::from_fn(|j| x(i.saturating_sub(j), k));
                    let feedback: [(f64, f64); 4] =
                        std::array::from_fn(|j| match i.checked_sub(j + 1) {
                            Some(p) => (causal[p * B + k], self.d[j]),
                            None => (x(0, k), self.border_n[j]),
                        });
                    dot4(inputs, self.n) - dot4_pairs(feedback)
                };
            }
        }
        for i in (0..length).rev() {
            for k in 0..B {
                anticausal[i * B + k] = if i + 4 <= last {
                    let forward =
                        dot4([x(i + 1, k), x(i + 2, k), x(i + 3, k), x(i + 4, k)], self.m);
                    let feedback = dot4(
                        [
                            anticausal[(i + 1) * B + k],
                            anticausal[(i + 2) * B + k],
                            anticausal[(i + 3) * B + k],
                            anticausal[(i + 4) * B + k],
                        ],
                        self.d,
                    );
                    forward - feedback
                } else {
                    let inputs: [f64; 4] = std::array::from_fn(|j| x((i + j + 1).min(last), k));
                    let feedback: [(f64, f64); 4] = std::array::from_fn(|j| {
                        let p = i + j + 1;
                        if p <= last {
                            (anticausal[p * B + k], self.d[j])
                        } else {
                            (x(last, k), self.border_m[j])
                        }
                    });
                    dot4(inputs, self.m) - dot4_pairs(feedback)
                };
            }
        }
    }

    /// Filters one line (at least 4 samples) into its causal and anti-causal parts
    /// (ITK's `FilterDataArray`; the output is their sum).
    fn run(&self, data: &[f64], causal: &mut [f64], anticausal: &mut [f64]) {
        let length = data.len();
        let last = length - 1;
        // The constant continuation beyond the first and the last sample.
        let (first_value, last_value) = (data[0], data[last]);
        // Near the borders some inputs and outputs lie beyond the line: the constant
        // continuation and its border coefficients stand in for them.
        let causal_border = |i: usize, causal: &[f64]| {
            let inputs: [f64; 4] = std::array::from_fn(|k| data[i.saturating_sub(k)]);
            let feedback: [(f64, f64); 4] = std::array::from_fn(|k| match i.checked_sub(k + 1) {
                Some(j) => (causal[j], self.d[k]),
                None => (first_value, self.border_n[k]),
            });
            dot4(inputs, self.n) - dot4_pairs(feedback)
        };
        let anticausal_border = |i: usize, anticausal: &[f64]| {
            let inputs: [f64; 4] = std::array::from_fn(|k| data[(i + k + 1).min(last)]);
            let feedback: [(f64, f64); 4] = std::array::from_fn(|k| {
                let j = i + k + 1;
                if j <= last {
                    (anticausal[j], self.d[k])
                } else {
                    (last_value, self.border_m[k])
                }
            });
            dot4(inputs, self.m) - dot4_pairs(feedback)
        };
        // The two passes are independent recurrences: step them together so that the processor
        // overlaps their latencies. Causal: y_i = Σ n_k x_{i-k} − Σ d_k y_{i-k-1};
        // anticausal: y_j = Σ m_k x_{j+k+1} − Σ d_k y_{j+k+1}; each in the same summation
        // order inside the line as at its borders.
        for i in 0..length {
            causal[i] = if i >= 4 {
                let forward = dot4([data[i], data[i - 1], data[i - 2], data[i - 3]], self.n);
                let feedback = dot4(
                    [causal[i - 1], causal[i - 2], causal[i - 3], causal[i - 4]],
                    self.d,
                );
                forward - feedback
            } else {
                causal_border(i, causal)
            };
            let j = last - i;
            anticausal[j] = if j + 4 <= last {
                let forward = dot4([data[j + 1], data[j + 2], data[j + 3], data[j + 4]], self.m);
                let feedback = dot4(
                    [
                        anticausal[j + 1],
                        anticausal[j + 2],
                        anticausal[j + 3],
                        anticausal[j + 4],
                    ],
                    self.d,
                );
                forward - feedback
            } else {
                anticausal_border(j, anticausal)
            };
        }
    }
}

/// `a0 b0 + a1 b1 + a2 b2 + a3 b3`, summed left to right.
fn dot4(a: [f64; 4], b: [f64; 4]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3]
}

/// [`dot4`] of `(a_k, b_k)` pairs.
fn dot4_pairs(p: [(f64, f64); 4]) -> f64 {
    p[0].0 * p[0].1 + p[1].0 * p[1].1 + p[2].0 * p[2].1 + p[3].0 * p[3].1
}
