//! Errors of the clinical, combined-model and prediction stages.

use std::path::PathBuf;

/// Result alias of these stages.
pub type ClinicalResult<T> = std::result::Result<T, ClinicalError>;

/// What can go wrong from a clinical table to the combined model and its predictions.
#[derive(Debug, thiserror::Error)]
pub enum ClinicalError {
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
    /// A table lacks a column the model needs.
    #[error("{path}: missing column '{column}'")]
    MissingColumn {
        /// The table.
        path: PathBuf,
        /// The column.
        column: String,
    },
    /// A value of a table is unusable.
    #[error("{path}: case '{case}', column '{column}': {message}")]
    Value {
        /// The table.
        path: PathBuf,
        /// Case id.
        case: String,
        /// Column.
        column: String,
        /// What is wrong.
        message: String,
    },
    /// A setting is invalid.
    #[error("{0}")]
    Setting(String),
    /// A logistic regression could not be fitted.
    #[error("logistic regression '{model}': {message}")]
    Fit {
        /// Which model.
        model: String,
        /// Why.
        message: String,
    },
    /// The outcome is separated by a model's predictors: no finite maximum-likelihood fit.
    #[error(
        "logistic regression '{model}': complete or quasi-complete separation (fitted \
         probabilities numerically 0 or 1): the predictors predict the outcome perfectly in \
         training, so the maximum-likelihood coefficients are infinite"
    )]
    Separation {
        /// Which model.
        model: String,
    },
    /// The statistics stage failed.
    #[error(transparent)]
    Train(#[from] crate::train::error::TrainError),
    /// Extraction failed.
    #[error(transparent)]
    Extract(#[from] crate::Error),
}
