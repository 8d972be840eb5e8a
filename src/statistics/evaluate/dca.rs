//! Decision curve analysis (Vickers & Elkin 2006): net benefit of treating the cases a model
//! scores at or above a threshold probability, against treating everyone or no one.

use serde::Serialize;

/// Net benefit of a model at threshold `pt`: `TP/n − FP/n · pt / (1 − pt)`, where a case is
/// treated when its predicted probability is at least `pt`.
pub fn net_benefit(predicted: &[f64], outcome: &[bool], pt: f64) -> f64 {
    let n = predicted.len() as f64;
    // true and false positives among the treated
    let (tp, fp) = predicted
        .iter()
        .zip(outcome)
        .filter(|(&p, _)| p >= pt)
        .fold(
            (0.0, 0.0),
            |(tp, fp), (_, &y)| {
                if y {
                    (tp + 1.0, fp)
                } else {
                    (tp, fp + 1.0)
                }
            },
        );
    tp / n - fp / n * pt / (1.0 - pt)
}

/// Net benefit of treating every case: `π − (1 − π) · pt / (1 − pt)`, π the prevalence.
pub fn treat_all(outcome: &[bool], pt: f64) -> f64 {
    // prevalence π
    let prevalence = outcome.iter().filter(|&&y| y).count() as f64 / outcome.len() as f64;
    prevalence - (1.0 - prevalence) * pt / (1.0 - pt)
}

/// The thresholds of the curves: 0.01, 0.02, …, 0.99.
pub fn thresholds() -> Vec<f64> {
    (1..=99).map(|k| k as f64 / 100.0).collect()
}

/// Decision curves of several models on one cohort.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecisionCurves {
    /// Threshold probabilities.
    pub thresholds: Vec<f64>,
    /// Net benefit of treating all at each threshold.
    pub treat_all: Vec<f64>,
    /// Each model's name and net benefit at each threshold (treat-none is 0 everywhere).
    pub models: Vec<(String, Vec<f64>)>,
}

/// Decision curves over [`thresholds`] for the named models' predicted probabilities.
pub fn decision_curves(models: &[(String, Vec<f64>)], outcome: &[bool]) -> DecisionCurves {
    let thresholds = thresholds();
    DecisionCurves {
        treat_all: thresholds
            .iter()
            .map(|&pt| treat_all(outcome, pt))
            .collect(),
        models: models
            .iter()
            .map(|(name, p)| {
                (
                    name.clone(),
                    thresholds
                        .iter()
                        .map(|&pt| net_benefit(p, outcome, pt))
                        .collect(),
                )
            })
            .collect(),
        thresholds,
    }
}
