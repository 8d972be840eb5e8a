//! Evaluation of predicted probabilities: calibration ([`calibration`]: grouped, lowess and
//! bootstrap bias-corrected curves, Hosmer–Lemeshow, Brier), decision curves ([`dca`]),
//! nomograms ([`nomogram`]) and the distributions their tests need ([`distributions`]).

pub mod calibration;
pub mod dca;
pub mod distributions;
pub mod nomogram;
pub mod pretty;
