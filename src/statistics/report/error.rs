//! Errors of the report stage (and the demo, which ends in a report).

use std::path::PathBuf;

use crate::clinical::error::ClinicalError;

/// Result alias of the report stage.
pub type ReportResult<T> = std::result::Result<T, ReportError>;

/// What can go wrong while a report is written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A file could not be written.
    #[error("{path}: cannot write: {message}")]
    Write {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A file could not be read or parsed.
    #[error("{path}: {message}")]
    Read {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A figure could not be drawn.
    #[error("figure {figure}: {message}")]
    Figure {
        /// Figure file name.
        figure: String,
        /// What the plotting backend said.
        message: String,
    },
    /// The clinical stage failed.
    #[error(transparent)]
    Clinical(#[from] ClinicalError),
    /// The statistics stage failed.
    #[error(transparent)]
    Train(#[from] crate::train::error::TrainError),
    /// Extraction failed.
    #[error(transparent)]
    Extract(#[from] crate::Error),
}
