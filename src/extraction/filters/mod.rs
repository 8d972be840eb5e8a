//! Filtered image types: the images PyRadiomics 3.0.1 derives from the original before it
//! extracts features, computed exactly as PyRadiomics computes them for a 2D image.
//!
//! | PyRadiomics image type | Function | Image type names | Reproduces |
//! |---|---|---|---|
//! | `Original` | (none) | `original` | the image itself |
//! | `LoG` | [`log::laplacian_of_gaussian`] | `log-sigma-1-0-mm-3D`, ... | SimpleITK `LaplacianRecursiveGaussianImageFilter`, normalized across scale |
//! | `Wavelet` | [`wavelet::wavelet`] | `wavelet-LH`, `wavelet-HL`, `wavelet-HH`, `wavelet-LL` | PyWavelets `swtn`, level 1, with PyRadiomics' padding and cropping |
//! | `Square` | [`point::square`] | `square` | `getSquareImage` |
//! | `SquareRoot` | [`point::square_root`] | `squareroot` | `getSquareRootImage` |
//! | `Logarithm` | [`point::logarithm`] | `logarithm` | `getLogarithmImage` |
//! | `Exponential` | [`point::exponential`] | `exponential` | `getExponentialImage` |
//! | `Gradient` | [`gradient::gradient_magnitude`] | `gradient` | SimpleITK `GradientMagnitudeImageFilter` |
//!
//! **2D input.** PyRadiomics hands a 2D image to the filters as a 2D SimpleITK image (no third
//! axis): the LoG sums the second derivatives along the 2 image axes only (its name still ends in
//! `-3D`), its size checks look at the width and the height, and the wavelet transforms the 2
//! image axes, which gives 4 images (LH, HL, HH and the approximation LL) instead of 8.
//!
//! **Precision.** SimpleITK returns the LoG and the gradient magnitude as 32-bit floats whatever
//! the input type; the functions here return those images rounded to `f32` (stored as `f64`),
//! so that they hold the very values PyRadiomics computes features from. The wavelet and the
//! point filters are computed in `f64`, as numpy and PyWavelets do.
//!
//! **Spacing.** The LoG sigma is in mm and the gradient is per mm: both take the pixel
//! [`PixelSpacing`] (`column`: along x, `row`: along y). The wavelet and the point filters
//! ignore it.

pub mod device;
pub mod gradient;
pub mod log;
pub mod point;
pub mod wavelet;
mod wavelet_coefficients;

use crate::io::{Image, PixelSpacing};

pub use log::Sigma;
pub use wavelet::{Wavelet, WaveletSettings};

/// One derived image with the image type name PyRadiomics gives it.
#[derive(Debug, Clone)]
pub struct FilteredImage {
    /// PyRadiomics' image type name, the prefix of the feature names (`wavelet-LH`).
    pub name: String,
    /// The filtered image: same size and source as the input.
    pub image: Image<'static>,
}

/// Why a filter produced no image.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FilterError {
    /// The pixel buffer does not hold `width * height` pixels, or the image is empty.
    #[error("image is {width}x{height} but holds {pixels} pixels")]
    BadShape {
        /// Width in pixels.
        width: usize,
        /// Height in pixels.
        height: usize,
        /// Length of the pixel buffer.
        pixels: usize,
    },
    /// A pixel spacing is zero, negative or not finite.
    #[error("pixel spacing must be positive, got {column} mm (columns) x {row} mm (rows)")]
    InvalidSpacing {
        /// Spacing between columns, mm.
        column: f64,
        /// Spacing between rows, mm.
        row: f64,
    },
    /// The image is under 4 pixels along an axis: the recursive Gaussian needs 4 (PyRadiomics
    /// then computes no LoG image at all).
    #[error("LoG needs an image of at least 4x4 pixels, got {width}x{height}")]
    ImageTooSmall {
        /// Width in pixels.
        width: usize,
        /// Height in pixels.
        height: usize,
    },
    /// A LoG sigma is zero, negative or not finite (PyRadiomics skips it with a warning).
    #[error("LoG sigma must be greater than 0, got {sigma} mm")]
    SigmaNotPositive {
        /// The sigma, mm.
        sigma: f64,
    },
    /// A LoG sigma spans more pixels than the image has: PyRadiomics needs
    /// `size >= ceil(sigma / spacing) + 1` along both axes and skips the sigma otherwise.
    #[error(
        "LoG sigma {sigma} mm needs at least {columns_needed}x{rows_needed} pixels \
         (ceil(sigma / spacing) + 1 per axis), image is {width}x{height}"
    )]
    SigmaTooLarge {
        /// The sigma, mm.
        sigma: f64,
        /// Width in pixels.
        width: usize,
        /// Height in pixels.
        height: usize,
        /// Columns the sigma needs.
        columns_needed: f64,
        /// Rows the sigma needs.
        rows_needed: f64,
    },
    /// A wavelet name PyWavelets does not know, or one outside the supported families.
    #[error(
        "unknown wavelet '{name}': supported are haar, db1-db20, sym2-sym20, coif1-coif5, \
         bior1.1-bior6.8, rbio1.1-rbio6.8 and dmey"
    )]
    UnknownWavelet {
        /// The name given.
        name: String,
    },
    /// The wavelet level is 0: at least one decomposition level is needed.
    #[error("wavelet level must be at least 1, got {level}")]
    InvalidWaveletLevel {
        /// The level given.
        level: u32,
    },
    /// The sub-band images of the wavelet's levels would not fit in memory.
    #[error("wavelet level {level}: its {images} sub-band images of this {width} × {height} image would take more than 1 GiB; at most level {largest} fits (setting `level`)")]
    WaveletLevelTooLarge {
        /// The level given.
        level: u32,
        /// Sub-band images it would make.
        images: u64,
        /// Image width.
        width: usize,
        /// Image height.
        height: usize,
        /// The largest level that fits.
        largest: u64,
    },
    /// Every pixel is 0: the scale factor of the square, logarithm and exponential filters
    /// divides by the largest absolute value (PyRadiomics returns an all-NaN image).
    #[error("{filter} filter of an all-zero image is undefined (division by max |x| = 0)")]
    ZeroImage {
        /// The filter's image type name.
        filter: &'static str,
    },
}

/// The kinds of image type, each with its two names: the command line's (`--filters log`) and
/// PyRadiomics' (`imageType: LoG`). The one list of image-type names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    /// The image itself.
    Original,
    /// Laplacian of Gaussian.
    LoG,
    /// Stationary wavelet transform.
    Wavelet,
    /// Square.
    Square,
    /// Square root.
    SquareRoot,
    /// Logarithm.
    Logarithm,
    /// Exponential.
    Exponential,
    /// Gradient magnitude.
    Gradient,
}

impl ImageKind {
    /// Every kind, in PyRadiomics' order.
    pub const ALL: [ImageKind; 8] = [
        ImageKind::Original,
        ImageKind::LoG,
        ImageKind::Wavelet,
        ImageKind::Square,
        ImageKind::SquareRoot,
        ImageKind::Logarithm,
        ImageKind::Exponential,
        ImageKind::Gradient,
    ];

    /// The command line's name.
    pub fn cli_name(self) -> &'static str {
        match self {
            ImageKind::Original => "original",
            ImageKind::LoG => "log",
            ImageKind::Wavelet => "wavelet",
            ImageKind::Square => "square",
            ImageKind::SquareRoot => "squareroot",
            ImageKind::Logarithm => "logarithm",
            ImageKind::Exponential => "exponential",
            ImageKind::Gradient => "gradient",
        }
    }

    /// PyRadiomics' name (a parameter file's `imageType` key).
    pub fn pyradiomics_name(self) -> &'static str {
        match self {
            ImageKind::Original => "Original",
            ImageKind::LoG => "LoG",
            ImageKind::Wavelet => "Wavelet",
            ImageKind::Square => "Square",
            ImageKind::SquareRoot => "SquareRoot",
            ImageKind::Logarithm => "Logarithm",
            ImageKind::Exponential => "Exponential",
            ImageKind::Gradient => "Gradient",
        }
    }

    /// The kind of a command-line name.
    pub fn from_cli_name(name: &str) -> Option<ImageKind> {
        ImageKind::ALL.into_iter().find(|k| k.cli_name() == name)
    }

    /// The kind of a PyRadiomics name.
    pub fn from_pyradiomics_name(name: &str) -> Option<ImageKind> {
        ImageKind::ALL
            .into_iter()
            .find(|k| k.pyradiomics_name() == name)
    }

    /// Every name of one style, comma-separated, for messages.
    pub fn names(name: fn(ImageKind) -> &'static str) -> String {
        ImageKind::ALL.map(name).join(", ")
    }

    /// The image type of this kind with the filter settings of `options`.
    pub fn with(self, options: &FilterOptions) -> ImageType {
        match self {
            ImageKind::Original => ImageType::Original,
            ImageKind::LoG => ImageType::LoG {
                sigmas: options.sigmas.clone(),
            },
            ImageKind::Wavelet => ImageType::Wavelet(options.wavelet),
            ImageKind::Square => ImageType::Square,
            ImageKind::SquareRoot => ImageType::SquareRoot,
            ImageKind::Logarithm => ImageType::Logarithm,
            ImageKind::Exponential => ImageType::Exponential,
            ImageKind::Gradient => ImageType::Gradient {
                use_spacing: options.gradient_use_spacing,
            },
        }
    }
}

/// The filter settings image types take theirs from (a command line's flags, a parameter
/// file's `setting` merged with an image type's own).
#[derive(Debug, Clone, PartialEq)]
pub struct FilterOptions {
    /// LoG sigmas.
    pub sigmas: Vec<Sigma>,
    /// Wavelet, level and start level.
    pub wavelet: WaveletSettings,
    /// Gradient: divide by the pixel spacing.
    pub gradient_use_spacing: bool,
}

/// One image type as PyRadiomics' `imageType` settings enable it, with its settings.
#[derive(Debug, Clone, PartialEq)]
pub enum ImageType {
    /// The image itself (`original`).
    Original,
    /// Laplacian of Gaussian at each sigma (`log-sigma-<sigma>-mm-3D`).
    LoG {
        /// Sigmas in mm, in the order given.
        sigmas: Vec<Sigma>,
    },
    /// Stationary wavelet transform (`wavelet-LH`, ..., `wavelet-LL`).
    Wavelet(WaveletSettings),
    /// `(x / sqrt(max|x|))^2` (`square`).
    Square,
    /// `sign(x) sqrt(|x| max|x|)` (`squareroot`).
    SquareRoot,
    /// `sign(x) log(|x| + 1)`, rescaled to the input's range (`logarithm`).
    Logarithm,
    /// `exp(x log(max|x|) / max|x|)` (`exponential`).
    Exponential,
    /// Gradient magnitude (`gradient`).
    Gradient {
        /// Divide the differences by the pixel spacing (PyRadiomics' `gradientUseSpacing`,
        /// default true).
        use_spacing: bool,
    },
}

impl ImageType {
    /// Its kind.
    pub fn kind(&self) -> ImageKind {
        match self {
            ImageType::Original => ImageKind::Original,
            ImageType::LoG { .. } => ImageKind::LoG,
            ImageType::Wavelet(_) => ImageKind::Wavelet,
            ImageType::Square => ImageKind::Square,
            ImageType::SquareRoot => ImageKind::SquareRoot,
            ImageType::Logarithm => ImageKind::Logarithm,
            ImageType::Exponential => ImageKind::Exponential,
            ImageType::Gradient { .. } => ImageKind::Gradient,
        }
    }

    /// Whether the device filters compute this image type: all but the one-axis wavelet of
    /// PyRadiomics' `force2D`, which the CPU computes.
    pub fn runs_on_device(&self) -> bool {
        !matches!(self, ImageType::Wavelet(settings) if settings.axis.is_some())
    }

    /// How many images this image type derives from an image (when none is skipped): one per
    /// LoG sigma, three per wavelet level (one along a single axis) and the last level's
    /// approximation, else one.
    pub fn image_count(&self) -> usize {
        match self {
            ImageType::LoG { sigmas } => sigmas.len(),
            ImageType::Wavelet(settings) if settings.axis.is_some() => settings.level as usize + 1,
            ImageType::Wavelet(settings) => 3 * settings.level as usize + 1,
            _ => 1,
        }
    }

    /// Every image this image type derives from `image`, in PyRadiomics' order, and the
    /// images PyRadiomics would skip (a LoG sigma too large for the image, ...) as errors.
    pub fn apply(&self, image: &Image, spacing: PixelSpacing) -> FilterOutput {
        let mut output = FilterOutput::default();
        match self {
            ImageType::Original => output.push(check_shape(image).map(|()| FilteredImage {
                name: "original".to_string(),
                image: image.to_owned_image(),
            })),
            ImageType::LoG { sigmas } => {
                for &sigma in sigmas {
                    output.push(log::laplacian_of_gaussian(image, spacing, sigma));
                }
            }
            ImageType::Wavelet(settings) => match wavelet::wavelet(image, settings) {
                Ok(images) => output.images.extend(images),
                Err(error) => output.skipped.push(error),
            },
            ImageType::Square => output.push(point::square(image)),
            ImageType::SquareRoot => output.push(point::square_root(image)),
            ImageType::Logarithm => output.push(point::logarithm(image)),
            ImageType::Exponential => output.push(point::exponential(image)),
            ImageType::Gradient { use_spacing } => {
                output.push(gradient::gradient_magnitude(image, spacing, *use_spacing))
            }
        }
        output
    }
}

/// What [`ImageType::apply`] produced.
#[derive(Debug, Default)]
pub struct FilterOutput {
    /// The derived images, in PyRadiomics' order.
    pub images: Vec<FilteredImage>,
    /// Why some images were not produced; PyRadiomics logs a warning for each and goes on.
    pub skipped: Vec<FilterError>,
}

impl FilterOutput {
    fn push(&mut self, result: Result<FilteredImage, FilterError>) {
        match result {
            Ok(image) => self.images.push(image),
            Err(error) => self.skipped.push(error),
        }
    }
}

/// Checks that both pixel spacings are finite and positive.
pub(crate) fn check_spacing(spacing: PixelSpacing) -> Result<(), FilterError> {
    let ok = |s: f64| s.is_finite() && s > 0.0;
    if ok(spacing.column) && ok(spacing.row) {
        Ok(())
    } else {
        Err(FilterError::InvalidSpacing {
            column: spacing.column,
            row: spacing.row,
        })
    }
}

/// Checks that the image is non-empty and its buffer holds `width * height` pixels.
pub(crate) fn check_shape(image: &Image) -> Result<(), FilterError> {
    if image.width == 0 || image.height == 0 || image.pixels.len() != image.width * image.height {
        return Err(FilterError::BadShape {
            width: image.width,
            height: image.height,
            pixels: image.pixels.len(),
        });
    }
    Ok(())
}

/// A filtered image with the input's size and source.
pub(crate) fn derived(image: &Image, name: String, pixels: Vec<f64>) -> FilteredImage {
    FilteredImage {
        name,
        image: Image {
            width: image.width,
            height: image.height,
            pixels: pixels.into(),
            source: image.source.clone(),
        },
    }
}

/// The value SimpleITK stores in a 32-bit float pixel: `x` rounded to the nearest `f32`.
pub(crate) fn to_f32(x: f64) -> f64 {
    f64::from(x as f32)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The predicted image count equals the images `apply` derives.
    #[test]
    fn image_count_equals_the_images_derived() {
        let pixels: Vec<f64> = (0..64 * 64)
            .map(|k| f64::from((k * 37 % 251) as u32))
            .collect();
        let image = Image {
            width: 64,
            height: 64,
            pixels: pixels.into(),
            source: "generated".into(),
        };
        let spacing = PixelSpacing {
            row: 1.0,
            column: 1.0,
        };
        let types = [
            ImageType::Original,
            ImageType::LoG {
                sigmas: vec![
                    log::Sigma::mm(1.0),
                    log::Sigma::mm(2.0),
                    log::Sigma::mm(3.0),
                ],
            },
            ImageType::Wavelet(wavelet::WaveletSettings::default()),
            ImageType::Wavelet(wavelet::WaveletSettings {
                level: 2,
                ..Default::default()
            }),
            ImageType::Square,
        ];
        let counts: Vec<usize> = types.iter().map(ImageType::image_count).collect();
        assert_eq!(counts, [1, 3, 4, 7, 1]);
        for t in &types[1..] {
            let output = t.apply(&image, spacing);
            assert!(output.skipped.is_empty());
            assert_eq!(output.images.len(), t.image_count(), "{:?}", t.kind());
        }
    }
}
