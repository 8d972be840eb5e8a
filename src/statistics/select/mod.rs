//! Feature selection, each step fitted on the training cohort only: the ICC(2,1)
//! reproducibility filter ([`icc`]), z-score standardization ([`zscore`]), mRMR ranking
//! ([`mrmr`]) and LASSO logistic regression with cross-validated λ ([`lasso`]).

pub mod icc;
pub mod lasso;
pub mod mrmr;
pub mod zscore;

/// What can go wrong in feature selection.
#[derive(Debug, thiserror::Error)]
pub enum SelectError {
    /// A cohort or fold too small for a step.
    #[error("{step}: {message}")]
    TooFewCases {
        /// The step.
        step: String,
        /// What is missing.
        message: String,
    },
}
