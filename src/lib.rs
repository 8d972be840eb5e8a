//! sonorad: a radiomics engine for 2D ultrasound.
//!
//! The data flow follows the modules, each importing only those before it. The folders show
//! the two halves and the seam between them: [`extraction`], then [`table`] (the typed
//! feature table both halves share), then [`statistics`].
//!
//! Extraction:
//! - [`io`] reads images, masks (PNG … DICOM, NIfTI, NRRD) and manifests ([`io::ManifestRow`]);
//! - [`roi`] draws the tumour and peritumoral ring regions;
//! - [`device`] opens the GPU device the filter and matrix kernels share;
//! - [`filters`] derives PyRadiomics' image types (LoG, wavelet, …), on the CPU or on the
//!   device ([`filters::device`]), and owns their names;
//! - [`discretize`] bins gray values as PyRadiomics does;
//! - [`matrix`] builds the count matrices on a backend (CPU, GPU through wgpu, or both);
//! - [`features`] turns matrices into PyRadiomics 3.0.1 features, one class per file;
//! - [`extract`] runs that pipeline for a case or a chunk of cases ([`extract::Settings`],
//!   checked once into [`extract::CheckedSettings`], is the one configuration; [`params`]
//!   adapts a PyRadiomics parameter file to it);
//! - [`archive`] runs a manifest chunk by chunk into a resumable table (CSV or Parquet), with
//!   shards and merge;
//! - [`compat`] holds PyRadiomics' own data that its shells reproduce (its default settings,
//!   its class and feature order), once for the command line and the Python shell.
//!
//! The seam: [`table`] reads and writes feature tables (CSV and Parquet codecs, and the typed
//! [`table::FeatureTable`] the statistics take).
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
//!
//! # Examples
//!
//! Each main entry point carries an example that `cargo test --doc` compiles and runs:
//! - [extracting a case from memory](extract#example-a-case-from-memory): an image and a mask
//!   in buffers, their features with the default settings ([`extract::case_from_memory`],
//!   [`extract::extract_loaded`]);
//! - [building matrices with a backend](matrix#example-matrices-of-a-region): a region
//!   discretized ([`discretize::GrayLevels`]) and its count matrices built by the CPU backend
//!   through [`matrix::Backend::build`], the trait the GPU backend implements too;
//! - [fitting a study from a feature table](train::fit_study#example): a
//!   [`table::FeatureTable`] made in memory, split, selected and modelled as `sonorad train`
//!   does.
#![deny(missing_docs)]

pub mod commands;
pub mod error;
pub mod extraction;
pub mod statistics;
pub mod synth;
pub mod table;

// Every stage is also reachable by its own name (`sonorad::io`, `sonorad::train`, ...), as
// before the two halves had folders.
pub use extraction::{
    alignment, archive, compat, device, diagnostics, discretize, extract, features, filters, io,
    maps, matrix, numpy, params, preprocess, resample, roi,
};
pub use statistics::{clinical, evaluate, model, report, select, stats, train};

pub use error::{Error, Result};
