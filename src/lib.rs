//! sonorad: a radiomics engine for 2D ultrasound.
//!
//! The data flow follows the modules: [`io`] reads images, masks and manifests; [`roi`] draws
//! the tumour and peritumoral ring regions; [`discretize`] bins gray values as PyRadiomics does;
//! [`matrix`] builds count matrices on a backend; [`features`] turns matrices into PyRadiomics
//! 3.0.1 features; [`extract`] runs the whole pipeline for one case or a manifest; [`table`]
//! writes the results.
#![deny(missing_docs)]

pub mod batch;
pub mod bench;
pub mod clinical;
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
