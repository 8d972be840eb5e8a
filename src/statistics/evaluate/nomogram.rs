//! Nomogram of a logistic regression as R's rms draws it.
//!
//! Rule (rms `nomogram`): each predictor's contribution to the linear predictor, `β x`, is
//! taken over the predictor's range (for a categorical predictor, over its levels, the
//! reference contributing 0). The predictor whose contribution has the widest range spans
//! 100 points, so one unit of linear predictor is worth `scale = 100 / max_j range_j` points,
//! and a value scores `scale · (β x − min β x)`. Total points `T` map back to the linear
//! predictor `η = η_min + T / scale` (η_min: the intercept plus every predictor's minimum
//! contribution) and to the probability `1 / (1 + e^{−η})`.
//!
//! Axes as `rms::nomogram(fit, fun = plogis)` draws them with a `datadist` of the training data
//! (rms 6.5): a continuous predictor spans `pretty(training range, nint = 10)`, so the ranges
//! above are taken over those values; the total-points axis is `pretty(c(0, max), 10)`; the
//! linear-predictor axis `pretty(range of the training linear predictors, 10)`; the
//! probability axis `pretty(σ(that range), 10)`, each tick placed by rms' interpolated
//! inverse of σ.

use serde::Serialize;

use super::pretty::{pretty, sequence};
use crate::stats::{approx, sigmoid, Ties};

/// A predictor of the model, as the nomogram needs it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum NomogramPredictor {
    /// A numeric predictor with its coefficient and training range.
    Continuous {
        /// Name.
        name: String,
        /// Coefficient β.
        coefficient: f64,
        /// Smallest training value.
        min: f64,
        /// Largest training value.
        max: f64,
    },
    /// A dummy-coded categorical predictor.
    Categorical {
        /// Name.
        name: String,
        /// Each level with its coefficient (the reference level has 0).
        levels: Vec<(String, f64)>,
    },
}

impl NomogramPredictor {
    /// Name of the predictor.
    pub fn name(&self) -> &str {
        match self {
            NomogramPredictor::Continuous { name, .. }
            | NomogramPredictor::Categorical { name, .. } => name,
        }
    }
}

/// One tick of an axis: a label and its position in points.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tick {
    /// Value shown (predictor value, level, total points or probability).
    pub label: String,
    /// Position on the points scale.
    pub points: f64,
}

/// One predictor's axis.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PredictorAxis {
    /// Predictor name.
    pub name: String,
    /// Ticks (values or levels with their points).
    pub ticks: Vec<Tick>,
    /// Points the predictor spans.
    pub span: f64,
}

/// A complete nomogram.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Nomogram {
    /// Points per unit of linear predictor.
    pub scale: f64,
    /// Linear predictor at zero total points.
    pub eta_at_zero: f64,
    /// Predictor axes.
    pub predictors: Vec<PredictorAxis>,
    /// Total-points axis: `pretty(0, Σ max points, nint)`.
    pub total_points: Vec<f64>,
    /// Linear-predictor axis: `pretty(range of the training linear predictors, nint)`, with
    /// the total points of each value.
    pub linear_predictor: Vec<Tick>,
    /// Probability axis: probabilities with their total points.
    pub probability: Vec<Tick>,
}

impl Nomogram {
    /// Predicted probability at `total` points.
    pub fn total_to_probability(&self, total: f64) -> f64 {
        // η = η₀ + T / scale, p = σ(η)
        sigmoid(self.eta_at_zero + total / self.scale)
    }
}

fn format_tick(v: f64) -> String {
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.into()
    }
}

/// rms' `nint`: about this many intervals on every continuous axis.
pub const NINT: usize = 10;

/// Build the nomogram of `intercept + Σ predictors` as `rms::nomogram(fit, fun = plogis)` does
/// (see the module rule); `linear_predictors` are the training cases' linear predictors, whose
/// range sets the linear-predictor and probability axes.
pub fn nomogram(
    intercept: f64,
    predictors: &[NomogramPredictor],
    linear_predictors: &[f64],
) -> Nomogram {
    let values: Vec<Vec<(String, f64)>> = predictors.iter().map(axis_values).collect();
    // each predictor's contribution range over its axis values
    let ranges: Vec<(f64, f64)> = values
        .iter()
        .map(|axis| {
            axis.iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (_, c)| {
                    (lo.min(*c), hi.max(*c))
                })
        })
        .collect();
    // widest contribution range → 100 points
    let widest = ranges.iter().map(|(lo, hi)| hi - lo).fold(0.0, f64::max);
    let scale = if widest > 0.0 {
        MAX_SCALE / widest
    } else {
        0.0
    };
    let axes = predictors
        .iter()
        .zip(&values)
        .zip(&ranges)
        .map(|((p, axis), &(lo, hi))| PredictorAxis {
            name: p.name().into(),
            ticks: axis
                .iter()
                .map(|(label, c)| Tick {
                    label: label.clone(),
                    points: scale * (c - lo),
                })
                .collect(),
            span: scale * (hi - lo),
        })
        .collect();
    // η at zero points: intercept plus every minimum contribution
    let eta_at_zero = intercept + ranges.iter().map(|(lo, _)| lo).sum::<f64>();
    let lp_range = linear_predictors
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    let lp_at = pretty(lp_range.0, lp_range.1, NINT);
    let points_of = |eta: f64| scale * (eta - eta_at_zero);
    let sum_max = if predictors.len() == 1 {
        MAX_SCALE
    } else {
        lp_at
            .iter()
            .map(|&eta| points_of(eta))
            .fold(MAX_SCALE, f64::max)
    };
    Nomogram {
        scale,
        eta_at_zero,
        predictors: axes,
        total_points: pretty(0.0, sum_max, NINT),
        linear_predictor: lp_at
            .iter()
            .map(|&eta| Tick {
                label: format_tick(eta),
                points: points_of(eta),
            })
            .collect(),
        probability: probability_axis(&lp_at, &points_of),
    }
}

/// rms' `maxscale`: points of the widest predictor.
const MAX_SCALE: f64 = 100.0;

/// A predictor's axis values with their contributions `β x`: a continuous predictor over
/// `pretty(training range, nint)`, a categorical one over its levels.
fn axis_values(predictor: &NomogramPredictor) -> Vec<(String, f64)> {
    match predictor {
        NomogramPredictor::Continuous {
            coefficient,
            min,
            max,
            ..
        } => pretty(*min, *max, NINT)
            .into_iter()
            .map(|v| (format_tick(v), coefficient * v))
            .collect(),
        NomogramPredictor::Categorical { levels, .. } => levels.clone(),
    }
}

/// The probability axis as rms makes it for `fun = plogis`: ticks at
/// `pretty(σ(range of the linear-predictor axis), nint)`, each placed at the linear predictor
/// found by linear interpolation of σ over 1000 equally spaced values of that range (rms'
/// inverse of `fun`, `approx(..., ties = mean)`, so a tick at 1 sits at the mean of the values
/// where σ rounds to 1); ticks outside the range are left out.
fn probability_axis(lp_at: &[f64], points_of: &dyn Fn(f64) -> f64) -> Vec<Tick> {
    let (Some(&low), Some(&high)) = (lp_at.first(), lp_at.last()) else {
        return Vec::new();
    };
    let grid: Vec<f64> = sequence(low, high, 1000);
    let probabilities: Vec<f64> = grid.iter().map(|&eta| sigmoid(eta)).collect();
    let ticks = pretty(sigmoid(low), sigmoid(high), NINT);
    // approx(σ(grid), grid, ticks, ties = mean): σ is flat (tied) where it rounds to 0 or 1
    let etas = approx(&probabilities, &grid, Ties::Mean, &ticks);
    ticks
        .iter()
        .zip(etas)
        .filter(|(_, eta)| !eta.is_nan())
        .map(|(&p, eta)| Tick {
            label: format_tick(p),
            points: points_of(eta),
        })
        .collect()
}
