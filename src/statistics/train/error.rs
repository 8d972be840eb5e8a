//! Errors of the statistics stage: every message names the column, case or setting at fault.

use std::path::PathBuf;

/// Result alias of the statistics stage.
pub type TrainResult<T> = std::result::Result<T, TrainError>;

/// Everything that can go wrong between a feature table and a fitted study.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// A file could not be read.
    #[error("{path}: cannot read: {message}")]
    Read {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// An output could not be written.
    #[error("{path}: cannot write: {message}")]
    Write {
        /// The file or folder.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The feature table is malformed (missing column, duplicate id, non-numeric value, ...).
    #[error("{path}: {message}")]
    Table {
        /// The table.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The outcome column holds values other than 0 and 1.
    #[error(
        "{path}: outcome column '{column}' must be binary (0/1); other values found: {values:?}"
    )]
    NonBinaryOutcome {
        /// The table.
        path: PathBuf,
        /// The outcome column.
        column: String,
        /// The distinct offending values, as written in the table.
        values: Vec<String>,
    },
    /// The split column holds values that are neither training nor validation labels.
    #[error(
        "{path}: split column '{column}' must hold train/validation labels; other values found: \
         {values:?}"
    )]
    BadSplit {
        /// The table.
        path: PathBuf,
        /// The split column.
        column: String,
        /// The distinct offending values.
        values: Vec<String>,
    },
    /// A cohort is too small, or lacks one of the classes, for the step that needs it.
    #[error("{step}: {message}")]
    TooFewCases {
        /// The step (split, LASSO cross-validation, tuning, ...).
        step: String,
        /// What is missing.
        message: String,
    },
    /// No feature survived a step.
    #[error("no feature left after {step}")]
    NoFeatures {
        /// The step that removed the last feature.
        step: String,
    },
    /// A step of a study failed on the cases of a feature table ([`TrainError::TooFewCases`]
    /// or [`TrainError::NoFeatures`] with the table that caused it).
    #[error("{path}: {source}")]
    Study {
        /// The feature table.
        path: PathBuf,
        /// What failed.
        source: Box<TrainError>,
    },
    /// A case lacks the value of a feature a model needs, and the model holds no imputation
    /// median for it.
    #[error("no value for feature '{feature}'")]
    NoValue {
        /// The feature.
        feature: String,
    },
    /// A setting is out of range or inconsistent.
    #[error("invalid setting: {0}")]
    Setting(String),
    /// A study configuration file could not be parsed.
    #[error("{path}: {message}")]
    Config {
        /// The configuration file.
        path: PathBuf,
        /// What the parser said.
        message: String,
    },
    /// A Parquet table could not be read (the message names the file).
    #[error(transparent)]
    Parquet(#[from] crate::Error),
    /// Feature selection failed.
    #[error(transparent)]
    Select(#[from] crate::select::SelectError),
    /// A classifier failed.
    #[error(transparent)]
    Model(#[from] crate::model::ModelError),
    /// A classifier crate failed to fit.
    #[error("{model}: fitting failed: {message}")]
    Fit {
        /// The model.
        model: String,
        /// What the crate said.
        message: String,
    },
}
