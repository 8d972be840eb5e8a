//! The statistics half: a feature table in, a study, its models and its report out.
//!
//! In data-flow order: [`stats`] holds the shared numerics; [`select`] the ICC filter, z-score,
//! mRMR and LASSO; [`model`] the six classifiers and their metrics; [`evaluate`] calibration,
//! decision curves and the nomogram; [`train`] fits a study as named steps; [`clinical`] the
//! clinical and combined models; [`report`] the HTML report and its figures.

pub mod clinical;
pub mod evaluate;
pub mod model;
pub mod report;
pub mod select;
pub mod stats;
pub mod train;
