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

/// The four point filters, in the order of their `mode` in `shaders/filter_point.wgsl`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PointFilter {
    /// `(c x)²`.
    Square = 0,
    /// `sign(x) sqrt(|x| M)`.
    SquareRoot = 1,
    /// `sign(x) log(|x| + 1) s`.
    Logarithm = 2,
    /// `exp(c x)`.
    Exponential = 3,
}

impl PointFilter {
    /// The image type name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            PointFilter::Square => "square",
            PointFilter::SquareRoot => "squareroot",
            PointFilter::Logarithm => "logarithm",
            PointFilter::Exponential => "exponential",
        }
    }

    /// Checks the image and returns the filter's scale factor from `M = max |x|`: `c`, `M`,
    /// `s` or `c` of the table above. The square, the logarithm and the exponential divide by
    /// `M`, so an all-zero image is [`FilterError::ZeroImage`].
    ///
    /// The logarithm's `s = M / max |log|` is `M / log(M + 1)`: `log` is increasing, and the
    /// pixel with the largest `|x|` has the largest `|log|` whatever its sign
    /// (`−(x − 1) = M + 1` for `x = −M`).
    pub(crate) fn scale(self, image: &Image) -> Result<f64, FilterError> {
        check_shape(image)?;
        let largest = max_abs(&image.pixels);
        if largest == 0.0 && self != PointFilter::SquareRoot {
            return Err(FilterError::ZeroImage {
                filter: self.name(),
            });
        }
        Ok(match self {
            // maps M to M
            PointFilter::Square => 1.0 / largest.sqrt(),
            // multiplying by M before the root maps M to M
            PointFilter::SquareRoot => largest,
            PointFilter::Logarithm => largest / (largest + 1.0).ln(),
            PointFilter::Exponential => largest.ln() / largest,
        })
    }

    /// The filtered value of pixel `x` with scale factor `c` (from [`PointFilter::scale`]).
    pub(crate) fn apply(self, c: f64, x: f64) -> f64 {
        match self {
            PointFilter::Square => {
                let scaled = c * x;
                scaled * scaled
            }
            PointFilter::SquareRoot if x > 0.0 => (x * c).sqrt(),
            PointFilter::SquareRoot if x < 0.0 => -(-x * c).sqrt(),
            PointFilter::Logarithm if x > 0.0 => (x + 1.0).ln() * c,
            PointFilter::Logarithm if x < 0.0 => -(-(x - 1.0)).ln() * c,
            PointFilter::SquareRoot | PointFilter::Logarithm => x,
            PointFilter::Exponential => (c * x).exp(),
        }
    }

    /// The filtered image.
    pub(crate) fn image(self, image: &Image) -> Result<FilteredImage, FilterError> {
        let c = self.scale(image)?;
        let pixels = image.pixels.iter().map(|&x| self.apply(c, x)).collect();
        Ok(derived(image, self.name().to_string(), pixels))
    }
}

/// Largest absolute pixel value, `max |x|`.
fn max_abs(pixels: &[f64]) -> f64 {
    pixels.iter().fold(0.0, |m: f64, &v| m.max(v.abs()))
}

/// The square image, named `square`: `(x / sqrt(M))²`.
pub fn square(image: &Image) -> Result<FilteredImage, FilterError> {
    PointFilter::Square.image(image)
}

/// The square root image, named `squareroot`: `sign(x) sqrt(|x| M)`.
pub fn square_root(image: &Image) -> Result<FilteredImage, FilterError> {
    PointFilter::SquareRoot.image(image)
}

/// The logarithm image, named `logarithm`: `sign(x) log(|x| + 1)`, rescaled so that its largest
/// absolute value is `M`.
pub fn logarithm(image: &Image) -> Result<FilteredImage, FilterError> {
    PointFilter::Logarithm.image(image)
}

/// The exponential image, named `exponential`: `exp(x log(M) / M)`.
pub fn exponential(image: &Image) -> Result<FilteredImage, FilterError> {
    PointFilter::Exponential.image(image)
}
