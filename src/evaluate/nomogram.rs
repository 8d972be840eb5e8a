//! Nomogram of a logistic regression as R's rms draws it.
//!
//! Rule (rms `nomogram`): each predictor's contribution to the linear predictor, `β x`, is
//! taken over the predictor's range (for a categorical predictor, over its levels, the
//! reference contributing 0). The predictor whose contribution has the widest range spans
//! 100 points, so one unit of linear predictor is worth `scale = 100 / max_j range_j` points,
//! and a value scores `scale · (β x − min β x)`. Total points `T` map back to the linear
//! predictor `η = η_min + T / scale` (η_min: the intercept plus every predictor's minimum
//! contribution) and to the probability `1 / (1 + e^{−η})`.
//! Here a continuous predictor's range is its observed training range.

use serde::Serialize;

use crate::stats::sigmoid;

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

    /// Smallest and largest contribution `β x` to the linear predictor.
    fn contribution_range(&self) -> (f64, f64) {
        match self {
            NomogramPredictor::Continuous {
                coefficient,
                min,
                max,
                ..
            } => {
                let (a, b) = (coefficient * min, coefficient * max);
                (a.min(b), a.max(b))
            }
            NomogramPredictor::Categorical { levels, .. } => levels
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (_, b)| {
                    (lo.min(*b), hi.max(*b))
                }),
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
    /// Largest possible total points.
    pub max_total: f64,
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

/// Evenly spaced "nice" tick values covering `[low, high]` (about five).
fn nice_ticks(low: f64, high: f64) -> Vec<f64> {
    if high <= low {
        return vec![low];
    }
    let raw = (high - low) / 5.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    // step: 1, 2 or 5 × 10^k
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude);
    let first = (low / step).ceil() * step;
    // about five ticks; counted rather than stepped, so that a step below the rounding unit of
    // huge values cannot loop forever
    let count = ((high + step * 1e-9 - first) / step).floor();
    if !(0.0..=10.0).contains(&count) {
        return vec![low, high];
    }
    (0..=count as usize)
        .map(|k| first + k as f64 * step)
        .collect()
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

/// Build the nomogram of `intercept + Σ predictors` (see the module rule).
pub fn nomogram(intercept: f64, predictors: &[NomogramPredictor]) -> Nomogram {
    let ranges: Vec<(f64, f64)> = predictors
        .iter()
        .map(NomogramPredictor::contribution_range)
        .collect();
    // widest contribution range → 100 points
    let widest = ranges.iter().map(|(lo, hi)| hi - lo).fold(0.0, f64::max);
    let scale = if widest > 0.0 { 100.0 / widest } else { 0.0 };
    let axes = predictors
        .iter()
        .zip(&ranges)
        .map(|(p, &(lo, hi))| {
            let ticks = match p {
                NomogramPredictor::Continuous {
                    coefficient,
                    min,
                    max,
                    ..
                } => nice_ticks(*min, *max)
                    .into_iter()
                    .map(|v| Tick {
                        label: format_tick(v),
                        points: scale * (coefficient * v - lo),
                    })
                    .collect(),
                NomogramPredictor::Categorical { levels, .. } => levels
                    .iter()
                    .map(|(level, b)| Tick {
                        label: level.clone(),
                        points: scale * (b - lo),
                    })
                    .collect(),
            };
            PredictorAxis {
                name: p.name().into(),
                ticks,
                span: scale * (hi - lo),
            }
        })
        .collect();
    // η at zero points: intercept plus every minimum contribution
    let eta_at_zero = intercept + ranges.iter().map(|(lo, _)| lo).sum::<f64>();
    let max_total: f64 = ranges.iter().map(|(lo, hi)| scale * (hi - lo)).sum();
    let probability = [
        0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99,
    ]
    .iter()
    .filter_map(|&p: &f64| {
        // total points of probability p: T = scale (logit p − η₀)
        let total = scale * ((p / (1.0 - p)).ln() - eta_at_zero);
        (scale > 0.0 && (0.0..=max_total).contains(&total)).then(|| Tick {
            label: format_tick(p),
            points: total,
        })
    })
    .collect();
    Nomogram {
        scale,
        eta_at_zero,
        predictors: axes,
        max_total,
        probability,
    }
}
