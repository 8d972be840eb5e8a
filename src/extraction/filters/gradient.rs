//! Gradient magnitude, as PyRadiomics' `getGradientImage` computes it with SimpleITK's
//! `GradientMagnitudeImageFilter`.
//!
//! # Math
//!
//! Central differences with ITK's first-order derivative operator `[1/2, 0, -1/2]`, each
//! coefficient divided by the pixel spacing along its axis when `use_spacing` is on
//! (PyRadiomics' `gradientUseSpacing`, default true):
//!
//! ```text
//! g_x = h_x I(x+1, y) − h_x I(x−1, y),   h_x = 0.5 · (1 / spacing_x)
//! g_y = h_y I(x, y+1) − h_y I(x, y−1),   h_y = 0.5 · (1 / spacing_y)
//! |∇I| = sqrt(g_x² + g_y²)
//! ```
//!
//! **Borders:** zero-flux Neumann, the neighbour beyond the edge is the edge pixel itself
//! (`I(−1, y) = I(0, y)`), so the difference there is a half-difference. The sums run in `f64`
//! in ITK's order (`0 + g_x² + g_y²`) and the result is rounded to the `f32` SimpleITK returns.

use super::{check_shape, check_spacing, derived, to_f32, FilterError, FilteredImage};
use crate::io::{Image, PixelSpacing};

/// The operator weights along x and y: half the inverse spacing (of 1 without `use_spacing`).
pub(crate) fn weights(spacing: PixelSpacing, use_spacing: bool) -> Result<[f64; 2], FilterError> {
    let (step_x, step_y) = if use_spacing {
        check_spacing(spacing)?;
        (spacing.column, spacing.row)
    } else {
        (1.0, 1.0)
    };
    Ok([0.5 * (1.0 / step_x), 0.5 * (1.0 / step_y)])
}

/// The gradient magnitude image of `image`, named `gradient`.
pub fn gradient_magnitude(
    image: &Image,
    spacing: PixelSpacing,
    use_spacing: bool,
) -> Result<FilteredImage, FilterError> {
    check_shape(image)?;
    let (width, height) = (image.width, image.height);
    let [weight_x, weight_y] = weights(spacing, use_spacing)?;
    let at = |x: usize, y: usize| image.pixels[y * width + x];
    let mut out = Vec::with_capacity(width * height);
    for y in 0..height {
        let (up, down) = (y.saturating_sub(1), (y + 1).min(height - 1));
        for x in 0..width {
            let (left, right) = (x.saturating_sub(1), (x + 1).min(width - 1));
            // Central differences along x and y.
            let gx = weight_x * at(right, y) - weight_x * at(left, y);
            let gy = weight_y * at(x, down) - weight_y * at(x, up);
            let squared = 0.0 + gx * gx + gy * gy;
            out.push(to_f32(squared.sqrt()));
        }
    }
    Ok(derived(image, "gradient".to_string(), out))
}
