//! Point filters: square, square root, logarithm and exponential, as PyRadiomics'
//! `getSquareImage`, `getSquareRootImage`, `getLogarithmImage` and `getExponentialImage`
//! compute them with numpy in `f64`.
//!
//! Each maps every pixel `x` on its own and is scaled by `M = max |x|` over the whole image so
//! that the result keeps roughly the input's range; negative inputs keep their sign (except in
//! the exponential, which is positive). The functions repeat numpy's operations one by one, so
//! the results are the same doubles.
//!
//! | Filter | `f(x)` |
//! |---|---|
//! | square | `(c x)²`, `c = 1 / sqrt(M)` |
//! | square root | `sqrt(x M)` for `x > 0`, `−sqrt(−x M)` for `x < 0`, `0` for `x = 0` |
//! | logarithm | `s log(x + 1)` for `x > 0`, `−s log(−(x − 1))` for `x < 0`, `0` for `x = 0`, `s = M / max |log|` |
//! | exponential | `exp(c x)`, `c = log(M) / M` |
//!
//! An all-zero image (`M = 0`) makes the square, logarithm and exponential divide by zero;
//! PyRadiomics then returns NaN images, these functions return [`FilterError::ZeroImage`].

use super::{check_shape, derived, FilterError, FilteredImage};
use crate::io::Image;

/// Largest absolute pixel value, `max |x|`.
fn max_abs(pixels: &[f64]) -> f64 {
    pixels.iter().fold(0.0, |m: f64, &v| m.max(v.abs()))
}

/// Checks the image and returns `M = max |x|`, refusing `M = 0` for `filter`.
fn scale_of(image: &Image, filter: &'static str) -> Result<f64, FilterError> {
    check_shape(image)?;
    let largest = max_abs(&image.pixels);
    if largest == 0.0 {
        return Err(FilterError::ZeroImage { filter });
    }
    Ok(largest)
}

/// The square image, named `square`: `(x / sqrt(M))²`.
pub fn square(image: &Image) -> Result<FilteredImage, FilterError> {
    let largest = scale_of(image, "square")?;
    // Scale so that M maps to M: c = 1 / sqrt(M).
    let coefficient = 1.0 / largest.sqrt();
    let pixels = image
        .pixels
        .iter()
        .map(|&x| {
            let scaled = coefficient * x;
            scaled * scaled
        })
        .collect();
    Ok(derived(image, "square".to_string(), pixels))
}

/// The square root image, named `squareroot`: `sign(x) sqrt(|x| M)`.
pub fn square_root(image: &Image) -> Result<FilteredImage, FilterError> {
    check_shape(image)?;
    // M: multiplying by it before the root maps M to M.
    let largest = max_abs(&image.pixels);
    let pixels = image
        .pixels
        .iter()
        .map(|&x| {
            if x > 0.0 {
                (x * largest).sqrt()
            } else if x < 0.0 {
                -(-x * largest).sqrt()
            } else {
                x
            }
        })
        .collect();
    Ok(derived(image, "squareroot".to_string(), pixels))
}

/// The logarithm image, named `logarithm`: `sign(x) log(|x| + 1)`, rescaled so that its largest
/// absolute value is `M`.
pub fn logarithm(image: &Image) -> Result<FilteredImage, FilterError> {
    let largest = scale_of(image, "logarithm")?;
    let logs: Vec<f64> = image
        .pixels
        .iter()
        .map(|&x| {
            if x > 0.0 {
                (x + 1.0).ln()
            } else if x < 0.0 {
                -(-(x - 1.0)).ln()
            } else {
                x
            }
        })
        .collect();
    // s = M / max |log|.
    let rescale = largest / max_abs(&logs);
    let pixels = logs.into_iter().map(|v| v * rescale).collect();
    Ok(derived(image, "logarithm".to_string(), pixels))
}

/// The exponential image, named `exponential`: `exp(x log(M) / M)`.
pub fn exponential(image: &Image) -> Result<FilteredImage, FilterError> {
    let largest = scale_of(image, "exponential")?;
    // c = log(M) / M: maps M to M.
    let coefficient = largest.ln() / largest;
    let pixels = image
        .pixels
        .iter()
        .map(|&x| (coefficient * x).exp())
        .collect();
    Ok(derived(image, "exponential".to_string(), pixels))
}
