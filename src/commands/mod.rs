//! Commands above the library's stages, each a use of them end to end: the demo chain
//! ([`demo`]), scoring new cases with a trained model ([`predict`]), the backend benchmark
//! ([`mod@bench`]) and the command line's completions and manual pages ([`docs`]). The `sonorad`
//! binary and, to come, the Python module are thin shells over these and the stages.

pub mod bench;
pub mod demo;
pub mod docs;
pub mod map;
pub mod predict;
pub mod pyradiomics;
