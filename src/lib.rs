//! sonorad: a radiomics engine for 2D ultrasound.
//!
//! The data flow follows the modules, each importing only those before it.
//!
//! Extraction:
//! - [`io`] reads images, masks (PNG … DICOM, NIfTI, NRRD) and manifests ([`io::ManifestRow`]);
//! - [`roi`] draws the tumour and peritumoral ring regions;
//! - [`filters`] derives PyRadiomics' image types (LoG, wavelet, …) and owns their names;
//! - [`discretize`] bins gray values as PyRadiomics does;
//! - [`matrix`] builds the count matrices on a backend (CPU, GPU through wgpu, or both);
//! - [`features`] turns matrices into PyRadiomics 3.0.1 features, one class per file;
//! - [`extract`] runs that pipeline for a case or a chunk of cases ([`extract::Settings`] is
//!   the one checked configuration; [`params`] adapts a PyRadiomics parameter file to it);
//! - [`archive`] runs a manifest chunk by chunk into a resumable table (CSV or Parquet), with
//!   shards and merge; [`table`] formats values.
//!
//! Statistics (a feature table in, a study out):
//! - [`stats`] holds the shared numerics (the logistic-regression solver, R's `approx`, the one
//!   [`stats::LinearModel`]);
//! - [`select`] the ICC filter, z-score, mRMR and LASSO; [`model`] the six classifiers and
//!   their metrics; [`evaluate`] calibration, decision curves, the nomogram and R's `pretty`;
//! - [`train`] fits a study as named steps; [`clinical`] the clinical and combined models;
//!   [`report`] the HTML report and its figures.
//!
//! Above them, [`commands`]: the demo chain, `predict` and the backend benchmark. Around them:
//! [`synth`] (generated cohorts), [`error`].
#![deny(missing_docs)]

pub mod archive;
pub mod clinical;
pub mod commands;
pub mod discretize;
pub mod error;
pub mod evaluate;
pub mod extract;
pub mod features;
pub mod filters;
pub mod io;
pub mod matrix;
pub mod model;
pub mod params;
pub mod report;
pub mod roi;
pub mod select;
pub mod stats;
pub mod synth;
pub mod table;
pub mod train;

pub use error::{Error, Result};
