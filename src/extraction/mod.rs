//! The extraction half: images and masks in, a feature table out.
//!
//! In data-flow order: [`io`] reads images, masks and manifests; [`roi`] draws the tumour and
//! its rings; [`device`] opens the GPU the kernels share; [`filters`] derives the image types;
//! [`discretize`] bins gray values; [`matrix`] builds the count matrices on a backend (CPU,
//! GPU, or both); [`features`] turns them into
//! PyRadiomics features; [`extract`] is the pipeline over a case or a chunk of cases, with
//! [`params`] adapting a PyRadiomics parameter file to its settings; [`archive`] runs a
//! manifest chunk by chunk into a resumable table. Beside them, [`compat`] holds PyRadiomics'
//! own data (default settings, class and feature order) that its shells reproduce.

pub mod alignment;
pub mod archive;
pub mod compat;
pub mod device;
pub mod diagnostics;
pub mod discretize;
pub mod extract;
pub mod features;
pub mod filters;
pub mod io;
pub mod maps;
pub mod matrix;
pub mod numpy;
pub mod params;
pub mod preprocess;
pub mod resample;
pub mod roi;
