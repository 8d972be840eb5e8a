//! Error type of the library: every failure names the file (or region) and the problem.

use std::path::PathBuf;

/// Result alias used throughout the library.
pub type Result<T> = std::result::Result<T, Error>;

/// Everything that can go wrong while turning an image and a mask into features.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be opened or read.
    #[error("{path}: cannot read file: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// A file exists but is not a decodable image (wrong format, truncated, corrupt).
    #[error("{path}: not a readable image: {message}")]
    Decode {
        /// The file.
        path: PathBuf,
        /// What the decoder said.
        message: String,
    },
    /// An image uses a pixel layout sonorad does not read.
    #[error("{path}: unsupported pixel format {format}")]
    UnsupportedPixels {
        /// The file.
        path: PathBuf,
        /// The pixel format found.
        format: String,
    },
    /// A mask of several channels per pixel (an RGB PNG, a vector NRRD) has no channel
    /// `label_channel` (PyRadiomics: "Mask N requested, but segmentation object only contains M
    /// objects").
    #[error("{path}: label_channel {channel} requested, but the mask has only {channels} channels per pixel (0 to {last})", last = channels - 1)]
    MaskChannel {
        /// The mask file.
        path: PathBuf,
        /// The channel asked for.
        channel: u32,
        /// The channels the mask has (more than one).
        channels: usize,
    },
    /// Mask and image sizes differ (and `correctMask` is off).
    #[error("{mask}: mask is {mask_width}x{mask_height} but image {image} is {image_width}x{image_height} (PyRadiomics' correctMask resamples a mask that lies within its image onto the image's pixels)")]
    SizeMismatch {
        /// The mask file.
        mask: PathBuf,
        /// Mask width in pixels.
        mask_width: u32,
        /// Mask height in pixels.
        mask_height: u32,
        /// The image file.
        image: PathBuf,
        /// Image width in pixels.
        image_width: u32,
        /// Image height in pixels.
        image_height: u32,
    },
    /// Mask and image have the same size but lie in different places: spacing or origin differ
    /// by more than `geometryTolerance` allows (and `correctMask` is off).
    #[error("{mask}: Image/Mask geometry mismatch with image {image}: {detail}. Potential fix: increase tolerance using geometryTolerance, or enable correctMask")]
    GeometryMismatch {
        /// The mask file.
        mask: PathBuf,
        /// The image file.
        image: PathBuf,
        /// Which spacing or origin differs, and by how much.
        detail: String,
    },
    /// A region has no pixels.
    #[error("{path}: region '{region}' is empty ({detail})")]
    EmptyRegion {
        /// The mask file the region comes from.
        path: PathBuf,
        /// Region name (`tumor`, `ring3mm`, ...).
        region: String,
        /// Why it is empty.
        detail: String,
    },
    /// A region PyRadiomics refuses too: a single pixel, or a region one pixel thick.
    #[error("{path}: region '{region}' {detail}")]
    DegenerateRegion {
        /// The mask file the region comes from.
        path: PathBuf,
        /// Region name.
        region: String,
        /// What is wrong with it.
        detail: String,
    },
    /// A region holds a pixel value features cannot be computed from (NaN or infinite).
    #[error("{path}: region '{region}' {detail}")]
    PixelValue {
        /// The image file.
        path: PathBuf,
        /// Region name.
        region: String,
        /// Which value, and where.
        detail: String,
    },
    /// The binning would make more bins than [`crate::discretize::MAX_BINS`] for a region.
    #[error("{path}: {message}")]
    Binning {
        /// The image file.
        path: PathBuf,
        /// The setting, the bins it makes and the limit.
        message: String,
    },
    /// A region's dense count matrices would exceed [`crate::matrix::MAX_MATRIX_CELLS`].
    #[error("{path}: region '{region}' {detail}")]
    MatrixSize {
        /// The mask file the region comes from.
        path: PathBuf,
        /// Region name.
        region: String,
        /// Gray levels, matrix size, limit and advice.
        detail: String,
    },
    /// A case's pixel spacing is missing where needed, or unusable.
    #[error("{path}: {message}")]
    Spacing {
        /// The image file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A filter cannot derive its image from this case (PyRadiomics skips such an image).
    #[error("{path}: filter: {message}")]
    Filter {
        /// The image file.
        path: PathBuf,
        /// The filter's reason.
        message: String,
    },
    /// A setting is out of range or inconsistent.
    #[error("invalid setting: {0}")]
    Setting(String),
    /// A manifest (CSV listing cases) is malformed.
    #[error("{path}: {message}")]
    Manifest {
        /// The manifest file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A feature table given as input (an output to resume, a shard to merge) cannot be read,
    /// or does not fit with the others.
    #[error("{path}: {message}")]
    Table {
        /// The table file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The matrix backend failed (device lost, out of memory, ...).
    #[error("matrix backend {backend}: {message}")]
    Backend {
        /// Backend name.
        backend: String,
        /// What went wrong.
        message: String,
    },
    /// Reading or preparing a case panicked, in sonorad or in a decoder it uses, on input no
    /// check caught: the case is refused and a run goes on.
    #[error("{path}: internal error while reading this case ({message}); the case is skipped, please report the file")]
    Panic {
        /// The case's image file.
        path: PathBuf,
        /// The panic's message.
        message: String,
    },
    /// A case used up its time budget (`Settings::case_time_budget`): it is refused and a
    /// run goes on.
    #[error("{path}: the case exceeded its time budget of {seconds} s (after {stage}); the case is skipped (raise --case-time-budget to allow more)")]
    TimeBudget {
        /// The case's image file.
        path: PathBuf,
        /// The budget in seconds.
        seconds: f64,
        /// The last step finished when the budget was found spent.
        stage: String,
    },
    /// The run was asked to stop (Ctrl-C in a binding); its output holds whole rows.
    #[error("{path}: interrupted after {done} of {total} cases; the output holds every finished case whole (resume goes on from there)")]
    Interrupted {
        /// The run's output.
        path: PathBuf,
        /// Cases done (extracted, failed or skipped) when it stopped.
        done: usize,
        /// Cases of the run.
        total: usize,
    },
    /// Writing output failed.
    #[error("{path}: cannot write: {message}")]
    Write {
        /// The output file or folder.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

impl Error {
    /// The file the error is about, where there is one (for a size mismatch, the mask).
    pub fn path(&self) -> Option<&std::path::Path> {
        match self {
            Error::Read { path, .. }
            | Error::Decode { path, .. }
            | Error::UnsupportedPixels { path, .. }
            | Error::MaskChannel { path, .. }
            | Error::EmptyRegion { path, .. }
            | Error::DegenerateRegion { path, .. }
            | Error::PixelValue { path, .. }
            | Error::Binning { path, .. }
            | Error::MatrixSize { path, .. }
            | Error::Spacing { path, .. }
            | Error::Filter { path, .. }
            | Error::Manifest { path, .. }
            | Error::Table { path, .. }
            | Error::Panic { path, .. }
            | Error::TimeBudget { path, .. }
            | Error::Write { path, .. } => Some(path),
            Error::SizeMismatch { mask, .. } | Error::GeometryMismatch { mask, .. } => Some(mask),
            _ => None,
        }
    }
}
